//! Regulatory profiles: loading the profile schemas (`schemas/regulations/*.json`), checking
//! environments against the ones they list under `compliance:`, conflicts between profiles,
//! and documented deviations that accept a warning.
//!
//! Each rule is its own compiled JSON Schema validator, run against the effective environment
//! plus a `/derived` object of computed facts ([`derived`]); cross-field rules and conflicts
//! are Rust functions ([`native`]) carrying the same metadata ([`catalog`]). Every finding is
//! one diagnostic per rule, with the rule id as its code, the citation, and the fix, located
//! at the offending key in the user's file (or at the `compliance:` entry of the profile).
//!
//! [`Profiles::evaluate`] also says how the environment fares against every rule of its
//! profiles (pass, fail, not applicable), which the evidence report lists; [`settle`] marks
//! the failures a documented deviation accepts once [`apply_deviations`] has run.

pub mod catalog;
pub mod derived;
pub mod native;
pub mod regulations;

use crate::assets::{Assets, DEFAULTS};
use crate::diagnostic::{Acceptance, Code, Diagnostic, Effect, Label, Severity};
use crate::environment::load::{DEFAULTS_SOURCE, LoadedEnvironment};
use crate::environment::model::Environment;
use crate::schema::dotted;
use crate::source::Location;
use catalog::{Catalog, Rule};
use derived::{Facts, source_pointer};
use jsonschema::error::ValidationErrorKind;
use native::Failure;
use serde::Serialize;
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

/// How an environment fares against one rule of its profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The rule is met (a note-level finding may still inform).
    Pass,
    /// The rule is not met: an error, or a warning no deviation accepts.
    Fail,
    /// The rule is not met, and a documented deviation accepts it (warnings only).
    Accepted,
    /// The rule would pass, but only on values nobody declared (a built-in default, an
    /// absent key, a bare flag where a reference is needed): it is not evidence.
    NotEvidenced,
    /// The rule's condition does not hold (e.g. it is for high protection need only, or a
    /// conflict between profiles the environment does not combine).
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Accepted => "accepted",
            Status::NotEvidenced => "not-evidenced",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// One rule's result for one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    /// Id of the rule's profile.
    pub profile: String,
    /// The rule id, also the code of its finding.
    pub rule: String,
    pub status: Status,
    /// For a rule not met whose finding another rule reports instead (the conflict that
    /// explains it, or the profile rule a cross-cutting rule yields to): that rule's id.
    pub reported_by: Option<String>,
    /// For a `not-evidenced` rule: the keys (JSON pointers) nobody declared.
    pub undeclared: Vec<String>,
}

