//! The on-demand Velero `Restore` (`--from-schedule`, `--backup`): the object, its deterministic
//! name and the operator's checklist for it.

use super::error::{RestoreError, usage};
use super::lookup::{Cx, velero_of};
use super::namespaces::{is_dns_label, mapping};
use super::output::Plan;
use super::request::{ExistingPolicy, Request, Source, command_line};
use super::steps::{Steps, erasure_step, pause_step, resume_step};
use crate::environment::model::{Environment, Role};
use crate::render::context::{EnvView, base_labels};
use crate::render::{names, object};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The short name of a Schedule: `velero-daily-backup` → `daily`.
fn short_name(schedule: &str) -> &str {
    schedule
        .strip_prefix("velero-")
        .and_then(|s| s.strip_suffix("-backup"))
        .unwrap_or(schedule)
}

/// The Schedule a `--from-schedule` argument names.
fn resolve_schedule(view: &EnvView, env: &str, want: &str) -> Result<String, RestoreError> {
    let velero = velero_of(view, env)?;
    let names: Vec<&str> = velero.schedules.iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        return Err(usage(format!(
            "environment `{env}` renders no Schedule (a management cluster backs up only the user Grafana, with `backup.dashboards.grafana`): there is nothing to restore"
        )));
    }
    for name in &names {
        let short = short_name(name);
        if want == *name || want == short || want == format!("{short}-backup") {
            return Ok((*name).to_owned());
        }
    }
    let mut candidates: Vec<&str> = names.clone();
    candidates.extend(names.iter().map(|n| short_name(n)));
    let listed: Vec<String> = names
        .iter()
        .map(|n| format!("`{}` ({n})", short_name(n)))
        .collect();
    let hint = crate::text::suggest::did_you_mean(want, candidates)
        .map(|n| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    Err(usage(format!(
        "environment `{env}` has no Schedule `{want}`; {hint}its Schedules: {}",
        listed.join(", ")
    )))
}

/// `<env>-<source>-<hash>`, at most 63 characters: the same request gives the same name, a
/// different spec a different one.
pub fn restore_name(env: &str, source: &str, spec: &serde_json::Value) -> String {
    let digest = Sha256::digest(spec.to_string().as_bytes());
    let hash = crate::text::hex(&digest[..4]);
    let mut base = format!("{env}-{source}");
    base.truncate(63 - 1 - hash.len());
    let base = base.trim_end_matches(['-', '.']);
    format!("{base}-{hash}")
}

pub(super) fn restore_plan(
    cx: &Cx<'_>,
    source: &Source,
    request: &Request<'_>,
) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let velero = velero_of(cx.view, name)?;
    let mut warnings = Vec::new();
    let (schedule_name, backup_name, source_label, ttl) = match source {
        Source::Schedule(want) => {
            let schedule = resolve_schedule(cx.view, name, want)?;
            let ttl = velero
                .schedules
                .iter()
                .find(|s| s.name == schedule)
                .map(|s| s.ttl.clone())
                .unwrap_or_else(|| velero.ttl.clone());
            let short = short_name(&schedule).to_owned();
            (Some(schedule), None, short, ttl)
        }
        Source::Backup(backup) => {
            if !is_dns_label(backup) {
                return Err(usage(format!(
                    "`{backup}` is not a backup name (a DNS label: lowercase letters, digits and `-`, at most 63 characters)"
                )));
            }
            let from = velero
                .schedules
                .iter()
                .find(|s| backup.starts_with(&format!("{}-", s.name)));
            if from.is_none() {
                warnings.push(format!(
                    "backup `{backup}` is not named after a Schedule of `{name}` ({}-<timestamp>): check that it is one of this environment's backups (`velero -n {} backup get`)",
                    velero
                        .schedules
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join("-…, "),
                    velero.namespace
                ));
            }
            let ttl = from
                .map(|s| s.ttl.clone())
                .unwrap_or_else(|| velero.ttl.clone());
            (None, Some(backup.clone()), backup.clone(), ttl)
        }
        Source::Offsite => unreachable!("handled by offsite_plan"),
    };
    let mut namespaces: Vec<String> = Vec::new();
    for ns in request.namespaces {
        if !is_dns_label(ns) {
            return Err(usage(format!(
                "--namespace `{ns}` is not a namespace name (a DNS label: lowercase letters, digits and `-`, at most 63 characters)"
            )));
        }
        if namespaces.contains(ns) {
            return Err(usage(format!("--namespace `{ns}` is given twice")));
        }
        namespaces.push(ns.clone());
    }
    for ns in &namespaces {
        let excluded = match env.cluster.role {
            Role::Workload => env.backup.scope.all_excluded_namespaces().contains(ns),
            Role::Management => ns != "monitoring",
        };
        if excluded {
            warnings.push(format!(
                "namespace `{ns}` is not in the backups of `{name}` (see `ck8s-gen coverage {name}`): the restore will find nothing there"
            ));
        }
    }
    let map = mapping(request.mappings, &namespaces)?;
    if request.policy == ExistingPolicy::Update {
        warnings.push(
            "--existing-resource-policy update: objects that already exist are patched to their backed-up state (best effort). This breaks the CK8S promise that a restore never overwrites anything; check every updated object in `velero restore describe --details`".to_owned(),
        );
    }
    let spec = json!({
        "environment": name,
        "scheduleName": schedule_name,
        "backupName": backup_name,
        "includedNamespaces": namespaces,
        "namespaceMapping": map,
        "existingResourcePolicy": request.policy.as_str(),
    });
    let restore_name = match request.name {
        Some(n) if is_dns_label(n) => n.to_owned(),
        Some(n) => {
            return Err(usage(format!(
                "--name `{n}` is not a Restore name (a DNS label: lowercase letters, digits and `-`, at most 63 characters; it becomes a label value)"
            )));
        }
        None => restore_name(name, &source_label, &spec),
    };
    let mut labels = base_labels(name);
    labels.insert("ck8s-gen.io/restore".to_owned(), "on-demand".to_owned());
    let restore = object(
        cx.templates,
        names::RESTORE,
        &json!({
            "env": cx.view,
            "restore": {
                "name": restore_name,
                "schedule_name": schedule_name,
                "backup_name": backup_name,
                "namespaces": namespaces,
                "mapping": map,
                "policy": request.policy.as_str(),
                "labels": labels,
            },
        }),
    )?;
    let checklist = restore_checklist(
        cx,
        &RestoreFacts {
            name: &restore_name,
            schedule: schedule_name.as_deref(),
            backup: backup_name.as_deref(),
            namespaces: &namespaces,
            mapping: &map,
            policy: request.policy,
            ttl: &ttl,
            velero_namespace: &velero.namespace,
            priorities: velero.restore_priorities.as_deref(),
            command: &command_line(name, request),
        },
    );
    Ok(Plan {
        environment: name.clone(),
        cluster: name.clone(),
        objects: vec![restore],
        warnings,
        checklist,
    })
}

