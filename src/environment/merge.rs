//! Layering: built-in defaults ← `common.yaml` ← the environment file (maps merge, lists and
//! scalars replace, `key+:` appends, `key: null` removes), recording provenance.

use super::provenance::Provenance;
use crate::source::SourceId;
use crate::source::pointer;
use crate::yaml::Document;
use serde_json::Value;

/// One layer: a parsed file.
#[derive(Clone, Debug)]
pub struct Layer {
    pub source: SourceId,
    pub document: Document,
}

/// Merge `layer` over `base`: maps merge, lists and scalars replace, `key+: [..]` appends to
/// an inherited list and `key: null` removes an inherited value.
pub fn merge_layer(base: &mut Value, provenance: &mut Provenance, layer: &Layer) {
    provenance.record("", layer.source, &layer.document, "");
    merge_value(base, &layer.document.value, "", "", provenance, layer);
}

pub(super) fn merge_value(
    base: &mut Value,
    over: &Value,
    pointer: &str,
    layer_pointer: &str,
    provenance: &mut Provenance,
    layer: &Layer,
) {
    let (Value::Object(base_map), Value::Object(over_map)) = (&mut *base, over) else {
        provenance.remove_subtree(pointer);
        provenance.record_tree(pointer, over, layer.source, &layer.document, layer_pointer);
        *base = over.clone();
        return;
    };
    for (key, value) in over_map {
        let layer_child = pointer::child(layer_pointer, key);
        if let (Some(name), Value::Array(extra)) = (key.strip_suffix('+'), value)
            && !name.is_empty()
        {
            let child = pointer::child(pointer, name);
            let list = base_map
                .entry(name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                let offset = items.len();
                for (i, item) in extra.iter().enumerate() {
                    provenance.record_tree(
                        &format!("{child}/{}", offset + i),
                        item,
                        layer.source,
                        &layer.document,
                        &format!("{layer_child}/{i}"),
                    );
                    items.push(item.clone());
                }
                provenance.record(&child, layer.source, &layer.document, &layer_child);
                continue;
            }
        }
        let child = pointer::child(pointer, key);
        if value.is_null() {
            base_map.remove(key);
            provenance.remove_subtree(&child);
            continue;
        }
        match base_map.get_mut(key) {
            Some(existing) if existing.is_object() && value.is_object() => {
                provenance.record(&child, layer.source, &layer.document, &layer_child);
                merge_value(existing, value, &child, &layer_child, provenance, layer);
            }
            _ => {
                provenance.remove_subtree(&child);
                provenance.record_tree(&child, value, layer.source, &layer.document, &layer_child);
                base_map.insert(key.clone(), value.clone());
            }
        }
    }
}
