//! What a change does: compare two snapshots of a fleet (rendered objects, effective settings
//! and compliance findings per environment) resource by resource, and group environments
//! that changed the same way.

mod format;
pub mod snapshot;

pub use format::{MARKDOWN_LIMIT, github, markdown, text, to_json};
pub use snapshot::{ObjectKey, Snapshot};

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One setting that changed: `backup.retention.ttl: 720h → 168h`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// A compliance finding the change introduces (`+`) or resolves (`-`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingChange {
    pub introduced: bool,
    pub severity: String,
    pub code: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectChangeKind {
    Added,
    Removed,
    Changed,
}

/// One Kubernetes object added, removed or changed, with a unified diff of its canonical YAML.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectChange {
    pub kind: ObjectChangeKind,
    pub object: ObjectKey,
    pub diff: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentStatus {
    Added,
    Removed,
    Changed,
}

/// Everything that changed for one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentChange {
    pub environment: String,
    pub status: EnvironmentStatus,
    pub settings: Vec<SettingChange>,
    pub findings: Vec<FindingChange>,
    pub objects: Vec<ObjectChange>,
    /// Why objects are not compared, when one side could not be rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl EnvironmentChange {
    /// The change with the environment's own name replaced by `{env}`, so environments that
    /// changed the same way compare equal.
    fn shape(&self) -> String {
        let name = &self.environment;
        let mut text = format!("{:?}", self.status);
        for s in &self.settings {
            text.push_str(&format!("\n{}|{:?}|{:?}", s.key, s.before, s.after));
        }
        for f in &self.findings {
            text.push_str(&format!(
                "\n{}|{}|{}|{}",
                f.introduced, f.severity, f.code, f.message
            ));
        }
        for o in &self.objects {
            text.push_str(&format!("\n{:?}|{:?}|{}", o.kind, o.object, o.diff));
        }
        text.replace(name.as_str(), "{env}")
    }
}

/// Environments that changed in exactly the same way, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeGroup {
    pub environments: Vec<String>,
    /// The change of the first environment of the group (the others differ only by name).
    pub change: EnvironmentChange,
}

/// Version of the JSON form of [`DiffReport`] (`schemas/output/diff.schema.json`).
pub const JSON_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    /// [`JSON_VERSION`].
    pub version: u32,
    pub base: String,
    pub head: String,
    pub groups: Vec<ChangeGroup>,
    /// Objects outside any environment (`_fleet/`: the Argo CD ApplicationSets), which is not
    /// an environment and is not counted as one.
    pub fleet: Vec<ObjectChange>,
    /// Environments present on both sides with no change.
    pub unchanged_environments: usize,
}

impl DiffReport {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.fleet.is_empty()
    }

    pub fn count(&self, status: EnvironmentStatus) -> usize {
        self.groups
            .iter()
            .filter(|g| g.change.status == status)
            .map(|g| g.environments.len())
            .sum()
    }
}

/// Compare two snapshots.
pub fn compare(base: &Snapshot, head: &Snapshot) -> DiffReport {
    let names: BTreeSet<&String> = base
        .environments
        .keys()
        .chain(head.environments.keys())
        .collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let empty = snapshot::EnvironmentSnapshot::default();
    let fleet = object_changes(
        &base
            .environments
            .get(crate::render::FLEET_DIR)
            .unwrap_or(&empty)
            .objects,
        &head
            .environments
            .get(crate::render::FLEET_DIR)
            .unwrap_or(&empty)
            .objects,
    );
    for name in names
        .into_iter()
        .filter(|n| n.as_str() != crate::render::FLEET_DIR)
    {
        let before = base.environments.get(name);
        let after = head.environments.get(name);
        let status = match (before, after) {
            (None, Some(_)) => EnvironmentStatus::Added,
            (Some(_), None) => EnvironmentStatus::Removed,
            _ => EnvironmentStatus::Changed,
        };
        let empty = snapshot::EnvironmentSnapshot::default();
        let before = before.unwrap_or(&empty);
        let after = after.unwrap_or(&empty);
        let unrenderable = [(before, &base.label), (after, &head.label)]
            .into_iter()
            .find(|(s, _)| s.unrenderable);
        let (objects, note) = match unrenderable {
            Some((_, label)) => (
                Vec::new(),
                Some(format!(
                    "objects not compared: the environment has structural errors in {label}"
                )),
            ),
            None => (object_changes(&before.objects, &after.objects), None),
        };
        let change = EnvironmentChange {
            environment: name.clone(),
            status,
            settings: setting_changes(&before.settings, &after.settings),
            findings: finding_changes(&before.findings, &after.findings),
            objects,
            note,
        };
        if status == EnvironmentStatus::Changed
            && change.settings.is_empty()
            && change.findings.is_empty()
            && change.objects.is_empty()
        {
            unchanged += 1;
            continue;
        }
        changes.push(change);
    }
    DiffReport {
        version: JSON_VERSION,
        base: base.label.clone(),
        head: head.label.clone(),
        groups: group(changes),
        fleet,
        unchanged_environments: unchanged,
    }
}

fn group(changes: Vec<EnvironmentChange>) -> Vec<ChangeGroup> {
    let mut groups: Vec<(String, ChangeGroup)> = Vec::new();
    for change in changes {
        let shape = change.shape();
        match groups.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, g)) => g.environments.push(change.environment.clone()),
            None => groups.push((
                shape,
                ChangeGroup {
                    environments: vec![change.environment.clone()],
                    change,
                },
            )),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

