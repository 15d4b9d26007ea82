//! Rules a schema cannot express cleanly: comparisons between fields (object lock against
//! retention, the schedule against the RPO, the off-site copy against the retention and the
//! cluster's site) and the conflicts between profiles. Each is named by `x-rule.native` in a
//! profile file, which also carries its metadata; here is only the check.

use super::derived::Facts;
use crate::environment::model::{Environment, ObjectLock};
use crate::text::days_text;
use crate::velero::cron::parse_velero_cron;
use serde_json::Value;
use std::collections::BTreeSet;

/// One way a rule is not met: where, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// JSON pointer of the offending key (possibly under `/derived`).
    pub pointer: String,
    pub message: String,
    /// Related keys, shown as secondary labels.
    pub also: Vec<(String, String)>,
}

impl Failure {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Failure {
        Failure {
            pointer: pointer.into(),
            message: message.into(),
            also: Vec::new(),
        }
    }

    fn also(mut self, pointer: &str, label: &str) -> Failure {
        self.also.push((pointer.to_owned(), label.to_owned()));
        self
    }
}

/// What a native rule sees.
pub struct Ctx<'a> {
    pub env: &'a Environment,
    pub facts: &'a Facts,
    /// Canonical ids of the profiles the environment lists.
    pub active: &'a BTreeSet<String>,
    pub params: &'a Value,
}

impl Ctx<'_> {
    fn has(&self, profile: &str) -> bool {
        self.active.contains(profile)
    }
}

pub const GDPR: &str = "gdpr-art-17";
pub const HSLF: &str = "hslf-fs-2016-40";
pub const ISO: &str = "iso-27001-a.12.3.1";
pub const BSI: &str = "bsi-app.4.4.a5";
pub const HIPAA: &str = "hipaa-164.308-a7";
pub const MSBFS: &str = "msbfs-2020-7";
pub const NIS2: &str = "nis2-art-21";
pub const DORA: &str = "dora-art-12";

/// Every native check, by the name profile files use.
pub const NAMES: &[&str] = &[
    "offsite-separate",
    "retention-at-least-min",
    "retention-within-max",
    "object-lock-within-retention",
    "offsite-within-retention",
    "interval-within-rpo",
    "interval-within-policy",
    "offsite-sync-after-backup",
    "conflict-retention",
    "conflict-object-lock",
    "conflict-hipaa-6y",
    "conflict-transfer",
    "conflict-restore-test",
];

/// Run the native check `name`.
pub fn run(name: &str, cx: &Ctx<'_>) -> Vec<Failure> {
    match name {
        "offsite-separate" => offsite_separate(cx),
        "retention-at-least-min" => retention_at_least_min(cx),
        "retention-within-max" => retention_within_max(cx),
        "object-lock-within-retention" => object_locks_too_long(cx)
            .into_iter()
            .map(|(pointer, which, lock, days)| {
                Failure::new(
                    pointer,
                    format!(
                        "the {which} object lock keeps backups {lock} days, longer than the retention of {}: expired backups cannot be deleted",
                        days_text(days)
                    ),
                )
                .also("/backup/retention/ttl", "retention")
            })
            .collect(),
        "offsite-within-retention" => offsite_within_retention(cx),
        "interval-within-rpo" => interval_within(cx, cx.env.backup.rpo_hours, "/backup/rpoHours", "the RPO"),
        "interval-within-policy" => interval_within(
            cx,
            cx.env.backup.max_interval_hours,
            "/backup/maxIntervalHours",
            "the policy's minimum frequency",
        ),
        "offsite-sync-after-backup" => offsite_sync_after_backup(cx),
        "conflict-retention" => conflict_retention(cx),
        "conflict-object-lock" => conflict_object_lock(cx),
        "conflict-hipaa-6y" => conflict_hipaa_6y(cx),
        "conflict-transfer" => conflict_transfer(cx),
        "conflict-restore-test" => conflict_restore_test(cx),
        _ => Vec::new(),
    }
}

