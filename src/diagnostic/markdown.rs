//! The Markdown format: the count line and one table row per finding, for a pull-request comment
//! or a job summary.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Sources;

/// A Markdown summary: counts, then one table row per finding.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut out = format!(
        "## ck8s-gen validate: {}\n",
        crate::diagnostic::format::summary(diagnostics)
    );
    if diagnostics.is_empty() {
        return out;
    }
    out.push_str("\n| | rule | environment | where | finding |\n|---|---|---|---|---|\n");
    for d in diagnostics {
        let icon = match (d.severity, d.accepted.is_some()) {
            (_, true) => "✅ accepted",
            (Severity::Error, _) => "❌ error",
            (Severity::Warning, _) => "⚠️ warning",
            (Severity::Note, _) => "ℹ️ note",
        };
        let place = d.primary.as_ref().map_or(String::new(), |l| {
            format!("`{}`", sources.describe(l.location))
        });
        let mut text = d.message.clone();
        for (name, note) in crate::diagnostic::format::notes(d, sources) {
            text.push_str(&format!("<br>{name}: {note}"));
        }
        if let Some(h) = &d.help {
            text.push_str(&format!("<br>*{h}*"));
        }
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        out.push_str(&format!(
            "| {icon} | `{}` | {} | {place} | {} |\n",
            d.code,
            cell(d.environment.as_deref().unwrap_or("")),
            cell(&text)
        ));
    }
    out
}
