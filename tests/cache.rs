//! The no-change shortcut of `render` (`ck8s_gen::cache`): a second render of an unchanged
//! fleet does nothing and says so; any change to an input, the day, the output tree or its
//! surroundings is a miss that renders in full; `--check` never trusts the record.

use crate::support;

use std::path::{Path, PathBuf};
use support::{Ran, ck8s_gen_in};

const HIT: &str = "as the last render left them";

struct Fleet {
    tmp: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            tmp: support::shipped_environments(),
        }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn cache(&self) -> PathBuf {
        self.root().join("cache")
    }

    fn out(&self) -> PathBuf {
        self.root().join("rendered")
    }

    fn render(&self, extra: &[&str]) -> Ran {
        self.render_on(support::TODAY, extra)
    }

    fn render_on(&self, day: &str, extra: &[&str]) -> Ran {
        ck8s_gen_in(self.root())
            .env("CK8S_GEN_CACHE_DIR", self.cache())
            .env_remove("CK8S_GEN_NO_CACHE")
            .today(day)
            .arg("render")
            .args(extra)
            .run()
    }

    fn records(&self) -> usize {
        std::fs::read_dir(self.cache()).map_or(0, |d| d.count())
    }
}

/// Everything a run printed but its last line (the summary).
fn before_summary(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    lines.join("\n")
}

/// A miss that rendered everything and found every file as it was.
#[track_caller]
fn rendered_in_full_unchanged(ran: &Ran) {
    assert!(!summary(ran).contains(HIT), "{}", ran.describe());
    assert!(
        summary(ran).contains("0 files changed"),
        "{}",
        ran.describe()
    );
}

fn summary(ran: &Ran) -> String {
    ran.stderr_text()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_unchanged_fleet_renders_nothing_and_prints_what_the_render_printed() {
    let fleet = Fleet::new();
    let first = fleet.render(&["--format", "json"]);
    first.expect_success();
    assert!(!summary(&first).contains(HIT), "{}", first.describe());
    assert_eq!(fleet.records(), 1);
    let tree = support::read_tree(&fleet.out());
    let second = fleet.render(&["--format", "json"]);
    second.expect_success();
    assert!(summary(&second).contains(HIT), "{}", second.describe());
    assert!(
        summary(&second).contains(" 0 files changed, 45 unchanged, 0 removed"),
        "{}",
        second.describe()
    );
    // The same findings (stdout, JSON) and warnings, byte for byte; the same tree.
    assert_eq!(first.stdout_text(), second.stdout_text());
    assert!(first.stdout_text().contains("\"diagnostics\""));
    assert_eq!(
        before_summary(&first.stderr_text()),
        before_summary(&second.stderr_text())
    );
    assert_eq!(support::read_tree(&fleet.out()), tree);
}

#[test]
fn any_change_to_the_output_tree_is_a_miss_that_repairs_it() {
    let fleet = Fleet::new();
    fleet.render(&[]).expect_success();
    let tree = support::read_tree(&fleet.out());
    let file = fleet
        .out()
        .join("dev-se/manifests/schedule-velero-daily-backup.yaml");
    let original = std::fs::read(&file).unwrap();
    // A full render, which puts the one damaged file back.
    let repairs = || {
        let ran = fleet.render(&[]);
        assert!(
            summary(&ran).contains("1 file changed"),
            "{}",
            ran.describe()
        );
        assert_eq!(support::read_tree(&fleet.out()), tree);
    };

    // An edited file.
    let mut edited = original.clone();
    edited.extend_from_slice(b"# edited\n");
    std::fs::write(&file, &edited).unwrap();
    repairs();
    assert!(summary(&fleet.render(&[])).contains(HIT));

    // A removed file.
    std::fs::remove_file(&file).unwrap();
    repairs();

    // A file of the same size with other bytes.
    let mut flipped = original.clone();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'a' { b'b' } else { b'a' };
    std::fs::write(&file, &flipped).unwrap();
    repairs();

    // A file added where the GitOps engine applies everything: warned about on every run.
    let extra = fleet.out().join("dev-se/manifests/extra.yaml");
    std::fs::write(&extra, "kind: ConfigMap\n").unwrap();
    for _ in 0..2 {
        let ran = fleet.render(&[]);
        assert!(!summary(&ran).contains(HIT), "{}", ran.describe());
        assert!(
            ran.stderr_text().contains("was not written by ck8s-gen"),
            "{}",
            ran.describe()
        );
    }
    std::fs::remove_file(&extra).unwrap();
    fleet.render(&[]).expect_success();
    assert!(summary(&fleet.render(&[])).contains(HIT));

    // A link where a file was.
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(fleet.root().join("environments/common.yaml"), &file).unwrap();
    let ran = fleet.render(&[]);
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());
    std::fs::remove_file(&file).unwrap();

    // A staging directory left next to the tree by a killed run.
    fleet.render(&[]).expect_success();
    let staging = fleet.root().join(".ck8s-gen-staging-rendered-abc123");
    std::fs::create_dir(&staging).unwrap();
    let ran = fleet.render(&[]);
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());
    assert!(
        ran.stderr_text()
            .contains("left behind by an interrupted run"),
        "{}",
        ran.describe()
    );
    assert!(!staging.exists());
}

