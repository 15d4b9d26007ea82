//! Go `time.Duration` strings (Velero's `ttl`, a `metav1.Duration`): an exact port of Go's `time.ParseDuration` and `Duration.String`, plus friendly suggestions for common mistakes such as `30d`.
//!
//! Acceptance follows Go bit for bit, including its quirks: a duration is
//! `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+` or a lone `0`, held as a
//! signed 64-bit count of nanoseconds (about ±2562047h). Only the error
//! messages differ: they drop Go's `time: ` prefix and out-of-range errors say
//! why. Go's messages quote the input with escapes for non-ASCII and control
//! bytes, and so do ours.
//!
//! The parser takes `&str`, so Go's test vectors made of invalid UTF-8 (such
//! as `"\xffff"`) can only be checked through their lossy UTF-8 conversion.

use std::fmt::{self, Write as _};
use std::str::FromStr;

const MICROSECOND: u64 = 1_000;
const MILLISECOND: u64 = 1_000_000;
const SECOND: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `1 << 63`: the magnitude of `i64::MIN`, Go's overflow bound while parsing.
const LIMIT: u64 = 1 << 63;

/// A Go `time.Duration`: a signed count of nanoseconds in the `i64` range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration {
    nanos: i64,
}

impl GoDuration {
    /// The zero duration, `0s`.
    pub const ZERO: Self = Self { nanos: 0 };

    /// A duration of `nanos` nanoseconds. Every `i64` is a valid Go duration.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    /// The duration in nanoseconds (always within the `i64` range).
    pub const fn as_nanos(&self) -> i128 {
        self.nanos as i128
    }

    /// The duration in seconds, computed like Go's `Duration.Seconds`.
    pub fn as_secs_f64(&self) -> f64 {
        split_f64(self.nanos, SECOND)
    }

    /// The duration in hours, computed like Go's `Duration.Hours`.
    pub fn as_hours_f64(&self) -> f64 {
        split_f64(self.nanos, HOUR)
    }

    /// Whole 24-hour days, rounded towards negative infinity (`-1h` is `-1`).
    pub fn whole_days(&self) -> i64 {
        self.nanos.div_euclid(DAY as i64)
    }

    /// The duration as Go's `Duration.String` prints it: `720h0m0s`,
    /// `1h30m0s`, `1.5s`, `500ms`, `0s`, `-5m0s`.
    pub fn canonical(&self) -> String {
        let sign = if self.nanos < 0 { "-" } else { "" };
        let u = self.nanos.unsigned_abs();
        if u == 0 {
            return "0s".to_owned();
        }
        if u < SECOND {
            // Go switches to smaller units below one second, e.g. `1.2ms`.
            let (unit, digits) = if u < MICROSECOND {
                ("ns", 0)
            } else if u < MILLISECOND {
                ("µs", 3)
            } else {
                ("ms", 6)
            };
            return format!("{sign}{}{unit}", decimal(u, digits));
        }
        let secs = decimal(u % MINUTE, 9);
        let minutes = u / MINUTE;
        let hours = minutes / 60;
        match (hours, minutes) {
            (0, 0) => format!("{sign}{secs}s"),
            (0, m) => format!("{sign}{m}m{secs}s"),
            (h, m) => format!("{sign}{h}h{}m{secs}s", m % 60),
        }
    }
}

impl fmt::Display for GoDuration {
    /// Formats as [`GoDuration::canonical`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_go_duration(s)
    }
}

/// Why a string is not a Go duration, with a corrected value when one is
/// obvious (`30d` suggests `720h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// What is wrong, e.g. `unknown unit "d" in duration "30d"`.
    pub message: String,
    /// A valid Go duration that probably means what was intended.
    pub suggestion: Option<String>,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean \"{suggestion}\"?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for DurationError {}

