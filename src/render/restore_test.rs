//! The scheduled restore test (`restoreTest` with `frequencyDays` and `namespaces`): a CronJob
//! in the Velero namespace that restores the latest completed backup of the daily Schedule for
//! the tested namespaces into scratch namespaces (`<ns>-restore-test`), checks the result and
//! deletes the copies. Success or failure is the Job's exit status, which kube-state-metrics
//! exports (`kube_job_status_failed`, `kube_cronjob_status_last_successful_time`) and the
//! alerts in `alerts` watch.
//!
//! Least privilege: the ServiceAccount may create, read and list Velero Restores in the Velero
//! namespace, read and patch one ConfigMap (the result history), and read, label and delete
//! exactly the scratch namespaces (by name). Velero itself creates the scratch namespaces from
//! the backed-up Namespace objects, so the test needs no right to create namespaces. RBAC cannot
//! limit what a Restore contains (Velero runs it with its own cluster-wide rights), so a
//! ValidatingAdmissionPolicy admits from this ServiceAccount only the rendered Restore.

use super::context::{ContextError, EnvView, base_labels};
use super::objects::velero::{GeneratedMeta, GeneratedRestore, RestoreSpec};
use super::offsite::{EnvVarView, split_time_zone};
use crate::environment::model::{Environment, scratch_namespace};
use crate::velero::cron::parse_velero_cron;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Name of the CronJob, ServiceAccount, Role, RoleBinding and ConfigMap.
pub const NAME: &str = "velero-restore-test";
/// Name of the ClusterRole and ClusterRoleBinding (cluster-wide names, hence the prefix).
pub const CLUSTER_NAME: &str = "ck8s-gen-velero-restore-test";
/// The Schedule whose latest completed backup is restored.
pub const SCHEDULE: &str = "velero-daily-backup";
/// Any image with `/bin/sh` and `kubectl` (the upstream kubectl image has no shell).
pub const DEFAULT_IMAGE: &str = "docker.io/alpine/k8s:1.34.1";
/// `activeDeadlineSeconds` without `backup.rtoHours`.
pub const DEFAULT_DEADLINE_SECONDS: u32 = 14_400;
/// Label on the test's Restores.
pub const LABEL_RESTORE_TEST: &str = "ck8s-gen.io/restore-test";
/// The script the CronJob runs (mounted from the ConfigMap).
pub const SCRIPT: &str = include_str!("restore-test.sh");

/// ConfigMap in the Velero namespace keeping the last [`HISTORY_KEEP`] results, one JSON
/// object a line under `history` (the durable evidence of issue #17).
pub const HISTORY_CONFIGMAP: &str = "ck8s-restore-test-history";
/// Results kept in the history.
pub const HISTORY_KEEP: u32 = 20;
/// Seconds a still-running Restore gets to end, after a timeout or a signal, before the copies
/// are deleted (Velero re-creates namespaces deleted while it restores into them).
pub const ABORT_WAIT_SECONDS: u32 = 300;
/// Seconds to wait for the deleted copies to be gone.
pub const CLEANUP_TIMEOUT_SECONDS: u32 = 300;
/// Seconds the script gives up before the Job's deadline, to clean up in its own time.
pub const RESTORE_TIMEOUT_MARGIN_SECONDS: u32 = 120;

/// Kinds left out of the test restore: the copy must not receive traffic (Ingresses, Gateway
/// API gateways and every route kind, Services, which could also provision a cloud load
/// balancer), run work again (Jobs, whose status Velero strips so they start over, and
/// CronJobs), request certificates or register ACME accounts (cert-manager), create real
/// subnamespaces (HNC anchors would create namespaces named like the production ones), or be
/// scraped, alerted on or route alerts as if it were production (Prometheus Operator objects).
pub const EXCLUDED_RESOURCES: &[&str] = &[
    "alertmanagerconfigs.monitoring.coreos.com",
    "certificaterequests.cert-manager.io",
    "certificates.cert-manager.io",
    "challenges.acme.cert-manager.io",
    "cronjobs.batch",
    "gateways.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "ingresses.networking.k8s.io",
    "issuers.cert-manager.io",
    "jobs.batch",
    "orders.acme.cert-manager.io",
    "podmonitors.monitoring.coreos.com",
    "probes.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
    "services",
    "servicemonitors.monitoring.coreos.com",
    "subnamespaceanchors.hnc.x-k8s.io",
    "tcproutes.gateway.networking.k8s.io",
    "tlsroutes.gateway.networking.k8s.io",
    "udproutes.gateway.networking.k8s.io",
];

