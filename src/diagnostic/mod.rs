//! The one diagnostic model every check reports through: a code, a severity, a message, where
//! in the user's files it applies, how to fix it and, for regulatory rules, the citation.

pub mod code;
pub mod format;
pub mod github;
pub mod human;
pub mod json;
pub mod markdown;

pub use code::Code;
pub use format::{Format, render};

use crate::source::{Location, Sources};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// What a finding means for the commands that write, sync or restore. Every finding has one,
/// set where the finding is made (from its code or rule), never by the command looking at it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The output would be wrong or cannot be made (a bad cron, a wrong bucket, an unknown
    /// key): blocks `render`, `argocd generate` and `restore` for the environments it touches.
    #[default]
    Output,
    /// The output is what the file declares, but the declaration falls short of a regulatory
    /// profile: blocks `render` and `argocd generate` (nothing non-compliant is deployed), never
    /// `restore` (a disaster does not wait for a lint).
    Compliance,
    /// The finding depends on today's date (a restore test or review past its date, an expired
    /// deviation): it appears without any change to the files, so it fails only `validate` and
    /// `report` and never stops `render`, `argocd generate` or `restore`.
    Overdue,
}

impl Effect {
    /// Whether an unaccepted error with this effect stops writing or syncing output.
    pub fn blocks_output(self) -> bool {
        self != Effect::Overdue
    }

    /// Whether an unaccepted error with this effect stops printing a restore plan.
    pub fn blocks_restore(self) -> bool {
        self == Effect::Output
    }
}

/// A place in a file with a short message shown under the snippet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// The regulation text a regulatory rule comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// e.g. `HSLF-FS 2016:40 3 kap. 13 §`.
    pub reference: String,
    /// A short quote of the source text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// `true` when the rule is our interpretation of an open requirement.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interpretation: bool,
}

