//! Arbitrary UTF-8 → `yaml::parse_document`: no panic, and every span lies inside the text on
//! character boundaries.
#![no_main]

use ck8s_gen::source::{SourceFile, SourceId};
use ck8s_gen::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let file = SourceFile::new("fuzz.yaml", text);
    match yaml::parse_document(&file, SourceId(0)) {
        Ok(document) => {
            for (pointer, node) in document.spans.iter() {
                for span in node.key.into_iter().chain([node.value]) {
                    assert!(span.start <= span.end, "{pointer}: {span:?}");
                    assert!(span.end <= text.len(), "{pointer}: {span:?}");
                    assert!(text.is_char_boundary(span.start), "{pointer}: {span:?}");
                    assert!(text.is_char_boundary(span.end), "{pointer}: {span:?}");
                    let _ = file.line_col(span.start);
                }
            }
        }
        Err(diagnostic) => {
            if let Some(label) = &diagnostic.primary {
                assert!(label.location.span.end <= text.len(), "{diagnostic:?}");
            }
        }
    }
});
