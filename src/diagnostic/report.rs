//! Renderers for diagnostics: human text with source snippets, JSON for machines, and GitHub
//! Actions annotations. They return strings; only the commands print.

use crate::diagnostic::{Diagnostic, Severity, Tally};
use crate::source::Sources;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

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
        Format::Human => human(diagnostics, sources, color),
        Format::Json => json(diagnostics, sources),
        Format::Github => github(diagnostics, sources),
        Format::Markdown => markdown(diagnostics, sources),
    };
    crate::secrets::redact::redact(&text).into_owned()
}

fn level(d: &Diagnostic) -> Level<'static> {
    if d.accepted.is_some() {
        return Level::NOTE.with_name("accepted");
    }
    match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Human-readable text: one block per diagnostic and a summary line.
pub fn human(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let mut title = d.message.clone();
        if let Some(env) = &d.environment {
            title = format!("{title} [{env}]");
        }
        let mut first = Group::with_title(level(d).primary_title(title).id(d.code.as_str()));
        if let Some(label) = &d.primary {
            let file = sources.get(label.location.source);
            if !file.text.is_empty() {
                let same_file: Vec<&crate::diagnostic::Label> = d
                    .secondary
                    .iter()
                    .filter(|s| s.location.source == label.location.source)
                    .collect();
                let primary = clamp(label.location.span, &file.text);
                let mut all = vec![primary.clone()];
                all.extend(same_file.iter().map(|s| clamp(s.location.span, &file.text)));
                let (text, line, offset) = window(file, &all);
                let mut snippet = Snippet::source(text)
                    .line_start(line)
                    .path(file.path.as_str())
                    .annotation(
                        AnnotationKind::Primary
                            .span(shift(primary, offset))
                            .label(label.message.as_str()),
                    );
                for (extra, span) in same_file.iter().zip(all.into_iter().skip(1)) {
                    snippet = snippet.annotation(
                        AnnotationKind::Context
                            .span(shift(span, offset))
                            .label(extra.message.as_str()),
                    );
                }
                first = first.element(snippet);
            } else {
                first = first.element(annotate_snippets::Origin::path(file.path.as_str()));
            }
        }
        let mut report = vec![first];
        for extra in d.secondary.iter().filter(|s| {
            d.primary
                .as_ref()
                .is_none_or(|p| p.location.source != s.location.source)
        }) {
            let file = sources.get(extra.location.source);
            let span = clamp(extra.location.span, &file.text);
            let (text, line, offset) = window(file, std::slice::from_ref(&span));
            report.push(
                Group::with_title(Level::NOTE.secondary_title(extra.message.as_str())).element(
                    Snippet::source(text)
                        .line_start(line)
                        .path(file.path.as_str())
                        .annotation(AnnotationKind::Context.span(shift(span, offset))),
                ),
            );
        }
        if let Some(citation) = &d.citation {
            let mut text = format!(
                "{}{}",
                citation.reference,
                if citation.interpretation {
                    " (interpretation)"
                } else {
                    ""
                }
            );
            if let Some(quote) = &citation.quote {
                text.push_str(&format!(": \"{quote}\""));
            }
            report.push(Group::with_title(
                Level::NOTE.with_name("cites").secondary_title(text),
            ));
        }
        if let Some(accepted) = &d.accepted {
            report.push(Group::with_title(
                Level::NOTE.with_name("deviation").secondary_title(format!(
                    "accepted by {}: {}",
                    accepted.owner, accepted.reason
                )),
            ));
        }
        if d.effect == crate::diagnostic::Effect::Overdue && d.is_failure() {
            report.push(Group::with_title(Level::NOTE.with_name("overdue").secondary_title(
                "this finding came with the date: it fails `validate` and `report`, never `render`, `argocd generate` or `restore`",
            )));
        }
        if let Some(help) = &d.help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out.push_str(&summary(diagnostics));
    out.push('\n');
    out
}

/// The whole lines of `file` that `spans` touch (and those between): the snippet renderer
/// sees only them, so rendering N findings costs N windows, not N whole files. Returns the
/// text, its first line number and its byte offset in the file.
fn window<'f>(
    file: &'f crate::source::SourceFile,
    spans: &[std::ops::Range<usize>],
) -> (&'f str, usize, usize) {
    let text = file.text.as_str();
    let lo = spans.iter().map(|r| r.start).min().unwrap_or(0);
    let hi = spans.iter().map(|r| r.end).max().unwrap_or(0).max(lo);
    let (line, _) = file.line_col(lo);
    let start = file.offset_of(line, 0);
    let end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
    (&text[start..end], line, start)
}

fn shift(span: std::ops::Range<usize>, offset: usize) -> std::ops::Range<usize> {
    span.start - offset..span.end - offset
}

