//! The file-system layer for everything ck8s-gen reads and writes inside a tree it was given
//! (environments, `--templates`, `--schemas`, `diff --against`, the output tree): no symlink
//! inside a root is ever followed, a special file where a regular file is expected is an
//! error naming the path, reads are bounded and never block, walks are bounded and loop-free.
//!
//! How, and why this way: `unsafe_code` is forbidden, and `std` has no `openat`. Rather than
//! add a capability crate and rewrite every caller around directory handles, every path is
//! checked component by component with `lstat` (`symlink_metadata`, which never follows a
//! link) from the root down before it is read, created, replaced or deleted, and files are
//! opened with `O_NOFOLLOW | O_NONBLOCK` and checked again with `fstat` after opening (so a
//! file swapped for a link or a FIFO between the check and the open is still refused, and a
//! FIFO never blocks the open). `rename` and `unlink` never follow the last component, so a
//! checked parent chain is enough for them. The remaining window (a parent directory swapped
//! for a link between the check and the call) needs someone racing the run on the same
//! machine; the output tree is locked against other ck8s-gen runs (see
//! `tree`), and a repository checkout cannot race.
//!
//! The root itself (the directory named on the command line) is the caller's choice and is
//! resolved normally, except where the caller refuses a symlinked root (the output tree).

use std::collections::BTreeSet;
use std::fs::{File, FileType, Metadata};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

/// What kind of file system object a path is (without following it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Directory,
    Symlink,
    Fifo,
    Socket,
    BlockDevice,
    CharDevice,
    Other,
}

impl Kind {
    pub fn of(t: FileType) -> Kind {
        if t.is_symlink() {
            Kind::Symlink
        } else if t.is_file() {
            Kind::File
        } else if t.is_dir() {
            Kind::Directory
        } else if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Socket
        } else if t.is_block_device() {
            Kind::BlockDevice
        } else if t.is_char_device() {
            Kind::CharDevice
        } else {
            Kind::Other
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Directory => "a directory",
            Kind::Symlink => "a symbolic link (ck8s-gen never follows links inside a tree)",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::Socket => "a socket",
            Kind::BlockDevice => "a block device",
            Kind::CharDevice => "a character device",
            Kind::Other => "a special file",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("`{path}` is {} where a regular file is expected; replace it with a regular file or move it away", .kind.describe())]
    NotRegular { path: String, kind: Kind },
    #[error("`{path}` is {} where a directory is expected; replace it with a real directory or move it away", .kind.describe())]
    NotDirectory { path: String, kind: Kind },
    #[error("`{path}` is larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("`{path}` holds more than {limit} entries; point ck8s-gen at a smaller tree")]
    TooMany { path: String, limit: usize },
    #[error("`{path}` is nested more than {limit} directories deep")]
    TooDeep { path: String, limit: usize },
    #[error("`{path}` is reached twice (a directory loop, e.g. a bind mount)")]
    Loop { path: String },
    #[error("cannot {action} `{path}`: {message}")]
    Io {
        action: &'static str,
        path: String,
        message: String,
    },
}

pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FsError {
    let path = path.display().to_string();
    move |e| FsError::Io {
        action,
        path,
        message: e.to_string(),
    }
}

/// The kind of `path` without following it; `None` when nothing is there.
pub fn kind(path: &Path) -> Result<Option<Kind>, FsError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(Kind::of(m.file_type()))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => Ok(None),
        Err(e) => Err(io("inspect", path)(e)),
    }
}

/// Open `path` for reading only if it is a regular file: never follows a symlink in the last
/// component, never blocks on a FIFO or device. `None` when nothing is there.
pub fn open_regular(path: &Path) -> Result<Option<(File, Metadata)>, FsError> {
    match kind(path)? {
        None => return Ok(None),
        Some(Kind::File) => {}
        Some(kind) => {
            return Err(FsError::NotRegular {
                path: path.display().to_string(),
                kind,
            });
        }
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(FsError::NotRegular {
                path: path.display().to_string(),
                kind: Kind::Symlink,
            });
        }
        Err(e) => return Err(io("open", path)(e)),
    };
    let meta = file.metadata().map_err(io("inspect", path))?;
    if !meta.file_type().is_file() {
        return Err(FsError::NotRegular {
            path: path.display().to_string(),
            kind: Kind::of(meta.file_type()),
        });
    }
    Ok(Some((file, meta)))
}

