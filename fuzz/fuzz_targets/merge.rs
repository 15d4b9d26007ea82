//! Two arbitrary YAML documents (the input split at its first `---` line; without one, the
//! document is merged over itself) → `load::merge_layer`: no panic, and provenance only names
//! pointers that exist in the merged value, with spans inside their own file.
#![no_main]

use ck8s_gen::load::{Layer, Provenance, merge_layer};
use ck8s_gen::source::{SourceFile, Sources};
use ck8s_gen::yaml;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|text: &str| {
    let input = text.split_once("\n---\n").unwrap_or((text, text));
    let mut sources = Sources::new();
    let mut layers = Vec::new();
    for (name, text) in [("base.yaml", input.0), ("over.yaml", input.1)] {
        let id = sources.add(SourceFile::new(name, text));
        let Ok(document) = yaml::parse_document(sources.get(id), id) else {
            return;
        };
        layers.push(Layer {
            source: id,
            document,
        });
    }
    let mut value = Value::Object(Map::new());
    let mut provenance = Provenance::default();
    for layer in &layers {
        merge_layer(&mut value, &mut provenance, layer);
    }
    for (pointer, origin) in provenance.iter() {
        assert!(
            value.pointer(pointer).is_some(),
            "{pointer} is not in {value}"
        );
        let text = &sources.get(origin.value.source).text;
        assert!(origin.value.span.end <= text.len());
    }
});
