//! Bytes → the whole validation pipeline (decode, YAML, layering over the built-in defaults,
//! schema, model, semantic and fleet checks) → every report format. Nothing may panic, and
//! every finding about the file must point inside it.
#![no_main]

/// "Today" for the dated rules (the date CI pins).
const TODAY_N: i64 = 20_782;

use ck8s_gen::assets::Assets;
use ck8s_gen::diagnostic::{github, human, json};
use ck8s_gen::environment::load::Input;
use ck8s_gen::validate::Validator;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

// Statics, compiled once: never dropped, so LeakSanitizer sees nothing to report at exit.
static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::embedded);
static VALIDATOR: LazyLock<Validator<'static>> =
    LazyLock::new(|| Validator::new(&ASSETS).expect("the embedded assets compile"));

fuzz_target!(|data: &[u8]| {
    let outcome = VALIDATOR.validate_inputs(None, vec![Input::new("env.yaml", data)], TODAY_N);
    for d in &outcome.diagnostics {
        if let Some(label) = &d.primary {
            let file = outcome.sources.get(label.location.source);
            let span = label.location.span;
            assert!(span.end <= file.text.len(), "{d:?}");
            assert!(file.text.is_char_boundary(span.start), "{d:?}");
            assert!(file.text.is_char_boundary(span.end), "{d:?}");
        }
    }
    let _ = human::render(&outcome.diagnostics, &outcome.sources, false);
    let _ = json::render(&outcome.diagnostics, &outcome.sources);
    let _ = github::render(&outcome.diagnostics, &outcome.sources);
});
