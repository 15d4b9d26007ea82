//! Schedules and TTLs as Velero parses them (robfig cron, Go durations), retention against the
//! interval, and the names of the retention tiers.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;
use crate::schema::dotted;
use crate::velero::cron::parse_velero_cron;
use crate::velero::duration::parse_go_duration;
use std::collections::BTreeMap;

fn cron_finding(cx: &mut Ctx<'_>, pointer: &str, text: &str) -> Option<f64> {
    match parse_velero_cron(text) {
        Ok(schedule) => Some(schedule.max_interval_hours()),
        Err(e) => {
            let mut d = Diagnostic::error(
                Code::InvalidCron,
                format!(
                    "`{}` is not a schedule Velero accepts: {}",
                    dotted(pointer),
                    e.message
                ),
            )
            .at(cx.at(pointer), "invalid schedule");
            d = d.help(match e.suggestion {
                Some(s) => format!("write `{s}`; Velero takes 5 fields `minute hour day-of-month month day-of-week`, `@daily`-style descriptors or `@every <Go duration>`"),
                None => "Velero takes 5 fields `minute hour day-of-month month day-of-week`, `@daily`-style descriptors or `@every <Go duration>`, optionally prefixed with `CRON_TZ=<zone> `".to_owned(),
            });
            cx.push(d);
            None
        }
    }
}

fn duration_finding(cx: &mut Ctx<'_>, pointer: &str, text: &str) -> Option<f64> {
    match parse_go_duration(text) {
        Ok(d) if d.as_nanos() <= 0 => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!(
                        "`{}` must be a positive duration, found `{text}`",
                        dotted(pointer)
                    ),
                )
                .at(cx.at(pointer), "not positive")
                .help("backups need a retention longer than zero, e.g. `720h`"),
            );
            None
        }
        Ok(d) => Some(d.as_hours_f64()),
        Err(e) => {
            let help = match &e.suggestion {
                Some(s) => format!("write `{s}`: Velero reads Go durations with units `h`, `m`, `s` (no days or weeks)"),
                None => "Velero reads Go durations such as `720h` (30 days) with units `h`, `m`, `s`, `ms`, `us`, `ns`".to_owned(),
            };
            cx.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    format!("`{}` is not a Go duration: {}", dotted(pointer), e.message),
                )
                .at(cx.at(pointer), "invalid duration")
                .help(help),
            );
            None
        }
    }
}

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let interval = cron_finding(cx, "/backup/schedule", &env.backup.schedule);
    let ttl = duration_finding(cx, "/backup/retention/ttl", &env.backup.retention.ttl);
    if let (Some(interval), Some(ttl)) = (interval, ttl) {
        if ttl < interval {
            cx.push(
                Diagnostic::error(Code::TtlShorterThanInterval, format!("backups expire after {ttl}h but are taken only every {interval}h"))
                    .at(cx.at("/backup/retention/ttl"), "retention")
                    .also(cx.at("/backup/schedule"), "schedule")
                    .help("there would be hours with no backup at all; make the retention at least two intervals long"),
            );
        } else if ttl < 2.0 * interval {
            cx.push(
                Diagnostic::warning(Code::SingleGeneration, format!("only one backup generation exists at a time ({ttl}h retention, {interval}h interval)"))
                    .at(cx.at("/backup/retention/ttl"), "retention")
                    .help("one failed run would leave no good copy; keep at least two generations"),
            );
        }
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, tier) in env.backup.tiers.iter().enumerate() {
        let base = format!("/backup/tiers/{i}");
        let tier_interval = cron_finding(cx, &format!("{base}/schedule"), &tier.schedule);
        let tier_ttl = duration_finding(cx, &format!("{base}/ttl"), &tier.ttl);
        if let (Some(interval), Some(ttl)) = (tier_interval, tier_ttl)
            && ttl < interval
        {
            cx.push(
                Diagnostic::error(
                    Code::TtlShorterThanInterval,
                    format!(
                        "tier `{}` backups expire after {ttl}h but run every {interval}h",
                        tier.name
                    ),
                )
                .at(cx.at(&format!("{base}/ttl")), "retention")
                .help("make the tier's retention at least its interval"),
            );
        }
        if tier.name == "daily" {
            cx.push(
                Diagnostic::error(
                    Code::DuplicateTier,
                    "the tier name `daily` is taken by the main schedule",
                )
                .at(cx.at(&format!("{base}/name")), "reserved name")
                .help("name extra tiers after their period, e.g. `weekly` or `monthly`"),
            );
        }
        if let Some(first) = seen.insert(tier.name.as_str(), i) {
            cx.push(
                Diagnostic::error(
                    Code::DuplicateTier,
                    format!("two tiers are named `{}`", tier.name),
                )
                .at(cx.at(&format!("{base}/name")), "repeated")
                .also(
                    cx.at(&format!("/backup/tiers/{first}/name")),
                    "first used here",
                )
                .help("give every tier its own name; it becomes the Schedule name"),
            );
        }
    }
    if let Some(schedule) = &env.replication.offsite.schedule
        && env.replication.offsite.enabled
    {
        cron_finding(cx, "/replication/offsite/schedule", schedule);
    }
}