/// Read at most `limit + 1` bytes of a regular file (enough for the caller to tell that it is
/// too large). `None` when nothing is there.
pub fn read_limited(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, FsError> {
    let Some((file, meta)) = open_regular(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(meta.len().min(limit + 1) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io("read", path))?;
    Ok(Some(bytes))
}

/// Read a whole regular file of at most `limit` bytes; larger is an error.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, FsError> {
    match read_limited(path, limit)? {
        Some(bytes) if bytes.len() as u64 > limit => Err(FsError::TooLarge {
            path: path.display().to_string(),
            limit,
        }),
        other => Ok(other),
    }
}

/// Like [`read_bounded`], as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<Option<String>, FsError> {
    read_bounded(path, limit)?
        .map(|bytes| {
            String::from_utf8(bytes).map_err(|_| FsError::Io {
                action: "read",
                path: path.display().to_string(),
                message: "not valid UTF-8".to_owned(),
            })
        })
        .transpose()
}

/// The directories between `root` and `rel`'s last component, each checked to be a real
/// directory (not a link). Returns whether they all exist (`false` at the first missing one:
/// nothing below it can exist either). `rel` must be a plain relative path.
pub fn parents_exist(root: &Path, rel: &str) -> Result<bool, FsError> {
    let mut current = root.to_path_buf();
    let components: Vec<Component<'_>> = Path::new(rel).components().collect();
    for c in components.iter().take(components.len().saturating_sub(1)) {
        current.push(c);
        match kind(&current)? {
            None => return Ok(false),
            Some(Kind::Directory) => {}
            Some(kind) => {
                return Err(FsError::NotDirectory {
                    path: current.display().to_string(),
                    kind,
                });
            }
        }
    }
    Ok(true)
}

/// The kind of `root/rel` after checking every directory on the way; `None` when absent.
pub fn kind_within(root: &Path, rel: &str) -> Result<Option<Kind>, FsError> {
    if !parents_exist(root, rel)? {
        return Ok(None);
    }
    kind(&root.join(rel))
}

/// Create the directories of `rel` (all but its last component) under `root`, one at a time,
/// refusing any component that exists as something other than a real directory.
pub fn create_parents(root: &Path, rel: &str) -> Result<(), FsError> {
    let mut current = root.to_path_buf();
    let components: Vec<Component<'_>> = Path::new(rel).components().collect();
    for c in components.iter().take(components.len().saturating_sub(1)) {
        current.push(c);
        create_dir_checked(&current)?;
    }
    Ok(())
}

/// Create one directory (its parent must exist), or accept an existing real directory.
pub fn create_dir_checked(path: &Path) -> Result<(), FsError> {
    match kind(path)? {
        Some(Kind::Directory) => return Ok(()),
        Some(kind) => {
            return Err(FsError::NotDirectory {
                path: path.display().to_string(),
                kind,
            });
        }
        None => {}
    }
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match kind(path)? {
            Some(Kind::Directory) => Ok(()),
            kind => Err(FsError::NotDirectory {
                path: path.display().to_string(),
                kind: kind.unwrap_or(Kind::Other),
            }),
        },
        Err(e) => Err(io("create", path)(e)),
    }
}

/// Bounds for [`walk`].
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 32,
            max_entries: 100_000,
        }
    }
}

