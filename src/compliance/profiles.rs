//! The compiled profiles: every rule schema compiled once, and an environment evaluated
//! against the profiles it lists, rule by rule.

use super::catalog::{self, Catalog, Rule};
use super::derived::Facts;
use super::evidenced::{bare_flags, future_date_findings, future_dates, undeclared};
use super::findings::{diagnostic, not_evidenced, unknown_profile};
use super::messages::{clause_message, render};
use super::native::{self, Failure};
use super::results::{Evaluation, Outcome, supersede};
use crate::assets::{Assets, DEFAULTS};
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::load::LoadedEnvironment;
use crate::environment::model::Environment;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::collections::BTreeSet;

/// One rule, compiled.
struct Compiled {
    /// The rule's schema (everything but `x-rule`).
    validator: jsonschema::Validator,
    /// When the rule applies: the schema's top-level `if` (for native rules it also gates the
    /// check; for schema rules it only tells "not applicable" from "pass").
    applies: Option<jsonschema::Validator>,
}

/// Every regulatory profile, compiled once.
pub struct Profiles {
    catalog: Catalog,
    /// Parallel to `catalog.profiles[i].rules[j]`.
    compiled: Vec<Vec<Compiled>>,
    /// The built-in curated system namespaces (not user exclusions).
    curated: Vec<String>,
}

/// Why the regulatory profiles cannot be used: a broken catalogue or a rule schema that does
/// not compile.
#[derive(Debug, thiserror::Error)]
pub enum ProfilesError {
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("{what}: {source}")]
    Schema {
        what: String,
        #[source]
        source: Box<jsonschema::ValidationError<'static>>,
    },
}

