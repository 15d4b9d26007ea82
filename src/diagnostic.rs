//! The one diagnostic model every check reports through: a code, a severity, a message, where
//! in the user's files it applies, how to fix it and, for regulatory rules, the citation.

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

/// A warning the environment accepted as a documented deviation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// A stable kebab-case code (`unknown-key`) or a rule id (`HSLF-07`).
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// The environment the finding is about, when there is one.
    pub environment: Option<String>,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub citation: Option<Citation>,
    pub accepted: Option<Acceptance>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            environment: None,
            primary: None,
            secondary: Vec::new(),
            help: None,
            citation: None,
            accepted: None,
        }
    }

    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, message)
    }

    pub fn note(code: impl Into<String>, message: impl Into<String>) -> Self {
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

    /// Whether this finding makes the run fail (exit status 1).
    pub fn is_failure(&self) -> bool {
        self.severity == Severity::Error && self.accepted.is_none()
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
            d.code.clone(),
            d.message.clone(),
        )
    };
    diagnostics.sort_by_cached_key(key);
    diagnostics.dedup();
}

/// Counts by outcome, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub accepted: usize,
}

impl Tally {
    pub fn of(diagnostics: &[Diagnostic]) -> Tally {
        let mut tally = Tally::default();
        for d in diagnostics {
            if d.accepted.is_some() {
                tally.accepted += 1;
                continue;
            }
            match d.severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
                Severity::Note => tally.notes += 1,
            }
        }
        tally
    }
}
