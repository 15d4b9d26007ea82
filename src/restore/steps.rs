//! The operator's checklist: a numbered step writer and the steps several plans share (pausing and
//! resuming the replication, re-applying erasures).

use super::lookup::Cx;
use crate::environment::model::Environment;
use crate::render::offsite;
use std::fmt::Write as _;

/// A numbered checklist writer.
pub(super) struct Steps {
    pub(super) text: String,
    n: usize,
}

impl Steps {
    pub(super) fn new(title: String) -> Steps {
        Steps { text: title, n: 0 }
    }

    pub(super) fn section(&mut self, name: &str) {
        let _ = write!(self.text, "\n{name}\n");
    }

    pub(super) fn step(&mut self, lines: &[String]) {
        self.n += 1;
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(self.text, "  {}. {line}", self.n);
            } else {
                let _ = writeln!(self.text, "     {line}");
            }
        }
    }
}

/// The commands pausing (`true`) or resuming (`false`) `env`'s replication.
pub(super) fn suspend_command(env: &Environment, suspend: bool) -> String {
    format!(
        "kubectl -n {} patch cronjob rclone-sync-{} -p '{{\"spec\":{{\"suspend\":{suspend}}}}}'",
        offsite::namespace_of(env),
        env.metadata.name
    )
}

pub(super) fn running_sync_command(env: &Environment) -> String {
    format!(
        "kubectl -n {} get jobs -l app.kubernetes.io/name=rclone-sync,ck8s-gen.io/source-environment={}",
        offsite::namespace_of(env),
        env.metadata.name
    )
}

/// Step pausing the replication, when `env` has one.
pub(super) fn pause_step(cx: &Cx<'_>, steps: &mut Steps, why: &str) {
    let Some(manager) = cx.manager else {
        return;
    };
    steps.step(&[
        format!(
            "Pause the off-site replication while restoring (restore and replication never run together): {why}. In the cluster of `{manager}`:"
        ),
        format!("  {}", suspend_command(cx.env, true)),
        format!(
            "  {}   # wait until no sync Job is active (or delete it)",
            running_sync_command(cx.env)
        ),
        "The GitOps engine does not undo this: the rendered CronJob does not set `suspend`."
            .to_owned(),
    ]);
}

pub(super) fn resume_step(cx: &Cx<'_>, steps: &mut Steps) {
    let Some(manager) = cx.manager else {
        return;
    };
    steps.step(&[
        format!(
            "Resume the off-site replication once the restore is verified (cluster of `{manager}`):"
        ),
        format!("  {}", suspend_command(cx.env, false)),
    ]);
}

/// GDPR Art. 17: restored data may contain personal data erased after the backup was taken.
pub(super) fn erasure_step(cx: &Cx<'_>, steps: &mut Steps, ttl: &str) {
    let env = cx.env;
    let gdpr = env.compliance.iter().any(|c| c.starts_with("gdpr"));
    let procedure = env.documentation.erasure_procedure_ref.as_deref();
    if !gdpr && procedure.is_none() {
        return;
    }
    let days = crate::velero::duration::parse_go_duration(ttl)
        .map(|d| (d.as_hours_f64() / 24.0).ceil() as i64)
        .unwrap_or(30);
    let mut lines = vec![format!(
        "GDPR Art. 17: before the restored data is used, re-apply every erasure request received in the last {days} days (the backups' retention, {ttl}): the backup may hold personal data erased since it was taken."
    )];
    if let Some(p) = procedure {
        lines.push(format!("Procedure: {p}"));
    }
    steps.step(&lines);
}
