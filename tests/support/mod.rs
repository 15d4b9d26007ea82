//! Helpers shared by the integration tests: running the binary (`run`), the shipped
//! environments, skipping for a missing tool, and the upstream conformance checker.

mod run;

pub use run::{Ran, ck8s_gen_in};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// "Today" for every run of the binary in the tests.
pub const TODAY: &str = "2026-11-25";

/// The hermetic `ck8s-gen` command with `args`, run in `dir` (see [`ck8s_gen_in`]), for a test
/// that spawns the process itself.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    ck8s_gen_in(dir).args(args).command()
}

/// Run `ck8s-gen args` in `dir`, hermetically (see [`ck8s_gen_in`]).
#[track_caller]
pub fn ck8s_gen(dir: &Path, args: &[&str]) -> Ran {
    ck8s_gen_in(dir).args(args).run()
}

/// Every regular file under `dir` (relative paths) and its bytes.
pub fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read the tree") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("below the root");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("read a file"),
                );
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory holding a copy of the shipped `environments/`, to edit freely.
pub fn shipped_environments() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dst = tmp.path().join("environments");
    std::fs::create_dir_all(&dst).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("environments")).expect("read environments") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dst.join(path.file_name().expect("name"))).expect("copy");
    }
    tmp
}

/// `../shared/conformance/check-manifests` (or under `$CK8S_SHARED`) with python3, PyYAML and
/// jsonschema. Missing is a failure in CI (`CI` set) and a printed skip elsewhere.
fn checker() -> Option<PathBuf> {
    let shared = std::env::var_os("CK8S_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    let path = shared.join("conformance/check-manifests");
    let has_python = Command::new("python3")
        .args(["-c", "import yaml, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if path.is_file() && has_python {
        return Some(path);
    }
    skip(
        "conformance check",
        &format!(
            "the conformance checker at {} or python3 with PyYAML and jsonschema",
            path.display()
        ),
    );
    None
}

/// Whether the tests run under CI: `CI` set to anything but empty, `0` or `false` (GitHub
/// Actions and GitLab set `CI=true`; `.ci/run` does too).
pub fn ci(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// What skipping `test` for a `missing` tool means: under CI a failure (the message), elsewhere
/// a note to print.
pub fn skip_outcome(in_ci: bool, test: &str, missing: &str) -> Result<String, String> {
    if in_ci {
        Err(format!(
            "{test} cannot run: {missing} is missing, and under CI a skipped test is a failure (.ci/run and e2e/install install it)"
        ))
    } else {
        Ok(format!(
            "\n*** SKIPPED {test}: {missing} is missing; this test did NOT run (under CI=true it fails) ***\n"
        ))
    }
}

/// A test cannot run because a tool is missing. Under CI that fails the test; elsewhere the
/// note goes to the real stderr (past the test harness's capture), so a skip never looks like a
/// pass in `cargo test` output.
pub fn skip(test: &str, missing: &str) {
    match skip_outcome(ci(std::env::var_os("CI").as_deref()), test, missing) {
        Err(message) => panic!("{message}"),
        Ok(note) => {
            let _ = std::io::stderr().write_all(note.as_bytes());
        }
    }
}

fn run(arg: &Path, stdin: Option<&[u8]>) -> bool {
    let Some(script) = checker() else {
        return false;
    };
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(arg)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run check-manifests");
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(bytes)
            .expect("write the stream");
    }
    let out = child.wait_with_output().expect("check-manifests finishes");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("PASS") && report.contains(" 0 problems"),
        "check-manifests failed on {}:\n{report}{}",
        arg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// Check a directory or file of rendered manifests; `false` when the checker is unavailable.
pub fn check_manifests(path: &Path) -> bool {
    run(path, None)
}

/// Check a multi-document stream, as a CMP prints it; `false` when unavailable.
pub fn check_stream(stream: &[u8]) -> bool {
    run(Path::new("-"), Some(stream))
}

/// [`TODAY`] as a day number, for tests that run the library in-process.
pub fn today() -> i64 {
    ck8s_gen::velero::dates::parse_date(TODAY).expect("TODAY is a date")
}

/// Every environment of `dir` validated in-process with the embedded assets, on [`today`].
pub fn validated(dir: &Path, assets: &ck8s_gen::assets::Assets) -> ck8s_gen::validate::Outcome {
    ck8s_gen::validate::validate(&ck8s_gen::validate::Request {
        dir,
        only: &[],
        assets,
        today: today(),
    })
    .expect("validate")
}

/// Run `git ARGS` in `dir` with a fixed author, and require it to succeed.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}
