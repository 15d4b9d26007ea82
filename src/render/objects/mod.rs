//! Typed forms of every object ck8s-gen emits. A template's output is parsed back into the type
//! chosen by its `apiVersion`/`kind`, checked to survive the round trip unchanged (so a field
//! the type does not know, a misplaced key or a value of the wrong type is an error naming the
//! template), and serialized again with the canonical emitter.
//!
//! Core kinds come from k8s-openapi (`k8s_openapi::api::...`); Velero, Flux, Argo CD and
//! Prometheus Operator kinds are our own serde structs with `deny_unknown_fields`.

pub mod argocd;
pub mod flux;
pub mod meta;
pub mod monitoring;
mod same;
pub mod velero;
pub mod velero_values;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Write as _;

pub use k8s_openapi::api::admissionregistration::v1::{
    ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
};
pub use k8s_openapi::api::batch::v1::{CronJob, Job};
pub use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
pub use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};

/// One emitted object, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Schedule(Box<velero::Schedule>),
    BackupStorageLocation(Box<velero::BackupStorageLocation>),
    VolumeSnapshotLocation(Box<velero::VolumeSnapshotLocation>),
    Restore(Box<velero::Restore>),
    HelmRepository(Box<flux::HelmRepository>),
    OciRepository(Box<flux::OciRepository>),
    HelmRelease(Box<flux::HelmRelease>),
    Kustomization(Box<flux::Kustomization>),
    Application(Box<argocd::Application>),
    ApplicationSet(Box<argocd::ApplicationSet>),
    PrometheusRule(Box<monitoring::PrometheusRule>),
    Namespace(Box<Namespace>),
    ConfigMap(Box<ConfigMap>),
    ServiceAccount(Box<ServiceAccount>),
    CronJob(Box<CronJob>),
    Job(Box<Job>),
    Role(Box<Role>),
    RoleBinding(Box<RoleBinding>),
    ClusterRole(Box<ClusterRole>),
    ClusterRoleBinding(Box<ClusterRoleBinding>),
    ValidatingAdmissionPolicy(Box<ValidatingAdmissionPolicy>),
    ValidatingAdmissionPolicyBinding(Box<ValidatingAdmissionPolicyBinding>),
}

/// `apiVersion`, `kind`, namespace and name of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// Every (apiVersion, kind) ck8s-gen knows how to emit.
pub const KINDS: &[(&str, &str)] = &[
    (velero::API_VERSION, "Schedule"),
    (velero::API_VERSION, "BackupStorageLocation"),
    (velero::API_VERSION, "VolumeSnapshotLocation"),
    (velero::API_VERSION, "Restore"),
    (flux::SOURCE_API_VERSION, "HelmRepository"),
    (flux::SOURCE_API_VERSION, "OCIRepository"),
    (flux::HELM_API_VERSION, "HelmRelease"),
    (flux::KUSTOMIZE_API_VERSION, "Kustomization"),
    (argocd::API_VERSION, "Application"),
    (argocd::API_VERSION, "ApplicationSet"),
    (monitoring::API_VERSION, "PrometheusRule"),
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "ServiceAccount"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    (RBAC, "Role"),
    (RBAC, "RoleBinding"),
    (RBAC, "ClusterRole"),
    (RBAC, "ClusterRoleBinding"),
    (ADMISSION, "ValidatingAdmissionPolicy"),
    (ADMISSION, "ValidatingAdmissionPolicyBinding"),
];

/// The API version of the admission policy kinds (GA since Kubernetes 1.30).
pub const ADMISSION: &str = "admissionregistration.k8s.io/v1";

/// The API version of the RBAC kinds.
pub const RBAC: &str = "rbac.authorization.k8s.io/v1";

