//! Off-site replication: the rclone CronJob that copies an environment's backup prefix to its
//! off-site bucket. It runs in the management cluster named by `replication.offsite.managedBy`
//! (a management environment replicating its own bucket runs it itself), never in the workload
//! cluster whose backups it protects. rclone is configured only through environment variables
//! (`RCLONE_CONFIG_<REMOTE>_<OPTION>`); credentials only as `secretKeyRef`s.

use super::context::{ContextError, base_labels};
use crate::environment::model::{
    AtRest, Environment, ObjectLock, Role, SecretRef, StorageProvider,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Secret keys rclone reads, per storage API (documented in the README).
pub const S3_ACCESS_KEY: &str = "access-key-id";
pub const S3_SECRET_KEY: &str = "secret-access-key";
pub const GCS_CREDENTIALS_KEY: &str = "service-account.json";
pub const AZURE_KEY: &str = "storage-account-key";
pub const CRYPT_PASSWORD_KEY: &str = "password";
pub const CRYPT_SALT_KEY: &str = "salt";

#[derive(Clone, Debug, Serialize)]
pub struct RcloneJobView {
    pub name: String,
    pub namespace: String,
    /// The management environment whose tree (and cluster) holds the job.
    pub manager: String,
    /// The environment whose backups are replicated.
    pub source_environment: String,
    pub labels: BTreeMap<String, String>,
    pub schedule: String,
    pub time_zone: Option<String>,
    /// `spec.suspend: true`: the replication is paused (disaster recovery in progress).
    pub suspend: bool,
    pub active_deadline_seconds: u32,
    pub image: String,
    /// The container's `command` (`rclone`, or the wipe-guard shell script of a sync).
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVarView>,
    /// Secrets imported whole with `envFrom` (Swift's `OS_*` variables).
    pub env_from_secrets: Vec<String>,
}

/// One environment variable: a literal value or a key of a Secret.
#[derive(Clone, Debug, Serialize)]
pub struct EnvVarView {
    pub name: String,
    pub value: Option<String>,
    pub secret_name: Option<String>,
    pub secret_key: Option<String>,
}

impl EnvVarView {
    pub fn value(name: impl Into<String>, value: impl Into<String>) -> EnvVarView {
        EnvVarView {
            name: name.into(),
            value: Some(value.into()),
            secret_name: None,
            secret_key: None,
        }
    }

    pub fn secret(name: impl Into<String>, secret: &str, key: &str) -> EnvVarView {
        EnvVarView {
            name: name.into(),
            value: None,
            secret_name: Some(secret.to_owned()),
            secret_key: Some(key.to_owned()),
        }
    }
}

/// The environment that runs `env`'s replication, when it is on.
pub fn manager_of(env: &Environment) -> Option<String> {
    let offsite = &env.replication.offsite;
    if !offsite.enabled {
        return None;
    }
    match (&offsite.managed_by, env.cluster.role) {
        (Some(manager), _) => Some(manager.clone()),
        (None, Role::Management) => Some(env.metadata.name.clone()),
        (None, Role::Workload) => None,
    }
}

/// Name of the Secret with rclone's credentials for reading `env`'s primary bucket.
pub fn source_secret(env: &Environment) -> String {
    env.replication
        .offsite
        .source_credentials
        .as_ref()
        .map(|s| s.secret_name.clone())
        .unwrap_or_else(|| format!("rclone-source-{}", env.metadata.name))
}

/// `CRON_TZ=Zone 0 5 * * *` → (`0 5 * * *`, `Zone`): a CronJob takes the zone in `timeZone`.
pub fn split_time_zone(schedule: &str) -> (String, Option<String>) {
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = schedule.trim().strip_prefix(prefix)
            && let Some((zone, cron)) = rest.split_once(char::is_whitespace)
        {
            return (cron.trim().to_owned(), Some(zone.to_owned()));
        }
    }
    (schedule.trim().to_owned(), None)
}