impl Profiles {
    pub fn load(assets: &Assets) -> Result<Profiles, ProfilesError> {
        let catalog = Catalog::load(assets)?;
        let compile = |schema: &Value, what: &str| {
            jsonschema::draft202012::options()
                .build(schema)
                .map_err(|source| ProfilesError::Schema {
                    what: what.to_owned(),
                    source: Box::new(source),
                })
        };
        let mut compiled = Vec::new();
        for p in &catalog.profiles {
            let mut rules = Vec::new();
            for r in &p.rules {
                let what = format!("{} rule {}", p.file, r.meta.id);
                let applies = match r.schema.get("if") {
                    Some(condition) => Some(compile(condition, &what)?),
                    None => None,
                };
                rules.push(Compiled {
                    validator: compile(&r.schema, &what)?,
                    applies,
                });
            }
            compiled.push(rules);
        }
        let curated = assets
            .schema(DEFAULTS)
            .and_then(|text| crate::yaml::from_yaml::<Value>(text).ok())
            .and_then(|v| {
                v.pointer("/backup/scope/excludedNamespaces")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
            })
            .unwrap_or_default();
        Ok(Profiles {
            catalog,
            compiled,
            curated,
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Findings of the profiles an environment lists (plus the cross-cutting rules and the
    /// conflicts, which apply with any profile), on day `today` (days since 1970-01-01).
    pub fn check(
        &self,
        loaded: &LoadedEnvironment,
        env: &Environment,
        today: i64,
    ) -> Vec<Diagnostic> {
        self.evaluate(loaded, env, today).findings
    }

    /// Every rule of the profiles an environment lists (plus the cross-cutting rules and the
    /// conflicts), each with its status, and the findings of the rules not met. A rule with a
    /// failure is never "not applicable"; deviations are not applied here (see [`settle`]).
    pub fn evaluate(
        &self,
        loaded: &LoadedEnvironment,
        env: &Environment,
        today: i64,
    ) -> Evaluation {
        let mut out = Vec::new();
        // Which profiles, and the `compliance:` entry that selected each.
        let mut selected: Vec<(usize, Option<usize>)> = Vec::new();
        let names = self.catalog.selectable_names();
        for (i, name) in env.compliance.iter().enumerate() {
            let found = self.catalog.profiles.iter().position(|p| {
                !p.meta.implicit && (p.meta.id == *name || p.meta.aliases.contains(name))
            });
            match found {
                Some(p) if !selected.iter().any(|(q, _)| *q == p) => selected.push((p, Some(i))),
                Some(_) => {}
                None => out.push(unknown_profile(loaded, i, name, &names)),
            }
        }
        if selected.is_empty() {
            return Evaluation {
                results: Vec::new(),
                findings: out,
            };
        }
        for (p, profile) in self.catalog.profiles.iter().enumerate() {
            if profile.meta.implicit {
                selected.push((p, None));
            }
        }
        let active: BTreeSet<String> = selected
            .iter()
            .map(|(p, _)| self.catalog.profiles[*p].meta.id.clone())
            .collect();
        let facts = Facts::of(env, &self.curated, today);
        let mut instance = loaded.value.clone();
        if let Value::Object(map) = &mut instance {
            map.insert("derived".to_owned(), facts.to_json());
        }
        let mut results: Vec<Outcome<'_>> = Vec::new();
        for (p, entry) in &selected {
            let profile = &self.catalog.profiles[*p];
            for (r, rule) in profile.rules.iter().enumerate() {
                let compiled = &self.compiled[*p][r];
                let cx = native::Ctx {
                    env,
                    facts: &facts,
                    active: &active,
                    params: &rule.meta.params,
                };
                let mut applies = compiled
                    .applies
                    .as_ref()
                    .is_none_or(|v| v.is_valid(&instance));
                let mut failures = schema_failures(rule, compiled, &instance);
                if let Some(name) = &rule.meta.native {
                    if applies {
                        failures.extend(native::run(name, &cx));
                    }
                    applies = applies && native::applies(name, &cx);
                }
                if applies {
                    failures.extend(future_dates(&rule.meta.fields, &instance, today));
                }
                let mut seen = BTreeSet::new();
                failures.retain(|f| seen.insert((f.pointer.clone(), f.message.clone())));
                results.push(Outcome {
                    profile: &profile.meta.id,
                    rule,
                    entry: *entry,
                    applies,
                    failed: !failures.is_empty(),
                    failures,
                    reported_by: None,
                    undeclared: Vec::new(),
                });
            }
        }
        supersede(&mut results);
        for result in results.iter_mut().filter(|r| r.applies && !r.failed) {
            let meta = &result.rule.meta;
            result.undeclared = undeclared(loaded, &facts, &meta.evidence);
            result
                .undeclared
                .extend(bare_flags(loaded, &meta.references));
        }
        for result in results.iter() {
            if !result.failures.is_empty() {
                out.push(diagnostic(loaded, &instance, result));
            } else if !result.undeclared.is_empty() {
                out.push(not_evidenced(loaded, &instance, result));
            }
        }
        out.extend(future_date_findings(loaded, &results, &instance, today));
        Evaluation {
            results: results.iter().map(Outcome::result).collect(),
            findings: out,
        }
    }

    /// Drop semantic findings (`checks`) that a profile finding in `found` already reports
    /// with a citation (`x-rule.replaces`).
    pub fn drop_replaced(&self, semantic: &mut Vec<Diagnostic>, found: &[Diagnostic]) {
        let replaced: Vec<&Code> = found
            .iter()
            .filter_map(|d| self.catalog.rule(d.code.as_str()))
            .flat_map(|(_, r)| r.meta.replaces.iter())
            .collect();
        semantic.retain(|d| !replaced.contains(&&d.code));
    }
}

/// The schema part of a rule: one failure per validation error, with the clause's message.
fn schema_failures(rule: &Rule, compiled: &Compiled, instance: &Value) -> Vec<Failure> {
    compiled
        .validator
        .iter_errors(instance)
        .map(|error| {
            let mut pointer = error.instance_path().as_str().to_owned();
            if let ValidationErrorKind::Required { property } = error.kind() {
                let name = property.as_str().unwrap_or_default();
                pointer = crate::source::pointer::child(&pointer, name);
            }
            let template = clause_message(&rule.schema, error.schema_path().as_str())
                .unwrap_or(&rule.meta.message);
            Failure::new(pointer.clone(), render(template, instance, &pointer))
        })
        .collect()
}
