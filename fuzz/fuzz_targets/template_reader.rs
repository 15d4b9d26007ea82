//! Arbitrary UTF-8 → the quick reader of template output: no panic, and whatever it accepts the
//! full parser accepts too, with the same value.
#![no_main]

use ck8s_gen::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(quick) = yaml::read_template_output_quickly(text) {
        let full: serde_json::Value = yaml::from_yaml(text).unwrap_or_else(|e| {
            panic!("the quick reader accepted what the full parser refuses: {e}\n{text:?}")
        });
        assert_eq!(quick, full, "{text:?}");
    }
});
