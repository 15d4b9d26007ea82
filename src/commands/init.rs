//! `ck8s-gen init NAME`: write a new environment file (atomically, never over an existing one
//! unless `--force`, never with the name of an existing environment).

use super::{Error, err, fail, out};
use crate::ExitStatus;
use crate::cli::{Global, InitArgs};
use crate::environment::init::{InitOptions, environment_text};

pub fn run(global: &Global, args: &InitArgs) -> Result<ExitStatus, Error> {
    let valid_name = args.name.len() <= 40
        && !args.name.is_empty()
        && args
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !args.name.starts_with('-')
        && !args.name.ends_with('-');
    if !valid_name {
        return Err(fail(format!(
            "`{}` is not a valid environment name: use lower-case letters, digits and `-` (a DNS label of at most 40 characters)",
            args.name
        )));
    }
    let text = environment_text(&InitOptions {
        name: &args.name,
        role: args.role,
        provider: args.provider,
        engine: args.engine,
        compliance: &args.compliance,
    });
    if args.stdout {
        out(&text)?;
        return Ok(ExitStatus::Success);
    }
    let path = global.dir.join(format!("{}.yaml", args.name));
    // Another file already declaring the name would make two environments of one name.
    if let Some((other, _)) = crate::environment::load::environment_names(&global.dir)
        .into_iter()
        .find(|(other, name)| *name == args.name && *other != path)
    {
        return Err(fail(format!(
            "an environment named `{}` exists already, in `{}`: choose another name (environment names are unique in `{}`)",
            args.name,
            other.display(),
            global.dir.display()
        )));
    }
    if path.exists() && !args.force {
        return Err(fail(format!(
            "`{}` exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::create_dir_all(&global.dir)
        .map_err(|e| fail(format!("cannot create `{}`: {e}", global.dir.display())))?;
    crate::source::safefs::write_file(&path, text.as_bytes())
        .map_err(|e| fail(format!("cannot write `{}`: {e}", path.display())))?;
    err(&format!(
        "wrote {}; check it with `ck8s-gen validate {}`\n",
        path.display(),
        args.name
    ));
    Ok(ExitStatus::Success)
}
