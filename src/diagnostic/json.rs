//! The JSON format: one document with a version, the counts and every finding located by file,
//! line and column, for machines.

use crate::diagnostic::{Diagnostic, Severity, Tally};
use crate::source::Sources;
use serde::Serialize;

#[derive(Serialize)]
struct JsonDocument<'a> {
    version: u32,
    summary: Tally,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    citation: Option<&'a crate::diagnostic::Citation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<&'a crate::diagnostic::Acceptance>,
    /// Set on findings that depend on the date (they block no output).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    overdue: bool,
}

/// One JSON document: `{"version": 1, "summary": {...}, "diagnostics": [...]}`.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let document = JsonDocument {
        version: 1,
        summary: Tally::of(diagnostics),
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let located = d.primary.as_ref().map(|label| {
                    let file = sources.get(label.location.source);
                    let (line, column) = file.line_col(label.location.span.start);
                    let (end_line, end_column) = file.line_col(label.location.span.end);
                    (file.path.as_str(), line, column, end_line, end_column)
                });
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity,
                    message: &d.message,
                    environment: d.environment.as_deref(),
                    file: located.map(|l| l.0),
                    line: located.map(|l| l.1),
                    column: located.map(|l| l.2),
                    end_line: located.map(|l| l.3),
                    end_column: located.map(|l| l.4),
                    help: d.help.as_deref(),
                    citation: d.citation.as_ref(),
                    accepted: d.accepted.as_ref(),
                    overdue: d.effect == crate::diagnostic::Effect::Overdue,
                }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_output_is_located() {
        let (d, sources) = crate::diagnostic::tests::sample();
        let value: serde_json::Value = serde_json::from_str(&super::render(&d, &sources)).unwrap();
        assert_eq!(value["diagnostics"][0]["line"], 2);
        assert_eq!(value["diagnostics"][0]["column"], 3);
        assert_eq!(value["diagnostics"][0]["code"], "unknown-key");
        assert_eq!(value["summary"]["errors"], 1);
    }
}
