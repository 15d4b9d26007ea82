//! Loading a directory of environments: discover the files, decode them, parse each layer,
//! merge it over the defaults and `common.yaml`, and hand over each environment as it is made.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile, SourceId, Sources, Span};
use crate::yaml::{self};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The shared file layered under every environment in the directory.
pub const COMMON_FILE: &str = "common.yaml";
/// Display name of the embedded defaults.
pub const DEFAULTS_NAME: &str = "<built-in defaults>";
/// The embedded defaults are always the first source of a [`Workspace`].
pub const DEFAULTS_SOURCE: SourceId = SourceId(0);

pub use super::decode::{Input, decode};
use super::discover::*;
pub use super::discover::{discover, display_path, environment_names, names_unloaded};
pub use super::merge::{Layer, merge_layer};
pub use super::provenance::{Origin, Provenance};

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

/// What to load.
#[derive(Clone, Debug)]
pub struct LoadRequest<'a> {
    pub dir: &'a Path,
    /// Environment names or file paths; empty means every environment in `dir`.
    pub only: &'a [String],
    /// The built-in defaults text (overridable with `--schemas`).
    pub defaults: &'a str,
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
