//! Snapshots to compare: a fleet rendered from the working tree, from a git revision (read
//! with `git archive`, no checkout), or a committed rendered tree. Sensitive values are masked
//! here, before anything can print them.

use crate::diagnostic::Severity;
use crate::secrets;
use crate::validate::Outcome;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a masked value is shown.
pub const MASK: &str = "<masked>";

/// Identity of a Kubernetes object: objects are matched by it, so reordering is no change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectKey {
        ObjectKey {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {} {ns}/{}", self.api_version, self.kind, self.name),
            None => write!(f, "{} {} {}", self.api_version, self.kind, self.name),
        }
    }
}

/// A finding, as compared across snapshots (no locations: lines move).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub severity: String,
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentSnapshot {
    /// `false` when the environment could not be rendered (structural errors): its objects are
    /// unknown, not absent.
    pub unrenderable: bool,
    /// Effective settings, flattened to dotted keys.
    pub settings: BTreeMap<String, String>,
    pub findings: BTreeSet<Finding>,
    /// Rendered objects, as canonical YAML.
    pub objects: BTreeMap<ObjectKey, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub label: String,
    pub environments: BTreeMap<String, EnvironmentSnapshot>,
}

/// Rendered files by relative path (`<environment>/<file>.yaml`).
pub type Files = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("git: {0}")]
    Git(String),
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("`{path}` is not valid YAML: {source}")]
    Yaml {
        path: String,
        #[source]
        source: crate::yaml::ReadError,
    },
}

impl Snapshot {
    /// A snapshot of validated environments and the files rendered from them.
    /// A snapshot of validated environments and the files rendered from them; `sensitive`
    /// holds the dotted keys the schema marks `x-sensitive` (masked).
    pub fn from_outcome(
        label: &str,
        outcome: &Outcome,
        files: &Files,
        sensitive: &BTreeSet<String>,
    ) -> Result<Snapshot, SnapshotError> {
        let mut snapshot = Snapshot {
            label: label.to_owned(),
            environments: BTreeMap::new(),
        };
        let mut sensitive_values = BTreeSet::new();
        for checked in &outcome.environments {
            let env = snapshot
                .environments
                .entry(checked.loaded.name.clone())
                .or_default();
            flatten(&checked.value(), String::new(), &mut env.settings);
            for (key, value) in env.settings.iter_mut() {
                if sensitive.contains(&unindexed(key)) {
                    // The value may also be rendered into an object (a KMS key in a BSL).
                    sensitive_values.insert(std::mem::replace(value, MASK.to_owned()));
                }
            }
        }
        for d in &outcome.diagnostics {
            let Some(name) = &d.environment else { continue };
            let severity = match (&d.accepted, d.severity) {
                (Some(_), _) => "accepted".to_owned(),
                (None, Severity::Error) => "error".to_owned(),
                (None, Severity::Warning) => "warning".to_owned(),
                (None, Severity::Note) => continue,
            };
            snapshot
                .environments
                .entry(name.clone())
                .or_default()
                .findings
                .insert(Finding {
                    severity,
                    code: d.code.to_string(),
                    message: d.message.clone(),
                });
        }
        snapshot.add_files(files, &sensitive_values)?;
        Ok(snapshot)
    }

    /// A snapshot of a rendered tree on disk (objects only).
    pub fn from_rendered_dir(label: &str, dir: &Path) -> Result<Snapshot, SnapshotError> {
        let mut files = Files::new();
        read_tree(dir, dir, &mut files)?;
        let mut snapshot = Snapshot {
            label: label.to_owned(),
            environments: BTreeMap::new(),
        };
        snapshot.add_files(&files, &BTreeSet::new())?;
        Ok(snapshot)
    }

    fn add_files(
        &mut self,
        files: &Files,
        sensitive_values: &BTreeSet<String>,
    ) -> Result<(), SnapshotError> {
        for (path, text) in files {
            if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
                continue;
            }
            let group = path.split('/').next().unwrap_or_default().to_owned();
            let documents = crate::yaml::documents(text).map_err(|source| SnapshotError::Yaml {
                path: path.clone(),
                source,
            })?;
            for mut document in documents {
                let Some(key) = object_key(&document) else {
                    continue;
                };
                mask(&mut document, key.kind == "Secret");
                mask_values(&mut document, sensitive_values);
                let canonical = crate::yaml::to_yaml(&document).unwrap_or_default();
                self.environments
                    .entry(group.clone())
                    .or_default()
                    .objects
                    .insert(key, canonical);
            }
        }
        Ok(())
    }
}

