//! Golden end-to-end cases: each directory under `tests/cases/` holds the input (an
//! `environments/` tree), the command line (`cmd`), and the expected exit status (`status`),
//! stderr (`stderr`) and, when present, stdout (`stdout`). Re-bless with `CK8S_GEN_BLESS=1`
//! and review the diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn run_case(dir: &Path) -> Result<(), String> {
    let cmd = std::fs::read_to_string(dir.join("cmd"))
        .map_err(|e| format!("{}: no cmd file: {e}", dir.display()))?;
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let output = Command::new(env!("CARGO_BIN_EXE_ck8s-gen"))
        .args(&args)
        .current_dir(dir)
        .env("CK8S_GEN_TODAY", "2026-11-25")
        .env("NO_COLOR", "1")
        .env_remove("CK8S_GEN_DIR")
        .env_remove("CK8S_GEN_FORMAT")
        .output()
        .map_err(|e| e.to_string())?;
    let status = output
        .status
        .code()
        .map_or("signal".to_owned(), |c| c.to_string());
    let actual = [
        ("status", format!("{status}\n")),
        (
            "stderr",
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        (
            "stdout",
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
    ];
    let bless = std::env::var_os("CK8S_GEN_BLESS").is_some();
    let mut problems = Vec::new();
    for (name, text) in actual {
        let path = dir.join(name);
        if bless {
            if name == "stdout" && text.is_empty() {
                let _ = std::fs::remove_file(&path);
            } else {
                std::fs::write(&path, &text).map_err(|e| e.to_string())?;
            }
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != text {
            let diff = similar::TextDiff::from_lines(&expected, &text)
                .unified_diff()
                .header("expected", "actual")
                .to_string();
            problems.push(format!("{name} differs:\n{diff}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("case {}:\n{}", dir.display(), problems.join("\n")))
    }
}

#[test]
fn golden_cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the golden cases, found {}",
        dirs.len()
    );
    let failures: Vec<String> = dirs.iter().filter_map(|d| run_case(d).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
