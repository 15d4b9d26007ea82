//! What the backup takes: namespace exclusions and volume data that leaves the cluster.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::Environment;

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let scope = &env.backup.scope;
    for (i, ns) in scope.extra_excluded_namespaces.iter().enumerate() {
        if scope.excluded_namespaces.contains(ns) {
            cx.push(
                Diagnostic::warning(
                    Code::RedundantExclusion,
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
            Diagnostic::warning(Code::SnapshotIsNotABackup, "CSI snapshots without the data mover stay on the cluster's own storage system")
                .at(cx.at("/backup/scope/volumes"), "snapshot only")
                .help("use `csi-snapshot-data-mover` or `fs-backup` so volume data reaches the backup bucket"),
        );
    }
}
