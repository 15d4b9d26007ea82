//! Rendering: valid environments → the files a GitOps engine applies.
//!
//! Output layout (paths relative to the output directory, default `rendered/`):
//!
//! ```text
//! .ck8s-gen-manifest                     files owned by ck8s-gen (see `crate::tree`)
//! _fleet/applicationset-ck8s-gen-backups.yaml   Argo CD: one app-of-apps per argocd environment
//! <env>/manifests/<kind>-<name>.yaml     plain objects: Schedules, BackupStorageLocations,
//!                                        rclone CronJobs (management environments), Namespace
//! <env>/release/<kind>-<name>.yaml       Flux: HelmRepository or OCIRepository + HelmRelease
//! <env>/flux/kustomization-<name>.yaml   Flux entry point: Kustomization `ck8s-gen-velero`
//!                                        (→ release/, waits for the HelmRelease) and
//!                                        `ck8s-gen-manifests` (→ manifests/, dependsOn it)
//! <env>/argocd/application-<name>.yaml   Argo CD: the chart (wave 0) and the manifests (wave 1)
//! ```
//!
//! Every file starts with a header naming the tool version and the environment files it comes
//! from, and `# input-sha256:` over the tool version and the effective environments. No
//! timestamps: the same input gives the same bytes on every machine.
//!
//! Each object is produced by a template (see `templates`), parsed back into its typed form
//! (see `objects`) and emitted canonically, so a template mistake is an error naming the
//! template, never a broken file.

pub mod alerts;
pub mod context;
mod files;
mod fleet;
pub mod objects;
pub mod offsite;
mod per_environment;
pub mod restore_test;
pub mod templates;

use crate::assets::Assets;
use crate::environment::model::{Engine, Environment};
use crate::validate::Outcome;
use context::{EnvView, base_labels};
use minijinja::value::Serde;
use minijinja::{Value, context};
use objects::velero_values::VeleroValues;
use objects::{Canonical, Object};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use templates::{TemplateError, Templates};

use files::*;
use fleet::*;
use per_environment::*;
pub use per_environment::{chart_values, restore_test_objects, schedules};

/// Tool version written into every header and hashed into every input hash.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Directory of fleet-wide objects.
pub const FLEET_DIR: &str = "_fleet";

