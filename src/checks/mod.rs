//! Semantic checks a schema cannot express, each with a stable kebab-case code: cron and Go
//! duration syntax as Velero parses them, retention against the schedule, object lock against
//! retention, credentials typed inline, and provider settings that belong together (the
//! fleet-wide rules are `validate::fleet`).

use crate::diagnostic::Diagnostic;
use crate::environment::load::LoadedEnvironment;
use crate::environment::model::{AtRest, Environment, ObjectLock, Role, StorageProvider};
use crate::schema::dotted;
use crate::secrets;
use crate::velero::cron::parse_velero_cron;
use crate::velero::duration::parse_go_duration;
use serde_json::Value;
use std::collections::BTreeMap;

/// Facts derived from an environment that several checks (and the profiles) need.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Derived {
    /// Retention in whole days, when the TTL parses.
    pub retention_days: Option<i64>,
    /// Retention in hours.
    pub retention_hours: Option<f64>,
    /// Largest gap between two backups, in hours.
    pub interval_hours: Option<f64>,
    /// How many backups exist at once: retention / interval.
    pub generations: Option<f64>,
}

impl Derived {
    pub fn of(env: &Environment) -> Derived {
        let ttl = parse_go_duration(&env.backup.retention.ttl).ok();
        let interval = parse_velero_cron(&env.backup.schedule)
            .ok()
            .map(|c| c.max_interval_hours());
        let retention_hours = ttl.as_ref().map(|d| d.as_hours_f64());
        Derived {
            retention_days: ttl.as_ref().map(|d| d.whole_days()),
            retention_hours,
            interval_hours: interval,
            generations: match (retention_hours, interval) {
                (Some(r), Some(i)) if i > 0.0 => Some(r / i),
                _ => None,
            },
        }
    }
}

struct Ctx<'a> {
    loaded: &'a LoadedEnvironment,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at(&self, pointer: &str) -> Option<crate::source::Location> {
        self.loaded.provenance.value_location(pointer)
    }

    fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }
}

/// Every semantic finding of one schema-valid environment.
pub fn semantic(loaded: &LoadedEnvironment, env: &Environment) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        loaded,
        out: Vec::new(),
    };
    check_schedules(&mut cx, env);
    check_retention(&mut cx, env);
    check_storage(&mut cx, env);
    check_offsite(&mut cx, env);
    check_scope(&mut cx, env);
    check_gitops(&mut cx, env);
    check_chart_values(&mut cx, env);
    check_restore_test(&mut cx, env);
    check_alerts(&mut cx, env);
    cx.out
}

fn cron_finding(cx: &mut Ctx<'_>, pointer: &str, text: &str) -> Option<f64> {
    match parse_velero_cron(text) {
        Ok(schedule) => Some(schedule.max_interval_hours()),
        Err(e) => {
            let mut d = Diagnostic::error(
                "invalid-cron",
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
                    "invalid-duration",
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
                    "invalid-duration",
                    format!("`{}` is not a Go duration: {}", dotted(pointer), e.message),
                )
                .at(cx.at(pointer), "invalid duration")
                .help(help),
            );
            None
        }
    }
}

