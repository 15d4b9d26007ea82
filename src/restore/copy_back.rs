//! Recovery from an encrypted (or Azure) off-site copy: the one-shot rclone Job that copies it back
//! into the primary bucket, with the replication paused.

use super::error::{RestoreError, usage};
use super::lookup::Cx;
use super::output::Plan;
use super::steps::{Steps, running_sync_command, suspend_command};
use crate::render::context;
use crate::render::objects::{CronJob, Job, Object};
use crate::render::{names, object, offsite};
use serde_json::json;

/// The one-shot Job `kubectl create job --from=cronjob/…` would make of `cronjob`.
pub fn job_from_cronjob(cronjob: CronJob) -> Job {
    let spec = cronjob.spec.and_then(|s| s.job_template.spec);
    Job {
        metadata: cronjob.metadata,
        spec,
        status: None,
    }
}

/// Encrypted (or Azure) copy: copy it back, decrypting, into the primary bucket.
pub(super) fn copy_back_plan(
    cx: &Cx<'_>,
    velero: &context::VeleroView,
    manager: &str,
    at: Option<&str>,
) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let offsite = &env.replication.offsite;
    let mut sync = offsite::rclone_job(env, manager)?;
    sync.suspend = true;
    let sync = object(cx.templates, names::CRONJOB, &json!({"job": sync}))?;
    let job_view = offsite::rclone_restore_job(env, manager, at)?;
    let Object::CronJob(cronjob) = object(cx.templates, names::CRONJOB, &json!({"job": job_view}))?
    else {
        return Err(usage("the CronJob template produced another kind"));
    };
    let job = Object::Job(Box::new(job_from_cronjob(*cronjob)));
    let ns = offsite::namespace_of(env);
    let dest = offsite.destination.as_ref();
    let dest_bucket = dest.map_or("", |d| d.bucket.as_str());
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let mut why = if offsite.encrypt.enabled {
        format!(
            "encrypted with rclone crypt (Secret `{}`): Velero cannot read it, so it is first decrypted back into the primary bucket",
            offsite.encrypt.secret_name.as_deref().unwrap_or("?")
        )
    } else if at.is_some() {
        "not encrypted, but Velero reads only the current objects of a bucket".to_owned()
    } else {
        "in Azure Blob storage: Velero cannot address the container without its resource group, so it is copied back into the primary bucket".to_owned()
    };
    if let Some(at) = at {
        why.push_str(&format!(
            "; read as it was at {at} (rclone `version_at`: the newest version of each object not newer than that, objects deleted by then left out)"
        ));
    }
    let mut steps = Steps::new(format!(
        "Disaster recovery of `{name}` from its off-site copy, {why}.\nThe stream is for the cluster of `{manager}` (namespace `{ns}`):\n  - CronJob rclone-sync-{name} with `suspend: true`: the replication is paused (restore and replication never run together)\n  - Job {}: `rclone {}`, reading `{dest_bucket}/{prefix}` and writing `{}/{prefix}`. `copy`, not `sync`: nothing already in the primary bucket is deleted, and a re-run resumes where it stopped.\n",
        job_view.name,
        job_view.args[..3].join(" "),
        env.storage.bucket
    ));
    steps.section("Before applying:");
    steps.step(&[
        "Check that no sync Job is active (a sync from an empty primary bucket deletes the off-site copy; delete it if one is):".to_owned(),
        format!("  {}", running_sync_command(env)),
    ]);
    steps.step(&[format!(
        "If the primary bucket is lost, create a new one and point `storage` of `{name}` at it (then re-render and run this again): the Job writes to `{}` at `{}`.",
        env.storage.bucket,
        env.storage.endpoint.as_deref().unwrap_or("the provider's default endpoint")
    )]);
    steps.step(&[
        format!(
            "Create the Secret `{}` in namespace `{ns}` of `{manager}`'s cluster with WRITE access to the primary bucket (same keys as `{}`, which should stay read-only).",
            offsite::restore_secret(env),
            offsite::source_secret(env)
        ),
        format!(
            "The off-site side is read with `{}`{}: keep copies of these outside the lost site.",
            dest.and_then(|d| d.credentials.as_ref())
                .map_or("?", |c| c.secret_name.as_str()),
            if offsite.encrypt.enabled {
                format!(
                    " and decrypted with `{}` (keys `password`, `salt`)",
                    offsite.encrypt.secret_name.as_deref().unwrap_or("?")
                )
            } else {
                String::new()
            }
        ),
    ]);
    steps.step(&[
        format!("Apply in the cluster of `{manager}`:"),
        format!("  ck8s-gen restore {name} --from-offsite | kubectl apply --server-side --field-manager=ck8s-gen-restore --force-conflicts -f -"),
        format!(
            "(Or pause the replication with `{}` and create only the Job.)",
            suspend_command(env, true)
        ),
    ]);
    steps.section("After:");
    let vns = &velero.namespace;
    steps.step(&[
        "Follow the copy until the Job completes:".to_owned(),
        format!("  kubectl -n {ns} logs -f job/{}", job_view.name),
        format!(
            "To run it again: kubectl -n {ns} delete job {} and apply again.",
            job_view.name
        ),
    ]);
    steps.step(&[
        format!("Velero finds the copied backups within a minute (backup sync of location `default`) in the cluster of `{name}`:"),
        format!("  velero -n {vns} backup get"),
    ]);
    steps.step(&[
        "Restore:".to_owned(),
        format!("  ck8s-gen restore {name} --from-schedule daily | kubectl create -f -   (or --backup NAME)"),
    ]);
    steps.step(&[
        format!("Once the restore is verified, resume the replication and remove the Job (cluster of `{manager}`):"),
        format!("  {}", suspend_command(env, false)),
        format!("  kubectl -n {ns} delete job {}", job_view.name),
        format!(
            "Delete the Secret `{}` too: the write credentials are only for the recovery.",
            offsite::restore_secret(env)
        ),
    ]);
    Ok(Plan {
        environment: name.clone(),
        cluster: manager.to_owned(),
        objects: vec![sync, job],
        warnings: Vec::new(),
        checklist: steps.text,
    })
}
