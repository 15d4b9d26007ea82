//! The binary end to end: `regulations list|explain` and `validate` of the shipped
//! environments (and a changed copy) with "today" pinned.

use crate::support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn ck8s_gen(args: &[&str], dir: &Path) -> support::Ran {
    support::ck8s_gen(dir, args)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn regulations_list_and_explain() {
    let out = ck8s_gen(&["regulations", "list"], &root());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for id in [
        "bsi-app.4.4.a5",
        "dora-art-12",
        "gdpr-art-17",
        "hipaa-164.308-a7",
        "hslf-fs-2016-40",
        "iso-27001-a.12.3.1",
        "msbfs-2020-7",
        "nis2-art-21",
        "cross-cutting",
        "conflicts",
    ] {
        assert!(text.contains(id), "{id} missing from:\n{text}");
    }
    let out = ck8s_gen(&["regulations", "list", "--format", "json"], &root());
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let hslf = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "hslf-fs-2016-40")
        .expect("hslf listed");
    assert_eq!(
        (hslf["errors"].as_u64(), hslf["warnings"].as_u64()),
        (Some(6), Some(4))
    );

    let out = ck8s_gen(&["regulations", "explain", "HSLF-07"], &root());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("HSLF-FS 2016:40 3 kap. 13 §") && text.contains("backup.retention.decidedBy"),
        "{text}"
    );

    let out = ck8s_gen(
        &["regulations", "explain", "gdpr-art-17", "--format", "json"],
        &root(),
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["rules"].as_array().map(Vec::len), Some(12));

    let out = ck8s_gen(&["regulations", "explain", "HSLF-7"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `HSLF-07`?"));
}

#[test]
fn validate_the_shipped_environments_and_a_changed_copy() {
    let out = ck8s_gen(&["validate", "--format", "json"], &root());
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let errors: Vec<&Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(out.status.code(), Some(0));

    let dir = tempfile::tempdir().expect("temp dir");
    let envs = dir.path().join("environments");
    std::fs::create_dir(&envs).unwrap();
    for entry in std::fs::read_dir(root().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
    let file = envs.join("prod-se-health.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("ttl: 720h", "ttl: 8760h");
    std::fs::write(&file, &text).unwrap();
    let out = ck8s_gen(&["validate", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let d = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "GDPR-12")
        .expect("GDPR-12 reported");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["environment"], "prod-se-health");
    assert_eq!(d["file"], "environments/prod-se-health.yaml");
    let line = text.lines().position(|l| l.contains("ttl: 8760h")).unwrap() + 1;
    assert_eq!(d["line"].as_u64(), Some(line as u64));
    assert!(
        d["citation"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("GDPR Art. 5(1)(e)")
    );
    assert!(
        d["citation"]["quote"]
            .as_str()
            .unwrap()
            .contains("no longer than is necessary")
    );
    assert!(d["help"].as_str().unwrap().contains("maxDays"));

    // The human report cites the paragraph and shows the line.
    let out = ck8s_gen(&["validate", "prod-se-health"], dir.path());
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("error[GDPR-12]"), "{report}");
    assert!(report.contains("cites: GDPR Art. 5(1)(e)"), "{report}");
    assert!(
        report.contains(&format!("environments/prod-se-health.yaml:{line}:")),
        "{report}"
    );
}
