//! The template engine: one minijinja environment (strict undefined, no auto-escape,
//! `trim_blocks` + `lstrip_blocks`) over the asset templates, and the `yaml` filter through which
//! every `{{ … }}` in a template must go.
//!
//! The `yaml` filter writes any value as a YAML *flow* node that is safe in any position of a
//! block document (after `key: ` or `- `): strings always as double-quoted scalars with every
//! character that YAML 1.1 or 1.2 readers treat specially escaped (line breaks including NEL,
//! LS and PS, the BOM, control characters), numbers and booleans bare, maps and lists in flow
//! (JSON) style. A value can therefore never add a key, end a block or change type. The template
//! output is only an intermediate form: every document is parsed back into a typed object and
//! re-emitted canonically (see `render::objects`).

use crate::assets::Assets;
use minijinja::value::ValueKind;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;
use std::fmt::Write as _;

/// The work budget of one render of one template, in minijinja fuel (about one unit per
/// instruction executed or per 64 bytes of data created), so a hostile `--templates` loop ends
/// with an error instead of hanging `render` or the Argo CD plugin. Measured on 2026-12-02: the
/// shipped templates use at most 903 over the shipped environments and 1,733 (the
/// ApplicationSet) over a synthetic fleet of 1,000 environments; the budget is over 5,000 times
/// that, and bounds the output of one template to about 640 MB.
pub const FUEL: u64 = 10_000_000;

/// The compiled templates of a run.
pub struct Templates {
    env: Environment<'static>,
}

/// A template failed to compile or render. Carries the template name and line, never the
/// context (values are not echoed into logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template `{template}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct TemplateError {
    pub template: String,
    pub line: Option<usize>,
    pub message: String,
}

impl TemplateError {
    fn from_minijinja(fallback: &str, error: &Error) -> TemplateError {
        let mut message = error.kind().to_string();
        if error.kind() == ErrorKind::OutOfFuel {
            message = format!(
                "the template did too much work (over {} units of minijinja fuel, \
                 thousands of times what the shipped templates need): a loop in it runs too \
                 often or builds too much text; bound its loops or use the shipped template",
                crate::diagnostic::thousands(FUEL as usize)
            );
        } else if let Some(detail) = error.detail() {
            message = format!("{message}: {detail}");
        }
        TemplateError {
            template: error.name().unwrap_or(fallback).to_owned(),
            line: error.line(),
            message,
        }
    }
}

impl Templates {
    /// Compile every template of `assets`. A syntax error names the template and line.
    pub fn new(assets: &Assets) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // Debug output would print the referenced context values with an error.
        env.set_debug(false);
        env.set_fuel(Some(FUEL));
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| TemplateError::from_minijinja("<syntax>", &e))?;
        env.set_syntax(syntax);
        env.add_filter("yaml", yaml_filter);
        for (name, text) in &assets.templates {
            env.add_template_owned(name.clone(), text.to_string())
                .map_err(|e| TemplateError::from_minijinja(name, &e))?;
        }
        Ok(Templates { env })
    }

    /// Render template `name` with `context` (any serializable value, usually a map).
    pub fn render<C: Serialize>(&self, name: &str, context: &C) -> Result<String, TemplateError> {
        let template = self.env.get_template(name).map_err(|e| TemplateError {
            template: name.to_owned(),
            line: None,
            message: format!("{}: not found among the templates", e.kind()),
        })?;
        template
            .render(Value::from(minijinja::value::Serde(context)))
            .map_err(|e| TemplateError::from_minijinja(name, &e))
    }

    pub fn has(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }
}

/// The `yaml` filter: any value as a YAML flow node. Undefined values are errors even though
/// strict mode lets them reach filters.
fn yaml_filter(value: Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "the value passed to `yaml` is undefined",
        ));
    }
    let mut out = String::new();
    write_value(&value, &mut out)?;
    Ok(out)
}

/// A template value as a YAML flow node, read straight from the template's value (maps in their
/// own key order: the output is parsed back into sorted maps). Forms with no direct counterpart
/// (floats, big integers, bytes, objects) go through JSON and [`write_flow`].
fn write_value(value: &Value, out: &mut String) -> Result<(), Error> {
    match value.kind() {
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => match value.as_i64().filter(|_| value.is_integer()) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => write_json(value, out)?,
        },
        ValueKind::String => quote(value.as_str().unwrap_or_default(), out),
        ValueKind::Seq => {
            out.push('[');
            for (i, item) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(&item, out)?;
            }
            out.push(']');
        }
        ValueKind::Map if value.try_iter()?.all(|k| k.kind() == ValueKind::String) => {
            out.push('{');
            for (i, key) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quote(key.as_str().unwrap_or_default(), out);
                out.push_str(": ");
                write_value(&value.get_item(&key)?, out)?;
            }
            out.push('}');
        }
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "the value passed to `yaml` holds an undefined value",
            ));
        }
        _ => write_json(value, out)?,
    }
    Ok(())
}

