//! `explain KEY`: what a key of the environment file means, from the embedded schema: title,
//! description, type, allowed values, constraints, the built-in default and child keys.

use crate::schema::EnvironmentSchema;
use serde_json::Value;

/// One key, explained.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub key: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// `(key, title)` of the keys under an object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<(String, String)>,
    /// Regulatory rules that check this key: `(rule id, citation)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<(String, String)>,
}

/// `backup.retention.ttl` or `backup.tiers[].ttl` → `/backup/retention/ttl`, `/backup/tiers/0/ttl`.
pub fn pointer_of(key: &str) -> String {
    let mut pointer = String::new();
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let (name, indexed) = match part.find('[') {
            Some(i) => (&part[..i], true),
            None => (part, false),
        };
        pointer.push('/');
        pointer.push_str(&crate::source::pointer::escape(name));
        if indexed {
            pointer.push_str("/0");
        }
    }
    pointer
}

/// Explain `key`; `None` when the schema has no such key. `defaults` is the built-in defaults
/// document (as JSON) for the default value.
pub fn explain(schema: &EnvironmentSchema, defaults: &Value, key: &str) -> Option<Explanation> {
    let pointer = pointer_of(key);
    let node = schema.node_at(&pointer)?;
    let (title, description) = schema.annotations_at(&pointer);
    let kind = match node.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => other.to_string(),
        None => "any".to_owned(),
    };
    let allowed = node
        .get("enum")
        .or_else(|| {
            node.get("const")
                .map(|_| node.get("const").unwrap_or(&Value::Null))
        })
        .map(|v| match v {
            Value::Array(items) => items.iter().map(show).collect(),
            single => vec![show(single)],
        })
        .unwrap_or_default();
    let mut constraints = Vec::new();
    for (k, label) in [
        ("pattern", "matches"),
        ("format", "format"),
        ("minimum", "minimum"),
        ("exclusiveMinimum", "greater than"),
        ("maximum", "maximum"),
        ("minLength", "minimum length"),
        ("maxLength", "maximum length"),
        ("maxItems", "at most items"),
    ] {
        if let Some(v) = node.get(k) {
            constraints.push(format!("{label} {}", show(v)));
        }
    }
    if node.get("uniqueItems") == Some(&Value::Bool(true)) {
        constraints.push("items are unique".to_owned());
    }
    let default = defaults.pointer(&pointer).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let examples = node
        .get("examples")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(show).collect())
        .unwrap_or_default();
    let object = node
        .get("properties")
        .or_else(|| node.get("items").and_then(|i| schema_props(schema, i)));
    let children = object
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| {
                    let resolved =
                        schema.node_at(&format!("{pointer}/{}", crate::source::pointer::escape(k)));
                    let title = v
                        .get("title")
                        .or_else(|| resolved.and_then(|r| r.get("title")))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    (k.clone(), title.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Explanation {
        key: key.to_owned(),
        title,
        description,
        kind,
        allowed,
        constraints,
        default,
        examples,
        children,
        rules: Vec::new(),
    })
}

fn schema_props<'a>(schema: &'a EnvironmentSchema, items: &'a Value) -> Option<&'a Value> {
    match items.get("$ref").and_then(Value::as_str) {
        Some(r) => schema
            .raw()
            .get("$defs")?
            .get(r.strip_prefix("#/$defs/")?)?
            .get("properties"),
        None => items.get("properties"),
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every key of the schema, dotted, for "did you mean" and completion.
pub fn all_keys(schema: &EnvironmentSchema) -> Vec<String> {
    let mut out = Vec::new();
    collect(schema, schema.raw(), String::new(), 0, &mut |key, _| {
        out.push(key.to_owned())
    });
    out
}

/// Dotted keys the schema marks `x-sensitive: true`: their values are masked in diffs.
pub fn sensitive_keys(schema: &EnvironmentSchema) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    collect(schema, schema.raw(), String::new(), 0, &mut |key, node| {
        if node.get("x-sensitive") == Some(&Value::Bool(true)) {
            found.insert(key.to_owned());
        }
    });
    found
}

/// Walk every property of the schema (following `$defs` references), calling `visit` with
/// its dotted key (`[]` for list items) and its schema node.
fn collect(
    schema: &EnvironmentSchema,
    node: &Value,
    prefix: String,
    depth: usize,
    visit: &mut dyn FnMut(&str, &Value),
) {
    if depth > 8 {
        return;
    }
    let node = match node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => schema
            .raw()
            .get("$defs")
            .and_then(|d| d.get(name))
            .unwrap_or(node),
        None => node,
    };
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            visit(&key, v);
            collect(schema, v, key, depth + 1, visit);
        }
    }
    if let Some(items) = node.get("items") {
        collect(schema, items, format!("{prefix}[]"), depth + 1, visit);
    }
}

