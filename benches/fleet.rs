//! In-process figures per environment: parse, layer, validate, render, emit and write,
//! over synthetic fleets. `cargo bench --bench fleet` prints a Markdown table.
//!
//! `FLEET_SIZES=1,100,1000,10000` chooses the fleet sizes (default `1,100,1000`).
//! End-to-end process timings (start to files written) are in `bench/run.sh`.

/// "Today" for the dated rules (the date CI pins).
const TODAY_N: i64 = 20_782;
#[path = "../bench/synthetic.rs"]
mod synthetic;

use ck8s_gen::assets::Assets;
use ck8s_gen::environment::load::{self, Input};
use ck8s_gen::render::{self, Options};
use ck8s_gen::source::{SourceFile, SourceId};
use ck8s_gen::tree;
use ck8s_gen::validate::Validator;
use ck8s_gen::yaml;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Run `f` until `budget` is spent (at least 3 times) and return the median duration.
fn measure<T>(budget: Duration, mut f: impl FnMut() -> T) -> Duration {
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 3 || (started.elapsed() < budget && samples.len() < 1000) {
        let t = Instant::now();
        black_box(f());
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn micros(d: Duration, per: usize) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6 / per as f64)
}

fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn inputs(fleet: &synthetic::Fleet) -> (Input, Vec<Input>) {
    (
        Input::new("environments/common.yaml", fleet.common.as_bytes()),
        fleet
            .environments
            .iter()
            .map(|(file, text)| Input::new(format!("environments/{file}"), text.as_bytes()))
            .collect(),
    )
}

#[allow(clippy::print_stdout)]
fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing we need.
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let sizes: Vec<usize> = std::env::var("FLEET_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if quick {
                vec![1, 10]
            } else {
                vec![1, 100, 1000]
            }
        });
    let budget = Duration::from_millis(if quick { 10 } else { 2000 });

    let assets = Assets::embedded();
    let compile = measure(budget, || Validator::new(&assets).map(|_| ()));
    let validator = Validator::new(&assets).expect("embedded assets compile");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    println!("ck8s-gen in-process benchmark ({threads} threads available)\n");
    println!(
        "Compile the schema and profiles once per process: {} ms\n",
        millis(compile)
    );
    println!(
        "| N | parse µs/env | load+layer µs/env | validate µs/env | render µs/env | emit µs/env | write µs/env | files | total ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let options = Options {
        source_label: "environments".to_owned(),
    };
    for &n in &sizes {
        let fleet = synthetic::fleet(n);
        let (common, envs) = inputs(&fleet);
        let files: Vec<SourceFile> = fleet
            .environments
            .iter()
            .map(|(file, text)| SourceFile::new(file.clone(), text.clone()))
            .collect();
        let parse = measure(budget, || {
            for file in &files {
                black_box(yaml::parse_document(file, SourceId(1)).is_ok());
            }
        });
        let defaults = assets.schema(ck8s_gen::assets::DEFAULTS).unwrap();
        let layer = measure(budget, || {
            load::load_inputs(defaults, Some(common.clone()), envs.clone())
        });
        let validate = measure(budget, || {
            validator.validate_inputs(Some(common.clone()), envs.clone(), TODAY_N)
        });
        let outcome = validator.validate_inputs(Some(common.clone()), envs.clone(), TODAY_N);
        let failures: Vec<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_failure())
            .map(|d| {
                format!(
                    "{} [{}]: {}",
                    d.code,
                    d.environment.as_deref().unwrap_or(""),
                    d.message
                )
            })
            .collect();
        assert!(
            failures.is_empty(),
            "the synthetic fleet is not valid:\n{}",
            failures.join("\n")
        );
        assert_eq!(outcome.environments.len(), n);
        let render = measure(budget, || {
            render::render(&outcome, &assets, &options).map(|b| b.files.len())
        });
        let bundle =
            render::render(&outcome, &assets, &options).expect("the synthetic fleet renders");
        // Emit: the canonical YAML of every rendered object, from its value (part of render).
        let values: Vec<serde_json::Value> = bundle
            .objects
            .iter()
            .map(|o| yaml::from_yaml(bundle.yaml(o)).expect("rendered YAML reads back"))
            .collect();
        let emit = measure(budget, || {
            values
                .iter()
                .map(|v| yaml::to_yaml(v).map_or(0, |t| t.len()))
                .sum::<usize>()
        });
        let write = measure(budget, || {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let out = dir.path().join("rendered");
            tree::write(&bundle.files, &out, &tree::Scope::All).expect("written");
            dir
        });
        let total = validate + render + write;
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} | {} | {} |",
            micros(parse, n),
            micros(layer, n),
            micros(validate, n),
            micros(render, n),
            micros(emit, n),
            micros(write, n),
            bundle.files.len(),
            millis(total),
        );
    }
    println!(
        "\nparse: YAML + span index of one file; load+layer: decode, parse and layer over the \
         defaults and common.yaml; validate: load+layer, schema, semantic, profile and fleet \
         checks; render: templates, typed objects, canonical YAML and headers, in memory; \
         emit: writing every rendered object's canonical YAML from its value, one thread \
         (a part of render); \
         write: the tree written to a new directory (staged, then moved into place); \
         total: validate + render + write."
    );
}
