//! Snapshots (`insta`, under `tests/snapshots/`) of every output format of the two renderers:
//! diagnostics (human text, JSON, GitHub annotations, Markdown) of a real validation with
//! errors, warnings, an accepted deviation, citations and secondary labels; and a fleet diff
//! (text, Markdown, JSON, GitHub) with changed, added, removed, grouped, unrenderable and
//! fleet-wide changes. Review a changed snapshot with `cargo insta review` (or read the
//! `.snap.new` file beside it); under `CI=true` a new or changed snapshot fails.

use crate::support;
use ck8s_gen::assets::Assets;
use ck8s_gen::diagnostic::{self, Format};
use ck8s_gen::diff::snapshot::{EnvironmentSnapshot, Finding};
use ck8s_gen::diff::{self, ObjectKey, Snapshot};
use ck8s_gen::validate::Outcome;

/// The `regulatory-profiles` golden case's input, validated in-process: its findings cover
/// every part of a diagnostic (labels, help, citations, an accepted deviation, environments).
fn findings() -> Outcome {
    let case = support::repo().join("tests/cases/regulatory-profiles");
    let assets = Assets::embedded();
    // Paths are shown relative to the working directory, as the binary shows them.
    let dir = std::path::Path::new("tests/cases/regulatory-profiles/environments");
    assert!(case.join("environments").is_dir());
    let outcome = support::validated(dir, &assets);
    assert!(
        outcome.diagnostics.len() > 5,
        "the case has findings: {:?}",
        outcome.diagnostics
    );
    outcome
}

fn diagnostics(format: Format) -> String {
    let outcome = findings();
    diagnostic::render(format, &outcome.diagnostics, &outcome.sources, false)
}

#[test]
fn diagnostics_as_human_text() {
    insta::assert_snapshot!(diagnostics(Format::Human));
}

#[test]
fn diagnostics_as_json() {
    insta::assert_snapshot!(diagnostics(Format::Json));
}

#[test]
fn diagnostics_as_github_annotations() {
    insta::assert_snapshot!(diagnostics(Format::Github));
}

#[test]
fn diagnostics_as_markdown() {
    insta::assert_snapshot!(diagnostics(Format::Markdown));
}

fn schedule(name: &str, ttl: &str) -> (ObjectKey, String) {
    (
        ObjectKey::new("velero.io/v1", "Schedule", Some("velero"), name),
        format!(
            "apiVersion: velero.io/v1\nkind: Schedule\nmetadata:\n  name: {name}\n  namespace: velero\nspec:\n  schedule: 0 2 * * *\n  template:\n    ttl: {ttl}\n"
        ),
    )
}

fn environment(ttl: &str, findings: &[(&str, &str, &str)]) -> EnvironmentSnapshot {
    let mut env = EnvironmentSnapshot::default();
    env.settings
        .insert("backup.retention.ttl".into(), ttl.into());
    env.settings.insert(
        "backup.encryption.kmsKeyId".into(),
        ck8s_gen::diff::snapshot::MASK.into(),
    );
    env.findings = findings
        .iter()
        .map(|(severity, code, message)| Finding {
            severity: (*severity).into(),
            code: (*code).into(),
            message: (*message).into(),
        })
        .collect();
    env.objects.extend([schedule("velero-daily-backup", ttl)]);
    env
}

/// Two snapshots of a fleet: `prod-a` and `prod-b` change their retention the same way (one
/// group) and gain a finding, `old` is removed, `new` added, `broken` cannot be rendered on
/// the head side, and the fleet-wide ApplicationSet changes.
fn fleet_diff() -> diff::DiffReport {
    let short = [(
        "warning",
        "retention-below-minimum",
        "retention of 7 days is below the decided minimum of 30 days",
    )];
    let mut base = Snapshot {
        label: "main".into(),
        environments: Default::default(),
    };
    let mut head = Snapshot {
        label: "HEAD".into(),
        environments: Default::default(),
    };
    for name in ["prod-a", "prod-b"] {
        base.environments
            .insert(name.into(), environment("720h0m0s", &[]));
        head.environments
            .insert(name.into(), environment("168h0m0s", &short));
    }
    base.environments
        .insert("old".into(), environment("720h0m0s", &[]));
    head.environments
        .insert("new".into(), environment("720h0m0s", &[]));
    base.environments
        .insert("broken".into(), environment("720h0m0s", &[]));
    let mut broken = environment("720h0m0s", &[("error", "wrong-type", "`ttl` is a string")]);
    broken.unrenderable = true;
    broken.objects.clear();
    head.environments.insert("broken".into(), broken);
    base.environments
        .insert("same".into(), environment("720h0m0s", &[]));
    head.environments
        .insert("same".into(), environment("720h0m0s", &[]));
    let appset = |envs: &str| {
        let mut fleet = EnvironmentSnapshot::default();
        fleet.objects.insert(
            ObjectKey::new(
                "argoproj.io/v1alpha1",
                "ApplicationSet",
                Some("argocd"),
                "ck8s-gen-backups",
            ),
            format!(
                "kind: ApplicationSet\nspec:\n  generators:\n  - list:\n      elements: [{envs}]\n"
            ),
        );
        fleet
    };
    base.environments
        .insert(ck8s_gen::render::FLEET_DIR.into(), appset("old, prod-a"));
    head.environments
        .insert(ck8s_gen::render::FLEET_DIR.into(), appset("new, prod-a"));
    let report = diff::compare(&base, &head);
    assert_eq!(report.groups.len(), 4, "{report:#?}");
    assert_eq!(report.unchanged_environments, 1);
    report
}

#[test]
fn a_diff_as_text() {
    insta::assert_snapshot!(diff::text(&fleet_diff(), false));
}

#[test]
fn a_diff_as_markdown() {
    insta::assert_snapshot!(diff::markdown(&fleet_diff()));
}

#[test]
fn a_diff_as_json() {
    insta::assert_snapshot!(diff::to_json(&fleet_diff()));
}

#[test]
fn a_diff_as_github_annotations() {
    insta::assert_snapshot!(diff::github(&fleet_diff()));
}
