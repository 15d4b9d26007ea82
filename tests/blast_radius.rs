//! An error in one environment blocks only that environment and the output that depends on it
//! (its management cluster's sync jobs, the fleet ApplicationSets); `validate ENV` sees the
//! fleet checks that involve ENV.

use crate::support;

use std::path::Path;
use support::{ck8s_gen, command, shipped_environments};

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join("environments").join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has {from}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_broken_workload_blocks_itself_and_its_manager_never_an_unrelated_environment() {
    let tmp = shipped_environments();
    let dir = tmp.path();
    let first = ck8s_gen(dir, &["render"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let rendered = dir.join("rendered");
    let before = |p: &str| std::fs::read(rendered.join(p)).ok();
    let mgmt_files: Vec<_> = std::fs::read_dir(rendered.join("mgmt-se/manifests"))
        .expect("mgmt-se rendered")
        .map(|e| e.expect("entry").path())
        .collect();
    let fleet = before("_fleet/applicationset-ck8s-gen-backups.yaml");
    // An unknown key in prod-se-health (managed by mgmt-se), and a change to dev-se.
    edit(
        dir,
        "prod-se-health.yaml",
        "  name: prod-se-health\n",
        "  name: prod-se-health\n  bogus: 1\n",
    );
    edit(
        dir,
        "dev.yaml",
        "Development workload cluster",
        "Development workload cluster (edited)",
    );
    let render = ck8s_gen(dir, &["render"]);
    let err = stderr(&render);
    assert_eq!(render.status.code(), Some(1), "{err}");
    assert!(err.contains("unknown-key"), "{err}");
    assert!(
        err.contains("not rendered (left as they are) because of the validation errors above: mgmt-se, prod-se-health"),
        "{err}"
    );
    // dev-se was rendered with its change; the blocked trees are exactly as they were.
    let dev = std::fs::read_dir(rendered.join("dev-se"))
        .expect("dev-se")
        .flat_map(|e| std::fs::read_dir(e.expect("entry").path()).expect("dir"))
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .any(|t| t.contains("(edited)") || t.contains("input-sha256"));
    assert!(dev, "dev-se rendered");
    for path in &mgmt_files {
        assert!(path.is_file(), "{} kept", path.display());
    }
    // The blocked environments use Flux: the ApplicationSet follows dev-se's change.
    let after = before("_fleet/applicationset-ck8s-gen-backups.yaml");
    assert!(
        after.is_some() && after != fleet,
        "ApplicationSet re-rendered"
    );
    // render --check reports the errors but checks the rest.
    let check = ck8s_gen(dir, &["render", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(
        stderr(&check).contains("is up to date"),
        "{}",
        stderr(&check)
    );
    // render ENV of an unrelated environment renders it; the exit status still reports.
    let one = ck8s_gen(dir, &["render", "dev-se"]);
    assert_eq!(one.status.code(), Some(1), "{}", stderr(&one));
    assert!(
        stderr(&one).contains("rendered 1 environment"),
        "{}",
        stderr(&one)
    );
    // A broken Argo CD environment blocks the ApplicationSet, which is then kept as it is.
    edit(
        dir,
        "dev.yaml",
        "  name: dev-se\n",
        "  name: dev-se\n  bogus: 2\n",
    );
    let kept = before("_fleet/applicationset-ck8s-gen-backups.yaml");
    let render = ck8s_gen(dir, &["render"]);
    assert!(
        stderr(&render).contains("above: dev-se, mgmt-se, prod-se-health, _fleet"),
        "{}",
        stderr(&render)
    );
    assert_eq!(before("_fleet/applicationset-ck8s-gen-backups.yaml"), kept);
    edit(
        dir,
        "dev.yaml",
        "  name: dev-se\n  bogus: 2\n",
        "  name: dev-se\n",
    );
    let refused = ck8s_gen(dir, &["render", "mgmt-se"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .contains("left as they are) because of the validation errors above: mgmt-se")
    );
    // The plugin: dev-se syncs, the blocked ones refuse (printing nothing).
    for (env, code) in [("dev-se", 0), ("mgmt-se", 1), ("prod-se-health", 1)] {
        let generate = command(dir, &["argocd", "generate"])
            .env("ARGOCD_ENV_ENVIRONMENT", env)
            .output()
            .expect("run");
        assert_eq!(
            generate.status.code(),
            Some(code),
            "{env}: {}",
            stderr(&generate)
        );
        assert_eq!(generate.stdout.is_empty(), code != 0, "{env}");
    }
}

#[test]
fn validate_env_runs_the_fleet_checks_that_involve_it() {
    let tmp = shipped_environments();
    let dir = tmp.path();
    edit(
        dir,
        "dev.yaml",
        "  bucket: dev-se-velero\n",
        "  bucket: prod-se-health-velero\n  prefix: workload-cluster\n",
    );
    for env in ["dev-se", "prod-se-health"] {
        let o = ck8s_gen(dir, &["validate", env]);
        assert_eq!(o.status.code(), Some(1), "{env}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error[duplicate-bucket-prefix]"),
            "{env}: {}",
            stderr(&o)
        );
    }
    let o = ck8s_gen(dir, &["validate", "mgmt-se"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Both clusters writing into one bucket and prefix are blocked; mgmt-se is not.
    let render = ck8s_gen(dir, &["render"]);
    assert!(
        stderr(&render).contains("validation errors above: dev-se, prod-se-health, mgmt-se")
            || stderr(&render).contains("validation errors above: dev-se, mgmt-se, prod-se-health"),
        "{}",
        stderr(&render)
    );
    // managedBy naming a workload cluster is seen by `validate ENV` too.
    let tmp = shipped_environments();
    let dir = tmp.path();
    edit(
        dir,
        "prod-se-health.yaml",
        "managedBy: mgmt-se",
        "managedBy: dev-se",
    );
    let o = ck8s_gen(dir, &["validate", "prod-se-health"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`dev-se` is a workload cluster"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_key_does_not_hide_the_semantic_checks() {
    let tmp = shipped_environments();
    let dir = tmp.path();
    edit(
        dir,
        "dev.yaml",
        "  name: dev-se\n",
        "  name: dev-se\n  bogus: 1\n",
    );
    edit(dir, "dev.yaml", "ttl: 168h", "ttl: 7d");
    let o = ck8s_gen(dir, &["validate", "dev-se"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let unknown = err
        .find("error[unknown-key]")
        .expect("unknown-key reported");
    let duration = err
        .find("error[invalid-duration]")
        .expect("invalid-duration reported too");
    // Still sorted by position: `metadata` comes before `backup` in the file.
    assert!(unknown < duration, "{err}");
}
