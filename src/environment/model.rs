//! The typed environment: what an environment file means once defaults are layered in and the
//! schema has accepted it. Field names and shapes mirror `schemas/environment.schema.json`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub cluster: Cluster,
    #[serde(default)]
    pub compliance: Vec<String>,
    pub backup: Backup,
    pub storage: Storage,
    #[serde(default)]
    pub replication: Replication,
    #[serde(default)]
    pub restore_test: Option<RestoreTest>,
    #[serde(default)]
    pub integrity_check: Option<IntegrityCheck>,
    #[serde(default)]
    pub monitoring: Monitoring,
    #[serde(default)]
    pub documentation: Documentation,
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    pub gitops: GitOps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `cluster.role` (and `init --role`): the same spelling in the file and on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Workload,
    Management,
}

impl Role {
    /// The spelling in the environment file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Workload => "workload",
            Role::Management => "management",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    pub role: Role,
    pub provider: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub protection_need: Option<String>,
    #[serde(default)]
    pub availability_need: Option<String>,
    #[serde(default)]
    pub dora_entity: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backup {
    pub enabled: bool,
    pub schedule: String,
    pub retention: Retention,
    #[serde(default)]
    pub tiers: Vec<Tier>,
    #[serde(default)]
    pub rpo_hours: Option<f64>,
    #[serde(default)]
    pub rto_hours: Option<f64>,
    #[serde(default)]
    pub max_interval_hours: Option<f64>,
    pub scope: Scope,
    pub dashboards: Dashboards,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retention {
    pub ttl: String,
    #[serde(default)]
    pub min_days: Option<u32>,
    #[serde(default)]
    pub max_days: Option<u32>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decided_at: Option<String>,
    #[serde(default)]
    pub decision_ref: Option<String>,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub legal_obligation: Option<LegalObligation>,
    #[serde(default)]
    pub restore_only: Option<bool>,
}

/// Evidence of a fact: a reference an auditor can follow, or (older files) a bare flag, which
/// loads but is not evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Evidenced {
    Ref(EvidenceRef),
    Flag(bool),
}

/// Where the evidence is: a document id or URL, when it was produced, and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    #[serde(rename = "ref")]
    pub reference: String,
    pub date: String,
    pub by: String,
}

/// What obliges keeping backups longer (GDPR Art. 17(3)(b)): the provision and what it covers.
/// Free text (older files) still loads, but does not silence GDPR-03.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LegalObligation {
    Cited {
        /// The provision, e.g. `Bokföringslagen (1999:1078) 7 kap. 2 §`.
        reference: String,
        /// What it obliges keeping, naming the backups, e.g. `backups of the ledger database`.
        scope: String,
    },
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    pub schedule: String,
    pub ttl: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeMethod {
    FsBackup,
    CsiSnapshotDataMover,
    CsiSnapshot,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    pub opt_out_label: String,
    #[serde(default)]
    pub excluded_namespaces: Vec<String>,
    #[serde(default)]
    pub extra_excluded_namespaces: Vec<String>,
    #[serde(default)]
    pub exclusion_justification: Option<String>,
    #[serde(default)]
    pub excluded_resources: Vec<String>,
    pub cluster_resources: bool,
    #[serde(default = "yes")]
    pub persistent_volumes: bool,
    pub volumes: VolumeMethod,
    pub etcd: String,
    /// How etcd is backed up, by reference (runbook, document id or URL).
    #[serde(default)]
    pub etcd_backup_ref: Option<String>,
    pub platform_config: bool,
    pub registry: bool,
    pub infrastructure_apps: bool,
    #[serde(default)]
    pub restore_priorities: Vec<String>,
}

