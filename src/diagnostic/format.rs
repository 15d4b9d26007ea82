//! Which output format findings are printed in, and the steps every format shares: the one
//! redaction pass before and after rendering, and the count line.

use crate::diagnostic::{Diagnostic, Tally, github, human, json, markdown};
use crate::source::Sources;

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text with source snippets, for people.
    Human,
    /// One JSON document, for machines.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// A Markdown table, for a pull-request comment or a job summary.
    Markdown,
}

/// Render diagnostics in `format`. `color` applies to the human format only.
pub fn render(
    format: Format,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    color: bool,
) -> String {
    // Snippets quote the files: credentials in them are masked before rendering (offsets are
    // kept), and the finished text once more (messages and labels quote values too).
    let redacted = crate::secrets::redact::sources(sources);
    let sources = redacted.as_ref().unwrap_or(sources);
    // Values quoted in messages, labels and help never carry control bytes to the output (the
    // human renderer's own colours are added after this).
    let neutral = |s: &str| crate::secrets::redact::neutralize(s).into_owned();
    let cleaned: Option<Vec<Diagnostic>> = diagnostics
        .iter()
        .any(|d| {
            [Some(&d.message), d.help.as_ref()]
                .into_iter()
                .flatten()
                .chain(d.primary.iter().chain(&d.secondary).map(|l| &l.message))
                .any(|s| {
                    matches!(
                        crate::secrets::redact::neutralize(s),
                        std::borrow::Cow::Owned(_)
                    )
                })
        })
        .then(|| {
            diagnostics
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    d.message = neutral(&d.message);
                    d.help = d.help.as_deref().map(neutral);
                    for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
                        l.message = neutral(&l.message);
                    }
                    d
                })
                .collect()
        });
    let diagnostics = cleaned.as_deref().unwrap_or(diagnostics);
    let text = match format {
        Format::Human => human::render(diagnostics, sources, color),
        Format::Json => json::render(diagnostics, sources),
        Format::Github => github::render(diagnostics, sources),
        Format::Markdown => markdown::render(diagnostics, sources),
    };
    crate::secrets::redact::redact(&text).into_owned()
}

/// `2 errors, 1 warning, 1 accepted deviation` or `no problems found`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let tally = Tally::of(diagnostics);
    let mut parts = Vec::new();
    let count = |n: usize, one: &str, many: &str| {
        format!(
            "{} {}",
            crate::diagnostic::thousands(n),
            if n == 1 { one } else { many }
        )
    };
    if tally.errors > 0 {
        parts.push(count(tally.errors, "error", "errors"));
    }
    if tally.warnings > 0 {
        parts.push(count(tally.warnings, "warning", "warnings"));
    }
    if tally.notes > 0 {
        parts.push(count(tally.notes, "note", "notes"));
    }
    if tally.accepted > 0 {
        parts.push(count(
            tally.accepted,
            "accepted deviation",
            "accepted deviations",
        ));
    }
    if parts.is_empty() {
        "no problems found".to_owned()
    } else if tally.hidden > 0 {
        format!(
            "{} ({} not shown)",
            parts.join(", "),
            crate::diagnostic::thousands(tally.hidden)
        )
    } else {
        parts.join(", ")
    }
}

/// The "cites" note: the reference, whether it is our interpretation, and the quoted text.
pub(crate) fn citation_text(citation: &crate::diagnostic::Citation) -> String {
    let mut text = citation.reference.clone();
    if citation.interpretation {
        text.push_str(" (interpretation)");
    }
    if let Some(quote) = &citation.quote {
        text.push_str(&format!(": \"{quote}\""));
    }
    text
}

/// The "deviation" note of an accepted finding.
pub(crate) fn acceptance_text(accepted: &crate::diagnostic::Acceptance) -> String {
    format!("accepted by {}: {}", accepted.owner, accepted.reason)
}

/// The "overdue" note of a failing finding that came with the date.
pub(crate) const OVERDUE_TEXT: &str = "this finding came with the date: it fails `validate` and `report`, never `render`, `argocd generate` or `restore`";

/// What the one-line formats (GitHub, Markdown) add under a finding's message, as
/// (name, text): every other place it points at, the citation, the deviation, overdue.
pub(crate) fn notes(d: &Diagnostic, sources: &Sources) -> Vec<(&'static str, String)> {
    let mut notes: Vec<(&'static str, String)> = d
        .secondary
        .iter()
        .map(|l| {
            (
                "also",
                format!("{}: {}", sources.describe(l.location), l.message),
            )
        })
        .collect();
    if let Some(citation) = &d.citation {
        notes.push(("cites", citation_text(citation)));
    }
    if let Some(accepted) = &d.accepted {
        notes.push(("deviation", acceptance_text(accepted)));
    }
    if d.effect == crate::diagnostic::Effect::Overdue && d.is_failure() {
        notes.push(("overdue", OVERDUE_TEXT.to_owned()));
    }
    notes
}
