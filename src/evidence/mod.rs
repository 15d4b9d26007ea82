//! The compliance evidence report (`ck8s-gen report`): for auditors and CISOs, what each
//! environment is held to, how it fares against every rule and which setting shows it, the
//! fleet side by side, and what is in the backups.
//!
//! [`build`] turns a validation [`Outcome`] into an [`Evidence`] document; [`markdown`],
//! [`html`] and [`to_json`] render it. The library stays pure: the git commit and "today" are
//! passed in by the command. Everything is sorted and free of timestamps, so the same inputs
//! give the same bytes, and the header says how to reproduce them.
//!
//! # JSON shape (`version` 1)
//!
//! The JSON rendering is this module's types serialized with camelCase keys; fields are only
//! added in a compatible way while `version` stays 1.
//!
//! ```text
//! { version, header: {tool, toolVersion, commit|null, today, directory, inputHash, schemasHash},
//!   summary: {verdict, environments, failing, withWarnings, rules: Counts, findings: Tally},
//!   profiles: [{id, title, implicit, textVersion, effective, retrieved,
//!               checked: [clause], notChecked: [clause]}],  // the matrix columns
//!   environments: [{
//!     name, file, description|null, role|null, verdict, evaluated, compliance: [id],
//!     profiles: [{id, counts: Counts}],                     // one matrix row
//!     keySettings: [{id, label, text, value, at: Source|null}],
//!     rules: [{id, profile, severity, strength, sourceKind, status, undeclared: [key],
//!              checks, citation: {reference,
//!              quote|null, interpretation}, settings: [{key, value|null, text, at: Source|null}],
//!              finding: Finding|null, reportedBy|null}],
//!     findings: [Finding],                                  // not tied to a rule
//!     tally: Tally, coverage: Coverage|null, restoreTestHistory: string|null }],
//!   workspaceFindings: [Finding] }                          // tied to no environment
//! Counts  = {pass, fail, accepted, notEvidenced, notApplicable}
//! Tally   = {errors, warnings, notes, accepted}
//! Source  = {file, line, default}                           // default: a built-in default
//! Finding = {code, severity, message, at: Source|null, label|null, fix|null,
//!            accepted: {reason, owner, approvedBy|null, approvedAt|null,
//!                       expires|null}|null}
//! ```
//! `verdict` is `pass`, `warnings` (open warnings only) or `fail`; `status` is `pass`, `fail`,
//! `accepted`, `not-evidenced` (the rule would pass only on values nobody declared: built-in
//! defaults, absent keys; `undeclared` lists them) or `not-applicable`. `sourceKind` is
//! `regulation`, `standard-guidance`, `supervisory-guidance`, `vendor-practice` or
//! `consistency-rule`.

pub mod coverage;

pub mod html;
pub mod markdown;

use crate::assets::Assets;
use crate::compliance::Status;
use crate::compliance::catalog::{Catalog, SourceKind, Strength};
use crate::diagnostic::{Diagnostic, Severity, Tally};
use crate::environment::load::{DEFAULTS_NAME, LoadedEnvironment};
use crate::schema::dotted;
use crate::source::{Location, Sources};
use crate::validate::{Checked, Outcome};
use coverage::Coverage;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The ConfigMap (in the Velero namespace) each rendered restore-test run appends a JSON
/// record to: the durable evidence, kept longer than Velero keeps its Restore objects.
pub const RESTORE_TEST_HISTORY: &str = "ck8s-restore-test-history";

/// The version of the JSON shape.
pub const VERSION: u32 = 1;

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub version: u32,
    pub header: Header,
    pub summary: Summary,
    /// Every profile any environment is evaluated against, in catalogue order (the listed
    /// profiles by id, then those applied with any profile): the columns of the fleet matrix.
    pub profiles: Vec<ProfileColumn>,
    pub environments: Vec<EnvironmentEvidence>,
    /// Findings about no single environment (files that could not be read, the fleet).
    pub workspace_findings: Vec<Finding>,
}

/// What an auditor needs to reproduce the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub tool: String,
    pub tool_version: String,
    /// The commit of the repository holding the environments (`-dirty` when it has
    /// uncommitted changes), when known.
    pub commit: Option<String>,
    /// The day date rules (restore-test age, review age, deviation expiry) were evaluated on.
    pub today: String,
    /// The environment directory, as given.
    pub directory: String,
    /// `sha256:` over the effective environments (see [`input_hash`]).
    pub input_hash: String,
    /// `sha256:` over the schemas, defaults and regulatory profiles used (see [`schemas_hash`]).
    pub schemas_hash: String,
}

