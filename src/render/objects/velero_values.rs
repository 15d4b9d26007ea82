//! Helm values for the vmware-tanzu/velero chart 12.x, typed: the keys ck8s-gen relies on, with
//! their types. Every key a template writes (modelled here or not) is also checked against the
//! chart's own `values.yaml` / `values.schema.json` (see `crate::schema::chart`): Helm ignores a misspelt
//! key silently, so a typo is a render error with a did-you-mean, never an ignored setting. So
//! a `--templates` values template may set any chart value; `credentials` stays closed (a
//! secret must never be written into the values).

use k8s_openapi::api::core::v1::Container;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VeleroValues {
    /// Provider plugins, copied into `/target` (the chart's `plugins` volume).
    pub init_containers: Vec<Container>,
    pub deploy_node_agent: bool,
    /// `image.repository` from a registry mirror (other keys: the chart's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubectl: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_agent: Option<serde_json::Value>,
    /// `false`: ck8s-gen renders the BackupStorageLocations itself (one source of truth).
    pub backups_enabled: bool,
    /// `false`: no VolumeSnapshotLocation; CSI snapshots need none.
    pub snapshots_enabled: bool,
    #[serde(rename = "upgradeCRDs")]
    pub upgrade_crds: bool,
    pub credentials: Credentials,
    pub configuration: Configuration,
    pub metrics: Metrics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ServiceAccounts>,
    /// Always empty: the Schedules are rendered as objects, with names not prefixed by the chart.
    pub schedules: BTreeMap<String, serde_json::Value>,
    pub config_maps: BTreeMap<String, ChartConfigMap>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    pub use_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_secret: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// Lists (the map form fails the chart since 4.0.0); empty because `backupsEnabled` is false.
    pub backup_storage_location: Vec<serde_json::Value>,
    pub volume_snapshot_location: Vec<serde_json::Value>,
    pub uploader_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backup_storage_location: Option<String>,
    #[serde(
        rename = "defaultBackupTTL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_backup_ttl: Option<String>,
    pub default_volumes_to_fs_backup: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_snapshot_move_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<String>,
    /// Comma-separated, as the `--restore-resource-priorities` server flag takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_resource_priorities: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub enabled: bool,
    pub service_monitor: Toggle,
    pub node_agent_pod_monitor: Toggle,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

/// An entry of the chart's `configMaps` (rendered as `<fullname>-<key>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartConfigMap {
    pub labels: BTreeMap<String, String>,
    pub data: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccounts {
    pub server: ServiceAccountValues,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountValues {
    pub annotations: BTreeMap<String, String>,
}
