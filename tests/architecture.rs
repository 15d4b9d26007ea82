//! The module map in `src/lib.rs` is the law: every module is in it, and a module reaches only
//! modules of lower layers through `crate::` paths (so there is no cycle between modules).
//! This is the tool the README's Architecture section names: it reads the sources, nothing else.

use std::collections::BTreeMap;
use std::path::Path;

/// Highest layer first, as in the `src/lib.rs` map.
const LAYERS: &[&[&str]] = &[
    &["commands"],
    &["cli"],
    &["argocd", "cache", "diff", "restore", "evidence"],
    &["tree"],
    &["render"],
    &["validate"],
    &["compliance"],
    &["checks"],
    &["schema"],
    &["environment"],
    &["assets"],
    &["yaml"],
    &["diagnostic"],
    &["secrets"],
    &["source"],
    &["velero"],
    &["text"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir` with its top-level module (`src/render/mod.rs` → `render`).
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            sources(&path, Some(top.unwrap_or(&name)), out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let module = top.unwrap_or(stem).to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), module, text));
        }
    }
}

/// The top-level modules a file names as `crate::NAME`, outside comments.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !(name.chars().next().unwrap().is_uppercase()) {
                found.push((number + 1, name));
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_module_is_on_the_map_and_uses_only_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), None, &mut files);
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, module, text) in &files {
        if module == "main" || module == "lib" {
            continue;
        }
        let Some(own) = layer_of(module) else {
            problems.push(format!(
                "{path}: module `{module}` is not in the map (src/lib.rs, tests/architecture.rs)"
            ));
            continue;
        };
        for (line, used) in crate_paths(text) {
            if used == *module {
                continue;
            }
            let Some(theirs) = layer_of(&used) else {
                problems.push(format!("{path}:{line}: `crate::{used}` is not in the map"));
                continue;
            };
            edges
                .entry((module.clone(), used.clone()))
                .or_insert(format!("{path}:{line}"));
            if theirs <= own {
                problems.push(format!(
                    "{path}:{line}: `{module}` (layer {}) uses `crate::{used}` (layer {}): a module may use only lower layers",
                    own + 1,
                    theirs + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        edges.len() > 40,
        "the scan found too few dependencies to be reading the sources: {edges:?}"
    );
}

#[test]
fn the_lib_map_names_every_module_and_declares_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    for module in LAYERS.iter().flat_map(|l| l.iter()) {
        assert!(
            lib.contains(&format!("pub mod {module};")),
            "src/lib.rs does not declare `{module}`"
        );
        assert!(
            lib.contains(&format!("`{module}`")),
            "the map in src/lib.rs does not name `{module}`"
        );
    }
    let declared = lib.lines().filter(|l| l.starts_with("pub mod ")).count();
    let mapped: usize = LAYERS.iter().map(|l| l.len()).sum();
    assert_eq!(
        declared, mapped,
        "src/lib.rs declares a module tests/architecture.rs does not place"
    );
}

#[test]
fn the_scan_sees_a_path_and_skips_comments() {
    let found = crate_paths("use crate::render::x; // crate::cli\nlet a = crate::Thing;");
    assert_eq!(found, vec![(1, "render".to_string())]);
}
