//! Writing a rendered bundle into the output directory, and checking that it is up to date.
//!
//! - Ownership: `DIR/.ck8s-gen-manifest` lists every file ck8s-gen wrote (sorted). Only those
//!   are ever replaced or deleted; anything else in `DIR` (a README, a kustomization.yaml the
//!   user added) is left alone, and a file that would be overwritten but is not owned stops the
//!   run.
//! - Atomicity: changed files are first written completely into a temporary directory next to
//!   `DIR` (same file system), then moved into place with `rename`, so no reader ever sees a
//!   half-written file. Files whose bytes did not change are not touched at all. The manifest
//!   is widened before files appear and narrowed after stale files are gone, so an interrupted
//!   run never leaves a file ck8s-gen wrote without owning it.
//! - Stale files: owned files no longer produced (a removed environment) are deleted, and the
//!   directories they leave empty are removed.
//! - `check` writes nothing and reports stale, missing and extra files.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

pub const MANIFEST: &str = ".ck8s-gen-manifest";
const MANIFEST_HEADER: &str =
    "# Files written by `ck8s-gen render`. It replaces and deletes only these. Do not edit.\n";

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot {action} `{path}`: {message}")]
    Io {
        action: &'static str,
        path: String,
        message: String,
    },
    #[error(
        "refusing to overwrite `{0}`: ck8s-gen did not write it (it is not listed in {MANIFEST}); move it away or delete it"
    )]
    NotOwned(String),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.display().to_string();
    move |e| OutputError::Io {
        action,
        path,
        message: e.to_string(),
    }
}

/// Which part of the tree this run is responsible for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole tree: every owned file not produced is stale.
    All,
    /// Only these environments' directories (`render ENV…`): other owned files are kept.
    Environments(Vec<String>),
    /// The whole tree but these top-level directories (blocked environments, `_fleet`),
    /// which are kept as they are.
    Except(Vec<String>),
}

impl Scope {
    pub fn covers(&self, path: &str) -> bool {
        let under = |dirs: &[String]| {
            dirs.iter().any(|e| {
                path.strip_prefix(e.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        match self {
            Scope::All => true,
            Scope::Environments(envs) => under(envs),
            Scope::Except(dirs) => !under(dirs),
        }
    }
}

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// New or modified files.
    pub changed: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
    /// Files ck8s-gen does not own inside directories a GitOps engine applies.
    pub unowned: Vec<String>,
}

/// One way the directory differs from a fresh render.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// An owned file whose bytes differ (edited by hand, or rendered from older input).
    Stale(String),
    /// A file the render produces that is not there.
    Missing(String),
    /// An owned file the render no longer produces.
    Extra(String),
    /// A manifest file not written by ck8s-gen in a directory the GitOps engine applies.
    Unowned(String),
    /// The ownership manifest does not list exactly the rendered files.
    Manifest,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Stale(p) => write!(f, "stale: {p} (differs from a fresh render)"),
            Problem::Missing(p) => write!(f, "missing: {p}"),
            Problem::Extra(p) => write!(f, "extra: {p} (no longer rendered)"),
            Problem::Unowned(p) => write!(
                f,
                "unowned: {p} (not written by ck8s-gen, but in a directory the GitOps engine applies)"
            ),
            Problem::Manifest => write!(f, "stale: {MANIFEST} (does not list the rendered files)"),
        }
    }
}

/// Whether a manifest entry is a plain relative path inside the directory (a tampered manifest
/// must never make ck8s-gen delete anything outside it).
fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// The files the manifest in `dir` lists (empty when there is none).
pub fn read_manifest(dir: &Path) -> Result<BTreeSet<String>, OutputError> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && safe_relative(l))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(io("read", &path)(e)),
    }
}

