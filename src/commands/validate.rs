//! `ck8s-gen validate`: structural, semantic and regulatory checks of environments.

use super::{assets, err, fail, findings, out};
use crate::ExitStatus;
use crate::cli::Global;
use crate::diagnostic::report::Format;
use crate::validate::{self, Request};

pub fn run(global: &Global, environments: &[String]) -> ExitStatus {
    let assets = match assets(global) {
        Ok(assets) => assets,
        Err(status) => return status,
    };
    let outcome = match validate::validate_lean(&Request {
        dir: &global.dir,
        only: environments,
        assets: &assets,
        today: super::today(),
    }) {
        Ok(outcome) => outcome,
        Err(e) => return fail(e),
    };
    let text = findings(global, &outcome);
    let printed = match global.format {
        Format::Human => {
            err(&text);
            ExitStatus::Success
        }
        Format::Json | Format::Github | Format::Markdown => out(&text),
    };
    if printed == ExitStatus::Error {
        return printed;
    }
    if outcome.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