/// Every rule of the profiles an environment lists, and the findings of those not met.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// In catalogue order: the listed profiles in `compliance:` order, then the implicit ones.
    pub results: Vec<RuleResult>,
    /// One finding per rule not met (notes included), and one per unknown profile.
    pub findings: Vec<Diagnostic>,
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
                out.push(self.diagnostic(loaded, &instance, result));
            } else if !result.undeclared.is_empty() {
                out.push(self.not_evidenced(loaded, &instance, result));
            }
        }
        out.extend(future_date_findings(loaded, &results, &instance, today));
        Evaluation {
            results: results.iter().map(Outcome::result).collect(),
            findings: out,
        }
    }

    /// The finding of a rule that would pass, but only on values nobody declared.
    fn not_evidenced(
        &self,
        loaded: &LoadedEnvironment,
        instance: &Value,
        result: &Outcome<'_>,
    ) -> Diagnostic {
        let meta = &result.rule.meta;
        let keys: Vec<String> = result
            .undeclared
            .iter()
            .map(|p| match instance.pointer(p) {
                Some(Value::Bool(b)) if meta.references.contains(p) => format!(
                    "`{}` (a bare `{b}`: name the evidence as `{{ref, date, by}}`)",
                    dotted(p)
                ),
                Some(v) if loaded.provenance.get(p).is_some() => {
                    format!("`{}` (built-in default `{}`)", dotted(p), display(v))
                }
                Some(v) => format!(
                    "`{}` (`{}`, not written in the files)",
                    dotted(p),
                    display(v)
                ),
                None => format!("`{}` (not set)", dotted(p)),
            })
            .collect();
        let mut d = Diagnostic::new(
            meta.not_evidenced_level().severity(),
            Code::Rule(meta.id.clone()),
            format!(
                "not evidenced: {} would pass only on values nobody declared: {}",
                meta.id,
                keys.join(", ")
            ),
        )
        .help(format!(
            "check the real setup and declare {} in the environment file (or `common.yaml`), with a reference `{{ref, date, by}}` where one is asked for; a built-in default or a bare flag is not evidence",
            result
                .undeclared
                .iter()
                .map(|p| format!("`{}`", dotted(p)))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .cite(meta.citation());
        let (location, _) = self.place(loaded, instance, &result.undeclared[0], result, false);
        d.primary = location
            .or_else(|| self.entry_location(loaded, result))
            .map(|location| Label {
                location,
                message: format!("{} is not evidenced", meta.id),
            });
        d.in_environment(loaded.name.clone())
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

    fn diagnostic(
        &self,
        loaded: &LoadedEnvironment,
        instance: &Value,
        result: &Outcome<'_>,
    ) -> Diagnostic {
        let meta = &result.rule.meta;
        let mut messages: Vec<&str> = Vec::new();
        for f in &result.failures {
            if !messages.contains(&f.message.as_str()) {
                messages.push(&f.message);
            }
        }
        let mut d = Diagnostic::new(
            meta.severity.severity(),
            Code::Rule(meta.id.clone()),
            messages.join("; "),
        )
        .help(meta.fix.clone())
        .cite(meta.citation())
        .with_effect(effect(&result.failures));
        let mut placed: Vec<Location> = Vec::new();
        for (i, f) in result.failures.iter().enumerate() {
            let (location, label) = self.place(loaded, instance, &f.pointer, result, i == 0);
            if let Some(location) = location
                && !placed.contains(&location)
            {
                placed.push(location);
                let label = Label {
                    location,
                    message: label,
                };
                if d.primary.is_none() {
                    d.primary = Some(label);
                } else {
                    d.secondary.push(label);
                }
            }
            for (pointer, label) in &f.also {
                if let Some(origin) = loaded.provenance.get(pointer)
                    && origin.value.source != DEFAULTS_SOURCE
                    && !placed.contains(&origin.value)
                {
                    placed.push(origin.value);
                    d.secondary.push(Label {
                        location: origin.value,
                        message: label.clone(),
                    });
                }
            }
        }
        if d.primary.is_none() {
            d.primary = self.entry_location(loaded, result).map(|location| Label {
                location,
                message: format!("{} applies here", meta.id),
            });
        }
        d.in_environment(loaded.name.clone())
    }

    /// Where to show a failure at `pointer`: the value in the user's file; else the nearest
    /// ancestor key written in the user's files; else the profile's `compliance:` entry.
    fn place(
        &self,
        loaded: &LoadedEnvironment,
        instance: &Value,
        pointer: &str,
        result: &Outcome<'_>,
        first: bool,
    ) -> (Option<Location>, String) {
        let id = &result.rule.meta.id;
        let derived = instance.get("derived").unwrap_or(&Value::Null);
        let source = match source_pointer(pointer, derived) {
            "" => result.rule.meta.locate.as_str(),
            p => p,
        };
        let provenance = &loaded.provenance;
        if let Some(origin) = provenance.get(source)
            && origin.value.source != DEFAULTS_SOURCE
        {
            let container = instance
                .pointer(source)
                .is_some_and(|v| v.is_object() || v.is_array());
            let location = if container {
                origin.key.unwrap_or(origin.value)
            } else {
                origin.value
            };
            let label = if first && !result.rule.meta.names.is_empty() {
                "in conflict".to_owned()
            } else if first && result.rule.meta.severity == catalog::Level::Note {
                format!("see {id}")
            } else if first {
                format!("does not meet {id}")
            } else {
                "also here".to_owned()
            };
            return (Some(location), label);
        }
        let inherited = instance.pointer(source).map(display);
        let mut p = source;
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if p.is_empty() {
                break;
            }
            if let Some(origin) = provenance.get(p)
                && origin.value.source != DEFAULTS_SOURCE
            {
                let rest = dotted(&source[p.len()..]);
                let label = match &inherited {
                    Some(v) => format!("`{rest}` is `{v}` (built-in default); set it here"),
                    None => format!("add `{rest}` here"),
                };
                return (Some(origin.key.unwrap_or(origin.value)), label);
            }
        }
        let label = match &inherited {
            Some(v) => format!("{id}: `{}` is `{v}` (built-in default)", dotted(source)),
            None => format!("{id} needs `{}`", dotted(source)),
        };
        (self.entry_location(loaded, result), label)
    }

    /// The `compliance:` entry that selected the rule's profile, or the `compliance:` key.
    fn entry_location(&self, loaded: &LoadedEnvironment, result: &Outcome<'_>) -> Option<Location> {
        let provenance = &loaded.provenance;
        match result.entry {
            Some(i) => provenance.value_location(&format!("/compliance/{i}")),
            None => provenance
                .get("/compliance")
                .map(|o| o.key.unwrap_or(o.value)),
        }
        .or_else(|| provenance.user_key_location("", loaded.file))
    }
}

/// The findings of one rule for one environment.
struct Outcome<'a> {
    profile: &'a str,
    rule: &'a Rule,
    /// Index of the `compliance:` entry that selected the profile (`None`: implicit).
    entry: Option<usize>,
    /// Whether the rule's condition holds.
    applies: bool,
    /// Whether the rule found a failure (before another rule took it over).
    failed: bool,
    failures: Vec<Failure>,
    /// The rule that took over failures of this one.
    reported_by: Option<String>,
    /// Evidence keys nobody declared (only for a rule without failures).
    undeclared: Vec<String>,
}

