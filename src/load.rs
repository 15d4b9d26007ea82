//! Reading environments: finding the files, refusing unsafe input (too large, binary, not
//! UTF-8), and layering built-in defaults ← `common.yaml` ← the environment file while
//! remembering which file and span every effective value came from.

use crate::diagnostic::Diagnostic;
use crate::source::{Location, SourceFile, SourceId, Sources, Span};
use crate::yaml::{self, Document, escape_pointer_segment};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The shared file layered under every environment in the directory.
pub const COMMON_FILE: &str = "common.yaml";
/// Display name of the embedded defaults.
pub const DEFAULTS_NAME: &str = "<built-in defaults>";
/// The embedded defaults are always the first source of a [`Workspace`].
pub const DEFAULTS_SOURCE: SourceId = SourceId(0);

/// Where one effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The key of a map entry (`ttl:`), when the value sits in a map.
    pub key: Option<Location>,
    pub value: Location,
}

/// JSON pointer → origin, for every node of an effective environment.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    origins: BTreeMap<String, Origin>,
}

impl Provenance {
    pub fn get(&self, pointer: &str) -> Option<Origin> {
        self.origins.get(pointer).copied()
    }

    /// The origin of `pointer`, or of its nearest ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> Option<(&str, Origin)> {
        let mut p = pointer;
        loop {
            if let Some((k, origin)) = self.origins.get_key_value(p) {
                return Some((k.as_str(), *origin));
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
    }

    /// Best location for a finding about the value at `pointer` (or where it would go).
    pub fn value_location(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer).map(|(p, origin)| {
            if p == pointer {
                origin.value
            } else {
                origin.key.unwrap_or(origin.value)
            }
        })
    }

