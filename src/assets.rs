//! The schemas, defaults and templates ck8s-gen ships inside its binary, and the
//! `--schemas DIR` / `--templates DIR` overrides that replace them file by file.

use std::borrow::Cow;
use std::path::Path;

/// One embedded text file, by its path relative to `schemas/` or `templates/`.
pub type Embedded = (&'static str, &'static str);

pub const ENVIRONMENT_SCHEMA: &str = "environment.schema.json";
pub const DEFAULTS: &str = "defaults.yaml";

/// Files under `schemas/`.
pub const SCHEMAS: &[Embedded] = &[
    (
        ENVIRONMENT_SCHEMA,
        include_str!("../schemas/environment.schema.json"),
    ),
    (DEFAULTS, include_str!("../schemas/defaults.yaml")),
    (
        "regulations/bsi-app.4.4.a5.json",
        include_str!("../schemas/regulations/bsi-app.4.4.a5.json"),
    ),
    (
        "regulations/conflicts.json",
        include_str!("../schemas/regulations/conflicts.json"),
    ),
    (
        "regulations/cross-cutting.json",
        include_str!("../schemas/regulations/cross-cutting.json"),
    ),
    (
        "regulations/dora-art-12.json",
        include_str!("../schemas/regulations/dora-art-12.json"),
    ),
    (
        "regulations/gdpr-art-17.json",
        include_str!("../schemas/regulations/gdpr-art-17.json"),
    ),
    (
        "regulations/hipaa-164.308-a7.json",
        include_str!("../schemas/regulations/hipaa-164.308-a7.json"),
    ),
    (
        "regulations/hslf-fs-2016-40.json",
        include_str!("../schemas/regulations/hslf-fs-2016-40.json"),
    ),
    (
        "regulations/iso-27001-a.12.3.1.json",
        include_str!("../schemas/regulations/iso-27001-a.12.3.1.json"),
    ),
    (
        "regulations/msbfs-2020-7.json",
        include_str!("../schemas/regulations/msbfs-2020-7.json"),
    ),
    (
        "regulations/nis2-art-21.json",
        include_str!("../schemas/regulations/nis2-art-21.json"),
    ),
];

/// Files under `templates/` (minijinja; see `render::templates`), sorted by name.
pub const TEMPLATES: &[Embedded] = &[
    (
        "argocd/application-chart.yaml.j2",
        include_str!("../templates/argocd/application-chart.yaml.j2"),
    ),
    (
        "argocd/application-manifests.yaml.j2",
        include_str!("../templates/argocd/application-manifests.yaml.j2"),
    ),
    (
        "argocd/applicationset.yaml.j2",
        include_str!("../templates/argocd/applicationset.yaml.j2"),
    ),
    (
        "argocd/applicationset-plugin.yaml.j2",
        include_str!("../templates/argocd/applicationset-plugin.yaml.j2"),
    ),
    (
        "flux/helmrelease.yaml.j2",
        include_str!("../templates/flux/helmrelease.yaml.j2"),
    ),
    (
        "flux/helmrepository.yaml.j2",
        include_str!("../templates/flux/helmrepository.yaml.j2"),
    ),
    (
        "flux/kustomization.yaml.j2",
        include_str!("../templates/flux/kustomization.yaml.j2"),
    ),
    (
        "flux/ocirepository.yaml.j2",
        include_str!("../templates/flux/ocirepository.yaml.j2"),
    ),
    (
        "monitoring/prometheusrule.yaml.j2",
        include_str!("../templates/monitoring/prometheusrule.yaml.j2"),
    ),
    (
        "offsite/cronjob.yaml.j2",
        include_str!("../templates/offsite/cronjob.yaml.j2"),
    ),
    (
        "offsite/namespace.yaml.j2",
        include_str!("../templates/offsite/namespace.yaml.j2"),
    ),
    (
        "restore-test/configmap.yaml.j2",
        include_str!("../templates/restore-test/configmap.yaml.j2"),
    ),
    (
        "restore-test/cronjob.yaml.j2",
        include_str!("../templates/restore-test/cronjob.yaml.j2"),
    ),
    (
        "restore-test/history.yaml.j2",
        include_str!("../templates/restore-test/history.yaml.j2"),
    ),
    (
        "restore-test/policy.yaml.j2",
        include_str!("../templates/restore-test/policy.yaml.j2"),
    ),
    (
        "restore-test/policybinding.yaml.j2",
        include_str!("../templates/restore-test/policybinding.yaml.j2"),
    ),
    (
        "restore-test/role.yaml.j2",
        include_str!("../templates/restore-test/role.yaml.j2"),
    ),
    (
        "restore-test/rolebinding.yaml.j2",
        include_str!("../templates/restore-test/rolebinding.yaml.j2"),
    ),
    (
        "restore-test/serviceaccount.yaml.j2",
        include_str!("../templates/restore-test/serviceaccount.yaml.j2"),
    ),
    (
        "restore/restore.yaml.j2",
        include_str!("../templates/restore/restore.yaml.j2"),
    ),
    (
        "velero/backupstoragelocation.yaml.j2",
        include_str!("../templates/velero/backupstoragelocation.yaml.j2"),
    ),
    (
        "velero/schedule.yaml.j2",
        include_str!("../templates/velero/schedule.yaml.j2"),
    ),
    (
        "velero/values.yaml.j2",
        include_str!("../templates/velero/values.yaml.j2"),
    ),
];

