//! `ck8s-gen offsite-bucket ENV`: print the off-site bucket's versioning, object-lock and
//! lifecycle configuration (JSON) to stdout.

use super::{fail, out};
use crate::ExitStatus;
use crate::cli::Global;
use crate::restore::{self, RestoreError};

pub fn run(global: &Global, environment: &str) -> ExitStatus {
    let assets = match super::assets(global) {
        Ok(assets) => assets,
        Err(status) => return status,
    };
    match restore::offsite_bucket(&global.dir, &assets, environment, super::today()) {
        Ok(json) => out(&json),
        Err(RestoreError::Usage(message)) => fail(message),
        Err(e) => fail(e),
    }
}