/// Human-readable text of an explanation.
pub fn to_text(e: &Explanation) -> String {
    let mut out = format!("{}: {}\n\n{}\n\n", e.key, e.title, e.description);
    out.push_str(&format!("type: {}\n", e.kind));
    if !e.allowed.is_empty() {
        out.push_str(&format!("allowed: {}\n", e.allowed.join(", ")));
    }
    for c in &e.constraints {
        out.push_str(&format!("constraint: {c}\n"));
    }
    if let Some(d) = &e.default {
        out.push_str(&format!("default: {d}\n"));
    }
    if !e.examples.is_empty() {
        out.push_str(&format!("examples: {}\n", e.examples.join(", ")));
    }
    if !e.children.is_empty() {
        out.push_str("\nkeys:\n");
        let width = e.children.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, title) in &e.children {
            out.push_str(&format!("  {k:width$}  {title}\n"));
        }
    }
    if !e.rules.is_empty() {
        out.push_str("\nchecked by:\n");
        for (id, citation) in &e.rules {
            out.push_str(&format!("  {id}  {citation}\n"));
        }
    }
    out
}

/// Version of the JSON form of an explanation (`schemas/output/explain.schema.json`).
pub const JSON_VERSION: u32 = 1;

/// The explanation as one JSON document: `{version, key, title, …, children: [{key, title}],
/// rules: [{rule, citation}]}`.
pub fn to_json(e: &Explanation) -> String {
    let mut value = serde_json::to_value(e).unwrap_or_default();
    if let Some(o) = value.as_object_mut() {
        let pairs = |list: &[(String, String)], a: &str, b: &str| {
            serde_json::Value::Array(
                list.iter()
                    .map(|(x, y)| serde_json::json!({ a: x, b: y }))
                    .collect(),
            )
        };
        if !e.children.is_empty() {
            o.insert("children".into(), pairs(&e.children, "key", "title"));
        }
        if !e.rules.is_empty() {
            o.insert("rules".into(), pairs(&e.rules, "rule", "citation"));
        }
        let mut versioned = serde_json::Map::new();
        versioned.insert("version".into(), JSON_VERSION.into());
        versioned.extend(std::mem::take(o));
        value = serde_json::Value::Object(versioned);
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> EnvironmentSchema {
        EnvironmentSchema::compile(include_str!("../../schemas/environment.schema.json")).unwrap()
    }

    fn defaults() -> Value {
        crate::yaml::documents(include_str!("../../schemas/defaults.yaml"))
            .unwrap()
            .remove(0)
    }

    #[test]
    fn explains_a_leaf_with_its_default() {
        let e = explain(&schema(), &defaults(), "backup.retention.ttl").unwrap();
        assert_eq!(e.title, "Retention (TTL)");
        assert_eq!(e.default.as_deref(), Some("720h"));
        assert_eq!(e.kind, "string");
        assert!(e.description.contains("720h"));
    }

    #[test]
    fn explains_objects_enums_and_list_items() {
        let s = schema();
        let e = explain(&s, &defaults(), "backup.scope.volumes").unwrap();
        assert_eq!(
            e.allowed,
            ["fs-backup", "csi-snapshot-data-mover", "csi-snapshot"]
        );
        let e = explain(&s, &defaults(), "backup.tiers[].ttl").unwrap();
        assert_eq!(e.title, "Tier retention");
        let e = explain(&s, &defaults(), "storage").unwrap();
        assert!(e.children.iter().any(|(k, _)| k == "bucket"));
        assert!(explain(&s, &defaults(), "backup.retension").is_none());
        assert!(all_keys(&s).contains(&"backup.retention.ttl".to_owned()));
        assert!(sensitive_keys(&s).contains("storage.encryption.kmsKeyId"));
    }
}
