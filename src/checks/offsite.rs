//! Off-site replication that protects something: a destination elsewhere, run from outside the
//! workload cluster, with its credentials, encryption, versioning and expiry.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::{Environment, Role, StorageProvider};

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let o = &env.replication.offsite;
    if !o.enabled {
        return;
    }
    let Some(dest) = &o.destination else {
        cx.push(
            Diagnostic::error(
                Code::OffsiteDestinationMissing,
                "off-site replication is enabled without a destination",
            )
            .at(cx.at("/replication/offsite/enabled"), "enabled here")
            .help("add `destination: {provider: s3, endpoint: …, bucket: …, site: …}`"),
        );
        return;
    };
    let same_bucket = dest.bucket == env.storage.bucket
        && dest.endpoint == env.storage.endpoint
        && dest.provider == env.storage.provider;
    if same_bucket {
        cx.push(
            Diagnostic::error(
                Code::OffsiteSameAsPrimary,
                "the off-site destination is the primary bucket",
            )
            .at(
                cx.at("/replication/offsite/destination/bucket"),
                "same bucket",
            )
            .also(cx.at("/storage/bucket"), "primary bucket")
            .help("replicate to a bucket at another site (another endpoint or region)"),
        );
    } else if dest.site.is_some() && dest.site == env.cluster.site {
        cx.push(
            Diagnostic::warning(Code::OffsiteSameSite, "the off-site copy is at the cluster's own site")
                .at(cx.at("/replication/offsite/destination/site"), "same site as the cluster")
                .also(cx.at("/cluster/site"), "cluster site")
                .help("an off-site copy must survive the loss of the cluster's site; choose another data centre"),
        );
    }
    if o.initiated_from.as_deref() == Some("in-cluster") {
        cx.push(
            Diagnostic::error(Code::OffsiteFromWorkloadCluster, "off-site replication must not run inside the cluster it protects")
                .at(cx.at("/replication/offsite/initiatedFrom"), "in-cluster")
                .help("set `initiatedFrom: outside-cluster`: the sync runs from the management cluster so users (or attackers) of the workload cluster cannot reach the copy"),
        );
    }
    if env.cluster.role == Role::Workload && o.managed_by.is_none() {
        cx.push(
            Diagnostic::error(Code::OffsiteNeedsManagementCluster, "off-site replication of a workload cluster needs the management environment that runs it")
                .at(cx.at("/replication/offsite/enabled"), "enabled here")
                .help("add `managedBy: <management environment name>`; the rclone CronJobs are rendered for that cluster, never for the workload cluster"),
        );
    }
    if o.encrypt.directory_names && !o.encrypt.file_names {
        cx.push(
            Diagnostic::error(
                Code::CryptDirectoryNamesNeedFileNames,
                "encrypting directory names requires encrypting file names",
            )
            .at(
                cx.at("/replication/offsite/encrypt/directoryNames"),
                "directory names",
            )
            .help("set `fileNames: true` too"),
        );
    }
    if o.encrypt.enabled && o.encrypt.secret_name.is_none() {
        cx.push(
            Diagnostic::error(Code::CryptSecretMissing, "client-side encryption is enabled without the Secret holding its password and salt")
                .at(cx.at("/replication/offsite/encrypt/enabled"), "encryption on")
                .help("add `secretName:` naming a Secret with keys `password` and `salt` (in `rclone obscure` form)"),
        );
    }
    if dest.credentials.is_none() {
        cx.push(
            Diagnostic::error(Code::CredentialsMissing, "no credentials for the off-site destination")
                .at(cx.at("/replication/offsite/destination"), "destination without credentials")
                .help("add `credentials: {secretName: rclone-offsite-credentials}` referencing a Secret in the replication namespace"),
        );
    }
    if o.locked() && o.versioning == Some(false) {
        cx.push(
            Diagnostic::error(Code::OffsiteLockNeedsVersioning, "object lock without versioning cannot work: S3 locks object versions and turns versioning on with the lock")
                .at(cx.at("/replication/offsite/versioning"), "versioning off")
                .also(cx.at("/replication/offsite/objectLock/enabled"), "object lock on")
                .help("remove `versioning: false` (or set it `true`) and set `retentionDays` to the days after which the bucket's lifecycle expires non-current versions; `ck8s-gen offsite-bucket ENV` prints the configuration to apply"),
        );
    } else if o.versioned() && o.retention_days.is_none() && o.mode.as_deref() != Some("copy") {
        cx.push(
            Diagnostic::warning(Code::OffsiteVersionsWithoutExpiry, "the versioned off-site bucket keeps every deleted backup as a non-current version for ever: no lifecycle expiry is declared")
                .at(cx.at(if o.versioning.is_some() { "/replication/offsite/versioning" } else { "/replication/offsite/objectLock/enabled" }), "versioned")
                .help("set `retentionDays` (the days after which non-current versions expire) and apply the lifecycle rule `ck8s-gen offsite-bucket ENV` prints"),
        );
    }
    if o.mode.as_deref() == Some("copy") && o.retention_days.is_none() {
        cx.push(
            Diagnostic::warning(Code::OffsiteCopyWithoutExpiry, "`mode: copy` keeps deleted backups off-site forever unless the bucket expires them")
                .at(cx.at("/replication/offsite/mode"), "copy mode")
                .help("use `mode: sync`, or set `retentionDays` to the bucket's lifecycle expiry"),
        );
    }
    if dest.provider == StorageProvider::Azure
        && dest
            .azure
            .as_ref()
            .and_then(|a| a.storage_account.as_ref())
            .is_none()
    {
        cx.push(
            Diagnostic::error(
                Code::AzureSettingsMissing,
                "an Azure destination needs its storage account",
            )
            .at(
                cx.at("/replication/offsite/destination"),
                "azure destination",
            )
            .help("add `azure: {storageAccount: NAME}`"),
        );
    }
}
