//! The integration tests, one binary (`cargo test --test main`): one module per area, the
//! shared helpers in `support`. A file in `tests/` that is not a module here is not compiled
//! (`autotests = false`); `every_test_file_is_a_module` fails when one is left out.

mod support;

mod architecture;
mod argocd;
mod bad_input;
mod blast_radius;
mod cache;
mod cases;
mod chart_values;
mod cli;
mod compliance;
mod coverage;
mod dates;
mod diff;
mod hostile;
mod output_schemas;
mod properties;
mod regulations_cli;
mod render;
mod renderers;
mod report;
mod restore;
mod schema;
mod sinks;
mod template_reader;
mod yaml_filter;

/// Every `tests/*.rs` file is a module of this binary: with `autotests = false` a file left
/// out would silently never run.
#[test]
fn every_test_file_is_a_module() {
    let dir = support::repo().join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("read tests/main.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read tests/") {
        let path = entry.expect("entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !main.lines().any(|l| l == format!("mod {module};"))
        {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{missing:?} not declared as `mod NAME;` in tests/main.rs, so never compiled"
    );
}
