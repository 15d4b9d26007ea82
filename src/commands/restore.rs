//! `ck8s-gen restore`: print a Velero Restore (or the off-site recovery plan) to stdout and the
//! checklist to stderr.

use super::{err, fail, out, use_color};
use crate::ExitStatus;
use crate::cli::{ExistingResourcePolicy, Global};
use crate::diagnostic;
use crate::restore::{self, ExistingPolicy, RestoreError, Source};

pub struct Flags<'a> {
    pub environment: &'a str,
    pub from_schedule: Option<&'a str>,
    pub backup: Option<&'a str>,
    pub from_offsite: bool,
    pub at: Option<&'a str>,
    pub namespaces: &'a [String],
    pub to_namespace: &'a [String],
    pub existing_resource_policy: Option<ExistingResourcePolicy>,
    pub name: Option<&'a str>,
}

pub fn run(global: &Global, flags: &Flags<'_>) -> ExitStatus {
    let assets = match super::assets(global) {
        Ok(assets) => assets,
        Err(status) => return status,
    };
    // clap requires exactly one of the three.
    let source = match (flags.from_schedule, flags.backup, flags.from_offsite) {
        (Some(s), _, _) => Source::Schedule(s.to_owned()),
        (_, Some(b), _) => Source::Backup(b.to_owned()),
        (_, _, true) => Source::Offsite,
        (None, None, false) => return fail("give --from-schedule, --backup or --from-offsite"),
    };
    let planned = match restore::plan(&restore::Request {
        dir: &global.dir,
        assets: &assets,
        environment: flags.environment,
        source,
        namespaces: flags.namespaces,
        mappings: flags.to_namespace,
        policy: match flags.existing_resource_policy {
            Some(ExistingResourcePolicy::Update) => ExistingPolicy::Update,
            _ => ExistingPolicy::None,
        },
        name: flags.name,
        at: flags.at,
        today: super::today(),
    }) {
        Ok(planned) => planned,
        Err(RestoreError::Usage(message)) => return fail(message),
        Err(e) => return fail(e),
    };
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
        err(&format!(
            "error: `{}` has validation errors that make the restore objects wrong: fix them before restoring from it\n",
            planned.involved[0]
        ));
        return ExitStatus::Failure;
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
    let stream = match plan.stream() {
        Ok(stream) => stream,
        Err(e) => return fail(e),
    };
    for warning in &plan.warnings {
        err(&format!("warning: {warning}\n"));
    }
    err(&plan.checklist);
    out(&stream)
}
