//! Reading environments: finding the files, refusing unsafe input (too large, binary, not
//! UTF-8), and layering built-in defaults ← `common.yaml` ← the environment file while
//! remembering which file and span every effective value came from.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::pointer;
use crate::source::{Location, SourceFile, SourceId, Sources, Span};
use crate::yaml::{self, Document};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
///
/// The origins of the layers every environment shares (the built-in defaults and
/// `common.yaml`) are stored once per run and shared; each environment keeps only its own
/// origins and the shared subtrees it replaced or removed.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    shared: Option<Arc<BTreeMap<String, Origin>>>,
    /// Pointers whose shared subtree (the pointer and everything under it) no longer applies.
    hidden: Vec<String>,
    origins: BTreeMap<String, Origin>,
}

/// Whether `pointer` is `ancestor` or lies under it.
fn within(pointer: &str, ancestor: &str) -> bool {
    pointer
        .strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Provenance {
    pub fn get(&self, pointer: &str) -> Option<Origin> {
        self.origins
            .get(pointer)
            .or_else(|| self.shared_get(pointer))
            .copied()
    }

    fn shared_get(&self, pointer: &str) -> Option<&Origin> {
        let shared = self.shared.as_ref()?;
        if self.hidden.iter().any(|h| within(pointer, h)) {
            return None;
        }
        shared.get(pointer)
    }

    /// Every pointer with an origin, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Origin)> {
        let shared = self.shared.iter().flat_map(|m| m.iter()).filter(|(p, _)| {
            !self.origins.contains_key(p.as_str()) && !self.hidden.iter().any(|h| within(p, h))
        });
        self.origins
            .iter()
            .chain(shared)
            .map(|(p, o)| (p.as_str(), *o))
    }

    /// The same origins, from now on shared by every clone: clones cost next to nothing.
    pub fn into_shared(self) -> Provenance {
        let all: BTreeMap<String, Origin> = self.iter().map(|(p, o)| (p.to_owned(), o)).collect();
        Provenance {
            shared: Some(Arc::new(all)),
            hidden: Vec::new(),
            origins: BTreeMap::new(),
        }
    }

    /// Only what [`Provenance::value_location`] needs to answer for `pointers`, the same as
    /// before: a few origins instead of one for every node.
    pub fn only_for(&self, pointers: &[&str]) -> Provenance {
        let mut slim = Provenance::default();
        for pointer in pointers {
            if let Some((p, origin)) = self.nearest(pointer) {
                slim.origins.insert(p.to_owned(), origin);
            }
        }
        slim
    }

    /// The origin of `pointer`, or of its nearest ancestor that has one.
    pub fn nearest<'p>(&self, pointer: &'p str) -> Option<(&'p str, Origin)> {
        let mut p = pointer;
        loop {
            if let Some(origin) = self.get(p) {
                return Some((p, origin));
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
        let mut p = pointer;
        loop {
            match self.nearest(p) {
                Some((found, origin)) if origin.value.source == DEFAULTS_SOURCE => {
                    if found.is_empty() {
                        return self.file_start(file);
                    }
                    p = found.rfind('/').map_or("", |i| &found[..i]);
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
        self.iter()
            .map(|(_, o)| o)
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
        if let Some(shared) = &self.shared {
            let in_shared = shared.contains_key(pointer)
                || shared
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix));
            if in_shared && !self.hidden.iter().any(|h| within(pointer, h)) {
                self.hidden.push(pointer.to_owned());
            }
        }
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
                    let seg = pointer::escape(k);
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
        let layer_child = pointer::child(layer_pointer, key);
        if let (Some(name), Value::Array(extra)) = (key.strip_suffix('+'), value)
            && !name.is_empty()
        {
            let child = pointer::child(pointer, name);
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
        let child = pointer::child(pointer, key);
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
    /// The environment files of the directory that were not loaded (when only some were
    /// asked for), so links to them (`managedBy`) can still be checked: see
    /// [`names_unloaded`]. Their names are read only when a link needs them, so
    /// loading one environment never reads the whole directory.
    pub unloaded: Vec<PathBuf>,
}

/// Whether an environment named `name` is among the `unloaded` files of a [`Workspace`]: a
/// file named after it, or (read only when none is) a file whose `metadata.name` is `name`.
pub fn names_unloaded(unloaded: &[PathBuf], name: &str) -> bool {
    unloaded.iter().any(|p| stem_is(p, name))
        || unloaded
            .iter()
            .any(|p| quick_name(p).as_deref() == Some(name))
}

/// Whether the file name of `path` without its extension is `name`.
fn stem_is(path: &Path, name: &str) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy() == name)
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
    #[error(transparent)]
    Unsafe(#[from] crate::source::safefs::FsError),
}

/// More entries than this in the environment directory is not an environment directory.
const MAX_DIRECTORY_ENTRIES: usize = 100_000;

/// What to load.
#[derive(Clone, Debug)]
pub struct LoadRequest<'a> {
    pub dir: &'a Path,
    /// Environment names or file paths; empty means every environment in `dir`.
    pub only: &'a [String],
    /// The built-in defaults text (overridable with `--schemas`).
    pub defaults: &'a str,
}

/// One input file: the path as the user should see it and its raw bytes (at most
/// [`yaml::MAX_FILE_BYTES`] + 1 of them, which is enough to tell that a file is too large).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub display: String,
    pub bytes: Vec<u8>,
}

impl Input {
    pub fn new(display: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Input {
        Input {
            display: display.into(),
            bytes: bytes.into(),
        }
    }

    /// Read a file without trusting it: never more than one byte past the size limit, never
    /// through a symbolic link, never blocking (a FIFO or device is an error naming it).
    pub fn read(path: &Path) -> Result<Input, LoadError> {
        let display = display_path(path);
        match crate::source::safefs::read_limited(path, yaml::MAX_FILE_BYTES as u64)? {
            Some(bytes) => Ok(Input { display, bytes }),
            None => Err(LoadError::Io {
                path: display,
                message: "no such file".to_owned(),
            }),
        }
    }
}

/// Check raw bytes before parsing: bounded size, no NUL bytes, valid UTF-8 (a BOM is dropped).
pub fn decode(bytes: &[u8], display: &str) -> Result<String, Box<Diagnostic>> {
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Err(Box::new(Diagnostic::error(
            Code::FileTooLarge,
            format!("`{display}` is larger than {} KiB", yaml::MAX_FILE_BYTES / 1024),
        )
        .help("an environment file is a few KiB of YAML; check that the right file is in the environment directory")));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Box::new(Diagnostic::error(Code::BinaryFile, format!("`{display}` is a binary file (NUL byte at offset {at})"))
            .help("environment files are UTF-8 YAML text; move other files out of the environment directory")));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            // Old Mac line endings (CR alone): a line break, byte for byte (spans stay put).
            if text.contains('\r') {
                let bytes = text.as_bytes();
                let fixed: Vec<u8> = bytes
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| {
                        if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                            b'\n'
                        } else {
                            b
                        }
                    })
                    .collect();
                return Ok(String::from_utf8(fixed).unwrap_or_else(|_| text.to_owned()));
            }
            Ok(text.to_owned())
        }
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let line = prefix.matches('\n').count() + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(Box::new(Diagnostic::error(
                Code::InvalidUtf8,
                format!("`{display}` is not valid UTF-8 (first invalid byte at line {line}, column {column})"),
            )
            .help("save the file as UTF-8")))
        }
    }
}

