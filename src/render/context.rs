//! What the templates see: per-environment facts derived from the typed `Environment` (provider
//! names, plugin settings, schedule scopes, GitOps paths). Decisions live here, in tested Rust;
//! the templates only lay the objects out.

use crate::environment::model::{
    AtRest, Engine, Environment, Role, Storage, StorageProvider, Tier, VolumeMethod,
};
use crate::velero::duration::parse_go_duration;
use serde::Serialize;
use std::collections::BTreeMap;

/// Label put on every rendered object (and on every Backup, via the Schedule template).
pub const PART_OF: &str = "ck8s-gen-backups";
pub const LABEL_PART_OF: &str = "app.kubernetes.io/part-of";
pub const LABEL_ENVIRONMENT: &str = "ck8s-gen.io/environment";
/// The provider plugin images paired with Velero 1.18 / chart 12.1.0, from each plugin's
/// README compatibility matrix (plugin v1.14.x ↔ Velero v1.18.x). The AWS plugin is the one
/// the e2e `velero` stage builds and runs (its go.mod requires Velero v1.18.1).
pub const DEFAULT_PLUGIN_AWS: &str = "velero/velero-plugin-for-aws:v1.14.3";
pub const DEFAULT_PLUGIN_GCP: &str = "velero/velero-plugin-for-gcp:v1.14.2";
pub const DEFAULT_PLUGIN_AZURE: &str = "velero/velero-plugin-for-microsoft-azure:v1.14.0";
/// Restore helper uid/gid (numeric, so `runAsNonRoot` can be verified; CK8S uses 1000).
pub const RESTORE_HELPER_ID: &str = "1000";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{environment}: {message}")]
pub struct ContextError {
    pub environment: String,
    pub message: String,
}

/// Everything the templates of one environment need.
#[derive(Clone, Debug, Serialize)]
pub struct EnvView {
    pub name: String,
    pub role: &'static str,
    /// Labels of every object in the environment's tree.
    pub labels: BTreeMap<String, String>,
    /// `labels` plus the environment's own `metadata.labels`, for the GitOps objects.
    pub gitops_labels: BTreeMap<String, String>,
    pub velero: Option<VeleroView>,
    pub gitops: GitOpsView,
}

#[derive(Clone, Debug, Serialize)]
pub struct VeleroView {
    pub namespace: String,
    pub schedules: Vec<ScheduleView>,
    pub locations: Vec<LocationView>,
    pub plugin: PluginView,
    pub node_agent: bool,
    pub fs_backup_default: bool,
    pub snapshot_move_data: bool,
    pub csi: bool,
    pub use_secret: bool,
    pub credentials_secret: Option<String>,
    /// Canonical Go duration of the retention, also the server's default TTL.
    pub ttl: String,
    pub restore_priorities: Option<String>,
    pub restore_helper_id: &'static str,
    /// Annotations of the Velero server ServiceAccount (GKE Workload Identity).
    pub service_account_annotations: BTreeMap<String, String>,
    /// First-class chart settings (`gitops.velero`).
    pub chart: ChartView,
}

/// `gitops.velero` as chart values: image repositories from the mirror, and the pods' settings.
#[derive(Clone, Debug, Serialize)]
pub struct ChartView {
    /// `image.repository` (server and node agent), when a mirror is set.
    pub image_repository: Option<String>,
    /// `kubectl.image.repository` (the chart's CRD jobs), when a mirror is set.
    pub kubectl_repository: Option<String>,
    pub server: crate::environment::model::PodSettings,
    pub node_agent: crate::environment::model::PodSettings,
    /// `gitops.chartValues`, merged over the template's values (not used by the template).
    pub pass_through: Option<serde_json::Value>,
}

/// The upstream image paths a registry mirror holds (without the upstream registry host).
pub const VELERO_IMAGE_PATH: &str = "velero/velero";
pub const KUBECTL_IMAGE_PATH: &str = "kubectl";

