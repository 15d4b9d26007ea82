//! One thin file per subcommand: read the flags, call one library operation, print the result.
//! This module and its children are the only code that writes to the terminal.

mod argocd;
mod coverage;
mod defaults;
mod diff;
mod docs;
mod explain;
mod init;
mod offsite_bucket;
mod regulations;
mod render;
mod report;
mod restore;
mod validate;

use crate::ExitStatus;
use crate::cli::{Cli, ColorChoice, Command};
use std::io::{IsTerminal, Write};

pub fn run(cli: Cli) -> ExitStatus {
    let global = &cli.global;
    match &cli.command {
        Command::Validate { environments } => validate::run(global, environments),
        Command::Render {
            environments,
            out,
            check,
            stdout,
        } => render::run(
            global,
            &render::Flags {
                environments,
                out,
                check: *check,
                stdout: *stdout,
            },
        ),
        Command::Restore {
            environment,
            from_schedule,
            backup,
            from_offsite,
            at,
            namespaces,
            to_namespace,
            existing_resource_policy,
            name,
        } => restore::run(
            global,
            &restore::Flags {
                environment,
                from_schedule: from_schedule.as_deref(),
                backup: backup.as_deref(),
                from_offsite: *from_offsite,
                at: at.as_deref(),
                namespaces,
                to_namespace,
                existing_resource_policy: *existing_resource_policy,
                name: name.as_deref(),
            },
        ),
        Command::OffsiteBucket { environment } => offsite_bucket::run(global, environment),
        Command::Regulations { command } => regulations::run(global, command),
        Command::Diff {
            base,
            against,
            environments,
            exit_zero,
        } => diff::run(
            global,
            &diff::Flags {
                base: base.as_deref(),
                against: against.as_deref(),
                environments,
                exit_zero: *exit_zero,
            },
        ),
        Command::Argocd(command) => argocd::run(global, command),
        Command::Defaults => defaults::run(global),
        Command::Explain { key, json } => explain::run(global, key, *json),
        Command::Init {
            name,
            provider,
            role,
            engine,
            compliance,
            stdout,
            force,
        } => init::run(
            global,
            &init::Args {
                name,
                provider,
                role,
                engine,
                compliance,
                stdout: *stdout,
                force: *force,
            },
        ),
        Command::Coverage { environments, json } => coverage::run(global, environments, *json),
        Command::Report {
            environments,
            report_format,
            out,
        } => report::run(global, environments, *report_format, out.as_deref()),
        Command::Schema { effective } => defaults::schema(global, *effective),
        Command::Completions { shell } => docs::completions(*shell),
        Command::Man {
            subcommand,
            out_dir,
        } => docs::man(subcommand, out_dir.as_deref()),
    }
}

/// Today's day number: `CK8S_GEN_TODAY` (`YYYY-MM-DD`) when set, else the clock (UTC). The
/// only place that reads either; the library gets the day as a parameter.
pub(crate) fn today() -> i64 {
    let pinned = std::env::var("CK8S_GEN_TODAY").ok();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::velero::dates::today_of(pinned.as_deref(), now)
}

/// Whether to colour output written to stderr.
pub(crate) fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error. Credentials are masked
/// (`crate::secrets::redact`): every printer ends here or in [`err`].
#[allow(clippy::print_stderr)]
pub(crate) fn out(text: &str) -> ExitStatus {
    let text = crate::secrets::redact::redact(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitStatus::Success,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Success,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitStatus::Error
        }
    }
}

/// Write to stderr, ignoring a closed stream. Credentials are masked (`crate::secrets::redact`).
pub(crate) fn err(text: &str) {
    let text = crate::secrets::redact::redact(text);
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Load the assets (embedded, or overridden with `--schemas` / `--templates`).
pub(crate) fn assets(global: &crate::cli::Global) -> Result<crate::assets::Assets, ExitStatus> {
    crate::assets::Assets::with_overrides(global.schemas.as_deref(), global.templates.as_deref())
        .map_err(fail)
}

/// Validate and print findings like `validate` does; `Err` carries the exit status to return
/// when nothing else should happen (findings with errors, or a failure to run).
/// The findings of a validation in the format asked for with `--format`.
pub(crate) fn findings(global: &crate::cli::Global, outcome: &crate::validate::Outcome) -> String {
    crate::diagnostic::render(
        global.format,
        &outcome.diagnostics,
        &outcome.sources,
        use_color(global.color),
    )
}

pub(crate) fn validated(
    global: &crate::cli::Global,
    assets: &crate::assets::Assets,
    environments: &[String],
) -> Result<crate::validate::Outcome, ExitStatus> {
    let outcome = crate::validate::validate(&crate::validate::Request {
        dir: &global.dir,
        only: environments,
        assets,
        today: today(),
    })
    .map_err(fail)?;
    let has_findings = outcome
        .diagnostics
        .iter()
        .any(|d| d.severity != crate::diagnostic::Severity::Note || d.accepted.is_some());
    if outcome.has_failures() || has_findings {
        // Stdout carries the command's data: findings go to stderr in every format.
        err(&findings(global, &outcome));
    }
    if outcome.has_failures() {
        return Err(ExitStatus::Failure);
    }
    Ok(outcome)
}

/// Print an error that stops the run and return exit status 2.
pub(crate) fn fail(message: impl std::fmt::Display) -> ExitStatus {
    err(&format!("error: {message}\n"));
    ExitStatus::Error
}
