//! Chart values: a `--templates` values template may set any value of the velero chart (checked
//! against the chart's own values.yaml, with a did-you-mean on a typo), and every value
//! ck8s-gen emits for the shipped environments and the chart-values case is a chart key that
//! passes the chart's values.schema.json.

use crate::support;

use ck8s_gen::schema::chart::Chart;
use serde_json::Value;
use std::path::Path;
use support::{ck8s_gen, repo};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn with_values_template(extra: &str) -> support::Ran {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("templates"), &tmp.path().join("templates"));
    copy_tree(
        &repo().join("environments"),
        &tmp.path().join("environments"),
    );
    let values = tmp.path().join("templates/velero/values.yaml.j2");
    let mut text = std::fs::read_to_string(&values).unwrap();
    text.push_str(extra);
    std::fs::write(&values, text).unwrap();
    ck8s_gen(
        tmp.path(),
        &["--templates", "templates", "render", "dev-se", "--stdout"],
    )
}

#[test]
fn a_custom_values_template_may_set_any_chart_value_but_no_typo() {
    let ok = with_values_template(
        "podLabels:\n  example.org/team: platform\nnodeAgent:\n  podLabels:\n    a: b\n",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stream = String::from_utf8_lossy(&ok.stdout);
    assert!(stream.contains("example.org/team: platform"), "{stream}");
    let typo = with_values_template("podLabel:\n  example.org/team: platform\n");
    assert_eq!(typo.status.code(), Some(2));
    assert!(typo.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.contains("velero/values.yaml.j2")
            && stderr.contains("no value `podLabel`")
            && stderr.contains("did you mean `podLabels`"),
        "{stderr}"
    );
}

/// Every HelmRelease / Argo CD chart Application's values in a stream.
fn values_in(stream: &str) -> Vec<Value> {
    ck8s_gen::yaml::documents(stream)
        .unwrap()
        .into_iter()
        .filter_map(|d| match d["kind"].as_str() {
            Some("HelmRelease") => Some(d["spec"]["values"].clone()),
            Some("Application") => d
                .pointer("/spec/source/helm/valuesObject")
                .or_else(|| d.pointer("/spec/sources/0/helm/valuesObject"))
                .cloned(),
            _ => None,
        })
        .collect()
}

#[test]
fn every_emitted_value_is_a_chart_value() {
    let mut checked = 0;
    for (dir, envs) in [
        (
            repo().to_path_buf(),
            vec!["dev-se", "mgmt-se", "prod-se-health"],
        ),
        (repo().join("tests/cases/chart-values"), vec!["dev"]),
    ] {
        for env in envs {
            let out = ck8s_gen(&dir, &["render", env, "--stdout"]);
            assert!(out.status.success(), "{env}");
            for values in values_in(&String::from_utf8_lossy(&out.stdout)) {
                let problems = Chart::embedded().check(&values);
                assert!(problems.is_empty(), "{env}: {problems:#?}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "{checked}");
}