/// Whether the native check `name` applies to this environment at all, beyond its schema's
/// `if`: a conflict applies only when the environment combines the profiles in tension. (A
/// check that finds a failure always applies; this only tells "pass" from "not applicable".)
pub fn applies(name: &str, cx: &Ctx<'_>) -> bool {
    match name {
        "conflict-retention" => cx.has(HSLF) && cx.has(GDPR),
        "conflict-object-lock" => cx.has(GDPR) && (cx.has(NIS2) || cx.has(DORA)),
        "conflict-hipaa-6y" => cx.has(HIPAA),
        "conflict-transfer" => {
            let micro = cx.env.cluster.dora_entity.as_deref() == Some("microenterprise");
            let high = cx.env.cluster.protection_need.as_deref() == Some("high");
            cx.has(GDPR)
                && (cx.has(ISO)
                    || cx.has(HSLF)
                    || cx.has(NIS2)
                    || (cx.has(DORA) && !micro)
                    || cx.has(HIPAA)
                    || cx.has(MSBFS)
                    || (cx.has(BSI) && high))
        }
        "conflict-restore-test" => cx.has(DORA) && (cx.has(HSLF) || cx.has(ISO)),
        _ => true,
    }
}

fn hours_text(hours: f64) -> String {
    if hours.fract() == 0.0 {
        format!("{hours:.0}")
    } else {
        format!("{hours:.1}")
    }
}

/// `params.compare`: `site` (another region or another site) or `region` (another region).
fn offsite_separate(cx: &Ctx<'_>) -> Vec<Failure> {
    let o = &cx.env.replication.offsite;
    if !o.enabled {
        return vec![Failure::new(
            "/replication/offsite/enabled",
            "there is no off-site copy of the backups (`replication.offsite.enabled: false`)",
        )];
    }
    let Some(d) = &o.destination else {
        // `offsite-destination-missing` reports it.
        return Vec::new();
    };
    let c = &cx.env.cluster;
    let dest = "/replication/offsite/destination";
    let by_region = cx.params.get("compare").and_then(Value::as_str) == Some("region");
    let regions_differ = matches!((&d.region, &c.region), (Some(a), Some(b)) if a != b);
    if by_region {
        return match (&d.region, &c.region) {
            _ if regions_differ => Vec::new(),
            (Some(r), Some(_)) => vec![
                Failure::new(
                    format!("{dest}/region"),
                    format!("the off-site copy is in the cluster's own region `{r}`"),
                )
                .also("/cluster/region", "cluster region"),
            ],
            (None, _) => vec![Failure::new(
                format!("{dest}/region"),
                "the off-site destination does not declare its region (`replication.offsite.destination.region`)",
            )],
            (_, None) => vec![Failure::new(
                "/cluster/region",
                "the cluster does not declare its region (`cluster.region`), so the distance to the off-site copy cannot be checked",
            )],
        };
    }
    let sites_differ = matches!((&d.site, &c.site), (Some(a), Some(b)) if a != b);
    if regions_differ || sites_differ {
        return Vec::new();
    }
    match (&d.site, &c.site) {
        (Some(s), Some(_)) => vec![
            Failure::new(
                format!("{dest}/site"),
                format!("the off-site copy is at the cluster's own site `{s}`"),
            )
            .also("/cluster/site", "cluster site"),
        ],
        (None, _) => vec![Failure::new(
            format!("{dest}/site"),
            "the off-site destination does not declare its site (`replication.offsite.destination.site`) and is not in another region, so its separation cannot be checked",
        )],
        (_, None) => vec![Failure::new(
            "/cluster/site",
            "the cluster does not declare its site (`cluster.site`), so the separation of the off-site copy cannot be checked",
        )],
    }
}