struct Remote<'a> {
    provider: StorageProvider,
    /// SSE-C: the Secret (name, key) with the customer key of the bucket's objects.
    sse_customer_key: Option<(&'a str, &'a str)>,
    /// Object lock with a default retention: S3 refuses a single-part PUT without Content-MD5,
    /// which rclone cannot send for what it encrypts (or reads from an SSE-C source).
    multipart_only: bool,
    /// Point-in-time read: rclone's `version_at` (RFC 3339).
    version_at: Option<&'a str>,
    endpoint: Option<&'a str>,
    region: Option<&'a str>,
    force_path_style: Option<bool>,
    azure_account: Option<&'a str>,
    secret: String,
}

/// rclone settings of one remote (`SRC`, `DST`) as environment variables.
fn remote_env(remote: &str, r: &Remote<'_>, out: &mut Vec<EnvVarView>, env_from: &mut Vec<String>) {
    let var = |option: &str| format!("RCLONE_CONFIG_{remote}_{option}");
    match r.provider {
        StorageProvider::S3 => {
            out.push(EnvVarView::value(var("TYPE"), "s3"));
            out.push(EnvVarView::value(
                var("PROVIDER"),
                if r.endpoint.is_some() { "Other" } else { "AWS" },
            ));
            out.push(EnvVarView::value(var("ENV_AUTH"), "false"));
            out.push(EnvVarView::secret(
                var("ACCESS_KEY_ID"),
                &r.secret,
                S3_ACCESS_KEY,
            ));
            out.push(EnvVarView::secret(
                var("SECRET_ACCESS_KEY"),
                &r.secret,
                S3_SECRET_KEY,
            ));
            if let Some(endpoint) = r.endpoint {
                out.push(EnvVarView::value(var("ENDPOINT"), endpoint));
            }
            if let Some(region) = r.region {
                out.push(EnvVarView::value(var("REGION"), region));
            }
            if let Some(path_style) = r.force_path_style {
                out.push(EnvVarView::value(
                    var("FORCE_PATH_STYLE"),
                    path_style.to_string(),
                ));
            }
            // Least privilege: never try to create the bucket.
            out.push(EnvVarView::value(var("NO_CHECK_BUCKET"), "true"));
            if let Some((secret, key)) = r.sse_customer_key {
                out.push(EnvVarView::value(var("SSE_CUSTOMER_ALGORITHM"), "AES256"));
                out.push(EnvVarView::secret(var("SSE_CUSTOMER_KEY"), secret, key));
            }
            if r.multipart_only {
                // rclone's documented work-around for object-lock buckets: every upload is a
                // multipart upload, whose parts carry Content-MD5.
                out.push(EnvVarView::value(var("UPLOAD_CUTOFF"), "0"));
            }
            if let Some(at) = r.version_at {
                out.push(EnvVarView::value(var("VERSION_AT"), at));
            }
        }
        StorageProvider::Gcs => {
            out.push(EnvVarView::value(var("TYPE"), "google cloud storage"));
            out.push(EnvVarView::value(var("ENV_AUTH"), "false"));
            out.push(EnvVarView::value(var("BUCKET_POLICY_ONLY"), "true"));
            out.push(EnvVarView::secret(
                var("SERVICE_ACCOUNT_CREDENTIALS"),
                &r.secret,
                GCS_CREDENTIALS_KEY,
            ));
        }
        StorageProvider::Azure => {
            out.push(EnvVarView::value(var("TYPE"), "azureblob"));
            if let Some(account) = r.azure_account {
                out.push(EnvVarView::value(var("ACCOUNT"), account));
            }
            out.push(EnvVarView::secret(var("KEY"), &r.secret, AZURE_KEY));
        }
        StorageProvider::Swift => {
            // Keystone credentials come as the standard `OS_*` variables of the Secret.
            out.push(EnvVarView::value(var("TYPE"), "swift"));
            out.push(EnvVarView::value(var("ENV_AUTH"), "true"));
            if let Some(endpoint) = r.endpoint {
                out.push(EnvVarView::value(var("AUTH"), endpoint));
            }
            if let Some(region) = r.region {
                out.push(EnvVarView::value(var("REGION"), region));
            }
            env_from.push(r.secret.clone());
        }
    }
}