/// A warning the environment accepted as a documented deviation (camelCase in JSON, like
/// every other key of the machine-readable outputs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Acceptance {
    pub reason: String,
    pub owner: String,
    /// Who approved the risk acceptance, when, and when it ends (absent in older files).
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub expires: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A code from [`Code`] (`unknown-key`) or a rule id (`HSLF-07`, as [`Code::Rule`]).
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The environment the finding is about, when there is one.
    pub environment: Option<String>,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub citation: Option<Citation>,
    pub accepted: Option<Acceptance>,
    /// What the finding blocks (see [`Effect`]).
    pub effect: Effect,
    /// On a summary finding of [`cap`]: the findings it stands for, which are not shown. It
    /// counts as those in a [`Tally`], not as one finding of its own.
    pub omitted: Option<Tally>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            environment: None,
            primary: None,
            secondary: Vec::new(),
            help: None,
            citation: None,
            accepted: None,
            effect: Effect::Output,
            omitted: None,
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, message)
    }

    pub fn note(code: Code, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Note, code, message)
    }

    pub fn at(mut self, location: Option<Location>, label: impl Into<String>) -> Self {
        self.primary = location.map(|location| Label {
            location,
            message: label.into(),
        });
        self
    }

    pub fn also(mut self, location: Option<Location>, label: impl Into<String>) -> Self {
        if let Some(location) = location {
            self.secondary.push(Label {
                location,
                message: label.into(),
            });
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn in_environment(mut self, name: impl Into<String>) -> Self {
        self.environment = Some(name.into());
        self
    }

    pub fn cite(mut self, citation: Citation) -> Self {
        self.citation = Some(citation);
        self
    }

    pub fn with_effect(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }

    /// Whether this finding makes `validate` and `report` fail (exit status 1).
    pub fn is_failure(&self) -> bool {
        self.severity == Severity::Error && self.accepted.is_none()
    }

    /// Whether this finding stops writing or syncing the output it touches (`render`,
    /// `argocd generate`, `diff`): a failure that does not depend on the date.
    pub fn blocks_output(&self) -> bool {
        self.is_failure() && self.effect.blocks_output()
    }

    /// Whether this finding stops printing a restore plan: a failure that makes the printed
    /// objects wrong.
    pub fn blocks_restore(&self) -> bool {
        self.is_failure() && self.effect.blocks_restore()
    }
}

/// Sort diagnostics into their one canonical order: by file, line, column, then severity, code
/// and message, so output is the same on every run and machine. Exact duplicates are dropped.
pub fn sort(diagnostics: &mut Vec<Diagnostic>, sources: &Sources) {
    let key = |d: &Diagnostic| {
        let position = d.primary.as_ref().map(|label| {
            let p = sources.describe(label.location);
            (p.path.to_owned(), p.line, p.column)
        });
        (
            position,
            d.environment.clone(),
            d.severity,
            d.code.as_str().to_owned(),
            d.message.clone(),
        )
    };
    diagnostics.sort_by_cached_key(key);
    diagnostics.dedup();
}

/// Counts by outcome, for summaries.
/// How many findings with one code are shown per file; the rest become one summary line.
pub const MAX_PER_FILE_AND_CODE: usize = 50;

/// Keep at most `limit` findings per (file, code) in sorted `diagnostics`; each group that had
/// more gets one summary finding right after its last kept one ("… and 31,950 more unknown
/// keys in `environments/dev.yaml`"), with the group's code and most severe severity, so the
/// outcome still fails when a dropped finding would have. Linear in the number of findings.
pub fn cap(diagnostics: &mut Vec<Diagnostic>, sources: &Sources, limit: usize) {
    use std::collections::HashMap;
    type Key = (Option<crate::source::SourceId>, Code);
    let key = |d: &Diagnostic| -> Key {
        (
            d.primary.as_ref().map(|l| l.location.source),
            d.code.clone(),
        )
    };
    // Per group: how many, the most severe severity, and a tally of the findings past the limit.
    let mut totals: HashMap<Key, (usize, Severity, Tally)> = HashMap::new();
    for d in diagnostics.iter() {
        let entry = totals
            .entry(key(d))
            .or_insert((0, d.severity, Tally::default()));
        entry.0 += 1;
        entry.1 = entry.1.min(d.severity);
        if entry.0 > limit {
            entry.2.add(d);
        }
    }
    if totals.values().all(|(n, _, _)| *n <= limit) {
        return;
    }
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut out = Vec::with_capacity(diagnostics.len().min(totals.len() * (limit + 1)));
    for d in std::mem::take(diagnostics) {
        let k = key(&d);
        let n = seen.entry(k.clone()).or_insert(0);
        *n += 1;
        if *n > limit {
            continue;
        }
        let (total, severity, omitted) = totals[&k];
        let last = *n == limit && total > limit;
        let summary = last.then(|| {
            let more = total - limit;
            let what = match &d.code {
                Code::UnknownKey => "unknown keys".to_owned(),
                code => format!("`{code}` findings"),
            };
            let place =
                k.0.map(|id| format!(" in `{}`", sources.get(id).path))
                    .unwrap_or_default();
            let mut s = Diagnostic::new(
                severity,
                d.code.clone(),
                format!("… and {} more {what}{place}", thousands(more)),
            )
            .help(format!(
                "only the first {limit} of {} are shown; fix those and run again",
                thousands(total)
            ));
            s.environment = d.environment.clone();
            s.omitted = Some(omitted);
            s
        });
        out.push(d);
        out.extend(summary);
    }
    *diagnostics = out;
}

/// `31950` → `31,950`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub accepted: usize,
    /// How many of the counted findings are not shown (cut off by [`cap`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub hidden: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Tally {
    /// Every finding, those a [`cap`] summary stands for included (and counted as hidden); the
    /// summary itself is not counted.
    pub fn of(diagnostics: &[Diagnostic]) -> Tally {
        let mut tally = Tally::default();
        for d in diagnostics {
            match &d.omitted {
                Some(omitted) => {
                    let n = omitted.errors + omitted.warnings + omitted.notes + omitted.accepted;
                    tally.errors += omitted.errors;
                    tally.warnings += omitted.warnings;
                    tally.notes += omitted.notes;
                    tally.accepted += omitted.accepted;
                    tally.hidden += n;
                }
                None => tally.add(d),
            }
        }
        tally
    }

    /// Count one (shown) finding.
    fn add(&mut self, d: &Diagnostic) {
        if d.accepted.is_some() {
            self.accepted += 1;
            return;
        }
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Note => self.notes += 1,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceId, Span};

    /// One located finding in one file, for the renderers' tests.
    pub(crate) fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new(
            "environments/prod.yaml",
            "backup:\n  retension: 720h\n",
        ));
        assert_eq!(id, SourceId(0));
        let d = Diagnostic::error(Code::UnknownKey, "unknown key `retension` in `backup`")
            .at(
                Some(Location {
                    source: id,
                    span: Span::new(10, 19),
                }),
                "not a known key",
            )
            .help("did you mean `retention`?")
            .in_environment("prod");
        (vec![d], sources)
    }
}