fn check_schedules(cx: &mut Ctx<'_>, env: &Environment) {
    let interval = cron_finding(cx, "/backup/schedule", &env.backup.schedule);
    let ttl = duration_finding(cx, "/backup/retention/ttl", &env.backup.retention.ttl);
    if let (Some(interval), Some(ttl)) = (interval, ttl) {
        if ttl < interval {
            cx.push(
                Diagnostic::error("ttl-shorter-than-interval", format!("backups expire after {ttl}h but are taken only every {interval}h"))
                    .at(cx.at("/backup/retention/ttl"), "retention")
                    .also(cx.at("/backup/schedule"), "schedule")
                    .help("there would be hours with no backup at all; make the retention at least two intervals long"),
            );
        } else if ttl < 2.0 * interval {
            cx.push(
                Diagnostic::warning("single-generation", format!("only one backup generation exists at a time ({ttl}h retention, {interval}h interval)"))
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
                    "ttl-shorter-than-interval",
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
                    "duplicate-tier",
                    "the tier name `daily` is taken by the main schedule",
                )
                .at(cx.at(&format!("{base}/name")), "reserved name")
                .help("name extra tiers after their period, e.g. `weekly` or `monthly`"),
            );
        }
        if let Some(first) = seen.insert(tier.name.as_str(), i) {
            cx.push(
                Diagnostic::error(
                    "duplicate-tier",
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

/// `1 day`, `30 days`.
pub fn days_text(days: i64) -> String {
    crate::text::count(days, "day")
}

fn check_retention(cx: &mut Ctx<'_>, env: &Environment) {
    let derived = Derived::of(env);
    let Some(days) = derived.retention_days else {
        return;
    };
    if let Some(min) = env.backup.retention.min_days
        && days < i64::from(min)
    {
        cx.push(
            Diagnostic::error(
                "retention-below-minimum",
                format!(
                    "retention is {}, below the decided minimum of {min} days",
                    days_text(days)
                ),
            )
            .at(cx.at("/backup/retention/ttl"), days_text(days))
            .also(cx.at("/backup/retention/minDays"), "decided minimum")
            .help(format!(
                "raise `ttl` to at least `{}h`, or revisit the decision",
                u64::from(min) * 24
            )),
        );
    }
    for (pointer, lock) in [
        ("/storage/objectLock", env.storage.object_lock.as_ref()),
        (
            "/replication/offsite/objectLock",
            env.replication.offsite.object_lock.as_ref(),
        ),
    ] {
        if let Some(lock_days) = ObjectLock::active_days(lock)
            && i64::from(lock_days) > days
        {
            cx.push(
                    Diagnostic::error("object-lock-outlives-retention", format!("object lock keeps objects {lock_days} days, longer than the {days}-day retention"))
                        .at(cx.at(&format!("{pointer}/days")), "lock period")
                        .also(cx.at("/backup/retention/ttl"), "retention")
                        .help(format!("set `days: {days}` (equal to the retention): expired backups cannot be deleted while locked, which breaks garbage collection and the GDPR erasure promise")),
                );
        }
        if lock.is_some_and(|l| l.enabled && l.days.is_none()) {
            cx.push(
                Diagnostic::error(
                    "object-lock-days-missing",
                    "object lock is enabled without a lock period",
                )
                .at(cx.at(pointer), "lock without days")
                .help(format!("add `days: {days}` (equal to the retention)")),
            );
        }
    }
}

fn check_storage(cx: &mut Ctx<'_>, env: &Environment) {
    let s = &env.storage;
    if s.provider == StorageProvider::Swift {
        cx.push(
            Diagnostic::error("swift-not-supported", "Velero cannot write backups to Swift")
                .at(cx.at("/storage/provider"), "not supported by Velero")
                .help("use the provider's S3 API (`provider: s3` with its `endpoint`); Swift is only possible as an off-site destination"),
        );
    }
    if s.credentials.is_none() && !s.use_workload_identity {
        cx.push(
            Diagnostic::error("credentials-missing", "no credentials for the backup bucket")
                .at(cx.at("/storage"), "storage without credentials")
                .help("add `credentials: {secretName: velero-credentials, key: cloud}` referencing a Secret in the Velero namespace, or set `useWorkloadIdentity: true`"),
        );
    }
    if s.provider == StorageProvider::S3 && s.endpoint.is_some() && s.region.is_none() {
        cx.push(
            Diagnostic::error("region-required", "an S3-compatible endpoint needs an explicit region")
                .at(cx.at("/storage/endpoint"), "custom endpoint")
                .help("add `region:` (e.g. `sto1`); without it the AWS plugin fails with \"A region must be set\""),
        );
    }
    if s.endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"))
        && s.encryption.in_transit
    {
        cx.push(
            Diagnostic::error(
                "plaintext-endpoint",
                "the storage endpoint is plain `http://` but encryption in transit is declared",
            )
            .at(cx.at("/storage/endpoint"), "not TLS")
            .help("use the `https://` endpoint"),
        );
    }
    if s.provider == StorageProvider::Azure
        && s.azure
            .as_ref()
            .is_none_or(|a| a.storage_account.is_none() || (a.resource_group.is_none()))
    {
        cx.push(
            Diagnostic::error(
                "azure-settings-missing",
                "Azure storage needs a storage account and a resource group",
            )
            .at(cx.at("/storage"), "azure storage")
            .help("add `azure: {storageAccount: NAME, resourceGroup: GROUP}`"),
        );
    }
    let e = &s.encryption;
    let mismatch = |what: &str, help: &str| {
        Diagnostic::error("encryption-mismatch", what.to_owned())
            .at(None, "")
            .help(help.to_owned())
    };
    let problem = match (e.at_rest, s.provider) {
        (AtRest::SseS3 | AtRest::SseKms | AtRest::SseC, p) if p != StorageProvider::S3 => {
            Some(mismatch(
                &format!(
                    "`{}` encryption is an S3 feature, but the storage provider is `{}`",
                    at_rest_name(e.at_rest),
                    s.provider.as_str()
                ),
                "use `provider-managed` (the provider encrypts every object) or `gcp-kms` for GCS",
            ))
        }
        (AtRest::GcpKms, p) if p != StorageProvider::Gcs => Some(mismatch(
            "`gcp-kms` encryption needs GCS storage",
            "use `sse-kms` for S3 or `provider-managed`",
        )),
        (AtRest::SseKms, _) if e.kms_key_id.is_none() => Some(mismatch(
            "`sse-kms` needs `kmsKeyId`",
            "add `kmsKeyId:` with the KMS key id, alias or ARN",
        )),
        (AtRest::GcpKms, _) if e.kms_key_name.is_none() => Some(mismatch(
            "`gcp-kms` needs `kmsKeyName`",
            "add `kmsKeyName: projects/P/locations/L/keyRings/R/cryptoKeys/K`",
        )),
        (AtRest::SseC, _) if e.customer_key.is_none() => Some(mismatch(
            "`sse-c` needs `customerKey`",
            "add `customerKey: {secretName: NAME, key: KEY}` referencing the 32-byte key",
        )),
        _ => None,
    };
    if let Some(mut d) = problem {
        d.primary = cx
            .at("/storage/encryption/atRest")
            .map(|location| crate::diagnostic::Label {
                location,
                message: "encryption setting".to_owned(),
            });
        cx.push(d);
    }
    if e.kms_key_id.is_some() && e.at_rest != AtRest::SseKms {
        cx.push(
            Diagnostic::warning(
                "unused-setting",
                "`kmsKeyId` is set but `atRest` is not `sse-kms`",
            )
            .at(cx.at("/storage/encryption/kmsKeyId"), "ignored")
            .help("set `atRest: sse-kms` or remove `kmsKeyId`"),
        );
    }
}

fn at_rest_name(at_rest: AtRest) -> &'static str {
    match at_rest {
        AtRest::None => "none",
        AtRest::ProviderManaged => "provider-managed",
        AtRest::SseS3 => "sse-s3",
        AtRest::SseKms => "sse-kms",
        AtRest::SseC => "sse-c",
        AtRest::GcpKms => "gcp-kms",
    }
}

fn check_offsite(cx: &mut Ctx<'_>, env: &Environment) {
    let o = &env.replication.offsite;
    if !o.enabled {
        return;
    }
    let Some(dest) = &o.destination else {
        cx.push(
            Diagnostic::error(
                "offsite-destination-missing",
                "off-site replication is enabled without a destination",
            )
            .at(cx.at("/replication/offsite/enabled"), "enabled here")
            .help("add `destination: {provider: s3, endpoint: …, bucket: …, site: …}`"),
        );
        return;
    };
    let same_bucket = dest.bucket == env.storage.bucket
        && dest.endpoint == env.storage.endpoint
        && dest.provider == env.storage.provider;
    if same_bucket {
        cx.push(
            Diagnostic::error(
                "offsite-same-as-primary",
                "the off-site destination is the primary bucket",
            )
            .at(
                cx.at("/replication/offsite/destination/bucket"),
                "same bucket",
            )
            .also(cx.at("/storage/bucket"), "primary bucket")
            .help("replicate to a bucket at another site (another endpoint or region)"),
        );
    } else if dest.site.is_some() && dest.site == env.cluster.site {
        cx.push(
            Diagnostic::warning("offsite-same-site", "the off-site copy is at the cluster's own site")
                .at(cx.at("/replication/offsite/destination/site"), "same site as the cluster")
                .also(cx.at("/cluster/site"), "cluster site")
                .help("an off-site copy must survive the loss of the cluster's site; choose another data centre"),
        );
    }
    if o.initiated_from.as_deref() == Some("in-cluster") {
        cx.push(
            Diagnostic::error("offsite-from-workload-cluster", "off-site replication must not run inside the cluster it protects")
                .at(cx.at("/replication/offsite/initiatedFrom"), "in-cluster")
                .help("set `initiatedFrom: outside-cluster`: the sync runs from the management cluster so users (or attackers) of the workload cluster cannot reach the copy"),
        );
    }
    if env.cluster.role == Role::Workload && o.managed_by.is_none() {
        cx.push(
            Diagnostic::error("offsite-needs-management-cluster", "off-site replication of a workload cluster needs the management environment that runs it")
                .at(cx.at("/replication/offsite/enabled"), "enabled here")
                .help("add `managedBy: <management environment name>`; the rclone CronJobs are rendered for that cluster, never for the workload cluster"),
        );
    }
    if o.encrypt.directory_names && !o.encrypt.file_names {
        cx.push(
            Diagnostic::error(
                "crypt-directory-names-need-file-names",
                "encrypting directory names requires encrypting file names",
            )
            .at(
                cx.at("/replication/offsite/encrypt/directoryNames"),
                "directory names",
            )
            .help("set `fileNames: true` too"),
        );
    }
    if o.encrypt.enabled && o.encrypt.secret_name.is_none() {
        cx.push(
            Diagnostic::error("crypt-secret-missing", "client-side encryption is enabled without the Secret holding its password and salt")
                .at(cx.at("/replication/offsite/encrypt/enabled"), "encryption on")
                .help("add `secretName:` naming a Secret with keys `password` and `salt` (in `rclone obscure` form)"),
        );
    }
    if dest.credentials.is_none() {
        cx.push(
            Diagnostic::error("credentials-missing", "no credentials for the off-site destination")
                .at(cx.at("/replication/offsite/destination"), "destination without credentials")
                .help("add `credentials: {secretName: rclone-offsite-credentials}` referencing a Secret in the replication namespace"),
        );
    }
    if o.locked() && o.versioning == Some(false) {
        cx.push(
            Diagnostic::error("offsite-lock-needs-versioning", "object lock without versioning cannot work: S3 locks object versions and turns versioning on with the lock")
                .at(cx.at("/replication/offsite/versioning"), "versioning off")
                .also(cx.at("/replication/offsite/objectLock/enabled"), "object lock on")
                .help("remove `versioning: false` (or set it `true`) and set `retentionDays` to the days after which the bucket's lifecycle expires non-current versions; `ck8s-gen offsite-bucket ENV` prints the configuration to apply"),
        );
    } else if o.versioned() && o.retention_days.is_none() && o.mode.as_deref() != Some("copy") {
        cx.push(
            Diagnostic::warning("offsite-versions-without-expiry", "the versioned off-site bucket keeps every deleted backup as a non-current version for ever: no lifecycle expiry is declared")
                .at(cx.at(if o.versioning.is_some() { "/replication/offsite/versioning" } else { "/replication/offsite/objectLock/enabled" }), "versioned")
                .help("set `retentionDays` (the days after which non-current versions expire) and apply the lifecycle rule `ck8s-gen offsite-bucket ENV` prints"),
        );
    }
    if o.mode.as_deref() == Some("copy") && o.retention_days.is_none() {
        cx.push(
            Diagnostic::warning("offsite-copy-without-expiry", "`mode: copy` keeps deleted backups off-site forever unless the bucket expires them")
                .at(cx.at("/replication/offsite/mode"), "copy mode")
                .help("use `mode: sync`, or set `retentionDays` to the bucket's lifecycle expiry"),
        );
    }
    if dest.provider == StorageProvider::Azure
        && dest
            .azure
            .as_ref()
            .and_then(|a| a.storage_account.as_ref())
            .is_none()
    {
        cx.push(
            Diagnostic::error(
                "azure-settings-missing",
                "an Azure destination needs its storage account",
            )
            .at(
                cx.at("/replication/offsite/destination"),
                "azure destination",
            )
            .help("add `azure: {storageAccount: NAME}`"),
        );
    }
}

fn check_scope(cx: &mut Ctx<'_>, env: &Environment) {
    let scope = &env.backup.scope;
    for (i, ns) in scope.extra_excluded_namespaces.iter().enumerate() {
        if scope.excluded_namespaces.contains(ns) {
            cx.push(
                Diagnostic::warning(
                    "redundant-exclusion",
                    format!("`{ns}` is already in `excludedNamespaces`"),
                )
                .at(
                    cx.at(&format!("/backup/scope/extraExcludedNamespaces/{i}")),
                    "already excluded",
                )
                .help("remove it from `extraExcludedNamespaces`"),
            );
        }
    }
    if env.backup.scope.volumes == crate::environment::model::VolumeMethod::CsiSnapshot {
        cx.push(
            Diagnostic::warning("snapshot-is-not-a-backup", "CSI snapshots without the data mover stay on the cluster's own storage system")
                .at(cx.at("/backup/scope/volumes"), "snapshot only")
                .help("use `csi-snapshot-data-mover` or `fs-backup` so volume data reaches the backup bucket"),
        );
    }
}

fn check_gitops(cx: &mut Ctx<'_>, env: &Environment) {
    let version = &env.gitops.chart.version;
    if !version.starts_with("12.") {
        cx.push(
            Diagnostic::warning(
                "untested-chart-version",
                format!(
                    "the velero chart {version} is not the 12.x series ck8s-gen renders values for"
                ),
            )
            .at(cx.at("/gitops/chart/version"), "chart version")
            .help(
                "use a 12.x version (e.g. `12.1.0`); other versions have renamed or removed values",
            ),
        );
    }
    let oci_chart = env.gitops.chart.repository.starts_with("oci://");
    if env.gitops.engine == crate::environment::model::Engine::Flux {
        let oci_source = env.gitops.flux.chart_source == "ociRepository";
        if oci_source != oci_chart {
            let (message, help) = if oci_source {
                (
                    "`chartSource: ociRepository` needs an `oci://` chart repository",
                    "set `chart.repository: oci://ghcr.io/vmware-tanzu/charts/velero`, or `chartSource: helmRepository`",
                )
            } else {
                (
                    "the chart repository is an OCI registry but `chartSource` is `helmRepository`",
                    "set `gitops.flux.chartSource: ociRepository` (Flux HelmRepository of type oci is in maintenance mode)",
                )
            };
            cx.push(
                Diagnostic::error("chart-source-mismatch", message)
                    .at(cx.at("/gitops/flux/chartSource"), "chart source")
                    .also(cx.at("/gitops/chart/repository"), "chart repository")
                    .help(help),
            );
        }
    }
    if env.gitops.engine == crate::environment::model::Engine::Argocd
        && env
            .gitops
            .repository
            .as_ref()
            .and_then(|r| r.url.as_ref())
            .is_none()
    {
        cx.push(
            Diagnostic::error(
                "gitops-repository-url-missing",
                "Argo CD needs the URL of the Git repository that holds the rendered tree",
            )
            .at(cx.at("/gitops"), "engine: argocd")
            .help("add `gitops.repository.url` (e.g. in `environments/common.yaml`)"),
        );
    }
    if env.gitops.argocd.source == "plugin"
        && env.gitops.engine != crate::environment::model::Engine::Argocd
    {
        cx.push(
            Diagnostic::warning(
                "unused-setting",
                "`gitops.argocd.source` only applies with `engine: argocd`",
            )
            .at(cx.at("/gitops/argocd/source"), "ignored"),
        );
    }
}

/// `gitops.chartValues`: every key a value of the velero chart (did-you-mean otherwise), none
/// that ck8s-gen sets itself, and the chart's `values.schema.json` satisfied.
fn check_chart_values(cx: &mut Ctx<'_>, env: &Environment) {
    let Some(values) = &env.gitops.chart_values else {
        return;
    };
    let values = Value::Object(values.clone());
    let base = "/gitops/chartValues";
    let chart = crate::schema::chart::Chart::embedded();
    let unknown = chart.unknown_keys(&values);
    for p in &unknown {
        let pointer = format!("{base}{}", p.pointer);
        let mut d = Diagnostic::error("unknown-chart-value", p.message.clone()).at(
            cx.loaded
                .provenance
                .key_location(&pointer)
                .or_else(|| cx.at(&pointer)),
            "not a value of the chart",
        );
        d = match &p.suggestion {
            Some(s) => d.help(format!(
                "did you mean `{s}`? (the keys are those of the chart's values.yaml)"
            )),
            None => d.help(
                "see the chart's values.yaml (`schemas/velero-chart/values.yaml`) for its values",
            ),
        };
        cx.push(d);
    }
    for (pointer, instead) in crate::schema::chart::owned_conflicts(&values) {
        let at = format!("{base}{pointer}");
        cx.push(
            Diagnostic::error(
                "chart-value-owned",
                format!(
                    "`{}` is set by ck8s-gen; passing it through would bypass its checks",
                    dotted(&at)
                ),
            )
            .at(
                cx.loaded
                    .provenance
                    .key_location(&at)
                    .or_else(|| cx.at(&at)),
                "set by ck8s-gen",
            )
            .help(format!(
                "remove it from `gitops.chartValues`; use {instead}"
            )),
        );
    }
    if unknown.is_empty() {
        for p in chart.schema_problems(&values) {
            let pointer = format!("{base}{}", p.pointer);
            let at = cx.at(&pointer);
            cx.push(
                Diagnostic::error("invalid-chart-value", p.message)
                    .at(at.or_else(|| cx.at(base)), "against the chart's schema")
                    .help("give the value the type the chart's values.schema.json asks for"),
            );
        }
    }
}

/// The scheduled restore test (`restoreTest.namespaces`): what it restores must be in the daily
/// backup, its scratch namespaces must be valid names, and it needs a frequency and a backup.
fn check_restore_test(cx: &mut Ctx<'_>, env: &Environment) {
    let Some(test) = &env.restore_test else {
        return;
    };
    if test.namespaces.is_empty() {
        return;
    }
    let scope = &env.backup.scope;
    let excluded = scope.all_excluded_namespaces();
    for (i, ns) in test.namespaces.iter().enumerate() {
        let pointer = format!("/restoreTest/namespaces/{i}");
        // The management cluster's daily backup holds the user Grafana in `monitoring` only.
        let left_out = match env.cluster.role {
            Role::Workload => excluded.contains(ns),
            Role::Management => ns != "monitoring",
        };
        if left_out {
            cx.push(
                Diagnostic::warning(
                    "restore-test-of-excluded-namespace",
                    format!("the restore test restores `{ns}`, which the backup excludes"),
                )
                .at(cx.at(&pointer), "excluded from backups")
                .help(if env.cluster.role == Role::Management {
                    "a management cluster's backup holds only `monitoring` (the user Grafana): test that"
                } else {
                    "test a namespace that is backed up"
                }),
            );
        }
        let scratch = crate::environment::model::scratch_namespace(ns);
        if scratch.len() > 63 {
            cx.push(
                Diagnostic::error(
                    "restore-test-namespace-too-long",
                    format!(
                        "the restore test would restore `{ns}` into `{scratch}`, longer than the 63 characters of a namespace name"
                    ),
                )
                .at(cx.at(&pointer), "at most 50 characters")
                .help("test a namespace with a name of at most 50 characters"),
            );
        }
    }
    let daily =
        env.backup.enabled && (env.cluster.role == Role::Workload || env.backup.dashboards.grafana);
    let reason = if test.frequency_days.is_none() {
        Some((
            "/restoreTest/namespaces",
            "the restore test has namespaces but no `frequencyDays`: it is not scheduled",
            "set `restoreTest.frequencyDays` (e.g. 180)",
        ))
    } else if !daily {
        Some((
            "/restoreTest/namespaces",
            "the restore test has no daily backup to restore (backups are off, or a management cluster without `backup.dashboards.grafana`): it is not rendered",
            "turn the backup on, or remove `restoreTest.namespaces`",
        ))
    } else {
        None
    };
    if let Some((pointer, message, help)) = reason {
        cx.push(
            Diagnostic::warning("restore-test-not-rendered", message)
                .at(cx.at(pointer), "not scheduled")
                .help(help),
        );
    }
}

/// `monitoring.alertOnFailure` renders PrometheusRules only where metrics are scraped (the
/// chart's ServiceMonitor, `gitops.metrics`): without them the alerts would never fire.
fn check_alerts(cx: &mut Ctx<'_>, env: &Environment) {
    if env.monitoring.alert_on_failure && !env.gitops.metrics && env.backup.enabled {
        cx.push(
            Diagnostic::warning(
                "alerts-without-metrics",
                "`monitoring.alertOnFailure` is on but Velero's metrics are off: no alert rules are rendered, and backup failures go unnoticed",
            )
            .at(cx.at("/gitops/metrics"), "metrics off")
            .also(cx.at("/monitoring/alertOnFailure"), "alerts wanted")
            .help("set `gitops.metrics: true` (the chart's ServiceMonitor; needs the Prometheus Operator)"),
        );
    }
}

/// Credentials pasted as values anywhere in the environment (a key, a token, a PEM block).
pub fn secrets_in_values(loaded: &LoadedEnvironment) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk(&loaded.value, String::new(), &mut |pointer, value| {
        if let Value::String(s) = value
            && secrets::looks_like_secret_value(s)
        {
            out.push(
                Diagnostic::error(
                    "inline-secret",
                    format!("`{}` looks like a credential", dotted(pointer)),
                )
                .at(loaded.provenance.value_location(pointer), "value hidden")
                .help(secrets::HELP),
            );
        }
    });
    out
}

fn walk(value: &Value, pointer: String, visit: &mut dyn FnMut(&str, &Value)) {
    let mut pointer = pointer;
    walk_at(value, &mut pointer, visit);
}

/// `walk` with one pointer buffer, extended and restored while descending.
fn walk_at(value: &Value, pointer: &mut String, visit: &mut dyn FnMut(&str, &Value)) {
    visit(pointer, value);
    let parent = pointer.len();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointer.push('/');
                pointer.push_str(&crate::yaml::escape_pointer_segment(k));
                walk_at(v, pointer, visit);
                pointer.truncate(parent);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                use std::fmt::Write as _;
                let _ = write!(pointer, "/{i}");
                walk_at(v, pointer, visit);
                pointer.truncate(parent);
            }
        }
        _ => {}
    }
}
