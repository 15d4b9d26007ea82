//! `render`: golden output of the shipped environments, determinism, the output directory
//! contract (ownership manifest, `--check`, stale files, atomic refusal on invalid input),
//! `--stdout`, and the upstream conformance checker on everything we can render.

// Tests say so (on stdout, shown with --nocapture) when an optional external checker is absent.
#![allow(clippy::print_stdout)]

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::render::{self, Bundle, Options};
use ck8s_gen::tree::{self, Scope};
use ck8s_gen::validate::{self, Request};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use support::{ck8s_gen, repo};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Render every environment of `dir` in-process.
fn render_dir(dir: &Path) -> Bundle {
    let assets = Assets::embedded();
    let outcome = support::validated(dir, &assets);
    assert!(
        !outcome.has_failures(),
        "{}",
        ck8s_gen::diagnostic::human::render(&outcome.diagnostics, &outcome.sources, false)
    );
    render::render(
        &outcome,
        &assets,
        &Options {
            source_label: "environments".to_owned(),
        },
    )
    .expect("render")
}

/// Copy a directory of environment files into `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// A scratch checkout: `environments/` with the shipped examples.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("environments"),
        &tmp.path().join("environments"),
    );
    tmp
}

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

#[test]
fn golden_rendered_tree_of_the_shipped_environments() {
    let bundle = render_dir(&repo().join("environments"));
    let golden = repo().join("tests/golden/rendered");
    if std::env::var_os("CK8S_GEN_BLESS").is_some() {
        tree::write(&bundle.files, &golden, &Scope::All).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rendered");
    tree::write(&bundle.files, &out, &Scope::All).unwrap();
    let expected = tree(&golden);
    let actual = tree(&out);
    let mut problems = Vec::new();
    for (path, bytes) in &actual {
        match expected.get(path) {
            None => problems.push(format!("new file {path}")),
            Some(e) if e != bytes => {
                let diff = similar::TextDiff::from_lines(
                    String::from_utf8_lossy(e).as_ref(),
                    String::from_utf8_lossy(bytes).as_ref(),
                )
                .unified_diff()
                .header("golden", "actual")
                .to_string();
                problems.push(format!("{path} differs:\n{diff}"));
            }
            Some(_) => {}
        }
    }
    for path in expected.keys().filter(|p| !actual.contains_key(*p)) {
        problems.push(format!("file no longer rendered: {path}"));
    }
    assert!(
        problems.is_empty(),
        "{}\nre-bless with CK8S_GEN_BLESS=1 cargo test --test main render::golden and review the diff",
        problems.join("\n")
    );
}

#[test]
fn rendering_is_deterministic_and_independent_of_input_order() {
    let dir = repo().join("environments");
    let first = render_dir(&dir);
    for _ in 0..3 {
        assert_eq!(render_dir(&dir), first);
    }
    // The same environments handed over in reverse order.
    let assets = Assets::embedded();
    let outcome = validate::validate(&Request {
        dir: &dir,
        only: &[],
        assets: &assets,
        today: support::today(),
    })
    .unwrap();
    let options = Options {
        source_label: "environments".to_owned(),
    };
    let mut inputs = render::inputs(&outcome, &options).unwrap();
    inputs.reverse();
    let reversed = render::render_inputs(&inputs, &assets).unwrap();
    assert_eq!(reversed.files, first.files);
    // No timestamps, no absolute paths: the header names files as `environments/<file>`.
    for (path, bytes) in &first.files {
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("# Generated by ck8s-gen ") && text.contains("\n# input-sha256: "),
            "{path}"
        );
        assert!(!text.contains(repo().to_str().unwrap()), "{path}");
    }
}

#[test]
fn the_input_hash_follows_the_environment() {
    let tmp = scratch();
    let before = render_dir(&tmp.path().join("environments"));
    let file = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("ttl: 168h", "ttl: 336h")).unwrap();
    let after = render_dir(&tmp.path().join("environments"));
    let hash = |b: &Bundle, p: &str| {
        String::from_utf8(b.files[p].clone())
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let schedule = "dev-se/manifests/schedule-velero-daily-backup.yaml";
    assert_ne!(hash(&before, schedule), hash(&after, schedule));
    let prod = "prod-se-health/manifests/schedule-velero-daily-backup.yaml";
    assert_eq!(hash(&before, prod), hash(&after, prod));
}

