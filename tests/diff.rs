//! `ck8s-gen diff` against a real temporary git repository with two commits: a retention
//! change, an added environment, a removed environment, a pure reordering (no change), masked
//! values, `--against`, and the Markdown comment (golden).

use crate::support::{Ran, ck8s_gen_in, git};
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A git repository holding a copy of the shipped environments, committed once.
fn fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    std::fs::create_dir(&envs).unwrap();
    for entry in std::fs::read_dir(repo_root().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "base"]);
    tmp
}

fn diff(dir: &Path, args: &[&str]) -> Ran {
    ck8s_gen_in(dir).arg("diff").args(args).run()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_retention_change_shows_setting_findings_and_objects() {
    let repo = fixture();
    let prod = repo.path().join("environments/prod-se-health.yaml");
    edit(&prod, "    ttl: 720h\n", "    ttl: 168h\n");
    git(repo.path(), &["commit", "-qam", "shorter retention"]);
    let out = diff(repo.path(), &["--base", "HEAD~1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("1 environment changed"), "{text}");
    assert!(text.contains("backup.retention.ttl: 720h → 168h"), "{text}");
    assert!(text.contains("+ error HSLF-08"), "{text}");
    assert!(
        text.contains("-    ttl: 720h0m0s\n      +    ttl: 168h0m0s"),
        "{text}"
    );
    assert!(
        !text.contains("dev-se"),
        "unchanged environments are not listed:\n{text}"
    );
    // Comment jobs exit 0.
    assert_eq!(
        diff(repo.path(), &["--base", "HEAD~1", "--exit-zero"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn the_markdown_comment_is_golden() {
    let repo = fixture();
    let prod = repo.path().join("environments/prod-se-health.yaml");
    edit(&prod, "    ttl: 720h\n", "    ttl: 168h\n");
    let out = diff(repo.path(), &["--base", "main", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let golden = repo_root().join("tests/golden/diff/retention-change.md");
    let text = stdout(&out);
    if std::env::var_os("CK8S_GEN_BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(
        text, expected,
        "re-bless with CK8S_GEN_BLESS=1 cargo test --test main diff::the_markdown_comment_is_golden and review"
    );
    assert!(text.len() < 65_536);
}

#[test]
fn added_and_removed_environments() {
    let repo = fixture();
    let envs = repo.path().join("environments");
    std::fs::remove_file(envs.join("dev.yaml")).unwrap();
    let qa = std::fs::read_to_string(repo_root().join("environments/dev.yaml"))
        .unwrap()
        .replace("name: dev-se", "name: qa-se")
        .replace("bucket: dev-se-velero", "bucket: qa-se-velero");
    std::fs::write(envs.join("qa.yaml"), qa).unwrap();
    let out = diff(repo.path(), &["--base", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status_of = |env: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| {
                g["environments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == env)
            })
            .map(|g| g["change"]["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of("qa-se").as_deref(), Some("added"));
    assert_eq!(status_of("dev-se").as_deref(), Some("removed"));
    assert_eq!(status_of("prod-se-health"), None);
}

#[test]
fn reordering_keys_and_files_is_no_change() {
    let repo = fixture();
    let dev = repo.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    // Move the `gitops:` block to the top and the `storage:` block after it.
    let (head, gitops) = text.split_at(text.find("gitops:").unwrap());
    let (before_storage, storage) = head.split_at(head.find("storage:").unwrap());
    let reordered = format!("{gitops}{storage}{before_storage}");
    std::fs::write(&dev, reordered).unwrap();
    let out = diff(repo.path(), &["--base", "main"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("no changes"), "{text}");
}

#[test]
fn sensitive_values_are_masked_in_every_format() {
    let repo = fixture();
    let dev = repo.path().join("environments/dev.yaml");
    let key = "arn:aws:kms:eu-north-1:123456789012:key/0b7c1a2e-SECRET";
    edit(
        &dev,
        "  credentials:\n",
        &format!("  encryption:\n    atRest: sse-kms\n    kmsKeyId: {key}\n  credentials:\n"),
    );
    for format in ["human", "markdown", "json"] {
        let out = diff(repo.path(), &["--base", "main", "--format", format]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(!text.contains("SECRET"), "{format} leaks the key:\n{text}");
        assert!(text.contains("<masked>"), "{format}:\n{text}");
    }
}

#[test]
fn against_a_rendered_tree_compares_objects_and_masks_secret_data() {
    let repo = fixture();
    let render = ck8s_gen_in(repo.path()).arg("render").run();
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    assert_eq!(
        diff(repo.path(), &["--against", "rendered"]).status.code(),
        Some(0)
    );
    // A Secret someone committed into the tree shows up as removed, with its data masked.
    std::fs::write(
        repo.path().join("rendered/dev-se/manifests/secret-leak.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: velero\ndata:\n  cloud: aHVudGVyMg==\n",
    )
    .unwrap();
    let out = diff(repo.path(), &["--against", "rendered"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("v1 Secret velero/leak"), "{text}");
    assert!(!text.contains("aHVudGVyMg=="), "{text}");
}

#[test]
fn an_unknown_revision_is_an_error() {
    let repo = fixture();
    let out = diff(repo.path(), &["--base", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision"));
}

#[test]
fn the_fleet_directory_is_not_counted_as_an_environment() {
    let repo = fixture();
    let envs = repo.path().join("environments");
    // A second Argo CD environment changes the fleet ApplicationSet too.
    let qa = std::fs::read_to_string(envs.join("dev.yaml"))
        .unwrap()
        .replace("name: dev-se", "name: qa-se")
        .replace("bucket: dev-se-velero", "bucket: qa-se-velero");
    std::fs::write(envs.join("qa.yaml"), qa).unwrap();
    let out = diff(repo.path(), &["--base", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["unchangedEnvironments"], 3, "{report:#}");
    let named: Vec<&str> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["environments"].as_array().unwrap())
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(named, ["qa-se"]);
    let fleet = report["fleet"].as_array().unwrap();
    assert_eq!(fleet.len(), 1, "{report:#}");
    assert_eq!(fleet[0]["object"]["kind"], "ApplicationSet");
    let text = stdout(&diff(repo.path(), &["--base", "main"]));
    assert!(
        text.contains("1 environment added, 1 fleet-wide object changed"),
        "{text}"
    );
    assert!(!text.contains("2 environments"), "{text}");
}

#[test]
fn github_format_prints_annotations() {
    let repo = fixture();
    let prod = repo.path().join("environments/prod-se-health.yaml");
    edit(&prod, "    ttl: 720h\n", "    ttl: 168h\n");
    let out = diff(repo.path(), &["--base", "main", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(
            line.starts_with("::notice ")
                || line.starts_with("::error ")
                || line.starts_with("::warning "),
            "not a workflow command: {line}"
        );
    }
    assert!(
        text.starts_with(
            "::notice title=ck8s-gen diff main → working tree::1 environment changed\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("::notice title=prod-se-health [changed]::"),
        "{text}"
    );
    assert!(text.contains("backup.retention.ttl: 720h → 168h"), "{text}");
    assert!(
        text.contains("::error title=error HSLF-08 introduced in prod-se-health::"),
        "{text}"
    );
    // One line per annotation: newlines inside a message are escaped.
    assert!(text.contains("%0A"), "{text}");
}