/// The asset set in use for a run: embedded files, each possibly replaced from a directory.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    pub schemas: Vec<(String, Cow<'static, str>)>,
    pub templates: Vec<(String, Cow<'static, str>)>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read `{path}`: {message}")]
pub struct AssetError {
    pub path: String,
    pub message: String,
}

impl Assets {
    pub fn embedded() -> Assets {
        let own = |files: &[Embedded]| {
            files
                .iter()
                .map(|(n, t)| ((*n).to_owned(), Cow::Borrowed(*t)))
                .collect()
        };
        Assets {
            schemas: own(SCHEMAS),
            templates: own(TEMPLATES),
        }
    }

    /// Embedded assets with files from `schemas` / `templates` directories taking precedence.
    pub fn with_overrides(
        schemas: Option<&Path>,
        templates: Option<&Path>,
    ) -> Result<Assets, AssetError> {
        let mut assets = Assets::embedded();
        if let Some(dir) = schemas {
            overlay(&mut assets.schemas, dir)?;
        }
        if let Some(dir) = templates {
            overlay(&mut assets.templates, dir)?;
        }
        Ok(assets)
    }

    pub fn schema(&self, name: &str) -> Option<&str> {
        self.schemas
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_ref())
    }

    pub fn template(&self, name: &str) -> Option<&str> {
        self.templates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_ref())
    }

    /// Schema files under a folder, e.g. `regulations/`, sorted by name.
    pub fn schemas_under<'a>(
        &'a self,
        folder: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.schemas
            .iter()
            .filter(move |(n, _)| n.starts_with(folder))
            .map(|(n, t)| (n.as_str(), t.as_ref()))
    }
}

/// Largest template or schema file read from `--templates` / `--schemas`.
const MAX_ASSET_BYTES: u64 = 4 * 1024 * 1024;

/// Replace or add the files under `dir` (never following a link: a link, FIFO or device in
/// the tree is an error naming it; bounded depth, count and size).
fn overlay(files: &mut Vec<(String, Cow<'static, str>)>, dir: &Path) -> Result<(), AssetError> {
    let err = |e: crate::source::safefs::FsError| AssetError {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let found = crate::source::safefs::walk(
        dir,
        &|_| true,
        false,
        crate::source::safefs::Limits::default(),
    )
    .map_err(err)?;
    for (name, path) in found {
        let text = crate::source::safefs::read_text(&path, MAX_ASSET_BYTES)
            .map_err(err)?
            .unwrap_or_default();
        match files.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = Cow::Owned(text),
            None => files.push((name, Cow::Owned(text))),
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(())
}