/// Pass, open warnings, or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No error and no open warning (notes and accepted deviations may remain).
    Pass,
    /// No error, but warnings no deviation accepts.
    Warnings,
    /// At least one error-level finding.
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warnings => "warnings",
            Verdict::Fail => "fail",
        }
    }

    fn of(diagnostics: &[&Diagnostic]) -> Verdict {
        if diagnostics.iter().any(|d| d.is_failure()) {
            Verdict::Fail
        } else if diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning && d.accepted.is_none())
        {
            Verdict::Warnings
        } else {
            Verdict::Pass
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub verdict: Verdict,
    pub environments: usize,
    /// Environments with the verdict `fail`.
    pub failing: usize,
    /// Environments with the verdict `warnings`.
    pub with_warnings: usize,
    /// Rule results over every environment.
    pub rules: Counts,
    /// Every finding of the run, environment or not.
    pub findings: Tally,
}

/// Rule results by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub accepted: usize,
    /// Rules that would pass only on values nobody declared.
    pub not_evidenced: usize,
    pub not_applicable: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Accepted => self.accepted += 1,
            Status::NotEvidenced => self.not_evidenced += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }

    fn merge(&mut self, other: Counts) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.accepted += other.accepted;
        self.not_evidenced += other.not_evidenced;
        self.not_applicable += other.not_applicable;
    }

    /// The status a group of rules shows: any fail, else any not evidenced, else any
    /// accepted, else pass (or not applicable when no rule applies).
    pub fn status(&self) -> Status {
        if self.fail > 0 {
            Status::Fail
        } else if self.not_evidenced > 0 {
            Status::NotEvidenced
        } else if self.accepted > 0 {
            Status::Accepted
        } else if self.pass > 0 {
            Status::Pass
        } else {
            Status::NotApplicable
        }
    }

    /// `9 pass · 1 fail · 2 n/a`, leaving out zero counts (but never everything).
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.fail, "fail"),
            (self.not_evidenced, "not evidenced"),
            (self.accepted, "accepted"),
            (self.pass, "pass"),
            (self.not_applicable, "n/a"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if parts.is_empty() {
            return "no rules".to_owned();
        }
        parts.join(" · ")
    }
}

/// A column of the fleet matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileColumn {
    pub id: String,
    pub title: String,
    /// Applied with any profile (cross-cutting rules, conflicts), not listed by environments.
    pub implicit: bool,
    /// The text version the rules encode, when it took effect, when its wording was retrieved.
    pub text_version: String,
    pub effective: String,
    pub retrieved: String,
    /// The clauses ck8s-gen checks (the rules' citations, deduplicated, in rule order).
    pub checked: Vec<String>,
    /// The clauses it does not check: manual for the auditor.
    pub not_checked: Vec<String>,
}

/// One environment's cell of the matrix: its results under one profile (all counts zero when
/// the environment could not be evaluated).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileResult {
    pub id: String,
    pub counts: Counts,
}

/// Where a value is set: `file:line`; `default` when it is a built-in default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub default: bool,
}

impl Source {
    fn of(sources: &Sources, location: Location) -> Source {
        let p = sources.describe(location);
        Source {
            file: p.path.to_owned(),
            line: p.line,
            default: p.path == DEFAULTS_NAME,
        }
    }

    /// `environments/prod.yaml:12`, or `built-in default`.
    pub fn text(&self) -> String {
        if self.default {
            "built-in default".to_owned()
        } else {
            format!("{}:{}", self.file, self.line)
        }
    }
}

/// One of the settings shown side by side for the fleet.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySetting {
    /// `schedule`, `retention`, `encryptionAtRest`, `offsite`, `objectLock`,
    /// `restoreTestFrequency`, `restoreTestLastPerformed`.
    pub id: String,
    pub label: String,
    /// For people: `720h (30 days)`.
    pub text: String,
    /// The value at the setting's main key, as configured (`null` when not set).
    pub value: Value,
    pub at: Option<Source>,
}

