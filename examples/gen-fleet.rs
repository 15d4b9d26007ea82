//! Write a synthetic fleet of N environments: `cargo run --release --example gen-fleet -- N DIR`.

#[path = "../bench/synthetic.rs"]
mod synthetic;

use std::process::ExitCode;

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(dir)) = (
        args.first().and_then(|n| n.parse::<usize>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: gen-fleet N DIR");
        return ExitCode::from(2);
    };
    if n == 0 {
        eprintln!("N must be at least 1");
        return ExitCode::from(2);
    }
    match synthetic::write(&synthetic::fleet(n), std::path::Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write {dir}: {e}");
            ExitCode::from(2)
        }
    }
}
