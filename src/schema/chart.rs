//! The upstream velero chart's own `values.yaml` and `values.schema.json` (12.1.0, see
//! `schemas/velero-chart/`), embedded: every chart value ck8s-gen emits or passes through is
//! checked against them. Helm ignores a misspelt key silently; here it is an error with a
//! did-you-mean.

use serde_json::Value;
use std::sync::OnceLock;

/// The chart's `values.yaml` (its defaults and the keys it knows).
pub const VALUES_YAML: &str = include_str!("../../schemas/velero-chart/values.yaml");
/// The chart's `values.schema.json` (what `helm install` validates the merged values with).
pub const VALUES_SCHEMA: &str = include_str!("../../schemas/velero-chart/values.schema.json");
/// The chart version both files come from.
pub const CHART_VERSION: &str = "12.1.0";

/// Chart values that ck8s-gen sets itself, from the environment's settings: passing them
/// through would bypass the checks (or contradict the rendered objects). The first-class
/// settings under `gitops.velero` are listed with the key to use instead.
pub const OWNED: &[(&str, &str)] = &[
    ("/initContainers", "gitops.pluginImage"),
    ("/deployNodeAgent", "backup.scope.volumes"),
    (
        "/backupsEnabled",
        "storage (ck8s-gen renders the BackupStorageLocations)",
    ),
    ("/snapshotsEnabled", "backup.scope.volumes"),
    ("/upgradeCRDs", "gitops.upgradeCRDs"),
    ("/credentials", "storage.credentials"),
    ("/configuration/backupStorageLocation", "storage"),
    (
        "/configuration/volumeSnapshotLocation",
        "backup.scope.volumes",
    ),
    ("/configuration/uploaderType", "backup.scope.volumes"),
    ("/configuration/defaultBackupStorageLocation", "storage"),
    ("/configuration/defaultBackupTTL", "backup.retention.ttl"),
    (
        "/configuration/defaultVolumesToFsBackup",
        "backup.scope.volumes",
    ),
    (
        "/configuration/defaultSnapshotMoveData",
        "backup.scope.volumes",
    ),
    ("/configuration/features", "backup.scope.volumes"),
    (
        "/configuration/restoreResourcePriorities",
        "backup.scope.restorePriorities",
    ),
    ("/metrics/enabled", "gitops.metrics"),
    ("/metrics/serviceMonitor/enabled", "gitops.metrics"),
    ("/metrics/nodeAgentPodMonitor/enabled", "gitops.metrics"),
    (
        "/serviceAccount/server/annotations",
        "storage.useWorkloadIdentity",
    ),
    (
        "/schedules",
        "backup.schedule and backup.tiers (rendered as Schedule objects)",
    ),
    (
        "/configMaps/fs-restore-action-config",
        "the restore helper settings ck8s-gen renders",
    ),
    ("/image/repository", "gitops.velero.imageRegistry"),
    ("/kubectl/image/repository", "gitops.velero.imageRegistry"),
    ("/resources", "gitops.velero.resources"),
    ("/tolerations", "gitops.velero.tolerations"),
    ("/priorityClassName", "gitops.velero.priorityClassName"),
    ("/nodeSelector", "gitops.velero.nodeSelector"),
    ("/nodeAgent/resources", "gitops.velero.nodeAgent.resources"),
    (
        "/nodeAgent/tolerations",
        "gitops.velero.nodeAgent.tolerations",
    ),
    (
        "/nodeAgent/priorityClassName",
        "gitops.velero.nodeAgent.priorityClassName",
    ),
    (
        "/nodeAgent/nodeSelector",
        "gitops.velero.nodeAgent.nodeSelector",
    ),
];

/// A problem with one chart value, at a JSON pointer into the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    pub pointer: String,
    pub message: String,
    /// A known key close to the unknown one.
    pub suggestion: Option<String>,
}

pub struct Chart {
    defaults: Value,
    schema: Value,
    validator: Option<jsonschema::Validator>,
}

