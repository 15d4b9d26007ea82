//! The settings as people read them: the key settings shown side by side for the fleet, the
//! keys a rule reads, and where each value is set.

use super::model::{KeySetting, Setting, Source};
use crate::environment::load::LoadedEnvironment;
use crate::schema::dotted;
use crate::source::Sources;
use serde_json::Value;

/// Where the value at `pointer` is set, when it is.
fn source_of(loaded: &LoadedEnvironment, sources: &Sources, pointer: &str) -> Option<Source> {
    loaded
        .provenance
        .get(pointer)
        .map(|origin| Source::of(sources, origin.value))
}

pub(super) fn setting(loaded: &LoadedEnvironment, sources: &Sources, pointer: &str) -> Setting {
    let value = loaded.value.pointer(pointer).cloned();
    Setting {
        key: dotted(pointer),
        text: value.as_ref().map_or_else(|| "not set".to_owned(), display),
        value,
        at: source_of(loaded, sources, pointer),
    }
}

/// A value for people: strings without quotes, lists comma-separated, maps by their `name`
/// (or as `{…}`).
pub(super) fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (map.get("name"), map.get("ref")) {
            (Some(name), _) => display(name),
            // An evidence reference: `DOC-12 (2026-10-01, CISO)`.
            (None, Some(reference)) => format!(
                "{} ({}, {})",
                display(reference),
                map.get("date").map(display).unwrap_or_default(),
                map.get("by").map(display).unwrap_or_default()
            ),
            (None, None) => "{…}".to_owned(),
        },
        other => other.to_string(),
    }
}

fn days_of(ttl: &str) -> Option<i64> {
    crate::velero::duration::parse_go_duration(ttl)
        .ok()
        .map(|d| d.whole_days())
}