/// Every regular file under `root` whose name `wanted` accepts, as (`/`-separated relative
/// path, full path), sorted. Never follows a link: a symbolic link anywhere in the tree is an
/// error naming it (following it could leave the tree or loop; skipping it would silently drop
/// content), and so is a FIFO, socket or device with a wanted name. Hidden entries (`.name`)
/// are skipped when `skip_hidden`. Depth and entry count are bounded; a directory reached twice
/// (bind mounts) is an error.
pub fn walk(
    root: &Path,
    wanted: &dyn Fn(&str) -> bool,
    skip_hidden: bool,
    limits: Limits,
) -> Result<Vec<(String, PathBuf)>, FsError> {
    let meta = std::fs::metadata(root).map_err(io("read", root))?;
    if !meta.is_dir() {
        return Err(FsError::NotDirectory {
            path: root.display().to_string(),
            kind: Kind::of(meta.file_type()),
        });
    }
    let mut seen = BTreeSet::from([(meta.dev(), meta.ino())]);
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let mut out = Vec::new();
    let mut entries = 0usize;
    while let Some((dir, prefix, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io("read", &dir))? {
            let entry = entry.map_err(io("read", &dir))?;
            entries += 1;
            if entries > limits.max_entries {
                return Err(FsError::TooMany {
                    path: root.display().to_string(),
                    limit: limits.max_entries,
                });
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if skip_hidden && name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let kind = Kind::of(entry.file_type().map_err(io("inspect", &path))?);
            match kind {
                Kind::Directory => {
                    if depth + 1 >= limits.max_depth {
                        return Err(FsError::TooDeep {
                            path: path.display().to_string(),
                            limit: limits.max_depth,
                        });
                    }
                    let m = std::fs::symlink_metadata(&path).map_err(io("inspect", &path))?;
                    if !seen.insert((m.dev(), m.ino())) {
                        return Err(FsError::Loop {
                            path: path.display().to_string(),
                        });
                    }
                    stack.push((path, rel, depth + 1));
                }
                Kind::File if wanted(&name) => out.push((rel, path)),
                Kind::File => {}
                Kind::Symlink => {
                    return Err(FsError::NotRegular {
                        path: path.display().to_string(),
                        kind,
                    });
                }
                _ if wanted(&name) => {
                    return Err(FsError::NotRegular {
                        path: path.display().to_string(),
                        kind,
                    });
                }
                _ => {}
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Write `bytes` to `path` whole or not at all (a temporary file in the same directory, then
/// `rename`), with the mode a newly created file gets from the umask (`0666 & !umask`, like
/// every other tool), never through a link: an existing symlink, FIFO, device or directory at
/// `path` is an error naming it (replacing `/dev/stdout` with a file helps nobody; use `-`).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    match kind(path)? {
        None | Some(Kind::File) => {}
        Some(kind) => {
            return Err(FsError::NotRegular {
                path: path.display().to_string(),
                kind,
            });
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".ck8s-gen-write-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(io("write", path))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(io("write", path))?;
    file.persist(path).map_err(|e| io("write", path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_fifos_are_refused_and_reads_are_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("a.yaml"), "abc").unwrap();
        std::os::unix::fs::symlink("a.yaml", root.join("l.yaml")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("f.yaml"))
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            read_bounded(&root.join("a.yaml"), 3).unwrap().unwrap(),
            b"abc"
        );
        assert!(matches!(
            read_bounded(&root.join("a.yaml"), 2),
            Err(FsError::TooLarge { .. })
        ));
        assert!(matches!(
            read_bounded(&root.join("l.yaml"), 9),
            Err(FsError::NotRegular {
                kind: Kind::Symlink,
                ..
            })
        ));
        assert!(matches!(
            read_bounded(&root.join("f.yaml"), 9),
            Err(FsError::NotRegular {
                kind: Kind::Fifo,
                ..
            })
        ));
        assert!(read_bounded(&root.join("none.yaml"), 9).unwrap().is_none());
        let err = walk(root, &|n| n.ends_with(".yaml"), false, Limits::default()).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn parent_links_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("link")).unwrap();
        assert!(parents_exist(&root, "real/x").unwrap());
        assert!(!parents_exist(&root, "missing/x/y").unwrap());
        assert!(matches!(
            parents_exist(&root, "link/x"),
            Err(FsError::NotDirectory { .. })
        ));
        assert!(create_parents(&root, "link/a/b").is_err());
        assert!(!tmp.path().join("a").exists());
        create_parents(&root, "new/a/b").unwrap();
        assert!(root.join("new/a").is_dir());
    }

    #[test]
    fn written_files_follow_the_umask_and_links_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("r.md");
        write_file(&path, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The mode any tool's new file gets (`0666 & !umask`).
        std::fs::write(tmp.path().join("plain"), "x").unwrap();
        assert_eq!(mode(&path), mode(&tmp.path().join("plain")));
        std::os::unix::fs::symlink(&path, tmp.path().join("l.md")).unwrap();
        assert!(write_file(&tmp.path().join("l.md"), b"y").is_err());
        assert!(write_file(Path::new("/dev/null"), b"y").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn walks_are_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let mut deep = tmp.path().to_path_buf();
        for _ in 0..5 {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        let limits = Limits {
            max_depth: 3,
            max_entries: 100,
        };
        assert!(matches!(
            walk(tmp.path(), &|_| true, false, limits),
            Err(FsError::TooDeep { .. })
        ));
        let limits = Limits {
            max_depth: 30,
            max_entries: 3,
        };
        assert!(matches!(
            walk(tmp.path(), &|_| true, false, limits),
            Err(FsError::TooMany { .. })
        ));
    }
}