impl Scope {
    /// Every namespace the workload backup leaves out, curated list first, without repeats.
    pub fn all_excluded_namespaces(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for ns in self
            .excluded_namespaces
            .iter()
            .chain(&self.extra_excluded_namespaces)
        {
            if !all.contains(ns) {
                all.push(ns.clone());
            }
        }
        all
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dashboards {
    pub grafana: bool,
    pub opensearch: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageProvider {
    S3,
    Gcs,
    Azure,
    Swift,
}

impl StorageProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageProvider::S3 => "s3",
            StorageProvider::Gcs => "gcs",
            StorageProvider::Azure => "azure",
            StorageProvider::Swift => "swift",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    pub secret_name: String,
    #[serde(default)]
    pub key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Storage {
    pub provider: StorageProvider,
    pub bucket: String,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub force_path_style: Option<bool>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub credentials: Option<SecretRef>,
    #[serde(default)]
    pub use_workload_identity: bool,
    #[serde(default)]
    pub azure: Option<AzureStorage>,
    #[serde(default)]
    pub gcs: Option<GcsStorage>,
    pub encryption: Encryption,
    #[serde(default)]
    pub object_lock: Option<ObjectLock>,
    #[serde(default)]
    pub contract_in_place: Option<Evidenced>,
    #[serde(default)]
    pub transfer_mechanism: Option<String>,
    /// The bucket runs on the organisation's own infrastructure (no third party stores it).
    #[serde(default)]
    pub self_operated: Option<bool>,
}

impl Storage {
    /// The bucket prefix, defaulting by cluster role as CK8S does.
    pub fn effective_prefix(&self, role: Role) -> String {
        self.prefix
            .clone()
            .unwrap_or_else(|| default_prefix(role).to_owned())
    }
}

/// CK8S's prefixes: `workload-cluster` (velero.storagePrefix) and `service-cluster`.
pub fn default_prefix(role: Role) -> &'static str {
    match role {
        Role::Workload => "workload-cluster",
        Role::Management => "service-cluster",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureStorage {
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub storage_account: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GcsStorage {
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub service_account: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AtRest {
    None,
    ProviderManaged,
    SseS3,
    SseKms,
    SseC,
    GcpKms,
}

impl AtRest {
    /// The name in the environment file (`sse-kms`).
    pub fn as_str(self) -> &'static str {
        match self {
            AtRest::None => "none",
            AtRest::ProviderManaged => "provider-managed",
            AtRest::SseS3 => "sse-s3",
            AtRest::SseKms => "sse-kms",
            AtRest::SseC => "sse-c",
            AtRest::GcpKms => "gcp-kms",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Encryption {
    pub at_rest: AtRest,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub kms_key_name: Option<String>,
    #[serde(default)]
    pub customer_key: Option<SecretRef>,
    #[serde(default = "yes")]
    pub in_transit: bool,
    #[serde(default)]
    pub key_backup_separate: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectLock {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub days: Option<u32>,
}

impl ObjectLock {
    /// Lock days when the lock is on.
    pub fn active_days(lock: Option<&ObjectLock>) -> Option<u32> {
        lock.filter(|l| l.enabled).and_then(|l| l.days)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Replication {
    #[serde(default)]
    pub offsite: Offsite,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offsite {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub destination: Option<Destination>,
    #[serde(default)]
    pub source_credentials: Option<SecretRef>,
    #[serde(default)]
    pub managed_by: Option<String>,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub active_deadline_seconds: Option<u32>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Declared versioning of the destination bucket; see [`Offsite::versioned`].
    #[serde(default)]
    pub versioning: Option<bool>,
    /// Wipe guard: the most one sync may delete, in percent of the copy's objects.
    #[serde(default)]
    pub max_delete_percent: Option<u8>,
    #[serde(default)]
    pub image_digest: Option<String>,
    #[serde(default)]
    pub encrypt: OffsiteEncrypt,
    #[serde(default)]
    pub object_lock: Option<ObjectLock>,
    #[serde(default)]
    pub credentials_separate: Option<bool>,
    #[serde(default)]
    pub initiated_from: Option<String>,
    #[serde(default)]
    pub contract_in_place: Option<Evidenced>,
    #[serde(default)]
    pub transfer_mechanism: Option<String>,
    /// The destination runs on the organisation's own infrastructure.
    #[serde(default)]
    pub self_operated: Option<bool>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

impl Offsite {
    /// Object lock is on for the destination.
    pub fn locked(&self) -> bool {
        self.object_lock.as_ref().is_some_and(|l| l.enabled)
    }

    /// The destination keeps non-current versions: declared, or forced by object lock (S3
    /// cannot lock objects in an unversioned bucket).
    pub fn versioned(&self) -> bool {
        self.versioning.unwrap_or_else(|| self.locked())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Destination {
    pub provider: StorageProvider,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    pub bucket: String,
    #[serde(default)]
    pub force_path_style: Option<bool>,
    #[serde(default)]
    pub credentials: Option<SecretRef>,
    #[serde(default)]
    pub azure: Option<AzureDestination>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureDestination {
    #[serde(default)]
    pub storage_account: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OffsiteEncrypt {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub file_names: bool,
    #[serde(default)]
    pub directory_names: bool,
    #[serde(default)]
    pub secret_name: Option<String>,
}

/// Suffix of a restore test's scratch namespace: `<namespace>-restore-test`.
pub const SCRATCH_SUFFIX: &str = "-restore-test";

/// The scratch namespace a restore test restores `namespace` into (the checks keep it free, the
/// rendered test creates and deletes it).
pub fn scratch_namespace(namespace: &str) -> String {
    format!("{namespace}{SCRATCH_SUFFIX}")
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreTest {
    #[serde(default)]
    pub frequency_days: Option<u32>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub decision_ref: Option<String>,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default)]
    pub risk_analysis_at: Option<String>,
    #[serde(default)]
    pub last_performed: Option<String>,
    #[serde(default)]
    pub results_documented: Option<Evidenced>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub measures_rto: Option<bool>,
    #[serde(default)]
    pub includes_integrity_check: Option<Evidenced>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrityCheck {
    #[serde(default)]
    pub frequency_days: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Monitoring {
    #[serde(default)]
    pub alert_on_failure: bool,
    #[serde(default)]
    pub dashboard: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Documentation {
    #[serde(default)]
    pub policy_ref: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub reviewed_at: Option<String>,
    #[serde(default)]
    pub retention_years: Option<u32>,
    #[serde(default)]
    pub restore_procedure_ref: Option<String>,
    #[serde(default)]
    pub restore_approval: Option<Evidenced>,
    #[serde(default)]
    pub erasure_procedure_ref: Option<String>,
    #[serde(default)]
    pub migration_backup_procedure_ref: Option<String>,
    #[serde(default)]
    pub data_map_includes_backups: Option<Evidenced>,
    /// The longest a deviation may run, approval to expiry, in days (default 365).
    #[serde(default)]
    pub deviation_max_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deviation {
    pub rule: String,
    pub reason: String,
    pub owner: String,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

/// `gitops.engine` (and `init --engine`): the same spelling in the file, on the command line and
/// in the templates' context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    Flux,
    Argocd,
}

impl Engine {
    /// The spelling in the environment file (and the name of the engine's directory).
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Flux => "flux",
            Engine::Argocd => "argocd",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOps {
    pub engine: Engine,
    pub namespace: String,
    pub release_name: String,
    pub chart: Chart,
    #[serde(default)]
    pub plugin_image: Option<String>,
    #[serde(rename = "upgradeCRDs")]
    pub upgrade_crds: bool,
    pub metrics: bool,
    #[serde(default)]
    pub repository: Option<GitRepository>,
    pub flux: FluxSettings,
    pub argocd: ArgoSettings,
    /// First-class settings of the velero chart (server and node agent pods, image mirror).
    #[serde(default)]
    pub velero: VeleroChart,
    /// Further velero chart values, passed through after every key is checked against the
    /// chart's own `values.yaml` / `values.schema.json` (see `crate::schema::chart`).
    #[serde(default)]
    pub chart_values: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `gitops.velero`: what every platform sets on the Velero pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VeleroChart {
    /// A registry mirror holding the images under their upstream paths:
    /// `<mirror>/velero/velero`, `<mirror>/velero/velero-plugin-for-aws`, `<mirror>/kubectl`.
    #[serde(default)]
    pub image_registry: Option<String>,
    #[serde(default)]
    pub resources: Option<serde_json::Value>,
    #[serde(default)]
    pub tolerations: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub priority_class_name: Option<String>,
    #[serde(default)]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub node_agent: PodSettings,
}

impl VeleroChart {
    /// The settings of the Velero server Deployment.
    pub fn server(&self) -> PodSettings {
        PodSettings {
            resources: self.resources.clone(),
            tolerations: self.tolerations.clone(),
            priority_class_name: self.priority_class_name.clone(),
            node_selector: self.node_selector.clone(),
        }
    }
}

/// Scheduling and resources of one of the chart's workloads (the Velero server Deployment or
/// the node-agent DaemonSet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSettings {
    #[serde(default)]
    pub resources: Option<serde_json::Value>,
    #[serde(default)]
    pub tolerations: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub priority_class_name: Option<String>,
    #[serde(default)]
    pub node_selector: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chart {
    pub repository: String,
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitRepository {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub rendered_path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FluxSettings {
    pub namespace: String,
    pub git_repository: String,
    pub interval: String,
    pub chart_source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoSettings {
    pub namespace: String,
    pub project: String,
    pub destination_server: String,
    #[serde(default)]
    pub destination_name: Option<String>,
    pub source: String,
}