impl Chart {
    /// The embedded chart files, parsed once.
    pub fn embedded() -> &'static Chart {
        static CHART: OnceLock<Chart> = OnceLock::new();
        CHART.get_or_init(|| {
            let defaults = crate::yaml::from_yaml(VALUES_YAML).unwrap_or(Value::Null);
            let schema: Value = serde_json::from_str(VALUES_SCHEMA).unwrap_or(Value::Null);
            let validator = jsonschema::options().build(&schema).ok();
            Chart {
                defaults,
                schema,
                validator,
            }
        })
    }

    /// The keys the chart knows under the map at `pointer`: `None` when the map is free-form
    /// (an empty map in `values.yaml` and no schema properties, e.g. `podAnnotations: {}`).
    fn known_keys(&self, pointer: &str) -> Option<Vec<String>> {
        let mut keys: Vec<String> = Vec::new();
        if let Some(Value::Object(o)) = self.defaults.pointer(pointer) {
            keys.extend(o.keys().cloned());
        }
        let mut node = &self.schema;
        for segment in pointer.split('/').skip(1) {
            match node.pointer(&format!("/properties/{segment}")) {
                Some(next) => node = next,
                None => {
                    node = &Value::Null;
                    break;
                }
            }
        }
        if let Some(Value::Object(p)) = node.get("properties") {
            keys.extend(p.keys().cloned());
        }
        keys.sort();
        keys.dedup();
        // A key present in neither file, or an empty map in both: free-form.
        let declared =
            pointer.is_empty() || self.defaults.pointer(pointer).is_some() || !node.is_null();
        (declared && !keys.is_empty()).then_some(keys)
    }

    /// Keys of `values` the chart does not know, each with a did-you-mean.
    pub fn unknown_keys(&self, values: &Value) -> Vec<ValueProblem> {
        let mut out = Vec::new();
        self.walk(values, String::new(), &mut out);
        out
    }

    fn walk(&self, value: &Value, pointer: String, out: &mut Vec<ValueProblem>) {
        let Value::Object(map) = value else {
            return;
        };
        let Some(known) = self.known_keys(&pointer) else {
            return;
        };
        for (key, child) in map {
            let path = crate::source::pointer::child(&pointer, key);
            if known.iter().any(|k| k == key) {
                self.walk(child, path, out);
            } else {
                out.push(ValueProblem {
                    message: format!(
                        "the velero chart {CHART_VERSION} has no value `{}`",
                        dotted(&path)
                    ),
                    suggestion: crate::text::suggest::did_you_mean(
                        key,
                        known.iter().map(String::as_str),
                    )
                    .map(|s| dotted(&format!("{pointer}/{s}"))),
                    pointer: path,
                });
            }
        }
    }

    /// What `values.schema.json` says of `values` merged over the chart defaults (as Helm
    /// validates them).
    pub fn schema_problems(&self, values: &Value) -> Vec<ValueProblem> {
        let Some(validator) = &self.validator else {
            return vec![ValueProblem {
                pointer: String::new(),
                message: "the embedded velero chart schema does not compile".to_owned(),
                suggestion: None,
            }];
        };
        let mut merged = self.defaults.clone();
        merge(&mut merged, values);
        validator
            .iter_errors(&merged)
            .map(|e| {
                let pointer = e.instance_path().as_str().to_owned();
                ValueProblem {
                    message: format!(
                        "`{}` does not match the velero chart's values.schema.json: {e}",
                        dotted(&pointer)
                    ),
                    pointer,
                    suggestion: None,
                }
            })
            .collect()
    }

    /// Every problem of `values`: unknown keys, then schema violations.
    pub fn check(&self, values: &Value) -> Vec<ValueProblem> {
        let mut out = self.unknown_keys(values);
        if out.is_empty() {
            out.extend(self.schema_problems(values));
        }
        out
    }
}

/// Leaves of pass-through `values` that ck8s-gen sets itself: `(pointer, the setting to use)`.
pub fn owned_conflicts(values: &Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    leaves(values, String::new(), &mut |pointer| {
        for (owned, instead) in OWNED {
            let under = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
            if under(pointer, owned) || under(owned, pointer) {
                out.push((pointer.to_owned(), *instead));
                break;
            }
        }
    });
    out
}

/// Every leaf (a value that is not a non-empty map) of `value`, by pointer.
fn leaves(value: &Value, pointer: String, visit: &mut dyn FnMut(&str)) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                leaves(child, crate::source::pointer::child(&pointer, key), visit);
            }
        }
        _ => visit(&pointer),
    }
}

/// Helm's merge: maps merge key by key, anything else replaces.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        b.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

use crate::source::pointer::dotted_keys as dotted;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_free_form_and_unknown_keys() {
        let chart = Chart::embedded();
        assert!(chart.validator.is_some());
        let problems = chart.unknown_keys(&json!({
            "podAnnotations": {"anything.example/goes": "x"},
            "nodeAgent": {"tolerations": [], "disableHostPath": true, "priorityClasName": "x"},
            "resourcess": {},
        }));
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/nodeAgent/priorityClasName", "/resourcess"]);
        assert_eq!(
            problems[0].suggestion.as_deref(),
            Some("nodeAgent.priorityClassName")
        );
        assert_eq!(problems[1].suggestion.as_deref(), Some("resources"));
    }

    #[test]
    fn the_schema_checks_types_over_the_chart_defaults() {
        let chart = Chart::embedded();
        assert!(chart.schema_problems(&json!({})).is_empty());
        assert!(
            chart
                .schema_problems(&json!({"podAnnotations": {"a": "b"}}))
                .is_empty()
        );
        let wrong = chart.schema_problems(&json!({"tolerations": {"a": "b"}}));
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert_eq!(wrong[0].pointer, "/tolerations");
    }

    #[test]
    fn owned_values_are_refused_with_the_setting_to_use() {
        let conflicts = owned_conflicts(&json!({
            "configuration": {"logLevel": "debug", "defaultBackupTTL": "1h"},
            "schedules": {"x": {}},
            "nodeAgent": {"resources": {"limits": {"cpu": "1"}}, "annotations": {"a": "b"}},
        }));
        assert_eq!(
            conflicts,
            [
                (
                    "/configuration/defaultBackupTTL".to_owned(),
                    "backup.retention.ttl"
                ),
                (
                    "/nodeAgent/resources/limits/cpu".to_owned(),
                    "gitops.velero.nodeAgent.resources"
                ),
                (
                    "/schedules/x".to_owned(),
                    "backup.schedule and backup.tiers (rendered as Schedule objects)"
                ),
            ]
        );
    }
}
