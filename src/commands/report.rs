//! `ck8s-gen report [ENV…] [--as markdown|html|json] [--out FILE]`: the compliance evidence
//! report. The only impure parts live here: the git commit and the output file.

use super::{Error, err, fail, out};
use crate::ExitStatus;
use crate::cli::{Global, ReportArgs, ReportFormat};
use crate::compliance::catalog::Catalog;
use crate::evidence::{self, Inputs, Verdict};
use std::path::Path;
use std::process::Command;

pub fn run(global: &Global, args: &ReportArgs, today: i64) -> Result<ExitStatus, Error> {
    let out_file = args.out.as_deref();
    let format = args
        .report_format
        .or_else(|| out_file.and_then(ReportFormat::from_path))
        .unwrap_or(ReportFormat::Markdown);
    let assets = super::assets(global)?;
    let catalog = Catalog::load(&assets).map_err(fail)?;
    let outcome = crate::validate::validate(&crate::validate::Request {
        dir: &global.dir,
        only: &args.environments,
        assets: &assets,
        today,
    })
    .map_err(fail)?;
    let evidence = evidence::build(
        &outcome,
        &Inputs {
            catalog: &catalog,
            assets: &assets,
            commit: commit(&global.dir),
            today,
            directory: global.dir.to_string_lossy().into_owned(),
        },
    );
    let text = match format {
        ReportFormat::Markdown => evidence::markdown::render(&evidence),
        ReportFormat::Json => evidence::to_json(&evidence),
        ReportFormat::Html => evidence::html::render(&evidence)
            .map_err(|e| fail(format!("cannot render the HTML report: {e}")))?,
    };
    // Masked and neutralized for the file too (stdout goes through `out`, which masks).
    let text =
        crate::secrets::redact::neutralize(&crate::secrets::redact::redact(&text)).into_owned();
    let out_file = out_file.filter(|p| p.as_os_str() != "-");
    match out_file {
        None => out(&text)?,
        Some(path) => crate::source::safefs::write_file(path, text.as_bytes()).map_err(fail)?,
    }
    let s = &evidence.summary;
    let verdict = match s.verdict {
        Verdict::Pass => "pass".to_owned(),
        Verdict::Warnings => format!("pass with open warnings in {}", s.with_warnings),
        Verdict::Fail => format!("FAIL in {}", s.failing),
    };
    let target = out_file.map_or_else(String::new, |p| format!(" to {}", p.display()));
    err(&format!(
        "report{target}: {}, {verdict}\n",
        crate::text::count(s.environments, "environment"),
    ));
    Ok(if outcome.has_failures() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
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