/// Name of the Secret with rclone's credentials for *writing* `env`'s primary bucket when the
/// off-site copy is restored into it (the replication's own source Secret should be read-only).
pub fn restore_secret(env: &Environment) -> String {
    format!("rclone-restore-{}", env.metadata.name)
}

fn context_error(env: &Environment, message: &str) -> ContextError {
    ContextError {
        environment: env.metadata.name.clone(),
        message: message.to_owned(),
    }
}

/// Key name of the SSE-C customer key in its Secret when `customerKey.key` is unset.
pub const SSE_CUSTOMER_KEY_DEFAULT: &str = "customer-key";

/// The Secret (name, key) holding the primary bucket's SSE-C key, when it uses SSE-C.
fn sse_customer_key(env: &Environment) -> Option<(&str, &str)> {
    let e = &env.storage.encryption;
    if e.at_rest != AtRest::SseC {
        return None;
    }
    let key = e.customer_key.as_ref()?;
    Some((
        key.secret_name.as_str(),
        key.key.as_deref().unwrap_or(SSE_CUSTOMER_KEY_DEFAULT),
    ))
}

/// The primary bucket as an rclone remote, with the credentials in `secret`.
fn primary_remote(env: &Environment, secret: String) -> Remote<'_> {
    let s = &env.storage;
    Remote {
        provider: s.provider,
        sse_customer_key: sse_customer_key(env),
        multipart_only: false,
        version_at: None,
        endpoint: s.endpoint.as_deref(),
        region: s.region.as_deref(),
        force_path_style: s.force_path_style,
        azure_account: s.azure.as_ref().and_then(|a| a.storage_account.as_deref()),
        secret,
    }
}

/// The off-site bucket as an rclone remote, with the destination's credentials.
fn offsite_remote(env: &Environment) -> Result<(Remote<'_>, &str), ContextError> {
    let dest = env
        .replication
        .offsite
        .destination
        .as_ref()
        .ok_or_else(|| {
            context_error(env, "off-site replication is enabled without a destination")
        })?;
    let secret = dest
        .credentials
        .as_ref()
        .map(|c: &SecretRef| c.secret_name.clone())
        .ok_or_else(|| context_error(env, "the off-site destination has no credentials"))?;
    let offsite = &env.replication.offsite;
    Ok((
        Remote {
            provider: dest.provider,
            sse_customer_key: None,
            multipart_only: offsite.locked()
                && (offsite.encrypt.enabled || sse_customer_key(env).is_some()),
            version_at: None,
            endpoint: dest.endpoint.as_deref(),
            region: dest.region.as_deref(),
            force_path_style: dest.force_path_style,
            azure_account: dest
                .azure
                .as_ref()
                .and_then(|a| a.storage_account.as_deref()),
            secret,
        },
        dest.bucket.as_str(),
    ))
}