/// One key a rule reads, and its effective value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    /// The dotted key, e.g. `backup.retention.ttl`.
    pub key: String,
    pub value: Option<Value>,
    /// The value for people: `720h`, `a, b`, `not set`.
    pub text: String,
    pub at: Option<Source>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    pub reference: String,
    pub quote: Option<String>,
    /// The rule is our reading of an open requirement.
    pub interpretation: bool,
}

/// A deviation that accepts a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub reason: String,
    pub owner: String,
    /// Who approved the risk acceptance and when (absent in older files).
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub expires: Option<String>,
}

/// A finding, located.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub at: Option<Source>,
    /// What the location shows, e.g. `does not meet HSLF-07`.
    pub label: Option<String>,
    pub fix: Option<String>,
    pub accepted: Option<Accepted>,
}

/// One rule for one environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleEvidence {
    pub id: String,
    pub profile: String,
    pub severity: Severity,
    /// `hard` (shall), `should`, or `interp` (our interpretation).
    pub strength: Strength,
    /// What kind of text the rule rests on (regulation, standard guidance, …).
    pub source_kind: SourceKind,
    pub status: Status,
    /// For a `not-evidenced` rule: the dotted keys nobody declared.
    pub undeclared: Vec<String>,
    /// What the rule checks.
    pub checks: String,
    pub citation: Citation,
    /// The keys the rule reads: the settings that satisfy or violate it.
    pub settings: Vec<Setting>,
    /// The finding when the rule is not met (or a note when it is).
    pub finding: Option<Finding>,
    /// The rule whose finding reports this rule's failure (a conflict between profiles, or
    /// the profile rule a cross-cutting rule yields to).
    pub reported_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentEvidence {
    pub name: String,
    /// The environment file.
    pub file: String,
    pub description: Option<String>,
    pub role: Option<String>,
    pub verdict: Verdict,
    /// Whether the regulatory profiles could be evaluated (the schema accepted the file).
    pub evaluated: bool,
    /// The profiles the environment lists under `compliance:`, as written.
    pub compliance: Vec<String>,
    /// Results per profile (listed ones and those applied with any profile).
    pub profiles: Vec<ProfileResult>,
    pub key_settings: Vec<KeySetting>,
    pub rules: Vec<RuleEvidence>,
    /// Findings not tied to a regulatory rule: schema, semantic and fleet checks.
    pub findings: Vec<Finding>,
    /// Every finding of the environment, rule findings included.
    pub tally: Tally,
    /// What is in the backups (when the environment is valid enough to tell).
    pub coverage: Option<Coverage>,
    /// Where the durable restore-test records are (one JSON record per run, appended by the
    /// rendered restore test), when the environment renders one.
    pub restore_test_history: Option<String>,
}

/// What the command passes in besides the validation outcome.
pub struct Inputs<'a> {
    pub catalog: &'a Catalog,
    pub assets: &'a Assets,
    /// `git rev-parse HEAD` of the repository, when known.
    pub commit: Option<String>,
    /// Day number of "today" (from the command layer: the clock or `CK8S_GEN_TODAY`).
    pub today: i64,
    /// The environment directory, as given on the command line.
    pub directory: String,
}

