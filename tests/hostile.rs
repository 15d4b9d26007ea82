//! Hostile trees and inputs: symlinks in and out of every root, special files, concurrent and
//! killed runs, tampered manifests, credentials in values. Each test builds the hostile tree,
//! runs the binary and checks that nothing outside the tree changed, the run said what was
//! wrong (naming the path), and `render --check` agrees with the tree afterwards.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use support::{ck8s_gen, repo};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A scratch checkout with the shipped example environments, and a sibling `outside/`
/// directory that no run may touch.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("environments"),
        &tmp.path().join("environments"),
    );
    std::fs::create_dir_all(tmp.path().join("outside/manifests")).unwrap();
    std::fs::write(tmp.path().join("outside/precious.yaml"), "keep: me\n").unwrap();
    tmp
}

fn link(target: impl AsRef<Path>, at: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

fn mkfifo(at: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(at)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every entry under `dir` (not following links): relative path → bytes, or a marker for a
/// link, directory or special file.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let t = entry.file_type().unwrap();
            if t.is_symlink() {
                let to = std::fs::read_link(&path).unwrap();
                out.insert(rel, format!("-> {}", to.display()));
            } else if t.is_dir() {
                out.insert(rel.clone(), "<dir>".to_owned());
                walk(root, &path, out);
            } else if t.is_file() {
                out.insert(
                    rel,
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
                );
            } else {
                out.insert(rel, "<special>".to_owned());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn render(dir: &Path) -> support::Ran {
    ck8s_gen(dir, &["render"])
}

fn check(dir: &Path) -> support::Ran {
    ck8s_gen(dir, &["render", "--check"])
}

// ---------------------------------------------------------------------------------------------
// 1. The output tree

#[test]
fn a_directory_symlink_in_the_output_tree_is_never_written_through() {
    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let rendered = tmp.path().join("rendered");
    let before_outside = snapshot(&tmp.path().join("outside"));
    // Replace an environment's manifests/ with a link to a directory outside the tree.
    let manifests = rendered.join("dev-se/manifests");
    std::fs::remove_dir_all(&manifests).unwrap();
    link(tmp.path().join("outside/manifests"), &manifests);

    let out = render(tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dev-se/manifests` is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&tmp.path().join("outside")), before_outside);

    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unsafe: ") && stderr(&out).contains("dev-se/manifests"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stale_files_behind_a_link_are_never_deleted() {
    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let rendered = tmp.path().join("rendered");
    // Copy dev-se's output outside, link it in, then remove dev: its files are stale.
    copy_dir(&rendered.join("dev-se"), &tmp.path().join("outside/dev-se"));
    std::fs::remove_dir_all(rendered.join("dev-se")).unwrap();
    link(tmp.path().join("outside/dev-se"), rendered.join("dev-se"));
    let before_outside = snapshot(&tmp.path().join("outside"));
    std::fs::remove_file(tmp.path().join("environments/dev.yaml")).unwrap();

    let out = render(tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(snapshot(&tmp.path().join("outside")), before_outside);
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("unsafe: "), "{}", stderr(&out));
}

#[test]
fn a_file_symlink_fifo_or_directory_where_a_file_goes_is_named() {
    let target = "dev-se/manifests/schedule-velero-daily-backup.yaml";
    for shape in ["link", "dangling", "fifo", "dir"] {
        let tmp = scratch();
        assert!(render(tmp.path()).status.success());
        let at = tmp.path().join("rendered").join(target);
        std::fs::remove_file(&at).unwrap();
        match shape {
            "link" => link(tmp.path().join("outside/precious.yaml"), &at),
            "dangling" => link(tmp.path().join("nowhere"), &at),
            "fifo" => mkfifo(&at),
            _ => std::fs::create_dir(&at).unwrap(),
        }
        let before = snapshot(tmp.path());
        let out = render(tmp.path());
        assert_eq!(out.status.code(), Some(2), "{shape}: {}", stderr(&out));
        assert!(stderr(&out).contains(target), "{shape}: {}", stderr(&out));
        assert_eq!(snapshot(tmp.path()), before, "{shape}: nothing changes");
        let out = check(tmp.path());
        assert_eq!(out.status.code(), Some(1), "{shape}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("unsafe: `rendered/{target}`")),
            "{shape}: {}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("outside/precious.yaml")).unwrap(),
            "keep: me\n"
        );
    }
}

#[test]
fn a_symlinked_output_root_and_manifest_are_refused() {
    let tmp = scratch();
    link(tmp.path().join("outside"), tmp.path().join("rendered"));
    let out = render(tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rendered` is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        snapshot(&tmp.path().join("outside")).len(),
        2,
        "nothing written outside"
    );

    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let manifest = tmp.path().join("rendered/.ck8s-gen-manifest");
    std::fs::rename(&manifest, tmp.path().join("outside/m")).unwrap();
    link(tmp.path().join("outside/m"), &manifest);
    let out = render(tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".ck8s-gen-manifest"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_tampered_manifest_never_deletes_user_files() {
    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let rendered = tmp.path().join("rendered");
    std::fs::write(rendered.join("README.md"), "mine\n").unwrap();
    std::fs::write(rendered.join("dev-se/notes.yaml"), "mine: too\n").unwrap();
    let manifest = rendered.join(".ck8s-gen-manifest");
    let mut list = std::fs::read_to_string(&manifest).unwrap();
    list.push_str("README.md\ndev-se/notes.yaml\n../outside/precious.yaml\n");
    std::fs::write(&manifest, list).unwrap();

    let out = render(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("kept `"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(rendered.join("README.md")).unwrap(),
        "mine\n"
    );
    assert!(rendered.join("dev-se/notes.yaml").exists());
    assert!(tmp.path().join("outside/precious.yaml").exists());
    let manifest = std::fs::read_to_string(&manifest).unwrap();
    assert!(!manifest.contains("README.md"), "{manifest}");
    let out = check(tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// 2. Environment files, `diff --against`, `--templates`, `--schemas`

/// Run with a deadline: a hang is a failure, not a stuck test suite.
fn bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = support::command(dir, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("ck8s-gen {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn odd_environment_files_are_errors_naming_the_path_and_render_deletes_nothing() {
    for shape in ["link", "dangling", "fifo", "dir", "common-link"] {
        let tmp = scratch();
        assert!(render(tmp.path()).status.success());
        let secret = tmp.path().join("outside/credentials");
        std::fs::write(
            &secret,
            format!("[default]\naws_secret_access_key = {AWS_SECRET}\n"),
        )
        .unwrap();
        let envs = tmp.path().join("environments");
        let name = if shape == "common-link" {
            "common.yaml"
        } else {
            "dev.yaml"
        };
        let at = envs.join(name);
        std::fs::remove_file(&at).unwrap();
        match shape {
            "link" | "common-link" => link(&secret, &at),
            "dangling" => link(tmp.path().join("nowhere"), &at),
            "fifo" => mkfifo(&at),
            _ => std::fs::create_dir(&at).unwrap(),
        }
        let before = snapshot(&tmp.path().join("rendered"));
        for args in [&["validate"][..], &["render"], &["render", "--check"]] {
            let out = bounded(tmp.path(), args);
            let all = format!("{}{}", stderr(&out), String::from_utf8_lossy(&out.stdout));
            assert_eq!(out.status.code(), Some(2), "{shape} {args:?}: {all}");
            assert!(
                all.contains(&format!("environments/{name}")),
                "{shape} {args:?}: {all}"
            );
            assert!(!all.contains(AWS_SECRET), "{shape} {args:?}: {all}");
        }
        assert_eq!(
            snapshot(&tmp.path().join("rendered")),
            before,
            "{shape}: render must not delete that environment's output"
        );
    }
}

#[test]
fn validate_of_a_fifo_or_device_returns_at_once() {
    let tmp = scratch();
    let fifo = tmp.path().join("some-fifo.yaml");
    mkfifo(&fifo);
    for arg in [fifo.to_str().unwrap(), "/dev/zero"] {
        let out = bounded(tmp.path(), &["validate", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", stderr(&out));
        assert!(stderr(&out).contains(arg), "{arg}: {}", stderr(&out));
    }
}

#[test]
fn diff_against_a_hostile_tree_is_bounded() {
    for shape in ["zero", "fifo", "loop", "dir-link"] {
        let tmp = scratch();
        assert!(render(tmp.path()).status.success());
        let against = tmp.path().join("against");
        copy_dir(&tmp.path().join("rendered"), &against);
        match shape {
            "zero" => link("/dev/zero", against.join("zero.yaml")),
            "fifo" => mkfifo(&against.join("pipe.yaml")),
            "loop" => link("..", against.join("dev-se/up")),
            _ => link(tmp.path().join("outside"), against.join("more")),
        }
        let out = bounded(tmp.path(), &["diff", "--against", "against"]);
        assert_eq!(out.status.code(), Some(2), "{shape}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("against/"),
            "{shape}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn templates_and_schemas_directories_with_special_files_are_refused() {
    for flag in ["--templates", "--schemas"] {
        for shape in ["fifo", "link"] {
            let tmp = scratch();
            let dir = tmp.path().join("over");
            std::fs::create_dir_all(&dir).unwrap();
            match shape {
                "fifo" => mkfifo(&dir.join("x.j2")),
                _ => link("/dev/zero", dir.join("x.j2")),
            }
            let out = bounded(tmp.path(), &[flag, "over", "validate"]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{flag} {shape}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("over/x.j2"),
                "{flag} {shape}: {}",
                stderr(&out)
            );
        }
    }
}

/// A template that loops 10^10 times ends at the work budget, with an error naming the template.
#[test]
fn a_hostile_template_loop_ends_quickly_with_an_error() {
    let tmp = scratch();
    std::fs::create_dir_all(tmp.path().join("over/offsite")).unwrap();
    std::fs::write(
        tmp.path().join("over/offsite/cronjob.yaml.j2"),
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = bounded(tmp.path(), &["--templates", "over", "render"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("template `offsite/cronjob.yaml.j2`") && text.contains("too much work"),
        "{text}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(!tmp.path().join("rendered").exists());
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrent and killed runs

/// The files under `rendered/` (manifest excluded) and the manifest's list.
fn tree_and_manifest(rendered: &Path) -> (Vec<String>, Vec<String>) {
    let files: Vec<String> = snapshot(rendered)
        .into_iter()
        .filter(|(p, v)| v != "<dir>" && p != ".ck8s-gen-manifest")
        .map(|(p, _)| p)
        .collect();
    let listed: Vec<String> = std::fs::read_to_string(rendered.join(".ck8s-gen-manifest"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    (files, listed)
}

#[test]
fn concurrent_renders_of_different_inputs_leave_one_whole_render() {
    let tmp = scratch();
    // A second input: the same fleet without `dev` (a different set of files).
    copy_dir(&tmp.path().join("environments"), &tmp.path().join("other"));
    std::fs::remove_file(tmp.path().join("other/dev.yaml")).unwrap();
    for round in 0..6 {
        let spawn = |dir: &str| {
            support::command(tmp.path(), &["--dir", dir, "render"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = if round % 2 == 0 {
            (spawn("environments"), spawn("other"))
        } else {
            (spawn("other"), spawn("environments"))
        };
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                stderr(&out)
            );
        }
        let (files, listed) = tree_and_manifest(&tmp.path().join("rendered"));
        assert_eq!(files, listed, "round {round}: the manifest lists the tree");
        let a = ck8s_gen(tmp.path(), &["--dir", "environments", "render", "--check"]);
        let b = ck8s_gen(tmp.path(), &["--dir", "other", "render", "--check"]);
        assert!(
            a.status.success() != b.status.success(),
            "round {round}: the tree is exactly one of the two renders\n{}\n{}",
            stderr(&a),
            stderr(&b)
        );
    }
}

#[test]
fn a_render_killed_at_any_point_is_repaired_by_the_next_run() {
    let tmp = scratch();
    let dev = tmp.path().join("environments/dev.yaml");
    let original = std::fs::read_to_string(&dev).unwrap();
    for (round, delay) in [0u64, 5, 10, 20, 40, 80, 120, 200].into_iter().enumerate() {
        // Alternate the input so every run has files to replace.
        let text = if round % 2 == 0 {
            original.replace("dev-se", "dev-se-b")
        } else {
            original.clone()
        };
        std::fs::write(&dev, text).unwrap();
        let mut child = support::command(tmp.path(), &["render"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let out = render(tmp.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            stderr(&out)
        );
        let out = check(tmp.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            stderr(&out)
        );
        let (files, listed) = tree_and_manifest(&tmp.path().join("rendered"));
        assert_eq!(files, listed, "round {round}");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".ck8s-gen-staging-"))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
}

#[test]
fn a_render_waits_for_a_held_lock() {
    let tmp = scratch();
    // The lock is the output directory's own: hold it on `rendered`.
    std::fs::create_dir(tmp.path().join("rendered")).unwrap();
    let holder = std::fs::File::open(tmp.path().join("rendered")).unwrap();
    holder.lock().unwrap();
    let child = support::command(tmp.path(), &["render"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        std::fs::read_dir(tmp.path().join("rendered"))
            .unwrap()
            .count(),
        0,
        "nothing is written while another run holds the lock"
    );
    holder.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(check(tmp.path()).status.success());
}

#[test]
fn renders_into_sibling_outputs_do_not_wait_for_each_other() {
    let tmp = scratch();
    std::fs::create_dir(tmp.path().join("rendered")).unwrap();
    let holder = std::fs::File::open(tmp.path().join("rendered")).unwrap();
    holder.lock().unwrap();
    // `other` is in the same parent and does not exist yet; the held lock is not its own.
    let started = std::time::Instant::now();
    let out = ck8s_gen(tmp.path(), &["render", "--out", "other"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "a sibling's lock made the render wait ({:?})",
        started.elapsed()
    );
    let checked = ck8s_gen(tmp.path(), &["render", "--check", "--out", "other"]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    // The held output: `--check` (shared) and `render` (exclusive) both stop after the bounded
    // wait, naming it, and no lock file is left anywhere in the checkout.
    let blocked = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(blocked.status.code(), Some(2), "{}", stderr(&blocked));
    assert!(
        stderr(&blocked).contains("`rendered` is locked by another ck8s-gen run"),
        "{}",
        stderr(&blocked)
    );
    assert_eq!(
        std::fs::read_dir(tmp.path().join("rendered"))
            .unwrap()
            .count(),
        0
    );
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("lock"))
        .collect();
    names.sort();
    assert!(names.is_empty(), "{names:?}");
    drop(holder);
}

// ---------------------------------------------------------------------------------------------
// 4. Secrets never printed

/// (secret part, how it is written into the environment file's description).
const CREDENTIALS: &[(&str, &str)] = &[
    (
        "AKIAIOSFODNN7EXAMPLE",
        "key id AKIAIOSFODNN7EXAMPLE in free text",
    ),
    ("ASIAY34FZKBOKMUTVV7A", "temporary ASIAY34FZKBOKMUTVV7A"),
    (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "0123456789abcdef0123456789abcdef01234567",
        "{\"type\": \"service_account\", \"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\"}",
    ),
    (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        "AccountName=x;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    ),
    (
        "sv2022sigvalueXYZ",
        "https://acct.blob.core.windows.net/c?sp=r&sig=sv2022sigvalueXYZ",
    ),
    (
        "AKIAIOSFODNN7EXAMPLE%2F20261125%2Fs3%2Faws4_request",
        "https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125%2Fs3%2Faws4_request&X-Amz-Signature=deadbeefcafe",
    ),
    (
        "glpat-abcdefghijklmnopqrst",
        "https://user:glpat-abcdefghijklmnopqrst@gitlab.example.com/r.git",
    ),
    (
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijkl",
        "github_pat_11ABCDEFG0123456789_abcdefghijkl",
    ),
    ("s3cr3t-Pa55", "https://admin:s3cr3t-Pa55@s3.example.com"),
];

const PEM_BODY: &str = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu";

/// The example environments with `dev.yaml`'s description set to `value` (a YAML
/// double-quoted scalar) or, for the PEM case, a literal block.
fn with_description(tmp: &Path, yaml_value: &str) {
    let dev = tmp.join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    let text = text.replace(
        "  description: Development workload cluster\n",
        &format!("  description: {yaml_value}\n"),
    );
    std::fs::write(&dev, text).unwrap();
}

/// A run that stopped at the command line proves nothing about redaction.
fn text_is_not_usage(out: &Output) -> bool {
    !stderr(out).contains("Usage:") && !stderr(out).contains("no environment chosen")
}

fn all_output(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

#[test]
fn every_credential_shape_is_an_inline_secret_and_never_printed_by_validate() {
    let mut cases: Vec<(String, String)> = CREDENTIALS
        .iter()
        .map(|(secret, text)| ((*secret).to_owned(), serde_json::to_string(text).unwrap()))
        .collect();
    cases.push((
        PEM_BODY.to_owned(),
        format!("|\n    -----BEGIN RSA PRIVATE KEY-----\n    {PEM_BODY}\n    -----END RSA PRIVATE KEY-----"),
    ));
    for (secret, yaml) in &cases {
        let tmp = scratch();
        with_description(tmp.path(), yaml);
        for format in ["human", "json", "github", "markdown"] {
            let out = ck8s_gen(tmp.path(), &["--format", format, "validate"]);
            let text = all_output(&out);
            assert_eq!(out.status.code(), Some(1), "{secret} {format}: {text}");
            assert!(text.contains("inline-secret"), "{secret} {format}: {text}");
            assert!(
                !text.contains(secret.as_str()),
                "{secret} leaked by {format}:\n{text}"
            );
        }
        let out = render(tmp.path());
        assert_eq!(out.status.code(), Some(1), "{secret}: render refuses");
        assert!(!all_output(&out).contains(secret.as_str()));
    }
}

#[test]
fn credentials_in_an_endpoint_are_an_error_and_never_rendered_or_printed() {
    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap().replace(
        "endpoint: https://s3.sto1.safedc.net",
        "endpoint: https://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI0K7MDENG0bPxRfiCYEXAMPLEKEY@s3.sto1.safedc.net",
    );
    std::fs::write(&dev, text).unwrap();
    let before = snapshot(&tmp.path().join("rendered"));
    let secrets = [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI0K7MDENG0bPxRfiCYEXAMPLEKEY",
    ];
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate"],
        vec!["render"],
        vec!["render", "--stdout"],
        vec!["diff", "--against", "rendered"],
        vec!["report"],
        vec!["report", "--as", "json"],
        vec!["report", "--as", "html"],
        vec!["coverage"],
        vec!["coverage", "--json"],
        vec!["restore", "dev-se", "--from-schedule", "daily-backup"],
        vec!["argocd", "generate"],
    ];
    for args in &runs {
        let out = support::command(tmp.path(), args)
            .env("ARGOCD_ENV_ENVIRONMENT", "dev-se")
            .output()
            .unwrap();
        assert!(text_is_not_usage(&out), "{args:?}: {}", stderr(&out));
        let text = all_output(&out);
        assert_ne!(out.status.code(), Some(0), "{args:?} must not pass: {text}");
        for s in secrets {
            assert!(!text.contains(s), "{args:?} printed {s}:\n{text}");
        }
    }
    assert_eq!(
        snapshot(&tmp.path().join("rendered")),
        before,
        "nothing rendered"
    );
    let out = ck8s_gen(tmp.path(), &["report", "--out", "r.md"]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    if let Ok(report) = std::fs::read_to_string(tmp.path().join("r.md")) {
        for s in secrets {
            assert!(!report.contains(s), "report file holds {s}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Bounded diagnostics

#[test]
fn thirty_two_thousand_unknown_keys_are_capped_and_fast() {
    let tmp = scratch();
    let dev = tmp.path().join("environments/dev.yaml");
    let extra: String = (0..32_000)
        .map(|i| format!("  unknownKey{i:05}: v\n"))
        .collect();
    let text = std::fs::read_to_string(&dev).unwrap().replacen(
        "cluster:\n",
        &format!("cluster:\n{extra}"),
        1,
    );
    std::fs::write(&dev, text).unwrap();
    assert!(std::fs::metadata(&dev).unwrap().len() > 500_000);
    // Well under a second in a release build; a debug build on a busy CI machine gets slack,
    // still far from the 72 s the quadratic renderer took.
    let bound = std::time::Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 1 });
    for args in [
        &["validate"][..],
        &["--format", "json", "validate"],
        &["--format", "github", "validate"],
        &["argocd", "generate"],
    ] {
        let started = std::time::Instant::now();
        let out = support::command(tmp.path(), args)
            .env("ARGOCD_ENV_ENVIRONMENT", "dev-se")
            .output()
            .unwrap();
        let took = started.elapsed();
        let text = all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            text.contains("and 31,950 more unknown keys in `environments/dev.yaml`"),
            "{args:?}: {}",
            &text[text.len().saturating_sub(2000)..]
        );
        assert!(text.len() < 200_000, "{args:?}: {} bytes", text.len());
        assert!(took < bound, "{args:?} took {took:?}");
        // The counts are of every finding, the ones cut off included.
        match args {
            ["validate"] => assert!(
                text.contains("32,000 errors, 2 notes (31,950 not shown)"),
                "{}",
                &text[text.len().saturating_sub(500)..]
            ),
            ["--format", "json", "validate"] => {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(v["summary"]["errors"], 32_000, "{}", v["summary"]);
                assert_eq!(v["summary"]["hidden"], 31_950, "{}", v["summary"]);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Output files, control bytes, odd line endings, long paths

#[test]
fn report_out_refuses_links_and_special_files_and_dash_is_stdout() {
    let tmp = scratch();
    let out = ck8s_gen(tmp.path(), &["report", "--out", "/dev/stdout"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/stdout"), "{}", stderr(&out));
    link(
        tmp.path().join("outside/precious.yaml"),
        tmp.path().join("r.md"),
    );
    let out = ck8s_gen(tmp.path(), &["report", "--out", "r.md"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("outside/precious.yaml")).unwrap(),
        "keep: me\n"
    );
    let out = ck8s_gen(tmp.path(), &["report", "--out", "-"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("# Backup compliance evidence"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("-").exists());
}

#[test]
fn init_quotes_compliance_values() {
    let tmp = scratch();
    let out = ck8s_gen(
        tmp.path(),
        &[
            "init",
            "newenv",
            "--provider",
            "safespring",
            "--compliance",
            "gdpr\n---\nkind: Secret",
            "--stdout",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  - \"gdpr\\n---\\nkind: Secret\"\n"),
        "{text}"
    );
    assert!(!text.contains("\n---\n"), "{text}");
}

#[test]
fn control_bytes_from_values_never_reach_the_output() {
    let tmp = scratch();
    assert!(render(tmp.path()).status.success());
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap().replace(
        "  description: Development workload cluster\n",
        "  description: \"evil \\e]0;title\\a \\e[2J cleared\"\n  \"\\e[31mred\": 1\n",
    );
    std::fs::write(&dev, text).unwrap();
    for args in [
        &["validate"][..],
        &["--format", "github", "validate"],
        &["--format", "markdown", "validate"],
        &["--format", "json", "validate"],
        &["report"],
        &["diff", "--against", "rendered"],
        &["--format", "markdown", "diff", "--against", "rendered"],
    ] {
        let out = ck8s_gen(tmp.path(), args);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(!all.contains(&0x1b), "{args:?}: {}", all_output(&out));
        assert!(!all.contains(&0x07), "{args:?}: {}", all_output(&out));
    }
}

/// With colour forced, our own colour codes (SGR `ESC [ … m`) are the only control sequences:
/// values are neutralized before they are coloured, in findings and in a diff against a commit
/// (its settings and the findings it introduces quote values).
#[test]
fn coloured_output_keeps_its_colours_and_neutralizes_values() {
    let tmp = scratch();
    let git = |args: &[&str]| support::git(tmp.path(), args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "x"]);
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap().replace(
        "  description: Development workload cluster\n",
        "  description: \"evil \\e]0;title\\a \\e[2J cleared\"\n  \"\\e[31mred\": 1\n",
    );
    std::fs::write(&dev, text).unwrap();
    for args in [
        &["--color", "always", "validate"][..],
        &["--color", "always", "diff", "--base", "HEAD"],
    ] {
        let out = ck8s_gen(tmp.path(), args);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        // Our colours are there …
        assert!(text.contains("\x1b["), "{args:?}: no colour: {text}");
        // … the values are, neutralized …
        assert!(text.contains("?[31mred"), "{args:?}: {text}");
        // … and nothing else is a control byte.
        let mut rest = text.as_ref();
        let mut stripped = String::new();
        while let Some(i) = rest.find("\x1b[") {
            stripped.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after
                .find(|c: char| !(c.is_ascii_digit() || c == ';'))
                .unwrap_or(after.len());
            if after[end..].starts_with('m') {
                rest = &after[end + 1..];
            } else {
                stripped.push_str("\x1b[");
                rest = after;
            }
        }
        stripped.push_str(rest);
        assert!(
            !stripped.contains(['\x1b', '\x07']),
            "{args:?}: {}",
            stripped.escape_debug()
        );
    }
}

#[test]
fn cr_only_line_endings_read_like_line_feeds() {
    let tmp = scratch();
    let dev = tmp.path().join("environments/dev.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(&dev, text.replace('\n', "\r")).unwrap();
    let out = ck8s_gen(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("empty"), "{}", stderr(&out));
}

#[test]
fn diff_base_with_a_long_dir() {
    let tmp = scratch();
    let long = (0..4)
        .map(|i| format!("{i}{}", "d".repeat(90)))
        .collect::<Vec<_>>()
        .join("/");
    let envs = tmp.path().join(&long).join("environments");
    copy_dir(&tmp.path().join("environments"), &envs);
    let git = |args: &[&str]| support::git(tmp.path(), args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "x"]);
    let dir = format!("{long}/environments");
    assert!(dir.len() > 255);
    let out = ck8s_gen(tmp.path(), &["--dir", &dir, "diff", "--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