fn retention_at_least_min(cx: &Ctx<'_>) -> Vec<Failure> {
    let r = &cx.env.backup.retention;
    match (r.min_days, cx.facts.base.retention_hours) {
        (Some(min), Some(hours)) if hours < f64::from(min) * 24.0 => vec![
            Failure::new(
                "/backup/retention/ttl",
                format!(
                    "backups are kept {} (`{}`), less than the decided minimum of {min} days",
                    days_text(cx.facts.base.retention_days.unwrap_or(0)),
                    r.ttl
                ),
            )
            .also("/backup/retention/minDays", "decided minimum"),
        ],
        _ => Vec::new(),
    }
}

fn retention_within_max(cx: &Ctx<'_>) -> Vec<Failure> {
    match (cx.env.backup.retention.max_days, &cx.facts.longest) {
        (Some(max), Some(l)) if l.hours > f64::from(max) * 24.0 => vec![
            Failure::new(
                l.pointer.clone(),
                format!(
                    "{} are kept {} (`{}`), longer than the declared GDPR maximum of {max} days",
                    l.what,
                    days_text(l.days),
                    ttl_at(cx.env, &l.pointer)
                ),
            )
            .also("/backup/retention/maxDays", "declared maximum"),
        ],
        _ => Vec::new(),
    }
}

/// The TTL text at `/backup/retention/ttl` or `/backup/tiers/<i>/ttl`.
fn ttl_at<'a>(env: &'a Environment, pointer: &str) -> &'a str {
    pointer
        .strip_prefix("/backup/tiers/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| env.backup.tiers.get(i))
        .map_or(env.backup.retention.ttl.as_str(), |t| t.ttl.as_str())
}

/// Locks (primary, and off-site when replication is on) longer than the shortest retention
/// (the main schedule or a tier): (pointer of the lock days, which, lock days, retention days).
fn object_locks_too_long(cx: &Ctx<'_>) -> Vec<(String, &'static str, u32, i64)> {
    let Some(hours) = cx.facts.shortest_hours else {
        return Vec::new();
    };
    let days = (hours / 24.0).floor() as i64;
    let o = &cx.env.replication.offsite;
    [
        (
            "/storage/objectLock",
            "primary",
            cx.env.storage.object_lock.as_ref(),
        ),
        (
            "/replication/offsite/objectLock",
            "off-site",
            o.object_lock.as_ref().filter(|_| o.enabled),
        ),
    ]
    .into_iter()
    .filter_map(|(pointer, which, lock)| {
        let lock_days = ObjectLock::active_days(lock)?;
        (f64::from(lock_days) * 24.0 > hours)
            .then(|| (format!("{pointer}/days"), which, lock_days, days))
    })
    .collect()
}

fn offsite_within_retention(cx: &Ctx<'_>) -> Vec<Failure> {
    let o = &cx.env.replication.offsite;
    let Some(longest) = cx.facts.longest.as_ref().filter(|_| o.enabled) else {
        return Vec::new();
    };
    let hours = longest.hours;
    let copy = o.mode.as_deref() == Some("copy");
    // S3 object lock works only on a versioned bucket: with a lock, the bucket's real state
    // is versioned whatever `versioning` says.
    let locked = ObjectLock::active_days(o.object_lock.as_ref()).is_some()
        || o.object_lock.as_ref().is_some_and(|l| l.enabled);
    if !copy && !o.versioned() && !locked {
        return Vec::new();
    }
    let (pointer, why) = if copy {
        (
            "/replication/offsite/mode",
            "`mode: copy` keeps backups Velero has deleted",
        )
    } else if o.versioning == Some(true) {
        (
            "/replication/offsite/versioning",
            "bucket versioning keeps deleted backups as non-current versions",
        )
    } else {
        (
            "/replication/offsite/objectLock/enabled",
            "object lock needs a versioned bucket (S3), which keeps deleted backups as non-current versions",
        )
    };
    match o.retention_days {
        None => vec![Failure::new(
            pointer,
            format!("{why} on the off-site copy, and no expiry is set (`replication.offsite.retentionDays`)"),
        )],
        Some(d) if f64::from(d) * 24.0 > hours => vec![
            Failure::new(
                "/replication/offsite/retentionDays",
                format!(
                    "{why}, and the off-site copy expires them only after {d} days, longer than the retention of {}",
                    days_text(longest.days)
                ),
            )
            .also(&longest.pointer, "retention"),
        ],
        Some(_) => Vec::new(),
    }
}