/// Build the evidence for every environment of `outcome`.
pub fn build(outcome: &Outcome, inputs: &Inputs<'_>) -> Evidence {
    let catalog = inputs.catalog;
    // Coverage describes the Schedules `render` writes, so it needs the templates.
    let templates = crate::render::templates::Templates::new(inputs.assets).ok();
    let environments: Vec<EnvironmentEvidence> = outcome
        .environments
        .iter()
        .map(|checked| environment(outcome, checked, inputs, templates.as_ref()))
        .collect();
    let mut profiles: Vec<ProfileColumn> = catalog
        .profiles
        .iter()
        .filter(|p| {
            environments
                .iter()
                .any(|e| e.profiles.iter().any(|r| r.id == p.meta.id))
        })
        .map(|p| {
            let mut checked: Vec<String> = Vec::new();
            for r in &p.rules {
                let c = r.meta.citation.reference();
                if !checked.contains(&c) {
                    checked.push(c);
                }
            }
            ProfileColumn {
                id: p.meta.id.clone(),
                title: p.meta.title.clone(),
                implicit: p.meta.implicit,
                text_version: p.meta.text_version.clone(),
                effective: p.meta.effective.clone(),
                retrieved: p.meta.retrieved.clone(),
                checked,
                not_checked: p.meta.not_checked.clone(),
            }
        })
        .collect();
    profiles.sort_by_key(|p| p.implicit);
    let workspace_findings: Vec<Finding> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.environment.is_none())
        .map(|d| finding(d, &outcome.sources, None))
        .collect();
    let all: Vec<&Diagnostic> = outcome.diagnostics.iter().collect();
    let mut rules = Counts::default();
    for e in &environments {
        for p in &e.profiles {
            rules.merge(p.counts);
        }
    }
    let summary = Summary {
        verdict: Verdict::of(&all),
        environments: environments.len(),
        failing: environments
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
            .count(),
        with_warnings: environments
            .iter()
            .filter(|e| e.verdict == Verdict::Warnings)
            .count(),
        rules,
        findings: Tally::of(&outcome.diagnostics),
    };
    Evidence {
        version: VERSION,
        header: Header {
            tool: "ck8s-gen".to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            commit: inputs.commit.clone(),
            today: crate::velero::dates::format_date(inputs.today),
            directory: inputs.directory.clone(),
            input_hash: input_hash(outcome.environments.iter().map(|c| &c.loaded)),
            schemas_hash: schemas_hash(inputs.assets),
        },
        summary,
        profiles,
        environments,
        workspace_findings,
    }
}

fn environment(
    outcome: &Outcome,
    checked: &Checked,
    inputs: &Inputs<'_>,
    templates: Option<&crate::render::templates::Templates>,
) -> EnvironmentEvidence {
    let loaded = &checked.loaded;
    let sources = &outcome.sources;
    let mine: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.environment.as_deref() == Some(loaded.name.as_str()))
        .collect();
    let deviations = checked
        .environment
        .as_ref()
        .map(|e| e.deviations.as_slice())
        .unwrap_or_default();
    let expires = |rule: &str| {
        deviations
            .iter()
            .find(|d| d.rule == rule)
            .and_then(|d| d.expires.clone())
    };
    let catalog = inputs.catalog;
    let position = |profile: &str, rule: &str| {
        catalog
            .profiles
            .iter()
            .position(|p| p.meta.id == profile)
            .map(|p| {
                let r = catalog.profiles[p]
                    .rules
                    .iter()
                    .position(|r| r.meta.id == rule);
                (p, r)
            })
    };
    let mut results: Vec<&crate::compliance::RuleResult> = checked.rules.iter().collect();
    results.sort_by_key(|r| position(&r.profile, &r.rule));
    let mut rules = Vec::new();
    let mut per_profile: BTreeMap<String, Counts> = BTreeMap::new();
    for result in results {
        let Some((_, rule)) = catalog.rule(&result.rule) else {
            continue;
        };
        per_profile
            .entry(result.profile.clone())
            .or_default()
            .add(result.status);
        let meta = &rule.meta;
        let finding = mine
            .iter()
            .find(|d| d.code == meta.id)
            .map(|d| finding(d, sources, expires(d.code.as_str())));
        rules.push(RuleEvidence {
            id: meta.id.clone(),
            profile: result.profile.clone(),
            severity: meta.severity.severity(),
            strength: meta.strength,
            source_kind: meta.source_kind,
            status: result.status,
            undeclared: result.undeclared.iter().map(|p| dotted(p)).collect(),
            checks: meta.checks.clone(),
            citation: Citation {
                reference: meta.citation.reference(),
                quote: meta.quote.clone(),
                interpretation: meta.is_interpretation(),
            },
            settings: meta
                .fields
                .iter()
                .map(|pointer| setting(loaded, sources, pointer))
                .collect(),
            finding,
            reported_by: result.reported_by.clone(),
        });
    }
    if checked.environment.is_none() {
        // Not evaluated: the profiles it lists (and those applied with any), without results.
        let listed: Vec<&str> = loaded
            .value
            .get("compliance")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for name in listed {
            if let Some(p) = catalog.profile(name).filter(|p| !p.meta.implicit) {
                per_profile.entry(p.meta.id.clone()).or_default();
            }
        }
        if !per_profile.is_empty() {
            for p in catalog.profiles.iter().filter(|p| p.meta.implicit) {
                per_profile.entry(p.meta.id.clone()).or_default();
            }
        }
    }
    let profiles: Vec<ProfileResult> = catalog
        .profiles
        .iter()
        .filter_map(|p| {
            per_profile.get(&p.meta.id).map(|counts| ProfileResult {
                id: p.meta.id.clone(),
                counts: *counts,
            })
        })
        .collect();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let findings = mine
        .iter()
        .filter(|d| !rule_ids.contains(&d.code.as_str()))
        .map(|d| finding(d, sources, expires(d.code.as_str())))
        .collect();
    let text = |pointer: &str| {
        loaded
            .value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let owned: Vec<Diagnostic> = mine.iter().map(|d| (*d).clone()).collect();
    EnvironmentEvidence {
        name: loaded.name.clone(),
        file: sources.get(loaded.file).path.clone(),
        description: text("/metadata/description"),
        role: text("/cluster/role"),
        verdict: Verdict::of(&mine),
        evaluated: checked.environment.is_some(),
        compliance: loaded
            .value
            .get("compliance")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(display).collect())
            .unwrap_or_default(),
        profiles,
        key_settings: key_settings(loaded, sources, inputs.today),
        rules,
        findings,
        tally: Tally::of(&owned),
        coverage: checked
            .environment
            .as_ref()
            .zip(templates)
            .and_then(|(env, templates)| coverage::of(templates, env).ok()),
        restore_test_history: checked
            .environment
            .as_ref()
            .filter(|e| e.restore_test.is_some())
            .map(|e| {
                format!(
                    "ConfigMap `{RESTORE_TEST_HISTORY}` in namespace `{}` of cluster `{}`",
                    e.gitops.namespace, e.metadata.name
                )
            }),
    }
}

