//! `ck8s-gen regulations list` and `ck8s-gen regulations explain ID|RULE`.

use super::{fail, out};
use crate::ExitStatus;
use crate::assets::Assets;
use crate::cli::{Global, RegulationsCommand};
use crate::compliance::catalog::Catalog;
use crate::compliance::regulations;
use crate::diagnostic::Format;

pub fn run(global: &Global, command: &RegulationsCommand) -> ExitStatus {
    let catalog = match Assets::with_overrides(global.schemas.as_deref(), None)
        .map_err(|e| e.to_string())
        .and_then(|assets| Catalog::load(&assets))
    {
        Ok(catalog) => catalog,
        Err(e) => return fail(e),
    };
    let as_json = global.format == Format::Json;
    match command {
        RegulationsCommand::List => out(&regulations::list(&catalog, as_json)),
        RegulationsCommand::Explain { id } => match regulations::explain(&catalog, id, as_json) {
            Ok(text) => out(&text),
            Err(message) => fail(message),
        },
    }
}