/// Restore `spec` fields the rendered Restore leaves unset and the admission policy forbids:
/// every field of the Velero CRD except those it pins (a unit test compares with the CRD).
pub const FORBIDDEN_RESTORE_FIELDS: &[&str] = &[
    "backupName",
    "excludedNamespaces",
    "hooks",
    "includedResources",
    "itemOperationTimeout",
    "labelSelector",
    "orLabelSelectors",
    "preserveNodePorts",
    "resourceModifier",
    "restoreStatus",
    "uploaderConfig",
];

#[derive(Clone, Debug, Serialize)]
pub struct RestoreTestView {
    pub name: String,
    pub cluster_name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub schedule: String,
    pub time_zone: Option<String>,
    pub active_deadline_seconds: u32,
    pub image: String,
    pub env: Vec<EnvVarView>,
    /// The tested namespaces and their scratch namespaces, in the same order.
    pub namespaces: Vec<String>,
    pub scratch_namespaces: Vec<String>,
    /// ConfigMap data: the Restore to create and the script.
    pub restore_yaml: String,
    pub script: String,
    pub velero_rules: Vec<PolicyRuleView>,
    pub cluster_rules: Vec<PolicyRuleView>,
    /// `terminationGracePeriodSeconds`: room for the cleanup after SIGTERM.
    pub termination_grace_period_seconds: u32,
    pub history_configmap: String,
    /// The ServiceAccount's user name, which the admission policy matches.
    pub username: String,
    /// CEL validations of the admission policy: every Restore this ServiceAccount creates is
    /// the rendered one.
    pub validations: Vec<ValidationView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidationView {
    pub expression: String,
    pub message: String,
}

fn cel_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn cel_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| cel_string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// The admission policy's checks: the Restore from the daily Schedule, of the tested namespaces
/// into the scratch namespaces only, without overwriting, without cluster-scoped resources,
/// with every exclusion, labelled as a restore test, and nothing else (no hooks, resource
/// modifiers, selectors or a chosen backup).
fn validations(namespaces: &[String], scratch: &[String]) -> Vec<ValidationView> {
    let v = |expression: String, message: &str| ValidationView {
        expression,
        message: message.to_owned(),
    };
    let mapping: Vec<String> = namespaces
        .iter()
        .zip(scratch)
        .map(|(n, s)| format!("{}: {}", cel_string(n), cel_string(s)))
        .collect();
    let excluded: Vec<String> = EXCLUDED_RESOURCES.iter().map(|r| (*r).to_owned()).collect();
    let mut out = vec![
        v(
            format!(
                "has(object.spec.scheduleName) && object.spec.scheduleName == {}",
                cel_string(SCHEDULE)
            ),
            "the restore test restores only from the daily Schedule",
        ),
        v(
            format!(
                "has(object.spec.includedNamespaces) && object.spec.includedNamespaces == {}",
                cel_list(namespaces)
            ),
            "the restore test restores only the tested namespaces",
        ),
        v(
            format!(
                "has(object.spec.namespaceMapping) && object.spec.namespaceMapping == {{{}}}",
                mapping.join(", ")
            ),
            "the restore test restores only into its scratch namespaces",
        ),
        v(
            format!(
                "has(object.spec.excludedResources) && {}.all(r, r in object.spec.excludedResources)",
                cel_list(&excluded)
            ),
            "the restore test leaves out everything that would act like production",
        ),
        v(
            "has(object.spec.existingResourcePolicy) && object.spec.existingResourcePolicy == 'none'"
                .to_owned(),
            "the restore test never overwrites",
        ),
        v(
            "!has(object.spec.includeClusterResources) || object.spec.includeClusterResources == false"
                .to_owned(),
            "the restore test restores no cluster-scoped resources",
        ),
        v(
            format!(
                "has(object.metadata.labels) && {} in object.metadata.labels && object.metadata.labels[{}] == 'true'",
                cel_string(LABEL_RESTORE_TEST),
                cel_string(LABEL_RESTORE_TEST)
            ),
            "the restore test's Restores carry its label",
        ),
    ];
    for field in FORBIDDEN_RESTORE_FIELDS {
        out.push(v(
            format!("!has(object.spec.{field})"),
            &format!("the restore test's Restore sets no {field}"),
        ));
    }
    out
}

#[derive(Clone, Debug, Serialize)]
pub struct PolicyRuleView {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
}

fn rule(group: &str, resource: &str, verbs: &[&str], names: &[String]) -> PolicyRuleView {
    PolicyRuleView {
        api_groups: vec![group.to_owned()],
        resources: vec![resource.to_owned()],
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
        resource_names: names.to_vec(),
    }
}

/// Whether `env` gets a rendered restore test: a frequency, namespaces, and the daily Schedule
/// to restore from.
pub fn applies(env: &Environment, view: &EnvView) -> bool {
    let Some(test) = &env.restore_test else {
        return false;
    };
    test.frequency_days.is_some()
        && !test.namespaces.is_empty()
        && view
            .velero
            .as_ref()
            .is_some_and(|v| v.schedules.iter().any(|s| s.name == SCHEDULE))
}

/// A number from the environment's name, to spread a fleet's tests over days of the month
/// and of the week.
fn spread(name: &str) -> u32 {
    let digest = Sha256::digest(name.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The restore test's cron schedule (and time zone) for a test at least every `frequency_days`.
///
/// - Time of day: twelve hours after the daily backup's first run (its own zone), so the test
///   restores that day's backup, does not compete with the backup or the off-site sync, and
///   fails in working hours when the backup runs at night.
/// - Day: of the month 1–28 (every month has it), of the week 0–6, from a hash of the
///   environment's name so a fleet does not test everything on one day.
/// - Period: the sparsest of yearly, half-yearly, every four months, quarterly, every two
///   months, monthly, weekly and daily whose *longest* gap between runs (computed from the
///   calendar, as for backups) is at most `frequency_days`. So 180 days gives every four months
///   (gaps up to 123 days: half-yearly has a 184-day gap), 365 gives half-yearly, 30 gives
///   weekly (monthly has 31-day gaps), 7 gives weekly, and 1–6 give daily.
pub fn test_schedule(
    env_name: &str,
    frequency_days: u32,
    backup_schedule: &str,
) -> (String, Option<String>) {
    let (_, zone) = split_time_zone(backup_schedule);
    let first = parse_velero_cron(backup_schedule)
        .ok()
        .and_then(|c| c.first_fire_minute_of_day())
        .unwrap_or(0);
    let at = (first + 12 * 60) % (24 * 60);
    let (minute, hour) = (at % 60, at / 60);
    let seed = spread(env_name);
    let day = 1 + seed % 28;
    let weekday = seed % 7;
    let candidates = [
        format!("{minute} {hour} {day} 1 *"),
        format!("{minute} {hour} {day} 1,7 *"),
        format!("{minute} {hour} {day} 1,5,9 *"),
        format!("{minute} {hour} {day} 1,4,7,10 *"),
        format!("{minute} {hour} {day} 1,3,5,7,9,11 *"),
        format!("{minute} {hour} {day} * *"),
        format!("{minute} {hour} * * {weekday}"),
    ];
    let limit = f64::from(frequency_days) * 24.0;
    let cron = candidates
        .into_iter()
        .find(|c| parse_velero_cron(c).is_ok_and(|s| s.max_interval_hours() <= limit))
        .unwrap_or_else(|| format!("{minute} {hour} * * *"));
    (cron, zone)
}

/// The restore test of `env`, when it applies.
pub fn view(env: &Environment, view: &EnvView) -> Result<Option<RestoreTestView>, ContextError> {
    if !applies(env, view) {
        return Ok(None);
    }
    let (Some(test), Some(velero)) = (&env.restore_test, &view.velero) else {
        return Ok(None);
    };
    let fail = |message: String| ContextError {
        environment: env.metadata.name.clone(),
        message,
    };
    let frequency = test.frequency_days.unwrap_or(1);
    let namespaces = test.namespaces.clone();
    let scratch: Vec<String> = namespaces.iter().map(|n| scratch_namespace(n)).collect();
    if let Some(long) = scratch.iter().find(|n| n.len() > 63) {
        return Err(fail(format!(
            "the scratch namespace `{long}` is longer than 63 characters"
        )));
    }
    let mut labels = base_labels(&env.metadata.name);
    labels.insert("app.kubernetes.io/name".to_owned(), NAME.to_owned());
    let mut restore_labels = base_labels(&env.metadata.name);
    restore_labels.insert(LABEL_RESTORE_TEST.to_owned(), "true".to_owned());
    let restore = GeneratedRestore {
        api_version: super::objects::velero::API_VERSION.to_owned(),
        kind: "Restore".to_owned(),
        metadata: GeneratedMeta {
            generate_name: "restore-test-".to_owned(),
            namespace: velero.namespace.clone(),
            labels: Some(restore_labels),
        },
        spec: RestoreSpec {
            schedule_name: Some(SCHEDULE.to_owned()),
            included_namespaces: Some(namespaces.clone()),
            namespace_mapping: Some(
                namespaces
                    .iter()
                    .cloned()
                    .zip(scratch.iter().cloned())
                    .collect(),
            ),
            excluded_resources: Some(EXCLUDED_RESOURCES.iter().map(|r| (*r).to_owned()).collect()),
            restore_pvs: Some(true),
            existing_resource_policy: Some("none".to_owned()),
            ..RestoreSpec::default()
        },
    };
    let restore_yaml = crate::yaml::to_canonical_yaml(&restore).map_err(|e| fail(e.to_string()))?;
    let (schedule, time_zone) = test_schedule(&env.metadata.name, frequency, &env.backup.schedule);
    // The restore must finish within the recovery time objective: a test that cannot is a
    // failed test.
    let deadline = env
        .backup
        .rto_hours
        .map(|h| (h * 3600.0).ceil().clamp(600.0, f64::from(u32::MAX)) as u32)
        .unwrap_or(DEFAULT_DEADLINE_SECONDS);
    let checks = validations(&namespaces, &scratch);
    // More than the Namespace objects: at least one more object per tested namespace.
    let min_items = 2 * namespaces.len();
    let env_vars = vec![
        EnvVarView::value("VELERO_NAMESPACE", velero.namespace.clone()),
        EnvVarView::value("SCHEDULE", SCHEDULE),
        EnvVarView::value("SCRATCH_NAMESPACES", scratch.join(" ")),
        EnvVarView::value("MIN_ITEMS", min_items.to_string()),
        EnvVarView::value(
            "RESTORE_TIMEOUT",
            deadline
                .saturating_sub(RESTORE_TIMEOUT_MARGIN_SECONDS)
                .to_string(),
        ),
        EnvVarView::value("ABORT_WAIT", ABORT_WAIT_SECONDS.to_string()),
        EnvVarView::value("CLEANUP_TIMEOUT", CLEANUP_TIMEOUT_SECONDS.to_string()),
        EnvVarView::value("HISTORY_CONFIGMAP", HISTORY_CONFIGMAP),
        EnvVarView::value("HISTORY_KEEP", HISTORY_KEEP.to_string()),
        // kubectl writes its discovery cache under $HOME; / is read-only.
        EnvVarView::value("HOME", "/tmp"),
    ];
    Ok(Some(RestoreTestView {
        name: NAME.to_owned(),
        cluster_name: CLUSTER_NAME.to_owned(),
        namespace: velero.namespace.clone(),
        labels,
        schedule,
        time_zone,
        active_deadline_seconds: deadline,
        image: test
            .image
            .clone()
            .unwrap_or_else(|| DEFAULT_IMAGE.to_owned()),
        env: env_vars,
        namespaces,
        scratch_namespaces: scratch.clone(),
        restore_yaml,
        script: SCRIPT.to_owned(),
        velero_rules: vec![
            rule("velero.io", "restores", &["create", "get", "list"], &[]),
            rule(
                "",
                "configmaps",
                &["get", "patch"],
                &[HISTORY_CONFIGMAP.to_owned()],
            ),
        ],
        cluster_rules: vec![rule(
            "",
            "namespaces",
            &["get", "list", "watch", "patch", "delete"],
            &scratch,
        )],
        // The cleanup after SIGTERM: let the Restore end, delete the copies, with a minute spare.
        termination_grace_period_seconds: ABORT_WAIT_SECONDS + CLEANUP_TIMEOUT_SECONDS + 60,
        history_configmap: HISTORY_CONFIGMAP.to_owned(),
        username: format!("system:serviceaccount:{}:{NAME}", velero.namespace),
        validations: checks,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admission_policy_covers_every_restore_field() {
        let shared = std::env::var_os("CK8S_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
        let path = shared.join("reference/velero/restore.v1.schema.json");
        let Ok(crd) = std::fs::read_to_string(&path) else {
            panic!("the Velero Restore schema is missing: {}", path.display());
        };
        let schema: serde_json::Value = serde_json::from_str(&crd).unwrap();
        let fields = schema["properties"]["spec"]["properties"]
            .as_object()
            .unwrap();
        let pinned = [
            "scheduleName",
            "includedNamespaces",
            "namespaceMapping",
            "excludedResources",
            "existingResourcePolicy",
            "includeClusterResources",
            "restorePVs",
        ];
        for field in fields.keys() {
            assert!(
                pinned.contains(&field.as_str())
                    || FORBIDDEN_RESTORE_FIELDS.contains(&field.as_str()),
                "the admission policy neither pins nor forbids spec.{field}"
            );
        }
    }

    #[test]
    fn the_test_runs_at_least_as_often_as_declared() {
        for days in 1..=800 {
            for backup in [
                "0 0 * * *",
                "CRON_TZ=Europe/Stockholm 30 1 * * *",
                "@every 6h",
            ] {
                let (cron, _) = test_schedule("prod-se-health", days, backup);
                let gap = parse_velero_cron(&cron).unwrap().max_interval_hours();
                assert!(
                    gap <= f64::from(days) * 24.0,
                    "{days} days: `{cron}` has {gap} h gaps"
                );
            }
        }
    }

    #[test]
    fn periods_follow_the_frequency() {
        let period = |days| {
            let (cron, _) = test_schedule("x", days, "0 0 * * *");
            cron.split_whitespace()
                .skip(2)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let day = 1 + spread("x") % 28;
        let weekday = spread("x") % 7;
        assert_eq!(period(400), format!("{day} 1 *"));
        assert_eq!(period(365), format!("{day} 1,7 *"));
        assert_eq!(period(180), format!("{day} 1,5,9 *"));
        assert_eq!(period(92), format!("{day} 1,4,7,10 *"));
        assert_eq!(period(90), format!("{day} 1,3,5,7,9,11 *"));
        assert_eq!(period(31), format!("{day} * *"));
        assert_eq!(period(30), format!("* * {weekday}"));
        assert_eq!(period(7), format!("* * {weekday}"));
        assert_eq!(period(6), "* * *");
    }

    #[test]
    fn the_test_runs_twelve_hours_after_the_backup_in_its_zone() {
        let (cron, zone) = test_schedule("x", 1, "CRON_TZ=Europe/Stockholm 30 1 * * *");
        assert_eq!(cron, "30 13 * * *");
        assert_eq!(zone.as_deref(), Some("Europe/Stockholm"));
        let (cron, zone) = test_schedule("x", 1, "0 18 * * *");
        assert_eq!((cron.as_str(), zone), ("0 6 * * *", None));
    }
}
