//! `ck8s-gen coverage [ENV…]`: what is in the backups.

use super::{assets, fail, out, validated};
use crate::ExitStatus;
use crate::cli::Global;
use crate::evidence::coverage;

pub fn run(global: &Global, environments: &[String], json: bool) -> ExitStatus {
    let assets = match assets(global) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let outcome = match validated(global, &assets, environments) {
        Ok(o) => o,
        Err(status) => return status,
    };
    let templates = match crate::render::templates::Templates::new(&assets) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let all: Vec<coverage::Coverage> = match outcome
        .valid()
        .map(|(_, env)| coverage::of(&templates, env))
        .collect()
    {
        Ok(all) => all,
        Err(e) => return fail(e),
    };
    if json || global.format == crate::diagnostic::Format::Json {
        out(&coverage::to_json(&all))
    } else {
        out(&all
            .iter()
            .map(coverage::to_markdown)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}
