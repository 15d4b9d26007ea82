//! Alerts (`monitoring.alertOnFailure`): Prometheus Operator PrometheusRules for failed or
//! missing backups, a failed or overdue off-site sync, and a failed or overdue restore test.
//!
//! - Backups: Velero's `velero_backup_last_successful_timestamp{schedule=…}` per rendered
//!   Schedule. The daily Schedule keeps CK8S's alert names `VeleroBackupHaveFailed24Hours`
//!   (warning) and `VeleroBackupHaveFailed48Hours` (critical); each extra tier gets its own
//!   names, `Velero<Tier>BackupMissed` / `Velero<Tier>BackupMissedTwice` (so no two rules of a
//!   file share name and labels). Thresholds are the Schedule's longest gap between runs (at
//!   least 24 h / 48 h for the daily one) plus [`GRACE_HOURS`] for the backup's own duration.
//!   Each threshold has two rules of the same name: `time() - last_success > threshold` (a
//!   stale success, label `reason: last-success-too-old`), and `absent(last_success)` held
//!   for the threshold (`reason: no-success-recorded`): a Schedule that never succeeded has
//!   no such series at all (Velero sets it on the first success and recomputes it from the
//!   Backup objects after a restart), so without it such a Schedule would never alert.
//! - Off-site sync (in the management cluster that runs it) and restore test: kube-state-metrics
//!   on the CronJob and its Jobs. "Failed" is the *latest* Job of the CronJob having failed
//!   (`kube_job_failed{condition="true"}`: the Job's `Failed` condition, not a count of failed
//!   pods; older failures kept in the Job history do not keep the alert firing after a
//!   success); "overdue" is no successful Job (or, before the first one, no CronJob creation)
//!   for longer than the period plus slack.
//!
//! Annotations use Prometheus templates (`{{ $labels.x }}`): they are plain strings in the
//! view, written through the templates' `yaml` filter (never interpreted by our templates), and
//! the rendered manifests are applied as plain files (Flux substitution is disabled, Argo CD's
//! ApplicationSet only templates the Application objects). Every value from an environment
//! file that reaches a Prometheus template (annotations and labels are both expanded by
//! Prometheus) goes through [`go_template_text`], and every one inside a PromQL string through
//! [`promql_string`], so a `{{` in, say, `documentation.restoreProcedureRef` prints as itself.

use super::context::{EnvView, base_labels};
use super::offsite::{RcloneJobView, split_time_zone};
use super::restore_test::RestoreTestView;
use crate::environment::model::Environment;
use crate::velero::cron::parse_velero_cron;
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

/// `text` as Go `text/template` source that prints exactly `text`: every `{` becomes the action
/// `{{ "{" }}`, so no `{{` (nor a `{` next to one of our own actions) can start an action.
/// Prometheus expands alert annotations and labels as Go templates.
pub fn go_template_text(text: &str) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    text.replace('{', r#"{{ "{" }}"#)
}

/// `value` as the inside of a double-quoted PromQL string (label matcher values).
pub fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
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
        annotations.insert("runbook_url".to_owned(), go_template_text(runbook));
    }
    AlertView {
        alert: name.to_owned(),
        expr,
        for_duration: None,
        labels: BTreeMap::from([
            ("severity".to_owned(), severity.to_owned()),
            (
                "ck8s_gen_environment".to_owned(),
                go_template_text(&env.metadata.name),
            ),
        ]),
        annotations,
    }
}

/// A Prometheus duration for `hours` (whole minutes).
fn prometheus_duration(hours: f64) -> String {
    let minutes = (hours * 60.0).round() as i64;
    if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{}h{}m", minutes / 60, minutes % 60)
    }
}

/// The alert-name form of a tier name: `weekly` → `Weekly`, `long-term` → `LongTerm`. A part
/// that is empty or starts with a digit keeps its hyphen as `_` (`a-1` → `A_1`, `a1` → `A1`),
/// so two tier names never share alert names.
fn tier_alert_name(tier: &str) -> String {
    let mut out = String::with_capacity(tier.len());
    for (i, part) in tier.split('-').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if c.is_ascii_alphabetic() => {
                out.push(c.to_ascii_uppercase());
                out.extend(chars);
            }
            first => {
                if i > 0 {
                    out.push('_');
                }
                out.extend(first);
                out.extend(chars);
            }
        }
    }
    out
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

/// The most recently started Job of CronJob `cronjob` in `namespace` has failed (its `Failed`
/// condition is true; a pod that failed before a retry succeeded does not count).
pub fn latest_job_failed(namespace: &str, cronjob: &str) -> String {
    let jobs = format!(
        r#"namespace="{}",job_name=~"{}-[0-9]+""#,
        promql_string(namespace),
        promql_string(&regex_literal(cronjob))
    );
    format!(
        r#"(kube_job_failed{{{jobs},condition="true"}} == 1) and on(namespace, job_name) (kube_job_status_start_time{{{jobs}}} == on(namespace) group_left() max by (namespace) (kube_job_status_start_time{{{jobs}}}))"#
    )
}