fn interval_within(cx: &Ctx<'_>, limit: Option<f64>, pointer: &str, what: &str) -> Vec<Failure> {
    match (limit, cx.facts.base.interval_hours) {
        (Some(limit), Some(interval)) if interval > limit + 1e-9 => vec![
            Failure::new(
                "/backup/schedule",
                format!(
                    "backups can be {} hours apart (`{}`), more than {what} of {} hours",
                    hours_text(interval),
                    cx.env.backup.schedule,
                    hours_text(limit)
                ),
            )
            .also(pointer, "limit"),
        ],
        _ => Vec::new(),
    }
}

fn offsite_sync_after_backup(cx: &Ctx<'_>) -> Vec<Failure> {
    let o = &cx.env.replication.offsite;
    let Some(text) = o.schedule.as_deref().filter(|_| o.enabled) else {
        return Vec::new();
    };
    let pointer = "/replication/offsite/schedule";
    let Ok(sync) = parse_velero_cron(text) else {
        return Vec::new(); // `invalid-cron` reports it
    };
    let mut out = Vec::new();
    if sync.max_interval_hours() > 24.0 + 1e-9 {
        out.push(Failure::new(
            pointer,
            format!(
                "the off-site sync runs only every {} hours at most, so the off-site copy can be more than a day behind",
                hours_text(sync.max_interval_hours())
            ),
        ));
    }
    if let Ok(backup) = parse_velero_cron(&cx.env.backup.schedule)
        && backup.timezone() == sync.timezone()
        && let (Some(b), Some(s)) = (
            backup.first_fire_minute_of_day(),
            sync.first_fire_minute_of_day(),
        )
    {
        let offset = (i64::from(s) - i64::from(b)).rem_euclid(1440);
        if offset < 60 {
            let when = if offset == 0 {
                "at the same time as the backup".to_owned()
            } else {
                format!("{offset} minutes after the backup")
            };
            out.push(
                Failure::new(
                    pointer,
                    format!(
                        "the off-site sync starts {when}, before the backup has likely finished"
                    ),
                )
                .also("/backup/schedule", "backup schedule"),
            );
        }
    }
    out
}

fn conflict_retention(cx: &Ctx<'_>) -> Vec<Failure> {
    let r = &cx.env.backup.retention;
    match (r.min_days, r.max_days) {
        (Some(min), Some(max)) if min > max => vec![
            Failure::new(
                "/backup/retention/minDays",
                format!(
                    "the decided minimum retention of {min} days (HSLF-FS 2016:40 3 kap. 13 §, HSLF-08) is above the declared GDPR maximum of {max} days (GDPR-12): no retention can satisfy both"
                ),
            )
            .also("/backup/retention/maxDays", "GDPR maximum"),
        ],
        _ => Vec::new(),
    }
}

fn conflict_object_lock(cx: &Ctx<'_>) -> Vec<Failure> {
    if !cx.has(GDPR) || !(cx.has(NIS2) || cx.has(DORA)) {
        return Vec::new();
    }
    // Immutability is a chosen safeguard: NIS2 IR 4.2.2(d) asks for access controls and DORA
    // Art. 12(3) for segregated restore systems; neither requires it.
    let why = "a safeguard chosen for the backup copies, not one NIS2 or DORA requires";
    object_locks_too_long(cx)
        .into_iter()
        .map(|(pointer, which, lock, days)| {
            Failure::new(
                pointer,
                format!(
                    "the {which} object lock protects backups for {lock} days ({why}), but they must be erasable when the retention of {} ends (GDPR-05, and Velero's garbage collection, X-02): a lock equal to the retention satisfies both",
                    days_text(days)
                ),
            )
            .also("/backup/retention/ttl", "retention")
        })
        .collect()
}

