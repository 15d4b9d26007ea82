//! The `ck8s-gen` binary: parse arguments, run, exit with 0 (success), 1 (findings) or 2 (error).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = ck8s_gen::cli::Cli::parse();
    ck8s_gen::commands::run(cli).into()
}
