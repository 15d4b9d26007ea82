//! Bytes → the whole validation pipeline (decode, YAML, layering over the built-in defaults,
//! schema, model, semantic and fleet checks) → every report format. Nothing may panic, and
//! every finding about the file must point inside it.
#![no_main]

use ck8s_gen::assets::Assets;
use ck8s_gen::load::Input;
use ck8s_gen::report;
use ck8s_gen::validate::Validator;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static VALIDATOR: Validator<'static> = {
        let assets: &'static Assets = Box::leak(Box::new(Assets::embedded()));
        Validator::new(assets).expect("the embedded assets compile")
    };
}

fuzz_target!(|data: &[u8]| {
    VALIDATOR.with(|validator| {
        let outcome = validator.validate_inputs(None, vec![Input::new("env.yaml", data)]);
        for d in &outcome.diagnostics {
            if let Some(label) = &d.primary {
                let file = outcome.sources.get(label.location.source);
                let span = label.location.span;
                assert!(span.end <= file.text.len(), "{d:?}");
                assert!(file.text.is_char_boundary(span.start), "{d:?}");
                assert!(file.text.is_char_boundary(span.end), "{d:?}");
            }
        }
        let _ = report::human(&outcome.diagnostics, &outcome.sources, false);
        let _ = report::json(&outcome.diagnostics, &outcome.sources);
        let _ = report::github(&outcome.diagnostics, &outcome.sources);
    });
});
