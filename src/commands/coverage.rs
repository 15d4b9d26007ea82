//! `ck8s-gen coverage [ENV…]`: what is in the backups.

use super::{Error, assets, fail, out, validated};
use crate::ExitStatus;
use crate::cli::{CoverageArgs, Global};
use crate::evidence::coverage;

pub fn run(global: &Global, args: &CoverageArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = assets(global)?;
    let outcome = validated(global, &assets, &args.environments, today)?;
    let templates = crate::render::templates::Templates::new(&assets).map_err(fail)?;
    let all: Vec<coverage::Coverage> = outcome
        .valid()
        .map(|(_, env)| coverage::of(&templates, env))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    if args.json || global.format == crate::diagnostic::Format::Json {
        out(&coverage::to_json(&all))?;
    } else {
        out(&all
            .iter()
            .map(coverage::to_markdown)
            .collect::<Vec<_>>()
            .join("\n"))?;
    }
    Ok(ExitStatus::Success)
}