/// Find the environment files to load, sorted by file name.
pub fn discover(dir: &Path, only: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    discover_listing(dir, only).map(|(chosen, _)| chosen)
}

/// [`discover`], and when `only` names some, every environment file of `dir` (sorted; empty
/// when `dir` is not a directory): one listing of the directory for both.
fn discover_listing(
    dir: &Path,
    only: &[String],
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), LoadError> {
    let display = dir.display().to_string();
    let mut all: Vec<PathBuf> = Vec::new();
    if dir.is_dir() {
        let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Io {
            path: display.clone(),
            message: e.to_string(),
        })?;
        for (count, entry) in entries.enumerate() {
            let entry = entry.map_err(|e| LoadError::Io {
                path: display.clone(),
                message: e.to_string(),
            })?;
            if count >= MAX_DIRECTORY_ENTRIES {
                return Err(crate::source::safefs::FsError::TooMany {
                    path: display,
                    limit: MAX_DIRECTORY_ENTRIES,
                }
                .into());
            }
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if is_yaml && !name.starts_with('.') {
                // Never skipped silently: a skipped environment is one whose output `render`
                // would delete.
                let kind = entry
                    .file_type()
                    .map(crate::source::safefs::Kind::of)
                    .map_err(|e| LoadError::Io {
                        path: display_path(&path),
                        message: e.to_string(),
                    })?;
                if kind != crate::source::safefs::Kind::File {
                    return Err(crate::source::safefs::FsError::NotRegular {
                        path: display_path(&path),
                        kind,
                    }
                    .into());
                }
                if name != COMMON_FILE {
                    all.push(path);
                }
            }
        }
    } else if only.is_empty() {
        return Err(LoadError::MissingDirectory(display));
    }
    // One directory: the order of the file names' bytes is the order of the paths, and much
    // cheaper to sort by in a directory of 10,000.
    all.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    if only.is_empty() {
        if all.is_empty() {
            return Err(LoadError::Empty(display));
        }
        return Ok((all, Vec::new()));
    }
    let mut chosen = Vec::new();
    for want in only {
        let as_path = Path::new(want);
        if (want.ends_with(".yaml") || want.ends_with(".yml"))
            && crate::source::safefs::kind(as_path)?.is_some()
        {
            chosen.push(as_path.to_path_buf());
            continue;
        }
        // The file named after the environment, when its `metadata.name` agrees (or is not
        // set): found without reading the other files, so choosing one environment costs the
        // same in a directory of 10,000. Otherwise the first file by name or file name.
        let found = match all.iter().find(|p| stem_is(p, want)) {
            Some(p) if quick_name(p).is_none_or(|n| n == *want) => Some(p),
            _ => all
                .iter()
                .find(|p| stem_is(p, want) || quick_name(p).as_deref() == Some(want.as_str())),
        };
        match found {
            Some(path) => chosen.push(path.clone()),
            None if crate::source::safefs::kind(as_path)?.is_some() => {
                chosen.push(as_path.to_path_buf())
            }
            None => return Err(LoadError::UnknownEnvironment(want.clone(), display)),
        }
    }
    chosen.sort();
    chosen.dedup();
    Ok((chosen, all))
}

