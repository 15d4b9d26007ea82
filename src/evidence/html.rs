//! The evidence report as one self-contained HTML page (`report.html.j2`): inline CSS, no
//! script, no fonts or images to fetch, print styles with a page per environment. The template
//! runs with HTML auto-escaping on, so every value from the environments is escaped.

use super::Evidence;
use super::markdown::{Span, spans};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

const TEMPLATE: &str = include_str!("report.html.j2");
const NAME: &str = "report.html";

/// Why the HTML report could not be rendered: a bug in the template.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("{0}")]
    Setup(#[source] minijinja::Error),
    #[error("{NAME}: {0}")]
    Template(#[source] minijinja::Error),
}

/// Render the report. An `Err` is a bug in the template (the tests render every shape).
pub fn render(evidence: &Evidence) -> Result<String, HtmlError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_debug(false);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(HtmlError::Setup)?;
    env.set_syntax(syntax);
    env.add_filter("anchor", |name: String| super::markdown::anchor(&name));
    env.add_filter("quote_lang", |reference: String| quote_lang(&reference));
    env.add_filter("inline", |text: String| {
        Value::from_safe_string(inline(&text))
    });
    env.add_template(NAME, TEMPLATE)
        .map_err(HtmlError::Template)?;
    let template = env.get_template(NAME).map_err(HtmlError::Setup)?;
    template
        .render(Value::from(minijinja::value::Serde(evidence)))
        .map_err(HtmlError::Template)
}

/// Prose with `code` spans (rule texts, messages, fixes): each pair of backticks becomes
/// `<code>…</code>`, everything HTML-escaped; an unpaired backtick stays as it is.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for span in spans(text) {
        match span {
            Span::Text(t) => out.push_str(&escape(t)),
            Span::Code(c) => {
                out.push_str("<code>");
                out.push_str(&escape(c));
                out.push_str("</code>");
            }
            Span::Tick => out.push('`'),
        }
    }
    out
}

/// HTML-escape text for element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The language of a rule's quote, from its citation (for screen readers and hyphenation).
fn quote_lang(reference: &str) -> &'static str {
    let swedish = ["HSLF-FS", "MSBFS", "SOSFS", "IMY"];
    if swedish.iter().any(|p| reference.starts_with(p)) {
        "sv"
    } else if reference.starts_with("BSI") {
        "de"
    } else {
        "en"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_is_escaped_first() {
        assert_eq!(
            inline("set `a: <b>` & go"),
            "set <code>a: &lt;b&gt;</code> &amp; go"
        );
        assert_eq!(inline("odd ` tick"), "odd ` tick");
        assert_eq!(
            inline("`a` and `b` but `c"),
            "<code>a</code> and <code>b</code> but `c"
        );
        assert_eq!(inline("\"'"), "&quot;&#39;");
    }

    #[test]
    fn quotes_carry_their_language() {
        assert_eq!(quote_lang("HSLF-FS 2016:40 3 kap. 13 §"), "sv");
        assert_eq!(quote_lang("BSI IT-Grundschutz APP.4.4.A5"), "de");
        assert_eq!(quote_lang("GDPR Art. 17(1)"), "en");
    }
}