#[test]
fn any_change_to_an_input_or_the_day_is_a_miss() {
    let fleet = Fleet::new();
    fleet.render(&[]).expect_success();
    assert!(summary(&fleet.render(&[])).contains(HIT));

    // A comment in an environment file changes no rendered byte, but it is an input.
    let env = fleet.root().join("environments/dev.yaml");
    let mut text = std::fs::read_to_string(&env).unwrap();
    text.push_str("# a comment\n");
    std::fs::write(&env, &text).unwrap();
    let ran = fleet.render(&[]);
    rendered_in_full_unchanged(&ran);
    assert!(summary(&fleet.render(&[])).contains(HIT));

    // common.yaml, and a new environment file.
    let common = fleet.root().join("environments/common.yaml");
    let mut text = std::fs::read_to_string(&common).unwrap();
    text.push_str("# a comment\n");
    std::fs::write(&common, &text).unwrap();
    assert!(!summary(&fleet.render(&[])).contains(HIT));
    std::fs::copy(&env, fleet.root().join("environments/dev-2.yaml")).unwrap();
    let ran = fleet.render(&[]);
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());
    std::fs::remove_file(fleet.root().join("environments/dev-2.yaml")).unwrap();
    fleet.render(&[]).expect_success();
    assert!(summary(&fleet.render(&[])).contains(HIT));

    // Asked not to, on the command line or in the environment.
    let ran = fleet.render(&["--no-cache"]);
    rendered_in_full_unchanged(&ran);
    assert!(summary(&fleet.render(&[])).contains(HIT));
    let ran = ck8s_gen_in(fleet.root())
        .env("CK8S_GEN_CACHE_DIR", fleet.cache())
        .arg("render")
        .run();
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());

    // Another day: findings can depend on it.
    let ran = fleet.render_on("2027-06-01", &[]);
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());

    // Other templates (the same output): a miss, then a hit, then the built-in ones a miss.
    fleet.render(&[]).expect_success();
    assert!(summary(&fleet.render(&[])).contains(HIT));
    let name = "argocd/application-chart.yaml.j2";
    let template = fleet.root().join("templates").join(name);
    std::fs::create_dir_all(template.parent().unwrap()).unwrap();
    let builtin = std::fs::read_to_string(support::repo().join("templates").join(name)).unwrap();
    std::fs::write(&template, format!("{builtin}{{# a comment #}}\n")).unwrap();
    let with = ["--templates", "templates"];
    let ran = fleet.render(&with);
    rendered_in_full_unchanged(&ran);
    assert!(summary(&fleet.render(&with)).contains(HIT));
    assert!(!summary(&fleet.render(&[])).contains(HIT));
}

#[test]
fn check_never_trusts_the_record_and_errors_are_never_recorded() {
    let fleet = Fleet::new();
    fleet.render(&[]).expect_success();
    // Tamper with a file and make the record agree (a poisoned cache): `render` would trust
    // it, `render --check` reads and renders everything.
    let rel = "dev-se/manifests/schedule-velero-daily-backup.yaml";
    let file = fleet.out().join(rel);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"# tampered\n");
    std::fs::write(&file, &bytes).unwrap();
    let record_file = std::fs::read_dir(fleet.cache())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record_file).unwrap()).unwrap();
    record["tree"][rel] = serde_json::Value::String(sha256_hex(&bytes));
    std::fs::write(&record_file, serde_json::to_vec(&record).unwrap()).unwrap();
    assert!(summary(&fleet.render(&[])).contains(HIT));
    let check = fleet.render(&["--check"]);
    check.expect_code(1);
    assert!(check.stderr_text().contains(rel), "{}", check.describe());

    // A fleet with an error renders nothing and records nothing.
    let other = Fleet::new();
    let env = other.root().join("environments/dev.yaml");
    let mut text = std::fs::read_to_string(&env).unwrap();
    text.push_str("bogusSetting: 1\n");
    std::fs::write(&env, text).unwrap();
    other.render(&[]).expect_code(1);
    assert_eq!(other.records(), 0);
    other.render(&[]).expect_code(1);

    // A damaged record is no record.
    std::fs::write(&record_file, "{").unwrap();
    let ran = fleet.render(&[]);
    ran.expect_success();
    assert!(!summary(&ran).contains(HIT), "{}", ran.describe());
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
