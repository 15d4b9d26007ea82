//! The validation pipeline: load and layer every environment, check it against the schema,
//! type it, run the semantic and fleet-wide checks and the regulatory profiles, and collect
//! every finding in one sorted list.

mod fleet;

use crate::assets::{Assets, DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::checks;
use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::environment::load::{self, Input, LoadError, LoadRequest, LoadedEnvironment, Workspace};
use crate::environment::model::Environment;
use crate::schema::{EnvironmentSchema, SchemaError};
use crate::source::Sources;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

pub struct Request<'a> {
    pub dir: &'a Path,
    pub only: &'a [String],
    pub assets: &'a Assets,
    /// The day the dated rules are evaluated on (days since 1970-01-01): the command layer
    /// reads the clock (or `CK8S_GEN_TODAY`), never the library.
    pub today: i64,
}

/// One environment after validation.
#[derive(Debug)]
pub struct Checked {
    /// In a lean outcome ([`validate_lean`], [`validate_files`]) `loaded.value` is `null` once
    /// the environment's own checks are done: its settings are kept as [`Checked::json`]. Read
    /// them with [`Checked::value`] or [`Checked::settings`].
    pub loaded: LoadedEnvironment,
    /// The compact JSON of the effective settings, in a lean outcome: a few kilobytes where the
    /// value tree (a copy of the defaults per environment) is tens.
    pub json: Option<Box<str>>,
    /// The typed environment, when the schema accepted it (boxed: a fleet's list of checked
    /// environments is moved a few times, and the model is most of an environment's size).
    /// Always `None` in a findings-only outcome ([`validate_findings`]) and until
    /// [`Outcome::retype`] after [`validate_settings`]: see `links`.
    pub environment: Option<Box<Environment>>,
    /// What the fleet checks read of the typed environment, when the schema accepted it.
    pub links: Option<fleet::Links>,
    /// Read from the layered values (so also when the schema rejected them), for the blast
    /// radius of an error: the environment running this one's off-site sync, when it has one.
    pub offsite_manager: Option<String>,
    /// Whether `gitops.engine` is `flux` (anything else may feed the ApplicationSets).
    pub flux: bool,
    /// Whether any unaccepted error was found for this environment (`validate` fails).
    pub failed: bool,
    /// Whether its output must not be written or synced: an unaccepted error that does not
    /// depend on the date, in it or in an environment its output depends on.
    pub blocked: bool,
    /// Every rule of the environment's regulatory profiles with its status (empty when it
    /// lists no profile, or when the schema rejected it and the profiles could not run).
    pub rules: Vec<crate::compliance::RuleResult>,
}

impl Checked {
    /// The effective settings (parsed again from [`Checked::json`] in a lean outcome; `null` in
    /// a findings-only one, [`validate_findings`]).
    pub fn value(&self) -> Cow<'_, serde_json::Value> {
        match &self.json {
            // The JSON was written from a value: reading it back cannot fail.
            Some(json) => Cow::Owned(serde_json::from_str(json).unwrap_or_default()),
            None => Cow::Borrowed(&self.loaded.value),
        }
    }

    /// The effective settings as they are held.
    pub fn settings(&self) -> Settings<'_> {
        match &self.json {
            Some(json) => Settings::Json(json),
            None => Settings::Value(&self.loaded.value),
        }
    }
}