/// Replace every string equal to one of `values` (or containing it) with [`MASK`].
fn mask_values(value: &mut Value, values: &BTreeSet<String>) {
    if values.is_empty() {
        return;
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|v| mask_values(v, values)),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_values(v, values)),
        Value::String(s)
            if values
                .iter()
                .any(|v| !v.is_empty() && s.contains(v.as_str())) =>
        {
            *s = MASK.to_owned()
        }
        _ => {}
    }
}

/// Every `*.yaml` / `*.yml` file under `root` (never following a link: a link, FIFO or
/// device with such a name is an error naming it; bounded depth, count and size).
fn read_tree(root: &Path, _dir: &Path, files: &mut Files) -> Result<(), SnapshotError> {
    let fs = |e: crate::source::safefs::FsError| SnapshotError::Io {
        path: root.display().to_string(),
        message: e.to_string(),
    };
    let wanted = |name: &str| name.ends_with(".yaml") || name.ends_with(".yml");
    let found = crate::source::safefs::walk(
        root,
        &wanted,
        false,
        crate::source::safefs::Limits::default(),
    )
    .map_err(fs)?;
    for (relative, path) in found {
        let text = crate::source::safefs::read_text(&path, MAX_RENDERED_FILE)
            .map_err(fs)?
            .unwrap_or_default();
        files.insert(relative, text);
    }
    Ok(())
}

/// A rendered file larger than this is not ck8s-gen output.
const MAX_RENDERED_FILE: u64 = 16 * 1024 * 1024;

fn object_key(document: &Value) -> Option<ObjectKey> {
    let api_version = document.get("apiVersion")?.as_str()?;
    let kind = document.get("kind")?.as_str()?;
    let metadata = document.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    Some(ObjectKey::new(api_version, kind, namespace, name))
}

/// Replace credentials (and all Secret data) with [`MASK`].
pub fn mask(value: &mut Value, is_secret_object: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let secret_data = is_secret_object && (key == "data" || key == "stringData");
                if secret_data {
                    if let Value::Object(entries) = child {
                        for v in entries.values_mut() {
                            *v = Value::String(MASK.to_owned());
                        }
                    }
                } else if secrets::is_secret_key(key) && (child.is_string() || child.is_number()) {
                    *child = Value::String(MASK.to_owned());
                } else {
                    mask(child, false);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, false)),
        Value::String(s) if secrets::looks_like_secret_value(s) => *s = MASK.to_owned(),
        _ => {}
    }
}

