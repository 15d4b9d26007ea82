//! The quick reader of template output (`yaml::read_template_output`) is what keeps rendering
//! fast: every object the shipped templates write, for the shipped environments and for a
//! synthetic fleet covering every provider, engine and option, must be read by it (not by the
//! full parser), and to the same value the full parser gives.
//!
//! One test per binary: the fallback counter is process-wide.

/// "Today" for the dated rules (the date CI pins).
const TODAY_N: i64 = 20_782;
#[path = "../bench/synthetic.rs"]
mod synthetic;

use ck8s_gen::assets::Assets;
use ck8s_gen::environment::load::Input;
use ck8s_gen::render::{self, Options};
use ck8s_gen::validate::{Outcome, Validator};
use ck8s_gen::yaml;
use std::path::Path;

fn shipped(validator: &Validator<'_>) -> Outcome {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
    let mut common = None;
    let mut envs = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = Input::new(
            format!("environments/{name}"),
            std::fs::read(&path).unwrap(),
        );
        if name == "common.yaml" {
            common = Some(input);
        } else if name.ends_with(".yaml") {
            envs.push(input);
        }
    }
    validator.validate_inputs(common, envs, TODAY_N)
}

fn synthetic(validator: &Validator<'_>, n: usize) -> Outcome {
    let fleet = synthetic::fleet(n);
    let common = Input::new("environments/common.yaml", fleet.common.as_bytes());
    let envs = fleet
        .environments
        .iter()
        .map(|(file, text)| Input::new(format!("environments/{file}"), text.as_bytes()))
        .collect();
    validator.validate_inputs(Some(common), envs, TODAY_N)
}

#[test]
fn every_object_of_the_shipped_templates_takes_the_quick_path_to_the_same_value() {
    let assets = Assets::embedded();
    let validator = Validator::new(&assets).unwrap();
    let options = Options {
        source_label: "environments".to_owned(),
    };
    let before = yaml::template_fallbacks();
    let mut objects = 0;
    for outcome in [shipped(&validator), synthetic(&validator, 60)] {
        assert!(
            !outcome.has_failures(),
            "{:#?}",
            outcome
                .diagnostics
                .iter()
                .filter(|d| d.is_failure())
                .map(|d| (&d.code, &d.message))
                .collect::<Vec<_>>()
        );
        let bundle = render::render(&outcome, &assets, &options).unwrap();
        for object in &bundle.objects {
            // The canonical YAML is itself in the subset (block style, plain or quoted
            // scalars): read it both ways.
            let text = bundle.yaml(object);
            let full: serde_json::Value = yaml::from_yaml(text).unwrap();
            if let Some(quick) = yaml::read_template_output_quickly(text) {
                assert_eq!(quick, full, "{}", object.path);
            }
            objects += 1;
        }
    }
    assert!(objects > 500, "{objects}");
    assert_eq!(
        yaml::template_fallbacks() - before,
        0,
        "some template output went to the full parser: a template left the quick reader's subset"
    );
}
