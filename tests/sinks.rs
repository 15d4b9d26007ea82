//! Downstream languages: every free-text field of an environment file that reaches rendered
//! output holds shell, Go template, Flux substitution and rclone metacharacters
//! (tests/fixtures/sinks). For each consumer the test checks that it reads the literal value
//! (running the real shell, dash and busybox `sh`, on the off-site sync script), or that the
//! value is refused by `validate` with its file, line and column. README, "Safety", lists the
//! sinks and how each is protected.

use crate::support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::{ck8s_gen, skip};

/// Metacharacters of every downstream language: Go templates (Prometheus, Argo CD), shell,
/// Flux `${}` substitution, printf, option-looking words, a newline and non-ASCII text.
const H: &str = "x {{ with query \"up\" }}{{- . -}}{{ end }} $(touch pwned) `touch pwned2` ' \" ; | ${VAR} $HOME -- -x \\ %s %% ünï ✓\nsecond line {";
/// The same for fields of at most 63 characters.
const S: &str = "{{ . }}$(touch pwned)`id`';\"|${V}$H\\%ü --x\n{";
/// A URL (no white space) with the same characters, and rclone's `:` and `,`.
const U: &str = "https://s3.example.org/{{.x}}$(touch${IFS}pwned)`id`';|${VAR}\\%ü,a:b";

/// A scratch checkout with the fixture environments, placeholders replaced.
fn fleet(values: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let envs = tmp.path().join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    let quoted = |s: &str| serde_json::to_string(s).unwrap();
    for name in ["wl", "mgmt"] {
        let mut text = std::fs::read_to_string(
            support::repo().join(format!("tests/fixtures/sinks/{name}.yaml")),
        )
        .unwrap();
        for (placeholder, value) in [("@H@", H), ("@S@", S), ("@U@", U)]
            .iter()
            .chain(values.iter())
        {
            text = text.replace(placeholder, &quoted(value));
        }
        std::fs::write(envs.join(format!("{name}.yaml")), text).unwrap();
    }
    tmp
}

const VALID: &[(&str, &str)] = &[
    ("@TK@", "dedicated"),
    ("@TV@", "backup"),
    ("@NV@", "linux"),
    ("@R@", "main"),
    ("@RP@", "rendered"),
    ("@P@", "wl-prefix"),
];

