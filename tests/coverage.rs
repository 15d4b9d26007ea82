//! `coverage` and the report's coverage section describe the objects `render` writes: the
//! Schedules in the rendered tree, not a second reading of the settings.

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::evidence::coverage::{self, Coverage};
use ck8s_gen::render::objects::velero::Schedule;
use ck8s_gen::render::templates::Templates;
use ck8s_gen::render::{self, Options};
use serde_json::Value;
use std::path::Path;
use support::{ck8s_gen, repo};

/// Every environment of `dir`: its coverage and the Schedules of its rendered tree.
fn rendered_and_covered(dir: &Path) -> Vec<(Coverage, Vec<Schedule>)> {
    let assets = Assets::embedded();
    let outcome = support::validated(dir, &assets);
    assert!(!outcome.has_failures(), "{}", dir.display());
    let bundle = render::render(
        &outcome,
        &assets,
        &Options {
            source_label: "environments".to_owned(),
        },
    )
    .expect("render");
    let templates = Templates::new(&assets).unwrap();
    outcome
        .valid()
        .map(|(_, env)| {
            let name = &env.metadata.name;
            let schedules: Vec<Schedule> = bundle
                .objects
                .iter()
                .filter(|o| o.environment.as_ref() == Some(name) && o.id.kind == "Schedule")
                .map(|o| ck8s_gen::yaml::from_yaml(bundle.yaml(o)).unwrap())
                .collect();
            (coverage::of(&templates, env).unwrap(), schedules)
        })
        .collect()
}

/// What coverage says must be what the rendered Schedules do.
fn assert_agrees(c: &Coverage, schedules: &[Schedule]) {
    let rendered: Vec<(String, String, String)> = schedules
        .iter()
        .map(|s| {
            (
                s.metadata.name.clone(),
                s.spec.schedule.clone(),
                s.spec.template.ttl.clone().unwrap_or_default(),
            )
        })
        .collect();
    let mut covered: Vec<(String, String, String)> = c
        .schedules
        .iter()
        .map(|s| (s.name.clone(), s.schedule.clone(), s.ttl.clone()))
        .collect();
    covered.sort();
    let mut rendered_sorted = rendered.clone();
    rendered_sorted.sort();
    assert_eq!(covered, rendered_sorted, "{}: schedules", c.environment);
    for s in schedules {
        let t = &s.spec.template;
        let namespace_filtered = t.included_namespaces.is_some() || t.excluded_namespaces.is_some();
        let claims_all = c.cluster_resources.starts_with("included");
        let does_all = t.include_cluster_resources == Some(true)
            || (t.include_cluster_resources.is_none() && !namespace_filtered);
        assert_eq!(
            claims_all, does_all,
            "{}: coverage says cluster-scoped resources are `{}`, Schedule {} has includeClusterResources {:?}",
            c.environment, c.cluster_resources, s.metadata.name, t.include_cluster_resources
        );
        for ns in t.excluded_namespaces.iter().flatten() {
            assert!(
                c.namespaces_excluded.iter().any(|g| &g.what == ns),
                "{}: `{ns}` is excluded by {} but not in the coverage",
                c.environment,
                s.metadata.name
            );
        }
        for ns in t.included_namespaces.iter().flatten() {
            assert!(
                c.namespaces_included.contains(ns.as_str()),
                "{}: `{ns}` is included by {} but coverage says `{}`",
                c.environment,
                s.metadata.name,
                c.namespaces_included
            );
        }
        let volumes = if t.default_volumes_to_fs_backup == Some(true) {
            "file-system backup"
        } else if t.snapshot_move_data == Some(true) {
            "CSI snapshots moved"
        } else if t.snapshot_volumes == Some(true) {
            "CSI snapshots only"
        } else {
            "none"
        };
        assert!(
            c.volumes.starts_with(volumes),
            "{}: coverage says volumes `{}`, Schedule {} does `{volumes}`",
            c.environment,
            c.volumes,
            s.metadata.name
        );
    }
    for ns in c.namespaces_excluded.iter() {
        assert!(
            schedules.iter().any(|s| s
                .spec
                .template
                .excluded_namespaces
                .iter()
                .flatten()
                .any(|n| n == &ns.what)),
            "{}: coverage lists `{}` as excluded but no Schedule excludes it",
            c.environment,
            ns.what
        );
    }
}

#[test]
fn coverage_describes_the_rendered_schedules_of_every_shipped_and_fixture_environment() {
    let mut seen = 0;
    for dir in ["environments", "tests/fixtures/variants"] {
        for (c, schedules) in rendered_and_covered(&repo().join(dir)) {
            assert_agrees(&c, &schedules);
            seen += 1;
        }
    }
    assert!(seen >= 9, "only {seen} environments checked");
}

#[test]
fn the_management_cluster_names_its_real_schedule_and_no_cluster_wide_backup() {
    let all = rendered_and_covered(&repo().join("environments"));
    let (mgmt, schedules) = all
        .iter()
        .find(|(c, _)| c.environment == "mgmt-se")
        .unwrap();
    assert_eq!(schedules.len(), 1);
    assert_eq!(mgmt.schedules[0].name, "velero-daily-backup");
    assert!(
        !mgmt.cluster_resources.starts_with("included"),
        "{}",
        mgmt.cluster_resources
    );
    let grafana = &mgmt.dashboards[0];
    assert!(
        grafana.why.contains("`velero-daily-backup`"),
        "{}",
        grafana.why
    );
}

#[test]
fn a_disagreement_is_caught() {
    // The check itself fails when a description does not match the objects.
    let all = rendered_and_covered(&repo().join("environments"));
    let (c, schedules) = all
        .iter()
        .find(|(c, _)| c.environment == "mgmt-se")
        .unwrap();
    let mut wrong = c.clone();
    wrong.schedules[0].name = "velero-dashboards-backup".into();
    let caught = std::panic::catch_unwind(|| assert_agrees(&wrong, schedules));
    assert!(caught.is_err());
    let mut wrong = c.clone();
    wrong.cluster_resources = "included (cluster-scoped resources, CRDs)".into();
    let caught = std::panic::catch_unwind(|| assert_agrees(&wrong, schedules));
    assert!(caught.is_err());
}

#[test]
fn the_report_and_the_coverage_command_say_the_same() {
    let dir = repo();
    let coverage = ck8s_gen(dir, &["coverage", "--json"]);
    assert!(coverage.status.success(), "{coverage:?}");
    let coverage: Value = serde_json::from_slice(&coverage.stdout).unwrap();
    let report = ck8s_gen(dir, &["report", "--as", "json"]);
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let from_command: Vec<&Value> = match &coverage {
        Value::Array(a) => a.iter().collect(),
        other => other["environments"].as_array().unwrap().iter().collect(),
    };
    let from_report: Vec<&Value> = report["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["coverage"])
        .collect();
    assert_eq!(from_command.len(), 3);
    assert_eq!(from_command, from_report);
}
