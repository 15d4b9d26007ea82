//! `ck8s-gen completions` and `ck8s-gen man`: generated from the clap definition at run time.

use super::{fail, out};
use crate::ExitStatus;
use crate::cli::Cli;
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> ExitStatus {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "ck8s-gen", &mut buffer);
    out(&String::from_utf8_lossy(&buffer))
}

pub fn man() -> ExitStatus {
    let mut buffer = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buffer) {
        return fail(e);
    }
    out(&String::from_utf8_lossy(&buffer))
}
