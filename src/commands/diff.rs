//! `ck8s-gen diff`: compare the fleet at a git revision (or a rendered tree) with the working
//! tree, and print the changes as text, Markdown or JSON.

use super::{Error, assets, err, fail, out, use_color};
use crate::ExitStatus;
use crate::assets::{Assets, ENVIRONMENT_SCHEMA};
use crate::cli::{DiffArgs, Global};
use crate::diagnostic::Format;
use crate::diff::{self, Snapshot, snapshot::Files};
use crate::render::{self, Input};
use crate::validate::{self, Outcome, Request};
use std::collections::BTreeSet;
use std::path::Path;

pub fn run(global: &Global, args: &DiffArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = assets(global)?;
    let sensitive = crate::schema::EnvironmentSchema::compile(
        assets.schema(ENVIRONMENT_SCHEMA).unwrap_or("{}"),
    )
    .map(|schema| crate::schema::explain::sensitive_keys(&schema))
    .map_err(fail)?;
    let head = snapshot_of(&global.dir, "working tree", &assets, &sensitive, today)?;
    let (base, head) = match (args.base.as_deref(), args.against.as_deref()) {
        (Some(revision), _) => {
            let tmp = tempfile::tempdir()
                .map_err(|e| fail(format!("cannot create a temporary directory: {e}")))?;
            let base = match diff::snapshot::extract_revision(revision, &global.dir, tmp.path())
                .map_err(fail)?
            {
                Some(dir) => snapshot_of(&dir, revision, &assets, &sensitive, today)?,
                None => Snapshot {
                    label: revision.to_owned(),
                    ..Snapshot::default()
                },
            };
            (base, head)
        }
        (None, Some(dir)) => {
            let base =
                Snapshot::from_rendered_dir(&dir.display().to_string(), dir).map_err(fail)?;
            // A rendered tree has no settings or findings: compare objects only.
            (base, objects_only(head))
        }
        (None, None) => return Err(fail("give --base REV or --against DIR")),
    };
    let (base, head) = (
        only(base, &args.environments),
        only(head, &args.environments),
    );
    let report = diff::compare(&base, &head);
    // `--color always` colours a pipe too; `auto` only a terminal.
    let colored = matches!(global.format, Format::Human | Format::Github)
        && use_color(global.color)
        && (global.color == crate::cli::ColorChoice::Always
            || std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let text = match global.format {
        Format::Markdown => diff::markdown(&report),
        Format::Json => diff::to_json(&report),
        Format::Github => diff::github(&report),
        Format::Human => diff::text(&report, colored),
    };
    // Values never carry control bytes into a CI log or a pull-request comment (credentials
    // are masked by `out`). Coloured text was neutralized piece by piece before its colour
    // codes were added (`diff::text`).
    let text = if colored {
        text
    } else {
        crate::secrets::redact::neutralize(&text).into_owned()
    };
    out(&text)?;
    Ok(if report.is_empty() || args.exit_zero {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Validate and render the environments in `dir`. Invalid environments still contribute their
/// settings and findings; only valid ones are rendered.
fn snapshot_of(
    dir: &Path,
    label: &str,
    assets: &Assets,
    sensitive: &BTreeSet<String>,
    today: i64,
) -> Result<Snapshot, Error> {
    let outcome: Outcome = validate::validate_lean(&Request {
        dir,
        only: &[],
        assets,
        today,
    })
    .map_err(|e| fail(format!("{label}: {e}")))?;
    // Every environment the schema accepted is rendered, even with regulatory findings, so a
    // reviewer sees what the change does to the manifests as well as to compliance.
    let inputs: Vec<Input<'_>> = outcome
        .environments
        .iter()
        .filter_map(|c| c.environment.as_ref().map(|e| (c, e)))
        .map(|(checked, environment)| {
            let path = &outcome.sources.get(checked.loaded.file).path;
            let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
            Input {
                environment,
                effective: checked.settings(),
                file: format!("environments/{file_name}"),
            }
        })
        .collect();
    let bundle =
        render::render_inputs(&inputs, assets).map_err(|e| fail(format!("{label}: {e}")))?;
    let files: Files = bundle
        .files
        .iter()
        .map(|(p, b)| (p.clone(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    if outcome.has_failures() {
        err(&format!(
            "note: {label} has validation errors (shown in the compliance part of the diff)\n"
        ));
    }
    Snapshot::from_outcome(label, &outcome, &files, sensitive).map_err(fail)
}

fn objects_only(mut snapshot: Snapshot) -> Snapshot {
    for env in snapshot.environments.values_mut() {
        env.settings.clear();
        env.findings.clear();
    }
    snapshot.environments.retain(|_, e| !e.objects.is_empty());
    snapshot
}

fn only(mut snapshot: Snapshot, environments: &[String]) -> Snapshot {
    if !environments.is_empty() {
        snapshot
            .environments
            .retain(|name, _| environments.contains(name));
    }
    snapshot
}
