//! What a plan reads: the environment a request names (by name, file stem or path), its Velero
//! settings and its replication manager.

use super::error::{RestoreError, usage};
use crate::environment::model::Environment;
use crate::render::context::{self, EnvView};
use crate::render::templates::Templates;
use crate::validate::{self, Outcome};
use std::path::{Path, PathBuf};

pub(super) struct Cx<'a> {
    pub(super) env: &'a Environment,
    pub(super) view: &'a EnvView,
    pub(super) templates: &'a Templates,
    pub(super) manager: Option<&'a str>,
}

/// The environment the argument names (by name, file stem or path).
pub(super) fn find<'o>(
    outcome: &'o Outcome,
    want: &str,
    dir: &Path,
) -> Result<&'o validate::Checked, RestoreError> {
    let found = outcome.environments.iter().find(|c| {
        let path = &outcome.sources.get(c.loaded.file).path;
        c.loaded.name == want
            || Path::new(path).file_stem().is_some_and(|s| s == want)
            || same_file(path, want)
    });
    found.ok_or_else(|| {
        let names: Vec<&str> = outcome
            .environments
            .iter()
            .map(|c| c.loaded.name.as_str())
            .collect();
        let hint = crate::text::suggest::did_you_mean(want, names.iter().copied())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_else(|| format!("; environments: {}", names.join(", ")));
        usage(format!(
            "no environment named `{want}` in `{}`{hint}",
            dir.display()
        ))
    })
}

fn same_file(a: &str, b: &str) -> bool {
    matches!(
        (PathBuf::from(a).canonicalize(), PathBuf::from(b).canonicalize()),
        (Ok(x), Ok(y)) if x == y
    )
}

pub(super) fn velero_of<'v>(
    view: &'v EnvView,
    env: &str,
) -> Result<&'v context::VeleroView, RestoreError> {
    view.velero.as_ref().ok_or_else(|| {
        usage(format!(
            "environment `{env}` has backups turned off (`backup.enabled: false`): there is nothing to restore"
        ))
    })
}
