//! `ck8s-gen argocd plugin|init|generate`: the Argo CD Config Management Plugin.

use super::{Error, assets, err, fail, out};
use crate::ExitStatus;
use crate::argocd::{self, Selection};
use crate::assets::ENVIRONMENT_SCHEMA;
use crate::cli::{ArgocdCommand, Global};
use crate::diagnostic::{self, Format};
use crate::render::{self, Options};
use crate::validate::{self, Outcome, Request};
use std::path::PathBuf;

pub fn run(global: &Global, command: &ArgocdCommand, today: i64) -> Result<ExitStatus, Error> {
    match command {
        ArgocdCommand::Plugin => plugin(global),
        ArgocdCommand::Init => {
            let (selection, _) = prepare(global, today)?;
            err(&format!("ck8s-gen: `{}` is valid\n", selection.environment));
            Ok(ExitStatus::Success)
        }
        ArgocdCommand::Generate => generate(global, today),
    }
}

fn plugin(global: &Global) -> Result<ExitStatus, Error> {
    let assets = assets(global)?;
    let (title, help) = crate::schema::EnvironmentSchema::compile(
        assets.schema(ENVIRONMENT_SCHEMA).unwrap_or("{}"),
    )
    .map_err(fail)?
    .annotations_at("/metadata/name");
    out(&argocd::plugin_yaml(&title, &help))?;
    Ok(ExitStatus::Success)
}

/// Choose and validate the environment. Findings go to stderr; any error stops the run.
fn prepare(global: &Global, today: i64) -> Result<(Selection, Outcome), Error> {
    let vars = std::env::vars().collect();
    let selection = argocd::select(&vars).map_err(fail)?;
    let dir = if global.dir.as_path() == std::path::Path::new("environments") {
        PathBuf::from(&selection.dir)
    } else {
        global.dir.clone()
    };
    let assets = assets(global)?;
    let request = Request {
        dir: &dir,
        only: &[],
        assets: &assets,
        today,
    };
    let outcome = match narrow(&request, &selection.environment) {
        Some(outcome) => outcome,
        None => validate::validate_lean(&request).map_err(fail)?,
    };
    if !outcome
        .environments
        .iter()
        .any(|c| c.loaded.name == selection.environment)
    {
        let names: Vec<&str> = outcome
            .environments
            .iter()
            .map(|c| c.loaded.name.as_str())
            .collect();
        let hint =
            crate::text::suggest::did_you_mean(&selection.environment, names.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
        return Err(fail(format!(
            "no environment named `{}` (from {}) in `{}`{hint}",
            selection.environment,
            selection.source,
            dir.display()
        )));
    }
    // The CMP server shows stderr in the UI: findings as plain text, never colour. Another
    // environment's findings are not this Application's business: an error elsewhere blocks
    // this environment only when its output depends on it (see `validate::Checked::blocked`).
    let relevant: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| {
            d.environment
                .as_deref()
                .is_none_or(|e| e == selection.environment)
        })
        .cloned()
        .collect();
    let text = diagnostic::render(Format::Human, &relevant, &outcome.sources, false);
    let blocked = outcome
        .environments
        .iter()
        .any(|c| c.loaded.name == selection.environment && c.blocked);
    if blocked {
        // Its own errors, or those of the environments whose sync jobs it runs.
        let blocking: Vec<_> = outcome
            .diagnostics
            .iter()
            .filter(|d| {
                d.blocks_output()
                    || d.environment
                        .as_deref()
                        .is_none_or(|e| e == selection.environment)
            })
            .cloned()
            .collect();
        let mut text = diagnostic::render(Format::Human, &blocking, &outcome.sources, false);
        text.push_str(
            "error: ck8s-gen refuses to render: fix the validation errors above (nothing was printed, so Argo CD prunes nothing)\n",
        );
        return Err(Error::Failure(text));
    }
    if !relevant.is_empty() {
        err(&text);
    }
    if let Some((_, environment)) = outcome
        .valid()
        .find(|(loaded, _)| loaded.name == selection.environment)
    {
        argocd::check_engine(environment).map_err(fail)?;
    }
    Ok((selection, outcome))
}

