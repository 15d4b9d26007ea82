//! Recovery from an unencrypted off-site copy, read in place through the read-only `offsite`
//! BackupStorageLocation.

use super::error::RestoreError;
use super::lookup::Cx;
use super::output::Plan;
use super::steps::{Steps, pause_step, resume_step};
use crate::render::context::{self, LocationView};
use crate::render::{names, object};
use serde_json::json;

/// Unencrypted copy: a read-only BackupStorageLocation on the off-site bucket.
pub(super) fn read_in_place_plan(
    cx: &Cx<'_>,
    velero: &context::VeleroView,
    location: &LocationView,
) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let ns = &velero.namespace;
    let bsl = object(
        cx.templates,
        names::BSL,
        &json!({"env": cx.view, "location": location}),
    )?;
    let mut steps = Steps::new(format!(
        "Disaster recovery of `{name}` from its off-site copy (not encrypted): Velero reads the backups in place through the read-only BackupStorageLocation `{}` on bucket `{}` (prefix `{}`). Nothing is copied, and Velero cannot change or delete anything there.\n",
        location.name, location.bucket, location.prefix
    ));
    steps.section("Before applying:");
    pause_step(
        cx,
        &mut steps,
        "a sync from an empty or damaged primary bucket would delete the off-site copy",
    );
    if let Some(credential) = &location.credential {
        steps.step(&[format!(
            "Create the Secret `{}` (key `{}`: a credentials file of the {} plugin with read access to `{}`) in namespace `{ns}` of `{name}`'s cluster.",
            credential.name, credential.key, location.provider, location.bucket
        )]);
    }
    steps.step(&[
        format!("Apply in the cluster of `{name}` (the location is also in its rendered manifests; applying it again is harmless):"),
        format!("  ck8s-gen restore {name} --from-offsite | kubectl apply -f -"),
    ]);
    steps.section("After:");
    steps.step(&[
        "Wait until the location is `Available` and Velero has synced its backups (about a minute):".to_owned(),
        format!("  velero -n {ns} backup-location get {}", location.name),
        format!(
            "  kubectl -n {ns} get backups -l velero.io/storage-location={}",
            location.name
        ),
        "A backup whose name also exists in the primary location is not synced again: the primary one is used.".to_owned(),
    ]);
    steps.step(&[
        "Restore one of them (it is read from the off-site location):".to_owned(),
        format!("  ck8s-gen restore {name} --backup NAME | kubectl create -f -"),
    ]);
    resume_step(cx, &mut steps);
    Ok(Plan {
        environment: name.clone(),
        cluster: name.clone(),
        objects: vec![bsl],
        warnings: Vec::new(),
        checklist: steps.text,
    })
}