/// Template names (paths under `templates/`).
pub mod names {
    /// Name the Argo CD plugin is registered under; Applications use `ck8s-gen-v1` (name +
    /// version).
    pub const PLUGIN_NAME: &str = "ck8s-gen";
    pub const PLUGIN_VERSION: &str = "v1";
    pub const SCHEDULE: &str = "velero/schedule.yaml.j2";
    pub const BSL: &str = "velero/backupstoragelocation.yaml.j2";
    pub const VALUES: &str = "velero/values.yaml.j2";
    pub const HELM_REPOSITORY: &str = "flux/helmrepository.yaml.j2";
    pub const OCI_REPOSITORY: &str = "flux/ocirepository.yaml.j2";
    pub const HELM_RELEASE: &str = "flux/helmrelease.yaml.j2";
    pub const KUSTOMIZATION: &str = "flux/kustomization.yaml.j2";
    pub const APP_CHART: &str = "argocd/application-chart.yaml.j2";
    pub const APP_MANIFESTS: &str = "argocd/application-manifests.yaml.j2";
    pub const APPLICATION_SET: &str = "argocd/applicationset.yaml.j2";
    pub const APPLICATION_SET_PLUGIN: &str = "argocd/applicationset-plugin.yaml.j2";
    pub const NAMESPACE: &str = "offsite/namespace.yaml.j2";
    pub const CRONJOB: &str = "offsite/cronjob.yaml.j2";
    pub const PROMETHEUS_RULE: &str = "monitoring/prometheusrule.yaml.j2";
    pub const RESTORE: &str = "restore/restore.yaml.j2";
    pub const TEST_CONFIGMAP: &str = "restore-test/configmap.yaml.j2";
    pub const TEST_CRONJOB: &str = "restore-test/cronjob.yaml.j2";
    pub const TEST_HISTORY: &str = "restore-test/history.yaml.j2";
    pub const TEST_POLICY: &str = "restore-test/policy.yaml.j2";
    pub const TEST_POLICY_BINDING: &str = "restore-test/policybinding.yaml.j2";
    pub const TEST_ROLE: &str = "restore-test/role.yaml.j2";
    pub const TEST_ROLEBINDING: &str = "restore-test/rolebinding.yaml.j2";
    pub const TEST_SERVICEACCOUNT: &str = "restore-test/serviceaccount.yaml.j2";
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Template(#[from] TemplateError),
    #[error("template `{template}` produced an invalid object: {source}")]
    Object {
        template: String,
        #[source]
        source: objects::ObjectError,
    },
    #[error(transparent)]
    Context(#[from] context::ContextError),
    #[error("the environments have validation errors; nothing is rendered")]
    Invalid,
    #[error("two objects would be written to `{0}`")]
    Collision(String),
}

/// How the tree is labelled.
#[derive(Clone, Debug)]
pub struct Options {
    /// How environment files are named in headers: `<label>/<file name>`, e.g. `environments`.
    pub source_label: String,
}

/// One object of the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedObject {
    /// The environment whose tree holds it; `None` for fleet objects.
    pub environment: Option<String>,
    pub path: String,
    pub id: objects::ObjectId,
    /// Where the canonical YAML of the object (without header or `---`) sits in the bytes of
    /// its file: see [`Bundle::yaml`]. Not a copy: a fleet's tree is tens of megabytes.
    pub range: std::ops::Range<usize>,
}

/// Everything a render produces: file path (relative, `/`-separated) → bytes, plus the objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
    pub objects: Vec<RenderedObject>,
    /// Names of the rendered environments.
    pub environments: Vec<String>,
}

impl Bundle {
    /// The canonical YAML of one of the bundle's objects.
    pub fn yaml(&self, object: &RenderedObject) -> &str {
        self.files
            .get(&object.path)
            .and_then(|bytes| bytes.get(object.range.clone()))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// One `---`-separated stream of the objects of `environments` (all, with the fleet, when
    /// empty), in path order, each preceded by a `# Source:` comment.
    pub fn stream(&self, environments: &[String]) -> String {
        let mut out = String::new();
        for object in &self.objects {
            let selected = match &object.environment {
                Some(env) => environments.is_empty() || environments.contains(env),
                None => environments.is_empty(),
            };
            if selected {
                out.push_str("---\n# Source: ");
                out.push_str(&object.path);
                out.push('\n');
                out.push_str(self.yaml(object));
            }
        }
        out
    }
}

/// One valid environment to render.
pub struct Input<'a> {
    pub environment: &'a Environment,
    /// The effective (layered) environment, hashed into the header.
    pub effective: crate::validate::Settings<'a>,
    /// The environment file as shown in headers.
    pub file: String,
}

/// The environments of a validation outcome whose output nothing blocks (see
/// [`crate::validate::Checked::blocked`]): an error in one environment never stops another.
pub fn inputs<'a>(outcome: &'a Outcome, options: &Options) -> Result<Vec<Input<'a>>, RenderError> {
    Ok(outcome
        .environments
        .iter()
        .filter(|c| !c.blocked)
        .filter_map(|c| c.environment.as_ref().map(|e| (c, e)))
        .map(|(checked, environment)| {
            let path = outcome.sources.get(checked.loaded.file).path.clone();
            let file_name = path.rsplit(['/', '\\']).next().unwrap_or(&path).to_owned();
            Input {
                environment,
                effective: checked.settings(),
                file: format!("{}/{file_name}", options.source_label),
            }
        })
        .collect())
}

