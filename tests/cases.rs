//! Golden end-to-end cases, one `#[test]` each: each directory under `tests/cases/` holds the
//! input (an `environments/` tree), the command line (`cmd`), and the expected exit status
//! (`status`), stderr (`stderr`) and, when present, stdout (`stdout`). A new case directory is
//! listed in `cases!` below (`every_case_directory_is_listed` fails until it is). Re-bless with
//! `CK8S_GEN_BLESS=1 cargo test --test main cases::` (or `cases::NAME` for one case) and review
//! the diff before committing.

use crate::support::{self, ck8s_gen_in};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    support::repo().join("tests/cases")
}

/// Run the case in `dir`: compare with its golden files, or with `bless`, rewrite them.
fn check_case(dir: &Path, bless: bool) -> Result<(), String> {
    let cmd = std::fs::read_to_string(dir.join("cmd"))
        .map_err(|e| format!("{}: no cmd file: {e}", dir.display()))?;
    let output = ck8s_gen_in(dir).args(cmd.split_whitespace()).run();
    let status = output.code().map_or("signal".to_owned(), |c| c.to_string());
    let actual = [
        ("status", format!("{status}\n")),
        ("stderr", output.stderr_text()),
        ("stdout", output.stdout_text()),
    ];
    let mut problems = Vec::new();
    for (file, text) in actual {
        let path = dir.join(file);
        if bless {
            if file == "stdout" && text.is_empty() {
                let _ = std::fs::remove_file(&path);
            } else {
                std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != text {
            let diff = similar::TextDiff::from_lines(&expected, &text)
                .unified_diff()
                .header("expected", "actual")
                .to_string();
            problems.push(format!("{file} differs:\n{diff}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`ck8s-gen {}`:\n{}",
            cmd.trim(),
            problems.join("\n")
        ))
    }
}

/// The golden case `tests/cases/{name}`; `CK8S_GEN_BLESS` set rewrites its files.
fn run_case(name: &str) {
    let bless = std::env::var_os("CK8S_GEN_BLESS").is_some();
    if let Err(problems) = check_case(&cases_dir().join(name), bless) {
        panic!(
            "golden case tests/cases/{name} {problems}\nre-bless with CK8S_GEN_BLESS=1 cargo test --test main cases::{} and review the diff",
            name.replace('-', "_"),
        );
    }
}

/// One `#[test]` per case directory (named after it, `-` as `_`), and the list of them all.
macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($dir);
            }
        )*
        const CASES: &[&str] = &[$($dir),*];
    };
}

cases! {
    chart_values => "chart-values",
    chart_values_invalid => "chart-values-invalid",
    chart_values_wrong_type => "chart-values-wrong-type",
    cron_and_durations => "cron-and-durations",
    duplicate_keys => "duplicate-keys",
    fleet_shared_prefix => "fleet-shared-prefix",
    github_format => "github-format",
    inline_secret => "inline-secret",
    json_format => "json-format",
    layering_common => "layering-common",
    malformed_yaml => "malformed-yaml",
    missing_directory => "missing-directory",
    missing_keys => "missing-keys",
    offsite_bucket_json => "offsite-bucket-json",
    offsite_lock_needs_versioning => "offsite-lock-needs-versioning",
    offsite_rules => "offsite-rules",
    regulatory_profiles => "regulatory-profiles",
    restore_backup_mapping => "restore-backup-mapping",
    restore_from_schedule => "restore-from-schedule",
    restore_invalid_environment => "restore-invalid-environment",
    restore_offsite_at_bad_time => "restore-offsite-at-bad-time",
    restore_offsite_at_unversioned => "restore-offsite-at-unversioned",
    restore_offsite_encrypted => "restore-offsite-encrypted",
    restore_offsite_unencrypted => "restore-offsite-unencrypted",
    restore_test_rules => "restore-test-rules",
    restore_unknown_environment => "restore-unknown-environment",
    restore_unknown_schedule => "restore-unknown-schedule",
    restore_update_policy => "restore-update-policy",
    retention_vs_schedule => "retention-vs-schedule",
    tab_indented => "tab-indented",
    unknown_environment => "unknown-environment",
    unknown_keys => "unknown-keys",
    unreadable_files => "unreadable-files",
    valid_minimal => "valid-minimal",
    wrong_kind => "wrong-kind",
    wrong_types => "wrong-types",
}

/// A case directory the list above does not name would never run.
#[test]
fn every_case_directory_is_listed() {
    let mut dirs: Vec<String> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").is_file())
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| (*c).to_owned()).collect();
    listed.sort();
    assert_eq!(
        dirs, listed,
        "the case directories with a `cmd` (left) and the cases listed in tests/cases.rs (right) differ"
    );
    assert!(
        dirs.len() >= 10,
        "expected the golden cases, found {}",
        dirs.len()
    );
}

/// A case whose golden files do not match fails, naming the file and the difference.
#[test]
fn a_case_with_other_expectations_fails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("valid-minimal");
    copy_dir(&cases_dir().join("valid-minimal"), &dir);
    assert_eq!(check_case(&dir, false), Ok(()), "the copy passes as it is");
    std::fs::write(dir.join("status"), "1\n").expect("write status");
    let problems = check_case(&dir, false).expect_err("a wrong status fails");
    assert!(
        problems.contains("status differs") && problems.contains("-1\n+0"),
        "{problems}"
    );
    check_case(&dir, true).expect("bless rewrites the copy");
    assert_eq!(check_case(&dir, false), Ok(()), "blessed, the copy passes");
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).expect("status"),
        "0\n"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}
