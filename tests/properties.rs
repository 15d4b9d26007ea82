//! Property tests of the whole pipeline: random edits of the shipped environments never panic
//! and always yield located findings; validation and rendering do not depend on the order of
//! files or of keys; any string survives our YAML writer → our YAML 1.2 reader and a YAML 1.1
//! reader.
//!
//! Case counts are modest by default (debug builds on 2 cores); raise them with
//! `PROPTEST_CASES=10000 cargo test --release --test main properties::`.

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::diagnostic::{Diagnostic, Severity};
use ck8s_gen::diagnostic::{github, human, json};
use ck8s_gen::environment::load::Input;
use ck8s_gen::render::{self, Options};
use ck8s_gen::validate::{Outcome, Validator};
use ck8s_gen::yaml;
use proptest::prelude::*;

/// "Today" for the dated rules (the date CI pins).
const TODAY_N: i64 = 20_782;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{LazyLock, OnceLock};

static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::embedded);

fn validator() -> &'static Validator<'static> {
    static VALIDATOR: OnceLock<Validator<'static>> = OnceLock::new();
    VALIDATOR.get_or_init(|| Validator::new(&ASSETS).expect("embedded assets compile"))
}

/// The shipped `environments/`: `common.yaml` and the environment files, in name order.
fn shipped() -> (Input, Vec<Input>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let read = |p: &Path| {
        let name = format!("environments/{}", p.file_name().unwrap().to_string_lossy());
        Input::new(name, std::fs::read(p).unwrap())
    };
    let common = files.iter().find(|p| p.ends_with("common.yaml")).unwrap();
    let common = read(common);
    let envs: Vec<Input> = files
        .iter()
        .filter(|p| !p.ends_with("common.yaml"))
        .map(|p| read(p))
        .collect();
    assert!(envs.len() >= 3, "the shipped examples are there");
    (common, envs)
}

/// Modest case counts by default; `PROPTEST_CASES` overrides.
fn config(default_cases: u32) -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    config
}

#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    Indent(usize, i8),
    ReplaceScalar(usize, String),
    InsertBytes(usize, Vec<u8>),
    InsertText(usize, String),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let text = prop_oneof![
        any::<String>(),
        "[-a-z0-9 :{}\\[\\],&*!|>'\"#%@`?]{0,12}",
        Just("null".to_owned()),
        Just("~".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("30d".to_owned()),
        Just("0 0 * * * *".to_owned()),
        Just("&a x".to_owned()),
        Just("*a".to_owned()),
        Just("\"unterminated".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("1e400".to_owned()),
        Just("NO".to_owned()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), -4i8..=4).prop_map(|(l, d)| Edit::Indent(l, d)),
        (any::<usize>(), text.clone()).prop_map(|(l, t)| Edit::ReplaceScalar(l, t)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, b)| Edit::InsertBytes(at, b)),
        (any::<usize>(), text).prop_map(|(at, t)| Edit::InsertText(at, t)),
    ]
}

fn apply(bytes: &[u8], edit: &Edit) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let n = lines.len().max(1);
    match edit {
        Edit::DeleteLine(l) => {
            if !lines.is_empty() {
                lines.remove(l % n);
            }
        }
        Edit::DuplicateLine(l) => {
            if !lines.is_empty() {
                let line = lines[l % n].clone();
                lines.insert(l % n, line);
            }
        }
        Edit::Indent(l, delta) => {
            if let Some(line) = lines.get_mut(l % n) {
                if *delta >= 0 {
                    let mut indented = vec![b' '; *delta as usize];
                    indented.extend_from_slice(line);
                    *line = indented;
                } else {
                    let spaces = line.iter().take_while(|&&b| b == b' ').count();
                    line.drain(..spaces.min(delta.unsigned_abs() as usize));
                }
            }
        }
        Edit::ReplaceScalar(l, text) => {
            // Replace the value after the first `: ` (or the item after `- `) on the line.
            if let Some(line) = lines.get_mut(l % n) {
                let at = line
                    .windows(2)
                    .position(|w| w == b": " || w == b"- ")
                    .map(|i| i + 2);
                if let Some(at) = at {
                    let newline = line.ends_with(b"\n");
                    line.truncate(at);
                    line.extend_from_slice(text.as_bytes());
                    if newline {
                        line.push(b'\n');
                    }
                }
            }
        }
        Edit::InsertBytes(at, inserted) => {
            let mut out = bytes.to_vec();
            let at = at % (out.len() + 1);
            out.splice(at..at, inserted.iter().copied());
            return out;
        }
        Edit::InsertText(at, text) => {
            let mut out = bytes.to_vec();
            let at = at % (out.len() + 1);
            out.splice(at..at, text.bytes());
            return out;
        }
    }
    lines.concat()
}