/// An environment's effective settings: the value tree, or its compact JSON.
#[derive(Clone, Copy, Debug)]
pub enum Settings<'a> {
    Value(&'a serde_json::Value),
    Json(&'a str),
}

impl Settings<'_> {
    /// Write the compact JSON (the bytes of `value.to_string()`) to `out`.
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        match self {
            Settings::Value(value) => serde_json::to_writer(out, value).map_err(Into::into),
            Settings::Json(json) => out.write_all(json.as_bytes()),
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub sources: Sources,
    pub environments: Vec<Checked>,
    /// Every finding, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the fleet-wide objects (the Argo CD ApplicationSets, which list every argocd
    /// environment) are blocked: a blocked environment feeds them.
    pub fleet_blocked: bool,
}

impl Outcome {
    /// The typed model of every environment the schema accepted, made again from its settings
    /// (after [`validate_settings`], which drops them), in parallel.
    pub fn retype(&mut self) {
        self.environments.par_iter_mut().for_each(|c| {
            if c.environment.is_none() && c.links.is_some() {
                // The same value the model was read from during validation: it reads again.
                c.environment = <Environment as serde::Deserialize>::deserialize(&*c.value())
                    .ok()
                    .map(Box::new);
            }
        });
    }

    /// Whether `validate` fails (any unaccepted error, overdue ones included).
    pub fn has_failures(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_failure)
    }

    /// Whether some output is blocked (an unaccepted error that does not depend on the date).
    pub fn has_blocking(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::blocks_output)
    }

    /// Only the environments whose file `keep` accepts, and the findings that involve them:
    /// about one of them, or pointing into one of their files, or about no environment and
    /// not pointing into another environment's file.
    pub fn narrowed(mut self, keep: impl Fn(&str) -> bool) -> Outcome {
        let sources = &self.sources;
        let (kept, dropped): (Vec<Checked>, Vec<Checked>) = self
            .environments
            .into_iter()
            .partition(|c| keep(&sources.get(c.loaded.file).path));
        let names: HashSet<&str> = kept.iter().map(|c| c.loaded.name.as_str()).collect();
        let kept_files: HashSet<_> = kept.iter().map(|c| c.loaded.file).collect();
        let dropped_files: HashSet<_> = dropped.iter().map(|c| c.loaded.file).collect();
        self.diagnostics.retain(|d| {
            let mut labels = d.primary.iter().chain(&d.secondary);
            match d.environment.as_deref() {
                Some(e) if names.contains(e) => true,
                _ if labels.any(|l| kept_files.contains(&l.location.source)) => true,
                Some(_) => false,
                None => d
                    .primary
                    .as_ref()
                    .is_none_or(|l| !dropped_files.contains(&l.location.source)),
            }
        });
        self.environments = kept;
        self
    }

    /// The environments whose output is blocked, in name order.
    pub fn blocked(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .environments
            .iter()
            .filter(|c| c.blocked)
            .map(|c| c.loaded.name.as_str())
            .collect();
        names.dedup();
        names
    }

    /// The environments whose output can be written (typed, and nothing blocks them), in
    /// name order.
    pub fn valid(&self) -> impl Iterator<Item = (&LoadedEnvironment, &Environment)> {
        self.environments
            .iter()
            .filter(|c| !c.blocked)
            .filter_map(|c| c.environment.as_deref().map(|e| (&c.loaded, e)))
    }
}

/// Errors that stop validation before any finding (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("missing built-in schema file `{0}`")]
    MissingAsset(&'static str),
}

/// Validate the environments of `request.dir` (or the ones it names), keeping where every
/// effective value came from (`report` cites it).
pub fn validate(request: &Request<'_>) -> Result<Outcome, ValidateError> {
    validate_keeping(request, Keep::All)
}

/// Like [`validate_lean`], but each environment keeps its settings (as JSON) and not its typed
/// model: call [`Outcome::retype`] for the models once the findings are dealt with. For
/// `render`, so a fleet's models and findings are never held at once.
pub fn validate_settings(request: &Request<'_>) -> Result<Outcome, ValidateError> {
    validate_keeping(request, Keep::Json)
}

/// Like [`validate_lean`], but each environment keeps neither its settings nor its typed model
/// once its own checks are done: only what the fleet checks need. For `validate`, which prints
/// the findings and nothing else.
pub fn validate_findings(request: &Request<'_>) -> Result<Outcome, ValidateError> {
    validate_keeping(request, Keep::Findings)
}

/// Like [`validate`], but once its own checks are done each environment keeps the origins of
/// its values only where the fleet checks cite them ([`fleet::CITED`]), its settings as compact
/// JSON ([`Checked::json`]) and no rule results: a fleet's provenance and value trees are most
/// of its memory. For the commands that need only the findings, the typed environments and the
/// settings (`validate`, `render`, `diff`, the Argo CD plugin).
pub fn validate_lean(request: &Request<'_>) -> Result<Outcome, ValidateError> {
    validate_keeping(request, Keep::Settings)
}

/// What each environment keeps once its own checks are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Everything: values, all origins, rule results ([`validate`]).
    All,
    /// Settings as JSON, the typed model, the origins the fleet checks cite ([`validate_lean`]).
    Settings,
    /// Like `Settings`, without the typed model ([`validate_settings`]).
    Json,
    /// Only what the fleet checks need ([`validate_findings`]).
    Findings,
}

