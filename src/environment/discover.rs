//! Finding environment files in a directory (bounded, sorted, never following links) and their
//! names, reading as little as one file needs.

use super::load::COMMON_FILE;
use super::load::LoadError;
use crate::yaml;
use std::path::{Path, PathBuf};

/// Whether an environment named `name` is among the `unloaded` files of a [`Workspace`]: a
/// file named after it, or (read only when none is) a file whose `metadata.name` is `name`.
pub fn names_unloaded(unloaded: &[PathBuf], name: &str) -> bool {
    unloaded.iter().any(|p| stem_is(p, name))
        || unloaded
            .iter()
            .any(|p| quick_name(p).as_deref() == Some(name))
}

/// Whether the file name of `path` without its extension is `name`.
pub(super) fn stem_is(path: &Path, name: &str) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy() == name)
}

/// More entries than this in the environment directory is not an environment directory.
pub(super) const MAX_DIRECTORY_ENTRIES: usize = 100_000;

/// Find the environment files to load, sorted by file name.
pub fn discover(dir: &Path, only: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    discover_listing(dir, only).map(|(chosen, _)| chosen)
}

/// [`discover`], and when `only` names some, every environment file of `dir` (sorted; empty
/// when `dir` is not a directory): one listing of the directory for both.
pub(super) fn discover_listing(
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
pub(super) fn quick_name(path: &Path) -> Option<String> {
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