#[derive(Clone, Debug, Serialize)]
pub struct PluginView {
    pub name: String,
    pub image: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScheduleView {
    pub name: String,
    pub cron: String,
    pub ttl: String,
    pub included_namespaces: Vec<String>,
    pub excluded_namespaces: Vec<String>,
    pub excluded_resources: Vec<String>,
    pub include_cluster_resources: Option<bool>,
    pub match_labels: BTreeMap<String, String>,
    pub opt_out_label: Option<String>,
    pub snapshot_volumes: bool,
    pub default_volumes_to_fs_backup: bool,
    pub snapshot_move_data: bool,
    /// Labels every Backup of this schedule gets (and only these: GitOps labels don't leak).
    pub backup_labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LocationView {
    pub name: String,
    pub provider: &'static str,
    pub bucket: String,
    pub prefix: String,
    pub config: BTreeMap<String, String>,
    pub credential: Option<SecretKeyView>,
    pub default: bool,
    pub access_mode: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecretKeyView {
    pub name: String,
    pub key: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GitOpsView {
    pub engine: Engine,
    pub release_name: String,
    pub chart: String,
    pub chart_version: String,
    pub upgrade_crds: bool,
    pub metrics: bool,
    pub flux: FluxView,
    pub argocd: ArgoView,
    /// Paths in the Git repository (`<renderedPath>/<env>/...`).
    pub release_path: String,
    pub manifests_path: String,
    pub argocd_path: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FluxView {
    pub namespace: String,
    pub interval: String,
    pub git_repository: String,
    /// `HelmRepository` or `OCIRepository`.
    pub source_kind: &'static str,
    pub helm_repository_url: String,
    pub oci_url: String,
    /// `install.crds` / `upgrade.crds`: exactly one mechanism upgrades the Velero CRDs.
    pub install_crds: &'static str,
    pub upgrade_crds: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArgoView {
    pub namespace: String,
    pub project: String,
    pub destination_server: Option<String>,
    pub destination_name: Option<String>,
    pub repo_url: Option<String>,
    pub revision: String,
    /// `repoURL` of the chart source (Helm repository URL, or an OCI registry without `oci://`).
    pub chart_repo_url: String,
    /// `skipCrds`: true when the chart's upgrade Job owns the CRDs.
    pub skip_crds: bool,
    /// `gitops.argocd.source: plugin`: Argo CD renders with the ck8s-gen plugin on sync.
    pub plugin: bool,
}

/// The Velero plugin provider name of a storage API.
pub fn velero_provider(provider: StorageProvider) -> Option<&'static str> {
    match provider {
        StorageProvider::S3 => Some("aws"),
        StorageProvider::Gcs => Some("gcp"),
        StorageProvider::Azure => Some("azure"),
        StorageProvider::Swift => None,
    }
}

fn plugin_name(provider: &str) -> &'static str {
    match provider {
        "aws" => "velero-plugin-for-aws",
        "gcp" => "velero-plugin-for-gcp",
        _ => "velero-plugin-for-microsoft-azure",
    }
}

fn default_plugin_image(provider: &str) -> &'static str {
    match provider {
        "aws" => DEFAULT_PLUGIN_AWS,
        "gcp" => DEFAULT_PLUGIN_GCP,
        _ => DEFAULT_PLUGIN_AZURE,
    }
}

fn canonical_duration(env: &str, what: &str, text: &str) -> Result<String, ContextError> {
    parse_go_duration(text)
        .map(|d| d.canonical())
        .map_err(|e| ContextError {
            environment: env.to_owned(),
            message: format!("{what} `{text}` is not a Go duration: {}", e.message),
        })
}

/// Base labels of an environment's objects.
pub fn base_labels(env: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_PART_OF.to_owned(), PART_OF.to_owned()),
        (LABEL_ENVIRONMENT.to_owned(), env.to_owned()),
    ])
}

pub fn env_view(env: &Environment) -> Result<EnvView, ContextError> {
    let name = env.metadata.name.clone();
    let labels = base_labels(&name);
    let mut gitops_labels = env.metadata.labels.clone();
    gitops_labels.extend(labels.clone());
    let velero = if env.backup.enabled {
        Some(velero_view(env)?)
    } else {
        None
    };
    Ok(EnvView {
        role: env.cluster.role.as_str(),
        labels,
        gitops_labels,
        velero,
        gitops: gitops_view(env)?,
        name,
    })
}