fn validate_keeping(request: &Request<'_>, keep: Keep) -> Result<Outcome, ValidateError> {
    let mut validator = Validator::new(request.assets)?;
    validator.keep = keep;
    if request.only.is_empty() {
        return Ok(validator.load_and_check(
            &LoadRequest {
                dir: request.dir,
                only: &[],
                defaults: validator.defaults,
            },
            request.today,
        )?);
    }
    // Some environments: the fleet checks that involve them (a shared bucket and prefix, a
    // `managedBy` naming a workload cluster) need the others, so the whole directory is
    // checked and the findings are narrowed to the ones involving the chosen environments.
    let chosen = load::discover(request.dir, request.only)?;
    let mut files = load::discover(request.dir, &[]).unwrap_or_default();
    for path in &chosen {
        if !files.contains(path) {
            files.push(path.clone());
        }
    }
    let chosen: HashSet<String> = chosen.iter().map(|p| load::display_path(p)).collect();
    Ok(check_files(&validator, request, &files)?.narrowed(|path| chosen.contains(path)))
}

/// Validate only `files` (paths) of `request.dir`, with `common.yaml`: the fleet checks see
/// only them (the other environments' names are known, so a `managedBy` naming one is not
/// reported as unknown). For the Argo CD plugin, whose cost must be one environment's.
pub fn validate_files(
    request: &Request<'_>,
    files: &[std::path::PathBuf],
) -> Result<Outcome, ValidateError> {
    let mut validator = Validator::new(request.assets)?;
    validator.keep = Keep::Settings;
    check_files(&validator, request, files)
}

/// Load `files` of `request.dir` (with `common.yaml`) and check them together.
fn check_files(
    validator: &Validator,
    request: &Request<'_>,
    files: &[std::path::PathBuf],
) -> Result<Outcome, ValidateError> {
    let paths: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok(validator.load_and_check(
        &LoadRequest {
            dir: request.dir,
            only: &paths,
            defaults: validator.defaults,
        },
        request.today,
    )?)
}

/// Everything compiled once per process: the environment schema, the regulatory profiles and
/// the defaults every environment is layered on.
pub struct Validator<'a> {
    schema: EnvironmentSchema,
    profiles: crate::compliance::Profiles,
    defaults: &'a str,
    /// What each environment keeps after its own checks.
    keep: Keep,
}