fn finding(d: &Diagnostic, sources: &Sources, expires: Option<String>) -> Finding {
    Finding {
        code: d.code.to_string(),
        severity: d.severity,
        message: d.message.clone(),
        at: d.primary.as_ref().map(|l| Source::of(sources, l.location)),
        label: d.primary.as_ref().map(|l| l.message.clone()),
        fix: d.help.clone(),
        accepted: d.accepted.as_ref().map(|a| Accepted {
            reason: a.reason.clone(),
            owner: a.owner.clone(),
            approved_by: a.approved_by.clone(),
            approved_at: a.approved_at.clone(),
            expires: a.expires.clone().or(expires),
        }),
    }
}

/// Where the value at `pointer` is set, when it is.
fn source_of(loaded: &LoadedEnvironment, sources: &Sources, pointer: &str) -> Option<Source> {
    loaded
        .provenance
        .get(pointer)
        .map(|origin| Source::of(sources, origin.value))
}

fn setting(loaded: &LoadedEnvironment, sources: &Sources, pointer: &str) -> Setting {
    let value = loaded.value.pointer(pointer).cloned();
    Setting {
        key: dotted(pointer),
        text: value.as_ref().map_or_else(|| "not set".to_owned(), display),
        value,
        at: source_of(loaded, sources, pointer),
    }
}

/// A value for people: strings without quotes, lists comma-separated, maps by their `name`
/// (or as `{…}`).
fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (map.get("name"), map.get("ref")) {
            (Some(name), _) => display(name),
            // An evidence reference: `DOC-12 (2026-10-01, CISO)`.
            (None, Some(reference)) => format!(
                "{} ({}, {})",
                display(reference),
                map.get("date").map(display).unwrap_or_default(),
                map.get("by").map(display).unwrap_or_default()
            ),
            (None, None) => "{…}".to_owned(),
        },
        other => other.to_string(),
    }
}

fn days_of(ttl: &str) -> Option<i64> {
    crate::velero::duration::parse_go_duration(ttl)
        .ok()
        .map(|d| d.whole_days())
}

