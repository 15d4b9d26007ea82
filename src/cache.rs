//! The no-change shortcut of `render`: a record, kept outside the output tree, of the last
//! successful render into a directory, so that a render whose inputs and output are exactly
//! as they were then does nothing but prove it.
//!
//! - **The key** is a SHA-256 over everything a render's files and messages depend on: the
//!   tool (its version and the identity of its executable, given by the caller), the day (a
//!   date passing can change findings), the working directory, `--dir` and `--out` as given, the
//!   findings format and colour, every schema, profile and template in use (built-in or
//!   `--schemas`/`--templates`), and the name and bytes of every `*.yaml`/`*.yml` file in the
//!   environment directory, `common.yaml` included. Anything unusual among those files (a link,
//!   a FIFO, a file too large to be an environment) gives no key: the full render reports it.
//! - **The record** holds the key, the digest of every file then under `--out` (ck8s-gen's and
//!   anyone else's), the findings and warnings the render printed (redacted, as printed), and its
//!   counts. It is written only after a render that succeeded without blocking findings, wrote
//!   every environment and had nothing to warn about in the tree.
//! - **A hit** needs the same key *and* an output directory that still holds exactly the
//!   recorded files, byte for byte: every file is read and hashed again (`tree::unchanged_since`),
//!   so an edited, added, removed or replaced file, or a staging directory left by a killed run,
//!   is a miss and the full render repairs or reports it. The record is never trusted for the
//!   output, only for "these inputs rendered to these bytes": `render --check` (the CI gate) does
//!   not use it at all.
//! - A record that cannot be read or parsed is a miss, never an error; writing one is best
//!   effort (atomically, by rename; readable by the user only).
//!
//! Kept by hand rather than with a caching crate: what makes a hit safe is the key and the
//! re-read of the tree, both specific to ck8s-gen; the storage is one small JSON file.

use crate::assets::Assets;
use crate::text::hex;
use crate::tree::{self, Snapshot};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped whenever the key or the record changes shape.
const FORMAT: u32 = 1;

/// What the key covers besides the environment files and the assets.
#[derive(Debug)]
pub struct KeyParts<'a> {
    /// The tool's version and the identity of its executable (e.g. size and modification
    /// time): a rebuilt binary is another tool.
    pub tool: &'a str,
    pub today: i64,
    pub cwd: &'a Path,
    pub dir: &'a Path,
    pub out: &'a Path,
    /// The findings format and whether findings are coloured.
    pub format: &'a str,
    pub color: bool,
}

/// The record of one successful render into one output directory, as read back.
#[derive(Debug, Deserialize, PartialEq)]
pub struct Record {
    pub format: u32,
    pub key: String,
    pub environments: usize,
    /// Files the render produced (written or already up to date).
    pub files: usize,
    /// The findings as printed (to stdout or stderr, by format), and the warnings printed to
    /// stderr before the summary.
    pub findings: String,
    pub warnings: String,
    /// Every file under `--out` after the render, and the SHA-256 (hex) of its bytes.
    pub tree: BTreeMap<String, String>,
}

/// The key of a render, or `None` when an input is not a plain, readable file of a sensible size.
pub fn key(parts: &KeyParts<'_>, assets: &Assets) -> Option<String> {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(&FORMAT.to_le_bytes());
    field(parts.tool.as_bytes());
    field(&parts.today.to_le_bytes());
    for path in [parts.cwd, parts.dir, parts.out] {
        field(path.as_os_str().as_encoded_bytes());
    }
    field(parts.format.as_bytes());
    field(&[u8::from(parts.color)]);
    for (kind, files) in [
        ("schemas", &assets.schemas),
        ("templates", &assets.templates),
    ] {
        field(kind.as_bytes());
        field(&(files.len() as u64).to_le_bytes());
        for (name, text) in files {
            field(name.as_bytes());
            field(text.as_bytes());
        }
    }
    let inputs = input_digests(parts.dir)?;
    field(&(inputs.len() as u64).to_le_bytes());
    for (name, digest) in &inputs {
        field(name.as_bytes());
        field(digest);
    }
    Some(hex(&hasher.finalize()))
}