#[test]
fn render_writes_then_check_passes_and_a_second_render_changes_nothing() {
    let tmp = scratch();
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("rendered 3 environments: 45 files changed, 0 unchanged, 0 removed"),
        "{}",
        stderr(&out)
    );
    assert!(tmp.path().join("rendered/.ck8s-gen-manifest").is_file());
    let check = ck8s_gen(tmp.path(), &["render", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let again = ck8s_gen(tmp.path(), &["render"]);
    assert!(
        stderr(&again).contains("0 files changed, 45 unchanged, 0 removed"),
        "{}",
        stderr(&again)
    );
    // The in-process render and the CLI agree byte for byte.
    let bundle = render_dir(&tmp.path().join("environments"));
    let mut on_disk = tree(&tmp.path().join("rendered"));
    on_disk.remove(".ck8s-gen-manifest");
    assert_eq!(on_disk, bundle.files);
}

#[test]
fn check_reports_hand_edits_missing_extra_and_unowned_files() {
    let tmp = scratch();
    assert!(ck8s_gen(tmp.path(), &["render"]).status.success());
    let rendered = tmp.path().join("rendered");
    let edited = "prod-se-health/manifests/schedule-velero-daily-backup.yaml";
    let text = std::fs::read_to_string(rendered.join(edited)).unwrap();
    std::fs::write(
        rendered.join(edited),
        text.replace("ttl: 720h0m0s", "ttl: 8760h0m0s"),
    )
    .unwrap();
    let deleted = "mgmt-se/manifests/namespace-rclone.yaml";
    std::fs::remove_file(rendered.join(deleted)).unwrap();
    // An owned file that is no longer rendered (as if an object had been dropped).
    let extra = "dev-se/manifests/schedule-velero-weekly-backup.yaml";
    std::fs::write(
        rendered.join(extra),
        "# Generated by ck8s-gen 0.1.0 from environments/dev.yaml.\nkind: Schedule\n",
    )
    .unwrap();
    let manifest = rendered.join(".ck8s-gen-manifest");
    let mut list = std::fs::read_to_string(&manifest).unwrap();
    list.push_str(extra);
    list.push('\n');
    std::fs::write(&manifest, list).unwrap();
    // A file nobody rendered in a directory Argo CD applies.
    std::fs::write(
        rendered.join("dev-se/manifests/handmade.yaml"),
        "kind: ConfigMap\n",
    )
    .unwrap();
    let before = tree(&rendered);

    let out = ck8s_gen(tmp.path(), &["render", "--check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains(&format!("stale: {edited}")), "{err}");
    assert!(err.contains(&format!("missing: {deleted}")), "{err}");
    assert!(err.contains(&format!("extra: {extra}")), "{err}");
    assert!(
        err.contains("unowned: dev-se/manifests/handmade.yaml"),
        "{err}"
    );
    assert_eq!(tree(&rendered), before, "--check must write nothing");

    // Rendering repairs everything it owns and leaves the rest alone.
    let fix = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(fix.status.code(), Some(0), "{}", stderr(&fix));
    assert!(stderr(&fix).contains("handmade.yaml"), "{}", stderr(&fix));
    assert!(!rendered.join(extra).exists());
    assert!(rendered.join(deleted).exists());
    assert!(rendered.join("dev-se/manifests/handmade.yaml").exists());
    std::fs::remove_file(rendered.join("dev-se/manifests/handmade.yaml")).unwrap();
    assert!(
        ck8s_gen(tmp.path(), &["render", "--check"])
            .status
            .success()
    );
}

#[test]
fn files_not_owned_survive_and_a_removed_environment_is_cleaned_up() {
    let tmp = scratch();
    let rendered = tmp.path().join("rendered");
    std::fs::create_dir_all(&rendered).unwrap();
    std::fs::write(rendered.join("README.md"), "mine\n").unwrap();
    assert!(ck8s_gen(tmp.path(), &["render"]).status.success());
    assert!(rendered.join("dev-se/argocd").is_dir());
    assert!(rendered.join("_fleet").is_dir());

    std::fs::remove_file(tmp.path().join("environments/dev.yaml")).unwrap();
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(" removed"), "{}", stderr(&out));
    assert!(
        !rendered.join("dev-se").exists(),
        "empty directories are removed"
    );
    assert!(
        !rendered.join("_fleet").exists(),
        "no Argo CD environment left, so no ApplicationSet"
    );
    assert_eq!(
        std::fs::read_to_string(rendered.join("README.md")).unwrap(),
        "mine\n"
    );
    let manifest = std::fs::read_to_string(rendered.join(".ck8s-gen-manifest")).unwrap();
    assert!(!manifest.contains("dev-se/"), "{manifest}");
    assert!(!manifest.contains("README"), "{manifest}");
    assert!(
        ck8s_gen(tmp.path(), &["render", "--check"])
            .status
            .success()
    );
}

#[test]
fn an_unowned_file_in_the_way_stops_the_render() {
    let tmp = scratch();
    let target = tmp.path().join("rendered/dev-se/manifests");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("schedule-velero-daily-backup.yaml"), "mine\n").unwrap();
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refusing to overwrite"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("schedule-velero-daily-backup.yaml")).unwrap(),
        "mine\n"
    );
}

