//! Arbitrary YAML documents (the input split at its `---` lines; a single document is merged
//! over itself) layered with `load::merge_layer`: no panic; provenance only names pointers that
//! exist in the merged value, with spans inside their own file; and sharing the origins of the
//! first layer (as every run shares the defaults) answers exactly like one flat map.
#![no_main]

use ck8s_gen::environment::load::{Layer, Origin, Provenance, merge_layer};
use ck8s_gen::source::{SourceFile, Sources};
use ck8s_gen::yaml;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn sorted(provenance: &Provenance) -> Vec<(String, Origin)> {
    let mut all: Vec<_> = provenance.iter().map(|(p, o)| (p.to_owned(), o)).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fuzz_target!(|text: &str| {
    let mut parts: Vec<&str> = text.split("\n---\n").take(3).collect();
    if parts.len() == 1 {
        parts.push(text);
    }
    let mut sources = Sources::new();
    let mut layers = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let id = sources.add(SourceFile::new(format!("layer{i}.yaml"), *part));
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
    let mut shared_value = Value::Object(Map::new());
    let mut shared = Provenance::default();
    merge_layer(&mut shared_value, &mut shared, &layers[0]);
    let mut shared = shared.into_shared();
    for layer in &layers[1..] {
        merge_layer(&mut shared_value, &mut shared, layer);
    }
    assert_eq!(shared_value, value);
    assert_eq!(sorted(&shared), sorted(&provenance));
});
