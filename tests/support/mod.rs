//! Helpers shared by the integration tests: running the binary, and the upstream conformance
//! checker.

// Each test binary uses a subset; a missing checker outside CI is reported on stdout.
#![allow(dead_code, clippy::print_stdout)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// "Today" for every run of the binary in the tests.
pub const TODAY: &str = "2026-11-25";

/// The `ck8s-gen` binary with `args`, run in `dir`: a pinned today, no colour, and none of the
/// caller's `CK8S_GEN_*` settings.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ck8s-gen"));
    command
        .args(args)
        .current_dir(dir)
        .env("CK8S_GEN_TODAY", TODAY)
        .env("NO_COLOR", "1")
        .env_remove("CK8S_GEN_DIR")
        .env_remove("CK8S_GEN_FORMAT");
    command
}

/// Run `ck8s-gen args` in `dir` (see [`command`]).
pub fn ck8s_gen(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run ck8s-gen")
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the conformance checker at {} and python3 with PyYAML and jsonschema",
        path.display()
    );
    println!(
        "note: {} or python3 with PyYAML/jsonschema unavailable; conformance skipped",
        path.display()
    );
    None
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
    ck8s_gen::dates::parse_date(TODAY).expect("TODAY is a date")
}