fn velero_view(env: &Environment) -> Result<VeleroView, ContextError> {
    let name = &env.metadata.name;
    let fail = |message: String| ContextError {
        environment: name.clone(),
        message,
    };
    let provider = velero_provider(env.storage.provider)
        .ok_or_else(|| fail("Velero cannot write backups to Swift storage".to_owned()))?;
    let method = env.backup.scope.volumes;
    let fs_backup = method == VolumeMethod::FsBackup;
    let data_mover = method == VolumeMethod::CsiSnapshotDataMover;
    let csi = matches!(
        method,
        VolumeMethod::CsiSnapshot | VolumeMethod::CsiSnapshotDataMover
    );
    let ttl = canonical_duration(name, "backup.retention.ttl", &env.backup.retention.ttl)?;

    let mut schedules = Vec::new();
    let scope_of = |schedule_name: String, cron: &str, ttl: String| {
        schedule_view(env, schedule_name, cron, ttl, method)
    };
    let dashboards = env.cluster.role == Role::Management && env.backup.dashboards.grafana;
    if env.cluster.role == Role::Workload || dashboards {
        schedules.push(scope_of(
            "velero-daily-backup".to_owned(),
            &env.backup.schedule,
            ttl.clone(),
        ));
        for Tier {
            name: tier,
            schedule,
            ttl: tier_ttl,
        } in &env.backup.tiers
        {
            let tier_ttl = canonical_duration(name, &format!("tier `{tier}` ttl"), tier_ttl)?;
            schedules.push(scope_of(
                format!("velero-{tier}-backup"),
                schedule,
                tier_ttl,
            ));
        }
    }
    for s in &schedules {
        if s.name.len() > 63 {
            return Err(fail(format!(
                "Schedule name `{}` is longer than 63 characters (it becomes a label value on every Backup)",
                s.name
            )));
        }
    }

    let mut locations = vec![primary_location(env, provider)];
    if let Some(offsite) = offsite_location(env) {
        locations.push(offsite);
    }

    let mirror = env
        .gitops
        .velero
        .image_registry
        .as_deref()
        .map(|m| m.trim_end_matches('/').to_owned());
    let mirrored = |path: &str| mirror.as_ref().map(|m| format!("{m}/{path}"));
    let plugin_image = env.gitops.plugin_image.clone().unwrap_or_else(|| {
        let image = default_plugin_image(provider);
        mirrored(image).unwrap_or_else(|| image.to_owned())
    });
    let chart = ChartView {
        image_repository: mirrored(VELERO_IMAGE_PATH),
        kubectl_repository: mirrored(KUBECTL_IMAGE_PATH),
        server: env.gitops.velero.server(),
        node_agent: env.gitops.velero.node_agent.clone(),
        pass_through: env
            .gitops
            .chart_values
            .clone()
            .map(serde_json::Value::Object),
    };
    let credentials_secret = env
        .storage
        .credentials
        .as_ref()
        .map(|c| c.secret_name.clone());
    Ok(VeleroView {
        namespace: env.gitops.namespace.clone(),
        schedules,
        locations,
        plugin: PluginView {
            name: plugin_name(provider).to_owned(),
            image: plugin_image,
        },
        node_agent: fs_backup || data_mover,
        fs_backup_default: fs_backup,
        snapshot_move_data: data_mover,
        csi,
        use_secret: credentials_secret.is_some() && !env.storage.use_workload_identity,
        credentials_secret: credentials_secret.filter(|_| !env.storage.use_workload_identity),
        ttl,
        restore_priorities: (!env.backup.scope.restore_priorities.is_empty())
            .then(|| env.backup.scope.restore_priorities.join(",")),
        restore_helper_id: RESTORE_HELPER_ID,
        service_account_annotations: workload_identity_annotations(&env.storage),
        chart,
    })
}

/// GKE Workload Identity binds the Velero ServiceAccount to the Google service account.
fn workload_identity_annotations(storage: &Storage) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    if storage.use_workload_identity
        && storage.provider == StorageProvider::Gcs
        && let Some(account) = storage.gcs.as_ref().and_then(|g| g.service_account.clone())
    {
        annotations.insert("iam.gke.io/gcp-service-account".to_owned(), account);
    }
    annotations
}

/// The restore test's copies are never backed up: its scratch namespaces join the excluded ones.
fn with_scratch_namespaces(mut excluded: Vec<String>, env: &Environment) -> Vec<String> {
    if let Some(test) = &env.restore_test {
        for ns in &test.namespaces {
            let scratch = crate::environment::model::scratch_namespace(ns);
            if !excluded.contains(&scratch) {
                excluded.push(scratch);
            }
        }
    }
    excluded
}

