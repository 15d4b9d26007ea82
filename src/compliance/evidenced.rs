//! What counts as evidence: evidence keys nobody declared (absent, only a built-in default, a
//! bare flag where a reference is asked for) and evidence dated after today.

use super::derived::Facts;
use super::native::Failure;
use super::results::Outcome;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::load::{DEFAULTS_SOURCE, LoadedEnvironment};
use crate::schema::dotted;
use serde_json::Value;
use std::collections::BTreeSet;

/// Whether a built-in default at `pointer` states a fact of this environment anyway: encryption
/// at rest where the storage provider encrypts every object (AWS S3 since January 2023, Azure
/// Storage, Google Cloud Storage).
fn default_holds(pointer: &str, facts: &Facts) -> bool {
    pointer == "/storage/encryption/atRest" && facts.provider_encrypts_at_rest
}

/// The evidence keys of a rule that nobody declared: absent, or only a built-in default.
/// Keys of the off-site copy count only when there is one.
pub(super) fn undeclared(
    loaded: &LoadedEnvironment,
    facts: &Facts,
    evidence: &[String],
) -> Vec<String> {
    let offsite = loaded
        .value
        .pointer("/replication/offsite/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    evidence
        .iter()
        .filter(|p| offsite || !p.starts_with("/replication/offsite/"))
        .filter(|p| {
            let declared = match loaded.provenance.get(p) {
                Some(origin) => origin.value.source != DEFAULTS_SOURCE,
                None => false,
            };
            let present = loaded.value.pointer(p).is_some_and(|v| !v.is_null());
            !(present && (declared || default_holds(p, facts)))
        })
        .cloned()
        .collect()
}

/// Reference keys holding a bare `true` instead of `{ref, date, by}` (absent or `false` is the
/// rule's own failure; off-site keys count only when there is an off-site copy).
pub(super) fn bare_flags(loaded: &LoadedEnvironment, references: &[String]) -> Vec<String> {
    let offsite = loaded
        .value
        .pointer("/replication/offsite/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    references
        .iter()
        .filter(|p| offsite || !p.starts_with("/replication/offsite/"))
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
            (day > today).then(|| {
                Failure::new(
                    p.as_str(),
                    format!(
                        "`{}` is dated {text}, after today ({}): evidence cannot be dated in the future",
                        dotted(&p),
                        crate::velero::dates::format_date(today)
                    ),
                )
            })
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
            Diagnostic::error(Code::FutureEvidenceDate, f.message)
                .at(
                    loaded.provenance.value_location(&f.pointer),
                    "in the future",
                )
                .help("record the date the evidence was actually produced (today or earlier)")
                .in_environment(loaded.name.clone())
        })
        .collect()
}
