//! Alerts (`monitoring.alertOnFailure`): Prometheus Operator PrometheusRules for failed or
//! missing backups, a failed or overdue off-site sync, and a failed or overdue restore test.
//!
//! - Backups: Velero's `velero_backup_last_successful_timestamp{schedule=…}` per rendered
//!   Schedule. The daily Schedule keeps CK8S's alert names `VeleroBackupHaveFailed24Hours`
//!   (warning) and `VeleroBackupHaveFailed48Hours` (critical); extra tiers get
//!   `VeleroTierBackupMissed` / `VeleroTierBackupMissedTwice`. Thresholds are the Schedule's
//!   longest gap between runs (at least 24 h / 48 h for the daily one) plus [`GRACE_HOURS`] for
//!   the backup's own duration.
//! - Off-site sync (in the management cluster that runs it) and restore test: kube-state-metrics
//!   on the CronJob and its Jobs. "Failed" is the *latest* Job of the CronJob having failed
//!   (older failures kept in the Job history do not keep the alert firing after a success);
//!   "overdue" is no successful Job (or, before the first one, no CronJob creation) for longer
//!   than the period plus slack.
//!
//! Annotations use Prometheus templates (`{{ $labels.x }}`): they are plain strings in the
//! view, written through the templates' `yaml` filter (never interpreted by our templates), and
//! the rendered manifests are applied as plain files (Flux substitution is disabled, Argo CD's
//! ApplicationSet only templates the Application objects).

use super::context::{EnvView, base_labels};
use super::offsite::{RcloneJobView, split_time_zone};
use super::restore_test::RestoreTestView;
use crate::cron::parse_velero_cron;
use crate::model::Environment;
use serde::Serialize;
use std::collections::BTreeMap;