    /// Best location for a finding about the key at `pointer`.
    pub fn key_location(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer)
            .map(|(_, origin)| origin.key.unwrap_or(origin.value))
    }

    /// Like [`Provenance::key_location`], but never inside the built-in defaults: a finding
    /// about an inherited default points at the environment file (`file`) instead.
    pub fn user_key_location(&self, pointer: &str, file: SourceId) -> Option<Location> {
        let mut p = pointer.to_owned();
        loop {
            match self.nearest(&p) {
                Some((found, origin)) if origin.value.source == DEFAULTS_SOURCE => {
                    if found.is_empty() {
                        return self.file_start(file);
                    }
                    p = found
                        .rfind('/')
                        .map_or(String::new(), |i| found[..i].to_owned());
                }
                Some((_, origin)) if origin.value.source != file && pointer.is_empty() => {
                    return self.file_start(file);
                }
                Some((found, origin)) if found.is_empty() && origin.value.source == file => {
                    return self.file_start(file);
                }
                Some((_, origin)) => return Some(origin.key.unwrap_or(origin.value)),
                None => return self.file_start(file),
            }
        }
    }

    /// The first key of `file`, for findings about the environment as a whole.
    pub fn file_start(&self, file: SourceId) -> Option<Location> {
        self.origins
            .values()
            .filter(|o| o.value.source == file)
            .filter_map(|o| o.key)
            .min_by_key(|l| l.span.start)
    }

    fn remove_subtree(&mut self, pointer: &str) {
        let prefix = format!("{pointer}/");
        let doomed: Vec<String> = self
            .origins
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for key in doomed {
            self.origins.remove(&key);
        }
        self.origins.remove(pointer);
    }

    fn record(
        &mut self,
        pointer: &str,
        source: SourceId,
        document: &Document,
        layer_pointer: &str,
    ) {
        if let Some(span) = document.spans.get(layer_pointer) {
            let at = |span: Span| Location { source, span };
            self.origins.insert(
                pointer.to_owned(),
                Origin {
                    key: span.key.map(at),
                    value: at(span.value),
                },
            );
        }
    }

    /// Record `value` (from `layer_pointer` in a layer) and everything under it at `pointer`.
    fn record_tree(
        &mut self,
        pointer: &str,
        value: &Value,
        source: SourceId,
        doc: &Document,
        layer_pointer: &str,
    ) {
        self.record(pointer, source, doc, layer_pointer);
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let seg = escape_pointer_segment(k);
                    self.record_tree(
                        &format!("{pointer}/{seg}"),
                        v,
                        source,
                        doc,
                        &format!("{layer_pointer}/{seg}"),
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.record_tree(
                        &format!("{pointer}/{i}"),
                        v,
                        source,
                        doc,
                        &format!("{layer_pointer}/{i}"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// One layer: a parsed file.
#[derive(Clone, Debug)]
pub struct Layer {
    pub source: SourceId,
    pub document: Document,
}

/// Merge `layer` over `base`: maps merge, lists and scalars replace, `key+: [..]` appends to
/// an inherited list and `key: null` removes an inherited value.
pub fn merge_layer(base: &mut Value, provenance: &mut Provenance, layer: &Layer) {
    provenance.record("", layer.source, &layer.document, "");
    merge_value(base, &layer.document.value, "", "", provenance, layer);
}

fn merge_value(
    base: &mut Value,
    over: &Value,
    pointer: &str,
    layer_pointer: &str,
    provenance: &mut Provenance,
    layer: &Layer,
) {
    let (Value::Object(base_map), Value::Object(over_map)) = (&mut *base, over) else {
        provenance.remove_subtree(pointer);
        provenance.record_tree(pointer, over, layer.source, &layer.document, layer_pointer);
        *base = over.clone();
        return;
    };
    for (key, value) in over_map {
        let layer_child = format!("{layer_pointer}/{}", escape_pointer_segment(key));
        if let (Some(name), Value::Array(extra)) = (key.strip_suffix('+'), value)
            && !name.is_empty()
        {
            let child = format!("{pointer}/{}", escape_pointer_segment(name));
            let list = base_map
                .entry(name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                let offset = items.len();
                for (i, item) in extra.iter().enumerate() {
                    provenance.record_tree(
                        &format!("{child}/{}", offset + i),
                        item,
                        layer.source,
                        &layer.document,
                        &format!("{layer_child}/{i}"),
                    );
                    items.push(item.clone());
                }
                provenance.record(&child, layer.source, &layer.document, &layer_child);
                continue;
            }
        }
        let child = format!("{pointer}/{}", escape_pointer_segment(key));
        if value.is_null() {
            base_map.remove(key);
            provenance.remove_subtree(&child);
            continue;
        }
        match base_map.get_mut(key) {
            Some(existing) if existing.is_object() && value.is_object() => {
                provenance.record(&child, layer.source, &layer.document, &layer_child);
                merge_value(existing, value, &child, &layer_child, provenance, layer);
            }
            _ => {
                provenance.remove_subtree(&child);
                provenance.record_tree(&child, value, layer.source, &layer.document, &layer_child);
                base_map.insert(key.clone(), value.clone());
            }
        }
    }
}

/// An environment after layering: the effective value and where each part came from.
#[derive(Clone, Debug)]
pub struct LoadedEnvironment {
    /// `metadata.name`, or the file stem when the name is missing.
    pub name: String,
    pub file: SourceId,
    pub value: Value,
    pub provenance: Provenance,
}

/// Everything read in one run.
#[derive(Debug, Default)]
pub struct Workspace {
    pub sources: Sources,
    pub environments: Vec<LoadedEnvironment>,
    /// Problems with the files themselves (unreadable YAML, binary, too large).
    pub diagnostics: Vec<Diagnostic>,
    /// Names of the environments in the directory that were not loaded (when only some were
    /// asked for), so links to them (`managedBy`) can still be checked.
    pub unloaded_names: std::collections::BTreeSet<String>,
}

/// An error that stops the run before any environment is looked at (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("environment directory `{0}` does not exist")]
    MissingDirectory(String),
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("no environment named `{0}` in `{1}`")]
    UnknownEnvironment(String, String),
    #[error("no environment files (*.yaml) in `{0}`")]
    Empty(String),
}

/// What to load.
#[derive(Clone, Debug)]
pub struct LoadRequest<'a> {
    pub dir: &'a Path,
    /// Environment names or file paths; empty means every environment in `dir`.
    pub only: &'a [String],
    /// The built-in defaults text (overridable with `--schemas`).
    pub defaults: &'a str,
}

/// Read a file without trusting it: bounded size, no NUL bytes, valid UTF-8.
pub fn read_source(path: &Path, display: &str) -> Result<Result<String, Diagnostic>, LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: display.to_owned(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Ok(Err(Diagnostic::error(
            "file-too-large",
            format!("`{display}` is larger than {} KiB", yaml::MAX_FILE_BYTES / 1024),
        )
        .help("an environment file is a few KiB of YAML; check that the right file is in the environment directory")));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Ok(Err(Diagnostic::error("binary-file", format!("`{display}` is a binary file (NUL byte at offset {at})"))
            .help("environment files are UTF-8 YAML text; move other files out of the environment directory")));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Ok(text
            .strip_prefix('\u{feff}')
            .map(str::to_owned)
            .unwrap_or(text))),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Ok(Err(Diagnostic::error(
                "invalid-utf8",
                format!("`{display}` is not valid UTF-8 (first invalid byte at line {line}, column {column})"),
            )
            .help("save the file as UTF-8")))
        }
    }
}