/// Every error is located inside its file (on character boundaries) and every report format
/// renders.
fn check_located(outcome: &Outcome) -> Result<(), TestCaseError> {
    for d in &outcome.diagnostics {
        let located: Vec<_> = d.primary.iter().chain(&d.secondary).collect();
        if d.severity == Severity::Error {
            prop_assert!(d.primary.is_some(), "an error without a location: {:?}", d);
        }
        for label in located {
            let text = &outcome.sources.get(label.location.source).text;
            let span = label.location.span;
            prop_assert!(span.start <= span.end && span.end <= text.len(), "{:?}", d);
            prop_assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "{:?}",
                d
            );
        }
    }
    human::render(&outcome.diagnostics, &outcome.sources, true);
    json::render(&outcome.diagnostics, &outcome.sources);
    github::render(&outcome.diagnostics, &outcome.sources);
    Ok(())
}

#[test]
fn the_shipped_environments_validate_cleanly() {
    let (common, envs) = shipped();
    let outcome = validator().validate_inputs(Some(common), envs, TODAY_N);
    let errors: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_failure())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(outcome.valid().count() >= 3);
}

#[test]
fn a_random_edit_never_panics_and_every_error_is_located() {
    let (common, envs) = shipped();
    let files = envs.len();
    let mut runner = TestRunner::new(config(128));
    runner
        .run(
            &(
                0..files + 1,
                proptest::collection::vec(edit_strategy(), 1..4),
            ),
            |(target, edits)| {
                let mut common = common.clone();
                let mut envs = envs.clone();
                let file = if target == files {
                    &mut common
                } else {
                    &mut envs[target]
                };
                for edit in &edits {
                    file.bytes = apply(&file.bytes, edit);
                }
                let outcome = validator().validate_inputs(Some(common), envs, TODAY_N);
                check_located(&outcome)
            },
        )
        .unwrap();
}

/// The findings as the user sees them, file positions included.
fn findings(outcome: &Outcome) -> String {
    json::render(&outcome.diagnostics, &outcome.sources)
}

#[test]
fn validation_does_not_depend_on_file_order() {
    let (common, envs) = shipped();
    // A fleet with cross-environment findings: a duplicated bucket and an unknown manager.
    let mut fleet = envs.clone();
    for input in &envs {
        let text = String::from_utf8(input.bytes.clone()).unwrap();
        let copy = text
            .replacen("  name: ", "  name: copy-", 1)
            .replace("managedBy: mgmt-se", "managedBy: mgmt-sx");
        let name = input.display.replace(".yaml", "-copy.yaml");
        fleet.push(Input::new(name, copy));
    }
    let expected =
        findings(&validator().validate_inputs(Some(common.clone()), fleet.clone(), TODAY_N));
    assert!(expected.contains("duplicate-bucket-prefix"), "{expected}");
    let mut runner = TestRunner::new(config(32));
    runner
        .run(&Just(fleet).prop_shuffle(), |shuffled| {
            let outcome = validator().validate_inputs(Some(common.clone()), shuffled, TODAY_N);
            prop_assert_eq!(&findings(&outcome), &expected);
            Ok(())
        })
        .unwrap();
}

