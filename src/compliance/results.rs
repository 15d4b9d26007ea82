//! Rule results: each rule's status for one environment, which rule reports the failures another
//! takes over, and how accepted deviations settle them.

use super::catalog::{self, Rule};
use super::native::Failure;
use crate::diagnostic::Diagnostic;
use serde::Serialize;

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

/// The findings of one rule for one environment.
pub(super) struct Outcome<'a> {
    pub(super) profile: &'a str,
    pub(super) rule: &'a Rule,
    /// Index of the `compliance:` entry that selected the profile (`None`: implicit).
    pub(super) entry: Option<usize>,
    /// Whether the rule's condition holds.
    pub(super) applies: bool,
    /// Whether the rule found a failure (before another rule took it over).
    pub(super) failed: bool,
    pub(super) failures: Vec<Failure>,
    /// The rule that took over failures of this one.
    pub(super) reported_by: Option<String>,
    /// Evidence keys nobody declared (only for a rule without failures).
    pub(super) undeclared: Vec<String>,
}

impl Outcome<'_> {
    pub(super) fn result(&self) -> RuleResult {
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
pub(super) fn supersede(results: &mut [Outcome<'_>]) {
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