fn clamp(span: crate::source::Span, text: &str) -> std::ops::Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    // A label on a whole block (a mapping, the document) marks only its first line.
    if let Some(newline) = text[start..end].find('\n') {
        end = start + newline;
    }
    start..end
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

#[derive(Serialize)]
struct JsonReport<'a> {
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
pub fn json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let report = JsonReport {
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
    let mut text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn github(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match (d.severity, d.accepted.is_some()) {
            (_, true) | (Severity::Note, _) => "notice",
            (Severity::Error, _) => "error",
            (Severity::Warning, _) => "warning",
        };
        let mut properties = Vec::new();
        if let Some(label) = &d.primary {
            let file = sources.get(label.location.source);
            let (line, column) = file.line_col(label.location.span.start);
            let (end_line, end_column) = file.line_col(label.location.span.end);
            properties.push(format!("file={}", escape_property(&file.path)));
            properties.push(format!("line={line}"));
            properties.push(format!("col={column}"));
            if end_line >= line {
                properties.push(format!("endLine={end_line}"));
                if end_line == line && end_column > column {
                    properties.push(format!("endColumn={end_column}"));
                }
            }
        }
        let title = match &d.environment {
            Some(env) => format!("{} ({env})", d.code),
            None => d.code.to_string(),
        };
        properties.push(format!("title={}", escape_property(&title)));
        let mut message = d.message.clone();
        if let Some(citation) = &d.citation {
            message.push_str(&format!("\n{}", citation.reference));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// A Markdown summary: counts, then one table row per finding.
pub fn markdown(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut out = format!("## ck8s-gen validate: {}\n", summary(diagnostics));
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
        if let Some(c) = &d.citation {
            text.push_str(&format!(" ({})", c.reference));
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

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Location, SourceFile, SourceId, Span};

    /// The summary counts the findings a cap cut off, by severity, and says how many are hidden;
    /// the cap's own summary finding is not counted.
    #[test]
    fn summary_counts_capped_findings() {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new("environments/x.yaml", "a: 1\n"));
        let at = Some(Location {
            source: id,
            span: Span::new(0, 1),
        });
        let mut diagnostics: Vec<Diagnostic> = (0..1_200)
            .map(|i| {
                let severity = if i % 2 == 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                Diagnostic::new(
                    severity,
                    crate::diagnostic::Code::UnknownKey,
                    format!("k{i:04}"),
                )
                .at(at, "here")
            })
            .collect();
        crate::diagnostic::cap(&mut diagnostics, &sources, 50);
        assert_eq!(diagnostics.len(), 51);
        let tally = Tally::of(&diagnostics);
        assert_eq!(
            (tally.errors, tally.warnings, tally.hidden),
            (600, 600, 1_150)
        );
        assert_eq!(
            summary(&diagnostics),
            "600 errors, 600 warnings (1,150 not shown)"
        );
        assert!(human(&diagnostics, &sources, false).contains("(1,150 not shown)"));
    }

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new(
            "environments/prod.yaml",
            "backup:\n  retension: 720h\n",
        ));
        assert_eq!(id, SourceId(0));
        let d = Diagnostic::error(
            crate::diagnostic::Code::UnknownKey,
            "unknown key `retension` in `backup`",
        )
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

    #[test]
    fn human_output_shows_file_line_column_and_snippet() {
        let (d, sources) = sample();
        let text = human(&d, &sources, false);
        assert!(
            text.contains("error[unknown-key]: unknown key `retension` in `backup` [prod]"),
            "{text}"
        );
        assert!(text.contains("environments/prod.yaml:2:3"), "{text}");
        assert!(text.contains("retension: 720h"), "{text}");
        assert!(text.contains("help: did you mean `retention`?"), "{text}");
        assert!(text.ends_with("1 error\n"), "{text}");
    }

    #[test]
    fn json_output_is_located() {
        let (d, sources) = sample();
        let value: serde_json::Value = serde_json::from_str(&json(&d, &sources)).unwrap();
        assert_eq!(value["diagnostics"][0]["line"], 2);
        assert_eq!(value["diagnostics"][0]["column"], 3);
        assert_eq!(value["diagnostics"][0]["code"], "unknown-key");
        assert_eq!(value["summary"]["errors"], 1);
    }

    #[test]
    fn github_annotations_escape_properties() {
        let (d, sources) = sample();
        let text = github(&d, &sources);
        assert_eq!(
            text,
            "::error file=environments/prod.yaml,line=2,col=3,endLine=2,endColumn=12,title=unknown-key (prod)::unknown key `retension` in `backup`%0Ahelp: did you mean `retention`?\n"
        );
    }
}