fn manifest_text(files: &BTreeSet<String>) -> String {
    let mut text = MANIFEST_HEADER.to_owned();
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    text
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, OutputError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

/// The manifest after this run: owned files outside the scope, plus everything produced.
fn next_manifest(
    owned: &BTreeSet<String>,
    produced: &BTreeSet<String>,
    scope: &Scope,
) -> BTreeSet<String> {
    owned
        .iter()
        .filter(|p| !scope.covers(p))
        .chain(produced)
        .cloned()
        .collect()
}

/// Unowned Kubernetes manifests next to the files we render (Flux and Argo CD apply whole
/// directories, so such a file would be deployed too).
fn unowned_in_generated_dirs(
    dir: &Path,
    produced: &BTreeSet<String>,
    owned: &BTreeSet<String>,
) -> Result<Vec<String>, OutputError> {
    let dirs: BTreeSet<&str> = produced
        .iter()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    let mut out = Vec::new();
    for d in dirs {
        let full = dir.join(d);
        let entries = match std::fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io("read", &full)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io("read", &full))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{d}/{name}");
            let manifest_like = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
            if manifest_like
                && !produced.contains(&rel)
                && !owned.contains(&rel)
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Compare `dir` with a fresh render (`files`, already limited to `scope`). Writes nothing.
pub fn check(
    files: &BTreeMap<String, Vec<u8>>,
    dir: &Path,
    scope: &Scope,
) -> Result<Vec<Problem>, OutputError> {
    let checker = Checker::new(dir, scope)?;
    files
        .par_iter()
        .for_each(|(path, bytes)| checker.compare(path, bytes));
    checker.finish().map(|(problems, _)| problems)
}

/// Compares a render with `dir` file by file, as the files are produced (from any thread):
/// `compare` each file, then `finish`. Writes nothing.
pub struct Checker<'a> {
    dir: &'a Path,
    scope: &'a Scope,
    owned: BTreeSet<String>,
    state: Mutex<Compared>,
}

#[derive(Default)]
struct Compared {
    produced: BTreeSet<String>,
    problems: Vec<Problem>,
    error: Option<(String, OutputError)>,
}

impl<'a> Checker<'a> {
    pub fn new(dir: &'a Path, scope: &'a Scope) -> Result<Checker<'a>, OutputError> {
        Ok(Checker {
            dir,
            scope,
            owned: read_manifest(dir)?,
            state: Mutex::new(Compared::default()),
        })
    }

    /// Compare one rendered file (ignored when outside the scope).
    pub fn compare(&self, path: &str, bytes: &[u8]) {
        if !self.scope.covers(path) {
            return;
        }
        let result = read_optional(&self.dir.join(path));
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.produced.insert(path.to_owned());
        match result {
            Ok(None) => state.problems.push(Problem::Missing(path.to_owned())),
            Ok(Some(disk)) if disk != bytes => state.problems.push(Problem::Stale(path.to_owned())),
            Ok(Some(_)) => {}
            Err(e) => keep_first(&mut state.error, path, e),
        }
    }

    /// The problems found, in order, and how many files were compared.
    pub fn finish(self) -> Result<(Vec<Problem>, usize), OutputError> {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, e)) = state.error {
            return Err(e);
        }
        let Compared {
            produced,
            mut problems,
            ..
        } = state;
        for path in stale(&self.owned, self.scope, &produced) {
            if self.dir.join(path).exists() {
                problems.push(Problem::Extra(path.clone()));
            }
        }
        problems.extend(
            unowned_in_generated_dirs(self.dir, &produced, &self.owned)?
                .into_iter()
                .map(Problem::Unowned),
        );
        let expected = manifest_text(&next_manifest(&self.owned, &produced, self.scope));
        if read_optional(&self.dir.join(MANIFEST))?.as_deref() != Some(expected.as_bytes()) {
            problems.push(Problem::Manifest);
        }
        problems.sort();
        Ok((problems, produced.len()))
    }
}

/// Owned files in the scope that this run no longer produces.
fn stale<'o>(
    owned: &'o BTreeSet<String>,
    scope: &Scope,
    produced: &BTreeSet<String>,
) -> impl Iterator<Item = &'o String> {
    owned
        .iter()
        .filter(move |p| scope.covers(p) && !produced.contains(*p))
}

/// Keep the error of the first path (in path order), whatever order files arrive in.
fn keep_first(slot: &mut Option<(String, OutputError)>, path: &str, error: OutputError) {
    if slot.as_ref().is_none_or(|(first, _)| path < first.as_str()) {
        *slot = Some((path.to_owned(), error));
    }
}

/// Write `files` (already limited to `scope`) into `dir`.
pub fn write(
    files: &BTreeMap<String, Vec<u8>>,
    dir: &Path,
    scope: &Scope,
) -> Result<WriteReport, OutputError> {
    let writer = Writer::new(dir, scope)?;
    files
        .par_iter()
        .for_each(|(path, bytes)| writer.stage(path, bytes));
    writer.finish()
}

