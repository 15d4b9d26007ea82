//! The report's data model: the types [`to_json`](super::to_json) serializes (their JSON shape
//! is described in the [`evidence`](super) module), with their verdicts, counts and sources.

use super::coverage::Coverage;
use crate::compliance::Status;
use crate::compliance::catalog::{SourceKind, Strength};
use crate::diagnostic::{Diagnostic, Severity, Tally};
use crate::environment::load::DEFAULTS_NAME;
use crate::source::{Location, Sources};
use serde::Serialize;
use serde_json::Value;

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
    /// `sha256:` over the effective environments (see [`input_hash`](super::input_hash)).
    pub input_hash: String,
    /// `sha256:` over the schemas, defaults and regulatory profiles used (see [`schemas_hash`](super::schemas_hash)).
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

    pub(super) fn of(diagnostics: &[&Diagnostic]) -> Verdict {
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
    pub(super) fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Accepted => self.accepted += 1,
            Status::NotEvidenced => self.not_evidenced += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }

    pub(super) fn merge(&mut self, other: Counts) {
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
    pub(super) fn of(sources: &Sources, location: Location) -> Source {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
