//! Arbitrary strings → the Velero cron parser: no panic; statistics of a parsed schedule are
//! sane, and a suggested fix is itself valid.
#![no_main]

use ck8s_gen::velero::cron::{CronError, parse_velero_cron};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_velero_cron(text) {
        Ok(schedule) => {
            let (min, max) = (schedule.min_interval_hours(), schedule.max_interval_hours());
            assert!(min > 0.0 && min <= max, "{text:?}: {min} {max}");
            let _ = (
                schedule.firings_per_week(),
                schedule.first_fire_minute_of_day(),
                schedule.timezone(),
            );
        }
        Err(CronError {
            suggestion: Some(suggestion),
            ..
        }) => {
            assert!(
                parse_velero_cron(&suggestion).is_ok(),
                "{text:?} -> {suggestion:?}"
            );
        }
        Err(_) => {}
    }
});
