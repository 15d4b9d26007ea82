//! Credentials pasted as values anywhere in an environment file.

use crate::diagnostic::{Code, Diagnostic};
use crate::environment::load::LoadedEnvironment;
use crate::schema::dotted;
use crate::secrets;
use serde_json::Value;

/// Credentials pasted as values anywhere in the environment (a key, a token, a PEM block).
pub fn secrets_in_values(loaded: &LoadedEnvironment) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk(&loaded.value, String::new(), &mut |pointer, value| {
        if let Value::String(s) = value
            && secrets::looks_like_secret_value(s)
        {
            out.push(
                Diagnostic::error(
                    Code::InlineSecret,
                    format!("`{}` looks like a credential", dotted(pointer)),
                )
                .at(loaded.provenance.value_location(pointer), "value hidden")
                .help(secrets::HELP),
            );
        }
    });
    out
}

fn walk(value: &Value, pointer: String, visit: &mut dyn FnMut(&str, &Value)) {
    let mut pointer = pointer;
    walk_at(value, &mut pointer, visit);
}

/// `walk` with one pointer buffer, extended and restored while descending.
fn walk_at(value: &Value, pointer: &mut String, visit: &mut dyn FnMut(&str, &Value)) {
    visit(pointer, value);
    let parent = pointer.len();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointer.push('/');
                pointer.push_str(&crate::source::pointer::escape(k));
                walk_at(v, pointer, visit);
                pointer.truncate(parent);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                use std::fmt::Write as _;
                let _ = write!(pointer, "/{i}");
                walk_at(v, pointer, visit);
                pointer.truncate(parent);
            }
        }
        _ => {}
    }
}
