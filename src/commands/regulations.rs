//! `ck8s-gen regulations list` and `ck8s-gen regulations explain ID|RULE`.

use super::{Error, fail, out};
use crate::ExitStatus;
use crate::assets::Assets;
use crate::cli::{Global, RegulationsArgs, RegulationsCommand};
use crate::compliance::catalog::Catalog;
use crate::compliance::regulations;
use crate::diagnostic::Format;

pub fn run(global: &Global, args: &RegulationsArgs) -> Result<ExitStatus, Error> {
    let assets = Assets::with_overrides(global.schemas.as_deref(), None).map_err(fail)?;
    let catalog = Catalog::load(&assets).map_err(fail)?;
    let as_json = global.format == Format::Json;
    match &args.command {
        RegulationsCommand::List => out(&regulations::list(&catalog, as_json))?,
        RegulationsCommand::Explain { id } => {
            out(&regulations::explain(&catalog, id, as_json).map_err(fail)?)?;
        }
    }
    Ok(ExitStatus::Success)
}