/// The settings shown side by side for the fleet, read from the effective environment (so
/// they show even when the schema rejected it).
pub(super) fn key_settings(
    loaded: &LoadedEnvironment,
    sources: &Sources,
    today: i64,
) -> Vec<KeySetting> {
    let v = &loaded.value;
    let get = |p: &str| v.pointer(p);
    let text = |p: &str| get(p).and_then(Value::as_str);
    let flag = |p: &str| get(p).and_then(Value::as_bool).unwrap_or(false);
    let at = |p: &str| source_of(loaded, sources, p);
    let key = |id: &str, label: &str, text: String, pointer: &str| KeySetting {
        id: id.to_owned(),
        label: label.to_owned(),
        text,
        value: get(pointer).cloned().unwrap_or(Value::Null),
        at: at(pointer),
    };
    let mut out = Vec::new();

    let tiers: Vec<&serde_json::Map<String, Value>> = get("/backup/tiers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    if get("/backup/enabled").and_then(Value::as_bool) == Some(false) {
        out.push(key(
            "schedule",
            "Schedule",
            "disabled".to_owned(),
            "/backup/enabled",
        ));
    } else {
        let schedule = text("/backup/schedule").unwrap_or("not set");
        let mut s = schedule.to_owned();
        if let Ok(cron) = crate::velero::cron::parse_velero_cron(schedule) {
            let max = cron.max_interval_hours();
            let hours = if max.fract() == 0.0 {
                format!("{max:.0}")
            } else {
                format!("{max:.1}")
            };
            if (cron.min_interval_hours() - max).abs() < f64::EPSILON {
                s.push_str(&format!(" (every {hours} h)"));
            } else {
                s.push_str(&format!(" (at most {hours} h apart)"));
            }
        }
        if !tiers.is_empty() {
            s.push_str(&format!(" + {}", crate::text::count(tiers.len(), "tier")));
        }
        out.push(key("schedule", "Schedule", s, "/backup/schedule"));
    }

    let ttl = text("/backup/retention/ttl").unwrap_or("not set");
    let mut retention = match days_of(ttl) {
        Some(days) => format!("{ttl} ({})", crate::text::count(days, "day")),
        None => ttl.to_owned(),
    };
    let longest = tiers
        .iter()
        .filter_map(|t| {
            let ttl = t.get("ttl").and_then(Value::as_str)?;
            Some((
                days_of(ttl)?,
                ttl,
                t.get("name").map(display).unwrap_or_default(),
            ))
        })
        .max_by_key(|(days, _, _)| *days);
    if let Some((days, ttl, name)) = longest
        && days_of(text("/backup/retention/ttl").unwrap_or_default()).is_none_or(|d| days > d)
    {
        retention.push_str(&format!(
            "; tier {name} {ttl} ({})",
            crate::text::count(days, "day")
        ));
    }
    out.push(key(
        "retention",
        "Retention",
        retention,
        "/backup/retention/ttl",
    ));

    out.push(key(
        "encryptionAtRest",
        "Encryption at rest",
        text("/storage/encryption/atRest")
            .unwrap_or("not set")
            .to_owned(),
        "/storage/encryption/atRest",
    ));

    let offsite = if flag("/replication/offsite/enabled") {
        let d = "/replication/offsite/destination";
        let place = text(&format!("{d}/site"))
            .or_else(|| text(&format!("{d}/region")))
            .or_else(|| text(&format!("{d}/bucket")))
            .unwrap_or("destination not set");
        let mut s = place.to_owned();
        if let Some(j) = text(&format!("{d}/jurisdiction")) {
            s.push_str(&format!(" ({j})"));
        }
        s.push_str(if flag("/replication/offsite/encrypt/enabled") {
            ", encrypted"
        } else {
            ", not encrypted"
        });
        if let Some(by) = text("/replication/offsite/managedBy") {
            s.push_str(&format!(", run by {by}"));
        }
        let pointer = [format!("{d}/site"), format!("{d}/region"), d.to_owned()]
            .into_iter()
            .find(|p| get(p).is_some())
            .unwrap_or_else(|| d.to_owned());
        key("offsite", "Off-site copy", s, &pointer)
    } else {
        key(
            "offsite",
            "Off-site copy",
            "none".to_owned(),
            "/replication/offsite/enabled",
        )
    };
    out.push(offsite);

    let lock = |base: &str| -> Option<String> {
        if !flag(&format!("{base}/enabled")) {
            return None;
        }
        let mode = text(&format!("{base}/mode")).unwrap_or("mode not set");
        Some(match get(&format!("{base}/days")).and_then(Value::as_i64) {
            Some(days) => format!("{mode}, {}", crate::text::count(days, "day")),
            None => mode.to_owned(),
        })
    };
    let primary = lock("/storage/objectLock");
    let remote =
        lock("/replication/offsite/objectLock").filter(|_| flag("/replication/offsite/enabled"));
    let (lock_text, lock_at) = match (&primary, &remote) {
        (None, None) => ("none".to_owned(), "/storage/objectLock"),
        (Some(p), None) => (format!("primary: {p}"), "/storage/objectLock/enabled"),
        (None, Some(r)) => (
            format!("off-site: {r}"),
            "/replication/offsite/objectLock/enabled",
        ),
        (Some(p), Some(r)) => (
            format!("primary: {p}; off-site: {r}"),
            "/storage/objectLock/enabled",
        ),
    };
    out.push(key("objectLock", "Object lock", lock_text, lock_at));

    let frequency = match get("/restoreTest/frequencyDays").and_then(Value::as_i64) {
        Some(days) => format!("every {}", crate::text::count(days, "day")),
        None => "not set".to_owned(),
    };
    out.push(key(
        "restoreTestFrequency",
        "Restore test",
        frequency,
        "/restoreTest/frequencyDays",
    ));
    let last = match text("/restoreTest/lastPerformed") {
        Some(date) => match crate::velero::dates::parse_date(date) {
            Some(day) if day <= today => {
                format!("{date} ({} ago)", crate::text::count(today - day, "day"))
            }
            Some(_) => format!("{date} (in the future)"),
            None => date.to_owned(),
        },
        None => "not recorded".to_owned(),
    };
    out.push(key(
        "restoreTestLastPerformed",
        "Last restore test",
        last,
        "/restoreTest/lastPerformed",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_display_like_the_user_wrote_them() {
        assert_eq!(display(&json!("720h")), "720h");
        assert_eq!(display(&json!(["a", "b"])), "a, b");
        assert_eq!(display(&json!([])), "[]");
        assert_eq!(
            display(&json!([{"name": "weekly"}, {"name": "monthly"}])),
            "weekly, monthly"
        );
        assert_eq!(display(&json!({"site": "x"})), "{…}");
        assert_eq!(display(&json!(true)), "true");
    }
}
