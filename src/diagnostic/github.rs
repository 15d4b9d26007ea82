//! The GitHub format: Actions workflow commands that annotate a pull request's files.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Sources;

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources) -> String {
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
        for (name, text) in crate::diagnostic::format::notes(d, sources) {
            message.push_str(&format!("\n{name}: {text}"));
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
    #[test]
    fn github_annotations_escape_properties() {
        let (d, sources) = crate::diagnostic::tests::sample();
        let text = super::render(&d, &sources);
        assert_eq!(
            text,
            "::error file=environments/prod.yaml,line=2,col=3,endLine=2,endColumn=12,title=unknown-key (prod)::unknown key `retension` in `backup`%0Ahelp: did you mean `retention`?\n"
        );
    }
}