/// A block-style YAML file as a tree of entries: a line (with the comments above it) and the
/// more-indented lines under it.
#[derive(Clone, Debug)]
struct Entry {
    head: Vec<String>,
    children: Vec<Entry>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn parse_entries(lines: &[String], at: &mut usize, indent: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut comments = Vec::new();
    while *at < lines.len() {
        let line = &lines[*at];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            comments.push(line.clone());
            *at += 1;
            continue;
        }
        if indent_of(line) < indent {
            break;
        }
        let own = indent_of(line);
        let mut head = std::mem::take(&mut comments);
        head.push(line.clone());
        *at += 1;
        // A list item's own keys continue at the item's indentation + 2.
        let child_indent = if trimmed.starts_with("- ") {
            own + 2
        } else {
            own + 1
        };
        let children = parse_entries(lines, at, child_indent);
        out.push(Entry { head, children });
    }
    if !comments.is_empty() {
        out.push(Entry {
            head: comments,
            children: Vec::new(),
        });
    }
    out
}

/// Reorder the keys of every block mapping (never list items) with `seed`.
fn shuffle_entries(entries: &mut [Entry], seed: &mut u64) {
    for e in entries.iter_mut() {
        shuffle_entries(&mut e.children, seed);
    }
    let is_map = entries.iter().all(|e| {
        let line = e.head.last().unwrap().trim_start();
        !line.starts_with("- ") && !line.starts_with('#') && line.contains(':')
    });
    if is_map {
        for i in (1..entries.len()).rev() {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (*seed >> 33) as usize % (i + 1);
            entries.swap(i, j);
        }
    }
}

fn flatten(entries: &[Entry], out: &mut String) {
    for e in entries {
        for line in &e.head {
            out.push_str(line);
            out.push('\n');
        }
        flatten(&e.children, out);
    }
}

fn shuffle_keys(text: &str, mut seed: u64) -> String {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut entries = parse_entries(&lines, &mut 0, 0);
    shuffle_entries(&mut entries, &mut seed);
    let mut out = String::new();
    flatten(&entries, &mut out);
    out
}