fn setting_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<SettingChange> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| SettingChange {
            key: k.clone(),
            before: before.get(k).cloned(),
            after: after.get(k).cloned(),
        })
        .collect()
}

fn finding_changes(
    before: &BTreeSet<snapshot::Finding>,
    after: &BTreeSet<snapshot::Finding>,
) -> Vec<FindingChange> {
    let mut out: Vec<FindingChange> = after
        .difference(before)
        .map(|f| FindingChange {
            introduced: true,
            severity: f.severity.clone(),
            code: f.code.clone(),
            message: f.message.clone(),
        })
        .chain(before.difference(after).map(|f| FindingChange {
            introduced: false,
            severity: f.severity.clone(),
            code: f.code.clone(),
            message: f.message.clone(),
        }))
        .collect();
    out.sort_by(|a, b| {
        (!a.introduced, &a.severity, &a.code, &a.message).cmp(&(
            !b.introduced,
            &b.severity,
            &b.code,
            &b.message,
        ))
    });
    out
}

fn object_changes(
    before: &BTreeMap<ObjectKey, String>,
    after: &BTreeMap<ObjectKey, String>,
) -> Vec<ObjectChange> {
    let keys: BTreeSet<&ObjectKey> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (kind, old, new) = match (before.get(key), after.get(key)) {
            (None, Some(new)) => (ObjectChangeKind::Added, "", new.as_str()),
            (Some(old), None) => (ObjectChangeKind::Removed, old.as_str(), ""),
            (Some(old), Some(new)) if old != new => {
                (ObjectChangeKind::Changed, old.as_str(), new.as_str())
            }
            _ => continue,
        };
        out.push(ObjectChange {
            kind,
            object: key.clone(),
            diff: unified(old, new, &key.to_string()),
        });
    }
    out
}

/// A git-style unified diff with 3 lines of context; bounded in time.
pub fn unified(old: &str, new: &str, name: &str) -> String {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use snapshot::{EnvironmentSnapshot, Finding};

    fn env(ttl: &str, objects: &[(&str, &str)]) -> EnvironmentSnapshot {
        let mut e = EnvironmentSnapshot::default();
        e.settings.insert("backup.retention.ttl".into(), ttl.into());
        for (name, body) in objects {
            e.objects.insert(
                ObjectKey::new("velero.io/v1", "Schedule", Some("velero"), name),
                (*body).to_owned(),
            );
        }
        e
    }

    fn snap(label: &str, envs: Vec<(&str, EnvironmentSnapshot)>) -> Snapshot {
        Snapshot {
            label: label.into(),
            environments: envs.into_iter().map(|(n, e)| (n.to_owned(), e)).collect(),
        }
    }

    #[test]
    fn identical_snapshots_have_no_changes() {
        let a = snap(
            "a",
            vec![("prod", env("720h", &[("daily", "ttl: 720h0m0s\n")]))],
        );
        let report = compare(&a, &a.clone());
        assert!(report.is_empty());
        assert_eq!(report.unchanged_environments, 1);
    }

    #[test]
    fn the_same_change_on_many_environments_is_grouped() {
        let base = snap(
            "base",
            vec![
                ("prod-a", env("720h", &[("daily", "ttl: 720h0m0s\n")])),
                ("prod-b", env("720h", &[("daily", "ttl: 720h0m0s\n")])),
            ],
        );
        let head = snap(
            "head",
            vec![
                ("prod-a", env("168h", &[("daily", "ttl: 168h0m0s\n")])),
                ("prod-b", env("168h", &[("daily", "ttl: 168h0m0s\n")])),
            ],
        );
        let report = compare(&base, &head);
        assert_eq!(report.groups.len(), 1);
        assert_eq!(report.groups[0].environments, vec!["prod-a", "prod-b"]);
        let change = &report.groups[0].change;
        assert_eq!(
            change.settings,
            vec![SettingChange {
                key: "backup.retention.ttl".into(),
                before: Some("720h".into()),
                after: Some("168h".into())
            }]
        );
        assert_eq!(change.objects.len(), 1);
        assert!(
            change.objects[0]
                .diff
                .contains("-ttl: 720h0m0s\n+ttl: 168h0m0s"),
            "{}",
            change.objects[0].diff
        );
    }

    #[test]
    fn added_and_removed_environments_and_findings() {
        let mut with_finding = env("720h", &[]);
        with_finding.findings.insert(Finding {
            severity: "error".into(),
            code: "HSLF-08".into(),
            message: "too short".into(),
        });
        let base = snap(
            "base",
            vec![
                ("old", env("720h", &[("daily", "x\n")])),
                ("prod", env("720h", &[])),
            ],
        );
        let head = snap(
            "head",
            vec![
                ("new", env("720h", &[("daily", "x\n")])),
                ("prod", with_finding),
            ],
        );
        let report = compare(&base, &head);
        assert_eq!(report.count(EnvironmentStatus::Added), 1);
        assert_eq!(report.count(EnvironmentStatus::Removed), 1);
        let prod = report
            .groups
            .iter()
            .find(|g| g.environments == ["prod"])
            .unwrap();
        assert_eq!(prod.change.findings[0].code, "HSLF-08");
        assert!(prod.change.findings[0].introduced);
    }
}
