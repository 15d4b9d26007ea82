//! `ck8s-gen report [ENV…] [--as markdown|html|json] [--out FILE]`: the compliance evidence
//! report. The only impure parts live here: the git commit and the output file.

use super::{err, fail, out};
use crate::ExitStatus;
use crate::cli::{Global, ReportFormat};
use crate::compliance::catalog::Catalog;
use crate::evidence::{self, Inputs, Verdict};
use std::path::Path;
use std::process::Command;

pub fn run(
    global: &Global,
    environments: &[String],
    format: Option<ReportFormat>,
    out_file: Option<&Path>,
) -> ExitStatus {
    let format = format
        .or_else(|| out_file.and_then(ReportFormat::from_path))
        .unwrap_or(ReportFormat::Markdown);
    let assets = match super::assets(global) {
        Ok(a) => a,
        Err(status) => return status,
    };
    let catalog = match Catalog::load(&assets) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let outcome = match crate::validate::validate(&crate::validate::Request {
        dir: &global.dir,
        only: environments,
        assets: &assets,
        today: super::today(),
    }) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let evidence = evidence::build(
        &outcome,
        &Inputs {
            catalog: &catalog,
            assets: &assets,
            commit: commit(&global.dir),
            today: super::today(),
            directory: global.dir.to_string_lossy().into_owned(),
        },
    );
    let text = match format {
        ReportFormat::Markdown => evidence::markdown::render(&evidence),
        ReportFormat::Json => evidence::to_json(&evidence),
        ReportFormat::Html => match evidence::html::render(&evidence) {
            Ok(text) => text,
            Err(e) => return fail(format!("cannot render the HTML report: {e}")),
        },
    };
    // Masked and neutralized for the file too (stdout goes through `out`, which masks).
    let text =
        crate::secrets::redact::neutralize(&crate::secrets::redact::redact(&text)).into_owned();
    let out_file = out_file.filter(|p| p.as_os_str() != "-");
    let written = match out_file {
        None => out(&text),
        Some(path) => match crate::source::safefs::write_file(path, text.as_bytes()) {
            Ok(()) => ExitStatus::Success,
            Err(e) => return fail(e),
        },
    };
    if written == ExitStatus::Error {
        return written;
    }
    let s = &evidence.summary;
    let verdict = match s.verdict {
        Verdict::Pass => "pass".to_owned(),
        Verdict::Warnings => format!("pass with open warnings in {}", s.with_warnings),
        Verdict::Fail => format!("FAIL in {}", s.failing),
    };
    let target = out_file.map_or_else(String::new, |p| format!(" to {}", p.display()));
    err(&format!(
        "report{target}: {} environment{}, {verdict}\n",
        s.environments,
        if s.environments == 1 { "" } else { "s" },
    ));
    if outcome.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// The commit to record: `CK8S_GEN_COMMIT` when set (empty: none), else `git rev-parse HEAD`
/// of the repository holding `dir`, with `-dirty` when files under `dir` differ from it
/// (untracked ones included). `None` outside a repository or without git.
fn commit(dir: &Path) -> Option<String> {
    if let Some(value) = std::env::var_os("CK8S_GEN_COMMIT") {
        let value = value.to_string_lossy().trim().to_owned();
        return (!value.is_empty()).then_some(value);
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--verify", "HEAD"]).filter(|h| !h.is_empty())?;
    let dirty = git(&["status", "--porcelain", "--", "."]).is_none_or(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
