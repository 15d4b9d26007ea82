//! Rule message templates: the `x-message` of the failing clause, with keys and values filled in.

use super::derived::source_pointer;
use crate::schema::dotted;
use serde_json::Value;

/// The deepest `x-message` on the way from the rule's schema to the failing keyword.
pub(super) fn clause_message<'a>(schema: &'a Value, schema_path: &str) -> Option<&'a str> {
    let mut node = schema;
    let mut found = node.get("x-message").and_then(Value::as_str);
    for segment in crate::source::pointer::segments(schema_path) {
        let next = match node {
            Value::Object(map) => map.get(segment.as_ref()),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        node = next;
        if let Some(m) = node.get("x-message").and_then(Value::as_str) {
            found = Some(m);
        }
    }
    found
}

/// Fill `{field}` (the dotted key), `{value}` (its value) and `{/json/pointer}` (any value of
/// the instance, `/derived` included) in a message template.
pub(super) fn render(template: &str, instance: &Value, pointer: &str) -> String {
    let source = source_pointer(pointer, instance.get("derived").unwrap_or(&Value::Null));
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        let value = match name {
            "field" => Some(dotted(source)),
            "value" => Some(
                instance
                    .pointer(source)
                    .map_or_else(|| "not set".to_owned(), display),
            ),
            p if p.starts_with('/') => {
                Some(instance.pointer(p).map_or_else(|| "?".to_owned(), display))
            }
            _ => None,
        };
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// A value as the user wrote it: strings without quotes, lists comma-separated.
pub(super) fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_fill_in_keys_and_values() {
        let instance =
            json!({"backup": {"retention": {"ttl": "8760h"}}, "derived": {"retentionDays": 365}});
        assert_eq!(
            render(
                "`{field}` is {value} ({/derived/retentionDays} days)",
                &instance,
                "/derived/retentionHours"
            ),
            "`backup.retention.ttl` is 8760h (365 days)"
        );
        assert_eq!(
            render("{value}", &instance, "/restoreTest/lastPerformed"),
            "not set"
        );
        assert_eq!(render("{unknown} {", &instance, ""), "{unknown} {");
        let schema = json!({"x-message": "outer", "allOf": [{"x-message": "inner", "required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(clause_message(&schema, "/allOf/0/required"), Some("inner"));
        assert_eq!(clause_message(&schema, "/allOf/1/required"), Some("outer"));
    }
}