/// Render every environment of `outcome` that nothing blocks.
pub fn render(
    outcome: &Outcome,
    assets: &Assets,
    options: &Options,
) -> Result<Bundle, RenderError> {
    render_inputs(&inputs(outcome, options)?, assets)
}
/// One rendered file: its path (relative, `/`-separated), its bytes, the objects in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub objects: Vec<RenderedObject>,
}

/// Render a set of environments (assumed valid) into a bundle.
pub fn render_inputs(inputs: &[Input<'_>], assets: &Assets) -> Result<Bundle, RenderError> {
    let files = Mutex::new(Vec::new());
    let environments = render_each(inputs, assets, &|file| {
        files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(file);
    })?;
    let mut files = files.into_inner().unwrap_or_else(PoisonError::into_inner);
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let mut bundle = Bundle {
        environments,
        ..Bundle::default()
    };
    for file in files {
        bundle.objects.extend(file.objects);
        bundle.files.insert(file.path, file.bytes);
    }
    Ok(bundle)
}

/// Render a set of environments (assumed valid), handing every file to `sink` as soon as it is
/// complete: from several threads, in no particular order, each path once. Nothing rendered is
/// kept here, so memory does not grow with the fleet's output. On an error the files already
/// handed over are an incomplete render: the caller discards them. Returns the names of the
/// rendered environments, sorted.
pub fn render_each(
    inputs: &[Input<'_>],
    assets: &Assets,
    sink: &(dyn Fn(RenderedFile) + Sync),
) -> Result<Vec<String>, RenderError> {
    let templates = Templates::new(assets)?;
    let headers = Headers::new(inputs);
    // Off-site objects live in the trees of the environments running them: made and written
    // with the rest of their manager's tree.
    let served = served(inputs);
    let metrics: HashMap<&str, bool> = inputs
        .iter()
        .map(|i| {
            (
                i.environment.metadata.name.as_str(),
                i.environment.gitops.metrics,
            )
        })
        .collect();
    // Each environment's tree in parallel, written as soon as it is complete: only what the
    // ApplicationSets need is kept of it.
    let members: Vec<Option<Member>> = inputs
        .par_iter()
        .enumerate()
        .map(|(at, input)| {
            let view = context::env_view(input.environment)?;
            let mut pieces = environment_pieces(&templates, input.environment, &view)?;
            if let Some(served) = served.get(&at) {
                let name = view.name.as_str();
                let manager_metrics = metrics.get(name).copied().unwrap_or(false);
                pieces.extend(offsite_pieces(&templates, manager_metrics, served)?);
            }
            let under = |pieces: &[Piece], dir: &str| {
                let prefix = format!("{}/{dir}/", view.name);
                pieces.iter().any(|p| p.path.starts_with(&prefix))
            };
            if under(&pieces, "manifests") {
                pieces.push(manifest_wrapper(&templates, &view)?);
            }
            let has_apps = under(&pieces, "argocd");
            assemble(pieces, &headers, sink)?;
            Ok(has_apps.then_some(Member {
                name: view.name,
                gitops: view.gitops,
            }))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, RenderError>>()?;
    let with_apps: Vec<&Member> = members.iter().flatten().collect();
    assemble(fleet_pieces(&templates, &with_apps)?, &headers, sink)?;
    Ok(headers.names())
}

/// Render template `name` into its typed object.
pub(crate) fn object(
    templates: &Templates,
    name: &str,
    context: &impl Serialize,
) -> Result<Object, RenderError> {
    let text = templates.render(name, context)?;
    Object::parse(&text).map_err(|source| RenderError::Object {
        template: name.to_owned(),
        source,
    })
}

/// Render template `name` and check the object it writes, keeping its canonical value.
pub(crate) fn canonical(
    templates: &Templates,
    name: &str,
    context: &impl Serialize,
) -> Result<Canonical, RenderError> {
    let text = templates.render(name, context)?;
    Object::check(&text).map_err(|source| RenderError::Object {
        template: name.to_owned(),
        source,
    })
}