/// Parses `s` exactly as Go's `time.ParseDuration` does.
///
/// Go's units are `ns`, `us` (also `µs` U+00B5 and `μs` U+03BC), `ms`, `s`,
/// `m` and `h`; there are no days. On error, [`DurationError::suggestion`]
/// holds a valid rewrite when the intent is clear: `30d` → `720h`,
/// `1w` → `168h`, `1y` → `8760h`, `720` → `720h`, `2h 30m` → `2h30m`,
/// `720H` → `720h`.
///
/// # Errors
///
/// Returns a [`DurationError`] when Go would reject `s`, including when the
/// value does not fit in Go's `int64` nanoseconds.
pub fn parse_go_duration(s: &str) -> Result<GoDuration, DurationError> {
    parse_nanos(s, go_unit)
        .map(GoDuration::from_nanos)
        .map_err(|failure| DurationError {
            message: failure.message(s),
            suggestion: suggest(s),
        })
}

/// The ways Go's parser can fail.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    Invalid,
    MissingUnit,
    UnknownUnit(String),
    OutOfRange,
}

impl Failure {
    fn message(&self, input: &str) -> String {
        let input = quote(input);
        match self {
            Self::Invalid => format!("invalid duration {input}"),
            Self::MissingUnit => format!("missing unit in duration {input}"),
            Self::UnknownUnit(unit) => {
                format!("unknown unit {} in duration {input}", quote(unit))
            }
            Self::OutOfRange => format!(
                "invalid duration {input}: out of range \
                 (Go durations are limited to about ±2562047h, roughly 292 years)"
            ),
        }
    }
}

