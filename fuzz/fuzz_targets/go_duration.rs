//! Arbitrary strings → the Go duration parser: no panic; a parsed duration round-trips through
//! its canonical form, and a suggested fix is itself valid.
#![no_main]

use ck8s_gen::velero::duration::{DurationError, parse_go_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_go_duration(text) {
        Ok(duration) => {
            let canonical = duration.canonical();
            assert_eq!(
                parse_go_duration(&canonical),
                Ok(duration),
                "{text:?} -> {canonical:?}"
            );
            let _ = (duration.as_hours_f64(), duration.whole_days());
        }
        Err(DurationError {
            suggestion: Some(suggestion),
            ..
        }) => {
            assert!(
                parse_go_duration(&suggestion).is_ok(),
                "{text:?} -> {suggestion:?}"
            );
        }
        Err(_) => {}
    }
});
