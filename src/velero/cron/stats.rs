//! Firing statistics: the gaps between real firing instants over 2026–2033, through DST changes.

use super::*;

/// Firing statistics, precomputed at parse time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Stats {
    pub(super) max_interval_hours: f64,
    pub(super) min_interval_hours: f64,
    pub(super) firings_per_week: f64,
    pub(super) first_fire_minute_of_day: Option<u32>,
}

/// The window over which calendar schedules are evaluated: 2026-2033.
pub(super) const FIRST_YEAR: u32 = 2026;
pub(super) const YEARS: u32 = 8;
/// 2026-01-01 is a Thursday (Sunday is 0).
pub(super) const FIRST_WEEKDAY: u32 = 4;
pub(super) const MINUTES_PER_DAY: u32 = 24 * 60;

impl Timing {
    pub(super) fn stats(&self, zone: Option<&jiff::tz::TimeZone>) -> Result<Stats, Problem> {
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
pub(super) fn firing_instants(zone: &jiff::tz::TimeZone, days: &[u32], times: &[u32]) -> Vec<i64> {
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

pub(super) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
