//! `ck8s-gen completions` and `ck8s-gen man [SUBCOMMAND…] [--out-dir DIR]`: generated from the
//! clap definition at run time.

use super::{Error, err, fail, out};
use crate::ExitStatus;
use crate::cli::{Cli, CompletionsArgs, ManArgs};
use clap::CommandFactory;

pub fn completions(args: &CompletionsArgs) -> Result<ExitStatus, Error> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ck8s-gen", &mut buffer);
    out(&String::from_utf8_lossy(&buffer))?;
    Ok(ExitStatus::Success)
}

/// The command tree as the man pages see it: built, so every subcommand is named
/// `ck8s-gen-<path>` (the page names the main page refers to), without `help`.
fn man_tree() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

pub fn man(args: &ManArgs) -> Result<ExitStatus, Error> {
    let path = &args.subcommand;
    if let Some(dir) = args.out_dir.as_deref() {
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(format!("cannot create `{}`: {e}", dir.display())))?;
        return match clap_mangen::generate_to(Cli::command(), dir) {
            Ok(()) => {
                let count = std::fs::read_dir(dir)
                    .map(|d| {
                        d.filter_map(Result::ok)
                            .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
                            .count()
                    })
                    .unwrap_or(0);
                err(&format!(
                    "wrote {count} man pages to {} (ck8s-gen.1 and one per subcommand)\n",
                    dir.display()
                ));
                Ok(ExitStatus::Success)
            }
            Err(e) => Err(fail(format!(
                "cannot write the man pages to `{}`: {e}",
                dir.display()
            ))),
        };
    }
    let mut command = man_tree();
    for (depth, name) in path.iter().enumerate() {
        let Some(sub) = command.find_subcommand(name).cloned() else {
            let known: Vec<String> = command
                .get_subcommands()
                .map(|c| c.get_name().to_owned())
                .collect();
            let hint = crate::text::suggest::did_you_mean(name, known.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(fail(format!(
                "no subcommand `{}`{hint} (known: {})",
                path[..=depth].join(" "),
                known.join(", ")
            )));
        };
        command = sub;
    }
    let mut buffer = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut buffer)
        .map_err(fail)?;
    out(&String::from_utf8_lossy(&buffer))?;
    Ok(ExitStatus::Success)
}