/// The settings shown side by side for the fleet, read from the effective environment (so
/// they show even when the schema rejected it).
fn key_settings(loaded: &LoadedEnvironment, sources: &Sources, today: i64) -> Vec<KeySetting> {
    let v = &loaded.value;
    let get = |p: &str| v.pointer(p);
    let text = |p: &str| get(p).and_then(Value::as_str);
    let flag = |p: &str| get(p).and_then(Value::as_bool).unwrap_or(false);
    let at = |p: &str| source_of(loaded, sources, p);
    let key = |id: &str, label: &str, text: String, pointer: &str| KeySetting {
        id: id.to_owned(),
        label: label.to_owned(),
        text,
        value: get(pointer).cloned().unwrap_or(Value::Null),
        at: at(pointer),
    };
    let mut out = Vec::new();

    let tiers: Vec<&serde_json::Map<String, Value>> = get("/backup/tiers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    if get("/backup/enabled").and_then(Value::as_bool) == Some(false) {
        out.push(key(
            "schedule",
            "Schedule",
            "disabled".to_owned(),
            "/backup/enabled",
        ));
    } else {
        let schedule = text("/backup/schedule").unwrap_or("not set");
        let mut s = schedule.to_owned();
        if let Ok(cron) = crate::velero::cron::parse_velero_cron(schedule) {
            let max = cron.max_interval_hours();
            let hours = if max.fract() == 0.0 {
                format!("{max:.0}")
            } else {
                format!("{max:.1}")
            };
            if (cron.min_interval_hours() - max).abs() < f64::EPSILON {
                s.push_str(&format!(" (every {hours} h)"));
            } else {
                s.push_str(&format!(" (at most {hours} h apart)"));
            }
        }
        if !tiers.is_empty() {
            s.push_str(&format!(" + {}", crate::text::count(tiers.len(), "tier")));
        }
        out.push(key("schedule", "Schedule", s, "/backup/schedule"));
    }

    let ttl = text("/backup/retention/ttl").unwrap_or("not set");
    let mut retention = match days_of(ttl) {
        Some(days) => format!("{ttl} ({})", crate::text::count(days, "day")),
        None => ttl.to_owned(),
    };
    let longest = tiers
        .iter()
        .filter_map(|t| {
            let ttl = t.get("ttl").and_then(Value::as_str)?;
            Some((
                days_of(ttl)?,
                ttl,
                t.get("name").map(display).unwrap_or_default(),
            ))
        })
        .max_by_key(|(days, _, _)| *days);
    if let Some((days, ttl, name)) = longest
        && days_of(text("/backup/retention/ttl").unwrap_or_default()).is_none_or(|d| days > d)
    {
        retention.push_str(&format!(
            "; tier {name} {ttl} ({})",
            crate::text::count(days, "day")
        ));
    }
    out.push(key(
        "retention",
        "Retention",
        retention,
        "/backup/retention/ttl",
    ));

    out.push(key(
        "encryptionAtRest",
        "Encryption at rest",
        text("/storage/encryption/atRest")
            .unwrap_or("not set")
            .to_owned(),
        "/storage/encryption/atRest",
    ));

    let offsite = if flag("/replication/offsite/enabled") {
        let d = "/replication/offsite/destination";
        let place = text(&format!("{d}/site"))
            .or_else(|| text(&format!("{d}/region")))
            .or_else(|| text(&format!("{d}/bucket")))
            .unwrap_or("destination not set");
        let mut s = place.to_owned();
        if let Some(j) = text(&format!("{d}/jurisdiction")) {
            s.push_str(&format!(" ({j})"));
        }
        s.push_str(if flag("/replication/offsite/encrypt/enabled") {
            ", encrypted"
        } else {
            ", not encrypted"
        });
        if let Some(by) = text("/replication/offsite/managedBy") {
            s.push_str(&format!(", run by {by}"));
        }
        let pointer = [format!("{d}/site"), format!("{d}/region"), d.to_owned()]
            .into_iter()
            .find(|p| get(p).is_some())
            .unwrap_or_else(|| d.to_owned());
        key("offsite", "Off-site copy", s, &pointer)
    } else {
        key(
            "offsite",
            "Off-site copy",
            "none".to_owned(),
            "/replication/offsite/enabled",
        )
    };
    out.push(offsite);

    let lock = |base: &str| -> Option<String> {
        if !flag(&format!("{base}/enabled")) {
            return None;
        }
        let mode = text(&format!("{base}/mode")).unwrap_or("mode not set");
        Some(match get(&format!("{base}/days")).and_then(Value::as_i64) {
            Some(days) => format!("{mode}, {}", crate::text::count(days, "day")),
            None => mode.to_owned(),
        })
    };
    let primary = lock("/storage/objectLock");
    let remote =
        lock("/replication/offsite/objectLock").filter(|_| flag("/replication/offsite/enabled"));
    let (lock_text, lock_at) = match (&primary, &remote) {
        (None, None) => ("none".to_owned(), "/storage/objectLock"),
        (Some(p), None) => (format!("primary: {p}"), "/storage/objectLock/enabled"),
        (None, Some(r)) => (
            format!("off-site: {r}"),
            "/replication/offsite/objectLock/enabled",
        ),
        (Some(p), Some(r)) => (
            format!("primary: {p}; off-site: {r}"),
            "/storage/objectLock/enabled",
        ),
    };
    out.push(key("objectLock", "Object lock", lock_text, lock_at));

    let frequency = match get("/restoreTest/frequencyDays").and_then(Value::as_i64) {
        Some(days) => format!("every {}", crate::text::count(days, "day")),
        None => "not set".to_owned(),
    };
    out.push(key(
        "restoreTestFrequency",
        "Restore test",
        frequency,
        "/restoreTest/frequencyDays",
    ));
    let last = match text("/restoreTest/lastPerformed") {
        Some(date) => match crate::velero::dates::parse_date(date) {
            Some(day) if day <= today => {
                format!("{date} ({} ago)", crate::text::count(today - day, "day"))
            }
            Some(_) => format!("{date} (in the future)"),
            None => date.to_owned(),
        },
        None => "not recorded".to_owned(),
    };
    out.push(key(
        "restoreTestLastPerformed",
        "Last restore test",
        last,
        "/restoreTest/lastPerformed",
    ));
    out
}