fn schedule_view(
    env: &Environment,
    name: String,
    cron: &str,
    ttl: String,
    method: VolumeMethod,
) -> ScheduleView {
    let scope = &env.backup.scope;
    let mut backup_labels = base_labels(&env.metadata.name);
    backup_labels.insert("ck8s-gen.io/schedule".to_owned(), name.clone());
    let (included, excluded, match_labels, opt_out, cluster) = match env.cluster.role {
        // The workload backup: every namespace but the system ones, minus opted-out resources.
        Role::Workload => (
            Vec::new(),
            with_scratch_namespaces(scope.all_excluded_namespaces(), env),
            BTreeMap::new(),
            Some(scope.opt_out_label.clone()),
            Some(scope.cluster_resources),
        ),
        // CK8S's service-cluster schedule: the user Grafana, selected by label; the cluster
        // resources it needs (its PV) follow by Velero's default.
        Role::Management => (
            vec!["monitoring".to_owned()],
            Vec::new(),
            BTreeMap::from([("velero".to_owned(), "backup".to_owned())]),
            None,
            None,
        ),
    };
    ScheduleView {
        name,
        cron: cron.to_owned(),
        ttl,
        included_namespaces: included,
        excluded_namespaces: excluded,
        excluded_resources: scope.excluded_resources.clone(),
        include_cluster_resources: cluster,
        match_labels,
        opt_out_label: opt_out,
        // `persistentVolumes: false`: API objects only, no volume data by any method.
        snapshot_volumes: scope.persistent_volumes && method != VolumeMethod::FsBackup,
        default_volumes_to_fs_backup: scope.persistent_volumes && method == VolumeMethod::FsBackup,
        snapshot_move_data: scope.persistent_volumes
            && method == VolumeMethod::CsiSnapshotDataMover,
        backup_labels,
    }
}

/// Plugin config of a bucket: only keys the plugin's allow-list accepts, all strings.
fn bucket_config(
    provider: StorageProvider,
    endpoint: Option<&str>,
    region: Option<&str>,
    force_path_style: Option<bool>,
) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    if provider == StorageProvider::S3 {
        if let Some(region) = region {
            config.insert("region".to_owned(), region.to_owned());
        }
        if let Some(endpoint) = endpoint {
            config.insert("s3Url".to_owned(), endpoint.to_owned());
        }
        if let Some(path_style) = force_path_style {
            config.insert("s3ForcePathStyle".to_owned(), path_style.to_string());
        }
    }
    config
}

fn primary_location(env: &Environment, provider: &'static str) -> LocationView {
    let s: &Storage = &env.storage;
    let mut config = bucket_config(
        s.provider,
        s.endpoint.as_deref(),
        s.region.as_deref(),
        s.force_path_style,
    );
    let e = &s.encryption;
    match (s.provider, e.at_rest) {
        (StorageProvider::S3, AtRest::SseS3) => {
            config.insert("serverSideEncryption".to_owned(), "AES256".to_owned());
        }
        (StorageProvider::S3, AtRest::SseKms) => {
            if let Some(key) = &e.kms_key_id {
                config.insert("kmsKeyId".to_owned(), key.clone());
            }
        }
        (StorageProvider::S3, AtRest::SseC) => {
            if let Some(key) = &e.customer_key {
                config.insert(
                    "customerKeyEncryptionSecret".to_owned(),
                    format!(
                        "{}/{}",
                        key.secret_name,
                        key.key.as_deref().unwrap_or("customer-key")
                    ),
                );
            }
        }
        (StorageProvider::Gcs, AtRest::GcpKms) => {
            if let Some(key) = &e.kms_key_name {
                config.insert("kmsKeyName".to_owned(), key.clone());
            }
        }
        // Azure has no encryption key setting: the provider encrypts every blob.
        _ => {}
    }
    if s.provider == StorageProvider::Gcs
        && let Some(account) = s.gcs.as_ref().and_then(|g| g.service_account.clone())
    {
        config.insert("serviceAccount".to_owned(), account);
    }
    if s.provider == StorageProvider::Azure
        && let Some(azure) = &s.azure
    {
        for (key, value) in [
            ("resourceGroup", &azure.resource_group),
            ("storageAccount", &azure.storage_account),
            ("subscriptionId", &azure.subscription_id),
        ] {
            if let Some(value) = value {
                config.insert(key.to_owned(), value.clone());
            }
        }
    }
    LocationView {
        name: "default".to_owned(),
        provider,
        bucket: s.bucket.clone(),
        prefix: s.effective_prefix(env.cluster.role),
        config,
        credential: s
            .credentials
            .as_ref()
            .filter(|_| !s.use_workload_identity)
            .map(|c| SecretKeyView {
                name: c.secret_name.clone(),
                key: c.key.clone().unwrap_or_else(|| "cloud".to_owned()),
            }),
        default: true,
        access_mode: "ReadWrite",
    }
}

/// Name of the Secret (Velero namespace, key `cloud`) the read-only off-site location uses.
pub const OFFSITE_CREDENTIALS: &str = "velero-offsite-credentials";

