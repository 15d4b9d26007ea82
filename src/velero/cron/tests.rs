//! The parser and the statistics against robfig/cron v3 behaviour, DST zones included.

use super::*;
use proptest::prelude::*;

fn ok(s: &str) -> CronSchedule {
    match parse_velero_cron(s) {
        Ok(schedule) => schedule,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

fn err(s: &str) -> CronError {
    match parse_velero_cron(s) {
        Ok(schedule) => panic!("{s:?} should fail, got {schedule:?}"),
        Err(e) => e,
    }
}

fn intervals(s: &str) -> (f64, f64) {
    let schedule = ok(s);
    (schedule.min_interval_hours(), schedule.max_interval_hours())
}

#[test]
fn accepts_robfig_standard_forms() {
    for s in [
        "0 1 * * *",
        "* * * * *",
        "*/15 * * * *",
        "0 */6 * * *",
        "0 0 * * 0",
        "0 0 1 * *",
        "0 0 ? * *",
        "0 0 * * ?",
        "5,10,15 1-5 1-31/2 * *",
        "0 22 * * 1-5",
        "0 3 * * MON-FRI",
        "0 3 * * mon,Wed,FRI",
        "0 3 1 jan,Jul *",
        "0 3 1 JAN-DEC/3 *",
        "0 3 * * SUN/2",
        "30 2 15 6 *",
        "0 0 29 2 *",
        "5/10 * * * *",
        "0-59/30 * * * *",
        "00 01 * * *",
        "+5 * * * *",
        "0 0 1,,15 * *",
        "  0   1 *\t* *  ",
        "0 0 31 * *",
        "*/100 * * * *",
        "? ? ? ? ?",
    ] {
        ok(s);
    }
}

#[test]
fn accepts_descriptors() {
    for s in [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
        "@every 6h",
        "@every 1h30m",
        "@every 1s",
        "@every 1.5s",
    ] {
        ok(s);
    }
}

#[test]
fn time_zones_are_checked_against_the_tz_database_case_sensitively() {
    for (s, message, suggestion) in [
        (
            "CRON_TZ=Europe/Stokholm 30 2 * * *",
            "unknown time zone \"Europe/Stokholm\"",
            Some("CRON_TZ=Europe/Stockholm 30 2 * * *"),
        ),
        (
            "CRON_TZ=europe/stockholm 0 1 * * *",
            "must be written Europe/Stockholm",
            Some("CRON_TZ=Europe/Stockholm 0 1 * * *"),
        ),
        (
            "CRON_TZ=GMT+1 0 1 * * *",
            "written Etc/GMT-1",
            Some("CRON_TZ=Etc/GMT-1 0 1 * * *"),
        ),
        (
            "CRON_TZ=Etc/GMT+13 0 1 * * *",
            "Etc/GMT-14 to Etc/GMT+12",
            None,
        ),
        (
            "CRON_TZ=US/Pacific-New 0 1 * * *",
            "unknown time zone \"US/Pacific-New\"",
            None,
        ),
        (
            "TZ=Mars/Olympus_Mons 0 1 * * *",
            "not in the IANA tz database (2026f)",
            None,
        ),
    ] {
        let e = err(s);
        assert!(e.message.contains(message), "{s}: {}", e.message);
        if let Some(suggestion) = suggestion {
            assert_eq!(e.suggestion.as_deref(), Some(suggestion), "{s}");
        }
    }
    // Real zones, links included; Etc/GMT-14 and Etc/GMT+12 are the ends of the range.
    for zone in [
        "Europe/Stockholm",
        "US/Pacific",
        "Europe/Kyiv",
        "Europe/Kiev",
        "Etc/GMT-14",
        "Etc/GMT+12",
        "GMT+0",
        "Australia/Lord_Howe",
    ] {
        assert_eq!(
            ok(&format!("CRON_TZ={zone} 0 1 * * *")).timezone(),
            Some(zone)
        );
    }
}

#[test]
fn gaps_are_real_instants_through_dst_as_robfig_fires() {
    // (schedule, shortest gap, longest gap) in hours.
    for (s, min, max) in [
        // 02:30 does not exist on the spring-forward day: skipped, 47 h; on the fall-back
        // day it happens twice: 1 h.
        ("CRON_TZ=Europe/Stockholm 30 2 * * *", 1.0, 47.0),
        // 03:30 always exists: 23 h in spring, 25 h in autumn.
        ("CRON_TZ=Europe/Stockholm 30 3 * * *", 23.0, 25.0),
        ("CRON_TZ=Europe/Stockholm 0 12 * * *", 23.0, 25.0),
        // New York changes at 02:00 local: 02:30 is skipped in March, 01:30 repeats in November.
        // (02:30 happens once on the fall-back day: 25 h from the day before.)
        ("CRON_TZ=America/New_York 30 2 * * *", 24.0, 47.0),
        ("CRON_TZ=America/New_York 30 1 * * *", 1.0, 24.0),
        // Lord Howe shifts by 30 minutes (02:00 → 02:30 in October, 02:00 → 01:30 in April).
        ("CRON_TZ=Australia/Lord_Howe 15 2 * * *", 24.0, 47.5),
        ("CRON_TZ=Australia/Lord_Howe 45 1 * * *", 0.5, 24.0),
        ("CRON_TZ=Australia/Lord_Howe 0 6 * * *", 23.5, 24.5),
        // UTC and no zone: the wall clock is UTC, no DST.
        ("30 2 * * *", 24.0, 24.0),
        ("CRON_TZ=UTC 30 2 * * *", 24.0, 24.0),
        // Weekly across a change: one week ± the shift.
        ("CRON_TZ=Europe/Stockholm 0 12 * * 0", 167.0, 169.0),
    ] {
        let c = ok(s);
        assert_eq!(
            (c.min_interval_hours(), c.max_interval_hours()),
            (min, max),
            "{s}"
        );
    }
    // Hourly through a change: always one hour apart in real time.
    let hourly = ok("CRON_TZ=Europe/Stockholm 0 * * * *");
    assert_eq!(
        (hourly.min_interval_hours(), hourly.max_interval_hours()),
        (1.0, 1.0)
    );
}

#[test]
fn time_zone_prefixes() {
    assert_eq!(ok("0 1 * * *").timezone(), None);
    for (s, zone) in [
        ("CRON_TZ=Europe/Stockholm 0 1 * * *", "Europe/Stockholm"),
        ("TZ=UTC 0 1 * * *", "UTC"),
        ("CRON_TZ=Local @daily", "Local"),
        ("CRON_TZ=UTC  0 5 * * *", "UTC"),
        ("TZ=Asia/Tokyo @midnight", "Asia/Tokyo"),
        (
            "CRON_TZ=America/Argentina/Buenos_Aires 0 1 * * *",
            "America/Argentina/Buenos_Aires",
        ),
        ("CRON_TZ=Etc/GMT+1 0 1 * * *", "Etc/GMT+1"),
        ("CRON_TZ=EST5EDT 0 1 * * *", "EST5EDT"),
        // robfig trims the rest after a prefix
        ("CRON_TZ=UTC @daily ", "UTC"),
    ] {
        let schedule = ok(s);
        assert_eq!(schedule.timezone(), Some(zone), "{s:?}");
        assert_eq!(schedule.as_str(), s);
    }
}

#[test]
fn rejects_bad_time_zones() {
    for s in [
        "CRON_TZ=Europe/Stockholm",
        "CRON_TZ=Europe/Stockholm ",
        "CRON_TZ=Europe/Stock.holm 0 1 * * *",
        "CRON_TZ=/etc/localtime 0 1 * * *",
        "CRON_TZ=Europe//Stockholm 0 1 * * *",
        "CRON_TZ=../etc 0 1 * * *",
        "CRON_TZ=Europe/Stockholm\t0 1 * * *",
        "CRON_TZ=Ευρώπη 0 1 * * *",
    ] {
        err(s);
    }
    let e = err("CRON_TZ= 0 1 * * *");
    assert_eq!(e.suggestion.as_deref(), Some("CRON_TZ=UTC 0 1 * * *"));
    let e = err("CRON_TZ=utc 0 1 * * *");
    assert_eq!(e.suggestion.as_deref(), Some("CRON_TZ=UTC 0 1 * * *"));
    let e = err("cron_tz=UTC 0 1 * * *");
    assert_eq!(e.suggestion.as_deref(), Some("CRON_TZ=UTC 0 1 * * *"));
}

#[test]
fn rejects_out_of_range_values_naming_the_field() {
    let cases = [
        ("61 * * * *", "minute", "61 is out of range 0-59"),
        ("0 24 * * *", "hour", "24 is out of range 0-23"),
        ("0 0 0 * *", "day-of-month", "0 is out of range 1-31"),
        ("0 0 32 * *", "day-of-month", "32 is out of range 1-31"),
        ("0 0 * 13 *", "month", "13 is out of range 1-12"),
        ("0 0 * 0 *", "month", "0 is out of range 1-12"),
        ("0 0 * * 7", "day-of-week", "7 is out of range 0-6"),
        ("0 0 * * 1-7", "day-of-week", "7 is out of range 0-6"),
        ("0-60 * * * *", "minute", "60 is out of range 0-59"),
        ("70-5 * * * *", "minute", "70 is out of range 0-59"),
        ("70/5 * * * *", "minute", "70 is out of range 0-59"),
    ];
    for (s, field, reason) in cases {
        let e = err(s);
        assert!(
            e.message.contains(&format!("invalid {field} field")),
            "{}",
            e.message
        );
        assert!(e.message.contains(reason), "{}", e.message);
    }
    assert_eq!(
        err("61 * * * *").message,
        r#"invalid minute field "61": 61 is out of range 0-59"#
    );
}

#[test]
fn rejects_malformed_fields() {
    for s in [
        "*/0 * * * *",
        "0-10/0 * * * *",
        "1/0 * * * *",
        "5-1 * * * *",
        "1-2-3 * * * *",
        "*/5/2 * * * *",
        "-5 * * * *",
        "5- * * * *",
        "*/ * * * *",
        "*/-1 * * * *",
        "x * * * *",
        "0 0 * * MONDAY",
        "0 0 * * MON-",
        "0 0 * JANUARY *",
        "0 0 jan * *",
        ", * * * *",
        "*-5 * * * *",
        "0 0 30 2 *",
        "0 0 31 4,6,9,11 *",
        "0 0 L * *",
        "0 0 LW * *",
        "0 0 15W * *",
        "0 0 * * 5L",
        "0 0 * * FRIL",
        "0 0 * * 5#3",
        "0 0 * * FRI#3",
        "99999999999999999999 * * * *",
        "0 0 * * 1.5",
        "０ 0 * * *",
    ] {
        err(s);
    }
    assert!(err("*/0 * * * *").message.contains("at least 1"));
    assert!(err("0 0 L * *").message.contains("last day"));
    assert!(err("0 0 15W * *").message.contains("nearest weekday"));
    assert!(err("0 0 * * 5#3").message.contains("nth weekday"));
    assert!(err("0 0 30 2 *").message.contains("never fires"));
    assert_eq!(
        err("99999999999999999999 * * * *").message,
        r#"invalid minute field "99999999999999999999": value is out of range 0-59"#
    );
    assert!(err("@every 500ms").message.contains("shorter than 1s"));
    assert!(err("@every -1h").message.contains("not positive"));
    assert!(err("@every 0").message.contains("not positive"));
}

#[test]
fn rejects_wrong_field_counts() {
    for s in [
        "",
        " ",
        "* * * *",
        "0 0 * * * * *",
        "0 0 12 * * ? 2026",
        "0",
        "0 0 * * * * * *",
    ] {
        err(s);
    }
    assert_eq!(err("").message, "empty schedule");
    assert!(err("* * * *").message.contains("found 4"));
}

#[test]
fn six_fields_suggest_dropping_seconds() {
    let e = err("0 0 * * * *");
    assert_eq!(e.suggestion.as_deref(), Some("0 * * * *"));
    assert!(e.message.contains("no seconds field"), "{}", e.message);
    assert!(e.message.contains(r#""0 0 * * *""#), "{}", e.message);

    let e = err("0 0 12 * * ?");
    assert_eq!(e.suggestion.as_deref(), Some("0 12 * * ?"));
    assert!(e.message.contains("Quartz"), "{}", e.message);

    let e = err("30 0 1 * * *");
    assert!(
        e.message.contains("losing the seconds value"),
        "{}",
        e.message
    );

    let e = err("0 0 12 ? * 2");
    assert!(e.message.contains("1-7 from Sunday"), "{}", e.message);

    let e = err("CRON_TZ=UTC 0 0 1 * * *");
    assert_eq!(e.suggestion.as_deref(), Some("CRON_TZ=UTC 0 1 * * *"));

    let e = err("0 0 12 * * ? *");
    assert_eq!(e.suggestion.as_deref(), Some("0 12 * * ?"));
    assert_eq!(err("0 0 12 * * ? 2026").suggestion, None);
}

#[test]
fn rejects_bad_descriptors() {
    for s in [
        "@every",
        "@every ",
        "@every 0s",
        "@every 500ms",
        "@every -1h",
        "@every 1d",
        "@every  6h",
        "@every\t6h",
        "@Daily",
        "@reboot",
        "@fortnightly",
        " @daily",
        "@daily ",
        "@every 6h ",
        "@",
    ] {
        err(s);
    }
}

#[test]
fn suggestions() {
    let cases = [
        ("@every 1d", "@every 24h"),
        ("@every 1w", "@every 168h"),
        ("@every 2h 30m", "@every 2h30m"),
        ("@every -1h", "@every 1h"),
        ("@every  6h", "@every 6h"),
        ("@every\t6h", "@every 6h"),
        ("@EVERY 1D", "@every 24h"),
        ("@Daily", "@daily"),
        ("@HOURLY", "@hourly"),
        (" @daily", "@daily"),
        ("@daily\n", "@daily"),
        ("daily", "@daily"),
        ("CRON_TZ=UTC @every 1d", "CRON_TZ=UTC @every 24h"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * 1-7", "0 0 * * 0-6"),
        ("0 0 * * 5-7", "0 0 * * 5-6,0"),
        ("0 0 * * 1,7", "0 0 * * 1,0"),
        ("0 22-2 * * *", "0 22-23,0-2 * * *"),
        ("0 0 * * FRI-MON", "0 0 * * 5-6,0-1"),
        ("0 0 * * Monday", "0 0 * * MON"),
        ("0 0 1 January *", "0 0 1 JAN *"),
        ("*-5 * * * *", "0-5 * * * *"),
    ];
    for (input, want) in cases {
        let e = err(input);
        assert_eq!(
            e.suggestion.as_deref(),
            Some(want),
            "{input:?}: {}",
            e.message
        );
        ok(want);
    }
    for input in [
        "@every 500ms",
        "@reboot",
        "0 0 L * *",
        "61 * * * *",
        "* * * *",
    ] {
        assert_eq!(err(input).suggestion, None, "{input:?}");
    }
}

#[test]
fn display_includes_the_suggestion() {
    assert_eq!(
        err("@every 1d").to_string(),
        r#"invalid @every interval: unknown unit "d" in duration "1d" (did you mean "@every 24h"?)"#
    );
}

#[test]
fn interval_statistics() {
    assert_eq!(intervals("0 0 * * *"), (24.0, 24.0));
    assert_eq!(intervals("@daily"), (24.0, 24.0));
    assert_eq!(intervals("0 */6 * * *"), (6.0, 6.0));
    assert_eq!(intervals("0 0 * * 0"), (168.0, 168.0));
    assert_eq!(intervals("@weekly"), (168.0, 168.0));
    assert_eq!(intervals("0 0 1 * *"), (28.0 * 24.0, 744.0));
    assert_eq!(intervals("@monthly"), (28.0 * 24.0, 744.0));
    assert_eq!(intervals("@yearly"), (365.0 * 24.0, 366.0 * 24.0));
    assert_eq!(intervals("@hourly"), (1.0, 1.0));
    assert_eq!(intervals("* * * * *"), (1.0 / 60.0, 1.0 / 60.0));
    assert_eq!(intervals("0 0,23 * * *"), (1.0, 23.0));
    assert_eq!(intervals("0 1 * * 1-5"), (24.0, 72.0));
    assert_eq!(intervals("0 0 29 2 *"), (1461.0 * 24.0, 1461.0 * 24.0));
    assert_eq!(intervals("0 0 31 * *"), (31.0 * 24.0, 61.0 * 24.0));
    assert_eq!(intervals("@every 6h"), (6.0, 6.0));
    assert_eq!(intervals("@every 90m"), (1.5, 1.5));
    // robfig truncates @every to whole seconds.
    assert_eq!(ok("@every 1.9s").max_interval_hours(), 1.0 / 3600.0);
}

#[test]
fn day_of_month_and_day_of_week_combine_like_robfig() {
    // Both restricted: either matches (1st of the month OR Monday).
    let either = ok("0 0 1 * 1");
    assert!(either.firings_per_week() > 1.0);
    assert!(either.max_interval_hours() <= 168.0);
    // A star on one side: both must match, so only Mondays.
    assert_eq!(intervals("0 0 * * 1"), (168.0, 168.0));
    assert_eq!(intervals("0 0 ? * 1"), (168.0, 168.0));
    // "*/1" keeps the star; "*/2" does not.
    assert_eq!(intervals("0 0 */1 * 1"), (168.0, 168.0));
    assert!(ok("0 0 */2 * 1").firings_per_week() > 3.5);
    // "1-31" is not a star: every day.
    assert_eq!(intervals("0 0 1-31 * 1"), (24.0, 24.0));
}

#[test]
fn firings_per_week() {
    let close = |s: &str, want: f64| {
        let got = ok(s).firings_per_week();
        assert!((got - want).abs() < 0.02, "{s:?}: {got} != {want}");
    };
    close("0 0 * * *", 7.0);
    close("0 */6 * * *", 28.0);
    close("0 0 * * 0", 1.0);
    close("0 1 * * 1-5", 5.0);
    close("@hourly", 168.0);
    close("@every 12h", 14.0);
    close("0 0 1 * *", 12.0 * 7.0 / 365.25);
}

#[test]
fn first_fire_minute_of_day() {
    assert_eq!(ok("0 0 * * *").first_fire_minute_of_day(), Some(0));
    assert_eq!(ok("30 2 * * *").first_fire_minute_of_day(), Some(150));
    assert_eq!(ok("15,45 3,1 * * *").first_fire_minute_of_day(), Some(75));
    assert_eq!(ok("@hourly").first_fire_minute_of_day(), Some(0));
    assert_eq!(ok("@every 6h").first_fire_minute_of_day(), None);
    assert_eq!(
        ok("CRON_TZ=Europe/Stockholm 0 3 * * *").first_fire_minute_of_day(),
        Some(180)
    );
}

#[test]
fn calendar_helpers() {
    // Sakamoto's method, to check the hard-coded starting weekday.
    let weekday = |y: u32, m: u32, d: u32| {
        let t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if m < 3 { y - 1 } else { y };
        (y + y / 4 - y / 100 + y / 400 + t[m as usize - 1] + d) % 7
    };
    assert_eq!(weekday(FIRST_YEAR, 1, 1), FIRST_WEEKDAY);
    assert_eq!(days_in_month(2028, 2), 29);
    assert_eq!(days_in_month(2100, 2), 28);
    assert_eq!(days_in_month(2000, 2), 29);
    assert_eq!(span(0, 59).count_ones(), 60);
    assert_eq!(span(1, 31), 0xffff_fffe);
    assert_eq!(span(0, 6), 0x7f);
}

proptest! {
    #[test]
    fn never_panics_on_any_string(s in any::<String>()) {
        let _ = parse_velero_cron(&s);
    }

    #[test]
    fn never_panics_on_cron_like_strings(
        s in "(CRON_TZ=[A-Za-z/]{0,8} )?[0-9*?/,LW#@a-zA-Z -]{0,30}"
    ) {
        let _ = parse_velero_cron(&s);
    }

    #[test]
    fn suggestions_always_parse(
        s in "[0-9*?/,-]{1,6}( [0-9*?/,A-Za-z-]{1,6}){3,6}|@[a-zA-Z]{0,8}( [0-9a-zA-Z. ]{0,6})?"
    ) {
        if let Err(CronError { suggestion: Some(suggestion), .. }) = parse_velero_cron(&s) {
            prop_assert!(parse_velero_cron(&suggestion).is_ok(), "{:?} -> {:?}", s, suggestion);
        }
    }

    #[test]
    fn valid_schedules_have_sane_statistics(
        minute in 0u32..60, hour in 0u32..24, step in 1u32..13, dow in 0u32..7
    ) {
        let s = format!("{minute} {hour}/{step} * * {dow}");
        let schedule = parse_velero_cron(&s);
        prop_assert!(schedule.is_ok(), "{}", s);
        if let Ok(schedule) = schedule {
            prop_assert!(schedule.min_interval_hours() > 0.0);
            prop_assert!(schedule.min_interval_hours() <= schedule.max_interval_hours());
            prop_assert!(schedule.max_interval_hours() <= 168.0);
            prop_assert_eq!(schedule.first_fire_minute_of_day(), Some(hour * 60 + minute));
        }
    }
}
