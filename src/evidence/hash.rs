//! The header's reproducibility hashes: over the effective environments (as canonical JSON)
//! and over the schema files in use.

use crate::assets::Assets;
use crate::environment::load::LoadedEnvironment;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `sha256:<hex>` over the effective environments, in name order: for each, its name, a
/// newline, its effective configuration (built-in defaults ← `common.yaml` ← the file) as
/// canonical JSON (keys sorted, no spaces), and a newline. The same environments give the
/// same hash whatever their formatting, comments or key order.
pub fn input_hash<'a>(environments: impl Iterator<Item = &'a LoadedEnvironment>) -> String {
    let mut all: Vec<&LoadedEnvironment> = environments.collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut hasher = Sha256::new();
    for env in all {
        hasher.update(env.name.as_bytes());
        hasher.update(b"\n");
        let mut canonical = String::new();
        write_canonical(&env.value, &mut canonical);
        hasher.update(canonical.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// `sha256:<hex>` over the schema files in use (environment schema, defaults, regulatory
/// profiles), in name order: each name, a newline, its text, a newline. Differs from the
/// built-in value only under `--schemas DIR`.
pub fn schemas_hash(assets: &Assets) -> String {
    let mut files: Vec<(&str, &str)> = assets
        .schemas
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_ref()))
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(text.as_bytes());
        hasher.update(b"\n");
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// JSON with object keys sorted and no whitespace, independent of map ordering features.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut out = String::new();
        write_canonical(
            &json!({"b": [{"z": 1, "a": "x\"y"}], "a": null, "c": 1.5}),
            &mut out,
        );
        assert_eq!(out, r#"{"a":null,"b":[{"a":"x\"y","z":1}],"c":1.5}"#);
    }
}