/// Findings without positions (which move when keys move).
fn unlocated(outcome: &Outcome) -> Vec<(Severity, String, Option<String>, String)> {
    let mut out: Vec<_> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.severity,
                d.code.to_string(),
                d.environment.clone(),
                d.message.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn validation_does_not_depend_on_key_order() {
    let (common, envs) = shipped();
    // Findings too, not only a clean run: a too-short retention and a bad schedule.
    let mut inputs = envs.clone();
    let dev = String::from_utf8(envs[0].bytes.clone()).unwrap();
    let broken = dev
        .replacen("  name: dev-se", "  name: dev-broken", 1)
        .replace("ttl: 168h", "ttl: 30d")
        .replace("bucket: dev-se-velero", "bucket: dev-broken-velero");
    inputs.push(Input::new("environments/dev-broken.yaml", broken));
    let base = validator().validate_inputs(Some(common.clone()), inputs.clone(), TODAY_N);
    let expected = unlocated(&base);
    assert!(
        expected.iter().any(|d| d.1 == "invalid-duration"),
        "{expected:?}"
    );
    let mut runner = TestRunner::new(config(32));
    runner
        .run(&any::<u64>(), |seed| {
            let shuffle = |input: &Input, seed: u64| {
                let text = String::from_utf8(input.bytes.clone()).unwrap();
                Input::new(input.display.clone(), shuffle_keys(&text, seed))
            };
            let shuffled: Vec<Input> = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| shuffle(input, seed.wrapping_add(i as u64)))
                .collect();
            let outcome = validator().validate_inputs(
                Some(shuffle(&common, seed ^ 0x5eed)),
                shuffled,
                TODAY_N,
            );
            prop_assert_eq!(unlocated(&outcome), expected.clone());
            let values = |o: &Outcome| {
                o.environments
                    .iter()
                    .map(|c| c.loaded.value.clone())
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(values(&outcome), values(&base));
            Ok(())
        })
        .unwrap();
}

/// Every rendered file, bytes included (headers carry the input hash and the file names).
fn rendered(common: Input, envs: Vec<Input>) -> BTreeMap<String, Vec<u8>> {
    let outcome = validator().validate_inputs(Some(common), envs, TODAY_N);
    let options = Options {
        source_label: "environments".to_owned(),
    };
    render::render(&outcome, &ASSETS, &options)
        .expect("the shipped environments render")
        .files
}

#[test]
fn rendering_does_not_depend_on_file_order_or_key_order() {
    let (common, envs) = shipped();
    let expected = rendered(common.clone(), envs.clone());
    assert!(expected.len() > 10, "{:?}", expected.keys());
    assert_eq!(
        rendered(common.clone(), envs.clone()),
        expected,
        "deterministic"
    );
    let mut runner = TestRunner::new(config(16));
    runner
        .run(
            &(Just(envs).prop_shuffle(), any::<u64>()),
            |(shuffled, seed)| {
                let shuffle = |input: &Input, seed: u64| {
                    let text = String::from_utf8(input.bytes.clone()).unwrap();
                    Input::new(input.display.clone(), shuffle_keys(&text, seed))
                };
                let reordered: Vec<Input> = shuffled
                    .iter()
                    .enumerate()
                    .map(|(i, input)| shuffle(input, seed.wrapping_add(i as u64)))
                    .collect();
                let files = rendered(shuffle(&common, seed ^ 0x5eed), reordered);
                prop_assert_eq!(
                    files.keys().collect::<Vec<_>>(),
                    expected.keys().collect::<Vec<_>>()
                );
                for (path, bytes) in &files {
                    prop_assert!(bytes == &expected[path], "{} differs", path);
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn shuffling_keys_keeps_the_document() {
    let (_, envs) = shipped();
    for input in &envs {
        let text = String::from_utf8(input.bytes.clone()).unwrap();
        let shuffled = shuffle_keys(&text, 7);
        assert_ne!(text, shuffled, "{}", input.display);
        assert_eq!(
            yaml::documents(&text).unwrap(),
            yaml::documents(&shuffled).unwrap()
        );
    }
}

/// Strings that trip YAML readers: YAML 1.1 booleans, numbers, dates, nulls, indicators,
/// special characters and line breaks.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        "(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|on|On|ON|off|Off|OFF|null|Null|NULL|~|=|<<)",
        "[-+]?(0|0x|0o|0b|\\.)?[0-9_:.eE]{1,8}",
        "[-+]?(\\.inf|\\.Inf|\\.INF|\\.nan|\\.NaN|\\.NAN)",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?",
        "[-?:,\\[\\]{}#&*!|>'\"%@` \t\n]{1,6}[a-z]{0,3}",
        "[a-z ]{0,4}[\u{0}-\u{1f}\u{7f}-\u{a0}\u{2028}\u{2029}\u{feff}\u{fffe}]{1,3}[a-z ]{0,4}",
        "[a-z]{0,3}( |\t|\n|\r|\r\n)[a-z]{0,3}( |\t|\n)?",
    ]
}

#[test]
fn any_string_survives_our_writer_and_reader() {
    let mut runner = TestRunner::new(config(512));
    runner
        .run(&tricky_string(), |s| {
            let value = serde_json::json!({"key": s, "list": [s], s.clone(): 1});
            let text = yaml::to_yaml(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let back =
                yaml::documents(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(back, vec![value], "{}", text);
            Ok(())
        })
        .unwrap();
}

/// One `python3` run reads every emitted document with PyYAML (`safe_load_all`, YAML 1.1 as
/// kubectl's and Helm's go-yaml v2 read it) and prints them as JSON.
#[test]
fn any_string_survives_our_writer_and_a_yaml_1_1_reader() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        support::skip(
            "any_string_survives_our_writer_and_a_yaml_1_1_reader",
            "python3 with PyYAML (pip install pyyaml)",
        );
        return;
    }
    let cases = config(2000).cases as usize;
    let mut runner = TestRunner::deterministic();
    let strategy = tricky_string();
    let mut strings = Vec::with_capacity(cases);
    for _ in 0..cases {
        strings.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    let mut stream = String::new();
    for s in &strings {
        let value = serde_json::json!({"key": s});
        stream.push_str("---\n");
        stream.push_str(&yaml::to_yaml(&value).unwrap());
    }
    let script = "import sys, json, yaml\n\
                  docs = list(yaml.safe_load_all(sys.stdin.buffer.read().decode('utf-8')))\n\
                  sys.stdout.write(json.dumps(docs))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(stream.as_bytes()).unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "PyYAML could not read our output: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(docs.len(), strings.len());
    let mismatches: Vec<_> = strings
        .iter()
        .zip(&docs)
        .filter(|(s, doc)| doc["key"] != serde_json::Value::String((*s).clone()))
        .map(|(s, doc)| {
            let emitted = yaml::to_yaml(&serde_json::json!({"key": s})).unwrap();
            format!("{s:?} emitted as {emitted:?} read back as {}", doc["key"])
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} strings change under YAML 1.1:\n{}",
        mismatches.len(),
        strings.len(),
        mismatches.join("\n")
    );
}

/// A block node of a generated template-like document.
#[derive(Clone, Debug)]
enum Block {
    /// A scalar or flow node as written after `key: ` or `- `.
    Inline(String),
    /// A literal block scalar's lines.
    Literal(Vec<String>),
    Map(Vec<(String, Block)>),
    Seq(Vec<Block>),
}

fn inline_node(clean: bool) -> BoxedStrategy<String> {
    let strings = if clean {
        "[ -~]{0,10}".boxed()
    } else {
        tricky_string().boxed()
    };
    let flow = strings.prop_map(|s| {
        let v = serde_json::json!({ "k": s, "l": [s, 1, -2, true, null, {}, []] });
        match s.len() % 3 {
            0 => serde_json::to_string(&v["k"]).unwrap(),
            1 => serde_json::to_string(&v["l"]).unwrap(),
            _ => serde_json::to_string_pretty(&v).unwrap().replace('\n', " "),
        }
    });
    if clean {
        return prop_oneof![
            3 => "[a-zA-Z/][a-zA-Z0-9./:_ -]{0,10}",
            1 => "[0-9][0-9a-zA-Z.:_+-]{0,5}",
            3 => flow,
        ]
        .boxed();
    }
    prop_oneof![
        3 => "[a-zA-Z/][a-zA-Z0-9./:_ -]{0,10}",
        1 => "[0-9][0-9a-zA-Z.:_+-]{0,5}",
        1 => tricky_string().prop_filter("one line", |s| !s.contains(['\n', '\r'])),
        3 => flow,
        1 => "[a-z]{1,5} #[a-z ]{0,5}",
        1 => prop::sample::select(vec!["{}", "[]", "\"\"", "true", "false", "null", "0", "-1", "~", "|-", ">", "&a x", "*a", "!!str x", "'q'"]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn block_key(clean: bool) -> BoxedStrategy<String> {
    if clean {
        return "[a-z][a-zA-Z0-9./_-]{0,8}".boxed();
    }
    prop_oneof![
        6 => "[a-z][a-zA-Z0-9./_-]{0,8}",
        1 => prop::sample::select(vec!["y", "on", "True", "null", "1", "a b", "a:b", "-a", "\"q\"", "\"a: b\"", "? a"]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn block(clean: bool) -> impl Strategy<Value = Block> {
    let lines = if clean {
        "[!-~][ -~]{0,12}"
    } else {
        "[ -~]{0,12}"
    };
    let leaf = prop_oneof![
        6 => inline_node(clean).prop_map(Block::Inline),
        1 => prop::collection::vec(lines, 1..4).prop_map(Block::Literal),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec((block_key(clean), inner.clone()), 1..6).prop_map(Block::Map),
            prop::collection::vec(inner, 1..5).prop_map(Block::Seq),
        ]
    })
}

/// A pseudo-random number below `n` (a linear congruential step).
fn roll(seed: &mut u64, n: u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) % n
}

/// Write `block` at column `indent`; `seed` picks among equivalent layouts and adds comments
/// and blank lines.
fn write_block(block: &Block, indent: usize, seed: &mut u64, out: &mut String) {
    let pad = " ".repeat(indent);
    match block {
        Block::Inline(_) | Block::Literal(_) => unreachable!("written by the parent"),
        Block::Map(entries) => {
            for (key, value) in entries {
                if roll(seed, 8) == 0 {
                    out.push_str(&format!("{pad}# comment: {key}\n\n"));
                }
                out.push_str(&format!("{pad}{key}:"));
                write_value(value, indent, true, seed, out);
            }
        }
        Block::Seq(items) => {
            for item in items {
                out.push_str(&format!("{pad}-"));
                match item {
                    Block::Map(entries) if roll(seed, 2) == 0 => {
                        // Compact: the first entry on the dash's line.
                        let (key, value) = &entries[0];
                        out.push_str(&format!(" {key}:"));
                        write_value(value, indent + 2, true, seed, out);
                        write_block(&Block::Map(entries[1..].to_vec()), indent + 2, seed, out);
                    }
                    _ => write_value(item, indent, false, seed, out),
                }
            }
        }
    }
}

fn write_value(value: &Block, indent: usize, after_key: bool, seed: &mut u64, out: &mut String) {
    let same_column = after_key && roll(seed, 2) == 0;
    match value {
        Block::Inline(text) => out.push_str(&format!(" {text}\n")),
        Block::Literal(lines) => {
            out.push_str(" |\n");
            for line in lines {
                out.push_str(&format!("{}{line}\n", " ".repeat(indent + 2)));
            }
        }
        Block::Seq(_) if same_column => {
            out.push('\n');
            write_block(value, indent, seed, out);
        }
        Block::Map(_) | Block::Seq(_) => {
            out.push('\n');
            write_block(value, indent + 2, seed, out);
        }
    }
}

/// Documents like template output, and near misses.
fn template_like_document() -> impl Strategy<Value = String> {
    prop::bool::ANY.prop_flat_map(|clean| {
        (
            prop::collection::vec((block_key(clean), block(clean)), 1..5),
            any::<u64>(),
            // Document markers and their near misses before the first line.
            prop::sample::select(vec![
                "", "", "", "---\n", " ---\n", "--- x\n", "# c\n", "...\n",
            ]),
        )
            .prop_map(|(entries, mut seed, start)| {
                let mut out = start.to_owned();
                write_block(&Block::Map(entries), 0, &mut seed, &mut out);
                out
            })
    })
}
/// The quick reader of template output gives up or agrees with the full parser; it never
/// accepts what the full parser refuses.
#[test]
fn the_quick_template_reader_agrees_with_the_full_parser() {
    let config = config(2048);
    let cases = config.cases as usize;
    let mut runner = TestRunner::new(config);
    let accepted = std::cell::Cell::new(0usize);
    runner
        .run(&template_like_document(), |text| {
            if let Some(quick) = yaml::read_template_output_quickly(&text) {
                accepted.set(accepted.get() + 1);
                let full: serde_json::Value = yaml::from_yaml(&text).map_err(|e| {
                    TestCaseError::fail(format!("quick accepted, full refused: {e}\n{text}"))
                })?;
                prop_assert_eq!(quick, full, "{}", text);
            }
            Ok(())
        })
        .unwrap();
    // The generator must exercise the quick path, not only its refusals (about a fifth of
    // the documents are in its subset).
    assert!(
        accepted.get() * 20 >= cases,
        "{} of {cases}",
        accepted.get()
    );
}