/// Find the environment files to load, sorted by file name.
pub fn discover(dir: &Path, only: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    let display = dir.display().to_string();
    let mut all: Vec<PathBuf> = Vec::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Io {
            path: display.clone(),
            message: e.to_string(),
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| LoadError::Io {
                path: display.clone(),
                message: e.to_string(),
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if is_yaml && name != COMMON_FILE && !name.starts_with('.') && path.is_file() {
                all.push(path);
            }
        }
    } else if only.is_empty() {
        return Err(LoadError::MissingDirectory(display));
    }
    all.sort();
    if only.is_empty() {
        if all.is_empty() {
            return Err(LoadError::Empty(display));
        }
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for want in only {
        let as_path = Path::new(want);
        if (want.ends_with(".yaml") || want.ends_with(".yml")) && as_path.is_file() {
            chosen.push(as_path.to_path_buf());
            continue;
        }
        let found = all.iter().find(|p| {
            p.file_stem().is_some_and(|s| s.to_string_lossy() == *want)
                || quick_name(p).as_deref() == Some(want.as_str())
        });
        match found {
            Some(path) => chosen.push(path.clone()),
            None if as_path.exists() => chosen.push(as_path.to_path_buf()),
            None => return Err(LoadError::UnknownEnvironment(want.clone(), display)),
        }
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

/// `metadata.name` read cheaply, to match environment names given on the command line.
fn quick_name(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut in_metadata = false;
    for line in text.lines() {
        if line.starts_with("metadata:") {
            in_metadata = true;
        } else if in_metadata {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("name:") {
                return Some(rest.trim().trim_matches(['"', '\'']).to_owned());
            }
            if !line.starts_with(' ') {
                in_metadata = false;
            }
        }
    }
    None
}

/// Load and layer every requested environment.
pub fn load(request: &LoadRequest<'_>) -> Result<Workspace, LoadError> {
    let files = discover(request.dir, request.only)?;
    let mut workspace = Workspace::default();
    if !request.only.is_empty() {
        for path in discover(request.dir, &[]).unwrap_or_default() {
            if !files.contains(&path) {
                workspace.unloaded_names.extend(quick_name(&path));
                workspace
                    .unloaded_names
                    .extend(path.file_stem().map(|s| s.to_string_lossy().into_owned()));
            }
        }
    }
    let defaults_id = workspace
        .sources
        .add(SourceFile::new(DEFAULTS_NAME, request.defaults));
    let defaults = match yaml::parse_document(workspace.sources.get(defaults_id), defaults_id) {
        Ok(document) => document,
        Err(diagnostic) => {
            workspace.diagnostics.push(*diagnostic);
            return Ok(workspace);
        }
    };
    let mut layers = vec![Layer {
        source: defaults_id,
        document: defaults,
    }];
    let common_path = request.dir.join(COMMON_FILE);
    if common_path.is_file()
        && let Some(layer) = read_layer(&mut workspace, &common_path, "Defaults")?
    {
        layers.push(layer);
    }
    for path in files {
        let Some(layer) = read_layer(&mut workspace, &path, "Environment")? else {
            continue;
        };
        let mut value = Value::Object(Map::new());
        let mut provenance = Provenance::default();
        for base in &layers {
            merge_layer(&mut value, &mut provenance, base);
        }
        merge_layer(&mut value, &mut provenance, &layer);
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        workspace.environments.push(LoadedEnvironment {
            name,
            file: layer.source,
            value,
            provenance,
        });
    }
    Ok(workspace)
}

fn read_layer(
    workspace: &mut Workspace,
    path: &Path,
    kind: &str,
) -> Result<Option<Layer>, LoadError> {
    let display = display_path(path);
    let text = match read_source(path, &display)? {
        Ok(text) => text,
        Err(mut diagnostic) => {
            // Keep what can be shown of a non-UTF-8 file so the snippet points at the bad byte.
            let (text, offset) = match diagnostic.code.as_str() {
                "invalid-utf8" => std::fs::read(path)
                    .map(|bytes| {
                        let valid =
                            std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
                        (
                            String::from_utf8_lossy(&bytes[..valid]).into_owned() + "\u{fffd}",
                            valid,
                        )
                    })
                    .unwrap_or_default(),
                _ => (String::new(), 0),
            };
            let id = workspace.sources.add(SourceFile::new(display, text));
            let label = if offset > 0 {
                "not UTF-8"
            } else {
                "in this file"
            };
            diagnostic.primary = None;
            let location = Location {
                source: id,
                span: Span::new(offset, offset + 1),
            };
            workspace
                .diagnostics
                .push(diagnostic.at(Some(location), label));
            return Ok(None);
        }
    };
    let id = workspace
        .sources
        .add(SourceFile::new(display.clone(), text));
    let document = match yaml::parse_document(workspace.sources.get(id), id) {
        Ok(document) => document,
        Err(diagnostic) => {
            workspace.diagnostics.push(*diagnostic);
            return Ok(None);
        }
    };
    if !document.value.is_object() {
        workspace.diagnostics.push(
            Diagnostic::error(
                "not-a-mapping",
                format!("`{display}` must be a YAML mapping with `apiVersion` and `kind`"),
            )
            .at(
                document.spans.get("").map(|s| Location {
                    source: id,
                    span: s.value,
                }),
                "expected `key: value` pairs",
            )
            .help("start the file with `apiVersion: ck8s-gen/v1` and `kind: Environment`"),
        );
        return Ok(None);
    }
    let found_kind = document.value.get("kind").and_then(Value::as_str);
    if found_kind.is_some_and(|k| k != kind)
        && (kind == "Defaults" || found_kind == Some("Defaults"))
    {
        let location = document.spans.get("/kind").map(|s| Location {
            source: id,
            span: s.value,
        });
        let help = if kind == "Defaults" {
            format!("`{COMMON_FILE}` holds shared settings: write `kind: Defaults`")
        } else {
            format!(
                "`kind: Defaults` belongs in `{COMMON_FILE}`; an environment file has `kind: Environment`"
            )
        };
        workspace.diagnostics.push(
            Diagnostic::error(
                "wrong-kind",
                format!(
                    "`{display}` has `kind: {}`, expected `{kind}`",
                    found_kind.unwrap_or_default()
                ),
            )
            .at(location, "wrong kind")
            .help(help),
        );
        return Ok(None);
    }
    Ok(Some(Layer {
        source: id,
        document,
    }))
}

/// Paths as the user should see them: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    relative
        .to_string_lossy()
        .trim_start_matches("./")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(sources: &mut Sources, name: &str, text: &str) -> Layer {
        let id = sources.add(SourceFile::new(name, text));
        Layer {
            source: id,
            document: yaml::parse_document(sources.get(id), id).unwrap(),
        }
    }

    #[test]
    fn maps_merge_lists_replace_and_plus_appends() {
        let mut sources = Sources::new();
        let base = layer(
            &mut sources,
            "d",
            "a:\n  x: 1\n  y: [1, 2]\n  z: [9]\nb: keep\n",
        );
        let over = layer(
            &mut sources,
            "e",
            "a:\n  x: 2\n  y: [3]\n  z+: [10]\nb: null\n",
        );
        let mut value = Value::Object(Map::new());
        let mut provenance = Provenance::default();
        merge_layer(&mut value, &mut provenance, &base);
        merge_layer(&mut value, &mut provenance, &over);
        assert_eq!(
            value,
            serde_json::json!({"a": {"x": 2, "y": [3], "z": [9, 10]}})
        );
        assert_eq!(provenance.get("/a/x").unwrap().value.source, over.source);
        assert_eq!(provenance.get("/a/z/0").unwrap().value.source, base.source);
        assert_eq!(provenance.get("/a/z/1").unwrap().value.source, over.source);
        assert!(
            provenance.get("/a/y/1").is_none(),
            "replaced list items are forgotten"
        );
        assert!(provenance.get("/b").is_none());
    }
}