/// Name of the backup (and restore-test) rules in the Velero namespace.
pub const BACKUP_RULES: &str = "velero-backup-alerts";
/// Hours added to every "no success since" threshold: backups and jobs take time.
pub const GRACE_HOURS: f64 = 2.0;
/// Days added to the restore-test frequency before the test is overdue.
pub const RESTORE_TEST_SLACK_DAYS: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct PrometheusRuleView {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub groups: Vec<RuleGroupView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleGroupView {
    pub name: String,
    pub rules: Vec<AlertView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertView {
    pub alert: String,
    pub expr: String,
    /// Prometheus `for:`.
    pub for_duration: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

fn alert(
    env: &Environment,
    name: &str,
    severity: &str,
    expr: String,
    summary: String,
    description: String,
) -> AlertView {
    let mut annotations = BTreeMap::from([
        ("summary".to_owned(), summary),
        ("description".to_owned(), description),
    ]);
    if let Some(runbook) = &env.documentation.restore_procedure_ref {
        annotations.insert("runbook_url".to_owned(), runbook.clone());
    }
    AlertView {
        alert: name.to_owned(),
        expr,
        for_duration: None,
        labels: BTreeMap::from([
            ("severity".to_owned(), severity.to_owned()),
            ("ck8s_gen_environment".to_owned(), env.metadata.name.clone()),
        ]),
        annotations,
    }
}

/// Seconds as a PromQL number.
fn seconds(hours: f64) -> String {
    format!("{}", (hours * 3600.0).round() as i64)
}

fn hours_text(hours: f64) -> String {
    if hours.fract() == 0.0 {
        format!("{hours:.0} h")
    } else {
        format!("{hours:.1} h")
    }
}

/// Longest gap between runs of a schedule, in hours (24 when it cannot be parsed).
fn interval_hours(schedule: &str) -> f64 {
    parse_velero_cron(schedule)
        .map(|s| s.max_interval_hours())
        .unwrap_or(24.0)
}

/// The most recently started Job of CronJob `cronjob` in `namespace` has failed.
pub fn latest_job_failed(namespace: &str, cronjob: &str) -> String {
    let jobs = format!(r#"namespace="{namespace}",job_name=~"{cronjob}-[0-9]+""#);
    format!(
        "(kube_job_status_failed{{{jobs}}} > 0) and on(namespace, job_name) (kube_job_status_start_time{{{jobs}}} == on(namespace) group_left() max by (namespace) (kube_job_status_start_time{{{jobs}}}))"
    )
}

/// Seconds since the last successful Job of CronJob `cronjob` (since its creation before the
/// first success) exceed `hours`.
pub fn no_success_for(namespace: &str, cronjob: &str, hours: f64) -> String {
    let sel = format!(r#"namespace="{namespace}",cronjob="{cronjob}""#);
    format!(
        "time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{{{sel}}} or kube_cronjob_created{{{sel}}}) > {}",
        seconds(hours)
    )
}

/// Backup alerts (and the restore test's, when it is rendered) of an environment with Velero.
pub fn backup_rules(
    env: &Environment,
    view: &EnvView,
    test: Option<&RestoreTestView>,
) -> Option<PrometheusRuleView> {
    let velero = view.velero.as_ref()?;
    if !env.monitoring.alert_on_failure || !env.gitops.metrics {
        return None;
    }
    let mut backups = Vec::new();
    for schedule in &velero.schedules {
        let interval = interval_hours(&schedule.cron);
        let metric = format!(
            r#"velero_backup_last_successful_timestamp{{schedule="{}"}}"#,
            schedule.name
        );
        let daily = schedule.name == super::restore_test::SCHEDULE;
        let (first, second) = if daily {
            (
                ("VeleroBackupHaveFailed24Hours", interval.max(24.0)),
                ("VeleroBackupHaveFailed48Hours", (2.0 * interval).max(48.0)),
            )
        } else {
            (
                ("VeleroTierBackupMissed", interval),
                ("VeleroTierBackupMissedTwice", 2.0 * interval),
            )
        };
        for ((name, hours), severity) in [(first, "warning"), (second, "critical")] {
            let limit = hours + GRACE_HOURS;
            backups.push(alert(
                env,
                name,
                severity,
                format!("time() - {metric} > {}", seconds(limit)),
                format!(
                    "No successful Velero backup of `{{{{ $labels.schedule }}}}` in {}",
                    hours_text(hours)
                ),
                format!(
                    "The last successful backup of Schedule {{{{ $labels.schedule }}}} in environment {} finished {{{{ $value | humanizeDuration }}}} ago (threshold {}: the schedule's longest gap plus {} for the backup itself). Check `velero backup get` and the Velero logs.",
                    env.metadata.name,
                    hours_text(limit),
                    hours_text(GRACE_HOURS)
                ),
            ));
        }
    }
    let mut groups = vec![RuleGroupView {
        name: "velero-backups".to_owned(),
        rules: backups,
    }];
    if let Some(test) = test {
        let frequency = env
            .restore_test
            .as_ref()
            .and_then(|t| t.frequency_days)
            .unwrap_or(1);
        let days = frequency + RESTORE_TEST_SLACK_DAYS;
        groups.push(RuleGroupView {
            name: "velero-restore-test".to_owned(),
            rules: vec![
                alert(
                    env,
                    "RestoreTestFailed",
                    "critical",
                    latest_job_failed(&test.namespace, &test.name),
                    "The latest restore test failed".to_owned(),
                    format!(
                        "Job {{{{ $labels.job_name }}}} of the restore test of environment {} failed: the latest backup of {} could not be restored into {}, or the copy could not be deleted. Read the Job's log (`kubectl -n {} logs job/{{{{ $labels.job_name }}}}`).",
                        env.metadata.name,
                        test.namespaces.join(", "),
                        test.scratch_namespaces.join(", "),
                        test.namespace
                    ),
                ),
                alert(
                    env,
                    "RestoreTestOverdue",
                    "warning",
                    no_success_for(&test.namespace, &test.name, f64::from(days) * 24.0),
                    format!("No successful restore test in {days} days"),
                    format!(
                        "The restore test of environment {} has not succeeded for {{{{ $value | humanizeDuration }}}}; `restoreTest.frequencyDays` is {frequency}.",
                        env.metadata.name
                    ),
                ),
            ],
        });
    }
    Some(PrometheusRuleView {
        name: BACKUP_RULES.to_owned(),
        namespace: velero.namespace.clone(),
        labels: view.labels.clone(),
        groups,
    })
}

/// Alerts on `env`'s off-site sync, in the tree (and cluster) of the environment running it.
/// `manager_metrics`: whether the managing environment scrapes metrics (has the Prometheus
/// Operator CRDs).
pub fn sync_rules(
    env: &Environment,
    job: &RcloneJobView,
    manager_metrics: bool,
) -> Option<PrometheusRuleView> {
    if !env.monitoring.alert_on_failure || !manager_metrics {
        return None;
    }
    let (cron, _) = split_time_zone(
        env.replication
            .offsite
            .schedule
            .as_deref()
            .unwrap_or("0 5 * * *"),
    );
    let interval = interval_hours(&cron);
    let deadline = f64::from(job.active_deadline_seconds) / 3600.0;
    let limit = interval + deadline + GRACE_HOURS;
    let name = &env.metadata.name;
    let mut sync_suspended = alert(
        env,
        "OffsiteSyncSuspended",
        "warning",
        format!(
            r#"kube_cronjob_spec_suspend{{namespace="{}",cronjob="{}"}} == 1"#,
            job.namespace, job.name
        ),
        format!("The off-site replication of {name} is paused"),
        format!(
            "CronJob {}/{} is suspended: backups of {name} are not copied off-site. Resume it once the restore is done: `kubectl -n {} patch cronjob {} -p '{{\"spec\":{{\"suspend\":false}}}}'`.",
            job.namespace, job.name, job.namespace, job.name
        ),
    );
    sync_suspended.for_duration = Some("1h".to_owned());
    Some(PrometheusRuleView {
        name: job.name.clone(),
        namespace: job.namespace.clone(),
        labels: base_labels(&job.manager),
        groups: vec![RuleGroupView {
            name: job.name.clone(),
            rules: vec![
                alert(
                    env,
                    "OffsiteSyncFailed",
                    "critical",
                    latest_job_failed(&job.namespace, &job.name),
                    format!("The latest off-site sync of {name} failed"),
                    format!(
                        "Job {{{{ $labels.job_name }}}} copying the backups of {name} off-site failed. Read its log (`kubectl -n {} logs job/{{{{ $labels.job_name }}}}`).",
                        job.namespace
                    ),
                ),
                alert(
                    env,
                    "OffsiteSyncOverdue",
                    "warning",
                    no_success_for(&job.namespace, &job.name, limit),
                    format!(
                        "No successful off-site sync of {name} in {}",
                        hours_text(limit)
                    ),
                    format!(
                        "The backups of {name} were last copied off-site {{{{ $value | humanizeDuration }}}} ago (threshold {}: the schedule's longest gap, the job's deadline and {} slack).",
                        hours_text(limit),
                        hours_text(GRACE_HOURS)
                    ),
                ),
                sync_suspended,
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_select_the_cronjob_and_its_jobs() {
        assert_eq!(
            no_success_for("velero", "velero-restore-test", 25.0),
            r#"time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{namespace="velero",cronjob="velero-restore-test"} or kube_cronjob_created{namespace="velero",cronjob="velero-restore-test"}) > 90000"#
        );
        let failed = latest_job_failed("rclone", "rclone-sync-a");
        assert!(failed.starts_with(
            r#"(kube_job_status_failed{namespace="rclone",job_name=~"rclone-sync-a-[0-9]+"} > 0)"#
        ));
        assert_eq!(failed.matches('(').count(), failed.matches(')').count());
    }
}
