//! `ck8s-gen offsite-bucket ENV`: print the off-site bucket's versioning, object-lock and
//! lifecycle configuration (JSON) to stdout.

use super::{Error, fail, out};
use crate::ExitStatus;
use crate::cli::{Global, OffsiteBucketArgs};
use crate::restore;

pub fn run(global: &Global, args: &OffsiteBucketArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = super::assets(global)?;
    let json =
        restore::offsite_bucket(&global.dir, &assets, &args.environment, today).map_err(fail)?;
    out(&json)?;
    Ok(ExitStatus::Success)
}
