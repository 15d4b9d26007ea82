//! Documented deviations (risk acceptances): which warnings they accept, and their approval,
//! expiry and length checks.

use super::evidenced::{future_date_error, future_date_message};
use crate::diagnostic::{Acceptance, Code, Diagnostic, Effect, Severity};
use crate::environment::load::LoadedEnvironment;
use crate::environment::model::Environment;
use crate::velero::dates::{format_date, parse_date};

/// The longest a risk acceptance may run when `documentation.deviationMaxDays` is not set.
pub const DEVIATION_MAX_DAYS: u32 = 365;

/// Mark warnings accepted by a documented deviation (a risk acceptance); refuse deviations from
/// errors; report deviations that no longer apply (expired, on `today`), that lack their
/// approval or expiry, that run longer than the cap, or that match nothing.
pub fn apply_deviations(
    loaded: &LoadedEnvironment,
    env: Option<&Environment>,
    found: &mut Vec<Diagnostic>,
    today: i64,
) {
    let Some(env) = env else { return };
    let cap = env
        .documentation
        .deviation_max_days
        .unwrap_or(DEVIATION_MAX_DAYS);
    let mut extra = Vec::new();
    for (i, deviation) in env.deviations.iter().enumerate() {
        let pointer = format!("/deviations/{i}");
        let at = loaded.provenance.value_location(&format!("{pointer}/rule"));
        let missing: Vec<&str> = [
            ("approvedBy", deviation.approved_by.is_none()),
            ("approvedAt", deviation.approved_at.is_none()),
            ("expires", deviation.expires.is_none()),
        ]
        .into_iter()
        .filter_map(|(k, m)| m.then_some(k))
        .collect();
        if !missing.is_empty() {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationWithoutExpiry,
                    format!(
                        "the deviation from {} is not a complete risk acceptance: it has no {}",
                        deviation.rule,
                        missing
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(at, "incomplete risk acceptance")
                .help(format!(
                    "add who approved it (`approvedBy`), when (`approvedAt`) and when it ends (`expires`, at most {cap} days after approval)"
                ))
                .in_environment(loaded.name.clone()),
            );
        }
        let approved = deviation.approved_at.as_deref().and_then(parse_date);
        let expires_at = loaded
            .provenance
            .value_location(&format!("{pointer}/expires"));
        let expires_day = deviation.expires.as_deref().and_then(parse_date);
        if let Some(day) = approved
            && day > today
        {
            extra.push(future_date_error(
                loaded,
                &format!("{pointer}/approvedAt"),
                future_date_message(
                    &format!("deviations[{i}].approvedAt"),
                    &format_date(day),
                    today,
                ),
                "record the date the deviation was actually approved (today or earlier)",
            ));
        }
        if let (Some(from), Some(to)) = (approved, expires_day)
            && to - from > i64::from(cap)
        {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationTooLong,
                    format!(
                        "the deviation from {} runs {} days, from approval on {} to {}: more than the cap of {cap} days",
                        deviation.rule,
                        to - from,
                        format_date(from),
                        format_date(to)
                    ),
                )
                .at(expires_at, "too far ahead")
                .help(format!(
                    "set `expires` at most {cap} days after `approvedAt` and review it then (the cap is `documentation.deviationMaxDays`)"
                ))
                .in_environment(loaded.name.clone()),
            );
        }
        if let Some(expires) = expires_day
            && expires < today
        {
            extra.push(
                Diagnostic::warning(
                    Code::DeviationExpired,
                    format!(
                        "the deviation from {} expired on {}",
                        deviation.rule,
                        format_date(expires)
                    ),
                )
                .at(expires_at, "expired")
                .help("review the deviation: renew `expires` or fix the finding")
                .with_effect(Effect::Overdue),
            );
            continue;
        }
        let mut matched = false;
        for d in found.iter_mut().filter(|d| d.code == deviation.rule) {
            matched = true;
            match d.severity {
                Severity::Error => {}
                Severity::Warning | Severity::Note => {
                    d.accepted = Some(Acceptance {
                        reason: deviation.reason.clone(),
                        owner: deviation.owner.clone(),
                        approved_by: deviation.approved_by.clone(),
                        approved_at: deviation.approved_at.clone(),
                        expires: deviation.expires.clone(),
                    });
                }
            }
        }
        if found
            .iter()
            .any(|d| d.code == deviation.rule && d.severity == Severity::Error)
        {
            extra.push(
                Diagnostic::error(Code::DeviationNotAllowed, format!("{} is an error-level rule; it cannot be accepted as a deviation", deviation.rule))
                    .at(at, "cannot accept an error")
                    .help("only warnings (SHOULD and interpretation rules) can be accepted; fix the setting instead"),
            );
        } else if !matched {
            extra.push(
                Diagnostic::note(
                    Code::UnusedDeviation,
                    format!("the deviation from {} matches no finding", deviation.rule),
                )
                .at(at, "nothing to accept")
                .help("remove the deviation, or check the rule id (`ck8s-gen regulations list`)"),
            );
        }
    }
    found.extend(extra);
}
