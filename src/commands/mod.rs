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

/// Why a command stopped. The one printer is [`run`]: every failure goes through it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command could not do its job: printed as `error: <message>`, exit status 2.
    #[error(transparent)]
    Fatal(Box<dyn std::error::Error + Send + Sync>),
    /// Findings stop the command: the text (complete lines, or nothing when they are printed
    /// already) goes to stderr as it is, exit status 1.
    #[error("{0}")]
    Failure(String),
}

/// A failure that stops the run with exit status 2 (printed as `error: <message>`).
pub(crate) fn fail(message: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Fatal(message.into())
}

/// Run the command line and print its failure, if any: the only place that does.
pub fn run(cli: Cli) -> ExitStatus {
    match dispatch(&cli) {
        Ok(status) => status,
        Err(Error::Fatal(e)) => {
            err(&format!("error: {e}\n"));
            ExitStatus::Error
        }
        Err(Error::Failure(text)) => {
            err(&text);
            ExitStatus::Failure
        }
    }
}

fn dispatch(cli: &Cli) -> Result<ExitStatus, Error> {
    let global = &cli.global;
    match &cli.command {
        Command::Validate(args) => validate::run(global, args, today()),
        Command::Render(args) => render::run(global, args, today()),
        Command::Restore(args) => restore::run(global, args, today()),
        Command::OffsiteBucket(args) => offsite_bucket::run(global, args, today()),
        Command::Regulations(args) => regulations::run(global, args),
        Command::Diff(args) => diff::run(global, args, today()),
        Command::Argocd(command) => argocd::run(global, command, today()),
        Command::Defaults => defaults::run(global),
        Command::Explain(args) => explain::run(global, args),
        Command::Init(args) => init::run(global, args),
        Command::Coverage(args) => coverage::run(global, args, today()),
        Command::Report(args) => report::run(global, args, today()),
        Command::Schema(args) => defaults::schema(global, args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
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
pub(crate) fn out(text: &str) -> Result<(), Error> {
    let text = crate::secrets::redact::redact(text);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(fail(format!("cannot write to stdout: {e}"))),
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
pub(crate) fn assets(global: &crate::cli::Global) -> Result<crate::assets::Assets, Error> {
    crate::assets::Assets::with_overrides(global.schemas.as_deref(), global.templates.as_deref())
        .map_err(fail)
}

/// The findings of a validation in the format asked for with `--format`.
pub(crate) fn findings(global: &crate::cli::Global, outcome: &crate::validate::Outcome) -> String {
    crate::diagnostic::render(
        global.format,
        &outcome.diagnostics,
        &outcome.sources,
        use_color(global.color),
    )
}

/// Validate and print findings like `validate` does (to stderr); `Err` when nothing else
/// should happen (findings with errors, or a failure to run).
pub(crate) fn validated(
    global: &crate::cli::Global,
    assets: &crate::assets::Assets,
    environments: &[String],
    today: i64,
) -> Result<crate::validate::Outcome, Error> {
    let outcome = crate::validate::validate(&crate::validate::Request {
        dir: &global.dir,
        only: environments,
        assets,
        today,
    })
    .map_err(fail)?;
    let has_findings = outcome
        .diagnostics
        .iter()
        .any(|d| d.severity != crate::diagnostic::Severity::Note || d.accepted.is_some());
    // Stdout carries the command's data: findings go to stderr in every format.
    if outcome.has_failures() {
        return Err(Error::Failure(findings(global, &outcome)));
    }
    if has_findings {
        err(&findings(global, &outcome));
    }
    Ok(outcome)
}