struct RestoreFacts<'a> {
    name: &'a str,
    schedule: Option<&'a str>,
    backup: Option<&'a str>,
    namespaces: &'a [String],
    mapping: &'a BTreeMap<String, String>,
    policy: ExistingPolicy,
    ttl: &'a str,
    velero_namespace: &'a str,
    priorities: Option<&'a str>,
    command: &'a str,
}

fn role_name(env: &Environment) -> &'static str {
    env.cluster.role.as_str()
}

fn restore_checklist(cx: &Cx<'_>, f: &RestoreFacts<'_>) -> String {
    let env = cx.env;
    let name = &env.metadata.name;
    let ns = f.velero_namespace;
    let mut steps = Steps::new(format!(
        "Restore `{}` of environment `{name}` ({} cluster, Velero namespace `{ns}`)\n",
        f.name,
        role_name(env)
    ));
    let from = match (f.schedule, f.backup) {
        (Some(s), _) => format!(
            "the latest completed backup of Schedule `{s}` (Velero picks it when the restore starts)"
        ),
        (_, Some(b)) => format!("backup `{b}`"),
        _ => String::new(),
    };
    let _ = writeln!(steps.text, "  from:        {from}");
    let namespaces = if f.namespaces.is_empty() {
        "every namespace in the backup".to_owned()
    } else {
        f.namespaces.join(", ")
    };
    let _ = writeln!(steps.text, "  namespaces:  {namespaces}");
    if !f.mapping.is_empty() {
        let pairs: Vec<String> = f
            .mapping
            .iter()
            .map(|(a, b)| format!("{a} → {b}"))
            .collect();
        let _ = writeln!(steps.text, "  restored as: {}", pairs.join(", "));
    }
    let existing = match f.policy {
        ExistingPolicy::None => {
            "none: whatever already exists is left as it is (nothing is overwritten)"
        }
        ExistingPolicy::Update => "update: what already exists is patched to its backed-up state",
    };
    let _ = writeln!(steps.text, "  existing:    {existing}");
    let order = match f.priorities {
        Some(p) => format!(
            "{}, then everything else (Velero server flag --restore-resource-priorities, chart value configuration.restoreResourcePriorities)",
            p.replace(',', ", ")
        ),
        None => "Velero's built-in order (`backup.scope.restorePriorities` is empty)".to_owned(),
    };
    let _ = writeln!(steps.text, "  order:       {order}");

    steps.section("Before applying:");
    let example_ns = f
        .mapping
        .values()
        .next()
        .or(f.namespaces.first())
        .map_or("NAMESPACE", String::as_str);
    let mut lines = vec![
        "Velero never overwrites what exists. To get a running resource back as it was in the backup, delete it first, e.g.".to_owned(),
        format!("  kubectl -n {example_ns} delete deployment/NAME"),
        "When a pod is restored, its volumes get their backed-up files written into them (overwriting files with the same names) but are not wiped: delete the PVC too to get exactly the backed-up data.".to_owned(),
    ];
    if f.policy == ExistingPolicy::Update {
        lines[0] = "With `update`, objects that exist are patched to their backed-up state (best effort); objects that are not in the backup stay. To get a running pod back as it was, still delete it first.".to_owned();
        lines.remove(1);
    }
    if !f.mapping.is_empty() {
        let targets: Vec<&str> = f.mapping.values().map(String::as_str).collect();
        lines.push(format!(
            "The target namespaces ({}) should not exist yet: objects already in them are skipped.",
            targets.join(", ")
        ));
    }
    steps.step(&lines);
    pause_step(
        cx,
        &mut steps,
        "if the primary bucket is damaged, the next sync would carry the damage to the off-site copy",
    );
    steps.step(&[
        format!("Apply in the cluster of `{name}`:"),
        format!("  {} | kubectl create -f -", f.command),
        format!(
            "`create`, not `apply`: a Restore runs once. If `{}` exists from an earlier run, delete it (`velero -n {ns} restore delete {}`) or pass --name.",
            f.name, f.name
        ),
    ]);

    steps.section("After:");
    steps.step(&[
        "Follow it until `Completed` (`PartiallyFailed` lists what failed; objects skipped because they exist are warnings):".to_owned(),
        format!("  kubectl -n {ns} get restore {} -w", f.name),
        format!("  velero -n {ns} restore describe {} --details", f.name),
        format!("  velero -n {ns} restore logs {}", f.name),
    ]);
    erasure_step(cx, &mut steps, f.ttl);
    resume_step(cx, &mut steps);
    steps.text
}
