//! The five-field grammar, descriptors and `@every`, as robfig/cron v3 `ParseStandard` reads them.

use super::*;

/// When a schedule fires.
pub(super) enum Timing {
    Every(GoDuration),
    Fields(Fields),
}

/// The five fields as bitsets, with robfig's "star" flag for the day fields.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub(super) minute: u64,
    pub(super) hour: u64,
    pub(super) dom: Bits,
    pub(super) month: u64,
    pub(super) dow: Bits,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Bits {
    pub(super) bits: u64,
    /// The field was `*` or `?` (with no step above 1).
    pub(super) star: bool,
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
pub(super) const fn span(min: u32, max: u32) -> u64 {
    (u64::MAX >> (63 - max)) & (u64::MAX << min)
}

pub(super) const fn has(bits: u64, value: u32) -> bool {
    bits >> value & 1 == 1
}

/// A field's name, bounds and value names (`names[i]` means `min + i`).
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) min: u32,
    pub(super) max: u32,
    pub(super) names: &'static [&'static str],
}

pub(super) const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
pub(super) const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
pub(super) const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
pub(super) const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
pub(super) const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};
pub(super) const FIELDS: [&Field; 5] = [&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK];
pub(super) const FIELD_NAMES: &str = "minute hour day-of-month month day-of-week";

pub(super) const DESCRIPTORS: &str =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>";

pub(super) fn parse_body(body: &str, trimmed: bool) -> Result<Timing, Problem> {
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

pub(super) fn parse_descriptor(descriptor: &str) -> Result<Timing, Problem> {
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

pub(super) fn unknown_descriptor(descriptor: &str) -> Problem {
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

pub(super) fn parse_every(interval: &str) -> Result<Timing, Problem> {
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

pub(super) fn parse_fields(body: &str) -> Result<Timing, Problem> {
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

pub(super) fn field_count_problem(fields: &[&str]) -> Problem {
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
pub(super) struct FieldError {
    pub(super) reason: String,
    pub(super) fix: Option<String>,
}

pub(super) fn parse_field(text: &str, field: &Field) -> Result<Bits, FieldError> {
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
pub(super) fn parse_item(item: &str, field: &Field) -> Result<Bits, (String, Option<String>)> {
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
pub(super) fn value(token: &str, field: &Field) -> Result<u64, (String, Option<String>)> {
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
pub(super) enum NumberError {
    #[error("a number is missing")]
    Missing,
    #[error("{0:?} is negative")]
    Negative(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
}

/// Go's `strconv.Atoi` restricted to non-negative values; huge values
/// saturate (and are then out of range).
pub(super) fn number(token: &str) -> Result<u64, NumberError> {
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
