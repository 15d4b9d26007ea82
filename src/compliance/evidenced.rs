//! What counts as evidence: evidence keys nobody declared (absent, only a built-in default, a
//! bare flag where a reference is asked for) and evidence dated after today.

use super::derived::Facts;
use super::native::Failure;
use super::results::Outcome;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::load::{DEFAULTS_SOURCE, LoadedEnvironment, Origin};
use crate::schema::dotted;
use serde_json::Value;
use std::collections::BTreeSet;

/// Whether a built-in default at `pointer` states a fact of this environment anyway: encryption
/// at rest where the storage provider encrypts every object (AWS S3 since January 2023, Azure
/// Storage, Google Cloud Storage).
fn default_holds(pointer: &str, facts: &Facts) -> bool {
    pointer == "/storage/encryption/atRest" && facts.provider_encrypts_at_rest
}

/// Where the value at `pointer` was written in the user's files (`None`: absent, or only a
/// built-in default).
pub(super) fn written(loaded: &LoadedEnvironment, pointer: &str) -> Option<Origin> {
    loaded
        .provenance
        .get(pointer)
        .filter(|origin| origin.value.source != DEFAULTS_SOURCE)
}

/// The keys of `pointers` that count for this environment: those of the off-site copy only
/// when there is one.
fn counted<'a>(
    loaded: &LoadedEnvironment,
    pointers: &'a [String],
) -> impl Iterator<Item = &'a String> {
    let offsite = loaded
        .value
        .pointer("/replication/offsite/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    pointers
        .iter()
        .filter(move |p| offsite || !p.starts_with("/replication/offsite/"))
}

/// The evidence keys of a rule that nobody declared: absent, or only a built-in default.
/// Keys of the off-site copy count only when there is one.
pub(super) fn undeclared(
    loaded: &LoadedEnvironment,
    facts: &Facts,
    evidence: &[String],
) -> Vec<String> {
    counted(loaded, evidence)
        .filter(|p| {
            let declared = written(loaded, p).is_some();
            let present = loaded.value.pointer(p).is_some_and(|v| !v.is_null());
            !(present && (declared || default_holds(p, facts)))
        })
        .cloned()
        .collect()
}

/// Reference keys holding a bare `true` instead of `{ref, date, by}` (absent or `false` is the
/// rule's own failure; off-site keys count only when there is an off-site copy).
pub(super) fn bare_flags(loaded: &LoadedEnvironment, references: &[String]) -> Vec<String> {
    counted(loaded, references)
        .filter(|p| loaded.value.pointer(p) == Some(&Value::Bool(true)))
        .cloned()
        .collect()
}

/// Evidence dates (keys a rule reads that hold a date, or evidence references' `date`) later than `today`: a record of
/// something that has not happened yet is not evidence.
pub(super) fn future_dates(fields: &[String], instance: &Value, today: i64) -> Vec<Failure> {
    fields
        .iter()
        .flat_map(|p| [p.clone(), format!("{p}/date")])
        .filter_map(|p| {
            let text = instance.pointer(&p)?.as_str()?;
            let day = crate::velero::dates::parse_date(text)?;
            (day > today)
                .then(|| Failure::new(p.as_str(), future_date_message(&dotted(&p), text, today)))
        })
        .collect()
}

/// One error per future evidence date any evaluated rule reads (the rules themselves fail).
pub(super) fn future_date_findings(
    loaded: &LoadedEnvironment,
    results: &[Outcome<'_>],
    instance: &Value,
    today: i64,
) -> Vec<Diagnostic> {
    let mut pointers: BTreeSet<&str> = BTreeSet::new();
    for r in results.iter().filter(|r| r.applies) {
        pointers.extend(r.rule.meta.fields.iter().map(String::as_str));
    }
    let fields: Vec<String> = pointers.into_iter().map(str::to_owned).collect();
    future_dates(&fields, instance, today)
        .into_iter()
        .map(|f| {
            future_date_error(
                loaded,
                &f.pointer,
                f.message,
                "record the date the evidence was actually produced (today or earlier)",
            )
        })
        .collect()
}

/// What an evidence date after today says: `field` (dotted) is dated `shown`.
pub(super) fn future_date_message(field: &str, shown: &str, today: i64) -> String {
    format!(
        "`{field}` is dated {shown}, after today ({}): evidence cannot be dated in the future",
        crate::velero::dates::format_date(today)
    )
}

/// The error for an evidence date after today at `pointer`; `help` says which date to record.
pub(super) fn future_date_error(
    loaded: &LoadedEnvironment,
    pointer: &str,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic::error(Code::FutureEvidenceDate, message)
        .at(loaded.provenance.value_location(pointer), "in the future")
        .help(help)
        .in_environment(loaded.name.clone())
}