/// `text` as an RE2 regular expression matching exactly `text`.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Seconds since the last successful Job of CronJob `cronjob` (since its creation before the
/// first success) exceed `hours`.
pub fn no_success_for(namespace: &str, cronjob: &str, hours: f64) -> String {
    let sel = format!(
        r#"namespace="{}",cronjob="{}""#,
        promql_string(namespace),
        promql_string(cronjob)
    );
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
            promql_string(&schedule.name)
        );
        let daily = schedule.name == super::restore_test::SCHEDULE;
        let (first, second) = if daily {
            (
                (
                    "VeleroBackupHaveFailed24Hours".to_owned(),
                    interval.max(24.0),
                ),
                (
                    "VeleroBackupHaveFailed48Hours".to_owned(),
                    (2.0 * interval).max(48.0),
                ),
            )
        } else {
            let tier = schedule
                .name
                .strip_prefix("velero-")
                .and_then(|t| t.strip_suffix("-backup"))
                .unwrap_or(&schedule.name);
            let tier = tier_alert_name(tier);
            (
                (format!("Velero{tier}BackupMissed"), interval),
                (format!("Velero{tier}BackupMissedTwice"), 2.0 * interval),
            )
        };
        let env_name = go_template_text(&env.metadata.name);
        let schedule_name = go_template_text(&schedule.name);
        for ((name, hours), severity) in [(first, "warning"), (second, "critical")] {
            let limit = hours + GRACE_HOURS;
            let summary = format!(
                "No successful Velero backup of `{schedule_name}` in {}",
                hours_text(hours)
            );
            let mut stale = alert(
                env,
                &name,
                severity,
                format!("time() - {metric} > {}", seconds(limit)),
                summary.clone(),
                format!(
                    "The last successful backup of Schedule {schedule_name} in environment {env_name} finished {{{{ $value | humanizeDuration }}}} ago (threshold {}: the schedule's longest gap plus {} for the backup itself). Check `velero backup get` and the Velero logs.",
                    hours_text(limit),
                    hours_text(GRACE_HOURS)
                ),
            );
            stale
                .labels
                .insert("reason".to_owned(), "last-success-too-old".to_owned());
            backups.push(stale);
            let mut never = alert(
                env,
                &name,
                severity,
                format!("absent({metric})"),
                summary,
                format!(
                    "Velero has reported no successful backup of Schedule {schedule_name} in environment {env_name} for {} (the schedule's longest gap plus {} for the backup itself): it never succeeded since it was created or Velero restarted with no completed backup of it, or Velero's metrics are not scraped. Check `velero schedule get`, `velero backup get` and the Velero logs.",
                    hours_text(limit),
                    hours_text(GRACE_HOURS)
                ),
            );
            never.for_duration = Some(prometheus_duration(limit));
            never
                .labels
                .insert("reason".to_owned(), "no-success-recorded".to_owned());
            backups.push(never);
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
                        go_template_text(&env.metadata.name),
                        go_template_text(&test.namespaces.join(", ")),
                        go_template_text(&test.scratch_namespaces.join(", ")),
                        go_template_text(&test.namespace)
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
                        go_template_text(&env.metadata.name)
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
    let name = &go_template_text(&env.metadata.name);
    let (job_namespace, job_name) = (
        go_template_text(&job.namespace),
        go_template_text(&job.name),
    );
    let mut sync_suspended = alert(
        env,
        "OffsiteSyncSuspended",
        "warning",
        format!(
            r#"kube_cronjob_spec_suspend{{namespace="{}",cronjob="{}"}} == 1"#,
            promql_string(&job.namespace),
            promql_string(&job.name)
        ),
        format!("The off-site replication of {name} is paused"),
        format!(
            "CronJob {}/{} is suspended: backups of {name} are not copied off-site. Resume it once the restore is done: `kubectl -n {} patch cronjob {} -p '{{\"spec\":{{\"suspend\":false}}}}'`.",
            job_namespace, job_name, job_namespace, job_name
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
                        job_namespace
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
            r#"(kube_job_failed{namespace="rclone",job_name=~"rclone-sync-a-[0-9]+",condition="true"} == 1)"#
        ));
        assert_eq!(failed.matches('(').count(), failed.matches(')').count());
    }

    #[test]
    fn values_reaching_prometheus_templates_cannot_open_an_action() {
        assert_eq!(go_template_text("https://x/runbook"), "https://x/runbook");
        assert_eq!(
            go_template_text(r#"a{{ with query "up" }}b"#),
            r#"a{{ "{" }}{{ "{" }} with query "up" }}b"#
        );
        // A trailing `{` cannot join an action that follows it.
        assert_eq!(go_template_text("x{"), r#"x{{ "{" }}"#);
        assert!(
            !go_template_text("}}{{-{")
                .replace(r#"{{ "{" }}"#, "")
                .contains('{')
        );
    }

    #[test]
    fn promql_strings_and_regexes_are_quoted() {
        assert_eq!(promql_string(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(regex_literal("a.b-c"), r"a\.b-c");
        assert!(latest_job_failed("ns", "a.b").contains(r#"job_name=~"a\\.b-[0-9]+""#));
    }

    #[test]
    fn tier_alert_names_are_distinct_for_distinct_tiers() {
        let names = [
            "weekly",
            "long-term",
            "longterm",
            "a-1",
            "a1",
            "a--b",
            "a-b",
            "ab",
        ];
        let alerts: Vec<String> = names.iter().map(|n| tier_alert_name(n)).collect();
        assert_eq!(alerts[0], "Weekly");
        assert_eq!(alerts[1], "LongTerm");
        assert_eq!(alerts[3], "A_1");
        let unique: std::collections::BTreeSet<&String> = alerts.iter().collect();
        assert_eq!(unique.len(), names.len(), "{alerts:?}");
    }

    #[test]
    fn durations_for_prometheus() {
        assert_eq!(prometheus_duration(26.0), "26h");
        assert_eq!(prometheus_duration(26.5), "26h30m");
    }
}