fn conflict_hipaa_6y(cx: &Ctx<'_>) -> Vec<Failure> {
    let Some(longest) = cx.facts.longest.as_ref().filter(|l| l.days >= 2190) else {
        return Vec::new();
    };
    if !cx.has(HIPAA) {
        return Vec::new();
    }
    let mut message = format!(
        "{} are kept {}: HIPAA's 6 years (§164.316(b)(2)(i), HIPAA-07) apply to the backup documentation, not to backups of ePHI",
        longest.what,
        days_text(longest.days)
    );
    if cx.has(GDPR) {
        message.push_str(", and GDPR Art. 5(1)(e) does not allow keeping them that long without a legal obligation (GDPR-03)");
    }
    vec![
        Failure::new(longest.pointer.clone(), message)
            .also("/documentation/retentionYears", "documentation retention"),
    ]
}

fn conflict_transfer(cx: &Ctx<'_>) -> Vec<Failure> {
    let o = &cx.env.replication.offsite;
    if !cx.has(GDPR) || !o.enabled || o.transfer_mechanism.is_some() {
        return Vec::new();
    }
    let Some(country) = o
        .destination
        .as_ref()
        .and_then(|d| d.jurisdiction.as_deref())
        .filter(|j| !super::derived::adequate(j))
    else {
        return Vec::new();
    };
    let high = cx.env.cluster.protection_need.as_deref() == Some("high");
    let micro = cx.env.cluster.dora_entity.as_deref() == Some("microenterprise");
    let pulling: Vec<&str> = [
        (ISO, "ISO-07", true),
        (HSLF, "HSLF-04", true),
        (NIS2, "NIS2-03", true),
        (DORA, "DORA-05", !micro),
        (HIPAA, "HIPAA-10", true),
        (MSBFS, "MSBFS-03", true),
        (BSI, "BSI-A19", high),
    ]
    .into_iter()
    .filter(|(p, _, applies)| *applies && cx.has(p))
    .map(|(_, rule, _)| rule)
    .collect();
    if pulling.is_empty() {
        return Vec::new();
    }
    let mut message = format!(
        "the off-site copy that {} ask{} for is in `{country}`, outside the EU/EEA, without a transfer mechanism (GDPR Art. 44, GDPR-09)",
        pulling.join(", "),
        if pulling.len() == 1 { "s" } else { "" }
    );
    if !o.encrypt.enabled {
        message.push_str(" and without client-side encryption");
    }
    message.push_str(": distance needs another site, not another country");
    vec![Failure::new(
        "/replication/offsite/destination/jurisdiction",
        message,
    )]
}

fn conflict_restore_test(cx: &Ctx<'_>) -> Vec<Failure> {
    if !cx.has(DORA) || !(cx.has(HSLF) || cx.has(ISO)) {
        return Vec::new();
    }
    let Some(days) = cx
        .env
        .restore_test
        .as_ref()
        .and_then(|t| t.frequency_days)
        .filter(|d| *d > 365)
    else {
        return Vec::new();
    };
    let accepted = if cx.has(HSLF) {
        "the decided frequency (HSLF-09)"
    } else {
        "\"regularly\" (ISO-05)"
    };
    vec![
        Failure::new(
            "/restoreTest/frequencyDays",
            format!(
                "restore tests every {days} days meet {accepted}, but DORA Art. 11(6)(a) requires at least yearly (DORA-03): the strictest applies, at most 365 days"
            ),
        )
        .also("/restoreTest/decidedBy", "decision"),
    ]
}
