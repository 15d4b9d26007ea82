//! Restoring on demand and disaster recovery from the off-site copy (`ck8s-gen restore`).
//!
//! A restore is a one-time action by the administrator, never part of the GitOps tree: this
//! module turns a validated environment and a request into a [`Plan`], the objects to apply
//! (printed as a YAML stream) and a checklist for the operator (printed to stderr).
//!
//! - `--from-schedule NAME` / `--backup NAME`: a Velero `Restore` in the Velero namespace with
//!   `existingResourcePolicy: none` (CK8S's promise: nothing that exists is overwritten;
//!   `update` only when asked for, with a warning), `restorePVs: true`, the chosen namespaces and
//!   namespace mapping, and a deterministic name (environment, source and a hash of the spec).
//!   The restore order (CRDs, namespaces, HNC anchors before what depends on them) is a Velero
//!   *server* flag, rendered into the chart values (`configuration.restoreResourcePriorities`);
//!   the checklist shows it.
//! - `--from-offsite`: an unencrypted copy (S3 or GCS) is read in place through the read-only
//!   `offsite` BackupStorageLocation; an encrypted copy (or an Azure one, which Velero cannot
//!   address without its resource group) is first copied back, decrypting, into the primary
//!   bucket by a one-shot rclone Job in the management cluster, with the replication CronJob
//!   suspended (CK8S: restore and sync never run together).
//!
//! The files, one concern each: `request` (what is asked for), `lookup` (the environment it
//! names), `namespaces` (namespace names and mappings), `on_demand` (the Velero Restore),
//! `recovery` (off-site: read in place or copy back), `read_in_place` (the read-only
//! BackupStorageLocation), `copy_back` (the rclone Job), `point_in_time` (`--at`), `steps` (the
//! checklist), `output` (the plan), `error`.

mod copy_back;
mod error;
mod lookup;
mod namespaces;
mod on_demand;
mod output;
mod point_in_time;
mod read_in_place;
mod recovery;
mod request;
mod steps;
#[cfg(test)]
mod tests;

pub use copy_back::job_from_cronjob;
pub use error::RestoreError;
pub use namespaces::is_dns_label;
pub use on_demand::restore_name;
pub use output::{Plan, Planned};
pub use request::{ExistingPolicy, Request, Source};

use crate::assets::Assets;
use crate::render::templates::Templates;
use crate::render::{RenderError, context, offsite};
use crate::validate::{self, Request as ValidateRequest};
use error::usage;
use lookup::{Cx, find};
use on_demand::restore_plan;
use recovery::offsite_plan;
use std::path::Path;

/// Validate the directory and plan the restore of one environment.
pub fn plan(request: &Request<'_>) -> Result<Planned, RestoreError> {
    let outcome = validate::validate(&ValidateRequest {
        dir: request.dir,
        only: &[],
        assets: request.assets,
        today: request.today,
    })?;
    let checked = find(&outcome, request.environment, request.dir)?;
    let name = checked.loaded.name.clone();
    let mut involved = vec![name.clone()];
    // A disaster does not wait for a lint: only findings that make the printed objects wrong
    // (the environment's own output errors) stop the plan; overdue and regulatory ones do not.
    let wrong = outcome
        .diagnostics
        .iter()
        .any(|d| d.blocks_restore() && d.environment.as_deref().is_none_or(|e| e == name));
    let environment = match (&checked.environment, wrong) {
        (Some(env), false) => env.clone(),
        _ => {
            return Ok(Planned {
                outcome,
                involved,
                plan: None,
            });
        }
    };
    let manager = offsite::manager_of(&environment);
    if let Some(m) = manager.as_ref().filter(|m| **m != name) {
        involved.push(m.clone());
    }
    let templates = Templates::new(request.assets).map_err(RenderError::from)?;
    let view = context::env_view(&environment)?;
    let cx = Cx {
        env: &environment,
        view: &view,
        templates: &templates,
        manager: manager.as_deref(),
    };
    let plan = match &request.source {
        Source::Offsite => offsite_plan(&cx, request.at)?,
        source => restore_plan(&cx, source, request)?,
    };
    Ok(Planned {
        outcome,
        involved,
        plan: Some(plan),
    })
}

/// `ck8s-gen offsite-bucket ENV`: the bucket configuration of `env`'s off-site copy as JSON
/// (see [`offsite::bucket_configuration`]).
pub fn offsite_bucket(
    dir: &Path,
    assets: &Assets,
    environment: &str,
    today: i64,
) -> Result<String, RestoreError> {
    let outcome = validate::validate(&ValidateRequest {
        dir,
        only: &[],
        assets,
        today,
    })?;
    let checked = find(&outcome, environment, dir)?;
    let env = checked.environment.as_ref().ok_or_else(|| {
        usage(format!(
            "`{}` does not load: run `ck8s-gen validate`",
            checked.loaded.name
        ))
    })?;
    let config = offsite::bucket_configuration(env).ok_or_else(|| {
        usage(format!(
            "environment `{}` has no off-site replication",
            env.metadata.name
        ))
    })?;
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&config).unwrap_or_default()
    ))
}