/// The name and digest of every `*.yaml`/`*.yml` file of `dir`, sorted by name; `None` when one
/// is not a regular file (or too large to be an environment), or `dir` cannot be listed.
fn input_digests(dir: &Path) -> Option<Vec<(String, [u8; 32])>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().to_str()?.to_owned();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            if !entry.file_type().ok()?.is_file() {
                return None;
            }
            names.push(name);
        }
    }
    names.sort_unstable();
    let limit = crate::yaml::MAX_FILE_BYTES as u64;
    names
        .into_par_iter()
        .map(|name| {
            let bytes = crate::source::safefs::read_limited(&dir.join(&name), limit).ok()??;
            (bytes.len() as u64 <= limit).then(|| {
                let digest: [u8; 32] = Sha256::digest(&bytes).into();
                (name, digest)
            })
        })
        .collect()
}

/// Where the record of the output directory `out` lives in `cache_dir` (one file per output
/// directory, named by a digest of its path with the parent made canonical, so the first
/// render, which creates `out`, names the same record as the next).
pub fn record_path(cache_dir: &Path, out: &Path) -> PathBuf {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let absolute = match (std::fs::canonicalize(parent), out.file_name()) {
        (Ok(parent), Some(name)) => parent.join(name),
        _ => std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf()),
    };
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    cache_dir.join(format!("render-{}.json", &hex(&digest)[..32]))
}

/// The record at `path`, if there is a readable one of this format.
pub fn load(path: &Path) -> Option<Record> {
    parse(&crate::source::safefs::read_limited(path, 1 << 30).ok()??)
}

/// A record from its bytes, if they are one of this format (anything else is no record).
pub fn parse(bytes: &[u8]) -> Option<Record> {
    let record: Record = serde_json::from_slice(bytes).ok()?;
    (record.format == FORMAT).then_some(record)
}

/// Whether `record` stands for this render: the same key, and `out` still holds exactly the
/// recorded files, byte for byte (every file is read again).
pub fn hit(record: &Record, key: &str, out: &Path) -> bool {
    if record.key != key {
        return false;
    }
    let mut snapshot = Snapshot::with_capacity(record.tree.len());
    for (path, digest) in &record.tree {
        let Some(bytes) = unhex(digest) else {
            return false;
        };
        snapshot.push((path.clone(), bytes));
    }
    tree::unchanged_since(out, &snapshot)
}

/// What a successful render leaves for the next one: its key, counts, what it printed and the
/// tree it left.
#[derive(Debug)]
pub struct Rendered<'a> {
    pub key: &'a str,
    pub environments: usize,
    /// Files the render produced (written or already up to date).
    pub files: usize,
    pub findings: &'a str,
    pub warnings: &'a str,
    pub tree: &'a Snapshot,
}

/// The JSON of a [`Record`], written straight from a [`Rendered`] (the tree is not copied).
#[derive(Serialize)]
struct RecordOut<'a> {
    format: u32,
    key: &'a str,
    environments: usize,
    files: usize,
    findings: &'a str,
    warnings: &'a str,
    tree: TreeOut<'a>,
}

struct TreeOut<'a>(&'a Snapshot);

impl Serialize for TreeOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (path, digest) in self.0 {
            map.serialize_entry(path, &hex(digest))?;
        }
        map.end()
    }
}