/// `a.b[3].c` → `a.b[].c`, the form the schema walk uses.
fn unindexed(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn flatten(value: &Value, prefix: String, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, key, out);
            }
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let shown: Vec<String> = items.iter().map(scalar).collect();
            out.insert(prefix, format!("[{}]", shown.join(", ")));
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{prefix}[{i}]"), out);
            }
        }
        other => {
            let last = prefix.rsplit('.').next().unwrap_or_default();
            let shown = if secrets::is_secret_key(last) {
                MASK.to_owned()
            } else {
                scalar(other)
            };
            out.insert(prefix, shown);
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if secrets::looks_like_secret_value(s) => MASK.to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Extract `dir` (a path inside the git work tree) as it is at `revision` into `into`, with
/// `git archive`: no checkout, the working tree is untouched. Returns the extracted directory,
/// or `None` when `dir` does not exist at that revision.
pub fn extract_revision(
    revision: &str,
    dir: &Path,
    into: &Path,
) -> Result<Option<PathBuf>, SnapshotError> {
    let git = |args: &[&str], cwd: &Path| -> Result<std::process::Output, SnapshotError> {
        Command::new("git")
            .args(args)
            .current_dir(cwd)
            .output()
            .map_err(|e| SnapshotError::Git(format!("cannot run git: {e}")))
    };
    let absolute = std::path::absolute(dir).map_err(|e| SnapshotError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let probe = if absolute.is_dir() {
        absolute.clone()
    } else {
        absolute.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let top = git(&["rev-parse", "--show-toplevel"], &probe)?;
    if !top.status.success() {
        return Err(SnapshotError::Git(format!(
            "`{}` is not inside a git repository",
            dir.display()
        )));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let top = top.canonicalize().unwrap_or(top);
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let relative = absolute.strip_prefix(&top).map_err(|_| {
        SnapshotError::Git(format!("`{}` is outside the repository", dir.display()))
    })?;
    let relative = relative.to_string_lossy().replace('\\', "/");
    let verify = git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
        &top,
    )?;
    if !verify.status.success() {
        return Err(SnapshotError::Git(format!("unknown revision `{revision}`")));
    }
    let listing = git(
        &["ls-tree", "-d", "--name-only", revision, "--", &relative],
        &top,
    )?;
    if String::from_utf8_lossy(&listing.stdout).trim().is_empty() {
        return Ok(None);
    }
    let archive = git(
        &["archive", "--format=tar", revision, "--", &relative],
        &top,
    )?;
    if !archive.status.success() {
        return Err(SnapshotError::Git(
            String::from_utf8_lossy(&archive.stderr).trim().to_owned(),
        ));
    }
    untar(&archive.stdout, into)?;
    Ok(Some(into.join(relative)))
}

/// Unpack the regular files of a tar stream (as `git archive` writes it) under `into`.
fn untar(bytes: &[u8], into: &Path) -> Result<(), SnapshotError> {
    let bad = |m: &str| SnapshotError::Git(format!("unexpected archive from git: {m}"));
    let mut offset = 0;
    let mut long_name: Option<String> = None;
    while offset + 512 <= bytes.len() {
        let header = &bytes[offset..offset + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field = |range: std::ops::Range<usize>| {
            String::from_utf8_lossy(&header[range])
                .trim_end_matches('\0')
                .to_owned()
        };
        let size = usize::from_str_radix(field(124..136).trim(), 8).map_err(|_| bad("size"))?;
        let typeflag = header[156];
        let prefix = field(345..500);
        let name = long_name.take().unwrap_or_else(|| {
            if prefix.is_empty() {
                field(0..100)
            } else {
                format!("{prefix}/{}", field(0..100))
            }
        });
        let data_start = offset + 512;
        let data_end = data_start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad("truncated"))?;
        let data = &bytes[data_start..data_end];
        match typeflag {
            b'0' | 0 => {
                if name.split('/').any(|c| c == "..") || name.starts_with('/') {
                    return Err(bad("path escapes the target"));
                }
                let target = into.join(&name);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| SnapshotError::Io {
                        path: parent.display().to_string(),
                        message: e.to_string(),
                    })?;
                }
                std::fs::write(&target, data).map_err(|e| SnapshotError::Io {
                    path: target.display().to_string(),
                    message: e.to_string(),
                })?;
            }
            // A pax extended header (what `git archive` writes for paths longer than the
            // 100 bytes of a tar header): records `LEN key=value\n`; `path` names the next entry.
            b'x' => {
                let text = String::from_utf8_lossy(data);
                let mut rest: &str = &text;
                while let Some((len, _)) = rest.split_once(' ') {
                    let Ok(len) = len.parse::<usize>() else { break };
                    let Some(record) = rest.get(..len) else { break };
                    if let Some((_, kv)) = record.split_once(' ')
                        && let Some(path) = kv.trim_end_matches('\n').strip_prefix("path=")
                    {
                        long_name = Some(path.to_owned());
                    }
                    rest = &rest[len..];
                }
            }
            b'L' => {
                long_name = Some(
                    String::from_utf8_lossy(data)
                        .trim_end_matches('\0')
                        .to_owned(),
                )
            }
            _ => {}
        }
        offset = data_start + size.div_ceil(512) * 512;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_secret_data_and_credential_looking_values() {
        let mut secret = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "data": {"cloud": "c2VjcmV0"}, "stringData": {"password": "hunter2"}});
        mask(&mut secret, true);
        assert_eq!(secret["data"]["cloud"], MASK);
        assert_eq!(secret["stringData"]["password"], MASK);
        let mut other = serde_json::json!({"spec": {"password": "hunter2", "note": "AKIAABCDEFGHIJKLMNOP", "name": "velero"}});
        mask(&mut other, false);
        assert_eq!(other["spec"]["password"], MASK);
        assert_eq!(other["spec"]["note"], MASK);
        assert_eq!(other["spec"]["name"], "velero");
    }

    #[test]
    fn indexes_are_dropped_for_schema_lookups() {
        assert_eq!(unindexed("backup.tiers[12].ttl"), "backup.tiers[].ttl");
    }

    #[test]
    fn flatten_uses_dotted_keys() {
        let mut out = BTreeMap::new();
        flatten(
            &serde_json::json!({"backup": {"retention": {"ttl": "720h"}, "tiers": [{"name": "weekly"}], "ns": ["a", "b"]}}),
            String::new(),
            &mut out,
        );
        assert_eq!(out["backup.retention.ttl"], "720h");
        assert_eq!(out["backup.tiers[0].name"], "weekly");
        assert_eq!(out["backup.ns"], "[a, b]");
    }
}