/// A template value through its JSON form.
fn write_json(value: &Value, out: &mut String) -> Result<(), Error> {
    let json = serde_json::to_value(value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot write this value as YAML: {e}"),
        )
    })?;
    write_flow(&json, out);
    Ok(())
}

/// A JSON value as a YAML flow node (see the module docs).
fn write_flow(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => out.push_str(&n.to_string()),
        serde_json::Value::String(s) => quote(s, out),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quote(key, out);
                out.push_str(": ");
                write_flow(item, out);
            }
            out.push('}');
        }
    }
}

/// A YAML double-quoted scalar that reads back as exactly `s` in YAML 1.1 and 1.2. Escaped:
/// `"` and `\`, C0 and C1 controls and DEL, the YAML 1.1 line breaks NEL/LS/PS, the BOM and the
/// non-characters U+FFFE/U+FFFF. Everything else is printable in both versions and kept.
pub fn quote(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push_str(escape);
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn templates(text: &str) -> Templates {
        let assets = Assets {
            schemas: Vec::new(),
            templates: vec![("t.yaml.j2".to_owned(), Cow::Owned(text.to_owned()))],
        };
        Templates::new(&assets).unwrap()
    }

    #[test]
    fn filter_quotes_yaml_hostile_strings() {
        let t = templates("a: {{ v | yaml }}\n");
        let out = t
            .render("t.yaml.j2", &serde_json::json!({"v": "x\nmalicious: true"}))
            .unwrap();
        assert_eq!(out, "a: \"x\\nmalicious: true\"\n");
        let back: serde_json::Value = crate::yaml::from_yaml(&out).unwrap();
        assert_eq!(back["a"], "x\nmalicious: true");
    }

    #[test]
    fn filter_writes_maps_and_lists_in_flow_style() {
        let t = templates(
            "a: {{ v | yaml }}\nb: {{ n | yaml }}\nc: {{ f | yaml }}\nd: {{ z | yaml }}\n",
        );
        let out = t
            .render(
                "t.yaml.j2",
                &serde_json::json!({"v": {"on": ["no", 1, true]}, "n": 3, "f": false, "z": null}),
            )
            .unwrap();
        assert_eq!(
            out,
            "a: {\"on\": [\"no\", 1, true]}\nb: 3\nc: false\nd: null\n"
        );
    }

    #[test]
    fn undefined_values_are_errors_even_through_the_filter() {
        let t = templates("a: {{ missing | yaml }}\n");
        let err = t.render("t.yaml.j2", &serde_json::json!({})).unwrap_err();
        assert_eq!(err.template, "t.yaml.j2");
        assert_eq!(err.line, Some(1));
        let t = templates("a: {{ x.missing | yaml }}\n");
        assert!(
            t.render("t.yaml.j2", &serde_json::json!({"x": {}}))
                .is_err()
        );
    }

    #[test]
    fn errors_do_not_echo_context_values() {
        let t = templates("a: {{ secret.nope | yaml }}\n");
        let err = t
            .render(
                "t.yaml.j2",
                &serde_json::json!({"secret": {"k": "hunter2"}}),
            )
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// The anti-injection rule: every interpolation in a shipped template goes through `yaml`,
    /// and no block tag strips whitespace (`{%-` glues lines together with `trim_blocks`).
    #[test]
    fn every_interpolation_in_the_shipped_templates_goes_through_the_yaml_filter() {
        for (name, text) in crate::assets::TEMPLATES {
            assert!(!text.contains("{%-") && !text.contains("-%}"), "{name}");
            let mut rest = *text;
            while let Some(start) = rest.find("{{") {
                let end = rest[start..].find("}}").expect("closed") + start;
                let mut expr = rest[start + 2..end].trim();
                // A string literal holding `{{` (Argo CD Go templates) ends at its own `}}`.
                let mut close = end + 2;
                if expr.starts_with('"') {
                    let open = rest[start..].find('"').expect("literal") + start;
                    let lit_end = rest[open + 1..].find('"').expect("closed literal") + open + 1;
                    close = rest[lit_end..].find("}}").expect("closed") + lit_end + 2;
                    expr = rest[start + 2..close - 2].trim();
                }
                assert!(
                    expr.ends_with("| yaml"),
                    "{name}: `{{{{ {expr} }}}}` does not go through `| yaml`"
                );
                rest = &rest[close..];
            }
        }
    }

    #[test]
    fn the_shipped_templates_compile() {
        let t = Templates::new(&Assets::embedded()).unwrap();
        for (name, _) in crate::assets::TEMPLATES {
            assert!(t.has(name), "{name}");
        }
    }

    #[test]
    fn blocks_do_not_leave_blank_lines() {
        let t = templates("a:\n{% for x in xs %}\n  - {{ x | yaml }}\n{% endfor %}\nb: 1\n");
        let out = t
            .render("t.yaml.j2", &serde_json::json!({"xs": ["p", "q"]}))
            .unwrap();
        assert_eq!(out, "a:\n  - \"p\"\n  - \"q\"\nb: 1\n");
    }
}
