//! Time never breaks the pipeline: findings that come with the date (an overdue restore test)
//! fail `validate` and `report`, but `render`, `argocd generate` and `restore` keep working on
//! every day before and after the due date. The shipped `mgmt-se` restore test was last
//! performed on 2026-09-10, every 180 days: due on 2027-03-09, overdue from 2027-03-10.

use crate::support;

use std::path::Path;
use support::{Ran, ck8s_gen_in, shipped_environments};

/// Run the binary in `dir` with "today" set to `today`.
fn on(today: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    ck8s_gen_in(dir).args(args).today(today).envs(env).run()
}

/// The shipped environments with `mgmt-se` (the one whose restore test falls due) deployed by
/// Argo CD, so the plugin renders it: the plugin refuses Flux environments whatever the date.
fn shipped_with_argocd_mgmt() -> tempfile::TempDir {
    let tmp = shipped_environments();
    let path = tmp.path().join("environments/mgmt-se.yaml");
    let mut text = std::fs::read_to_string(&path).expect("read mgmt-se");
    assert!(
        !text.contains("\ngitops:"),
        "mgmt-se.yaml declares gitops itself now"
    );
    text.push_str("gitops:\n  engine: argocd\n");
    std::fs::write(&path, text).expect("write mgmt-se");
    tmp
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_overdue_restore_test_fails_validate_but_never_render_argocd_or_restore() {
    let tmp = shipped_with_argocd_mgmt();
    let dir = tmp.path();
    // (today, whether mgmt-se's restore test is overdue)
    for (today, overdue) in [
        ("2026-11-25", false),
        ("2027-03-09", false),
        ("2027-03-10", true),
        ("2027-09-01", true),
        ("2031-01-01", true),
    ] {
        let validate = on(today, dir, &["validate", "mgmt-se"], &[]);
        let stderr = text(&validate.stderr);
        assert_eq!(
            validate.status.code(),
            Some(if overdue { 1 } else { 0 }),
            "validate on {today}: {stderr}"
        );
        assert_eq!(
            stderr.contains("error[ISO-05]: the restore test is overdue since 2027-03-09"),
            overdue,
            "validate on {today}: {stderr}"
        );
        if overdue {
            assert!(stderr.contains("never `render`"), "{stderr}");
            let json = on(
                today,
                dir,
                &["validate", "--format", "json", "mgmt-se"],
                &[],
            );
            let value: serde_json::Value =
                serde_json::from_slice(&json.stdout).expect("JSON findings");
            let iso = value["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .find(|d| d["code"] == "ISO-05")
                .expect("ISO-05 in JSON");
            assert_eq!(iso["overdue"], true, "{iso}");
        }

        let out = dir.join(format!("rendered-{today}"));
        let render = on(
            today,
            dir,
            &["render", "--out", out.to_str().expect("utf-8")],
            &[],
        );
        assert_eq!(
            render.status.code(),
            Some(0),
            "render on {today}: {}",
            text(&render.stderr)
        );
        assert!(out.join("mgmt-se/manifests").is_dir(), "render on {today}");
        let check = on(
            today,
            dir,
            &["render", "--check", "--out", out.to_str().expect("utf-8")],
            &[],
        );
        assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));

        for env in ["dev-se", "mgmt-se"] {
            let generate = on(
                today,
                dir,
                &["argocd", "generate"],
                &[("ARGOCD_ENV_ENVIRONMENT", env)],
            );
            assert_eq!(
                generate.status.code(),
                Some(0),
                "argocd generate {env} on {today}: {}",
                text(&generate.stderr)
            );
            assert!(
                text(&generate.stdout).contains("kind: "),
                "{env} on {today}"
            );
        }

        let restore = on(today, dir, &["restore", "mgmt-se", "--from-offsite"], &[]);
        let stderr = text(&restore.stderr);
        assert_eq!(
            restore.status.code(),
            Some(0),
            "restore on {today}: {stderr}"
        );
        assert!(
            text(&restore.stdout).contains("kind: "),
            "restore on {today}"
        );
        assert_eq!(
            stderr.contains(
                "note: restoring despite 1 error that does not change the printed objects: ISO-05"
            ),
            overdue,
            "restore on {today}: {stderr}"
        );
        let restore = on(
            today,
            dir,
            &["restore", "mgmt-se", "--from-schedule", "daily"],
            &[],
        );
        assert_eq!(
            restore.status.code(),
            Some(0),
            "restore --from-schedule on {today}: {}",
            text(&restore.stderr)
        );
    }
}

#[test]
fn the_rpo_rule_sees_the_spring_forward_gap_and_misspelt_zones_are_rejected() {
    let tmp = shipped_environments();
    let dir = tmp.path();
    let file = dir.join("environments/prod-se-health.yaml");
    let original = std::fs::read_to_string(&file).expect("read");
    let with = |schedule: &str| {
        let text = original.replacen(
            "  schedule: \"0 0 * * *\"",
            &format!("  schedule: \"{schedule}\""),
            1,
        );
        assert_ne!(text, original, "the shipped schedule is `0 0 * * *`");
        std::fs::write(&file, text).expect("write");
        on(support::TODAY, dir, &["validate", "prod-se-health"], &[])
    };
    // UTC: 24 h, within the 24 h RPO. 03:30 in Stockholm always exists, but the fall-back day
    // makes one gap 25 h: a 24 h RPO is missed once a year. 02:30 is skipped once a year: 47 h.
    let utc = with("CRON_TZ=UTC 0 0 * * *");
    assert!(
        !text(&utc.stderr).contains("error[X-05]"),
        "{}",
        text(&utc.stderr)
    );
    let autumn = with("CRON_TZ=Europe/Stockholm 30 3 * * *");
    assert!(
        text(&autumn.stderr).contains("error[X-05]: backups can be 25 hours apart"),
        "{}",
        text(&autumn.stderr)
    );
    let skipped = with("CRON_TZ=Europe/Stockholm 30 2 * * *");
    let stderr = text(&skipped.stderr);
    assert_eq!(skipped.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[X-05]: backups can be 47 hours apart"),
        "{stderr}"
    );
    let misspelt = with("CRON_TZ=Europe/Stokholm 0 0 * * *");
    let stderr = text(&misspelt.stderr);
    assert_eq!(misspelt.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown time zone \"Europe/Stokholm\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("CRON_TZ=Europe/Stockholm 0 0 * * *"),
        "{stderr}"
    );
    for zone in ["europe/stockholm", "GMT+1", "Etc/GMT+13", "US/Pacific-New"] {
        let o = with(&format!("CRON_TZ={zone} 0 0 * * *"));
        assert_eq!(o.status.code(), Some(1), "{zone}: {}", text(&o.stderr));
        // A bad schedule makes the output wrong: render does not write prod-se-health.
        let render = on(support::TODAY, dir, &["render"], &[]);
        assert!(
            text(&render.stderr).contains("validation errors above: mgmt-se, prod-se-health"),
            "{zone}: {}",
            text(&render.stderr)
        );
    }
}
