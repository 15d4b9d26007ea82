//! `ck8s-gen restore`: print a Velero Restore (or the off-site recovery plan) to stdout and the
//! checklist to stderr.

use super::{Error, err, fail, out, use_color};
use crate::ExitStatus;
use crate::cli::{Global, RestoreArgs};
use crate::diagnostic;
use crate::restore::{self, Source};

pub fn run(global: &Global, args: &RestoreArgs, today: i64) -> Result<ExitStatus, Error> {
    let assets = super::assets(global)?;
    // clap requires exactly one of the three.
    let source = match (&args.from_schedule, &args.backup, args.from_offsite) {
        (Some(s), _, _) => Source::Schedule(s.clone()),
        (_, Some(b), _) => Source::Backup(b.clone()),
        (_, _, true) => Source::Offsite,
        (None, None, false) => {
            return Err(fail("give --from-schedule, --backup or --from-offsite"));
        }
    };
    let planned = restore::plan(&restore::Request {
        dir: &global.dir,
        assets: &assets,
        environment: &args.environment,
        source,
        namespaces: &args.namespaces,
        mappings: &args.to_namespace,
        policy: args.existing_resource_policy.unwrap_or_default(),
        name: args.name.as_deref(),
        at: args.at.as_deref(),
        today,
    })
    .map_err(fail)?;
    // Findings about the environments this restore involves (others are not our business).
    let findings: Vec<_> = planned
        .outcome
        .diagnostics
        .iter()
        .filter(|d| {
            d.environment
                .as_ref()
                .is_some_and(|e| planned.involved.contains(e))
        })
        .filter(|d| d.is_failure() || d.severity != crate::diagnostic::Severity::Note)
        .cloned()
        .collect();
    if !findings.is_empty() {
        err(&diagnostic::render(
            global.format,
            &findings,
            &planned.outcome.sources,
            use_color(global.color),
        ));
    }
    let Some(plan) = planned.plan else {
        return Err(Error::Failure(format!(
            "error: `{}` has validation errors that make the restore objects wrong: fix them before restoring from it\n",
            planned.involved[0]
        )));
    };
    let ignored: Vec<&str> = findings
        .iter()
        .filter(|d| d.is_failure())
        .map(|d| d.code.as_str())
        .collect();
    if !ignored.is_empty() {
        err(&format!(
            "note: restoring despite {} the printed objects: {}\n",
            if ignored.len() == 1 {
                "1 error that does not change".to_owned()
            } else {
                format!("{} errors that do not change", ignored.len())
            },
            ignored.join(", ")
        ));
    }
    let stream = plan.stream().map_err(fail)?;
    for warning in &plan.warnings {
        err(&format!("warning: {warning}\n"));
    }
    err(&plan.checklist);
    out(&stream)?;
    Ok(ExitStatus::Success)
}