impl Outcome<'_> {
    fn result(&self) -> RuleResult {
        let reported_by = match self.failures.is_empty() {
            true => self.reported_by.clone(),
            false => None,
        };
        let status = if self.failed && self.rule.meta.severity != catalog::Level::Note {
            Status::Fail
        } else if !self.undeclared.is_empty() {
            Status::NotEvidenced
        } else if self.failed || self.applies {
            Status::Pass
        } else {
            Status::NotApplicable
        };
        RuleResult {
            profile: self.profile.to_owned(),
            rule: self.rule.meta.id.clone(),
            status,
            reported_by: reported_by.filter(|_| status == Status::Fail),
            undeclared: self.undeclared.clone(),
        }
    }
}

/// Mark failing rules whose finding in `found` a deviation accepted (see
/// [`apply_deviations`]) as [`Status::Accepted`]; a rule whose failure another rule reports
/// follows that rule.
pub fn settle(results: &mut [RuleResult], found: &[Diagnostic]) {
    let accepted = |code: &str| found.iter().any(|d| d.code == code && d.accepted.is_some());
    for r in results.iter_mut() {
        let by = r.reported_by.as_deref().unwrap_or(&r.rule);
        if matches!(r.status, Status::Fail | Status::NotEvidenced) && accepted(by) {
            r.status = Status::Accepted;
        }
    }
}

