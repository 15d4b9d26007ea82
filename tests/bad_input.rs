//! Hostile input the loader must survive: every case exits 1 or 2 with a message naming the
//! file, in bounded time, and never panics.

use crate::support::ck8s_gen_in;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn validate_dir(dir: &Path) -> (Output, Duration) {
    let started = Instant::now();
    // Run beside the directory: it may not exist.
    let output = ck8s_gen_in(dir.parent().expect("a directory in a scratch directory"))
        .args(["validate", "--color", "never", "--dir"])
        .arg(dir)
        .run()
        .into_output();
    (output, started.elapsed())
}

/// Write `content` as the only environment file and check the run rejects it cleanly.
#[track_caller]
fn rejects(name: &str, content: &[u8], expected_code: &str) {
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    std::fs::create_dir(&envs).unwrap();
    std::fs::write(envs.join(format!("{name}.yaml")), content).unwrap();
    let (output, took) = validate_dir(&envs);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let status = output.status.code();
    assert!(
        matches!(status, Some(1) | Some(2)),
        "{name}: exit status {status:?}\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{name}: panicked\n{stderr}");
    assert!(
        stderr.contains(&format!("{name}.yaml")),
        "{name}: the message does not name the file\n{stderr}"
    );
    assert!(
        stderr.contains(expected_code),
        "{name}: expected `{expected_code}`\n{stderr}"
    );
    // Generous bound: debug builds on a loaded 2-core CI machine. A hang or a quadratic blow-up
    // takes minutes, not seconds.
    assert!(took < Duration::from_secs(20), "{name}: took {took:?}");
}

#[test]
fn a_50_megabyte_file_is_refused_without_reading_it_all() {
    let mut big =
        b"apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata:\n  description: \"".to_vec();
    big.resize(50 * 1024 * 1024, b'x');
    rejects("huge", &big, "file-too-large");
}

#[test]
fn a_billion_laughs_alias_bomb_is_refused() {
    let mut text = String::from(
        "apiVersion: ck8s-gen/v1\nkind: Environment\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    let mut previous = "a".to_owned();
    for i in 0..9 {
        let name = format!("b{i}");
        let refs = vec![format!("*{previous}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    rejects("bomb", text.as_bytes(), "yaml-too-complex");
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused() {
    let flow = format!(
        "apiVersion: ck8s-gen/v1\nmetadata: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    rejects("deep-flow", flow.as_bytes(), "error[");
    let mut block = String::from("apiVersion: ck8s-gen/v1\nmetadata:\n");
    for depth in 1..10_000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("k:\n");
    }
    rejects("deep-block", block.as_bytes(), "error[");
}

#[test]
fn binary_and_non_utf8_files_are_refused() {
    rejects(
        "binary",
        &[0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
        "binary-file",
    );
    rejects("latin1", b"metadata:\n  name: caf\xe9\n", "invalid-utf8");
    rejects("utf16", &[0xff, 0xfe, b'a', 0, b':', 0], "error[");
}

#[test]
fn yaml_that_is_not_a_mapping_is_refused() {
    rejects("list", b"- a\n- b\n", "not-a-mapping");
    rejects("scalar", b"just text\n", "not-a-mapping");
    rejects(
        "two-documents",
        b"apiVersion: ck8s-gen/v1\n---\napiVersion: ck8s-gen/v1\n",
        "error[",
    );
}

#[test]
fn a_missing_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (output, _) = validate_dir(&dir.path().join("nope"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

/// Walk every mapping of a rich environment, add an unknown key there, and check each one is
/// reported as `unknown-key` on the line where it was added.
#[test]
fn an_unknown_key_is_reported_at_every_level() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("environments/prod-se-health.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Every line that opens a mapping (`key:` with nothing after it, not a list item).
    let openers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            // `labels:` is a free-form map: any key is allowed there.
            !t.starts_with('#') && !t.starts_with('-') && t.ends_with(':') && t != "labels:"
        })
        .map(|(i, _)| i)
        .collect();
    assert!(
        openers.len() >= 15,
        "expected many nested mappings, found {}",
        openers.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let envs = dir.path().join("environments");
    std::fs::create_dir(&envs).unwrap();
    std::fs::copy(
        repo.join("environments/common.yaml"),
        envs.join("common.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo.join("environments/mgmt-se.yaml"),
        envs.join("mgmt-se.yaml"),
    )
    .unwrap();
    for &opener in std::iter::once(&usize::MAX).chain(&openers) {
        let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        let (at, indent) = if opener == usize::MAX {
            (edited.len(), String::new())
        } else {
            // The first child line decides the indentation of the new key.
            let child = &lines[opener + 1];
            let indent: String = child.chars().take_while(|c| *c == ' ').collect();
            let indent = if child.trim_start().starts_with('-') {
                format!("{indent}  ")
            } else {
                indent
            };
            (opener + 1, indent)
        };
        if lines
            .get(opener.wrapping_add(1))
            .is_some_and(|l| l.trim_start().starts_with('-'))
        {
            continue; // a list, not a mapping
        }
        edited.insert(at, format!("{indent}zzUnknownKey: 1"));
        std::fs::write(envs.join("prod.yaml"), edited.join("\n") + "\n").unwrap();
        let (output, _) = validate_dir(&envs);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected_line = format!("prod.yaml:{}:", at + 1);
        assert_eq!(
            output.status.code(),
            Some(1),
            "level at line {}:\n{stderr}",
            at + 1
        );
        assert!(
            stderr.contains("error[unknown-key]: unknown key `zzUnknownKey`")
                && stderr.contains(&expected_line),
            "level at line {}: expected unknown-key at {expected_line}\n{stderr}",
            at + 1
        );
    }
}