/// Writes a render into `dir` file by file, as the files are produced (from any thread), with
/// the guarantees of the module docs: `stage` each file (changed files are written into a
/// staging directory next to `dir`; nothing in `dir` changes yet), then `finish` (moves them
/// into place, deletes stale files, updates the manifest). Dropped without `finish`, or when
/// `finish` fails before moving anything, it leaves `dir` as it was.
pub struct Writer<'a> {
    dir: &'a Path,
    scope: &'a Scope,
    owned: BTreeSet<String>,
    /// Created with the first changed file: an unchanged tree costs no directory.
    staging: OnceLock<Result<tempfile::TempDir, String>>,
    state: Mutex<Staged>,
}

#[derive(Default)]
struct Staged {
    produced: BTreeSet<String>,
    changed: Vec<String>,
    unchanged: usize,
    error: Option<(String, OutputError)>,
}

impl<'a> Writer<'a> {
    pub fn new(dir: &'a Path, scope: &'a Scope) -> Result<Writer<'a>, OutputError> {
        Ok(Writer {
            dir,
            scope,
            owned: read_manifest(dir)?,
            staging: OnceLock::new(),
            state: Mutex::new(Staged::default()),
        })
    }

    fn staging(&self) -> Result<&Path, OutputError> {
        let staging = self.staging.get_or_init(|| {
            // Next to `dir` (same file system), which itself is only created by `finish`.
            let parent = match self.dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            std::fs::create_dir_all(&parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            tempfile::Builder::new()
                .prefix(".ck8s-gen-staging-")
                .tempdir_in(&parent)
                .map_err(|e| {
                    format!(
                        "cannot create a temporary directory in `{}`: {e}",
                        parent.display()
                    )
                })
        });
        match staging {
            Ok(dir) => Ok(dir.path()),
            Err(message) => Err(OutputError::Io {
                action: "stage",
                path: self.dir.display().to_string(),
                message: message.clone(),
            }),
        }
    }

    /// Stage one rendered file (ignored when outside the scope): nothing happens when the file
    /// in `dir` has the same bytes; a file ck8s-gen does not own is never replaced.
    pub fn stage(&self, path: &str, bytes: &[u8]) {
        if !self.scope.covers(path) {
            return;
        }
        let result = match read_optional(&self.dir.join(path)) {
            Ok(Some(disk)) if disk == bytes => Ok(false),
            Ok(Some(_)) if !self.owned.contains(path) => Err(OutputError::NotOwned(
                self.dir.join(path).display().to_string(),
            )),
            Ok(_) => self.staging().and_then(|staging| {
                let target = staging.join(path);
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(io("create", p))?;
                }
                std::fs::write(&target, bytes).map_err(io("write", &target))?;
                Ok(true)
            }),
            Err(e) => Err(e),
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.produced.insert(path.to_owned());
        match result {
            Ok(true) => state.changed.push(path.to_owned()),
            Ok(false) => state.unchanged += 1,
            Err(e) => keep_first(&mut state.error, path, e),
        }
    }

    /// Move the staged files into place, delete stale owned files, update the manifest.
    pub fn finish(self) -> Result<WriteReport, OutputError> {
        let state = std::mem::take(&mut *self.state.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some((_, e)) = state.error {
            return Err(e);
        }
        let Staged {
            produced,
            mut changed,
            unchanged,
            ..
        } = state;
        changed.sort();
        let dir = self.dir;
        let mut report = WriteReport {
            unchanged,
            ..WriteReport::default()
        };
        let stale: Vec<&String> = stale(&self.owned, self.scope, &produced).collect();
        let next = next_manifest(&self.owned, &produced, self.scope);
        let manifest_path = dir.join(MANIFEST);
        let manifest_current = read_optional(&manifest_path)?;
        let next_text = manifest_text(&next);
        report.unowned = unowned_in_generated_dirs(dir, &produced, &self.owned)?;
        if changed.is_empty()
            && stale.is_empty()
            && manifest_current.as_deref() == Some(next_text.as_bytes())
        {
            return Ok(report);
        }
        let staging = self.staging()?;
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        // 1. Own every file about to appear before it appears.
        let widened: BTreeSet<String> = self.owned.union(&next).cloned().collect();
        if widened != self.owned {
            replace_file(staging, &manifest_path, manifest_text(&widened).as_bytes())?;
        }
        // 2. Move the new files into place (in parallel: a fleet is thousands of renames; the
        //    first failure in path order is the one reported).
        changed
            .par_iter()
            .map(|path| {
                let target = dir.join(path);
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(io("create", p))?;
                }
                move_into_place(&staging.join(path), &target)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<(), _>>()?;
        report.changed = changed;
        // 3. Delete owned files that are no longer produced, and the directories they empty.
        for path in stale {
            let target = dir.join(path);
            match std::fs::remove_file(&target) {
                Ok(()) => report.removed.push(path.clone()),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(io("delete", &target)(e)),
            }
            let mut current = target.parent();
            while let Some(d) = current {
                if d == dir || !d.starts_with(dir) || std::fs::remove_dir(d).is_err() {
                    break;
                }
                current = d.parent();
            }
        }
        // 4. Narrow the manifest to exactly what is there now.
        replace_file(staging, &manifest_path, next_text.as_bytes())?;
        Ok(report)
    }
}

/// Atomically replace `target` with `bytes`, staging the content in `staging`.
fn replace_file(staging: &Path, target: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let tmp = staging.join(MANIFEST);
    std::fs::write(&tmp, bytes).map_err(io("write", &tmp))?;
    move_into_place(&tmp, target)
}

/// `rename`, falling back to a copy next to the target and a rename there when the temporary
/// directory is on another file system.
fn move_into_place(from: &Path, to: &Path) -> Result<(), OutputError> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::CrossesDevices => {
            let name = to
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = to.with_file_name(format!(".{name}.ck8s-gen-tmp"));
            std::fs::copy(from, &tmp).map_err(io("write", &tmp))?;
            std::fs::rename(&tmp, to).map_err(io("replace", to))
        }
        Err(e) => Err(io("replace", to)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        list.iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn manifest_entries_outside_the_directory_are_ignored() {
        assert!(safe_relative("a/b.yaml"));
        assert!(!safe_relative("../x"));
        assert!(!safe_relative("/etc/passwd"));
        assert!(!safe_relative("a/../../x"));
        assert!(!safe_relative("./a"));
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(MANIFEST),
            "# x\n../outside.yaml\n/abs.yaml\nok/a.yaml\n",
        )
        .unwrap();
        let owned = read_manifest(tmp.path()).unwrap();
        assert_eq!(owned.into_iter().collect::<Vec<_>>(), vec!["ok/a.yaml"]);
    }

    #[test]
    fn write_then_check_is_clean_and_unchanged_files_are_not_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("rendered");
        let f = files(&[
            ("a/manifests/x.yaml", "x: 1\n"),
            ("b/flux/y.yaml", "y: 1\n"),
        ]);
        let first = write(&f, &out, &Scope::All).unwrap();
        assert_eq!(first.changed.len(), 2);
        assert!(check(&f, &out, &Scope::All).unwrap().is_empty());
        let second = write(&f, &out, &Scope::All).unwrap();
        assert!(second.changed.is_empty());
        assert_eq!(second.unchanged, 2);
        // No staging directory is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("rendered")]);
    }

    #[test]
    fn scoped_runs_keep_other_environments() {
        let tmp = tempfile::tempdir().unwrap();
        let f = files(&[("a/m/x.yaml", "x\n"), ("b/m/y.yaml", "y\n")]);
        write(&f, tmp.path(), &Scope::All).unwrap();
        let only_a = files(&[("a/m/x.yaml", "x2\n")]);
        let scope = Scope::Environments(vec!["a".to_owned()]);
        let r = write(&only_a, tmp.path(), &scope).unwrap();
        assert_eq!(r.changed, vec!["a/m/x.yaml"]);
        assert!(r.removed.is_empty());
        assert!(tmp.path().join("b/m/y.yaml").exists());
        assert!(read_manifest(tmp.path()).unwrap().contains("b/m/y.yaml"));
        assert!(!Scope::Environments(vec!["a".to_owned()]).covers("ab/x.yaml"));
    }

    #[test]
    fn unowned_files_are_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a")).unwrap();
        std::fs::write(tmp.path().join("a/x.yaml"), "mine\n").unwrap();
        let err = write(&files(&[("a/x.yaml", "x\n")]), tmp.path(), &Scope::All).unwrap_err();
        assert!(matches!(err, OutputError::NotOwned(_)), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("a/x.yaml")).unwrap(),
            "mine\n"
        );
    }
}