/// Every rendered object, with the path of its file.
fn objects(rendered: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut stack = vec![rendered.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let rel = path.strip_prefix(rendered).unwrap().display().to_string();
                for doc in ck8s_gen::yaml::documents(&text).unwrap() {
                    out.push((rel.clone(), doc));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn kind<'a>(objects: &'a [(String, Value)], kind: &str) -> Vec<&'a (String, Value)> {
    objects.iter().filter(|(_, o)| o["kind"] == kind).collect()
}

fn rendered() -> (tempfile::TempDir, Vec<(String, Value)>) {
    let tmp = fleet(VALID);
    let out = ck8s_gen(tmp.path(), &["render"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objects = objects(&tmp.path().join("rendered"));
    (tmp, objects)
}

/// Prometheus expands alert annotations and labels as Go templates: a value's `{` is written
/// as the action `{{ "{" }}`, so what remains (beyond the rule's own `$value`/`$labels`
/// actions) opens no action, and expanding it prints the value. (The e2e `alerts` stage runs
/// promtool on the same characters: e2e/stages/alerts/variants/hostile.)
#[test]
fn prometheus_templates_print_every_value_as_written() {
    let (_tmp, objects) = rendered();
    let rules = kind(&objects, "PrometheusRule");
    assert!(rules.len() >= 3, "{rules:?}");
    let ours = [
        "{{ $value | humanizeDuration }}",
        "{{ $labels.job_name }}",
        r#"{{ "{" }}"#,
    ];
    let mut runbooks = 0;
    for (path, rule) in rules {
        for group in rule["spec"]["groups"].as_array().unwrap() {
            for r in group["rules"].as_array().unwrap() {
                let mut texts = Vec::new();
                strings(&r["annotations"], &mut texts);
                strings(&r["labels"], &mut texts);
                for text in texts {
                    let mut rest = text.to_owned();
                    for action in ours {
                        rest = rest.replace(action, "");
                    }
                    assert!(!rest.contains("{{"), "{path}: an action left open: {text}");
                }
                let runbook = r["annotations"]["runbook_url"].as_str().unwrap();
                assert_eq!(runbook.replace(r#"{{ "{" }}"#, "{"), H, "{path}");
                runbooks += 1;
            }
        }
    }
    assert!(runbooks >= 8);
}

/// Argo CD renders an ApplicationSet's template with Go `text/template` (`goTemplate: true`):
/// the only actions are ck8s-gen's own `{{ .key }}`, and the environment's values are the
/// list generator's element data, which text/template inserts and never parses (e2e `kinds`
/// runs Go's text/template on every rendered ApplicationSet: e2e/stages/kinds/gotemplate). Plain Applications are not
/// templated by Argo CD; it expands `$VAR` only in plugin `env`, Helm `parameters` and
/// `valueFiles`, which ck8s-gen does not write (chart values go in `valuesObject`).
#[test]
fn argo_cd_templates_only_hold_ck8s_gens_actions_and_values_stay_data() {
    let (_tmp, objects) = rendered();
    let sets = kind(&objects, "ApplicationSet");
    assert_eq!(sets.len(), 1);
    let set = &sets[0].1;
    assert_eq!(set["spec"]["goTemplate"], true);
    let elements = set["spec"]["generators"][0]["list"]["elements"]
        .as_array()
        .unwrap();
    let wl = elements
        .iter()
        .find(|e| e["environment"] == "wl")
        .expect("wl");
    assert_eq!(wl["repoURL"], U, "the value is data, as written");
    let action = regex::Regex::new(r"\{\{ \.([A-Za-z]+) \}\}").unwrap();
    let mut texts = Vec::new();
    strings(&set["spec"]["template"], &mut texts);
    for text in texts {
        for key in action.captures_iter(text).map(|c| c[1].to_owned()) {
            assert!(
                wl.get(&key).is_some(),
                "{{{{ .{key} }}}} names no element key"
            );
        }
        let rest = action.replace_all(text, "");
        assert!(
            !rest.contains("{{"),
            "a foreign action in the template: {text}"
        );
        assert!(
            !text.contains("s3.example.org"),
            "a value in the template: {text}"
        );
    }
    let apps = kind(&objects, "Application");
    assert_eq!(apps.len(), 2);
    for (path, app) in apps {
        let source = &app["spec"]["source"];
        assert!(source.get("plugin").is_none(), "{path}");
        assert!(source["helm"].get("parameters").is_none(), "{path}");
        assert!(source["helm"].get("valueFiles").is_none(), "{path}");
        if path.ends_with("-manifests.yaml") {
            assert_eq!(source["repoURL"], U, "{path}");
        }
    }
    // The plugin ApplicationSet passes only the environment's name (a DNS label, no `$`).
    let plugin = std::fs::read_to_string(
        support::repo().join("templates/argocd/applicationset-plugin.yaml.j2"),
    )
    .unwrap();
    assert!(plugin.contains(r#"value: {{ "{{ .environment }}" | yaml }}"#));
}

/// Flux substitutes `${var}` only in what a Kustomization with `postBuild` applies: ck8s-gen's
/// Kustomizations have none, so nothing they apply is substituted; the `flux/` layer (which
/// the user's own Kustomization applies, perhaps with `postBuild`) and the HelmRelease opt out
/// with `kustomize.toolkit.fluxcd.io/substitute: disabled`. Helm never templates values; the chart writes the ones ck8s-gen sets with
/// `toYaml` or into patterns the schema restricts.
#[test]
fn flux_never_substitutes_and_values_are_literal() {
    let (_tmp, objects) = rendered();
    for (path, object) in &objects {
        assert!(
            object["spec"].get("postBuild").is_none(),
            "{path}: postBuild"
        );
        if path.contains("/flux/") || object["kind"] == "HelmRelease" {
            assert_eq!(
                object["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"],
                "disabled",
                "{path}"
            );
        }
    }
    let bsl = kind(&objects, "BackupStorageLocation");
    assert!(!bsl.is_empty());
    for (path, location) in bsl {
        assert_eq!(location["spec"]["config"]["s3Url"], U, "{path}");
        assert_eq!(location["spec"]["config"]["region"], S, "{path}");
    }
}

/// rclone: the remote paths start with ck8s-gen's own remote names (`src:`, `dst:`,
/// `crypt:`), so neither a `-` nor a `:` or `,` of a value can make an option or a connection
/// string; every other argument is one of ck8s-gen's flags; endpoints and regions are
/// `RCLONE_CONFIG_*` variables, which rclone reads as the literal option value.
#[test]
fn rclone_arguments_are_ck8s_gens_and_values_are_variables() {
    let (tmp, objects) = rendered();
    let jobs = kind(&objects, "CronJob");
    let (path, sync) = jobs
        .iter()
        .find(|(p, _)| p.contains("rclone-sync-wl"))
        .expect("the sync CronJob");
    let container = &sync["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "sync", "{path}");
    assert_eq!(args[1], "src:wl-velero/wl-prefix");
    assert_eq!(args[2], "crypt:");
    let flags = regex::Regex::new(
        r"^--(fast-list|checksum|size-only|stats-one-line|max-duration=[0-9]+s|log-level=INFO|stats=5m)$",
    )
    .unwrap();
    for arg in &args[3..] {
        assert!(flags.is_match(arg), "{path}: unexpected argument {arg:?}");
    }
    let env = env_of(container);
    assert_eq!(
        env["RCLONE_CONFIG_CRYPT_REMOTE"],
        "dst:wl-offsite/wl-prefix"
    );
    assert_eq!(env["RCLONE_CONFIG_SRC_ENDPOINT"], U);
    assert_eq!(env["RCLONE_CONFIG_SRC_REGION"], S);
    assert_eq!(env["RCLONE_CONFIG_DST_REGION"], S);
    // The disaster-recovery Job (`restore --from-offsite`): the same shape, reversed.
    let out = ck8s_gen(tmp.path(), &["restore", "--from-offsite", "wl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stream = ck8s_gen::yaml::documents(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let job = stream
        .iter()
        .find(|o| o["kind"] == "Job")
        .expect("the off-site restore Job");
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"], serde_json::json!(["rclone"]));
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[..3], ["copy", "crypt:", "primary:wl-velero/wl-prefix"]);
    for arg in &args[3..] {
        assert!(
            flags.is_match(arg),
            "restore Job: unexpected argument {arg:?}"
        );
    }
    let env = env_of(container);
    assert_eq!(
        env["RCLONE_CONFIG_CRYPT_REMOTE"],
        "offsite:wl-offsite/wl-prefix"
    );
    assert_eq!(env["RCLONE_CONFIG_OFFSITE_ENDPOINT"], U);
    assert_eq!(env["RCLONE_CONFIG_PRIMARY_REGION"], S);
    // The restore test's variables carry only names and numbers (schema patterns), and its
    // script quotes them (e2e/stages/scripts runs it).
    let (_, test) = jobs
        .iter()
        .find(|(p, _)| p.contains("restore-test"))
        .expect("the restore test");
    let container = &test["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let plain = regex::Regex::new(r"^[A-Za-z0-9 ._/-]*$").unwrap();
    for (name, value) in env_of(container) {
        assert!(plain.is_match(&value), "{name}={value:?}");
    }
}

fn env_of(container: &Value) -> std::collections::BTreeMap<String, String> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| {
            Some((
                v["name"].as_str()?.to_owned(),
                v["value"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// The sync CronJob's command (`/bin/sh -c SCRIPT rclone-sync ARGS…`) run by dash and by
/// busybox `sh` (the rclone image's shell), with the CronJob's literal variables and a fake
/// `rclone` that records what it is given: it receives exactly the rendered arguments and
/// variables, and nothing in a value ran.
#[test]
fn the_sync_script_passes_values_through_dash_and_busybox_untouched() {
    let (_tmp, objects) = rendered();
    let (_, sync) = objects
        .iter()
        .find(|(p, o)| o["kind"] == "CronJob" && p.contains("rclone-sync-wl"))
        .expect("the sync CronJob");
    let container = &sync["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(command[..2], ["/bin/sh", "-c"]);
    let env = env_of(container);
    let mut ran = 0;
    for shell in [vec!["dash"], vec!["busybox", "sh"]] {
        let Ok(found) = Command::new(shell[0])
            .args(&shell[1..])
            .args(["-c", "exit 0"])
            .status()
        else {
            skip(
                "the sync script under dash and busybox",
                &format!("`{}` (apt-get install dash busybox)", shell[0]),
            );
            continue;
        };
        assert!(found.success());
        let work = tempfile::tempdir().unwrap();
        let bin = work.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        // The fake records each call's arguments NUL-separated, and the variables it got.
        let fake = bin.join("rclone");
        std::fs::write(
            &fake,
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >>\"$REC/args\"\nprintf '\\n' >>\"$REC/args\"\nprintf '%s\\0%s\\0' \"$RCLONE_CONFIG_SRC_ENDPOINT\" \"$RCLONE_CONFIG_SRC_REGION\" >\"$REC/env\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let tmp_dir = work.path().join("tmp");
        std::fs::create_dir(&tmp_dir).unwrap();
        // The script writes its listings to /tmp (the pod's emptyDir): point it at ours.
        let script = command[2].replace("/tmp/", &format!("{}/", tmp_dir.display()));
        let out = Command::new(shell[0])
            .args(&shell[1..])
            .arg("-c")
            .arg(&script)
            .arg(&command[3])
            .args(&args)
            .current_dir(work.path())
            .env_clear()
            .envs(&env)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("REC", work.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let calls = std::fs::read(work.path().join("args")).unwrap();
        let calls: Vec<Vec<String>> = calls
            .split(|b| *b == b'\n')
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.split(|b| *b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8(a.to_vec()).unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(calls.len(), 3, "{shell:?}: two listings and the sync");
        assert_eq!(calls[0][calls[0].len() - 1], args[1]);
        assert_eq!(calls[1][calls[1].len() - 1], args[2]);
        let mut expected = args.clone();
        expected.push("--max-delete=0".to_owned());
        assert_eq!(calls[2], expected, "{shell:?}");
        let seen = std::fs::read(work.path().join("env")).unwrap();
        assert_eq!(seen, format!("{U}\0{S}\0").into_bytes(), "{shell:?}");
        assert!(!work.path().join("pwned").exists(), "{shell:?} ran a value");
        ran += 1;
    }
    assert!(ran > 0 || !support::ci(std::env::var_os("CI").as_deref()));
}

/// Values whose consumer would parse them as more than a value are refused, each at its line
/// and column with a fix: a Git revision git would read as an option, a storage prefix that
/// leaves its path, and label keys and values the API server refuses.
#[test]
fn values_a_consumer_would_misread_are_validation_errors_at_the_field() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "@R@",
            "--upload-pack=touch pwned",
            "invalid-git-revision",
            "wl.yaml:63:",
        ),
        ("@R@", "main\nrm -rf", "invalid-git-revision", "wl.yaml:63:"),
        ("@R@", "a..b", "invalid-git-revision", "wl.yaml:63:"),
        (
            "@RP@",
            "../other-team/rendered",
            "invalid-rendered-path",
            "wl.yaml:64:",
        ),
        ("@RP@", "/rendered", "invalid-rendered-path", "wl.yaml:64:"),
        ("@P@", "wl/../other", "invalid-prefix-path", "wl.yaml:27:"),
        ("@P@", "wl//x", "invalid-prefix-path", "wl.yaml:27:"),
        ("@P@", "wl/", "invalid-prefix-path", "wl.yaml:27:"),
        ("@TK@", "{{ .x }}", "invalid-label-syntax", "wl.yaml:67:"),
        (
            "@TV@",
            "$(touch pwned)",
            "invalid-label-syntax",
            "wl.yaml:69:",
        ),
        ("@NV@", "a;b", "invalid-label-syntax", "wl.yaml:72:"),
    ];
    for (placeholder, value, code, at) in cases {
        let values: Vec<(&str, &str)> = VALID
            .iter()
            .map(|&(p, v)| {
                if p == *placeholder {
                    (p, *value)
                } else {
                    (p, v)
                }
            })
            .collect();
        let tmp = fleet(&values);
        let out = ck8s_gen(tmp.path(), &["validate"]);
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{value}: {text}");
        let finding = text
            .split("\n\n")
            .find(|f| f.contains(&format!("error[{code}]")) && f.contains("wl.yaml:"))
            .unwrap_or_else(|| panic!("{value}: no {code}: {text}"));
        assert!(finding.contains(at), "{value}: not at {at}: {finding}");
        assert!(finding.contains("help"), "{value}: no fix: {finding}");
        let rendered = ck8s_gen(tmp.path(), &["render"]);
        assert_eq!(rendered.status.code(), Some(1), "{value}");
        assert!(!tmp.path().join("rendered/wl").exists(), "{value}");
        assert!(!tmp.path().join("pwned").exists());
    }
}
