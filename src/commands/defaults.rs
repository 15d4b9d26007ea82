//! `ck8s-gen defaults` and `ck8s-gen schema`: print the embedded model files (the editor
//! schema is made from the environment schema, see [`crate::schema::editor_schema`]).

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

pub fn schema(global: &Global, effective: bool) -> ExitStatus {
    if effective {
        return print_schema_file(global, ENVIRONMENT_SCHEMA);
    }
    let assets = match Assets::with_overrides(global.schemas.as_deref(), None) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let Some(text) = assets.schema(ENVIRONMENT_SCHEMA) else {
        return fail(format!("no `{ENVIRONMENT_SCHEMA}` among the schemas"));
    };
    match serde_json::from_str(text) {
        Ok(strict) => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::schema::editor_schema(&strict))
                .unwrap_or_default()
        )),
        Err(e) => fail(format!("`{ENVIRONMENT_SCHEMA}` is not JSON: {e}")),
    }
}
