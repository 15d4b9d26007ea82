//! Rendering: valid environments → the files a GitOps engine applies.
//!
//! Output layout (paths relative to the output directory, default `rendered/`):
//!
//! ```text
//! .ck8s-gen-manifest                     files owned by ck8s-gen (see `output`)
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
pub mod objects;
pub mod offsite;
pub mod restore_test;
pub mod templates;

use crate::assets::Assets;
use crate::environment::model::Environment;
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
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use templates::{TemplateError, Templates};

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
    #[error("template `{template}` produced an invalid object: {message}")]
    Object { template: String, message: String },
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
    pub effective: &'a serde_json::Value,
    /// The environment file as shown in headers.
    pub file: String,
}

/// The environments of a validation outcome whose output nothing blocks (see
/// [`crate::validate::Checked::blocked`]): an error in one environment never stops another.
pub fn inputs<'a>(outcome: &'a Outcome, options: &Options) -> Result<Vec<Input<'a>>, RenderError> {
    Ok(outcome
        .valid()
        .map(|(loaded, environment)| {
            let path = outcome.sources.get(loaded.file).path.clone();
            let file_name = path.rsplit(['/', '\\']).next().unwrap_or(&path).to_owned();
            Input {
                environment,
                effective: &loaded.value,
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

/// An object before it is placed in a file.
struct Piece {
    environment: Option<String>,
    path: String,
    /// Environments whose settings the object depends on.
    inputs: Vec<String>,
    object: Emitted,
}

/// An object as it goes into a file: its identity and canonical YAML (or why it could not be
/// written, reported when the file is assembled). Typed objects are emitted as soon as they are
/// made, so a fleet's typed objects never all sit in memory at once.
struct Emitted {
    id: objects::ObjectId,
    yaml: Result<String, String>,
}

fn emit(object: Canonical) -> Emitted {
    Emitted {
        yaml: object.to_yaml(),
        id: object.id,
    }
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
    let views: Vec<EnvView> = inputs
        .par_iter()
        .map(|i| context::env_view(i.environment))
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    // Off-site objects live in the trees of the environments running them: rendered first,
    // then written with the rest of their manager's tree.
    let mut offsite: HashMap<String, Vec<Piece>> = HashMap::new();
    for p in offsite_pieces(&templates, inputs)? {
        let manager = p.environment.clone().unwrap_or_default();
        offsite.entry(manager).or_default().push(p);
    }
    let extra: Vec<Vec<Piece>> = views
        .iter()
        .map(|v| offsite.remove(&v.name).unwrap_or_default())
        .collect();
    // Each environment's tree in parallel, written as soon as it is complete.
    let has_apps: Vec<bool> = inputs
        .par_iter()
        .zip(views.par_iter())
        .zip(extra.into_par_iter())
        .map(|((input, view), extra)| {
            let mut pieces = environment_pieces(&templates, input.environment, view)?;
            pieces.extend(extra);
            let under = |pieces: &[Piece], dir: &str| {
                let prefix = format!("{}/{dir}/", view.name);
                pieces.iter().any(|p| p.path.starts_with(&prefix))
            };
            if under(&pieces, "manifests") {
                pieces.push(manifest_wrapper(&templates, view)?);
            }
            let has_apps = under(&pieces, "argocd");
            assemble(pieces, &headers, sink)?;
            Ok(has_apps)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, RenderError>>()?;
    let with_apps: Vec<&EnvView> = views
        .iter()
        .zip(has_apps)
        .filter_map(|(view, apps)| apps.then_some(view))
        .collect();
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
    Object::parse(&text).map_err(|message| RenderError::Object {
        template: name.to_owned(),
        message,
    })
}

/// Render template `name` and check the object it writes, keeping its canonical value.
pub(crate) fn canonical(
    templates: &Templates,
    name: &str,
    context: &impl Serialize,
) -> Result<Canonical, RenderError> {
    let text = templates.render(name, context)?;
    Object::check(&text).map_err(|message| RenderError::Object {
        template: name.to_owned(),
        message,
    })
}

/// The file name of an object: `<kind-lowercase>-<name>.yaml`.
fn file_name(object: &Canonical) -> String {
    let id = &object.id;
    format!("{}-{}.yaml", id.kind.to_lowercase(), id.name)
}

fn piece(env: &str, dir: &str, object: Canonical) -> Piece {
    Piece {
        environment: Some(env.to_owned()),
        path: format!("{env}/{dir}/{}", file_name(&object)),
        inputs: vec![env.to_owned()],
        object: emit(object),
    }
}

/// The chart values of an environment, typed.
pub fn chart_values(
    templates: &Templates,
    view: &EnvView,
) -> Result<serde_json::Value, RenderError> {
    let text = templates.render(names::VALUES, &context! {env => Value::from(Serde(view))})?;
    let invalid = |message: String| RenderError::Object {
        template: names::VALUES.to_owned(),
        message,
    };
    let mut value =
        crate::yaml::read_template_output(&text).map_err(|e| invalid(format!("not YAML: {e}")))?;
    let chart = crate::schema::chart::Chart::embedded();
    let first = |problems: Vec<crate::schema::chart::ValueProblem>| {
        problems.into_iter().next().map(|p| {
            let hint = p
                .suggestion
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            format!("{}{hint}", p.message)
        })
    };
    // Every key the template wrote is a value of the chart; the keys ck8s-gen relies on are
    // there with their types.
    if let Some(problem) = first(chart.check(&value)) {
        return Err(invalid(problem));
    }
    serde_json::from_value::<VeleroValues>(value.clone())
        .map_err(|e| invalid(format!("not the values ck8s-gen relies on: {e}")))?;
    // The pass-through (checked with file and line by `validate`) goes over them.
    if let Some(extra) = view
        .velero
        .as_ref()
        .and_then(|v| v.chart.pass_through.as_ref())
    {
        crate::schema::chart::merge(&mut value, extra);
        if let Some(problem) = first(chart.check(&value)) {
            return Err(RenderError::Object {
                template: "gitops.chartValues".to_owned(),
                message: problem,
            });
        }
    }
    Ok(value)
}

/// The Schedules of an environment, as `render` writes them.
fn schedule_objects(
    templates: &Templates,
    velero: &context::VeleroView,
    env_value: &Value,
) -> Result<Vec<Canonical>, RenderError> {
    velero
        .schedules
        .iter()
        .map(|schedule| {
            canonical(
                templates,
                names::SCHEDULE,
                &context! {env => env_value.clone(), schedule => Value::from(Serde(schedule))},
            )
        })
        .collect()
}

/// The Schedules of one environment, typed: the very objects `render` writes into
/// `<env>/manifests/` (none when backups are disabled). Coverage and the evidence report
/// describe these, never a second reading of the settings.
pub fn schedules(
    templates: &Templates,
    environment: &Environment,
) -> Result<Vec<objects::velero::Schedule>, RenderError> {
    let view = context::env_view(environment)?;
    let Some(velero) = &view.velero else {
        return Ok(Vec::new());
    };
    schedule_objects(templates, velero, &Value::from(Serde(&view)))?
        .into_iter()
        .map(|o| {
            objects::typed::<objects::velero::Schedule>(&o.value)
                .map(|s| *s)
                .map_err(|message| RenderError::Object {
                    template: names::SCHEDULE.to_owned(),
                    message,
                })
        })
        .collect()
}

const KUSTOMIZATION_VELERO: &str = "ck8s-gen-velero";
const KUSTOMIZATION_MANIFESTS: &str = "ck8s-gen-manifests";

fn environment_pieces(
    templates: &Templates,
    environment: &Environment,
    view: &EnvView,
) -> Result<Vec<Piece>, RenderError> {
    let env = view.name.as_str();
    let mut out = Vec::new();
    let Some(velero) = &view.velero else {
        return Ok(out);
    };
    let test = restore_test::view(environment, view)?;
    if let Some(test) = &test {
        for o in restore_test_objects(templates, test)? {
            out.push(piece(env, "manifests", o));
        }
    }
    if let Some(rule) = alerts::backup_rules(environment, view, test.as_ref()) {
        let o = canonical(templates, names::PROMETHEUS_RULE, &json!({ "rule": rule }))?;
        out.push(piece(env, "manifests", o));
    }
    // Converted once: every template of the environment shares it.
    let env_value = Value::from(Serde(view));
    for o in schedule_objects(templates, velero, &env_value)? {
        out.push(piece(env, "manifests", o));
    }
    for location in &velero.locations {
        let o = canonical(
            templates,
            names::BSL,
            &context! {env => env_value.clone(), location => Value::from(Serde(location))},
        )?;
        out.push(piece(env, "manifests", o));
    }
    let values = chart_values(templates, view)?;
    let values_value = Value::from(Serde(&values));
    let ctx = context! {env => env_value.clone(), values => values_value.clone()};
    match view.gitops.engine {
        "flux" => {
            let source = if view.gitops.flux.source_kind == "OCIRepository" {
                names::OCI_REPOSITORY
            } else {
                names::HELM_REPOSITORY
            };
            out.push(piece(env, "release", canonical(templates, source, &ctx)?));
            out.push(piece(
                env,
                "release",
                canonical(templates, names::HELM_RELEASE, &ctx)?,
            ));
            let k = json!({
                "name": KUSTOMIZATION_VELERO,
                "path": format!("./{}", view.gitops.release_path),
                "depends_on": null,
            });
            out.push(piece(
                env,
                "flux",
                canonical(
                    templates,
                    names::KUSTOMIZATION,
                    &context! {env => env_value.clone(), kustomization => Value::from(Serde(&k))},
                )?,
            ));
        }
        _ => {
            let name = format!("{env}-velero");
            out.push(piece(
                env,
                "argocd",
                canonical(
                    templates,
                    names::APP_CHART,
                    &context! {env => env_value, name => name, values => values_value},
                )?,
            ));
        }
    }
    Ok(out)
}

/// The restore test's objects: ConfigMap (script and Restore), the history ConfigMap,
/// ServiceAccount, Role and RoleBinding (Velero Restores, the history), ClusterRole and
/// ClusterRoleBinding (the scratch namespaces, by name), the ValidatingAdmissionPolicy and its
/// binding (only the rendered Restore), CronJob.
pub fn restore_test_objects(
    templates: &Templates,
    test: &restore_test::RestoreTestView,
) -> Result<Vec<Canonical>, RenderError> {
    let roles = [
        (
            "Role",
            "RoleBinding",
            &test.name,
            Some(&test.namespace),
            &test.velero_rules,
        ),
        (
            "ClusterRole",
            "ClusterRoleBinding",
            &test.cluster_name,
            None,
            &test.cluster_rules,
        ),
    ];
    // Converted once: all templates share it.
    let test = Value::from(Serde(test));
    let mut out = vec![
        canonical(
            templates,
            names::TEST_CONFIGMAP,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_HISTORY,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_POLICY,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_POLICY_BINDING,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_SERVICEACCOUNT,
            &context! {test => test.clone()},
        )?,
    ];
    for (kind, binding, name, namespace, rules) in roles {
        out.push(canonical(
            templates,
            names::TEST_ROLE,
            &context! {test => test.clone(), kind => kind, name => name, namespace => namespace, rules => Value::from(Serde(rules))},
        )?);
        out.push(canonical(
            templates,
            names::TEST_ROLEBINDING,
            &context! {test => test.clone(), kind => binding, role_kind => kind, name => name, namespace => namespace},
        )?);
    }
    out.push(canonical(
        templates,
        names::TEST_CRONJOB,
        &context! {test => test},
    )?);
    Ok(out)
}

/// The wrapper applying `<env>/manifests` (Flux Kustomization or Argo CD Application), for an
/// environment that has manifests.
fn manifest_wrapper(templates: &Templates, view: &EnvView) -> Result<Piece, RenderError> {
    let env = view.name.as_str();
    let o = match view.gitops.engine {
        "flux" => {
            let k = json!({
                "name": KUSTOMIZATION_MANIFESTS,
                "path": format!("./{}", view.gitops.manifests_path),
                // The Schedules and locations need the CRDs and the server from the release.
                "depends_on": view.velero.as_ref().map(|_| KUSTOMIZATION_VELERO),
            });
            canonical(
                templates,
                names::KUSTOMIZATION,
                &context! {env => Value::from(Serde(view)), kustomization => Value::from(Serde(&k))},
            )?
        }
        _ => canonical(
            templates,
            names::APP_MANIFESTS,
            &context! {env => Value::from(Serde(view)), name => format!("{env}-velero-manifests")},
        )?,
    };
    let dir = if view.gitops.engine == "flux" {
        "flux"
    } else {
        "argocd"
    };
    Ok(piece(env, dir, o))
}

/// rclone CronJobs (and their Namespace) in the trees of the managing environments.
fn offsite_pieces(templates: &Templates, inputs: &[Input<'_>]) -> Result<Vec<Piece>, RenderError> {
    let mut out = Vec::new();
    let mut namespaces: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let rendered: HashSet<&str> = inputs
        .iter()
        .map(|i| i.environment.metadata.name.as_str())
        .collect();
    let metrics: HashMap<&str, bool> = inputs
        .iter()
        .map(|i| {
            (
                i.environment.metadata.name.as_str(),
                i.environment.gitops.metrics,
            )
        })
        .collect();
    // The CronJobs (and their alerts) in parallel, in input order; then their namespaces.
    type Job = (Piece, Option<Piece>, String, String, String);
    let jobs: Vec<Result<Option<Job>, RenderError>> = inputs
        .par_iter()
        .map(|input| {
            let env = input.environment;
            let Some(manager) = offsite::manager_of(env) else {
                return Ok(None);
            };
            // Validation guarantees the manager exists and is a management environment; render
            // nothing for it when it is not part of this run.
            if !rendered.contains(manager.as_str()) {
                return Ok(None);
            }
            let job = offsite::rclone_job(env, &manager)?;
            let o = canonical(templates, names::CRONJOB, &json!({"job": job}))?;
            let mut p = piece(&manager, "manifests", o);
            p.inputs.push(env.metadata.name.clone());
            let manager_metrics = metrics.get(manager.as_str()).copied().unwrap_or(false);
            let alert = match alerts::sync_rules(env, &job, manager_metrics) {
                Some(rule) => {
                    let o = canonical(templates, names::PROMETHEUS_RULE, &json!({ "rule": rule }))?;
                    let mut r = piece(&manager, "manifests", o);
                    r.inputs.push(env.metadata.name.clone());
                    Some(r)
                }
                None => None,
            };
            Ok(Some((
                p,
                alert,
                manager,
                job.namespace,
                env.metadata.name.clone(),
            )))
        })
        .collect();
    for job in jobs {
        let Some((p, alert, manager, namespace, user)) = job? else {
            continue;
        };
        out.extend(alert);
        namespaces
            .entry((manager, namespace))
            .or_default()
            .insert(user);
        out.push(p);
    }
    for ((manager, namespace), users) in namespaces {
        let mut labels = base_labels(&manager);
        labels.insert(
            "pod-security.kubernetes.io/enforce".to_owned(),
            "restricted".to_owned(),
        );
        let o = canonical(
            templates,
            names::NAMESPACE,
            &json!({"namespace": namespace, "labels": labels}),
        )?;
        let mut p = piece(&manager, "manifests", o);
        p.inputs.extend(users);
        out.push(p);
    }
    Ok(out)
}

/// The Argo CD ApplicationSet over every argocd environment that has Applications (one per
/// Argo CD namespace).
fn fleet_pieces(templates: &Templates, with_apps: &[&EnvView]) -> Result<Vec<Piece>, RenderError> {
    // Two ApplicationSets per Argo CD namespace at most: one over the committed rendered tree,
    // one over environments that Argo CD renders itself with the ck8s-gen plugin.
    let mut by_namespace: BTreeMap<(String, bool), Vec<&EnvView>> = BTreeMap::new();
    for view in with_apps.iter().filter(|v| v.gitops.engine == "argocd") {
        by_namespace
            .entry((
                view.gitops.argocd.namespace.clone(),
                view.gitops.argocd.plugin,
            ))
            .or_default()
            .push(view);
    }
    let mut out = Vec::new();
    for ((namespace, plugin), mut members) in by_namespace {
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let elements: Vec<BTreeMap<&str, String>> = members
            .iter()
            .map(|v| {
                BTreeMap::from([
                    ("environment", v.name.clone()),
                    ("namespace", namespace.clone()),
                    ("project", v.gitops.argocd.project.clone()),
                    ("path", v.gitops.argocd_path.clone()),
                    (
                        "repoURL",
                        v.gitops.argocd.repo_url.clone().unwrap_or_default(),
                    ),
                    ("revision", v.gitops.argocd.revision.clone()),
                ])
            })
            .collect();
        let template = if plugin {
            names::APPLICATION_SET_PLUGIN
        } else {
            names::APPLICATION_SET
        };
        let plugin_name = format!("{}-{}", names::PLUGIN_NAME, names::PLUGIN_VERSION);
        let o = canonical(
            templates,
            template,
            &json!({"namespace": namespace, "elements": elements, "plugin": plugin_name}),
        )?;
        out.push(Piece {
            environment: None,
            path: format!("{FLEET_DIR}/{}", file_name(&o)),
            inputs: members.iter().map(|v| v.name.clone()).collect(),
            object: emit(o),
        });
    }
    Ok(out)
}

/// Group pieces into files with headers and hand each file to `sink`.
fn assemble(
    mut pieces: Vec<Piece>,
    headers: &Headers<'_>,
    sink: &(dyn Fn(RenderedFile) + Sync),
) -> Result<(), RenderError> {
    // One file per run of pieces with the same path, its objects in id order.
    pieces.sort_unstable_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| a.object.id.cmp(&b.object.id))
    });
    let mut rest = pieces.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut group = vec![first];
        while let Some(next) = rest.next_if(|p| p.path == group[0].path) {
            group.push(next);
        }
        sink(file(group, headers)?);
    }
    Ok(())
}

/// One file: the header over the environments its objects use, then the objects.
fn file(group: Vec<Piece>, headers: &Headers<'_>) -> Result<RenderedFile, RenderError> {
    let path = group[0].path.clone();
    if group.windows(2).any(|w| w[0].object.id == w[1].object.id)
        || (group.len() > 1 && !path.starts_with(FLEET_DIR))
    {
        return Err(RenderError::Collision(path));
    }
    let used: BTreeSet<&str> = group
        .iter()
        .flat_map(|p| &p.inputs)
        .map(String::as_str)
        .collect();
    let header = headers.header(&used);
    let size = header.len()
        + group
            .iter()
            .map(|p| p.object.yaml.as_ref().map_or(0, |y| y.len() + 4))
            .sum::<usize>();
    let mut text = String::with_capacity(size);
    text.push_str(&header);
    let mut objects = Vec::with_capacity(group.len());
    for (i, p) in group.into_iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        let yaml = p.object.yaml.map_err(|message| RenderError::Object {
            template: path.clone(),
            message,
        })?;
        let start = text.len();
        text.push_str(&yaml);
        objects.push(RenderedObject {
            environment: p.environment,
            path: path.clone(),
            id: p.object.id,
            range: start..text.len(),
        });
    }
    Ok(RenderedFile {
        path,
        bytes: text.into_bytes(),
        objects,
    })
}

/// File headers: the tool version, the environment files a file comes from and the hash of
/// their effective settings. Each environment's own header is made once.
struct Headers<'a> {
    /// Rendered environment → its file as shown in headers, and its effective settings
    /// (hashed as JSON, serialized straight into the hasher: a fleet's JSON is never held).
    by_name: BTreeMap<&'a str, (&'a str, &'a serde_json::Value)>,
    own: HashMap<&'a str, String>,
}

impl<'a> Headers<'a> {
    fn new(inputs: &'a [Input<'a>]) -> Headers<'a> {
        let by_name: BTreeMap<&str, (&str, &serde_json::Value)> = inputs
            .iter()
            .map(|i| {
                (
                    i.environment.metadata.name.as_str(),
                    (i.file.as_str(), i.effective),
                )
            })
            .collect();
        let mut headers = Headers {
            by_name,
            own: HashMap::new(),
        };
        headers.own = headers
            .by_name
            .par_iter()
            .map(|(name, _)| (*name, headers.make(&BTreeSet::from([*name]))))
            .collect();
        headers
    }

    fn names(&self) -> Vec<String> {
        self.by_name.keys().map(|s| (*s).to_owned()).collect()
    }

    /// The header of a file using the environments `used` (those not rendered are ignored).
    fn header(&self, used: &BTreeSet<&str>) -> std::borrow::Cow<'_, str> {
        if used.len() == 1
            && let Some(header) = used.first().and_then(|only| self.own.get(*only))
        {
            return std::borrow::Cow::Borrowed(header);
        }
        std::borrow::Cow::Owned(self.make(used))
    }

    fn make(&self, used: &BTreeSet<&str>) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("ck8s-gen {VERSION}\n"));
        let mut files = Vec::new();
        for name in used {
            if let Some((file, effective)) = self.by_name.get(name) {
                files.push(*file);
                hasher.update(name.as_bytes());
                hasher.update(b"\n");
                // The same bytes as `effective.to_string()`; writing into a hasher cannot fail.
                let _ = serde_json::to_writer(&mut hasher, *effective);
                hasher.update(b"\n");
            }
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "# Generated by ck8s-gen {VERSION} from {}. Do not edit: change the environment file and run ck8s-gen render.\n# input-sha256: {hex}\n",
            files.join(", ")
        )
    }
}
