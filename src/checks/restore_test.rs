//! The scheduled restore test: namespaces in the backup, valid scratch names, and a schedule.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::{Environment, Role};

/// The scheduled restore test (`restoreTest.namespaces`): what it restores must be in the daily
/// backup, its scratch namespaces must be valid names, and it needs a frequency and a backup.
pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
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
                    Code::RestoreTestOfExcludedNamespace,
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
                    Code::RestoreTestNamespaceTooLong,
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
            Diagnostic::warning(Code::RestoreTestNotRendered, message)
                .at(cx.at(pointer), "not scheduled")
                .help(help),
        );
    }
}
