//! Every machine-readable output has a published JSON Schema (`schemas/output/*.schema.json`)
//! and real output validates against it: validate (clean and with findings), diff, report,
//! coverage, explain.

use crate::support;

use serde_json::Value;
use support::{ck8s_gen, git, repo};

fn schema(name: &str) -> jsonschema::Validator {
    let path = repo()
        .join("schemas/output")
        .join(format!("{name}.schema.json"));
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&value)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_valid(name: &str, output: &[u8]) -> Value {
    let value: Value = serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!(
            "{name}: not JSON ({e}): {}",
            String::from_utf8_lossy(output)
        )
    });
    let problems: Vec<String> = schema(name)
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    assert_eq!(value["version"], 1, "{name} is versioned");
    value
}

/// No snake_case key anywhere (every output is camelCase like the report).
fn assert_camel_case(name: &str, value: &Value) {
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                assert!(!k.contains('_'), "{name}: key `{k}` is not camelCase");
                assert_camel_case(name, v);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| assert_camel_case(name, v)),
        _ => {}
    }
}

#[test]
fn validate_output_matches_its_schema() {
    let clean = ck8s_gen(repo(), &["validate", "--format", "json"]);
    let v = assert_valid("validate", &clean.stdout);
    assert_camel_case("validate", &v);
    // With errors, located findings and citations.
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("ttl: 720h", "ttl: 7d");
        std::fs::write(envs.join(path.file_name().unwrap()), text).unwrap();
    }
    let failing = ck8s_gen(tmp.path(), &["validate", "--format", "json"]);
    assert_eq!(failing.status.code(), Some(1));
    let v = assert_valid("validate", &failing.stdout);
    assert!(v["summary"]["errors"].as_u64().unwrap() > 0);
    assert!(v["diagnostics"][0]["line"].is_u64(), "{v:#}");
    // Accepted deviations: their keys are camelCase too, and described by the schema.
    let case = repo().join("tests/cases/regulatory-profiles");
    let accepted = ck8s_gen(&case, &["validate", "--format", "json"]);
    let v = assert_valid("validate", &accepted.stdout);
    assert_camel_case("validate", &v);
    let acceptance = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|d| d.get("accepted"))
        .unwrap_or_else(|| panic!("no accepted deviation in {v:#}"));
    assert!(acceptance["owner"].is_string(), "{acceptance:#}");
    assert!(acceptance.get("approvedBy").is_some(), "{acceptance:#}");
}

#[test]
fn report_output_matches_its_schema() {
    let out = ck8s_gen(repo(), &["report", "--as", "json"]);
    let v = assert_valid("report", &out.stdout);
    assert!(v["environments"][0]["coverage"].is_object());
}

#[test]
fn coverage_and_explain_output_match_their_schemas() {
    let out = ck8s_gen(repo(), &["--format", "json", "coverage"]);
    let v = assert_valid("coverage", &out.stdout);
    assert_camel_case("coverage", &v);
    for key in [
        "backup.retention.ttl",
        "storage",
        "cluster.role",
        "backup.tiers[].ttl",
    ] {
        let out = ck8s_gen(repo(), &["--format", "json", "explain", key]);
        assert!(out.status.success(), "{key}");
        let v = assert_valid("explain", &out.stdout);
        assert_camel_case("explain", &v);
    }
}

#[test]
fn diff_output_matches_its_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "base"]);
    // A setting change with findings, an added Argo CD environment (fleet change).
    let prod = envs.join("prod-se-health.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(
        &prod,
        text.replacen("    ttl: 720h\n", "    ttl: 168h\n", 1),
    )
    .unwrap();
    let qa = std::fs::read_to_string(envs.join("dev.yaml"))
        .unwrap()
        .replace("name: dev-se", "name: qa-se")
        .replace("bucket: dev-se-velero", "bucket: qa-se-velero");
    std::fs::write(envs.join("qa.yaml"), qa).unwrap();
    let out = ck8s_gen(tmp.path(), &["diff", "--base", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = assert_valid("diff", &out.stdout);
    assert_camel_case("diff", &v);
    assert!(!v["fleet"].as_array().unwrap().is_empty());
    assert!(v["groups"].as_array().unwrap().len() >= 2);
}