/// A `ReadOnly` location on an unencrypted off-site copy, ready for disaster recovery. An
/// encrypted copy cannot be read by Velero (it must first be restored with rclone).
pub fn offsite_location(env: &Environment) -> Option<LocationView> {
    let offsite = &env.replication.offsite;
    if !offsite.enabled || offsite.encrypt.enabled {
        return None;
    }
    let dest = offsite.destination.as_ref()?;
    // Velero cannot address an Azure container without its resource group, which the
    // destination does not declare: that location is added at recovery time instead.
    if dest.provider == StorageProvider::Azure {
        return None;
    }
    let provider = velero_provider(dest.provider)?;
    let config = bucket_config(
        dest.provider,
        dest.endpoint.as_deref(),
        dest.region.as_deref(),
        dest.force_path_style,
    );
    Some(LocationView {
        name: "offsite".to_owned(),
        provider,
        bucket: dest.bucket.clone(),
        prefix: env.storage.effective_prefix(env.cluster.role),
        config,
        credential: Some(SecretKeyView {
            name: OFFSITE_CREDENTIALS.to_owned(),
            key: "cloud".to_owned(),
        }),
        default: false,
        access_mode: "ReadOnly",
    })
}

fn gitops_view(env: &Environment) -> Result<GitOpsView, ContextError> {
    let g = &env.gitops;
    let name = &env.metadata.name;
    let repository = g.repository.as_ref();
    let rendered = repository
        .and_then(|r| r.rendered_path.clone())
        .unwrap_or_else(|| "rendered".to_owned());
    let rendered = rendered.trim_end_matches('/').to_owned();
    let path = |leaf: &str| format!("{rendered}/{name}/{leaf}");
    let chart_repo = g.chart.repository.trim_end_matches('/');
    let oci = chart_repo.strip_prefix("oci://");
    let chart_suffix = format!("/{}", g.chart.name);
    // OCI: Flux wants the full artifact URL, Argo CD the registry path without the chart name.
    let oci_url = match oci {
        Some(rest) if rest.ends_with(&chart_suffix) => format!("oci://{rest}"),
        Some(rest) => format!("oci://{rest}{chart_suffix}"),
        None => String::new(),
    };
    let chart_repo_url = match oci {
        Some(rest) => rest.strip_suffix(&chart_suffix).unwrap_or(rest).to_owned(),
        None => chart_repo.to_owned(),
    };
    let source_kind = match g.flux.chart_source.as_str() {
        "ociRepository" => "OCIRepository",
        _ => "HelmRepository",
    };
    if g.engine == Engine::Flux {
        match (source_kind, oci.is_some()) {
            ("OCIRepository", false) => {
                return Err(ContextError {
                    environment: name.clone(),
                    message: format!(
                        "`gitops.flux.chartSource: ociRepository` needs an `oci://` chart repository, not `{chart_repo}`"
                    ),
                });
            }
            ("HelmRepository", true) => {
                return Err(ContextError {
                    environment: name.clone(),
                    message: format!(
                        "the chart repository `{chart_repo}` is an OCI registry; set `gitops.flux.chartSource: ociRepository`"
                    ),
                });
            }
            _ => {}
        }
    }
    let repo_url = repository.and_then(|r| r.url.clone());
    if g.engine == Engine::Argocd && repo_url.is_none() {
        return Err(ContextError {
            environment: name.clone(),
            message: "Argo CD Applications need `gitops.repository.url` (the Git repository holding the rendered tree)".to_owned(),
        });
    }
    Ok(GitOpsView {
        engine: g.engine,
        release_name: g.release_name.clone(),
        chart: g.chart.name.clone(),
        chart_version: g.chart.version.clone(),
        upgrade_crds: g.upgrade_crds,
        metrics: g.metrics,
        flux: FluxView {
            namespace: g.flux.namespace.clone(),
            interval: g.flux.interval.clone(),
            git_repository: g.flux.git_repository.clone(),
            source_kind,
            helm_repository_url: chart_repo.to_owned(),
            oci_url,
            install_crds: "Create",
            upgrade_crds: if g.upgrade_crds {
                "Skip"
            } else {
                "CreateReplace"
            },
        },
        argocd: ArgoView {
            plugin: g.argocd.source == "plugin",
            namespace: g.argocd.namespace.clone(),
            project: g.argocd.project.clone(),
            destination_server: g
                .argocd
                .destination_name
                .is_none()
                .then(|| g.argocd.destination_server.clone()),
            destination_name: g.argocd.destination_name.clone(),
            repo_url,
            revision: repository
                .and_then(|r| r.revision.clone())
                .unwrap_or_else(|| "main".to_owned()),
            chart_repo_url,
            skip_crds: g.upgrade_crds,
        },
        release_path: path("release"),
        manifests_path: path("manifests"),
        argocd_path: path("argocd"),
    })
}