/// The `CRYPT` remote over `wrapped` (the off-site path) when the copy is encrypted: its
/// variables are appended and the remote to use instead of `wrapped` is returned.
fn crypt_remote(
    env: &Environment,
    wrapped: String,
    vars: &mut Vec<EnvVarView>,
) -> Result<String, ContextError> {
    let encrypt = &env.replication.offsite.encrypt;
    if !encrypt.enabled {
        return Ok(wrapped);
    }
    let secret = encrypt
        .secret_name
        .as_deref()
        .ok_or_else(|| context_error(env, "off-site encryption is enabled without `secretName`"))?;
    vars.push(EnvVarView::value("RCLONE_CONFIG_CRYPT_TYPE", "crypt"));
    vars.push(EnvVarView::value("RCLONE_CONFIG_CRYPT_REMOTE", wrapped));
    vars.push(EnvVarView::value(
        "RCLONE_CONFIG_CRYPT_FILENAME_ENCRYPTION",
        if encrypt.file_names {
            "standard"
        } else {
            "off"
        },
    ));
    vars.push(EnvVarView::value(
        "RCLONE_CONFIG_CRYPT_DIRECTORY_NAME_ENCRYPTION",
        encrypt.directory_names.to_string(),
    ));
    vars.push(EnvVarView::secret(
        "RCLONE_CONFIG_CRYPT_PASSWORD",
        secret,
        CRYPT_PASSWORD_KEY,
    ));
    vars.push(EnvVarView::secret(
        "RCLONE_CONFIG_CRYPT_PASSWORD2",
        secret,
        CRYPT_SALT_KEY,
    ));
    Ok("crypt:".to_owned())
}

/// No config file: rclone reads its remotes from the variables; /tmp is the only writable
/// path (readOnlyRootFilesystem).
fn runtime_env(vars: &mut Vec<EnvVarView>) {
    vars.push(EnvVarView::value("HOME", "/tmp"));
    vars.push(EnvVarView::value("RCLONE_CONFIG", "/tmp/rclone.conf"));
    vars.push(EnvVarView::value("RCLONE_CACHE_DIR", "/tmp/cache"));
}

/// The sync's shell wrapper (busybox `sh` of the rclone image): the wipe guard.
pub const SYNC_SCRIPT: &str = include_str!("offsite-sync.sh");

/// The rclone command line: listing in one request per 1000 objects (`--fast-list`), comparing
/// by listing data only (no HEAD per object: `--checksum` where both sides list an MD5,
/// `--size-only` through crypt, which has no hash), and a clean stop with its summary before the
/// Job's deadline kills it.
fn rclone_args(
    env: &Environment,
    verb: &str,
    from: String,
    to: String,
    deadline: u32,
) -> Vec<String> {
    let compare = if env.replication.offsite.encrypt.enabled || sse_customer_key(env).is_some() {
        "--size-only"
    } else {
        "--checksum"
    };
    // Ten percent of the deadline (at most 10 minutes) is left for the summary and the exit.
    let stop = deadline - (deadline / 10).min(600);
    vec![
        verb.to_owned(),
        from,
        to,
        "--fast-list".to_owned(),
        compare.to_owned(),
        format!("--max-duration={stop}s"),
        "--log-level=INFO".to_owned(),
        "--stats=5m".to_owned(),
        "--stats-one-line".to_owned(),
    ]
}

/// `replication.offsite.maxDeletePercent`, default 25.
pub fn max_delete_percent(env: &Environment) -> u8 {
    env.replication.offsite.max_delete_percent.unwrap_or(25)
}

/// Labels of an rclone workload (`app` is `rclone-sync` or `rclone-restore`).
fn job_labels(env: &Environment, manager: &str, app: &str) -> BTreeMap<String, String> {
    let mut labels = base_labels(manager);
    labels.insert("app.kubernetes.io/name".to_owned(), app.to_owned());
    labels.insert(
        "ck8s-gen.io/source-environment".to_owned(),
        env.metadata.name.clone(),
    );
    labels
}

/// The namespace of `env`'s replication jobs in the management cluster.
pub fn namespace_of(env: &Environment) -> String {
    env.replication
        .offsite
        .namespace
        .clone()
        .unwrap_or_else(|| "rclone".to_owned())
}

/// The replication schedule of `env`, split into cron and time zone.
pub fn sync_schedule(env: &Environment) -> (String, Option<String>) {
    split_time_zone(
        env.replication
            .offsite
            .schedule
            .as_deref()
            .unwrap_or("0 5 * * *"),
    )
}

