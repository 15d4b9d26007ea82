//! The editor schema (`ck8s-gen schema`): every shipped environment file and `common.yaml`
//! validates against it as one layer, the committed `schemas/editor.schema.json` is its
//! output, and it still flags real mistakes.

use crate::support;

use serde_json::Value;
use std::path::Path;
use support::{ck8s_gen, repo};

fn editor_schema() -> (String, jsonschema::Validator) {
    let out = ck8s_gen(repo(), &["schema"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.into_output().stdout).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&value)
        .expect("the editor schema compiles");
    (text, validator)
}

fn read(path: &Path) -> Value {
    ck8s_gen::yaml::from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_shipped_file_validates_against_the_editor_schema() {
    let (_, validator) = editor_schema();
    let mut checked = 0;
    for dir in ["environments", "tests/fixtures/variants"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with(
                        "# yaml-language-server: $schema=../schemas/editor.schema.json"
                    ) || dir != "environments",
                    "{} must point editors at the editor schema",
                    path.display()
                );
                let problems = errors(&validator, &read(&path));
                assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 11, "{checked}");
}

#[test]
fn init_output_validates_against_the_editor_schema() {
    let (_, validator) = editor_schema();
    for args in [
        vec!["init", "new-se", "--provider", "safespring", "--stdout"],
        vec![
            "init",
            "mgmt-x",
            "--provider",
            "aws",
            "--role",
            "management",
            "--engine",
            "argocd",
            "--stdout",
        ],
    ] {
        let out = ck8s_gen(repo(), &args);
        assert!(out.status.success(), "{out:?}");
        let value: Value =
            ck8s_gen::yaml::from_yaml(&String::from_utf8_lossy(&out.stdout)).unwrap();
        let problems = errors(&validator, &value);
        assert!(problems.is_empty(), "{args:?}: {problems:#?}");
    }
}

#[test]
fn the_committed_editor_schema_is_the_command_output() {
    let (text, _) = editor_schema();
    let committed = std::fs::read_to_string(repo().join("schemas/editor.schema.json")).unwrap();
    assert!(
        committed == text,
        "schemas/editor.schema.json is stale: run `ck8s-gen schema > schemas/editor.schema.json`"
    );
}

#[test]
fn layers_may_leave_out_append_and_drop_but_mistakes_are_flagged() {
    let (_, validator) = editor_schema();
    let ok = |yaml: &str| {
        let value: Value = ck8s_gen::yaml::from_yaml(yaml).unwrap();
        errors(&validator, &value)
    };
    // A thin environment file: everything else comes from common.yaml and the defaults.
    assert_eq!(
        ok("apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata: {name: thin}\n"),
        Vec::<String>::new()
    );
    // Append to and drop inherited values.
    assert_eq!(
        ok(
            "apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata: {name: thin}\nbackup:\n  scope:\n    extraExcludedNamespaces+: [scratch]\n    exclusionJustification: null\n"
        ),
        Vec::<String>::new()
    );
    // Defaults without a name are fine; with a name they are not.
    assert_eq!(
        ok("apiVersion: ck8s-gen/v1\nkind: Defaults\ngitops: {engine: flux}\n"),
        Vec::<String>::new()
    );
    assert!(!ok("apiVersion: ck8s-gen/v1\nkind: Defaults\nmetadata: {name: all}\n").is_empty());
    // An environment file must name itself.
    assert!(
        !ok("apiVersion: ck8s-gen/v1\nkind: Environment\ncluster: {role: workload}\n").is_empty()
    );
    // Unknown keys, wrong types and values outside the enum are still errors.
    assert!(
        !ok("apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata: {name: a}\nbakup: {}\n")
            .is_empty()
    );
    assert!(!ok("apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata: {name: a}\ncluster: {role: worker}\n").is_empty());
    assert!(!ok("apiVersion: ck8s-gen/v1\nkind: Defaults\nbackup: {enabled: maybe}\n").is_empty());
    assert!(!ok("apiVersion: ck8s-gen/v1\nkind: Other\n").is_empty());
}

#[test]
fn the_effective_schema_still_requires_everything() {
    let out = ck8s_gen(repo(), &["schema", "--effective"]);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/environment.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(value, committed);
    assert!(value["required"].as_array().unwrap().len() > 3);
}
