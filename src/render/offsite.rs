//! Off-site replication: the rclone CronJob that copies an environment's backup prefix to its
//! off-site bucket. It runs in the management cluster named by `replication.offsite.managedBy`
//! (a management environment replicating its own bucket runs it itself), never in the workload
//! cluster whose backups it protects. rclone is configured only through environment variables
//! (`RCLONE_CONFIG_<REMOTE>_<OPTION>`); credentials only as `secretKeyRef`s.

use super::context::{ContextError, base_labels};
use crate::model::{Environment, Role, SecretRef, StorageProvider};
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
    pub active_deadline_seconds: u32,
    pub image: String,
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
    fn value(name: impl Into<String>, value: impl Into<String>) -> EnvVarView {
        EnvVarView {
            name: name.into(),
            value: Some(value.into()),
            secret_name: None,
            secret_key: None,
        }
    }

    fn secret(name: impl Into<String>, secret: &str, key: &str) -> EnvVarView {
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

/// The CronJob for `env`'s replication, placed in the tree of `manager`.
pub fn rclone_job(env: &Environment, manager: &str) -> Result<RcloneJobView, ContextError> {
    let name = &env.metadata.name;
    let fail = |message: &str| ContextError {
        environment: name.clone(),
        message: message.to_owned(),
    };
    let offsite = &env.replication.offsite;
    let dest = offsite
        .destination
        .as_ref()
        .ok_or_else(|| fail("off-site replication is enabled without a destination"))?;
    let dest_secret = dest
        .credentials
        .as_ref()
        .map(|c: &SecretRef| c.secret_name.clone())
        .ok_or_else(|| fail("the off-site destination has no credentials"))?;
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let s = &env.storage;
    let mut vars = Vec::new();
    let mut env_from = Vec::new();
    remote_env(
        "SRC",
        &Remote {
            provider: s.provider,
            endpoint: s.endpoint.as_deref(),
            region: s.region.as_deref(),
            force_path_style: s.force_path_style,
            azure_account: s.azure.as_ref().and_then(|a| a.storage_account.as_deref()),
            secret: source_secret(env),
        },
        &mut vars,
        &mut env_from,
    );
    remote_env(
        "DST",
        &Remote {
            provider: dest.provider,
            endpoint: dest.endpoint.as_deref(),
            region: dest.region.as_deref(),
            force_path_style: dest.force_path_style,
            azure_account: dest
                .azure
                .as_ref()
                .and_then(|a| a.storage_account.as_deref()),
            secret: dest_secret,
        },
        &mut vars,
        &mut env_from,
    );
    let source = format!("src:{}/{prefix}", s.bucket);
    let destination_path = format!("dst:{}/{prefix}", dest.bucket);
    let target = if offsite.encrypt.enabled {
        let secret = offsite
            .encrypt
            .secret_name
            .as_deref()
            .ok_or_else(|| fail("off-site encryption is enabled without `secretName`"))?;
        vars.push(EnvVarView::value("RCLONE_CONFIG_CRYPT_TYPE", "crypt"));
        vars.push(EnvVarView::value(
            "RCLONE_CONFIG_CRYPT_REMOTE",
            destination_path,
        ));
        vars.push(EnvVarView::value(
            "RCLONE_CONFIG_CRYPT_FILENAME_ENCRYPTION",
            if offsite.encrypt.file_names {
                "standard"
            } else {
                "off"
            },
        ));
        vars.push(EnvVarView::value(
            "RCLONE_CONFIG_CRYPT_DIRECTORY_NAME_ENCRYPTION",
            offsite.encrypt.directory_names.to_string(),
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
        "crypt:".to_owned()
    } else {
        destination_path
    };
    // No config file: rclone reads its remotes from the variables above; /tmp is the only
    // writable path (readOnlyRootFilesystem).
    vars.push(EnvVarView::value("HOME", "/tmp"));
    vars.push(EnvVarView::value("RCLONE_CONFIG", "/tmp/rclone.conf"));
    vars.push(EnvVarView::value("RCLONE_CACHE_DIR", "/tmp/cache"));
    let verb = match offsite.mode.as_deref() {
        Some("copy") => "copy",
        _ => "sync",
    };
    let (schedule, time_zone) = split_time_zone(offsite.schedule.as_deref().unwrap_or("0 5 * * *"));
    let mut labels = base_labels(manager);
    labels.insert(
        "app.kubernetes.io/name".to_owned(),
        "rclone-sync".to_owned(),
    );
    labels.insert("ck8s-gen.io/source-environment".to_owned(), name.clone());
    Ok(RcloneJobView {
        name: format!("rclone-sync-{name}"),
        namespace: offsite
            .namespace
            .clone()
            .unwrap_or_else(|| "rclone".to_owned()),
        manager: manager.to_owned(),
        source_environment: name.clone(),
        labels,
        schedule,
        time_zone,
        active_deadline_seconds: offsite.active_deadline_seconds.unwrap_or(14_400),
        image: offsite
            .image
            .clone()
            .unwrap_or_else(|| "docker.io/rclone/rclone:1.72.0".to_owned()),
        args: vec![
            verb.to_owned(),
            source,
            target,
            "--log-level=INFO".to_owned(),
            "--stats=5m".to_owned(),
            "--stats-one-line".to_owned(),
        ],
        env: vars,
        env_from_secrets: env_from,
    })
}

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