/// `activeDeadlineSeconds` of `env`'s replication job.
pub fn sync_deadline_seconds(env: &Environment) -> u32 {
    env.replication
        .offsite
        .active_deadline_seconds
        .unwrap_or(14_400)
}

fn image(env: &Environment) -> String {
    let offsite = &env.replication.offsite;
    let image = offsite
        .image
        .clone()
        .unwrap_or_else(|| "docker.io/rclone/rclone:1.72.0".to_owned());
    match &offsite.image_digest {
        Some(digest) => format!("{image}@{digest}"),
        None => image,
    }
}

/// The CronJob for `env`'s replication, placed in the tree of `manager`.
pub fn rclone_job(env: &Environment, manager: &str) -> Result<RcloneJobView, ContextError> {
    let name = &env.metadata.name;
    let offsite = &env.replication.offsite;
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let mut vars = Vec::new();
    let mut env_from = Vec::new();
    remote_env(
        "SRC",
        &primary_remote(env, source_secret(env)),
        &mut vars,
        &mut env_from,
    );
    let (dest, dest_bucket) = offsite_remote(env)?;
    remote_env("DST", &dest, &mut vars, &mut env_from);
    let source = format!("src:{}/{prefix}", env.storage.bucket);
    let target = crypt_remote(env, format!("dst:{dest_bucket}/{prefix}"), &mut vars)?;
    let verb = match offsite.mode.as_deref() {
        Some("copy") => "copy",
        _ => "sync",
    };
    let command = if verb == "sync" {
        vars.push(EnvVarView::value(
            "MAX_DELETE_PERCENT",
            max_delete_percent(env).to_string(),
        ));
        vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            SYNC_SCRIPT.to_owned(),
            "rclone-sync".to_owned(),
        ]
    } else {
        vec!["rclone".to_owned()]
    };
    runtime_env(&mut vars);
    let (schedule, time_zone) = sync_schedule(env);
    let deadline = sync_deadline_seconds(env);
    Ok(RcloneJobView {
        name: format!("rclone-sync-{name}"),
        namespace: namespace_of(env),
        manager: manager.to_owned(),
        source_environment: name.clone(),
        labels: job_labels(env, manager, "rclone-sync"),
        schedule,
        time_zone,
        suspend: false,
        active_deadline_seconds: deadline,
        image: image(env),
        command,
        args: rclone_args(env, verb, source, target, deadline),
        env: vars,
        env_from_secrets: env_from,
    })
}

/// Disaster recovery from the off-site copy: the reverse of `env`'s replication, run once in
/// `manager`'s cluster. It reads the off-site copy (decrypting it through the `CRYPT` remote
/// when it is encrypted) and copies it into the primary bucket and prefix, where Velero finds
/// the backups again.
///
/// `copy`, not `sync`: it only adds and updates objects, so backups written to the primary
/// after the last replication (and anything else there) survive. Velero's own garbage
/// collection removes expired backups afterwards. The primary side uses the write credentials
/// of [`restore_secret`], not the replication's read-only source Secret.
///
/// The result is laid out like the replication CronJob (same template, schedule unused); turn
/// it into the one-shot Job with [`crate::render::objects`]'s CronJob → Job conversion.
///
/// `at` (RFC 3339, UTC) reads the copy as it was at that time (rclone's `version_at`: the newest
/// version of each object not newer than `at`, objects deleted by then left out): the way back
/// to the state before a wipe or a tampering that reached the off-site copy.
pub fn rclone_restore_job(
    env: &Environment,
    manager: &str,
    at: Option<&str>,
) -> Result<RcloneJobView, ContextError> {
    let name = &env.metadata.name;
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let mut vars = Vec::new();
    let mut env_from = Vec::new();
    let (mut offsite, offsite_bucket) = offsite_remote(env)?;
    offsite.multipart_only = false;
    offsite.version_at = at;
    remote_env("OFFSITE", &offsite, &mut vars, &mut env_from);
    remote_env(
        "PRIMARY",
        &primary_remote(env, restore_secret(env)),
        &mut vars,
        &mut env_from,
    );
    let source = crypt_remote(env, format!("offsite:{offsite_bucket}/{prefix}"), &mut vars)?;
    let target = format!("primary:{}/{prefix}", env.storage.bucket);
    runtime_env(&mut vars);
    let (schedule, time_zone) = sync_schedule(env);
    let deadline = sync_deadline_seconds(env).max(RESTORE_DEADLINE_SECONDS);
    Ok(RcloneJobView {
        name: format!("rclone-restore-{name}"),
        namespace: namespace_of(env),
        manager: manager.to_owned(),
        source_environment: name.clone(),
        labels: job_labels(env, manager, "rclone-restore"),
        schedule,
        time_zone,
        suspend: false,
        // A whole bucket may take long; a re-run resumes (copy skips what is already there).
        active_deadline_seconds: deadline,
        image: image(env),
        command: vec!["rclone".to_owned()],
        args: rclone_args(env, "copy", source, target, deadline),
        env: vars,
        env_from_secrets: env_from,
    })
}