#[test]
fn an_invalid_environment_blocks_only_itself_and_what_depends_on_it() {
    let tmp = scratch();
    assert!(ck8s_gen(tmp.path(), &["render"]).status.success());
    let rendered = tmp.path().join("rendered");
    let before = tree(&rendered);
    // Break one environment (Argo CD, no off-site manager); change another.
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(&dev, text.replace("ttl: 168h", "ttl: 7d")).unwrap();
    let prod = tmp.path().join("environments/prod-se-health.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, text.replace("rtoHours: 8", "rtoHours: 9")).unwrap();
    let out = ck8s_gen(tmp.path(), &["render"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("invalid-duration"), "{err}");
    assert!(
        err.contains("left as they are) because of the validation errors above: dev-se, _fleet"),
        "{err}"
    );
    let after = tree(&rendered);
    // dev-se and the ApplicationSet listing it are kept byte for byte; prod-se-health moved on.
    for (path, bytes) in &before {
        if path.starts_with("dev-se/") || path.starts_with("_fleet/") {
            assert_eq!(after.get(path), Some(bytes), "{path} kept");
        }
    }
    assert_ne!(after, before, "prod-se-health re-rendered");
    // Into an empty directory: only what nothing blocks is created.
    let fresh = tmp.path().join("fresh");
    let out = ck8s_gen(tmp.path(), &["render", "--out", fresh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(fresh.join("prod-se-health").is_dir() && !fresh.join("dev-se").exists());
    let out = ck8s_gen(tmp.path(), &["render", "--stdout"]);
    assert_eq!(out.status.code(), Some(1));
    let stream = String::from_utf8_lossy(&out.stdout);
    assert!(stream.contains("# Source: prod-se-health/") && !stream.contains("# Source: dev-se/"));
    // dev-se uses Argo CD: the ApplicationSet would drop its Application, so it is left out.
    assert!(!stream.contains("# Source: _fleet/"), "{stream}");
}

#[test]
fn stdout_prints_one_stream_of_the_selected_environments() {
    let tmp = scratch();
    let out = ck8s_gen(
        tmp.path(),
        &["render", "prod-se-health", "--stdout", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.into_output().stdout).unwrap();
    assert!(text.starts_with("---\n# Source: prod-se-health/"), "{text}");
    assert!(
        !text.contains("# Source: mgmt-se/") && !text.contains("_fleet"),
        "{text}"
    );
    let documents: Vec<&str> = text
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect();
    assert_eq!(documents.len(), 17, "{text}");
    for doc in documents {
        let value: serde_json::Value = ck8s_gen::yaml::from_yaml(doc).unwrap();
        assert!(
            value["apiVersion"].is_string() && value["kind"].is_string(),
            "{doc}"
        );
    }
    assert!(
        !tmp.path().join("rendered").exists(),
        "--stdout writes no files"
    );
    // Every environment plus the fleet when none is named.
    let all = ck8s_gen(tmp.path(), &["render", "--stdout"]);
    let all = String::from_utf8(all.into_output().stdout).unwrap();
    assert_eq!(all.matches("---\n").count(), 45);
    assert!(all.contains("# Source: _fleet/applicationset-ck8s-gen-backups.yaml"));
}

#[test]
fn rendering_one_environment_touches_only_its_directory() {
    let tmp = scratch();
    assert!(ck8s_gen(tmp.path(), &["render"]).status.success());
    let rendered = tmp.path().join("rendered");
    let mgmt = "mgmt-se/manifests/schedule-velero-daily-backup.yaml";
    std::fs::write(rendered.join(mgmt), "edited\n").unwrap();
    let dev = "dev-se/manifests/schedule-velero-daily-backup.yaml";
    std::fs::write(rendered.join(dev), "edited\n").unwrap();
    let out = ck8s_gen(tmp.path(), &["render", "dev-se"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rendered 1 environment: 1 file changed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(rendered.join(mgmt)).unwrap(),
        "edited\n"
    );
    assert_ne!(
        std::fs::read_to_string(rendered.join(dev)).unwrap(),
        "edited\n"
    );
    // `--check` of one environment ignores the others; of all, it does not.
    assert!(
        ck8s_gen(tmp.path(), &["render", "--check", "dev"])
            .status
            .success()
    );
    assert_eq!(
        ck8s_gen(tmp.path(), &["render", "--check"]).status.code(),
        Some(1)
    );
    let unknown = ck8s_gen(tmp.path(), &["render", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no environment named `nope`"));
}

#[test]
fn the_committed_rendered_tree_is_up_to_date() {
    let out = ck8s_gen(repo(), &["render", "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\nrun `cargo run -- render` and commit rendered/",
        stderr(&out)
    );
}

#[test]
fn the_shipped_environments_pass_the_upstream_conformance_checker() {
    let tmp = scratch();
    assert!(ck8s_gen(tmp.path(), &["render"]).status.success());
    support::check_manifests(&tmp.path().join("rendered"));
}

#[test]
fn every_renderer_branch_passes_the_upstream_conformance_checker() {
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    copy_dir(&repo().join("tests/fixtures/variants"), &envs);
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rendered = tmp.path().join("rendered");
    let files = tree(&rendered);
    let text = |p: &str| {
        String::from_utf8(
            files
                .get(p)
                .unwrap_or_else(|| panic!("{p} not rendered"))
                .clone(),
        )
        .unwrap()
    };
    // Tiers, CSI with data mover, SSE-KMS, OCIRepository + chartRef, the chart's CRD Job.
    let weekly = text("wl-csi/manifests/schedule-velero-weekly-backup.yaml");
    assert!(weekly.contains("ttl: 2160h0m0s") && weekly.contains("snapshotMoveData: true"));
    assert!(
        text("wl-csi/manifests/schedule-velero-monthly-backup.yaml")
            .contains("schedule: \"@monthly\"")
    );
    assert!(
        text("wl-csi/manifests/backupstoragelocation-default.yaml")
            .contains("kmsKeyId: alias/velero-backups")
    );
    let release = text("wl-csi/release/helmrelease-velero.yaml");
    assert!(
        release.contains("chartRef:") && release.contains("crds: Skip"),
        "{release}"
    );
    assert!(
        release.contains("features: EnableCSI")
            && release.contains("defaultSnapshotMoveData: true")
    );
    assert!(
        text("wl-csi/release/ocirepository-velero.yaml")
            .contains("url: oci://ghcr.io/vmware-tanzu/charts/velero")
    );
    // An unencrypted S3 off-site copy gets a read-only location; Azure and encrypted ones don't.
    let offsite = text("wl-csi/manifests/backupstoragelocation-offsite.yaml");
    assert!(offsite.contains("accessMode: ReadOnly") && offsite.contains("bucket: wl-csi-offsite"));
    assert!(!files.contains_key("wl-azure/manifests/backupstoragelocation-offsite.yaml"));
    assert!(!files.contains_key("wl-ssec/manifests/backupstoragelocation-offsite.yaml"));
    // The replication jobs live in the management tree, in their namespaces, with time zones.
    let csi_job = text("mgmt-b/manifests/cronjob-rclone-sync-wl-csi.yaml");
    assert!(
        csi_job.contains("namespace: offsite-sync")
            && csi_job.contains("timeZone: Europe/Stockholm")
    );
    assert!(
        csi_job.contains("- copy\n") && csi_job.contains("name: wl-csi-reader"),
        "{csi_job}"
    );
    assert!(csi_job.contains("activeDeadlineSeconds: 7200"));
    let swift_job = text("mgmt-b/manifests/cronjob-rclone-sync-wl-ssec.yaml");
    assert!(swift_job.contains("value: swift") && swift_job.contains("name: swift-writer"));
    assert!(
        swift_job.contains("RCLONE_CONFIG_CRYPT_FILENAME_ENCRYPTION\n              value: \"off\""),
        "{swift_job}"
    );
    assert!(
        text("mgmt-b/manifests/cronjob-rclone-sync-wl-azure.yaml").contains("value: azureblob")
    );
    assert!(files.contains_key("mgmt-b/manifests/namespace-offsite-sync.yaml"));
    // A management environment without Velero: no release, and its manifests depend on nothing.
    assert!(!files.keys().any(|p| p.starts_with("mgmt-b/release/")));
    assert!(!text("mgmt-b/flux/kustomization-ck8s-gen-manifests.yaml").contains("dependsOn"));
    // SSE-C; GCS with a KMS key and Workload Identity; Azure settings.
    assert!(
        text("wl-ssec/manifests/backupstoragelocation-default.yaml")
            .contains("customerKeyEncryptionSecret: velero-sse-c/customer-key")
    );
    let gcs = text("wl-gcs/manifests/backupstoragelocation-default.yaml");
    assert!(
        gcs.contains("provider: gcp")
            && gcs.contains("kmsKeyName:")
            && !gcs.contains("credential:")
    );
    assert!(
        text("wl-gcs/argocd/application-wl-gcs-velero.yaml")
            .contains("iam.gke.io/gcp-service-account")
    );
    let azure = text("wl-azure/manifests/backupstoragelocation-default.yaml");
    assert!(
        azure.contains("resourceGroup: rg-backups")
            && azure.contains("storageAccount: wlazurebackups")
    );
    // Two Argo CD namespaces: one ApplicationSet each, in one file; a named destination.
    let fleet = text("_fleet/applicationset-ck8s-gen-backups.yaml");
    assert_eq!(fleet.matches("kind: ApplicationSet").count(), 2, "{fleet}");
    // Backups off: no files, and no Application pointing at a directory that does not exist.
    assert!(!files.keys().any(|p| p.starts_with("wl-off/")));
    assert!(!fleet.contains("wl-off"), "{fleet}");
    assert!(
        text("wl-ssec/argocd/application-wl-ssec-velero.yaml").contains("name: wl-ssec-cluster")
    );
    // Restore tests: in the backup's time zone, twelve hours after it; from a mirrored image.
    let test = text("wl-csi/manifests/cronjob-velero-restore-test.yaml");
    assert!(
        test.contains("timeZone: Europe/Stockholm")
            && test.contains("image: registry.example.org/mirror/k8s:1.34.1"),
        "{test}"
    );
    assert!(
        test.contains("schedule: 30 13 * * "),
        "weekly for 30 days: {test}"
    );
    assert!(!files.contains_key("wl-csi/manifests/prometheusrule-velero-backup-alerts.yaml"));
    let gcs_test = text("wl-gcs/manifests/clusterrole-ck8s-gen-velero-restore-test.yaml");
    assert!(
        gcs_test.contains("- shop-restore-test\n  - db-restore-test"),
        "{gcs_test}"
    );
    // Tier alerts: the weekly Schedule's gap (168 h) + 2 h, twice the gap + 2 h.
    let alerts = text("wl-gcs/manifests/prometheusrule-velero-backup-alerts.yaml");
    assert!(
        alerts.contains("alert: VeleroWeeklyBackupMissed\n")
            && alerts.contains(r#"{schedule="velero-weekly-backup"} > 612000"#)
            && alerts.contains(r#"{schedule="velero-weekly-backup"} > 1216800"#),
        "{alerts}"
    );
    // Sync alerts of every replicated environment in the management tree, not in the workload's.
    assert!(files.contains_key("mgmt-b/manifests/prometheusrule-rclone-sync-wl-azure.yaml"));
    // Prometheus templates never reach an ApplicationSet.
    assert!(!fleet.contains("$labels"));
    // A label value `on` stays a string for YAML 1.1 readers.
    assert!(release.contains("tier: \"on\""));
    support::check_manifests(&rendered);
}

#[test]
fn environments_written_by_init_render_and_pass_the_conformance_checker() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("environments")).unwrap();
    std::fs::write(
        tmp.path().join("environments/common.yaml"),
        "apiVersion: ck8s-gen/v1\nkind: Defaults\ngitops:\n  repository:\n    url: https://git.example.org/fleet.git\n",
    )
    .unwrap();
    for (provider, engine) in [
        ("safespring", "flux"),
        ("azure", "argocd"),
        ("gcp", "flux"),
        ("aws", "argocd"),
    ] {
        for role in ["workload", "management"] {
            let name = format!("{role}-{provider}");
            let out = ck8s_gen(
                tmp.path(),
                &[
                    "init",
                    &name,
                    "--provider",
                    provider,
                    "--role",
                    role,
                    "--engine",
                    engine,
                ],
            );
            assert_eq!(out.status.code(), Some(0), "init {name}: {}", stderr(&out));
        }
    }
    let out = ck8s_gen(tmp.path(), &["render"]);
    if out.status.code() == Some(1) {
        // `init` leaves placeholders a human must fill in; then there is nothing to check.
        assert!(
            stderr(&out).contains("nothing rendered"),
            "{}",
            stderr(&out)
        );
        println!(
            "note: init output needs editing before it renders:\n{}",
            stderr(&out)
        );
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    support::check_manifests(&tmp.path().join("rendered"));
}

#[test]
fn a_template_mistake_is_an_error_naming_the_template_and_writes_nothing() {
    let tmp = scratch();
    let templates = tmp.path().join("templates/velero");
    std::fs::create_dir_all(&templates).unwrap();
    let original =
        std::fs::read_to_string(repo().join("templates/velero/schedule.yaml.j2")).unwrap();
    // A misspelt field: the API server would drop it silently; we refuse it.
    std::fs::write(
        templates.join("schedule.yaml.j2"),
        original.replace("storageLocation: default", "storageLocaton: default"),
    )
    .unwrap();
    let out = ck8s_gen(tmp.path(), &["render", "--templates", "templates"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("velero/schedule.yaml.j2") && err.contains("storageLocaton"),
        "{err}"
    );
    assert!(!tmp.path().join("rendered").exists());
    // An undefined variable names the template and line, not the values.
    std::fs::write(
        templates.join("schedule.yaml.j2"),
        original.replace("schedule.ttl | yaml", "schedule.retention | yaml"),
    )
    .unwrap();
    let out = ck8s_gen(tmp.path(), &["render", "--templates", "templates"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("template `velero/schedule.yaml.j2` line "),
        "{err}"
    );
    assert!(err.contains("undefined"), "{err}");
}

/// Files are staged as they are rendered; a template error in one environment after others
/// were staged must still leave the existing tree exactly as it was, with no staging left over.
#[test]
fn a_render_error_after_files_were_staged_leaves_the_tree_untouched() {
    let tmp = scratch();
    let first = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = tree(&tmp.path().join("rendered"));
    // Every environment's files would change (shorter retention in `dev`, …), and the
    // restore test's CronJob, which only the environments with restore tests render, breaks.
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(&dev, text.replace("ttl: 168h", "ttl: 96h")).unwrap();
    let templates = tmp.path().join("templates/restore-test");
    std::fs::create_dir_all(&templates).unwrap();
    let original =
        std::fs::read_to_string(repo().join("templates/restore-test/cronjob.yaml.j2")).unwrap();
    std::fs::write(
        templates.join("cronjob.yaml.j2"),
        original.replace(
            "concurrencyPolicy: Forbid",
            "concurrencyPolicy: Forbid\n  paused: true",
        ),
    )
    .unwrap();
    let out = ck8s_gen(tmp.path(), &["render", "--templates", "templates"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("restore-test/cronjob.yaml.j2") && err.contains("paused"),
        "{err}"
    );
    assert_eq!(tree(&tmp.path().join("rendered")), before);
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ck8s-gen"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Without the broken template the change goes through.
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(tree(&tmp.path().join("rendered")), before);
}

/// The text of a rendered file without its header.
fn rendered_text(bundle: &Bundle, path: &str) -> String {
    let bytes = bundle
        .files
        .get(path)
        .unwrap_or_else(|| panic!("{path} not rendered"));
    String::from_utf8(bytes.clone()).unwrap()
}

#[test]
fn the_restore_test_is_scheduled_least_privileged_and_its_restore_is_a_valid_velero_restore() {
    let bundle = render_dir(&repo().join("environments"));
    let cronjob = rendered_text(
        &bundle,
        "prod-se-health/manifests/cronjob-velero-restore-test.yaml",
    );
    // frequencyDays 180 → every four months (half-yearly would leave a 184-day gap), twelve
    // hours after the 00:00 backup.
    assert!(cronjob.contains("schedule: 0 12 25 1,5,9 *"), "{cronjob}");
    for needle in [
        "runAsNonRoot: true",
        "type: RuntimeDefault",
        "- ALL",
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        "backoffLimit: 0",
        "concurrencyPolicy: Forbid",
        "serviceAccountName: velero-restore-test",
        // rtoHours: 8 → the restore must finish within eight hours.
        "activeDeadlineSeconds: 28800",
    ] {
        assert!(cronjob.contains(needle), "{needle}\n{cronjob}");
    }
    let cluster_role = rendered_text(
        &bundle,
        "prod-se-health/manifests/clusterrole-ck8s-gen-velero-restore-test.yaml",
    );
    assert!(
        cluster_role.contains("resourceNames:\n  - patient-records-restore-test")
            && !cluster_role.contains("create"),
        "{cluster_role}"
    );
    let role = rendered_text(
        &bundle,
        "prod-se-health/manifests/role-velero-restore-test.yaml",
    );
    assert!(
        role.contains("- restores") && role.contains("- create"),
        "{role}"
    );
    // The Restore the script creates: the latest daily backup into the scratch namespace.
    let configmap = rendered_text(
        &bundle,
        "prod-se-health/manifests/configmap-velero-restore-test.yaml",
    );
    let value: serde_json::Value =
        ck8s_gen::yaml::from_yaml(configmap.split_once('\n').unwrap().1).unwrap();
    let restore = value["data"]["restore.yaml"].as_str().unwrap();
    assert!(
        restore.contains("scheduleName: velero-daily-backup"),
        "{restore}"
    );
    assert!(
        restore.contains("patient-records: patient-records-restore-test")
            && restore.contains("existingResourcePolicy: none"),
        "{restore}"
    );
    // The checker wants a name: the API server makes one from generateName.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("restore.yaml"),
        restore.replace("generateName: restore-test-", "name: restore-test-x"),
    )
    .unwrap();
    support::check_manifests(tmp.path());
    // Nothing for an environment without a restore test.
    assert!(
        !bundle
            .files
            .keys()
            .any(|p| p.starts_with("dev-se/") && p.contains("restore-test"))
    );
}

#[test]
fn alerts_cover_backups_offsite_sync_and_the_restore_test_with_prometheus_templates_intact() {
    let bundle = render_dir(&repo().join("environments"));
    let backups = rendered_text(
        &bundle,
        "prod-se-health/manifests/prometheusrule-velero-backup-alerts.yaml",
    );
    for needle in [
        "alert: VeleroBackupHaveFailed24Hours",
        "alert: VeleroBackupHaveFailed48Hours",
        r#"velero_backup_last_successful_timestamp{schedule="velero-daily-backup"}"#,
        "alert: RestoreTestFailed",
        "alert: RestoreTestOverdue",
        // 180 + 1 days.
        "> 15638400",
        // A Schedule that never succeeded has no success series: absent() for the threshold.
        r#"expr: absent(velero_backup_last_successful_timestamp{schedule="velero-daily-backup"})"#,
        "for: 26h",
        "{{ $value | humanizeDuration }}",
    ] {
        assert!(backups.contains(needle), "{needle}\n{backups}");
    }
    // The off-site sync of the workload cluster is watched where it runs.
    let sync = rendered_text(
        &bundle,
        "mgmt-se/manifests/prometheusrule-rclone-sync-prod-se-health.yaml",
    );
    for needle in [
        "namespace: rclone",
        "alert: OffsiteSyncFailed",
        "alert: OffsiteSyncOverdue",
        "alert: OffsiteSyncSuspended",
        r#"job_name=~"rclone-sync-prod-se-health-[0-9]+""#,
        "{{ $labels.job_name }}",
    ] {
        assert!(sync.contains(needle), "{needle}\n{sync}");
    }
    assert!(
        !bundle
            .files
            .keys()
            .any(|p| p.starts_with("prod-se-health/") && p.contains("rclone"))
    );
    // No alerts without metrics (no Prometheus Operator objects to evaluate them).
    let tmp = scratch();
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(
        &dev,
        text.replace(
            "gitops:\n  engine: argocd\n",
            "gitops:\n  engine: argocd\n  metrics: false\n",
        ),
    )
    .unwrap();
    let bundle = render_dir(&tmp.path().join("environments"));
    assert!(
        !bundle
            .files
            .contains_key("dev-se/manifests/prometheusrule-velero-backup-alerts.yaml")
    );
}

/// Run the restore-test script with a stub `kubectl` that plays the API server (namespaces are
/// files; the Restore ends at its first read). e2e/stages/scripts runs every scenario, signals
/// included, under busybox sh as PID 1 and dash against a stateful fake.
fn run_script(phase: &str, namespace_restored: bool, delete_fails: bool) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = tmp.path().join("calls");
    let ns = tmp.path().join("ns");
    std::fs::create_dir_all(&ns).unwrap();
    // A leftover copy from an earlier run.
    std::fs::write(ns.join("a-restore-test"), "").unwrap();
    let stub = format!(
        r#"#!/bin/sh
[ "$1" = --request-timeout=30s ] || exit 9
shift
echo "$*" >> '{log}'
case "$*" in
  "-n velero get restores -l ck8s-gen.io/restore-test=true -o jsonpath="*) ;;
  "create -f /etc/restore-test/restore.yaml -o name") echo restore.velero.io/restore-test-abc12 ;;
  "-n velero get restore.velero.io/restore-test-abc12 -o jsonpath="*)
    {create}
    echo '{phase}|velero-daily-backup-20261124000000|12|12|0|0' ;;
  "get namespace "*" --ignore-not-found -o name") [ -f '{ns}/'"$3" ] && echo "namespace/$3" ;;
  "label namespace "*) [ -f '{ns}/'"$3" ] ;;
  "delete namespace "*) {delete} ;;
  "-n velero get configmap ck8s-restore-test-history -o jsonpath={{.data.history}}") ;;
  "-n velero patch configmap ck8s-restore-test-history --type merge -p "*) ;;
  *) echo "unexpected call: $*" >&2; exit 9 ;;
esac
"#,
        log = log.display(),
        ns = ns.display(),
        create = if namespace_restored {
            format!(
                "touch '{0}/a-restore-test' '{0}/b-restore-test'",
                ns.display()
            )
        } else {
            ":".to_owned()
        },
        // The leftover's deletion works, the copies' deletion fails.
        delete = if delete_fails {
            format!(
                r#"[ -f '{0}/deleted' ] && exit 1; touch '{0}/deleted'; shift 2; for n in "$@"; do case "$n" in --*) ;; *) rm -f '{0}/'"$n" ;; esac; done"#,
                ns.display()
            )
        } else {
            format!(
                r#"shift 2; for n in "$@"; do case "$n" in --*) ;; *) rm -f '{}/'"$n" ;; esac; done"#,
                ns.display()
            )
        },
    );
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, stub).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = tmp.path().join("restore-test.sh");
    std::fs::write(&script, ck8s_gen::render::restore_test::SCRIPT).unwrap();
    let out = Command::new("sh")
        .arg(&script)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("VELERO_NAMESPACE", "velero")
        .env("SCHEDULE", "velero-daily-backup")
        .env("SCRATCH_NAMESPACES", "a-restore-test b-restore-test")
        .env("MIN_ITEMS", "4")
        .env("CLEANUP_TIMEOUT", "2")
        .env("POLL_SECONDS", "0.1")
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{calls}---\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_restore_test_script_passes_fails_and_always_cleans_up() {
    let (status, out) = run_script("Completed", true, false);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("PASSED"), "{out}");
    // The leftover is removed before the Restore, the copies after; the copies are labelled
    // out of backups; the result is recorded.
    let leftover = out.find("delete namespace a-restore-test").unwrap();
    let create = out.find("create -f").unwrap();
    assert!(leftover < create, "{out}");
    assert!(
        out.contains(
            "delete namespace a-restore-test b-restore-test --ignore-not-found --wait=false"
        ),
        "{out}"
    );
    assert!(
        out.contains("label namespace b-restore-test compliantkubernetes.io/nobackup=restore-test"),
        "{out}"
    );
    assert!(out.contains(r#"\"result\":\"passed\""#), "{out}");
    let (status, out) = run_script("PartiallyFailed", true, false);
    assert_eq!(status, 1, "{out}");
    assert!(
        out.contains("FAILED")
            && out.contains("delete namespace a-restore-test b-restore-test --ignore-not-found"),
        "{out}"
    );
    // A namespace missing from the backup fails the test.
    let (status, out) = run_script("Completed", false, false);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("was not restored"), "{out}");
    // A copy that cannot be deleted fails an otherwise passed test.
    let (status, out) = run_script("Completed", true, true);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("could not delete the copies"), "{out}");
}