/// `sha256:<hex>` over the effective environments, in name order: for each, its name, a
/// newline, its effective configuration (built-in defaults ← `common.yaml` ← the file) as
/// canonical JSON (keys sorted, no spaces), and a newline. The same environments give the
/// same hash whatever their formatting, comments or key order.
pub fn input_hash<'a>(environments: impl Iterator<Item = &'a LoadedEnvironment>) -> String {
    let mut all: Vec<&LoadedEnvironment> = environments.collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut hasher = Sha256::new();
    for env in all {
        hasher.update(env.name.as_bytes());
        hasher.update(b"\n");
        let mut canonical = String::new();
        write_canonical(&env.value, &mut canonical);
        hasher.update(canonical.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// `sha256:<hex>` over the schema files in use (environment schema, defaults, regulatory
/// profiles), in name order: each name, a newline, its text, a newline. Differs from the
/// built-in value only under `--schemas DIR`.
pub fn schemas_hash(assets: &Assets) -> String {
    let mut files: Vec<(&str, &str)> = assets
        .schemas
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_ref()))
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(text.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// JSON with object keys sorted and no whitespace, independent of map ordering features.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The JSON rendering (pretty, with a final newline).
pub fn to_json(evidence: &Evidence) -> String {
    let mut text = serde_json::to_string_pretty(evidence).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut out = String::new();
        write_canonical(
            &json!({"b": [{"z": 1, "a": "x\"y"}], "a": null, "c": 1.5}),
            &mut out,
        );
        assert_eq!(out, r#"{"a":null,"b":[{"a":"x\"y","z":1}],"c":1.5}"#);
    }

    #[test]
    fn counts_read_as_text_and_status() {
        let counts = Counts {
            pass: 9,
            fail: 1,
            accepted: 0,
            not_evidenced: 0,
            not_applicable: 2,
        };
        assert_eq!(counts.text(), "1 fail · 9 pass · 2 n/a");
        assert_eq!(counts.status(), Status::Fail);
        assert_eq!(Counts::default().text(), "no rules");
        assert_eq!(Counts::default().status(), Status::NotApplicable);
        let accepted = Counts {
            accepted: 1,
            pass: 3,
            ..Counts::default()
        };
        assert_eq!(accepted.status(), Status::Accepted);
    }

    #[test]
    fn values_display_like_the_user_wrote_them() {
        assert_eq!(display(&json!("720h")), "720h");
        assert_eq!(display(&json!(["a", "b"])), "a, b");
        assert_eq!(display(&json!([])), "[]");
        assert_eq!(
            display(&json!([{"name": "weekly"}, {"name": "monthly"}])),
            "weekly, monthly"
        );
        assert_eq!(display(&json!({"site": "x"})), "{…}");
        assert_eq!(display(&json!(true)), "true");
    }
}