/// The plugin's cost is one environment's: a workload environment's output depends only on
/// itself (and `common.yaml`), and its fleet checks on its off-site manager, so only those
/// files are validated and rendered. A management environment runs the sync jobs of the
/// workloads that name it, so it gets those (see [`served`]). Anything unclear gets the whole
/// directory: `None`.
fn narrow(request: &Request<'_>, environment: &str) -> Option<Outcome> {
    let chosen = crate::environment::load::discover(request.dir, &[environment.to_owned()]).ok()?;
    let first = validate::validate_files(request, &chosen).ok()?;
    let checked = first
        .environments
        .iter()
        .find(|c| c.loaded.name == environment)?;
    let value = checked.value();
    match value.pointer("/cluster/role").and_then(|v| v.as_str()) {
        Some("workload") => {}
        Some("management") => return served(request, environment, chosen),
        _ => return None,
    }
    let offsite =
        value.pointer("/replication/offsite/enabled") == Some(&serde_json::Value::Bool(true));
    match value
        .pointer("/replication/offsite/managedBy")
        .and_then(|v| v.as_str())
        .filter(|_| offsite)
    {
        None => Some(first),
        Some(manager) => {
            let mut files = chosen;
            files.extend(
                crate::environment::load::discover(request.dir, &[manager.to_owned()]).ok()?,
            );
            validate::validate_files(request, &files).ok()
        }
    }
}

/// A management environment with the files that may name it in `managedBy`: only a file that
/// holds its name can (or one with a backslash, whose escapes could spell it; or one that cannot
/// be read, which loading then reports as it would in the whole directory), so the others are
/// listed, scanned as bytes and never parsed. When `common.yaml` could name it (for every
/// workload at once), the whole directory: `None`.
fn served(request: &Request<'_>, environment: &str, chosen: Vec<PathBuf>) -> Option<Outcome> {
    if may_name(
        &request.dir.join(crate::environment::load::COMMON_FILE),
        environment,
    ) {
        return None;
    }
    let mut files = chosen;
    let others = crate::environment::load::discover(request.dir, &[]).ok()?;
    // Every other file is read once, in parallel, and searched as bytes (never decoded or
    // parsed): the residual cost of a management environment grows with the directory.
    use rayon::prelude::*;
    let naming: Vec<PathBuf> = others
        .into_par_iter()
        .filter(|path| !files.contains(path) && may_name(path, environment))
        .collect();
    files.extend(naming);
    files.sort();
    files.dedup();
    validate::validate_files(request, &files).ok()
}

/// Whether the file at `path` may name `name`: it holds the name or a backslash, or it cannot
/// be read whole (too large, unreadable). A missing file names nothing.
fn may_name(path: &std::path::Path, name: &str) -> bool {
    let limit = crate::yaml::MAX_FILE_BYTES as u64;
    match crate::source::safefs::read_limited(path, limit) {
        Ok(None) => false,
        Ok(Some(bytes)) => {
            bytes.len() as u64 > limit
                || memchr::memchr(b'\\', &bytes).is_some()
                || (!name.is_empty() && memchr::memmem::find(&bytes, name.as_bytes()).is_some())
        }
        Err(_) => true,
    }
}

fn generate(global: &Global, today: i64) -> Result<ExitStatus, Error> {
    let (selection, outcome) = prepare(global, today)?;
    let assets = assets(global)?;
    let bundle = render::render(
        &outcome,
        &assets,
        &Options {
            source_label: selection.dir.clone(),
        },
    )
    .map_err(fail)?;
    let stream = argocd::plugin_stream(&bundle, &selection.environment).map_err(fail)?;
    if stream.trim().is_empty() {
        // An empty stream with auto-prune would delete every resource of the Application.
        return Err(fail(format!(
            "`{}` renders no objects; refusing to print an empty stream",
            selection.environment
        )));
    }
    out(&stream)?;
    Ok(ExitStatus::Success)
}
