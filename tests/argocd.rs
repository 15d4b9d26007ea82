//! The Argo CD Config Management Plugin, run the way the CMP server runs it: environment
//! variables, the repository as working directory, no TTY, stdout captured.

use crate::support;

use std::path::{Path, PathBuf};

use support::{Ran, check_stream, ck8s_gen_in};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run like argocd-cmp-server: a clean environment (the hermetic run) plus the CMP variables.
fn cmp(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Ran {
    ck8s_gen_in(dir)
        .args(args)
        .env("ARGOCD_APP_NAMESPACE", "velero")
        .env("ARGOCD_APP_PROJECT_NAME", "default")
        .envs(vars)
        .run()
}

fn copy_environments(to: &Path) {
    let envs = to.join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
}

/// Every shipped environment deployed by Argo CD instead of Flux.
fn all_argocd(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("environments")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("engine: flux", "engine: argocd")).unwrap();
    }
}

#[test]
fn generate_prints_a_conformant_stream_for_every_environment() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    all_argocd(tmp.path());
    for (env, vars) in [
        ("dev-se", vec![("ARGOCD_ENV_ENVIRONMENT", "dev-se")]),
        (
            "prod-se-health",
            vec![(
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"environment","string":"prod-se-health"}]"#,
            )],
        ),
        ("mgmt-se", vec![("ARGOCD_APP_NAME", "argocd_mgmt-se")]),
    ] {
        let out = cmp(tmp.path(), &["argocd", "generate"], &vars);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("---\n"), "{env}: {stdout}");
        assert!(stdout.contains("kind: Schedule"), "{env}: {stdout}");
        assert!(
            !stdout.contains("kind: Kustomization"),
            "Flux entry points are not for Argo CD"
        );
        assert!(!stdout.contains("\u{1b}["), "no colour codes");
        check_stream(&out.stdout);
    }
}

#[test]
fn a_flux_environment_is_refused_with_nothing_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    for command in ["generate", "init"] {
        let out = cmp(
            tmp.path(),
            &["argocd", command],
            &[("ARGOCD_ENV_ENVIRONMENT", "prod-se-health")],
        );
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(
            out.stdout.is_empty(),
            "{command}: stdout must stay empty: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("`prod-se-health` is deployed by Flux")
                && stderr.contains("gitops.engine: argocd"),
            "{stderr}"
        );
    }
}

#[test]
fn the_example_application_names_an_argocd_environment_and_renders() {
    let text = std::fs::read_to_string(repo().join("examples/argocd/application.yaml")).unwrap();
    let app: serde_json::Value = ck8s_gen::yaml::from_yaml(&text).unwrap();
    assert_eq!(app["spec"]["source"]["plugin"]["name"], "ck8s-gen-v1");
    let env = app["spec"]["source"]["plugin"]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ENVIRONMENT")
        .and_then(|e| e["value"].as_str())
        .unwrap()
        .to_owned();
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    let out = cmp(
        tmp.path(),
        &["argocd", "generate"],
        &[("ARGOCD_ENV_ENVIRONMENT", env.as_str())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kind: Application"), "{stdout}");
    assert!(!stdout.contains("kind: HelmRelease"), "{stdout}");
    assert_eq!(
        app["metadata"]["name"].as_str(),
        Some(format!("velero-{env}").as_str())
    );
}

#[test]
fn an_invalid_environment_fails_with_nothing_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev)
        .unwrap()
        .replace("ttl: 168h", "ttl: 7d");
    std::fs::write(&dev, text).unwrap();
    let out = cmp(
        tmp.path(),
        &["argocd", "generate"],
        &[("ARGOCD_ENV_ENVIRONMENT", "dev-se")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid-duration") && stderr.contains("168h"),
        "{stderr}"
    );
    let init = cmp(
        tmp.path(),
        &["argocd", "init"],
        &[("ARGOCD_ENV_ENVIRONMENT", "dev-se")],
    );
    assert_eq!(init.status.code(), Some(1));
}

#[test]
fn an_unknown_or_missing_environment_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    let out = cmp(
        tmp.path(),
        &["argocd", "generate"],
        &[("ARGOCD_ENV_ENVIRONMENT", "prod-se-helth")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `prod-se-health`"));
    let none = cmp(tmp.path(), &["argocd", "generate"], &[]);
    assert_eq!(none.status.code(), Some(2));
    assert!(none.stdout.is_empty());
}

#[test]
fn the_plugin_yaml_passes_the_checker() {
    let out = cmp(&repo(), &["argocd", "plugin"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("kind: ConfigManagementPlugin"));
    check_stream(&out.stdout);
}

#[test]
fn plugin_mode_environments_get_a_plugin_applicationset() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap().replace(
        "  engine: argocd\n",
        "  engine: argocd\n  argocd:\n    source: plugin\n",
    );
    std::fs::write(&dev, text).unwrap();
    let out = cmp(tmp.path(), &["render", "--stdout"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("name: ck8s-gen-backups-plugin"), "{stdout}");
    assert!(stdout.contains("name: ck8s-gen-v1"), "{stdout}");
    check_stream(&out.stdout);
}

/// A management environment's plugin run reads only `common.yaml`, its own file and the files
/// that can name it in `managedBy`: a broken file that cannot name it (it does not hold the
/// name) is never parsed and changes nothing, while one that does name it blocks it.
#[test]
fn a_management_environment_reads_only_the_workloads_that_name_it() {
    let tmp = tempfile::tempdir().unwrap();
    copy_environments(tmp.path());
    all_argocd(tmp.path());
    let vars = [("ARGOCD_ENV_ENVIRONMENT", "mgmt-se")];
    let before = cmp(tmp.path(), &["argocd", "generate"], &vars);
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    let stdout = String::from_utf8_lossy(&before.stdout);
    assert!(
        stdout.contains("prod-se-health"),
        "the off-site sync of the workload it serves is in its stream"
    );
    let envs = tmp.path().join("environments");
    std::fs::write(envs.join("zz-unrelated.yaml"), "metadata: [name: other\n").unwrap();
    let after = cmp(tmp.path(), &["argocd", "generate"], &vars);
    assert!(
        after.status.success(),
        "a file that cannot name mgmt-se does not block it: {}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert_eq!(after.stdout, before.stdout, "same bytes");
    std::fs::write(
        envs.join("zz-unrelated.yaml"),
        "replication:\n  offsite:\n    managedBy: mgmt-se\n  [broken\n",
    )
    .unwrap();
    let blocked = cmp(tmp.path(), &["argocd", "generate"], &vars);
    assert!(
        !blocked.status.success() && blocked.stdout.is_empty(),
        "a broken file naming mgmt-se blocks it"
    );
    // The workloads still render: their output does not depend on the broken file.
    let workload = cmp(
        tmp.path(),
        &["argocd", "generate"],
        &[("ARGOCD_ENV_ENVIRONMENT", "prod-se-health")],
    );
    assert!(workload.status.success());
}
