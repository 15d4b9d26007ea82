//! The validation pipeline: load and layer every environment, check it against the schema,
//! type it, run the semantic and fleet-wide checks and the regulatory profiles, and collect
//! every finding in one sorted list.

use crate::assets::{Assets, DEFAULTS, ENVIRONMENT_SCHEMA};
use crate::checks;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::load::{self, Input, LoadError, LoadRequest, LoadedEnvironment, Workspace};
use crate::model::Environment;
use crate::schema::{EnvironmentSchema, SchemaError};
use crate::source::Sources;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;

pub struct Request<'a> {
    pub dir: &'a Path,
    pub only: &'a [String],
    pub assets: &'a Assets,
}

/// One environment after validation.
#[derive(Debug)]
pub struct Checked {
    pub loaded: LoadedEnvironment,
    /// The typed environment, when the schema accepted it.
    pub environment: Option<Environment>,
    /// Whether any unaccepted error was found for this environment.
    pub failed: bool,
    /// Every rule of the environment's regulatory profiles with its status (empty when it
    /// lists no profile, or when the schema rejected it and the profiles could not run).
    pub rules: Vec<crate::compliance::RuleResult>,
}

#[derive(Debug)]
pub struct Outcome {
    pub sources: Sources,
    pub environments: Vec<Checked>,
    /// Every finding, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    pub fn has_failures(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_failure)
    }

    /// The environments that are valid (typed and without errors), in name order.
    pub fn valid(&self) -> impl Iterator<Item = (&LoadedEnvironment, &Environment)> {
        self.environments
            .iter()
            .filter(|c| !c.failed)
            .filter_map(|c| c.environment.as_ref().map(|e| (&c.loaded, e)))
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

/// Validate the environments of `request.dir` (or the ones it names).
pub fn validate(request: &Request<'_>) -> Result<Outcome, ValidateError> {
    let validator = Validator::new(request.assets)?;
    let workspace = load::load(&LoadRequest {
        dir: request.dir,
        only: request.only,
        defaults: validator.defaults,
    })?;
    Ok(validator.check(workspace))
}

/// Everything compiled once per process: the environment schema, the regulatory profiles and
/// the defaults every environment is layered on.
pub struct Validator<'a> {
    schema: EnvironmentSchema,
    profiles: crate::compliance::Profiles,
    defaults: &'a str,
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
            profiles: crate::compliance::Profiles::load(assets).map_err(SchemaError)?,
            defaults,
        })
    }

    /// Validate in-memory files (an optional `common.yaml` and the environment files, in any
    /// order): the whole pipeline without the file system. Never panics on any input.
    pub fn validate_inputs(&self, common: Option<Input>, files: Vec<Input>) -> Outcome {
        self.check(load::load_inputs(self.defaults, common, files))
    }

    /// Check loaded environments: schema, model, semantic and fleet-wide rules, profiles.
    pub fn check(&self, workspace: Workspace) -> Outcome {
        let mut diagnostics = workspace.diagnostics;
        let results: Vec<(Checked, Vec<Diagnostic>)> = workspace
            .environments
            .into_par_iter()
            .map(|loaded| check_one(&self.schema, &self.profiles, loaded))
            .collect();
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
        let fleet = checks::fleet(&environments, &workspace.unloaded_names);
        let failed: HashSet<&str> = fleet
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter_map(|d| d.environment.as_deref())
            .collect();
        for c in &mut environments {
            if failed.contains(c.loaded.name.as_str()) {
                c.failed = true;
            }
        }
        diagnostics.extend(fleet);
        diagnostic::sort(&mut diagnostics, &workspace.sources);
        Outcome {
            sources: workspace.sources,
            environments,
            diagnostics,
        }
    }
}

fn check_one(
    schema: &EnvironmentSchema,
    profiles: &crate::compliance::Profiles,
    loaded: LoadedEnvironment,
) -> (Checked, Vec<Diagnostic>) {
    let mut found = schema.check(&loaded);
    found.extend(checks::secrets_in_values(&loaded));
    let structural_errors = found.iter().any(|d| d.severity == Severity::Error);
    let mut environment = None;
    let mut rules = Vec::new();
    if !structural_errors {
        match <Environment as serde::Deserialize>::deserialize(&loaded.value) {
            Ok(env) => {
                let mut semantic = checks::semantic(&loaded, &env);
                let evaluation = profiles.evaluate(&loaded, &env);
                profiles.drop_replaced(&mut semantic, &evaluation.findings);
                found.extend(semantic);
                found.extend(evaluation.findings);
                rules = evaluation.results;
                environment = Some(env);
            }
            Err(e) => found.push(
                Diagnostic::error(
                    "internal-model-mismatch",
                    format!("the schema accepted this environment but the model did not: {e}"),
                )
                .at(loaded.provenance.value_location(""), "this environment")
                .help("this is a bug in ck8s-gen; please report it with the environment file"),
            ),
        }
    }
    crate::compliance::apply_deviations(
        &loaded,
        environment.as_ref(),
        &mut found,
        crate::dates::today(),
    );
    crate::compliance::settle(&mut rules, &found);
    for d in &mut found {
        if d.environment.is_none() {
            d.environment = Some(loaded.name.clone());
        }
    }
    let failed = found.iter().any(Diagnostic::is_failure);
    (
        Checked {
            loaded,
            environment,
            failed,
            rules,
        },
        found,
    )
}
