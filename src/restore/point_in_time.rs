//! Point-in-time recovery (`--from-offsite --at TIME`): the time checked and written as rclone's
//! `version_at` takes it.

use super::error::{RestoreError, usage};
use crate::environment::model::{Environment, StorageProvider};

/// `--at TIME`: an RFC 3339 time (any offset), as rclone's `version_at` takes it (UTC). Needs a
/// versioned S3 destination: only the S3 backend of rclone reads versions.
pub(super) fn point_in_time(text: &str, env: &Environment) -> Result<String, RestoreError> {
    let offsite = &env.replication.offsite;
    let at: k8s_openapi::jiff::Timestamp = text.parse().map_err(|e| {
        usage(format!(
            "--at `{text}` is not an RFC 3339 time ({e}); write e.g. `2026-11-24T03:00:00Z` or `2026-11-24T04:00:00+01:00`"
        ))
    })?;
    if offsite.destination.as_ref().map(|d| d.provider) != Some(StorageProvider::S3) {
        return Err(usage(
            "--at reads object versions, which rclone supports on S3 destinations only",
        ));
    }
    if !offsite.versioned() {
        return Err(usage(format!(
            "--at needs a versioned off-site bucket: the copy of `{}` has neither `replication.offsite.versioning: true` nor object lock, so there are no earlier versions to read",
            env.metadata.name
        )));
    }
    Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}
