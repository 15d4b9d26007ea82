//! Storage provider settings that belong together: credentials, region, endpoint, Azure account
//! and the encryption at rest the provider can do.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::{AtRest, Environment, StorageProvider};

pub(super) fn check(cx: &mut Ctx<'_>, env: &Environment) {
    let s = &env.storage;
    if s.provider == StorageProvider::Swift {
        cx.push(
            Diagnostic::error(Code::SwiftNotSupported, "Velero cannot write backups to Swift")
                .at(cx.at("/storage/provider"), "not supported by Velero")
                .help("use the provider's S3 API (`provider: s3` with its `endpoint`); Swift is only possible as an off-site destination"),
        );
    }
    if s.credentials.is_none() && !s.use_workload_identity {
        cx.push(
            Diagnostic::error(Code::CredentialsMissing, "no credentials for the backup bucket")
                .at(cx.at("/storage"), "storage without credentials")
                .help("add `credentials: {secretName: velero-credentials, key: cloud}` referencing a Secret in the Velero namespace, or set `useWorkloadIdentity: true`"),
        );
    }
    if s.provider == StorageProvider::S3 && s.endpoint.is_some() && s.region.is_none() {
        cx.push(
            Diagnostic::error(Code::RegionRequired, "an S3-compatible endpoint needs an explicit region")
                .at(cx.at("/storage/endpoint"), "custom endpoint")
                .help("add `region:` (e.g. `sto1`); without it the AWS plugin fails with \"A region must be set\""),
        );
    }
    if s.endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"))
        && s.encryption.in_transit
    {
        cx.push(
            Diagnostic::error(
                Code::PlaintextEndpoint,
                "the storage endpoint is plain `http://` but encryption in transit is declared",
            )
            .at(cx.at("/storage/endpoint"), "not TLS")
            .help("use the `https://` endpoint"),
        );
    }
    if s.provider == StorageProvider::Azure
        && s.azure
            .as_ref()
            .is_none_or(|a| a.storage_account.is_none() || (a.resource_group.is_none()))
    {
        cx.push(
            Diagnostic::error(
                Code::AzureSettingsMissing,
                "Azure storage needs a storage account and a resource group",
            )
            .at(cx.at("/storage"), "azure storage")
            .help("add `azure: {storageAccount: NAME, resourceGroup: GROUP}`"),
        );
    }
    let e = &s.encryption;
    let mismatch = |what: &str, help: &str| {
        Diagnostic::error(Code::EncryptionMismatch, what.to_owned())
            .at(None, "")
            .help(help.to_owned())
    };
    let problem = match (e.at_rest, s.provider) {
        (AtRest::SseS3 | AtRest::SseKms | AtRest::SseC, p) if p != StorageProvider::S3 => {
            Some(mismatch(
                &format!(
                    "`{}` encryption is an S3 feature, but the storage provider is `{}`",
                    e.at_rest.as_str(),
                    s.provider.as_str()
                ),
                "use `provider-managed` (the provider encrypts every object) or `gcp-kms` for GCS",
            ))
        }
        (AtRest::GcpKms, p) if p != StorageProvider::Gcs => Some(mismatch(
            "`gcp-kms` encryption needs GCS storage",
            "use `sse-kms` for S3 or `provider-managed`",
        )),
        (AtRest::SseKms, _) if e.kms_key_id.is_none() => Some(mismatch(
            "`sse-kms` needs `kmsKeyId`",
            "add `kmsKeyId:` with the KMS key id, alias or ARN",
        )),
        (AtRest::GcpKms, _) if e.kms_key_name.is_none() => Some(mismatch(
            "`gcp-kms` needs `kmsKeyName`",
            "add `kmsKeyName: projects/P/locations/L/keyRings/R/cryptoKeys/K`",
        )),
        (AtRest::SseC, _) if e.customer_key.is_none() => Some(mismatch(
            "`sse-c` needs `customerKey`",
            "add `customerKey: {secretName: NAME, key: KEY}` referencing the 32-byte key",
        )),
        _ => None,
    };
    if let Some(mut d) = problem {
        d.primary = cx
            .at("/storage/encryption/atRest")
            .map(|location| crate::diagnostic::Label {
                location,
                message: "encryption setting".to_owned(),
            });
        cx.push(d);
    }
    if e.kms_key_id.is_some() && e.at_rest != AtRest::SseKms {
        cx.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                "`kmsKeyId` is set but `atRest` is not `sse-kms`",
            )
            .at(cx.at("/storage/encryption/kmsKeyId"), "ignored")
            .help("set `atRest: sse-kms` or remove `kmsKeyId`"),
        );
    }
}
