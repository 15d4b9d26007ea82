//! `restore`: every form prints only objects that pass the upstream conformance checker, the two
//! off-site forms produce different plans, names are deterministic, and the checklist carries
//! the steps the issue asks for. (The exact output is pinned by the `restore-*` golden cases.)

// Tests say so (on stdout, shown with --nocapture) when an optional external checker is absent.
#![allow(clippy::print_stdout)]

use crate::support;

use crate::support::Ran;
use std::path::{Path, PathBuf};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    repo().join("tests/cases/_restore-environments")
}

fn restore(dir: &Path, args: &[&str]) -> Ran {
    support::ck8s_gen_in(dir)
        .arg("--dir")
        .arg(dir)
        .arg("restore")
        .args(args)
        .run()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kinds and names of a YAML stream.
fn objects(stream: &str) -> Vec<(String, String)> {
    ck8s_gen::yaml::documents(stream)
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_restore_form_prints_only_conformant_objects() {
    let forms: &[&[&str]] = &[
        &["shop", "--from-schedule", "daily"],
        &["shop", "--from-schedule", "velero-weekly-backup"],
        &[
            "shop",
            "--backup",
            "velero-daily-backup-20261124000000",
            "--namespace",
            "web",
            "--to-namespace",
            "web=web-restored",
        ],
        &[
            "shop",
            "--from-schedule",
            "daily",
            "--existing-resource-policy",
            "update",
        ],
        &["shop", "--from-offsite"],
        &["plain", "--from-offsite"],
        &["ops", "--from-schedule", "daily"],
    ];
    let mut all = String::new();
    for args in forms {
        let out = restore(&fixtures(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stream = text(&out.stdout);
        assert!(stream.starts_with("---\n"), "{args:?}: {stream}");
        assert!(!objects(&stream).is_empty());
        all.push_str(&stream);
    }
    // The shipped environments too.
    for env in ["prod-se-health", "mgmt-se", "dev-se"] {
        let out = restore(
            &repo().join("environments"),
            &[env, "--from-schedule", "daily"],
        );
        assert_eq!(out.status.code(), Some(0), "{env}: {}", text(&out.stderr));
        all.push_str(&text(&out.stdout));
    }
    let out = restore(
        &repo().join("environments"),
        &["prod-se-health", "--from-offsite"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    all.push_str(&text(&out.stdout));
    support::check_stream(all.as_bytes());
}

#[test]
fn encrypted_and_unencrypted_offsite_copies_get_different_plans() {
    let encrypted = restore(&fixtures(), &["shop", "--from-offsite"]);
    let plain = restore(&fixtures(), &["plain", "--from-offsite"]);
    let encrypted_objects = objects(&text(&encrypted.stdout));
    let plain_objects = objects(&text(&plain.stdout));
    // Encrypted: replication paused, the copy decrypted back into the primary bucket.
    assert_eq!(
        encrypted_objects,
        [
            ("CronJob".to_owned(), "rclone-sync-shop".to_owned()),
            ("Job".to_owned(), "rclone-restore-shop".to_owned()),
        ]
    );
    let stream = text(&encrypted.stdout);
    assert!(stream.contains("suspend: true"), "{stream}");
    assert!(
        stream.contains(
            "- copy\n        - \"crypt:\"\n        - primary:shop-velero/workload-cluster"
        ),
        "{stream}"
    );
    assert!(stream.contains("value: offsite:shop-velero-offsite/workload-cluster"));
    assert!(
        stream.contains("name: rclone-restore-shop"),
        "write credentials of their own"
    );
    // Not encrypted: read in place, nothing copied.
    assert_eq!(
        plain_objects,
        [("BackupStorageLocation".to_owned(), "offsite".to_owned())]
    );
    assert!(text(&plain.stdout).contains("accessMode: ReadOnly"));
    // Both checklists pause the replication and end with a Velero restore.
    for out in [&encrypted, &plain] {
        let checklist = text(&out.stderr);
        assert!(checklist.contains("\"suspend\":false"), "{checklist}");
        assert!(checklist.contains("ck8s-gen restore"), "{checklist}");
    }
    assert!(text(&plain.stderr).contains("--backup NAME"));
}

#[test]
fn names_are_deterministic_and_schedules_accept_short_and_full_names() {
    let name = |args: &[&str]| {
        let out = restore(&fixtures(), args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        objects(&text(&out.stdout))[0].1.clone()
    };
    let short = name(&["shop", "--from-schedule", "weekly"]);
    assert_eq!(
        short,
        name(&["shop", "--from-schedule", "velero-weekly-backup"])
    );
    assert_eq!(short, name(&["shop", "--from-schedule", "weekly-backup"]));
    assert!(short.starts_with("shop-weekly-"), "{short}");
    let narrowed = name(&["shop", "--from-schedule", "weekly", "--namespace", "web"]);
    assert_ne!(short, narrowed, "a different spec gets a different name");
    assert_eq!(
        name(&["shop", "--from-schedule", "weekly", "--name", "drill-1"]),
        "drill-1"
    );
}

#[test]
fn the_restore_keeps_the_ck8s_promise_unless_told_otherwise() {
    let out = restore(&fixtures(), &["shop", "--from-schedule", "daily"]);
    let stream = text(&out.stdout);
    assert!(
        stream.contains("existingResourcePolicy: none") && stream.contains("restorePVs: true"),
        "{stream}"
    );
    let checklist = text(&out.stderr);
    for needle in [
        "delete it first",
        "subnamespaceanchors.hnc.x-k8s.io",
        "restoreResourcePriorities",
        "kubectl create -f -",
        "restore describe",
        "restore logs",
        // documentation.erasureProcedureRef: replay GDPR Art. 17 erasures.
        "re-apply every erasure request received in the last 30 days",
        "\"suspend\":true",
    ] {
        assert!(checklist.contains(needle), "{needle}\n{checklist}");
    }
    assert!(!checklist.contains("warning:"));
    let update = restore(
        &fixtures(),
        &[
            "shop",
            "--from-schedule",
            "daily",
            "--existing-resource-policy",
            "update",
        ],
    );
    assert!(text(&update.stdout).contains("existingResourcePolicy: update"));
    assert!(text(&update.stderr).starts_with("warning: --existing-resource-policy update"));
    // No off-site copy, no erasure procedure: no such steps.
    let out = restore(&fixtures(), &["ops", "--from-schedule", "daily"]);
    let checklist = text(&out.stderr);
    assert!(
        !checklist.contains("suspend") && !checklist.contains("GDPR"),
        "{checklist}"
    );
}

#[test]
fn bad_requests_are_usage_errors_and_invalid_environments_print_nothing() {
    for (args, message) in [
        (
            &["shop", "--from-schedule", "monthly"][..],
            "has no Schedule `monthly`",
        ),
        (
            &["nope", "--from-schedule", "daily"],
            "no environment named `nope`",
        ),
        (
            &[
                "shop",
                "--from-schedule",
                "daily",
                "--to-namespace",
                "a=b",
                "--namespace",
                "c",
            ],
            "add `--namespace a`",
        ),
        (&["shop", "--backup", "Not_A_Name"], "is not a backup name"),
        (
            &["shop", "--from-schedule", "daily", "--name", "UPPER"],
            "is not a Restore name",
        ),
        (&["ops", "--from-offsite"], "has no off-site copy"),
    ] {
        let out = restore(&fixtures(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    // clap: exactly one source; --from-offsite takes no restore options.
    for args in [
        &["shop"][..],
        &["shop", "--from-schedule", "daily", "--backup", "x"],
        &["shop", "--from-offsite", "--namespace", "web"],
    ] {
        let out = restore(&fixtures(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    // A warning, not an error: a namespace the backups leave out.
    let out = restore(
        &fixtures(),
        &[
            "shop",
            "--from-schedule",
            "daily",
            "--namespace",
            "kube-system",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning: namespace `kube-system` is not in the backups"));
    // Invalid environment: exit 1, findings on stderr, nothing on stdout.
    let tmp = tempfile::tempdir().unwrap();
    let shop = std::fs::read_to_string(fixtures().join("shop.yaml")).unwrap();
    std::fs::write(
        tmp.path().join("shop.yaml"),
        shop.replace("ttl: 720h", "ttl: 30d"),
    )
    .unwrap();
    std::fs::copy(fixtures().join("ops.yaml"), tmp.path().join("ops.yaml")).unwrap();
    let out = restore(tmp.path(), &["shop", "--from-schedule", "daily"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("invalid-duration"));
    // …but another environment's errors do not block this one.
    let out = restore(tmp.path(), &["ops", "--from-schedule", "daily"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("invalid-duration"));
}