/// Why a template's output is not an object ck8s-gen emits.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("not YAML: {0}")]
    NotYaml(#[source] crate::yaml::ReadError),
    #[error("the document has no string `{0}`")]
    NoField(String),
    #[error("ck8s-gen does not emit `{kind}` of `{api_version}`; known kinds: {known}")]
    UnknownKind {
        kind: String,
        api_version: String,
        known: String,
    },
    /// The value does not fit the kind's type.
    #[error("{0}")]
    Type(#[source] serde_json::Error),
    /// The value does not survive the round trip through the type (where it first differs).
    #[error("{0}")]
    RoundTrip(String),
    /// The values ck8s-gen writes for the velero chart are not what it relies on.
    #[error("not the values ck8s-gen relies on: {0}")]
    Values(#[source] serde_json::Error),
    /// A key the chart does not have, or of the wrong type.
    #[error("{0}")]
    Chart(String),
    #[error(transparent)]
    Write(#[from] crate::yaml::WriteError),
}

impl Object {
    /// Parse one YAML document produced by a template into its typed object.
    pub fn parse(text: &str) -> Result<Object, ObjectError> {
        Object::from_value(&read(text)?)
    }

    /// Parse one YAML document produced by a template and check it against its kind, keeping
    /// only its identity and value (which is what the typed object serializes to).
    pub fn check(text: &str) -> Result<Canonical, ObjectError> {
        let value = read(text)?;
        let id = Object::from_value(&value)?.id();
        Ok(Canonical { id, value })
    }

    /// Type a JSON value by its `apiVersion` and `kind`; the value must survive the round trip.
    pub fn from_value(value: &Value) -> Result<Object, ObjectError> {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ObjectError::NoField(name.to_owned()))
        };
        let api_version = field("apiVersion")?;
        let kind = field("kind")?;
        let object = match (api_version.as_str(), kind.as_str()) {
            (velero::API_VERSION, "Schedule") => Object::Schedule(typed(value)?),
            (velero::API_VERSION, "BackupStorageLocation") => {
                Object::BackupStorageLocation(typed(value)?)
            }
            (velero::API_VERSION, "VolumeSnapshotLocation") => {
                Object::VolumeSnapshotLocation(typed(value)?)
            }
            (velero::API_VERSION, "Restore") => Object::Restore(typed(value)?),
            (flux::SOURCE_API_VERSION, "HelmRepository") => Object::HelmRepository(typed(value)?),
            (flux::SOURCE_API_VERSION, "OCIRepository") => Object::OciRepository(typed(value)?),
            (flux::HELM_API_VERSION, "HelmRelease") => Object::HelmRelease(typed(value)?),
            (flux::KUSTOMIZE_API_VERSION, "Kustomization") => Object::Kustomization(typed(value)?),
            (argocd::API_VERSION, "Application") => Object::Application(typed(value)?),
            (argocd::API_VERSION, "ApplicationSet") => Object::ApplicationSet(typed(value)?),
            (monitoring::API_VERSION, "PrometheusRule") => Object::PrometheusRule(typed(value)?),
            ("v1", "Namespace") => Object::Namespace(typed(value)?),
            ("v1", "ConfigMap") => Object::ConfigMap(typed(value)?),
            ("v1", "ServiceAccount") => Object::ServiceAccount(typed(value)?),
            ("batch/v1", "CronJob") => Object::CronJob(typed(value)?),
            ("batch/v1", "Job") => Object::Job(typed(value)?),
            (RBAC, "Role") => Object::Role(typed(value)?),
            (RBAC, "RoleBinding") => Object::RoleBinding(typed(value)?),
            (RBAC, "ClusterRole") => Object::ClusterRole(typed(value)?),
            (RBAC, "ClusterRoleBinding") => Object::ClusterRoleBinding(typed(value)?),
            (ADMISSION, "ValidatingAdmissionPolicy") => {
                Object::ValidatingAdmissionPolicy(typed(value)?)
            }
            (ADMISSION, "ValidatingAdmissionPolicyBinding") => {
                Object::ValidatingAdmissionPolicyBinding(typed(value)?)
            }
            _ => {
                return Err(ObjectError::UnknownKind {
                    known: KINDS
                        .iter()
                        .map(|(a, k)| format!("{k} ({a})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    kind,
                    api_version,
                });
            }
        };
        Ok(object)
    }

    /// The object as canonical YAML (every key sorted, YAML-1.1-safe quoting, no `---`).
    pub fn to_yaml(&self) -> Result<String, crate::yaml::WriteError> {
        match self {
            Object::Schedule(o) => crate::yaml::to_canonical_yaml(o),
            Object::BackupStorageLocation(o) => crate::yaml::to_canonical_yaml(o),
            Object::VolumeSnapshotLocation(o) => crate::yaml::to_canonical_yaml(o),
            Object::Restore(o) => crate::yaml::to_canonical_yaml(o),
            Object::HelmRepository(o) => crate::yaml::to_canonical_yaml(o),
            Object::OciRepository(o) => crate::yaml::to_canonical_yaml(o),
            Object::HelmRelease(o) => crate::yaml::to_canonical_yaml(o),
            Object::Kustomization(o) => crate::yaml::to_canonical_yaml(o),
            Object::Application(o) => crate::yaml::to_canonical_yaml(o),
            Object::ApplicationSet(o) => crate::yaml::to_canonical_yaml(o),
            Object::PrometheusRule(o) => crate::yaml::to_canonical_yaml(o),
            Object::Namespace(o) => crate::yaml::to_canonical_yaml(o),
            Object::ConfigMap(o) => crate::yaml::to_canonical_yaml(o),
            Object::ServiceAccount(o) => crate::yaml::to_canonical_yaml(o),
            Object::CronJob(o) => crate::yaml::to_canonical_yaml(o),
            Object::Job(o) => crate::yaml::to_canonical_yaml(o),
            Object::Role(o) => crate::yaml::to_canonical_yaml(o),
            Object::RoleBinding(o) => crate::yaml::to_canonical_yaml(o),
            Object::ClusterRole(o) => crate::yaml::to_canonical_yaml(o),
            Object::ClusterRoleBinding(o) => crate::yaml::to_canonical_yaml(o),
            Object::ValidatingAdmissionPolicy(o) => crate::yaml::to_canonical_yaml(o),
            Object::ValidatingAdmissionPolicyBinding(o) => crate::yaml::to_canonical_yaml(o),
        }
    }

    pub fn id(&self) -> ObjectId {
        fn core(
            api: &str,
            kind: &str,
            meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        ) -> ObjectId {
            ObjectId {
                api_version: api.to_owned(),
                kind: kind.to_owned(),
                namespace: meta.namespace.clone(),
                name: meta.name.clone().unwrap_or_default(),
            }
        }
        fn custom(api: &str, kind: &str, meta: &meta::ObjectMeta) -> ObjectId {
            ObjectId {
                api_version: api.to_owned(),
                kind: kind.to_owned(),
                namespace: meta.namespace.clone(),
                name: meta.name.clone(),
            }
        }
        match self {
            Object::Schedule(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::BackupStorageLocation(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::VolumeSnapshotLocation(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::Restore(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::HelmRepository(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::OciRepository(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::HelmRelease(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::Kustomization(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::Application(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::ApplicationSet(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::PrometheusRule(o) => custom(&o.api_version, &o.kind, &o.metadata),
            Object::Namespace(o) => core("v1", "Namespace", &o.metadata),
            Object::ConfigMap(o) => core("v1", "ConfigMap", &o.metadata),
            Object::ServiceAccount(o) => core("v1", "ServiceAccount", &o.metadata),
            Object::CronJob(o) => core("batch/v1", "CronJob", &o.metadata),
            Object::Job(o) => core("batch/v1", "Job", &o.metadata),
            Object::Role(o) => core(RBAC, "Role", &o.metadata),
            Object::RoleBinding(o) => core(RBAC, "RoleBinding", &o.metadata),
            Object::ClusterRole(o) => core(RBAC, "ClusterRole", &o.metadata),
            Object::ClusterRoleBinding(o) => core(RBAC, "ClusterRoleBinding", &o.metadata),
            Object::ValidatingAdmissionPolicy(o) => {
                core(ADMISSION, "ValidatingAdmissionPolicy", &o.metadata)
            }
            Object::ValidatingAdmissionPolicyBinding(o) => {
                core(ADMISSION, "ValidatingAdmissionPolicyBinding", &o.metadata)
            }
        }
    }
}

fn read(text: &str) -> Result<Value, ObjectError> {
    crate::yaml::read_template_output(text).map_err(ObjectError::NotYaml)
}

/// An object checked against its kind, kept as the value its typed form serializes to.
#[derive(Clone, Debug, PartialEq)]
pub struct Canonical {
    pub id: ObjectId,
    pub value: Value,
}

impl Canonical {
    /// The object as canonical YAML (every key sorted, YAML-1.1-safe quoting, no `---`).
    pub fn to_yaml(&self) -> Result<String, crate::yaml::WriteError> {
        crate::yaml::to_yaml(&self.value)
    }
}

/// Deserialize `value` into `T` and require that serializing `T` gives `value` back: this
/// catches unknown fields in types that ignore them (k8s-openapi), explicit `null`s, and
/// values coerced on the way in. So `value` is exactly what the typed object serializes to.
pub fn typed<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Box<T>, ObjectError> {
    let object = T::deserialize(value).map_err(ObjectError::Type)?;
    // Decided while serializing; only a difference builds the value to explain itself.
    if same::serializes_to(&object, value) {
        return Ok(Box::new(object));
    }
    let back = serde_json::to_value(&object).map_err(ObjectError::Type)?;
    if let Some(problem) = first_difference(value, &back, &mut String::new()) {
        return Err(ObjectError::RoundTrip(problem));
    }
    Ok(Box::new(object))
}

/// Where `written` (the template output) and `typed` (after the round trip) first differ.
/// `path` is the JSON pointer of both values; it is extended and restored while descending, so
/// no path is built unless there is a difference to report.
fn first_difference(written: &Value, typed: &Value, path: &mut String) -> Option<String> {
    let at = |p: &str| {
        if p.is_empty() {
            "/".to_owned()
        } else {
            p.to_owned()
        }
    };
    let parent = path.len();
    match (written, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                path.push('/');
                path.push_str(key);
                match b.get(key) {
                    None if value.is_null() => {
                        return Some(format!(
                            "`{}` is null; leave optional fields out instead",
                            at(path)
                        ));
                    }
                    None => {
                        return Some(format!(
                            "`{}` is not a field of this kind (or not at this place)",
                            at(path)
                        ));
                    }
                    Some(other) => {
                        if let Some(problem) = first_difference(value, other, path) {
                            return Some(problem);
                        }
                    }
                }
                path.truncate(parent);
            }
            b.keys().find(|k| !a.contains_key(*k)).map(|key| {
                format!(
                    "`{}` appeared in the round trip without being written",
                    at(&format!("{path}/{key}"))
                )
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let _ = write!(path, "/{i}");
                if let Some(problem) = first_difference(x, y, path) {
                    return Some(problem);
                }
                path.truncate(parent);
            }
            None
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "`{}` changed type or value in the round trip ({} → {})",
            at(path),
            kind_of(a),
            kind_of(b)
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_errors_for_our_kinds_and_for_core_kinds() {
        let err = Object::parse(
            "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: a}\nspec: {schedule: '@daily', template: {}, skipImmediately: false}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("skipImmediately"), "{err}");
        let err =
            Object::parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: a, lables: {x: y}}\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("/metadata/lables"), "{err}");
    }

    #[test]
    fn wrong_types_and_nulls_are_errors() {
        let err = Object::parse(
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: a}\nspec: {provider: aws, objectStorage: {bucket: b}, config: {s3ForcePathStyle: true}}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("string"), "{err}");
        let err = Object::parse(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: null}\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("null"), "{err}");
    }

    #[test]
    fn unknown_kinds_are_errors() {
        let err = Object::parse("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not emit"), "{err}");
    }

    #[test]
    fn core_kinds_emit_canonically() {
        let o = Object::parse(
            "kind: Namespace\napiVersion: v1\nmetadata: {name: rclone, labels: {b: 'on', a: x}}\n",
        )
        .unwrap();
        assert_eq!(
            o.to_yaml().unwrap(),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    a: x\n    b: \"on\"\n  name: rclone\n"
        );
        assert_eq!(o.id().name, "rclone");
    }
}
