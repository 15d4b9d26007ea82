//! End-to-end tests of the smaller subcommands: init, explain, coverage, schema, defaults,
//! completions and man.

use crate::support;

use support::{ck8s_gen, repo};

#[test]
fn init_writes_files_that_validate_for_every_provider_and_role() {
    let tmp = tempfile::tempdir().unwrap();
    for provider in [
        "safespring",
        "elastx",
        "aws",
        "azure",
        "gcp",
        "exoscale",
        "baremetal",
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
                    "--compliance",
                    "gdpr-art-17",
                ],
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let out = ck8s_gen(tmp.path(), &["validate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("error["),
        "init output does not validate:\n{stderr}"
    );
    // Never overwrite without --force.
    let again = ck8s_gen(tmp.path(), &["init", "workload-aws", "--provider", "aws"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let bad = ck8s_gen(tmp.path(), &["init", "Bad_Name", "--provider", "aws"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A scratch checkout with the shipped environments.
fn shipped() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

#[test]
fn init_refuses_the_name_of_an_existing_environment() {
    let tmp = shipped();
    // dev.yaml declares `dev-se`: a dev-se.yaml would be a second `dev-se`.
    for args in [
        vec!["init", "dev-se", "--provider", "safespring"],
        vec!["init", "dev-se", "--provider", "safespring", "--force"],
    ] {
        let out = ck8s_gen(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("an environment named `dev-se` exists already")
                && stderr.contains("dev.yaml"),
            "{stderr}"
        );
        assert!(!tmp.path().join("environments/dev-se.yaml").exists());
    }
    let validate = ck8s_gen(tmp.path(), &["validate"]);
    assert!(validate.status.success(), "{validate:?}");
    // A new name is fine.
    let fresh = ck8s_gen(tmp.path(), &["init", "test-se", "--provider", "safespring"]);
    assert!(fresh.status.success(), "{fresh:?}");
}

#[test]
fn render_warns_when_out_is_not_the_rendered_path_in_git() {
    let tmp = shipped();
    let out = ck8s_gen(
        tmp.path(),
        &["render", "dev-se", "--out", "deploy/rendered"],
    );
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: writing to `deploy/rendered`")
            && stderr.contains("`dev-se`")
            && stderr.contains("gitops.repository.renderedPath: rendered")
            && !stderr.contains("`mgmt-se`"),
        "{stderr}"
    );
    // The committed objects do point at rendered/: the warning is about a real mismatch.
    let app = std::fs::read_to_string(
        tmp.path()
            .join("deploy/rendered/dev-se/argocd/application-dev-se-velero-manifests.yaml"),
    )
    .unwrap();
    assert!(app.contains("path: rendered/dev-se/manifests"), "{app}");
    for same in ["rendered", "./rendered/"] {
        let out = ck8s_gen(tmp.path(), &["render", "--out", same]);
        assert!(out.status.success());
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("warning: writing to"),
            "{same}"
        );
    }
    let absolute = tmp.path().join("rendered");
    let out = ck8s_gen(tmp.path(), &["render", "--out", absolute.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning: writing to"));
}

#[test]
fn explain_describes_keys_and_suggests_on_typos() {
    let out = ck8s_gen(repo(), &["explain", "backup.retention.ttl"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.starts_with("backup.retention.ttl: Retention (TTL)"),
        "{text}"
    );
    assert!(text.contains("default: 720h"), "{text}");
    let out = ck8s_gen(repo(), &["explain", "backup.retension.ttl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `backup.retention.ttl`"));
    // JSON with `--json` or `--format json`: versioned, camelCase, pairs as objects.
    let json = ck8s_gen(repo(), &["explain", "backup.retention.ttl", "--json"]);
    let global = ck8s_gen(
        repo(),
        &["--format", "json", "explain", "backup.retention.ttl"],
    );
    assert_eq!(json.stdout, global.stdout);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["default"], "720h");
    assert!(value["rules"][0]["rule"].is_string(), "{value:#}");
    let parent: serde_json::Value = serde_json::from_slice(
        &ck8s_gen(repo(), &["--format", "json", "explain", "storage"]).stdout,
    )
    .unwrap();
    assert!(parent["children"][0]["key"].is_string(), "{parent:#}");
}

#[test]
fn coverage_lists_exclusions_and_uncovered_volumes() {
    let out = ck8s_gen(repo(), &["coverage", "dev-se"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("`scratch`: extraExcludedNamespaces: The scratch namespace"),
        "{text}"
    );
    assert!(
        text.contains("PersistentVolumeClaims not mounted by any running pod"),
        "{text}"
    );
    assert!(text.contains("compliantkubernetes.io/nobackup"), "{text}");
    let json = ck8s_gen(repo(), &["coverage", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["environments"].as_array().unwrap().len(), 3);
    // `--format json` is the same as `--json`.
    let global = ck8s_gen(repo(), &["--format", "json", "coverage"]);
    assert_eq!(global.stdout, json.stdout);
}

#[test]
fn schema_defaults_completions_and_man_print_something_useful() {
    let schema = ck8s_gen(repo(), &["schema"]);
    let value: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert_eq!(
        value["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let defaults = String::from_utf8_lossy(&ck8s_gen(repo(), &["defaults"]).stdout).into_owned();
    assert!(defaults.contains("ttl: 720h"));
    let bash =
        String::from_utf8_lossy(&ck8s_gen(repo(), &["completions", "bash"]).stdout).into_owned();
    assert!(bash.contains("ck8s-gen") && bash.contains("validate"));
    let man = String::from_utf8_lossy(&ck8s_gen(repo(), &["man"]).stdout).into_owned();
    assert!(man.contains(".TH ck8s-gen"), "{man}");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(
        ck8s_gen(repo(), &["no-such-command"]).status.code(),
        Some(2)
    );
    assert_eq!(
        ck8s_gen(repo(), &["validate", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    let help = ck8s_gen(repo(), &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit status: 0 success, 1 findings"));
}

#[test]
fn every_man_page_the_pages_refer_to_is_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let out = ck8s_gen(repo(), &["man", "--out-dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let pages: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.len() >= 20, "{pages:?}");
    // Every `ck8s-gen-…(1)` a page names exists, and `man SUBCOMMAND…` prints that page.
    let mut referenced = 0;
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        let plain = text.replace("\\-", "-");
        for (i, _) in plain.match_indices("ck8s-gen-") {
            let rest = &plain[i..];
            let Some(end) = rest.find("(1)") else {
                continue;
            };
            let name = &rest[..end];
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{page} refers to {name}(1)"
                );
                referenced += 1;
            }
        }
    }
    assert!(referenced >= 15, "{referenced}");
    assert!(!pages.contains("ck8s-gen-help.1"));
    let main = ck8s_gen(repo(), &["man"]);
    assert_eq!(
        String::from_utf8_lossy(&main.stdout),
        std::fs::read_to_string(dir.join("ck8s-gen.1")).unwrap()
    );
    for (args, page) in [
        (vec!["man", "render"], "ck8s-gen-render.1"),
        (
            vec!["man", "argocd", "generate"],
            "ck8s-gen-argocd-generate.1",
        ),
    ] {
        let out = ck8s_gen(repo(), &args);
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(dir.join(page)).unwrap(),
            "{args:?}"
        );
    }
    let bad = ck8s_gen(repo(), &["man", "rendr"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `render`"));
}

#[test]
fn a_skip_for_a_missing_tool_fails_under_ci_and_is_loud_elsewhere() {
    use std::ffi::OsStr;
    assert!(support::ci(Some(OsStr::new("true"))));
    assert!(support::ci(Some(OsStr::new("1"))));
    assert!(!support::ci(Some(OsStr::new("false"))));
    assert!(!support::ci(Some(OsStr::new(""))));
    assert!(!support::ci(None));
    let failure = support::skip_outcome(true, "a test", "chromium").unwrap_err();
    assert!(
        failure.contains("chromium is missing") && failure.contains("failure"),
        "{failure}"
    );
    let note = support::skip_outcome(false, "a test", "chromium").unwrap();
    assert!(
        note.contains("SKIPPED a test") && note.contains("did NOT run"),
        "{note}"
    );
}