/// Conflicts replace the rules they name; cross-cutting rules yield to a profile rule that
/// reports at the same key.
fn supersede(results: &mut [Outcome<'_>]) {
    let mut drops: Vec<(String, String, Option<String>)> = Vec::new();
    for r in results.iter().filter(|r| !r.failures.is_empty()) {
        for s in &r.rule.meta.supersedes {
            drops.push((r.rule.meta.id.clone(), s.rule.clone(), s.under.clone()));
        }
    }
    for r in results.iter_mut() {
        for (by, rule, under) in &drops {
            if &r.rule.meta.id == rule {
                let before = r.failures.len();
                r.failures.retain(|f| {
                    under
                        .as_deref()
                        .is_some_and(|u| f.pointer != u && !f.pointer.starts_with(&format!("{u}/")))
                });
                if r.failures.len() < before {
                    r.reported_by.get_or_insert_with(|| by.clone());
                }
            }
        }
    }
    let taken: Vec<(String, Vec<String>)> = results
        .iter()
        .map(|r| {
            (
                r.rule.meta.id.clone(),
                r.failures.iter().map(|f| f.pointer.clone()).collect(),
            )
        })
        .collect();
    for r in results.iter_mut() {
        for by in &r.rule.meta.superseded_by {
            if let Some((_, pointers)) = taken.iter().find(|(id, _)| id == by) {
                let before = r.failures.len();
                r.failures.retain(|f| !pointers.contains(&f.pointer));
                if r.failures.len() < before {
                    r.reported_by.get_or_insert_with(|| by.clone());
                }
            }
        }
    }
}

/// Whether a built-in default at `pointer` states a fact of this environment anyway: encryption
/// at rest where the storage provider encrypts every object (AWS S3 since January 2023, Azure
/// Storage, Google Cloud Storage).
fn default_holds(pointer: &str, facts: &Facts) -> bool {
    pointer == "/storage/encryption/atRest" && facts.provider_encrypts_at_rest
}

/// The evidence keys of a rule that nobody declared: absent, or only a built-in default.
/// Keys of the off-site copy count only when there is one.
fn undeclared(loaded: &LoadedEnvironment, facts: &Facts, evidence: &[String]) -> Vec<String> {
    let offsite = loaded
        .value
        .pointer("/replication/offsite/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    evidence
        .iter()
        .filter(|p| offsite || !p.starts_with("/replication/offsite/"))
        .filter(|p| {
            let declared = match loaded.provenance.get(p) {
                Some(origin) => origin.value.source != DEFAULTS_SOURCE,
                None => false,
            };
            let present = loaded.value.pointer(p).is_some_and(|v| !v.is_null());
            !(present && (declared || default_holds(p, facts)))
        })
        .cloned()
        .collect()
}

/// Reference keys holding a bare `true` instead of `{ref, date, by}` (absent or `false` is the
/// rule's own failure; off-site keys count only when there is an off-site copy).
fn bare_flags(loaded: &LoadedEnvironment, references: &[String]) -> Vec<String> {
    let offsite = loaded
        .value
        .pointer("/replication/offsite/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    references
        .iter()
        .filter(|p| offsite || !p.starts_with("/replication/offsite/"))
        .filter(|p| loaded.value.pointer(p) == Some(&Value::Bool(true)))
        .cloned()
        .collect()
}

/// Evidence dates (keys a rule reads that hold a date, or evidence references' `date`) later than `today`: a record of
/// something that has not happened yet is not evidence.
fn future_dates(fields: &[String], instance: &Value, today: i64) -> Vec<Failure> {
    fields
        .iter()
        .flat_map(|p| [p.clone(), format!("{p}/date")])
        .filter_map(|p| {
            let text = instance.pointer(&p)?.as_str()?;
            let day = crate::velero::dates::parse_date(text)?;
            (day > today).then(|| {
                Failure::new(
                    p.as_str(),
                    format!(
                        "`{}` is dated {text}, after today ({}): evidence cannot be dated in the future",
                        dotted(&p),
                        crate::velero::dates::format_date(today)
                    ),
                )
            })
        })
        .collect()
}

/// One error per future evidence date any evaluated rule reads (the rules themselves fail).
fn future_date_findings(
    loaded: &LoadedEnvironment,
    results: &[Outcome<'_>],
    instance: &Value,
    today: i64,
) -> Vec<Diagnostic> {
    let mut pointers: BTreeSet<&str> = BTreeSet::new();
    for r in results.iter().filter(|r| r.applies) {
        pointers.extend(r.rule.meta.fields.iter().map(String::as_str));
    }
    let fields: Vec<String> = pointers.into_iter().map(str::to_owned).collect();
    future_dates(&fields, instance, today)
        .into_iter()
        .map(|f| {
            Diagnostic::error(Code::FutureEvidenceDate, f.message)
                .at(
                    loaded.provenance.value_location(&f.pointer),
                    "in the future",
                )
                .help("record the date the evidence was actually produced (today or earlier)")
                .in_environment(loaded.name.clone())
        })
        .collect()
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

/// What a rule's finding blocks: `Overdue` when every failure reads a fact computed from
/// today's date (so the finding came with the calendar, not with a change to the files),
/// `Compliance` otherwise.
fn effect(failures: &[Failure]) -> Effect {
    let dated = |f: &Failure| {
        f.pointer
            .strip_prefix("/derived/")
            .is_some_and(|key| derived::DATED.contains(&key))
    };
    if !failures.is_empty() && failures.iter().all(dated) {
        Effect::Overdue
    } else {
        Effect::Compliance
    }
}

/// The deepest `x-message` on the way from the rule's schema to the failing keyword.
fn clause_message<'a>(schema: &'a Value, schema_path: &str) -> Option<&'a str> {
    let mut node = schema;
    let mut found = node.get("x-message").and_then(Value::as_str);
    for segment in crate::source::pointer::segments(schema_path) {
        let next = match node {
            Value::Object(map) => map.get(segment.as_ref()),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        node = next;
        if let Some(m) = node.get("x-message").and_then(Value::as_str) {
            found = Some(m);
        }
    }
    found
}

/// Fill `{field}` (the dotted key), `{value}` (its value) and `{/json/pointer}` (any value of
/// the instance, `/derived` included) in a message template.
fn render(template: &str, instance: &Value, pointer: &str) -> String {
    let source = source_pointer(pointer, instance.get("derived").unwrap_or(&Value::Null));
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        let value = match name {
            "field" => Some(dotted(source)),
            "value" => Some(
                instance
                    .pointer(source)
                    .map_or_else(|| "not set".to_owned(), display),
            ),
            p if p.starts_with('/') => {
                Some(instance.pointer(p).map_or_else(|| "?".to_owned(), display))
            }
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A value as the user wrote it: strings without quotes, lists comma-separated.
fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn unknown_profile(loaded: &LoadedEnvironment, i: usize, name: &str, names: &[&str]) -> Diagnostic {
    let mut help = format!(
        "known profiles: {} (see `ck8s-gen regulations list`)",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(s) = crate::text::suggest::did_you_mean(name, names.iter().copied()) {
        help = format!("did you mean `{s}`? {help}");
    }
    Diagnostic::error(
        Code::UnknownProfile,
        format!("`{name}` is not a regulatory profile"),
    )
    .at(
        loaded
            .provenance
            .value_location(&format!("/compliance/{i}")),
        "unknown profile",
    )
    .help(help)
    .in_environment(loaded.name.clone())
}

/// Regulatory rules that check the key at `pointer` (or a key under it): `(rule id, citation)`.
pub fn rules_for_key(assets: &Assets, pointer: &str) -> Vec<(String, String)> {
    let Ok(catalog) = Catalog::load(assets) else {
        return Vec::new();
    };
    let prefix = format!("{pointer}/");
    let mut out: Vec<(String, String)> = catalog
        .rules()
        .filter(|(_, r)| {
            r.meta
                .fields
                .iter()
                .any(|f| f == pointer || f.starts_with(&prefix))
        })
        .map(|(_, r)| (r.meta.id.clone(), r.meta.citation.reference()))
        .collect();
    out.sort();
    out
}

/// The longest a risk acceptance may run when `documentation.deviationMaxDays` is not set.
pub const DEVIATION_MAX_DAYS: u32 = 365;

/// Mark warnings accepted by a documented deviation (a risk acceptance); refuse deviations from
/// errors; report deviations that no longer apply (expired, on `today`), that lack their
/// approval or expiry, that run longer than the cap, or that match nothing.
pub fn apply_deviations(
    loaded: &LoadedEnvironment,
    env: Option<&Environment>,
    found: &mut Vec<Diagnostic>,
    today: i64,
) {
    let Some(env) = env else { return };
    let cap = env
        .documentation
        .deviation_max_days
        .unwrap_or(DEVIATION_MAX_DAYS);
    let mut extra = Vec::new();
    for (i, deviation) in env.deviations.iter().enumerate() {
        let pointer = format!("/deviations/{i}");
        let at = loaded.provenance.value_location(&format!("{pointer}/rule"));
        let missing: Vec<&str> = [
            ("approvedBy", deviation.approved_by.is_none()),
            ("approvedAt", deviation.approved_at.is_none()),
            ("expires", deviation.expires.is_none()),
        ]
        .into_iter()
        .filter_map(|(k, m)| m.then_some(k))
        .collect();
        if !missing.is_empty() {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationWithoutExpiry,
                    format!(
                        "the deviation from {} is not a complete risk acceptance: it has no {}",
                        deviation.rule,
                        missing
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(at, "incomplete risk acceptance")
                .help(format!(
                    "add who approved it (`approvedBy`), when (`approvedAt`) and when it ends (`expires`, at most {cap} days after approval)"
                ))
                .in_environment(loaded.name.clone()),
            );
        }
        let approved = deviation
            .approved_at
            .as_deref()
            .and_then(crate::velero::dates::parse_date);
        let expires_day = deviation
            .expires
            .as_deref()
            .and_then(crate::velero::dates::parse_date);
        if let Some(day) = approved
            && day > today
        {
            extra.push(
                Diagnostic::error(
                    Code::FutureEvidenceDate,
                    format!(
                        "`deviations[{i}].approvedAt` is dated {}, after today ({}): evidence cannot be dated in the future",
                        crate::velero::dates::format_date(day),
                        crate::velero::dates::format_date(today)
                    ),
                )
                .at(
                    loaded
                        .provenance
                        .value_location(&format!("{pointer}/approvedAt")),
                    "in the future",
                )
                .help("record the date the deviation was actually approved (today or earlier)")
                .in_environment(loaded.name.clone()),
            );
        }
        if let (Some(from), Some(to)) = (approved, expires_day)
            && to - from > i64::from(cap)
        {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationTooLong,
                    format!(
                        "the deviation from {} runs {} days, from approval on {} to {}: more than the cap of {cap} days",
                        deviation.rule,
                        to - from,
                        crate::velero::dates::format_date(from),
                        crate::velero::dates::format_date(to)
                    ),
                )
                .at(
                    loaded
                        .provenance
                        .value_location(&format!("{pointer}/expires")),
                    "too far ahead",
                )
                .help(format!(
                    "set `expires` at most {cap} days after `approvedAt` and review it then (the cap is `documentation.deviationMaxDays`)"
                ))
                .in_environment(loaded.name.clone()),
            );
        }
        if let Some(expires) = expires_day
            && expires < today
        {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationExpired,
                    format!(
                        "the deviation from {} expired on {}",
                        deviation.rule,
                        crate::velero::dates::format_date(expires)
                    ),
                )
                .at(
                    loaded
                        .provenance
                        .value_location(&format!("{pointer}/expires")),
                    "expired",
                )
                .help("review the deviation: renew `expires` or fix the finding")
                .with_effect(Effect::Overdue),
            );
            continue;
        }
        let mut matched = false;
        for d in found.iter_mut().filter(|d| d.code == deviation.rule) {
            matched = true;
            match d.severity {
                Severity::Error => {}
                Severity::Warning | Severity::Note => {
                    d.accepted = Some(Acceptance {
                        reason: deviation.reason.clone(),
                        owner: deviation.owner.clone(),
                        approved_by: deviation.approved_by.clone(),
                        approved_at: deviation.approved_at.clone(),
                        expires: deviation.expires.clone(),
                    });
                }
            }
        }
        if found
            .iter()
            .any(|d| d.code == deviation.rule && d.severity == Severity::Error)
        {
            extra.push(
                Diagnostic::error(Code::DeviationNotAllowed, format!("{} is an error-level rule; it cannot be accepted as a deviation", deviation.rule))
                    .at(at, "cannot accept an error")
                    .help("only warnings (SHOULD and interpretation rules) can be accepted; fix the setting instead"),
            );
        } else if !matched {
            extra.push(
                Diagnostic::note(
                    Code::UnusedDeviation,
                    format!("the deviation from {} matches no finding", deviation.rule),
                )
                .at(at, "nothing to accept")
                .help("remove the deviation, or check the rule id (`ck8s-gen regulations list`)"),
            );
        }
    }
    found.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::ENVIRONMENT_SCHEMA;
    use crate::schema::EnvironmentSchema;
    use serde_json::json;

    fn embedded() -> Catalog {
        Catalog::load(&Assets::embedded()).expect("the built-in profiles load")
    }

    #[test]
    fn every_profile_file_is_a_json_schema_and_names_real_keys() {
        let assets = Assets::embedded();
        let schema =
            EnvironmentSchema::compile(assets.schema(ENVIRONMENT_SCHEMA).unwrap()).unwrap();
        let catalog = embedded();
        assert_eq!(catalog.profiles.len(), 10);
        for p in &catalog.profiles {
            let text = assets.schema(&p.file).unwrap();
            let raw: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{}",
                p.file
            );
            jsonschema::draft202012::new(&raw)
                .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", p.file));
            for r in &p.rules {
                for pointer in r.meta.fields.iter().chain(std::iter::once(&r.meta.locate)) {
                    assert!(
                        schema.node_at(pointer).is_some(),
                        "{}: `{pointer}` is not a key of the environment schema",
                        r.meta.id
                    );
                }
            }
        }
    }

    #[test]
    fn the_brief_profiles_and_aliases_exist() {
        let catalog = embedded();
        for id in [
            "gdpr-art-17",
            "hslf-fs-2016-40",
            "iso-27001-a.12.3.1",
            "iso-27001-2022-a.8.13",
            "bsi-app.4.4.a5",
            "hipaa-164.308-a7",
            "msbfs-2020-7",
            "nis2-art-21",
            "dora-art-12",
        ] {
            assert!(catalog.profile(id).is_some(), "{id}");
        }
        // MSBFS wording was not verified: nothing there may fail validation.
        let msbfs = catalog.profile("msbfs-2020-7").unwrap();
        assert!(msbfs.rules.iter().all(|r| r.meta.is_interpretation()
            && r.meta.severity != catalog::Level::Error
            && r.meta.citation.reference().contains("wording not verified")));
    }

    fn with_profile(file: &str, text: String) -> Assets {
        let mut assets = Assets::embedded();
        assets
            .schemas
            .push((file.to_owned(), std::borrow::Cow::Owned(text)));
        assets
    }

    #[test]
    fn inconsistent_profiles_are_refused() {
        let rule = |id: &str, strength: &str, severity: &str| {
            json!({
                "x-profile": {"id": "test-profile", "title": "t", "regulation": "r", "summary": "s", "textVersion": "v", "effective": "2020-01-01", "retrieved": "2026-12-01"},
                "allOf": [{
                    "x-rule": {
                        "id": id, "severity": severity, "strength": strength,
                        "citation": {"regulation": "R"}, "quote": null, "checks": "c",
                        "message": "m", "fix": "f", "locate": "/backup", "fields": ["/backup"],
                        "sourceKind": "regulation", "interpretation": strength == "hard" && severity == "error" && id == "TEST-02"
                    },
                    "required": ["backup"]
                }]
            })
            .to_string()
        };
        let load = |text: String| {
            Catalog::load(&with_profile("regulations/test-profile.json", text))
                .map_err(|e| e.to_string())
        };
        assert!(load(rule("TEST-01", "hard", "error")).is_ok());
        let hard_warning = load(rule("TEST-01", "hard", "warning")).unwrap_err();
        assert!(
            hard_warning.contains("cannot have severity warning"),
            "{hard_warning}"
        );
        assert!(load(rule("TEST-01", "interp", "error")).is_err());
        // A hard rule flagged as our interpretation is never an error.
        let interp = load(rule("TEST-02", "hard", "error")).unwrap_err();
        assert!(interp.contains("never an error"), "{interp}");
        assert!(
            load(rule("ISO-01", "hard", "error"))
                .unwrap_err()
                .contains("used twice")
        );
        assert!(load(rule("test-1", "hard", "error")).is_err());
        let wrong_file = Catalog::load(&with_profile(
            "regulations/other.json",
            rule("TEST-01", "hard", "error"),
        ));
        assert!(wrong_file.unwrap_err().to_string().contains("must be in"));
    }

    #[test]
    fn messages_fill_in_keys_and_values() {
        let instance =
            json!({"backup": {"retention": {"ttl": "8760h"}}, "derived": {"retentionDays": 365}});
        assert_eq!(
            render(
                "`{field}` is {value} ({/derived/retentionDays} days)",
                &instance,
                "/derived/retentionHours"
            ),
            "`backup.retention.ttl` is 8760h (365 days)"
        );
        assert_eq!(
            render("{value}", &instance, "/restoreTest/lastPerformed"),
            "not set"
        );
        assert_eq!(render("{unknown} {", &instance, ""), "{unknown} {");
        let schema = json!({"x-message": "outer", "allOf": [{"x-message": "inner", "required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(clause_message(&schema, "/allOf/0/required"), Some("inner"));
        assert_eq!(clause_message(&schema, "/allOf/1/required"), Some("outer"));
    }

    #[test]
    fn rules_for_a_key() {
        let rules = rules_for_key(&Assets::embedded(), "/restoreTest/decidedBy");
        let ids: Vec<&str> = rules.iter().map(|(id, _)| id.as_str()).collect();
        assert!(ids.contains(&"HSLF-09"), "{ids:?}");
        let (_, citation) = rules.iter().find(|(id, _)| id == "HSLF-09").unwrap();
        assert_eq!(citation, "HSLF-FS 2016:40 3 kap. 13 §");
        assert!(rules_for_key(&Assets::embedded(), "/gitops/engine").is_empty());
    }

    #[test]
    fn explain_and_list() {
        let catalog = embedded();
        let list = regulations::list(&catalog, false);
        assert!(list.contains("hslf-fs-2016-40") && list.contains("alias iso-27001-2022-a.8.13"));
        let json: Value = serde_json::from_str(&regulations::list(&catalog, true)).unwrap();
        let gdpr = json["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "gdpr-art-17")
            .unwrap();
        assert_eq!(gdpr["rules"], 12);
        let rule = regulations::explain(&catalog, "hslf-07", false).unwrap();
        for part in [
            "HSLF-07  error (hard; regulation)",
            "HSLF-FS 2016:40 3 kap. 13 §",
            "Vårdgivaren ska besluta",
            "decidedBy",
            "not possible",
        ] {
            assert!(rule.contains(part), "{part} missing in:\n{rule}");
        }
        let profile = regulations::explain(&catalog, "iso-27001-2022-a.8.13", false).unwrap();
        assert!(profile.contains("ISO-01") && profile.contains("ISO-10"));
        let err = regulations::explain(&catalog, "GDPR-2", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean"), "{err}");
        let json: Value =
            serde_json::from_str(&regulations::explain(&catalog, "X-02", true).unwrap()).unwrap();
        assert_eq!(json["rule"]["supersededBy"][0], "GDPR-05");
    }
}
