//! The template `yaml` filter never lets a value change the document: any string, in any
//! position, reads back unchanged with our YAML 1.2 reader and (when python3 with PyYAML is
//! available) with a YAML 1.1 reader like the ones kubectl, Helm, Flux and Argo CD use.

// Tests say so (on stdout, shown with --nocapture) when an optional external checker is absent.
#![allow(clippy::print_stdout)]

use crate::support;

use ck8s_gen::assets::Assets;
use ck8s_gen::render::templates::Templates;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::process::Command;

const TEMPLATE: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: probe
  labels:
    text: {{ s | yaml }}
data:
  scalar: {{ s | yaml }}
  list:
    - {{ s | yaml }}
    - {{ [s, s] | yaml }}
  map: {{ {'k': s} | yaml }}
  keyed:
    {{ s | yaml }}: key
";

fn templates() -> Templates {
    let assets = Assets {
        schemas: Vec::new(),
        templates: vec![("probe.yaml.j2".to_owned(), Cow::Borrowed(TEMPLATE))],
    };
    Templates::new(&assets).unwrap()
}

fn expected(s: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "probe", "labels": {"text": s}},
        "data": {
            "scalar": s,
            "list": [s, [s, s]],
            "map": {"k": s},
            "keyed": {s: "key"},
        }
    })
}

/// Keywords and shapes that YAML readers treat specially.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "NO",
    "True",
    "null",
    "~",
    "0755",
    "0o755",
    "0x1F",
    "1e3",
    "1_000",
    "1:30",
    "190:20:30",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    ".nan",
    ".inf",
    "-",
    "- a",
    "a: b",
    ": ",
    "#",
    " #x",
    "x #y",
    "'",
    "\"",
    "\\",
    "\\n",
    "\n",
    "\n\n",
    " \n",
    "a\nb: c",
    "\r\n",
    "\t",
    "&a",
    "*a",
    "!tag",
    "!!str x",
    "%YAML",
    "---",
    "...",
    "{",
    "}",
    "[",
    "]",
    ",",
    "?",
    "|",
    ">",
    "@x",
    "`x`",
    "=",
    "<<",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "\u{9f}",
    "\u{fffe}",
    "é",
    "日本語",
    "🦀",
    "{{ .x }}",
    "${VAR}",
    "$$x",
    "  leading",
    "trailing  ",
    "a  b",
];

fn hostile_string() -> impl Strategy<Value = String> {
    let pieces: Vec<&'static str> = HOSTILE.to_vec();
    prop::collection::vec(prop::sample::select(pieces), 0..6).prop_map(|p| p.concat())
}

fn round_trip(t: &Templates, s: &str) -> Result<(), String> {
    let text = t
        .render("probe.yaml.j2", &json!({ "s": s }))
        .map_err(|e| e.to_string())?;
    let back: Value = ck8s_gen::yaml::from_yaml(&text).map_err(|e| format!("{e}\n{text}"))?;
    if back != expected(s) {
        return Err(format!("{s:?} read back as {back}\n{text}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_string_reads_back_unchanged(s in any::<String>()) {
        let t = templates();
        prop_assert!(round_trip(&t, &s).is_ok(), "{}", round_trip(&t, &s).unwrap_err());
    }

    #[test]
    fn yaml_hostile_strings_read_back_unchanged(s in hostile_string()) {
        let t = templates();
        prop_assert!(round_trip(&t, &s).is_ok(), "{}", round_trip(&t, &s).unwrap_err());
    }
}

#[test]
fn every_hostile_piece_reads_back_unchanged() {
    let t = templates();
    for s in HOSTILE {
        round_trip(&t, s).unwrap();
    }
}

/// A small deterministic generator (no extra dependency) for the PyYAML batch.
fn batch() -> Vec<String> {
    let mut out: Vec<String> = HOSTILE.iter().map(|s| (*s).to_owned()).collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let len = (next() % 5) as usize;
        let mut s = String::new();
        for _ in 0..len {
            if next() % 3 == 0 {
                s.push_str(HOSTILE[(next() % HOSTILE.len() as u64) as usize]);
            } else if let Some(c) = char::from_u32((next() % 0x3000) as u32) {
                s.push(c);
            }
        }
        out.push(s);
    }
    out
}

#[test]
fn a_yaml_1_1_reader_reads_the_same_values() {
    let has_pyyaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyyaml {
        support::skip(
            "a_yaml_1_1_reader_reads_the_same_values",
            "python3 with PyYAML (pip install pyyaml)",
        );
        return;
    }
    let t = templates();
    let strings = batch();
    let mut stream = String::new();
    for s in &strings {
        stream.push_str("---\n");
        stream.push_str(&t.render("probe.yaml.j2", &json!({ "s": s })).unwrap());
    }
    let expected: Vec<Value> = strings.iter().map(|s| expected(s)).collect();
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs.yaml");
    let want = tmp.path().join("expected.json");
    std::fs::write(&docs, &stream).unwrap();
    std::fs::write(&want, serde_json::to_string(&expected).unwrap()).unwrap();
    let script = "\
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')))
want = json.load(open(sys.argv[2], encoding='utf-8'))
bad = [i for i, (a, b) in enumerate(zip(docs, want)) if a != b]
if len(docs) != len(want) or bad:
    print(len(docs), len(want), [want[i]['data']['scalar'] for i in bad[:5]])
    sys.exit(1)
print('ok', len(docs))
";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&docs)
        .arg(&want)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyYAML read different values:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Any JSON-like value: nulls, booleans, integers of every range, floats, strings, lists, maps.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop::num::f64::NORMAL.prop_map(|f| json!(f)),
        hostile_string().prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(hostile_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The filter writes any value straight from the template engine's value; it reads back
    /// as the same value with the full parser and, when in its subset, the quick reader.
    #[test]
    fn any_value_reads_back_unchanged(v in any_value()) {
        let assets = Assets {
            schemas: Vec::new(),
            templates: vec![("v.yaml.j2".to_owned(), Cow::Borrowed("value: {{ v | yaml }}\nlist:\n  - {{ v | yaml }}\n"))],
        };
        let t = Templates::new(&assets).unwrap();
        let text = t.render("v.yaml.j2", &json!({ "v": v })).unwrap();
        let expected = json!({ "value": v, "list": [v] });
        let back: Value = ck8s_gen::yaml::from_yaml(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &expected, "{}", text);
        if let Some(quick) = ck8s_gen::yaml::read_template_output_quickly(&text) {
            prop_assert_eq!(&quick, &expected, "{}", text);
        }
    }
}