impl<'a> Validator<'a> {
    pub fn new(assets: &'a Assets) -> Result<Validator<'a>, ValidateError> {
        let schema_text = assets
            .schema(ENVIRONMENT_SCHEMA)
            .ok_or(ValidateError::MissingAsset(ENVIRONMENT_SCHEMA))?;
        let defaults = assets
            .schema(DEFAULTS)
            .ok_or(ValidateError::MissingAsset(DEFAULTS))?;
        Ok(Validator {
            schema: EnvironmentSchema::compile(schema_text)?,
            profiles: crate::compliance::Profiles::load(assets)
                .map_err(|e| SchemaError(e.to_string()))?,
            defaults,
            keep: Keep::All,
        })
    }

    /// Validate in-memory files (an optional `common.yaml` and the environment files, in any
    /// order): the whole pipeline without the file system, on day `today`. Never panics on
    /// any input.
    pub fn validate_inputs(&self, common: Option<Input>, files: Vec<Input>, today: i64) -> Outcome {
        self.check(load::load_inputs(self.defaults, common, files), today)
    }

    /// Check loaded environments on day `today`: schema, model, semantic and fleet-wide
    /// rules, profiles.
    pub fn check(&self, mut workspace: Workspace, today: i64) -> Outcome {
        let results: Vec<(Checked, Vec<Diagnostic>)> = std::mem::take(&mut workspace.environments)
            .into_par_iter()
            .map(|loaded| self.check_one(loaded, today))
            .collect();
        self.finish(workspace, results)
    }

    /// Load from disk and check each environment as soon as it is layered: when `lean`, a
    /// fleet's full provenance and value trees are never held at once.
    fn load_and_check(&self, request: &LoadRequest<'_>, today: i64) -> Result<Outcome, LoadError> {
        let (workspace, results) =
            load::load_each(request, &|loaded| self.check_one(loaded, today))?;
        Ok(self.finish(workspace, results))
    }

    /// One environment's own checks; then it keeps what `self.keep` says.
    fn check_one(&self, loaded: LoadedEnvironment, today: i64) -> (Checked, Vec<Diagnostic>) {
        let (mut checked, found) = check_one(&self.schema, &self.profiles, loaded, today);
        if self.keep != Keep::All {
            let loaded = &mut checked.loaded;
            loaded.provenance = loaded.provenance.only_for(fleet::CITED);
            if self.keep != Keep::Findings {
                checked.json = Some(loaded.value.to_string().into_boxed_str());
            }
            if self.keep != Keep::Settings {
                checked.environment = None;
            }
            loaded.value = serde_json::Value::Null;
            checked.rules = Vec::new();
        }
        (checked, found)
    }

    /// The fleet checks over the checked environments, the blast radius, sorted findings.
    fn finish(&self, workspace: Workspace, results: Vec<(Checked, Vec<Diagnostic>)>) -> Outcome {
        let mut diagnostics = workspace.diagnostics;
        let mut environments = Vec::with_capacity(results.len());
        for (checked, found) in results {
            diagnostics.extend(found);
            environments.push(checked);
        }
        // Name, then path: the fleet checks and everything after them see one order,
        // whatever order the files came in.
        let sources = &workspace.sources;
        environments.sort_by(|a, b| {
            (a.loaded.name.as_str(), &sources.get(a.loaded.file).path)
                .cmp(&(b.loaded.name.as_str(), &sources.get(b.loaded.file).path))
        });
        let fleet = fleet::fleet(&environments, &|name| {
            load::names_unloaded(&workspace.unloaded, name)
        });
        let failed: HashSet<&str> = fleet
            .iter()
            .filter(|d| d.is_failure())
            .filter_map(|d| d.environment.as_deref())
            .collect();
        let blocked: HashSet<&str> = fleet
            .iter()
            .filter(|d| d.blocks_output())
            .filter_map(|d| d.environment.as_deref())
            .collect();
        for c in &mut environments {
            if failed.contains(c.loaded.name.as_str()) {
                c.failed = true;
            }
            if blocked.contains(c.loaded.name.as_str()) {
                c.blocked = true;
            }
        }
        diagnostics.extend(fleet);
        let fleet_blocked = blast_radius(&mut environments, &diagnostics);
        diagnostic::sort(&mut diagnostics, &workspace.sources);
        diagnostic::cap(
            &mut diagnostics,
            &workspace.sources,
            diagnostic::MAX_PER_FILE_AND_CODE,
        );
        Outcome {
            sources: workspace.sources,
            environments,
            diagnostics,
            fleet_blocked,
        }
    }
}

/// Spread blocking errors to the output that depends on them; returns whether the fleet-wide
/// objects are blocked. An error in one environment blocks that environment, the management
/// environment that runs its off-site sync (the sync job sits in that tree) and, when it is an
/// Argo CD environment, the fleet's ApplicationSets; never an unrelated environment. A
/// blocking finding about no environment (`common.yaml`, a file that did not load) blocks all.
/// Read from the layered values (see [`Checked::offsite_manager`]), so an environment the schema
/// rejected still names its manager.
fn blast_radius(environments: &mut [Checked], diagnostics: &[Diagnostic]) -> bool {
    if diagnostics
        .iter()
        .any(|d| d.blocks_output() && d.environment.is_none())
    {
        for c in environments.iter_mut() {
            c.blocked = true;
        }
        return true;
    }
    // A finding blocks the environments whose files it points into too (both clusters
    // writing to one bucket and prefix).
    let files: HashSet<crate::source::SourceId> = diagnostics
        .iter()
        .filter(|d| d.blocks_output())
        .flat_map(|d| d.primary.iter().chain(&d.secondary))
        .map(|l| l.location.source)
        .collect();
    for c in environments.iter_mut() {
        if files.contains(&c.loaded.file) {
            c.blocked = true;
        }
    }
    let managers: HashSet<String> = environments
        .iter()
        .filter(|c| c.blocked)
        .filter_map(|c| c.offsite_manager.clone())
        .collect();
    let mut fleet = false;
    for c in environments.iter_mut() {
        if managers.contains(&c.loaded.name) {
            c.blocked = true;
        }
        // An engine that is not `flux` (or unreadable) may feed the ApplicationSets.
        fleet |= c.blocked && !c.flux;
    }
    fleet
}

/// Drop the keys the schema does not know (reported as `unknown-key`), so the model can read
/// the rest.
fn prune_unknown(schema: &EnvironmentSchema, value: &mut serde_json::Value, pointer: &mut String) {
    let node = schema.node_at(pointer);
    let closed = node.is_some_and(|n| {
        n.get("additionalProperties") == Some(&serde_json::Value::Bool(false))
            && n.get("properties")
                .is_some_and(serde_json::Value::is_object)
    });
    let len = pointer.len();
    match value {
        serde_json::Value::Object(map) => {
            if closed && let Some(properties) = node.and_then(|n| n.get("properties")) {
                map.retain(|k, _| properties.get(k).is_some());
            }
            for (k, v) in map.iter_mut() {
                pointer.push('/');
                pointer.push_str(&crate::source::pointer::escape(k));
                prune_unknown(schema, v, pointer);
                pointer.truncate(len);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                prune_unknown(schema, v, pointer);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn check_one(
    schema: &EnvironmentSchema,
    profiles: &crate::compliance::Profiles,
    loaded: LoadedEnvironment,
    today: i64,
) -> (Checked, Vec<Diagnostic>) {
    let mut found = schema.check(&loaded);
    found.extend(checks::secrets_in_values(&loaded));
    let structural_errors = found.iter().any(|d| d.severity == Severity::Error);
    let mut environment = None;
    let mut rules = Vec::new();
    if structural_errors {
        // All problems at once: when the model still reads the values (an unknown key, a
        // value the schema narrows but the model accepts), the semantic checks run on them;
        // a finding at a place the schema already flagged is left to the schema. The profiles
        // and everything after them wait for an environment the schema accepts.
        let mut known = loaded.value.clone();
        prune_unknown(schema, &mut known, &mut String::new());
        if let Ok(env) = <Environment as serde::Deserialize>::deserialize(&known) {
            let flagged: HashSet<_> = found
                .iter()
                .filter_map(|d| d.primary.as_ref().map(|l| l.location))
                .collect();
            found.extend(checks::semantic(&loaded, &env).into_iter().filter(|d| {
                d.primary
                    .as_ref()
                    .is_none_or(|l| !flagged.contains(&l.location))
            }));
        }
    } else {
        match <Environment as serde::Deserialize>::deserialize(&loaded.value) {
            Ok(env) => {
                let mut semantic = checks::semantic(&loaded, &env);
                let evaluation = profiles.evaluate(&loaded, &env, today);
                profiles.drop_replaced(&mut semantic, &evaluation.findings);
                found.extend(semantic);
                found.extend(evaluation.findings);
                rules = evaluation.results;
                environment = Some(Box::new(env));
            }
            Err(e) => found.push(
                Diagnostic::error(
                    Code::InternalModelMismatch,
                    format!("the schema accepted this environment but the model did not: {e}"),
                )
                .at(loaded.provenance.value_location(""), "this environment")
                .help("this is a bug in ck8s-gen; please report it with the environment file"),
            ),
        }
    }
    crate::compliance::apply_deviations(&loaded, environment.as_deref(), &mut found, today);
    crate::compliance::settle(&mut rules, &found);
    for d in &mut found {
        if d.environment.is_none() {
            d.environment = Some(loaded.name.clone());
        }
    }
    let failed = found.iter().any(Diagnostic::is_failure);
    let blocked = found.iter().any(Diagnostic::blocks_output);
    let value = |pointer: &str| loaded.value.pointer(pointer);
    let offsite_manager = match value("/replication/offsite/managedBy") {
        _ if value("/replication/offsite/enabled") != Some(&serde_json::Value::Bool(true)) => None,
        Some(serde_json::Value::String(m)) => Some(m.clone()),
        _ if value("/cluster/role").and_then(|v| v.as_str()) == Some("management") => {
            Some(loaded.name.clone())
        }
        _ => None,
    };
    let flux = value("/gitops/engine").and_then(|v| v.as_str()) == Some("flux");
    (
        Checked {
            links: environment.as_deref().map(fleet::Links::of),
            offsite_manager,
            flux,
            loaded,
            json: None,
            environment,
            failed,
            blocked,
            rules,
        },
        found,
    )
}
