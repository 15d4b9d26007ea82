//! `ck8s-gen explain KEY`.

use super::{assets, fail, out};
use crate::ExitStatus;
use crate::assets::{DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::cli::Global;
use crate::schema::EnvironmentSchema;
use crate::schema::explain;

pub fn run(global: &Global, key: &str, json: bool) -> ExitStatus {
    let assets = match assets(global) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let schema = match EnvironmentSchema::compile(assets.schema(ENVIRONMENT_SCHEMA).unwrap_or("{}"))
    {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
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
        return fail(format!("the environment file has no key `{key}`{hint}"));
    };
    explanation.rules = crate::compliance::rules_for_key(&assets, &explain::pointer_of(key));
    if json || global.format == crate::diagnostic::Format::Json {
        out(&explain::to_json(&explanation))
    } else {
        out(&explain::to_text(&explanation))
    }
}