/// Nanoseconds per unit for the units Go knows.
fn go_unit(unit: &[u8]) -> Option<u64> {
    Some(match unit {
        b"ns" => 1,
        // "µs" is U+00B5 MICRO SIGN, "μs" U+03BC GREEK SMALL LETTER MU.
        b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => MICROSECOND,
        b"ms" => MILLISECOND,
        b"s" => SECOND,
        b"m" => MINUTE,
        b"h" => HOUR,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`, with the unit table as a parameter.
///
/// Like Go, this works on bytes: a unit is everything up to the next digit or
/// `.`, so `"2h 30m"` fails on the unit `"h "`.
fn parse_nanos(input: &str, unit_of: fn(&[u8]) -> Option<u64>) -> Result<i64, Failure> {
    let mut s = input.as_bytes();
    let mut neg = false;
    if let [sign @ (b'-' | b'+'), rest @ ..] = s {
        neg = *sign == b'-';
        s = rest;
    }
    // Special case: if all that is left is "0", this is zero.
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(Failure::Invalid);
    }
    let mut d: u64 = 0;
    while let Some(&first) = s.first() {
        // The next character must be [0-9.].
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(Failure::Invalid);
        }
        // Consume [0-9]*.
        let (v, rest) = leading_int(s).ok_or(Failure::OutOfRange)?;
        let pre = rest.len() != s.len();
        s = rest;

        // Consume (\.[0-9]*)?.
        let (mut f, mut scale, mut post) = (0, 1.0, false);
        if let [b'.', rest @ ..] = s {
            let (frac, frac_scale, after) = leading_fraction(rest);
            (f, scale, post) = (frac, frac_scale, after.len() != rest.len());
            s = after;
        }
        if !pre && !post {
            // No digits, e.g. ".s" or "-.s".
            return Err(Failure::Invalid);
        }

        // Consume the unit.
        let len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if len == 0 {
            return Err(Failure::MissingUnit);
        }
        let (unit, rest) = s.split_at(len);
        s = rest;
        let unit = unit_of(unit)
            .ok_or_else(|| Failure::UnknownUnit(String::from_utf8_lossy(unit).into_owned()))?;
        if v > LIMIT / unit {
            return Err(Failure::OutOfRange);
        }
        let mut v = v * unit;
        if f > 0 {
            // float64 is needed to be nanosecond accurate for fractions of
            // hours; the product is below `unit`, so this cannot overflow.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(Failure::OutOfRange);
            }
        }
        // Go adds in uint64 and so wraps when both terms are exactly 1<<63
        // ("9223372036854775808ns9223372036854775808ns" parses as 0s).
        d = d.wrapping_add(v);
        if d > LIMIT {
            return Err(Failure::OutOfRange);
        }
    }
    if neg {
        // `d` is at most 1<<63, whose negation is `i64::MIN`.
        return Ok((d as i64).wrapping_neg());
    }
    i64::try_from(d).map_err(|_| Failure::OutOfRange)
}

/// Consumes the leading `[0-9]*`; `None` on overflow past `1 << 63`.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let (digits, rest) = s.split_at(count_digits(s));
    let mut x: u64 = 0;
    for &c in digits {
        if x > LIMIT / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > LIMIT {
            return None;
        }
    }
    Some((x, rest))
}

/// Consumes the leading `[0-9]*` after a decimal point as `x / scale`.
/// Digits that would overflow are consumed but dropped, as in Go.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let (digits, rest) = s.split_at(count_digits(s));
    let (mut x, mut scale) = (0u64, 1.0f64);
    for &c in digits {
        if x > (LIMIT - 1) / 10 {
            break;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > LIMIT {
            break;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, rest)
}

fn count_digits(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `nanos / unit` as a float without losing the integral part, like Go's
/// `Duration.Hours` and `Duration.Seconds`.
fn split_f64(nanos: i64, unit: u64) -> f64 {
    let unit = unit as i64;
    (nanos / unit) as f64 + (nanos % unit) as f64 / unit as f64
}

/// `v / 10^digits` in decimal, without trailing zeros or a bare point.
fn decimal(v: u64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:0width$}", width = digits as usize);
    format!("{int}.{}", frac.trim_end_matches('0'))
}

/// Go's `time.quote`: double quotes, with every byte of a non-ASCII or
/// control character written as `\xNN`, and `"` and `\` backslash-escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii() && c >= ' ' {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// How a unit someone might write maps onto Go's units.
enum Alias {
    /// A Go unit spelled differently (`min` → `m`, `H` → `h`).
    Go(&'static str),
    /// A unit Go lacks, as a whole number of hours (`d` → 24).
    Hours(u64),
}

fn unit_alias(lowercase: &str) -> Option<Alias> {
    use Alias::{Go, Hours};
    Some(match lowercase {
        "ns" | "nsec" | "nsecs" | "nanosecond" | "nanoseconds" => Go("ns"),
        "us" | "µs" | "μs" | "usec" | "usecs" | "microsecond" | "microseconds" => Go("us"),
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => Go("ms"),
        "s" | "sec" | "secs" | "second" | "seconds" => Go("s"),
        "m" | "min" | "mins" | "minute" | "minutes" => Go("m"),
        "h" | "hr" | "hrs" | "hour" | "hours" => Go("h"),
        "d" | "day" | "days" => Hours(24),
        "w" | "wk" | "wks" | "week" | "weeks" => Hours(7 * 24),
        "y" | "yr" | "yrs" | "year" | "years" => Hours(365 * 24),
        _ => return None,
    })
}

/// A valid Go duration that `input` (invalid) most likely means, if any.
///
/// Whitespace is dropped, a decimal comma becomes a point, units are
/// lowercased and spelled Go's way, and a lone number gets `h`. When days,
/// weeks or years (365 days) are involved the total is written in hours and
/// minutes (`1d12h` → `36h`); otherwise the user's own terms are kept
/// (`2h 30m` → `2h30m`). Uppercase `M` is left alone: it may mean months.
fn suggest(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (sign, mut rest) = match compact.strip_prefix(['-', '+']) {
        Some(rest) => (compact.get(..1).unwrap_or(""), rest),
        None => ("", compact.as_str()),
    };
    let is_number = |c: char| c.is_ascii_digit() || c == '.';
    let mut terms = Vec::new();
    while !rest.is_empty() {
        let number_len = rest.find(|c| !is_number(c)).unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let unit_len = after.find(is_number).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if number.is_empty() {
            return None;
        }
        terms.push((number, unit));
        rest = after;
    }
    if let [(_, unit)] = terms.as_mut_slice()
        && unit.is_empty()
    {
        *unit = "h";
    }

    let mut rewritten = sign.to_owned();
    let mut total: i128 = 0;
    let mut converted = false;
    for (number, unit) in terms {
        if unit == "M" {
            return None;
        }
        let (name, hours) = match unit_alias(&unit.to_lowercase())? {
            Alias::Go(name) => (name, 1),
            Alias::Hours(hours) => {
                converted = true;
                ("h", hours)
            }
        };
        let term = parse_nanos(&format!("{number}{name}"), go_unit).ok()?;
        total = total.checked_add(i128::from(term).checked_mul(i128::from(hours))?)?;
        rewritten.push_str(number);
        rewritten.push_str(name);
    }

    let suggestion = if converted {
        let total = if sign == "-" { -total } else { total };
        compact_form(GoDuration::from_nanos(i64::try_from(total).ok()?))
    } else {
        rewritten
    };
    parse_nanos(&suggestion, go_unit).ok()?;
    Some(suggestion)
}

/// Go's canonical form without trailing zero parts: `720h`, `26h24m`, `1m30s`.
fn compact_form(d: GoDuration) -> String {
    let mut s = d.canonical();
    if s.ends_with("m0s") {
        s.truncate(s.len() - 2);
        if s.ends_with("h0m") {
            s.truncate(s.len() - 2);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NS: i64 = 1;
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;

    fn nanos(s: &str) -> i128 {
        match parse_go_duration(s) {
            Ok(d) => d.as_nanos(),
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn error(s: &str) -> DurationError {
        match parse_go_duration(s) {
            Ok(d) => panic!("{s:?} should fail, got {d}"),
            Err(e) => e,
        }
    }

    /// Go's `parseDurationTests` (time/time_test.go).
    #[test]
    fn go_valid_vectors() {
        let cases: &[(&str, i64)] = &[
            // simple
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            // sign
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            // decimal
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600 * MS),
            ("5.s", 5 * S),
            (".5s", 500 * MS),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4 * MS),
            ("1.0040s", S + 4 * MS),
            ("100.00100s", 100 * S + MS),
            // different units
            ("10ns", 10 * NS),
            ("11us", 11 * US),
            ("12µs", 12 * US),
            ("12μs", 12 * US),
            ("13ms", 13 * MS),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            // composite durations
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500 * MS),
            ("-2m3.4s", -(2 * M + 3 * S + 400 * MS)),
            (
                "1h2m3s4ms5us6ns",
                H + 2 * M + 3 * S + 4 * MS + 5 * US + 6 * NS,
            ),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425 * MS),
            // large value
            ("52763797000ns", 52_763_797_000 * NS),
            // more than 9 digits after the decimal point (golang.org/issue/6617)
            ("0.3333333333333333333h", 20 * M),
            // 1<<53 + 1 cannot be stored exactly in a float64
            ("9007199254740993ns", (1 << 53) + 1),
            // the extremes of int64 nanoseconds
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            // the most negative round-trip value (golang.org/issue/48629)
            ("-2562047h47m16.854775808s", i64::MIN),
            ("-2562047h", -2_562_047 * H),
            // huge fraction (golang.org/issue/15011)
            ("0.100000000000000000000h", 6 * M),
            // the first overflow check in leadingFraction
            (
                "0.830103483285477580700h",
                49 * M + 48 * S + 372_539_827 * NS,
            ),
        ];
        for &(input, want) in cases {
            assert_eq!(nanos(input), i128::from(want), "{input:?}");
        }
    }

    /// Go's `parseDurationErrorTests`: each message quotes the input.
    #[test]
    fn go_error_vectors() {
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("3", r#""3""#),
            ("-", r#""-""#),
            ("s", r#""s""#),
            (".", r#"".""#),
            ("-.", r#""-.""#),
            (".s", r#"".s""#),
            ("+.s", r#""+.s""#),
            ("1d", r#""1d""#),
            ("\u{FFFD}", r#""\xef\xbf\xbd""#),
            (
                "\u{FFFD} hello \u{FFFD} world",
                r#""\xef\xbf\xbd hello \xef\xbf\xbd world""#,
            ),
            // overflow
            ("9223372036854775810ns", r#""9223372036854775810ns""#),
            ("9223372036854775808ns", r#""9223372036854775808ns""#),
            ("-9223372036854775809ns", r#""-9223372036854775809ns""#),
            ("9223372036854776us", r#""9223372036854776us""#),
            ("3000000h", r#""3000000h""#),
            ("9223372036854775.808us", r#""9223372036854775.808us""#),
            (
                "9223372036854ms775us808ns",
                r#""9223372036854ms775us808ns""#,
            ),
        ];
        for &(input, quoted) in cases {
            let e = error(input);
            assert!(e.message.contains(quoted), "{input:?}: {}", e.message);
        }
    }

    /// Go's vectors with invalid UTF-8 (`"\x85\x85"`, `"\xffff"`,
    /// `"hello \xffff world"`), as they arrive through a lossy conversion.
    #[test]
    fn invalid_utf8_vectors_after_lossy_conversion() {
        for bytes in [&b"\x85\x85"[..], b"\xffff", b"hello \xffff world"] {
            let input = String::from_utf8_lossy(bytes);
            let e = error(&input);
            assert!(e.message.starts_with("invalid duration"), "{}", e.message);
            assert!(e.message.contains(r"\xef\xbf\xbd"), "{}", e.message);
        }
    }

    #[test]
    fn go_wraps_when_two_terms_are_each_one_shl_63() {
        assert_eq!(nanos("9223372036854775808ns9223372036854775808ns"), 0);
    }

    #[test]
    fn error_messages() {
        assert_eq!(error("").message, r#"invalid duration """#);
        assert_eq!(error("720").message, r#"missing unit in duration "720""#);
        assert_eq!(
            error("30d").message,
            r#"unknown unit "d" in duration "30d""#
        );
        assert_eq!(
            error("2h 30m").message,
            r#"unknown unit "h " in duration "2h 30m""#
        );
        assert_eq!(
            error("1h\n").message,
            r#"unknown unit "h\x0a" in duration "1h\x0a""#
        );
        assert_eq!(
            error(r#"1"s"#).message,
            r#"unknown unit "\"s" in duration "1\"s""#
        );
        assert!(error("3000000h").message.contains("out of range"));
        assert_eq!(error("1h30").message, r#"missing unit in duration "1h30""#);
    }

    #[test]
    fn display_includes_the_suggestion() {
        assert_eq!(
            error("30d").to_string(),
            r#"unknown unit "d" in duration "30d" (did you mean "720h"?)"#
        );
        assert_eq!(error("").to_string(), r#"invalid duration """#);
    }

    #[test]
    fn suggestions() {
        let cases = [
            ("30d", "720h"),
            ("1w", "168h"),
            ("1y", "8760h"),
            ("2y", "17520h"),
            ("720", "720h"),
            ("3", "3h"),
            ("2h 30m", "2h30m"),
            ("720H", "720h"),
            ("1D", "24h"),
            ("1.5d", "36h"),
            ("1d12h", "36h"),
            ("1.1d", "26h24m"),
            ("-1d", "-24h"),
            ("+1d", "24h"),
            (" 720h ", "720h"),
            ("1,5h", "1.5h"),
            ("90 minutes", "90m"),
            ("30 days", "720h"),
            ("2 weeks", "336h"),
            ("10MS", "10ms"),
            ("5 sec", "5s"),
        ];
        for (input, want) in cases {
            assert_eq!(error(input).suggestion.as_deref(), Some(want), "{input:?}");
            assert!(parse_go_duration(want).is_ok(), "{want:?}");
        }
    }

    #[test]
    fn no_suggestion_when_intent_is_unclear() {
        for input in [
            "", "-", "s", ".", ".s", "1M", "1mo", "abc", "1h30", "1..5h", "1x",
        ] {
            assert_eq!(error(input).suggestion, None, "{input:?}");
        }
        // Overflowing conversions are not suggested either.
        assert_eq!(error("1000y").suggestion, None);
    }

    #[test]
    fn canonical_matches_go_string() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1µs"),
            (2200 * US, "2.2ms"),
            (500 * MS, "500ms"),
            (3300 * MS, "3.3s"),
            (1500 * MS, "1.5s"),
            (4 * M + 5 * S, "4m5s"),
            (4 * M + 5001 * MS, "4m5.001s"),
            (5 * H + 6 * M + 7001 * MS, "5h6m7.001s"),
            (8 * M + 1, "8m0.000000001s"),
            (-5 * M, "-5m0s"),
            (-1, "-1ns"),
            (M, "1m0s"),
            (H + 30 * M, "1h30m0s"),
            (720 * H, "720h0m0s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for &(n, want) in cases {
            assert_eq!(GoDuration::from_nanos(n).canonical(), want, "{n}");
            assert_eq!(GoDuration::from_nanos(n).to_string(), want, "{n}");
        }
    }

    #[test]
    fn conversions() {
        let d: GoDuration = "36h30m".parse().unwrap();
        assert_eq!(d.as_hours_f64(), 36.5);
        assert_eq!(d.as_secs_f64(), 131_400.0);
        assert_eq!(d.whole_days(), 1);
        assert_eq!(GoDuration::from_nanos(-H).whole_days(), -1);
        assert_eq!(GoDuration::from_nanos(-24 * H).whole_days(), -1);
        assert_eq!(GoDuration::from_nanos(24 * H - 1).whole_days(), 0);
        assert_eq!(GoDuration::from_nanos(1500 * MS).as_secs_f64(), 1.5);
        let max_hours = GoDuration::from_nanos(i64::MAX).as_hours_f64();
        assert!((max_hours - 2_562_047.788_015_215).abs() < 1e-6);
        assert_eq!(
            "720h".parse::<GoDuration>(),
            Ok(GoDuration::from_nanos(720 * H))
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_any_string(s in any::<String>()) {
            let _ = parse_go_duration(&s);
        }

        #[test]
        fn never_panics_on_duration_like_strings(s in "[-+ ]?[0-9., ]{0,25}[a-zA-Zµμ ]{0,4}[0-9.]{0,5}[dhmsuµμnwy]{0,2}") {
            let _ = parse_go_duration(&s);
        }

        #[test]
        fn canonical_round_trips(n in any::<i64>()) {
            let d = GoDuration::from_nanos(n);
            prop_assert_eq!(parse_go_duration(&d.canonical()), Ok(d));
        }

        #[test]
        fn canonical_round_trips_whole_seconds(secs in -9_223_372_036i64..=9_223_372_036) {
            let d = GoDuration::from_nanos(secs * S);
            prop_assert_eq!(parse_go_duration(&d.canonical()), Ok(d));
        }

        #[test]
        fn suggestions_are_valid(s in "[-+]?[0-9]{1,6}(\\.[0-9]{0,3})?[ ]?[a-zA-Z]{0,7}") {
            if let Err(DurationError { suggestion: Some(suggestion), .. }) = parse_go_duration(&s) {
                prop_assert!(parse_go_duration(&suggestion).is_ok(), "{:?} -> {:?}", s, suggestion);
            }
        }
    }
}
