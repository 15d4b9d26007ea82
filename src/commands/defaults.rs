//! `ck8s-gen defaults` and `ck8s-gen schema`: print the embedded model files (the editor
//! schema is made from the environment schema, see [`crate::schema::editor_schema`]).

use super::{Error, fail, out};
use crate::ExitStatus;
use crate::assets::{Assets, DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::cli::{Global, SchemaArgs};

fn print_schema_file(global: &Global, name: &str) -> Result<ExitStatus, Error> {
    let assets = Assets::with_overrides(global.schemas.as_deref(), None).map_err(fail)?;
    let text = assets
        .schema(name)
        .ok_or_else(|| fail(format!("no `{name}` among the schemas")))?;
    out(text)?;
    Ok(ExitStatus::Success)
}

pub fn run(global: &Global) -> Result<ExitStatus, Error> {
    print_schema_file(global, DEFAULTS)
}

pub fn schema(global: &Global, args: &SchemaArgs) -> Result<ExitStatus, Error> {
    if args.effective {
        return print_schema_file(global, ENVIRONMENT_SCHEMA);
    }
    let assets = Assets::with_overrides(global.schemas.as_deref(), None).map_err(fail)?;
    let text = assets
        .schema(ENVIRONMENT_SCHEMA)
        .ok_or_else(|| fail(format!("no `{ENVIRONMENT_SCHEMA}` among the schemas")))?;
    let strict = serde_json::from_str(text)
        .map_err(|e| fail(format!("`{ENVIRONMENT_SCHEMA}` is not JSON: {e}")))?;
    out(&format!(
        "{}\n",
        serde_json::to_string_pretty(&crate::schema::editor_schema(&strict)).unwrap_or_default()
    ))?;
    Ok(ExitStatus::Success)
}
