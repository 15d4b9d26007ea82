//! `ck8s-gen defaults` and `ck8s-gen schema`: print the embedded model files.

use super::{fail, out};
use crate::ExitStatus;
use crate::assets::{Assets, DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::cli::Global;

fn print_schema_file(global: &Global, name: &str) -> ExitStatus {
    match Assets::with_overrides(global.schemas.as_deref(), None) {
        Ok(assets) => match assets.schema(name) {
            Some(text) => out(text),
            None => fail(format!("no `{name}` among the schemas")),
        },
        Err(e) => fail(e),
    }
}

pub fn run(global: &Global) -> ExitStatus {
    print_schema_file(global, DEFAULTS)
}

pub fn schema(global: &Global) -> ExitStatus {
    print_schema_file(global, ENVIRONMENT_SCHEMA)
}