/// Write the record of `rendered` to `path` (creating its directory), atomically. Findings and
/// warnings are stored as they are printed: redacted.
pub fn store(path: &Path, rendered: &Rendered<'_>) -> std::io::Result<()> {
    let findings = crate::secrets::redact::redact(rendered.findings);
    let warnings = crate::secrets::redact::redact(rendered.warnings);
    let record = RecordOut {
        format: FORMAT,
        key: rendered.key,
        environments: rendered.environments,
        files: rendered.files,
        findings: &findings,
        warnings: &warnings,
        tree: TreeOut(rendered.tree),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut writer = std::io::BufWriter::new(file.as_file_mut());
        serde_json::to_writer(&mut writer, &record)?;
        std::io::Write::flush(&mut writer)?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(dir: &'a Path, out: &'a Path, today: i64) -> KeyParts<'a> {
        KeyParts {
            tool: "ck8s-gen test",
            today,
            cwd: Path::new("/"),
            dir,
            out,
            format: "human",
            color: false,
        }
    }

    #[test]
    fn the_key_changes_with_every_input_and_only_with_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("environments");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("common.yaml"), "c: 1\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not an input\n").unwrap();
        let out = tmp.path().join("rendered");
        let assets = Assets::embedded();
        let base = key(&parts(&dir, &out, 1), &assets).unwrap();
        assert_eq!(key(&parts(&dir, &out, 1), &assets).unwrap(), base);
        // Not an input: no change.
        std::fs::write(dir.join("notes.txt"), "still not an input\n").unwrap();
        assert_eq!(key(&parts(&dir, &out, 1), &assets).unwrap(), base);
        // The day, the output path, the tool, the format, the assets, an environment file,
        // common.yaml, a new file: each changes the key.
        assert_ne!(key(&parts(&dir, &out, 2), &assets).unwrap(), base);
        assert_ne!(
            key(&parts(&dir, Path::new("elsewhere"), 1), &assets).unwrap(),
            base
        );
        let mut other = parts(&dir, &out, 1);
        other.tool = "ck8s-gen rebuilt";
        assert_ne!(key(&other, &assets).unwrap(), base);
        let mut other = parts(&dir, &out, 1);
        other.format = "json";
        assert_ne!(key(&other, &assets).unwrap(), base);
        let mut changed = Assets::embedded();
        changed.templates[0].1 = format!("{}\n", changed.templates[0].1).into();
        assert_ne!(key(&parts(&dir, &out, 1), &changed).unwrap(), base);
        std::fs::write(dir.join("a.yaml"), "a: 2\n").unwrap();
        let edited = key(&parts(&dir, &out, 1), &assets).unwrap();
        assert_ne!(edited, base);
        std::fs::write(dir.join("common.yaml"), "c: 2\n").unwrap();
        let common = key(&parts(&dir, &out, 1), &assets).unwrap();
        assert_ne!(common, edited);
        std::fs::write(dir.join("b.yml"), "b: 1\n").unwrap();
        assert_ne!(key(&parts(&dir, &out, 1), &assets).unwrap(), common);
    }

    #[test]
    fn an_input_that_is_not_a_plain_file_gives_no_key() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("target.txt"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("target.txt"), tmp.path().join("a.yaml"))
            .unwrap();
        let assets = Assets::embedded();
        assert_eq!(key(&parts(tmp.path(), tmp.path(), 1), &assets), None);
        assert_eq!(
            key(&parts(&tmp.path().join("missing"), tmp.path(), 1), &assets),
            None
        );
    }

    #[test]
    fn a_record_round_trips_and_a_damaged_one_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir_all(out.join("env")).unwrap();
        std::fs::write(out.join("env/a.yaml"), "x\n").unwrap();
        let snapshot: Snapshot = vec![("env/a.yaml".to_owned(), Sha256::digest(b"x\n").into())];
        let rendered = Rendered {
            key: "k",
            environments: 1,
            files: 1,
            findings: "warning\n",
            warnings: "",
            tree: &snapshot,
        };
        let path = record_path(&tmp.path().join("cache"), &out);
        store(&path, &rendered).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(
            (
                back.key.as_str(),
                back.environments,
                back.files,
                back.findings.as_str()
            ),
            ("k", 1, 1, "warning\n")
        );
        assert_eq!(back.tree.len(), 1);
        assert!(hit(&back, "k", &out));
        assert!(!hit(&back, "other key", &out));
        // The tree is read again: an edit, an extra file or a removed file is a miss.
        std::fs::write(out.join("env/a.yaml"), "y\n").unwrap();
        assert!(!hit(&back, "k", &out));
        std::fs::write(out.join("env/a.yaml"), "x\n").unwrap();
        assert!(hit(&back, "k", &out));
        std::fs::write(out.join("env/b.yaml"), "x\n").unwrap();
        assert!(!hit(&back, "k", &out));
        std::fs::remove_file(out.join("env/b.yaml")).unwrap();
        std::fs::remove_file(out.join("env/a.yaml")).unwrap();
        assert!(!hit(&back, "k", &out));
        // A damaged record, or one of another format, is no record.
        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(load(&path), None);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains("\"format\""));
        store(&path, &rendered).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let other = text.replacen(
            &format!("\"format\":{FORMAT}"),
            &format!("\"format\":{}", FORMAT + 1),
            1,
        );
        assert_ne!(other, text);
        std::fs::write(&path, other).unwrap();
        assert_eq!(load(&path), None);
    }

    #[test]
    fn secrets_never_reach_the_record() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = "AKIAIOSFODNN7EXAMPLE";
        let findings = format!("error: inline key {secret}\n");
        let rendered = Rendered {
            key: "k",
            environments: 1,
            files: 0,
            findings: &findings,
            warnings: &findings,
            tree: &Snapshot::new(),
        };
        let path = tmp.path().join("record.json");
        store(&path, &rendered).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("inline key"), "{text}");
    }

    #[test]
    fn hex_round_trips() {
        let digest: [u8; 32] = Sha256::digest(b"abc").into();
        assert_eq!(unhex(&hex(&digest)), Some(digest));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
    }
}
