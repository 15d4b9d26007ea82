//! `ck8s-gen explain KEY`.

use super::{Error, assets, fail, out};
use crate::ExitStatus;
use crate::assets::{DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::cli::{ExplainArgs, Global};
use crate::schema::EnvironmentSchema;
use crate::schema::explain;

pub fn run(global: &Global, args: &ExplainArgs) -> Result<ExitStatus, Error> {
    let key = args.key.as_str();
    let assets = assets(global)?;
    let schema = EnvironmentSchema::compile(assets.schema(ENVIRONMENT_SCHEMA).unwrap_or("{}"))
        .map_err(fail)?;
    let defaults = assets
        .schema(DEFAULTS)
        .and_then(|t| crate::yaml::documents(t).ok())
        .and_then(|mut d| d.pop())
        .unwrap_or_default();
    let Some(mut explanation) = explain::explain(&schema, &defaults, key) else {
        let keys = explain::all_keys(&schema);
        let hint = crate::text::suggest::did_you_mean(key, keys.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(fail(format!(
            "the environment file has no key `{key}`{hint}"
        )));
    };
    explanation.rules = crate::compliance::rules_for_key(&assets, &explain::pointer_of(key));
    if args.json || global.format == crate::diagnostic::Format::Json {
        out(&explain::to_json(&explanation))?;
    } else {
        out(&explain::to_text(&explanation))?;
    }
    Ok(ExitStatus::Success)
}
