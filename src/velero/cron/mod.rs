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

mod grammar;
mod stats;
#[cfg(test)]
mod tests;
mod zone;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::sync::Mutex;

use crate::velero::duration::{GoDuration, parse_go_duration};

use grammar::*;
use stats::*;
pub use zone::TZDB_VERSION;
use zone::*;

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