/// What the operator applies on the off-site bucket (S3 API shapes, as `aws s3api put-bucket-…`
/// takes them): versioning, the object-lock default retention and the lifecycle rule that
/// expires non-current versions (after `retentionDays`, else after the lock days) and the
/// delete markers left behind. Without it, object lock keeps every deleted backup for ever.
/// `None` when `env` has no off-site replication. Several environments sharing one bucket
/// each contribute one rule (its `ID` names the environment); a bucket has one lifecycle
/// configuration, so merge the rules.
pub fn bucket_configuration(env: &Environment) -> Option<serde_json::Value> {
    use serde_json::json;
    let offsite = &env.replication.offsite;
    let dest = offsite.destination.as_ref().filter(|_| offsite.enabled)?;
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let mut out = serde_json::Map::new();
    out.insert("bucket".into(), json!(dest.bucket));
    out.insert("endpoint".into(), json!(dest.endpoint));
    out.insert(
        "versioning".into(),
        json!({"Status": if offsite.versioned() { "Enabled" } else { "Suspended" }}),
    );
    if let Some(lock) = offsite.object_lock.as_ref().filter(|l| l.enabled) {
        let mut retention = serde_json::Map::new();
        retention.insert(
            "Mode".into(),
            json!(lock.mode.as_deref().unwrap_or("governance").to_uppercase()),
        );
        if let Some(days) = lock.days {
            retention.insert("Days".into(), json!(days));
        }
        out.insert(
            "objectLock".into(),
            json!({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}),
        );
    }
    let expiry = offsite
        .retention_days
        .or_else(|| ObjectLock::active_days(offsite.object_lock.as_ref()));
    if let (true, Some(days)) = (offsite.versioned(), expiry) {
        out.insert(
            "lifecycle".into(),
            json!({"Rules": [{
                "ID": format!("ck8s-gen-{}-noncurrent-versions", env.metadata.name),
                "Status": "Enabled",
                "Filter": {"Prefix": format!("{prefix}/")},
                "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                "Expiration": {"ExpiredObjectDeleteMarker": true},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }]}),
        );
    }
    Some(serde_json::Value::Object(out))
}

/// The least `activeDeadlineSeconds` of the off-site restore Job (24 hours).
pub const RESTORE_DEADLINE_SECONDS: u32 = 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_prefixes_move_to_time_zone() {
        assert_eq!(
            split_time_zone("CRON_TZ=Europe/Stockholm 0 5 * * *"),
            ("0 5 * * *".to_owned(), Some("Europe/Stockholm".to_owned()))
        );
        assert_eq!(
            split_time_zone("TZ=UTC @daily"),
            ("@daily".to_owned(), Some("UTC".to_owned()))
        );
        assert_eq!(split_time_zone("0 5 * * *"), ("0 5 * * *".to_owned(), None));
    }
}
