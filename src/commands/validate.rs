//! `ck8s-gen validate`: structural, semantic and regulatory checks of environments.

use super::{Error, assets, err, fail, findings, out};
use crate::ExitStatus;
use crate::cli::{Global, ValidateArgs};
use crate::diagnostic::Format;
use crate::validate::{self, Request};

pub fn run(global: &Global, args: &ValidateArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = assets(global)?;
    let outcome = validate::validate_findings(&Request {
        dir: &global.dir,
        only: &args.environments,
        assets: &assets,
        today,
    })
    .map_err(fail)?;
    let text = findings(global, &outcome);
    match global.format {
        Format::Human => err(&text),
        Format::Json | Format::Github | Format::Markdown => out(&text)?,
    }
    Ok(if outcome.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
