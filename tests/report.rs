//! The evidence report (`ck8s-gen report`): golden Markdown and JSON for the shipped
//! environments, one case per rule status, the exit-status contract, reproducibility (the
//! commit, the date and the input hash), HTML safety, and the HTML rendered by headless
//! Chromium when it is installed (CI installs it; elsewhere the test says it skipped).
//!
//! Re-bless the golden files with `CK8S_GEN_BLESS=1 cargo test --test main report::` and review
//! the diff. The golden runs pin `CK8S_GEN_TODAY=2026-11-25` and `CK8S_GEN_COMMIT` (the
//! command would otherwise record `git rev-parse HEAD` of the checkout).

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::compliance::catalog::Catalog;
use ck8s_gen::compliance::{RuleResult, Status};
use ck8s_gen::evidence::{self, Evidence, Inputs, Verdict};
use ck8s_gen::validate::{self, Outcome, Request};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Ran, TODAY, repo};
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn ck8s_gen(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Ran {
    support::ck8s_gen_in(dir)
        .args(args)
        .env("CK8S_GEN_COMMIT", COMMIT)
        .envs(envs)
        .run()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn golden(name: &str, actual: &str) {
    let path = repo().join("tests/golden/report").join(name);
    if std::env::var_os("CK8S_GEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        panic!(
            "{} differs:\n{diff}\nre-bless with CK8S_GEN_BLESS=1 cargo test --test main report:: and review the diff",
            path.display()
        );
    }
}

#[test]
fn the_shipped_environments_report_is_golden_in_markdown_and_json() {
    let md = ck8s_gen(repo(), &["report"], &[]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    golden("shipped.md", &stdout(&md));
    let json = ck8s_gen(repo(), &["report", "--as", "json"], &[]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    golden("shipped.json", &stdout(&json));

    let doc: Value = serde_json::from_str(&stdout(&json)).expect("the JSON report parses");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["header"]["commit"], COMMIT);
    assert_eq!(doc["header"]["today"], TODAY);
    assert_eq!(doc["header"]["toolVersion"], env!("CARGO_PKG_VERSION"));
    let names: Vec<&str> = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev-se", "mgmt-se", "prod-se-health"]);
    // The same settings, with the file and line that set them.
    let md = stdout(&md);
    for part in [
        "| prod-se-health | 0 0 \\* \\* \\* (every 24 h) | 720h (30 days) | provider-managed | sto2-a (SE), encrypted, run by mgmt-se |",
        "`backup.retention.decidedBy` = `Chief Medical Information Officer` (`environments/prod-se-health.yaml:",
        "Vårdgivaren ska besluta",
    ] {
        assert!(md.contains(part), "missing {part:?}");
    }
}

#[test]
fn the_report_is_deterministic_and_the_input_hash_follows_the_effective_configuration() {
    let tmp = shipped_copy();
    let run = |dir: &Path| stdout(&ck8s_gen(dir, &["report", "--as", "json"], &[]));
    let first = run(tmp.path());
    assert_eq!(first, run(tmp.path()), "two runs differ");
    let hash = |text: &str| {
        serde_json::from_str::<Value>(text).unwrap()["header"]["inputHash"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let original = hash(&first);
    assert!(original.starts_with("sha256:") && original.len() == 71);

    // Comments, quoting and key order do not change the effective configuration.
    let file = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let reformatted = format!(
        "# reformatted\n{}",
        text.replace("ttl: 168h", "ttl: \"168h\"  # a week")
    );
    std::fs::write(&file, reformatted).unwrap();
    assert_eq!(hash(&run(tmp.path())), original);

    // A value inherited from the built-in defaults, written out, changes nothing either.
    std::fs::write(
        &file,
        text.replace(
            "  retention:\n",
            "  schedule: \"0 0 * * *\"\n  retention:\n",
        ),
    )
    .unwrap();
    assert_eq!(hash(&run(tmp.path())), original);

    // Another value does.
    std::fs::write(&file, text.replace("ttl: 168h", "ttl: 169h")).unwrap();
    assert_ne!(hash(&run(tmp.path())), original);
}

#[test]
fn the_commit_comes_from_git_or_the_override() {
    let tmp = shipped_copy();
    let commit = |envs: &[(&str, &str)]| {
        let out = support::ck8s_gen_in(tmp.path())
            .args(["report", "--as", "json"])
            .env("GIT_CEILING_DIRECTORIES", tmp.path().parent().unwrap())
            .envs(envs)
            .run();
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        doc["header"]["commit"].clone()
    };
    assert_eq!(commit(&[]), Value::Null, "outside a repository");
    assert_eq!(commit(&[("CK8S_GEN_COMMIT", "v1.2.3")]), "v1.2.3");
    assert_eq!(commit(&[("CK8S_GEN_COMMIT", "")]), Value::Null);

    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(tmp.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .output()
    };
    if git(&["init", "-q"]).is_err() {
        support::skip("the git part of the report header test", "git");
        return;
    }
    git(&["add", "."]).unwrap();
    git(&["commit", "-q", "-m", "environments"]).unwrap();
    let head = String::from_utf8(git(&["rev-parse", "HEAD"]).unwrap().stdout).unwrap();
    assert_eq!(commit(&[]), head.trim());
    std::fs::write(tmp.path().join("environments/new.yaml"), "x: 1\n").unwrap();
    assert_eq!(commit(&[]), format!("{}-dirty", head.trim()));
}

/// A copy of the shipped `environments/` in a temporary directory.
fn shipped_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("environments");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(repo().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

/// The shipped environments with `edits` (file, from, to) applied, validated in-process.
fn edited(edits: &[(&str, &str, &str)]) -> (tempfile::TempDir, Outcome) {
    let tmp = shipped_copy();
    for (file, from, to) in edits {
        let path = tmp.path().join("environments").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    let assets = Assets::embedded();
    let outcome = validate::validate(&Request {
        dir: &tmp.path().join("environments"),
        only: &[],
        assets: &assets,
        today: support::today(),
    })
    .expect("validation runs");
    (tmp, outcome)
}

fn result<'a>(outcome: &'a Outcome, env: &str, rule: &str) -> &'a RuleResult {
    outcome
        .environments
        .iter()
        .find(|c| c.loaded.name == env)
        .unwrap_or_else(|| panic!("no environment {env}"))
        .rules
        .iter()
        .find(|r| r.rule == rule)
        .unwrap_or_else(|| panic!("{env} has no result for {rule}"))
}

fn evidence_of(tmp: &Path, outcome: &Outcome) -> Evidence {
    let assets = Assets::embedded();
    let catalog = Catalog::load(&assets).unwrap();
    evidence::build(
        outcome,
        &Inputs {
            catalog: &catalog,
            assets: &assets,
            commit: Some(COMMIT.to_owned()),
            today: ck8s_gen::velero::dates::parse_date(TODAY).unwrap(),
            directory: tmp.join("environments").display().to_string(),
        },
    )
}

#[test]
fn status_pass_with_the_settings_that_satisfy_the_rule() {
    let (tmp, outcome) = edited(&[]);
    let r = result(&outcome, "prod-se-health", "HSLF-07");
    assert_eq!((r.status, r.reported_by.as_deref()), (Status::Pass, None));
    // A note does not make a rule fail.
    assert_eq!(result(&outcome, "mgmt-se", "X-03").status, Status::Pass);

    let evidence = evidence_of(tmp.path(), &outcome);
    let prod = evidence
        .environments
        .iter()
        .find(|e| e.name == "prod-se-health")
        .unwrap();
    let rule = prod.rules.iter().find(|r| r.id == "HSLF-07").unwrap();
    assert!(rule.finding.is_none());
    assert_eq!(rule.citation.reference, "HSLF-FS 2016:40 3 kap. 13 §");
    assert!(rule.citation.quote.as_deref().unwrap().contains("besluta"));
    let decided = rule
        .settings
        .iter()
        .find(|s| s.key == "backup.retention.decidedBy")
        .unwrap();
    assert_eq!(decided.text, "Chief Medical Information Officer");
    let at = decided.at.as_ref().unwrap();
    assert!(at.file.ends_with("prod-se-health.yaml") && !at.default);
    let line = std::fs::read_to_string(repo().join("environments/prod-se-health.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("decidedBy: Chief Medical"))
        .unwrap()
        + 1;
    assert_eq!(at.line, line);
    // A value nobody wrote is the built-in default.
    let enabled = prod.rules.iter().find(|r| r.id == "HSLF-01").unwrap();
    let enabled = enabled
        .settings
        .iter()
        .find(|s| s.key == "backup.enabled")
        .unwrap();
    assert!(enabled.at.as_ref().unwrap().default);
}

#[test]
fn status_fail_with_the_setting_that_violates_the_rule() {
    let (tmp, outcome) = edited(&[(
        "prod-se-health.yaml",
        "    decidedBy: Chief Medical Information Officer\n    decidedAt: 2026-03-01\n",
        "    decidedAt: 2026-03-01\n",
    )]);
    assert_eq!(
        result(&outcome, "prod-se-health", "HSLF-07").status,
        Status::Fail
    );
    let evidence = evidence_of(tmp.path(), &outcome);
    let prod = evidence
        .environments
        .iter()
        .find(|e| e.name == "prod-se-health")
        .unwrap();
    assert_eq!(prod.verdict, Verdict::Fail);
    let rule = prod.rules.iter().find(|r| r.id == "HSLF-07").unwrap();
    let finding = rule.finding.as_ref().expect("the finding");
    assert!(finding.message.contains("decidedBy"), "{}", finding.message);
    assert!(
        finding
            .at
            .as_ref()
            .unwrap()
            .file
            .ends_with("prod-se-health.yaml")
    );
    assert!(finding.fix.is_some() && finding.accepted.is_none());
    let hslf = prod
        .profiles
        .iter()
        .find(|p| p.id == "hslf-fs-2016-40")
        .unwrap();
    assert_eq!(hslf.counts.fail, 1);
    assert_eq!(evidence.summary.verdict, Verdict::Fail);
    assert_eq!(evidence.summary.failing, 1);

    // A failure another rule reports is still a failure, with that rule named.
    let (_, outcome) = edited(&[(
        "prod-se-health.yaml",
        "  encryption:\n",
        "  objectLock: {enabled: true, mode: governance, days: 31}\n  encryption:\n",
    )]);
    assert_eq!(
        result(&outcome, "prod-se-health", "GDPR-05").status,
        Status::Fail
    );
    let x02 = result(&outcome, "prod-se-health", "X-02");
    assert_eq!(
        (x02.status, x02.reported_by.as_deref()),
        (Status::Fail, Some("GDPR-05"))
    );
}

#[test]
fn status_accepted_by_a_documented_deviation() {
    let (tmp, outcome) = edited(&[
        (
            "mgmt-se.yaml",
            "backup:\n",
            "backup:\n  scope:\n    platformConfig: false\n",
        ),
        (
            "mgmt-se.yaml",
            "restoreTest:\n",
            "deviations:\n  - rule: ISO-04\n    reason: The configuration repository is mirrored outside the cluster.\n    owner: CISO\n    approvedBy: Chief Information Security Officer\n    approvedAt: 2026-11-01\n    expires: 2027-06-30\nrestoreTest:\n",
        ),
    ]);
    assert_eq!(
        result(&outcome, "mgmt-se", "ISO-04").status,
        Status::Accepted
    );
    let evidence = evidence_of(tmp.path(), &outcome);
    let mgmt = evidence
        .environments
        .iter()
        .find(|e| e.name == "mgmt-se")
        .unwrap();
    assert_eq!(mgmt.verdict, Verdict::Pass);
    let rule = mgmt.rules.iter().find(|r| r.id == "ISO-04").unwrap();
    let accepted = rule
        .finding
        .as_ref()
        .and_then(|f| f.accepted.as_ref())
        .expect("the acceptance");
    assert_eq!(accepted.owner, "CISO");
    assert_eq!(accepted.expires.as_deref(), Some("2027-06-30"));
    assert_eq!(
        (
            accepted.approved_by.as_deref(),
            accepted.approved_at.as_deref()
        ),
        (
            Some("Chief Information Security Officer"),
            Some("2026-11-01")
        )
    );
    // Every format shows who approved the risk acceptance, when, and until when.
    let md = ck8s_gen::evidence::markdown::render(&evidence);
    assert!(
        md.contains(
            "approved by Chief Information Security Officer on 2026-11-01, expires 2027-06-30"
        ),
        "markdown"
    );
    let html = ck8s_gen::evidence::html::render(&evidence).expect("html");
    assert!(html.contains(
        "approved by Chief Information Security Officer on 2026-11-01, expires 2027-06-30"
    ));
    let json = ck8s_gen::evidence::to_json(&evidence);
    assert!(json.contains("\"approvedBy\": \"Chief Information Security Officer\""));
    let iso = mgmt
        .profiles
        .iter()
        .find(|p| p.id == "iso-27001-a.12.3.1")
        .unwrap();
    assert_eq!((iso.counts.accepted, iso.counts.fail), (1, 0));
}

#[test]
fn status_not_applicable_when_the_condition_does_not_hold() {
    let (_, outcome) = edited(&[]);
    // A schema rule's `if`: GDPR-02 applies only to retention above 30 days.
    assert_eq!(
        result(&outcome, "prod-se-health", "GDPR-02").status,
        Status::NotApplicable
    );
    // A conflict between profiles the environment does not combine.
    assert_eq!(
        result(&outcome, "mgmt-se", "CONFLICT-RETENTION").status,
        Status::NotApplicable
    );
    assert_eq!(
        result(&outcome, "prod-se-health", "CONFLICT-RETENTION").status,
        Status::Pass
    );
    // When the condition holds, the same rule is evaluated.
    let (_, outcome) = edited(&[
        ("prod-se-health.yaml", "    ttl: 720h\n", "    ttl: 1440h\n"),
        (
            "prod-se-health.yaml",
            "    maxDays: 30\n",
            "    maxDays: 60\n",
        ),
    ]);
    assert_ne!(
        result(&outcome, "prod-se-health", "GDPR-02").status,
        Status::NotApplicable
    );
    // Without a profile, no rule is listed at all.
    assert!(
        outcome
            .environments
            .iter()
            .find(|c| c.loaded.name == "dev-se")
            .unwrap()
            .rules
            .is_empty()
    );
}

#[test]
fn invalid_environments_show_as_failing_and_the_exit_status_says_so() {
    let tmp = shipped_copy();
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(
        &dev,
        text.replace("    ttl: 168h\n", "    ttl: 168h\n    colour: blue\n")
            .replace(
                "cluster:\n",
                "compliance: [iso-27001-2022-a.8.13]\ncluster:\n",
            ),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("environments/broken.yaml"),
        "apiVersion: ck8s-gen/v1\nkind: Environment\nmetadata: [oops\n",
    )
    .unwrap();
    let out = ck8s_gen(tmp.path(), &["report", "--as", "json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("FAIL"), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["summary"]["verdict"], "fail");
    let dev = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "dev-se")
        .unwrap();
    assert_eq!(dev["verdict"], "fail");
    assert_eq!(dev["evaluated"], false);
    assert_eq!(dev["compliance"][0], "iso-27001-2022-a.8.13");
    assert_eq!(dev["profiles"][0]["id"], "iso-27001-a.12.3.1");
    assert_eq!(dev["findings"][0]["code"], "unknown-key");
    assert_eq!(dev["keySettings"][1]["text"], "168h (7 days)");
    assert_eq!(doc["workspaceFindings"][0]["code"], "invalid-yaml");
    assert!(
        doc["workspaceFindings"][0]["at"]["file"]
            .as_str()
            .unwrap()
            .ends_with("broken.yaml")
    );
    let md = stdout(&ck8s_gen(tmp.path(), &["report"], &[]));
    assert!(
        md.contains("| [dev-se](#env-dev-se) | **FAIL** | — | — | not evaluated | not evaluated | not evaluated |"),
        "{md}"
    );
    assert!(md.contains("could not be evaluated"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = ck8s_gen(tmp.path(), &["report"], &[]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    let bad_flag = ck8s_gen(repo(), &["report", "--as", "pdf"], &[]);
    assert_eq!(bad_flag.status.code(), Some(2));
    let unwritable = ck8s_gen(
        repo(),
        &["report", "--out", "/nonexistent-dir/report.md"],
        &[],
    );
    assert_eq!(unwritable.status.code(), Some(2), "{}", stderr(&unwritable));
}

#[test]
fn out_writes_the_file_in_the_format_its_extension_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo().join("environments");
    let dir = dir.to_str().unwrap();
    for (name, starts) in [
        ("r.json", "{"),
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "# Backup"),
        ("r.txt", "# Backup"),
    ] {
        let path = tmp.path().join(name);
        let out = ck8s_gen(
            tmp.path(),
            &["--dir", dir, "report", "--out", path.to_str().unwrap()],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(starts), "{name}: {}", &text[..40]);
    }
    // `--as` wins over the extension.
    let path = tmp.path().join("r2.html");
    ck8s_gen(
        tmp.path(),
        &[
            "--dir",
            dir,
            "report",
            "--as",
            "json",
            "--out",
            path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(std::fs::read_to_string(&path).unwrap().starts_with('{'));
}

#[test]
fn the_html_page_is_self_contained_and_escapes_every_value() {
    let tmp = shipped_copy();
    let file = tmp.path().join("environments/prod-se-health.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let hostile = r#"Prod <script>alert(1)</script> & "care" <img src=x onerror=alert(2)>"#;
    std::fs::write(
        &file,
        text.replace(
            "  description: Production workload cluster, Swedish health care",
            &format!("  description: '{hostile}'"),
        ),
    )
    .unwrap();
    let out = ck8s_gen(tmp.path(), &["report", "--as", "html"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = stdout(&out);
    assert!(
        html.contains("Prod &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;care&quot;")
    );
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<script", "<img", "<link", "@import", "url(", "<iframe", "<object",
    ] {
        assert!(
            !lower.contains(forbidden),
            "the page contains {forbidden:?}"
        );
    }
    // Links only within the page.
    for (i, _) in html.match_indices("href=\"") {
        assert!(
            html[i + 6..].starts_with('#'),
            "external link at {}",
            &html[i..i + 40]
        );
    }
    for required in [
        "<style>",
        "@media print",
        "break-before: page",
        "<th scope=\"col\">Environment</th>",
        "id=\"fleet-matrix\"",
        "<html lang=\"en\">",
    ] {
        assert!(html.contains(required), "the page lacks {required:?}");
    }
    // Status is text, not only colour.
    assert!(html.contains("✓ Pass"));
}

/// The issue's acceptance test: the HTML report of the shipped environments opens in headless
/// Chromium, renders to a non-trivial PNG, and the rendered DOM holds the fleet matrix and
/// every environment. Where `/usr/bin/chromium` is not installed: a failure under CI, a loud
/// skip note elsewhere (see `support::skip`).
#[test]
fn the_html_report_renders_in_headless_chromium() {
    let chromium = PathBuf::from("/usr/bin/chromium");
    if !chromium.exists() {
        support::skip(
            "the_html_report_renders_in_headless_chromium",
            "/usr/bin/chromium (Debian package chromium)",
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    let out = ck8s_gen(repo(), &["report", "--out", html.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("profile");
    let png = tmp.path().join("report.png");
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let run = |extra: &[String]| {
        Command::new(&chromium)
            .args(flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("run chromium")
    };
    let shot = run(&[
        format!("--screenshot={}", png.display()),
        "--window-size=1280,2000".to_owned(),
    ]);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 50_000,
        "the screenshot is missing or blank ({size} bytes): {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");

    let dom = run(&["--dump-dom".to_owned()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("id=\"fleet-matrix\""),
        "no fleet matrix in the DOM"
    );
    for env in ["dev-se", "mgmt-se", "prod-se-health"] {
        assert!(
            dom.contains(&format!("id=\"env-{env}\"")),
            "no section for {env}"
        );
    }
    assert!(dom.contains("Backup compliance evidence"));
}

/// Each profile says which text version it encodes, since when, when its wording was
/// retrieved, and which clauses stay manual; the report cites the durable restore-test record.
#[test]
fn profiles_are_dated_and_list_what_they_do_not_check() {
    let (tmp, outcome) = edited(&[]);
    let evidence = evidence_of(tmp.path(), &outcome);
    let hipaa_like = |id: &str| evidence.profiles.iter().find(|p| p.id == id).cloned();
    let gdpr = hipaa_like("gdpr-art-17").expect("gdpr column");
    assert_eq!(
        (gdpr.effective.as_str(), gdpr.retrieved.as_str()),
        ("2018-05-25", "2026-12-01")
    );
    assert!(gdpr.checked.iter().any(|c| c.starts_with("GDPR Art. 44")));
    let iso = hipaa_like("iso-27001-a.12.3.1").expect("iso column");
    assert!(
        iso.not_checked.iter().any(|c| c.contains("A.5.30"))
            && iso.not_checked.iter().any(|c| c.contains("A.8.14"))
    );
    let md = ck8s_gen::evidence::markdown::render(&evidence);
    assert!(md.contains("**Not checked (manual for the auditor)**"));
    assert!(md.contains("ConfigMap `ck8s-restore-test-history` in namespace `velero`"));
    let html = ck8s_gen::evidence::html::render(&evidence).expect("html");
    assert!(
        html.contains("Not checked (manual for the auditor)")
            && html.contains("ck8s-restore-test-history")
    );
    // The catalogue: every profile carries its version and dates.
    let catalog =
        ck8s_gen::compliance::catalog::Catalog::load(&ck8s_gen::assets::Assets::embedded())
            .unwrap();
    for p in &catalog.profiles {
        assert!(
            !p.meta.text_version.is_empty() && !p.meta.retrieved.is_empty(),
            "{}",
            p.meta.id
        );
    }
    for (id, clause) in [
        ("hipaa-164.308-a7", "(ii)(C)"),
        ("nis2-art-21", "4.2.1"),
        ("nis2-art-21", "4.2.4"),
        ("dora-art-12", "12(2)"),
        ("bsi-app.4.4.a5", "CON.3"),
    ] {
        let p = catalog.profile(id).unwrap();
        assert!(
            p.meta.not_checked.iter().any(|c| c.contains(clause)),
            "{id} {clause}"
        );
    }
}