/// Every environment file of `dir` with its name (`metadata.name`, read cheaply, or the file
/// stem), in file order; empty when the directory cannot be read.
pub fn environment_names(dir: &Path) -> Vec<(PathBuf, String)> {
    discover(dir, &[])
        .unwrap_or_default()
        .into_iter()
        .map(|path| {
            let name = quick_name(&path).unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            (path, name)
        })
        .collect()
}

/// `metadata.name` read cheaply, to match environment names given on the command line.
fn quick_name(path: &Path) -> Option<String> {
    let bytes = crate::source::safefs::read_limited(path, yaml::MAX_FILE_BYTES as u64).ok()??;
    let text = String::from_utf8(bytes).ok()?;
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

/// Load and layer every requested environment from disk.
pub fn load(request: &LoadRequest<'_>) -> Result<Workspace, LoadError> {
    let (mut workspace, environments) = load_each(request, &|loaded| loaded)?;
    workspace.environments = environments;
    Ok(workspace)
}

/// Like [`load`], handing each environment to `each` as soon as it is layered (in parallel):
/// the results come back in file order and the workspace holds no environment, so the
/// caller decides what of each it keeps.
pub fn load_each<T: Send>(
    request: &LoadRequest<'_>,
    each: &(dyn Fn(LoadedEnvironment) -> T + Sync),
) -> Result<(Workspace, Vec<T>), LoadError> {
    let (files, all) = discover_listing(request.dir, request.only)?;
    let common_path = request.dir.join(COMMON_FILE);
    let common = match crate::source::safefs::kind(&common_path)? {
        Some(_) => Some(Input::read(&common_path)?),
        None => None,
    };
    // Read in parallel; the first failure in file order is the one reported.
    let inputs = files
        .par_iter()
        .map(|path| Input::read(path))
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let (mut workspace, environments) = load_inputs_each(request.defaults, common, inputs, each);
    if !request.only.is_empty() {
        let loaded: std::collections::HashSet<&PathBuf> = files.iter().collect();
        workspace.unloaded = all
            .into_iter()
            .filter(|path| !loaded.contains(path))
            .collect();
    }
    Ok((workspace, environments))
}

/// Layer in-memory files: built-in `defaults` ← `common` ← each of `files`, in the given order.
/// Problems with the files themselves become diagnostics in the workspace; nothing here panics
/// or fails on any input.
pub fn load_inputs(defaults: &str, common: Option<Input>, files: Vec<Input>) -> Workspace {
    let (mut workspace, environments) = load_inputs_each(defaults, common, files, &|loaded| loaded);
    workspace.environments = environments;
    workspace
}

/// [`load_inputs`], handing each environment to `each` as soon as it is layered (see
/// [`load_each`]).
pub fn load_inputs_each<T: Send>(
    defaults: &str,
    common: Option<Input>,
    files: Vec<Input>,
    each: &(dyn Fn(LoadedEnvironment) -> T + Sync),
) -> (Workspace, Vec<T>) {
    let mut workspace = Workspace::default();
    let defaults_id = workspace
        .sources
        .add(SourceFile::new(DEFAULTS_NAME, defaults));
    let defaults = match yaml::parse_document(workspace.sources.get(defaults_id), defaults_id) {
        Ok(document) => document,
        Err(diagnostic) => {
            workspace.diagnostics.push(*diagnostic);
            return (workspace, Vec::new());
        }
    };
    let mut layers = vec![Layer {
        source: defaults_id,
        document: defaults,
    }];
    if let Some(id) = common.and_then(|common| add_source(&mut workspace, common)) {
        match parse_layer(&workspace.sources, id, "Defaults") {
            Ok(layer) => layers.push(layer),
            Err(diagnostic) => workspace.diagnostics.push(*diagnostic),
        }
    }
    // Layer the defaults and common.yaml once; every environment starts from a copy.
    let mut base = Value::Object(Map::new());
    let mut base_provenance = Provenance::default();
    for layer in &layers {
        merge_layer(&mut base, &mut base_provenance, layer);
    }
    let base_provenance = base_provenance.into_shared();
    // Decode in order (source ids follow the input order), then parse and layer in parallel.
    let decoded: Vec<(SourceId, String)> = files
        .into_iter()
        .filter_map(|input| {
            let stem = file_stem(&input.display);
            add_source(&mut workspace, input).map(|id| (id, stem))
        })
        .collect();
    let sources = &workspace.sources;
    let loaded: Vec<Result<T, Box<Diagnostic>>> = decoded
        .into_par_iter()
        .map(|(id, stem)| {
            let layer = parse_layer(sources, id, "Environment")?;
            let mut value = base.clone();
            let mut provenance = base_provenance.clone();
            merge_layer(&mut value, &mut provenance, &layer);
            let name = value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .map_or(stem, str::to_owned);
            drop(layer);
            Ok(each(LoadedEnvironment {
                name,
                file: id,
                value,
                provenance,
            }))
        })
        .collect();
    let mut environments = Vec::with_capacity(loaded.len());
    for result in loaded {
        match result {
            Ok(environment) => environments.push(environment),
            Err(diagnostic) => workspace.diagnostics.push(*diagnostic),
        }
    }
    (workspace, environments)
}

/// `dir/prod.yaml` → `prod`.
fn file_stem(display: &str) -> String {
    Path::new(display)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Decode a file into the workspace's sources, or report why it cannot be read.
fn add_source(workspace: &mut Workspace, input: Input) -> Option<SourceId> {
    let display = input.display;
    let text = match decode(&input.bytes, &display) {
        Ok(text) => text,
        Err(diagnostic) => {
            // Keep what can be shown of a non-UTF-8 file so the snippet points at the bad byte.
            let (text, offset) = match diagnostic.code {
                Code::InvalidUtf8 => {
                    let valid =
                        std::str::from_utf8(&input.bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
                    (
                        String::from_utf8_lossy(&input.bytes[..valid]).into_owned() + "\u{fffd}",
                        valid,
                    )
                }
                _ => (String::new(), 0),
            };
            let id = workspace.sources.add(SourceFile::new(display, text));
            let label = if offset > 0 {
                "not UTF-8"
            } else {
                "in this file"
            };
            // The span covers the U+FFFD marker, or nothing in an empty text: never past the end.
            let width = if offset > 0 { '\u{fffd}'.len_utf8() } else { 0 };
            let location = Location {
                source: id,
                span: Span::new(offset, offset + width),
            };
            let mut diagnostic = diagnostic;
            diagnostic.primary = None;
            workspace
                .diagnostics
                .push(diagnostic.at(Some(location), label));
            return None;
        }
    };
    Some(workspace.sources.add(SourceFile::new(display, text)))
}

/// Parse a decoded file as a layer of `kind` (`Environment` or `Defaults`).
fn parse_layer(sources: &Sources, id: SourceId, kind: &str) -> Result<Layer, Box<Diagnostic>> {
    let file = sources.get(id);
    let display = &file.path;
    let document = yaml::parse_document(file, id)?;
    if !document.value.is_object() {
        return Err(Box::new(
            Diagnostic::error(
                Code::NotAMapping,
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
        ));
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
        return Err(Box::new(
            Diagnostic::error(
                Code::WrongKind,
                format!(
                    "`{display}` has `kind: {}`, expected `{kind}`",
                    found_kind.unwrap_or_default()
                ),
            )
            .at(location, "wrong kind")
            .help(help),
        ));
    }
    Ok(Layer {
        source: id,
        document,
    })
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
    fn unreadable_files_are_located_inside_their_text() {
        // Found by the `loader` fuzz target: a span one byte past an empty text, and one
        // ending inside the U+FFFD marker of a non-UTF-8 file.
        let inputs = vec![
            Input::new("binary.yaml", b"kind: x\0".to_vec()),
            Input::new("latin1.yaml", b"name: caf\xe9\n".to_vec()),
            Input::new("large.yaml", vec![b'a'; yaml::MAX_FILE_BYTES + 1]),
        ];
        let workspace = load_inputs("{}", None, inputs);
        assert_eq!(workspace.diagnostics.len(), 3);
        for d in &workspace.diagnostics {
            let label = d.primary.as_ref().expect("located");
            let text = &workspace.sources.get(label.location.source).text;
            let span = label.location.span;
            assert!(span.end <= text.len(), "{d:?}");
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
    }

    /// Every pointer and origin, sorted.
    fn all(provenance: &Provenance) -> Vec<(String, Origin)> {
        let mut all: Vec<_> = provenance.iter().map(|(p, o)| (p.to_owned(), o)).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    #[test]
    fn shared_base_origins_answer_like_a_flat_map() {
        let mut sources = Sources::new();
        let base = layer(
            &mut sources,
            "d",
            "a:\n  x: 1\n  y: [1, 2]\n  z: [9]\n  w: {k: v}\nb: keep\nc: {d: {e: 1}}\n",
        );
        let common = layer(&mut sources, "c", "a:\n  w: {k2: v2}\nc: {d: {f: 2}}\n");
        let over = layer(
            &mut sources,
            "e",
            "a:\n  x: 2\n  y: [3]\n  z+: [10]\n  w: null\nb: null\nc: {d: 5}\n",
        );
        let mut flat_value = Value::Object(Map::new());
        let mut flat = Provenance::default();
        for l in [&base, &common, &over] {
            merge_layer(&mut flat_value, &mut flat, l);
        }
        let mut value = Value::Object(Map::new());
        let mut shared = Provenance::default();
        for l in [&base, &common] {
            merge_layer(&mut value, &mut shared, l);
        }
        let mut shared = shared.into_shared();
        merge_layer(&mut value, &mut shared, &over);
        assert_eq!(value, flat_value);
        assert_eq!(all(&shared), all(&flat));
        for pointer in ["/a/y/1", "/a/w/k", "/b", "/c/d/e", "/a/z/1", "/a/x"] {
            assert_eq!(shared.get(pointer), flat.get(pointer), "{pointer}");
            assert_eq!(shared.nearest(pointer), flat.nearest(pointer), "{pointer}");
        }
        assert!(shared.get("/a/w/k2").is_none());
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
