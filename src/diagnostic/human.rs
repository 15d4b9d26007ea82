//! The human format: one block per finding with a snippet of the file it points at, coloured on
//! a terminal, then the count line.

use crate::diagnostic::{Diagnostic, Severity, format};
use crate::source::Sources;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

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
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
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
        let mut groups = vec![first];
        for extra in d.secondary.iter().filter(|s| {
            d.primary
                .as_ref()
                .is_none_or(|p| p.location.source != s.location.source)
        }) {
            let file = sources.get(extra.location.source);
            let span = clamp(extra.location.span, &file.text);
            let (text, line, offset) = window(file, std::slice::from_ref(&span));
            groups.push(
                Group::with_title(Level::NOTE.secondary_title(extra.message.as_str())).element(
                    Snippet::source(text)
                        .line_start(line)
                        .path(file.path.as_str())
                        .annotation(AnnotationKind::Context.span(shift(span, offset))),
                ),
            );
        }
        if let Some(citation) = &d.citation {
            groups.push(Group::with_title(
                Level::NOTE
                    .with_name("cites")
                    .secondary_title(format::citation_text(citation)),
            ));
        }
        if let Some(accepted) = &d.accepted {
            groups.push(Group::with_title(
                Level::NOTE
                    .with_name("deviation")
                    .secondary_title(format::acceptance_text(accepted)),
            ));
        }
        if d.effect == crate::diagnostic::Effect::Overdue && d.is_failure() {
            groups.push(Group::with_title(
                Level::NOTE
                    .with_name("overdue")
                    .secondary_title(format::OVERDUE_TEXT),
            ));
        }
        if let Some(help) = &d.help {
            groups.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    out.push_str(&crate::diagnostic::format::summary(diagnostics));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::format::summary;
    use crate::diagnostic::{Code, Tally};
    use crate::source::{Location, SourceFile, Span};

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
                Diagnostic::new(severity, Code::UnknownKey, format!("k{i:04}")).at(at, "here")
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
        assert!(render(&diagnostics, &sources, false).contains("(1,150 not shown)"));
    }

    #[test]
    fn human_output_shows_file_line_column_and_snippet() {
        let (d, sources) = crate::diagnostic::tests::sample();
        let text = render(&d, &sources, false);
        assert!(
            text.contains("error[unknown-key]: unknown key `retension` in `backup` [prod]"),
            "{text}"
        );
        assert!(text.contains("environments/prod.yaml:2:3"), "{text}");
        assert!(text.contains("retension: 720h"), "{text}");
        assert!(text.contains("help: did you mean `retention`?"), "{text}");
        assert!(text.ends_with("1 error\n"), "{text}");
    }
}
