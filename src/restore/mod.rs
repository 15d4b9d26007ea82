//! Restoring on demand and disaster recovery from the off-site copy (`ck8s-gen restore`).
//!
//! A restore is a one-time action by the administrator, never part of the GitOps tree: this
//! module turns a validated environment and a request into a [`Plan`], the objects to apply
//! (printed as a YAML stream) and a checklist for the operator (printed to stderr).
//!
//! - `--from-schedule NAME` / `--backup NAME`: a Velero `Restore` in the Velero namespace with
//!   `existingResourcePolicy: none` (CK8S's promise: nothing that exists is overwritten;
//!   `update` only when asked for, with a warning), `restorePVs: true`, the chosen namespaces and
//!   namespace mapping, and a deterministic name (environment, source and a hash of the spec).
//!   The restore order (CRDs, namespaces, HNC anchors before what depends on them) is a Velero
//!   *server* flag, rendered into the chart values (`configuration.restoreResourcePriorities`);
//!   the checklist shows it.
//! - `--from-offsite`: an unencrypted copy (S3 or GCS) is read in place through the read-only
//!   `offsite` BackupStorageLocation; an encrypted copy (or an Azure one, which Velero cannot
//!   address without its resource group) is first copied back, decrypting, into the primary
//!   bucket by a one-shot rclone Job in the management cluster, with the replication CronJob
//!   suspended (CK8S: restore and sync never run together).

use crate::assets::Assets;
use crate::environment::model::{Environment, Role, StorageProvider};
use crate::render::context::{self, EnvView, LocationView, base_labels};
use crate::render::objects::{CronJob, Job, Object};
use crate::render::templates::Templates;
use crate::render::{RenderError, names, object, offsite};
use crate::validate::{self, Outcome, Request as ValidateRequest, ValidateError};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where the restored data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The latest completed backup of a Schedule (short `daily`/tier name or full name).
    Schedule(String),
    /// One backup, by name.
    Backup(String),
    /// The off-site copy (disaster recovery).
    Offsite,
}

/// `existingResourcePolicy` of the Restore (and `restore --existing-resource-policy`). The
/// variants carry `//` comments, not doc comments: those would become clap's value help.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExistingPolicy {
    // Skip what exists (Velero's default and CK8S's promise).
    #[default]
    None,
    // Patch what exists to its backed-up state.
    Update,
}

impl ExistingPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ExistingPolicy::None => "none",
            ExistingPolicy::Update => "update",
        }
    }
}

pub struct Request<'a> {
    pub dir: &'a Path,
    pub assets: &'a Assets,
    /// Environment name, file stem or file path.
    pub environment: &'a str,
    pub source: Source,
    pub namespaces: &'a [String],
    /// `OLD=NEW` pairs.
    pub mappings: &'a [String],
    pub policy: ExistingPolicy,
    pub name: Option<&'a str>,
    /// `--from-offsite --at`: recover the off-site copy as it was at this RFC 3339 time.
    pub at: Option<&'a str>,
    /// The day the dated rules are evaluated on (from the command layer).
    pub today: i64,
}

/// What to apply, where, and what the operator must do around it.
#[derive(Clone, Debug)]
pub struct Plan {
    pub environment: String,
    /// The environment whose cluster the objects are applied in.
    pub cluster: String,
    pub objects: Vec<Object>,
    pub warnings: Vec<String>,
    pub checklist: String,
}

impl Plan {
    /// The objects as one `---`-separated YAML stream.
    pub fn stream(&self) -> Result<String, crate::yaml::WriteError> {
        let mut out = String::new();
        for o in &self.objects {
            out.push_str("---\n");
            out.push_str(&o.to_yaml()?);
        }
        Ok(out)
    }
}

/// The result of planning: the validation (whose findings about the environments involved
/// are worth showing) and the plan, absent when the environment has validation errors.
pub struct Planned {
    pub outcome: Outcome,
    /// Environments whose findings matter to this restore.
    pub involved: Vec<String>,
    pub plan: Option<Plan>,
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Context(#[from] context::ContextError),
    /// Bad input: an unknown environment or schedule, an impossible mapping.
    #[error("{0}")]
    Usage(String),
}

fn usage(message: impl Into<String>) -> RestoreError {
    RestoreError::Usage(message.into())
}

/// Validate the directory and plan the restore of one environment.
pub fn plan(request: &Request<'_>) -> Result<Planned, RestoreError> {
    let outcome = validate::validate(&ValidateRequest {
        dir: request.dir,
        only: &[],
        assets: request.assets,
        today: request.today,
    })?;
    let checked = find(&outcome, request.environment, request.dir)?;
    let name = checked.loaded.name.clone();
    let mut involved = vec![name.clone()];
    // A disaster does not wait for a lint: only findings that make the printed objects wrong
    // (the environment's own output errors) stop the plan; overdue and regulatory ones do not.
    let wrong = outcome
        .diagnostics
        .iter()
        .any(|d| d.blocks_restore() && d.environment.as_deref().is_none_or(|e| e == name));
    let environment = match (&checked.environment, wrong) {
        (Some(env), false) => env.clone(),
        _ => {
            return Ok(Planned {
                outcome,
                involved,
                plan: None,
            });
        }
    };
    let manager = offsite::manager_of(&environment);
    if let Some(m) = manager.as_ref().filter(|m| **m != name) {
        involved.push(m.clone());
    }
    let templates = Templates::new(request.assets).map_err(RenderError::from)?;
    let view = context::env_view(&environment)?;
    let cx = Cx {
        env: &environment,
        view: &view,
        templates: &templates,
        manager: manager.as_deref(),
    };
    let plan = match &request.source {
        Source::Offsite => offsite_plan(&cx, request.at)?,
        source => restore_plan(&cx, source, request)?,
    };
    Ok(Planned {
        outcome,
        involved,
        plan: Some(plan),
    })
}

struct Cx<'a> {
    env: &'a Environment,
    view: &'a EnvView,
    templates: &'a Templates,
    manager: Option<&'a str>,
}

/// `ck8s-gen offsite-bucket ENV`: the bucket configuration of `env`'s off-site copy as JSON
/// (see [`offsite::bucket_configuration`]).
pub fn offsite_bucket(
    dir: &Path,
    assets: &Assets,
    environment: &str,
    today: i64,
) -> Result<String, RestoreError> {
    let outcome = validate::validate(&ValidateRequest {
        dir,
        only: &[],
        assets,
        today,
    })?;
    let checked = find(&outcome, environment, dir)?;
    let env = checked.environment.as_ref().ok_or_else(|| {
        usage(format!(
            "`{}` does not load: run `ck8s-gen validate`",
            checked.loaded.name
        ))
    })?;
    let config = offsite::bucket_configuration(env).ok_or_else(|| {
        usage(format!(
            "environment `{}` has no off-site replication",
            env.metadata.name
        ))
    })?;
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&config).unwrap_or_default()
    ))
}

/// The environment the argument names (by name, file stem or path).
fn find<'o>(
    outcome: &'o Outcome,
    want: &str,
    dir: &Path,
) -> Result<&'o validate::Checked, RestoreError> {
    let found = outcome.environments.iter().find(|c| {
        let path = &outcome.sources.get(c.loaded.file).path;
        c.loaded.name == want
            || Path::new(path).file_stem().is_some_and(|s| s == want)
            || same_file(path, want)
    });
    found.ok_or_else(|| {
        let names: Vec<&str> = outcome
            .environments
            .iter()
            .map(|c| c.loaded.name.as_str())
            .collect();
        let hint = crate::text::suggest::did_you_mean(want, names.iter().copied())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_else(|| format!("; environments: {}", names.join(", ")));
        usage(format!(
            "no environment named `{want}` in `{}`{hint}",
            dir.display()
        ))
    })
}

fn same_file(a: &str, b: &str) -> bool {
    matches!(
        (PathBuf::from(a).canonicalize(), PathBuf::from(b).canonicalize()),
        (Ok(x), Ok(y)) if x == y
    )
}

/// A DNS-1123 label (namespaces; names that become label values).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

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

fn velero_of<'v>(view: &'v EnvView, env: &str) -> Result<&'v context::VeleroView, RestoreError> {
    view.velero.as_ref().ok_or_else(|| {
        usage(format!(
            "environment `{env}` has backups turned off (`backup.enabled: false`): there is nothing to restore"
        ))
    })
}

/// `OLD=NEW` arguments as a map, checked against the restored namespaces.
fn mapping(
    raw: &[String],
    namespaces: &[String],
) -> Result<BTreeMap<String, String>, RestoreError> {
    let mut map = BTreeMap::new();
    for item in raw {
        let Some((old, new)) = item.split_once('=') else {
            return Err(usage(format!(
                "--to-namespace `{item}` is not OLD=NEW (e.g. `shop=shop-restored`)"
            )));
        };
        for ns in [old, new] {
            if !is_dns_label(ns) {
                return Err(usage(format!(
                    "--to-namespace `{item}`: `{ns}` is not a namespace name (a DNS label: lowercase letters, digits and `-`, at most 63 characters)"
                )));
            }
        }
        if old == new {
            return Err(usage(format!(
                "--to-namespace `{item}` maps `{old}` to itself"
            )));
        }
        if !namespaces.is_empty() && !namespaces.iter().any(|n| n == old) {
            return Err(usage(format!(
                "--to-namespace `{item}` maps `{old}`, which is not restored; add `--namespace {old}`"
            )));
        }
        if map.insert(old.to_owned(), new.to_owned()).is_some() {
            return Err(usage(format!("--to-namespace maps `{old}` twice")));
        }
    }
    let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
    for (old, new) in &map {
        if let Some(other) = targets.insert(new.as_str(), old.as_str()) {
            return Err(usage(format!(
                "--to-namespace maps both `{other}` and `{old}` to `{new}`"
            )));
        }
        // Another restored namespace keeps its name: the two would be merged.
        if namespaces.iter().any(|n| n == new) && !map.contains_key(new) {
            return Err(usage(format!(
                "--to-namespace maps `{old}` to `{new}`, which is also restored under its own name"
            )));
        }
    }
    Ok(map)
}

/// The command line that prints this restore (for the checklist).
fn command_line(env: &str, request: &Request<'_>) -> String {
    let mut parts = vec!["ck8s-gen".to_owned(), "restore".to_owned(), env.to_owned()];
    match &request.source {
        Source::Schedule(s) => parts.extend(["--from-schedule".to_owned(), s.clone()]),
        Source::Backup(b) => parts.extend(["--backup".to_owned(), b.clone()]),
        Source::Offsite => parts.push("--from-offsite".to_owned()),
    }
    for ns in request.namespaces {
        parts.extend(["--namespace".to_owned(), ns.clone()]);
    }
    for m in request.mappings {
        parts.extend(["--to-namespace".to_owned(), m.clone()]);
    }
    if request.policy == ExistingPolicy::Update {
        parts.extend(["--existing-resource-policy".to_owned(), "update".to_owned()]);
    }
    if let Some(n) = request.name {
        parts.extend(["--name".to_owned(), n.to_owned()]);
    }
    parts.join(" ")
}

/// `<env>-<source>-<hash>`, at most 63 characters: the same request gives the same name, a
/// different spec a different one.
pub fn restore_name(env: &str, source: &str, spec: &serde_json::Value) -> String {
    let digest = Sha256::digest(spec.to_string().as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut base = format!("{env}-{source}");
    base.truncate(63 - 1 - hash.len());
    let base = base.trim_end_matches(['-', '.']);
    format!("{base}-{hash}")
}

fn restore_plan(cx: &Cx<'_>, source: &Source, request: &Request<'_>) -> Result<Plan, RestoreError> {
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

/// A numbered checklist writer.
struct Steps {
    text: String,
    n: usize,
}

impl Steps {
    fn new(title: String) -> Steps {
        Steps { text: title, n: 0 }
    }

    fn section(&mut self, name: &str) {
        let _ = write!(self.text, "\n{name}\n");
    }

    fn step(&mut self, lines: &[String]) {
        self.n += 1;
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(self.text, "  {}. {line}", self.n);
            } else {
                let _ = writeln!(self.text, "     {line}");
            }
        }
    }
}

fn role_name(env: &Environment) -> &'static str {
    env.cluster.role.as_str()
}

/// The commands pausing (`true`) or resuming (`false`) `env`'s replication.
fn suspend_command(env: &Environment, suspend: bool) -> String {
    format!(
        "kubectl -n {} patch cronjob rclone-sync-{} -p '{{\"spec\":{{\"suspend\":{suspend}}}}}'",
        offsite::namespace_of(env),
        env.metadata.name
    )
}

fn running_sync_command(env: &Environment) -> String {
    format!(
        "kubectl -n {} get jobs -l app.kubernetes.io/name=rclone-sync,ck8s-gen.io/source-environment={}",
        offsite::namespace_of(env),
        env.metadata.name
    )
}

/// Step pausing the replication, when `env` has one.
fn pause_step(cx: &Cx<'_>, steps: &mut Steps, why: &str) {
    let Some(manager) = cx.manager else {
        return;
    };
    steps.step(&[
        format!(
            "Pause the off-site replication while restoring (restore and replication never run together): {why}. In the cluster of `{manager}`:"
        ),
        format!("  {}", suspend_command(cx.env, true)),
        format!(
            "  {}   # wait until no sync Job is active (or delete it)",
            running_sync_command(cx.env)
        ),
        "The GitOps engine does not undo this: the rendered CronJob does not set `suspend`."
            .to_owned(),
    ]);
}

fn resume_step(cx: &Cx<'_>, steps: &mut Steps) {
    let Some(manager) = cx.manager else {
        return;
    };
    steps.step(&[
        format!(
            "Resume the off-site replication once the restore is verified (cluster of `{manager}`):"
        ),
        format!("  {}", suspend_command(cx.env, false)),
    ]);
}

/// GDPR Art. 17: restored data may contain personal data erased after the backup was taken.
fn erasure_step(cx: &Cx<'_>, steps: &mut Steps, ttl: &str) {
    let env = cx.env;
    let gdpr = env.compliance.iter().any(|c| c.starts_with("gdpr"));
    let procedure = env.documentation.erasure_procedure_ref.as_deref();
    if !gdpr && procedure.is_none() {
        return;
    }
    let days = crate::velero::duration::parse_go_duration(ttl)
        .map(|d| (d.as_hours_f64() / 24.0).ceil() as i64)
        .unwrap_or(30);
    let mut lines = vec![format!(
        "GDPR Art. 17: before the restored data is used, re-apply every erasure request received in the last {days} days (the backups' retention, {ttl}): the backup may hold personal data erased since it was taken."
    )];
    if let Some(p) = procedure {
        lines.push(format!("Procedure: {p}"));
    }
    steps.step(&lines);
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

/// Disaster recovery from the off-site copy.
///
/// `at` (RFC 3339) always copies back: Velero reads only the current objects of a bucket, so
/// the state of an earlier time (before a wipe reached the copy) is first restored by rclone
/// from the object versions.
fn offsite_plan(cx: &Cx<'_>, at: Option<&str>) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let offsite = &env.replication.offsite;
    let Some(manager) = cx.manager else {
        return Err(usage(if offsite.enabled {
            format!(
                "environment `{name}` has no replication job: a workload cluster's off-site copy is made by a management environment (`replication.offsite.managedBy`)"
            )
        } else {
            format!(
                "environment `{name}` has no off-site copy (`replication.offsite.enabled` is false)"
            )
        }));
    };
    let at = at.map(|text| point_in_time(text, env)).transpose()?;
    let velero = velero_of(cx.view, name)?;
    match context::offsite_location(env).filter(|_| !offsite.encrypt.enabled && at.is_none()) {
        Some(location) => read_in_place_plan(cx, velero, &location),
        None => copy_back_plan(cx, velero, manager, at.as_deref()),
    }
}

/// `--at TIME`: an RFC 3339 time (any offset), as rclone's `version_at` takes it (UTC). Needs a
/// versioned S3 destination: only the S3 backend of rclone reads versions.
fn point_in_time(text: &str, env: &Environment) -> Result<String, RestoreError> {
    let offsite = &env.replication.offsite;
    let at: k8s_openapi::jiff::Timestamp = text.parse().map_err(|e| {
        usage(format!(
            "--at `{text}` is not an RFC 3339 time ({e}); write e.g. `2026-11-24T03:00:00Z` or `2026-11-24T04:00:00+01:00`"
        ))
    })?;
    if offsite.destination.as_ref().map(|d| d.provider) != Some(StorageProvider::S3) {
        return Err(usage(
            "--at reads object versions, which rclone supports on S3 destinations only",
        ));
    }
    if !offsite.versioned() {
        return Err(usage(format!(
            "--at needs a versioned off-site bucket: the copy of `{}` has neither `replication.offsite.versioning: true` nor object lock, so there are no earlier versions to read",
            env.metadata.name
        )));
    }
    Ok(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Unencrypted copy: a read-only BackupStorageLocation on the off-site bucket.
fn read_in_place_plan(
    cx: &Cx<'_>,
    velero: &context::VeleroView,
    location: &LocationView,
) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let ns = &velero.namespace;
    let bsl = object(
        cx.templates,
        names::BSL,
        &json!({"env": cx.view, "location": location}),
    )?;
    let mut steps = Steps::new(format!(
        "Disaster recovery of `{name}` from its off-site copy (not encrypted): Velero reads the backups in place through the read-only BackupStorageLocation `{}` on bucket `{}` (prefix `{}`). Nothing is copied, and Velero cannot change or delete anything there.\n",
        location.name, location.bucket, location.prefix
    ));
    steps.section("Before applying:");
    pause_step(
        cx,
        &mut steps,
        "a sync from an empty or damaged primary bucket would delete the off-site copy",
    );
    if let Some(credential) = &location.credential {
        steps.step(&[format!(
            "Create the Secret `{}` (key `{}`: a credentials file of the {} plugin with read access to `{}`) in namespace `{ns}` of `{name}`'s cluster.",
            credential.name, credential.key, location.provider, location.bucket
        )]);
    }
    steps.step(&[
        format!("Apply in the cluster of `{name}` (the location is also in its rendered manifests; applying it again is harmless):"),
        format!("  ck8s-gen restore {name} --from-offsite | kubectl apply -f -"),
    ]);
    steps.section("After:");
    steps.step(&[
        "Wait until the location is `Available` and Velero has synced its backups (about a minute):".to_owned(),
        format!("  velero -n {ns} backup-location get {}", location.name),
        format!(
            "  kubectl -n {ns} get backups -l velero.io/storage-location={}",
            location.name
        ),
        "A backup whose name also exists in the primary location is not synced again: the primary one is used.".to_owned(),
    ]);
    steps.step(&[
        "Restore one of them (it is read from the off-site location):".to_owned(),
        format!("  ck8s-gen restore {name} --backup NAME | kubectl create -f -"),
    ]);
    resume_step(cx, &mut steps);
    Ok(Plan {
        environment: name.clone(),
        cluster: name.clone(),
        objects: vec![bsl],
        warnings: Vec::new(),
        checklist: steps.text,
    })
}

/// The one-shot Job `kubectl create job --from=cronjob/…` would make of `cronjob`.
pub fn job_from_cronjob(cronjob: CronJob) -> Job {
    let spec = cronjob.spec.and_then(|s| s.job_template.spec);
    Job {
        metadata: cronjob.metadata,
        spec,
        status: None,
    }
}

/// Encrypted (or Azure) copy: copy it back, decrypting, into the primary bucket.
fn copy_back_plan(
    cx: &Cx<'_>,
    velero: &context::VeleroView,
    manager: &str,
    at: Option<&str>,
) -> Result<Plan, RestoreError> {
    let env = cx.env;
    let name = &env.metadata.name;
    let offsite = &env.replication.offsite;
    let mut sync = offsite::rclone_job(env, manager)?;
    sync.suspend = true;
    let sync = object(cx.templates, names::CRONJOB, &json!({"job": sync}))?;
    let job_view = offsite::rclone_restore_job(env, manager, at)?;
    let Object::CronJob(cronjob) = object(cx.templates, names::CRONJOB, &json!({"job": job_view}))?
    else {
        return Err(usage("the CronJob template produced another kind"));
    };
    let job = Object::Job(Box::new(job_from_cronjob(*cronjob)));
    let ns = offsite::namespace_of(env);
    let dest = offsite.destination.as_ref();
    let dest_bucket = dest.map_or("", |d| d.bucket.as_str());
    let prefix = env.storage.effective_prefix(env.cluster.role);
    let mut why = if offsite.encrypt.enabled {
        format!(
            "encrypted with rclone crypt (Secret `{}`): Velero cannot read it, so it is first decrypted back into the primary bucket",
            offsite.encrypt.secret_name.as_deref().unwrap_or("?")
        )
    } else if at.is_some() {
        "not encrypted, but Velero reads only the current objects of a bucket".to_owned()
    } else {
        "in Azure Blob storage: Velero cannot address the container without its resource group, so it is copied back into the primary bucket".to_owned()
    };
    if let Some(at) = at {
        why.push_str(&format!(
            "; read as it was at {at} (rclone `version_at`: the newest version of each object not newer than that, objects deleted by then left out)"
        ));
    }
    let mut steps = Steps::new(format!(
        "Disaster recovery of `{name}` from its off-site copy, {why}.\nThe stream is for the cluster of `{manager}` (namespace `{ns}`):\n  - CronJob rclone-sync-{name} with `suspend: true`: the replication is paused (restore and replication never run together)\n  - Job {}: `rclone {}`, reading `{dest_bucket}/{prefix}` and writing `{}/{prefix}`. `copy`, not `sync`: nothing already in the primary bucket is deleted, and a re-run resumes where it stopped.\n",
        job_view.name,
        job_view.args[..3].join(" "),
        env.storage.bucket
    ));
    steps.section("Before applying:");
    steps.step(&[
        "Check that no sync Job is active (a sync from an empty primary bucket deletes the off-site copy; delete it if one is):".to_owned(),
        format!("  {}", running_sync_command(env)),
    ]);
    steps.step(&[format!(
        "If the primary bucket is lost, create a new one and point `storage` of `{name}` at it (then re-render and run this again): the Job writes to `{}` at `{}`.",
        env.storage.bucket,
        env.storage.endpoint.as_deref().unwrap_or("the provider's default endpoint")
    )]);
    steps.step(&[
        format!(
            "Create the Secret `{}` in namespace `{ns}` of `{manager}`'s cluster with WRITE access to the primary bucket (same keys as `{}`, which should stay read-only).",
            offsite::restore_secret(env),
            offsite::source_secret(env)
        ),
        format!(
            "The off-site side is read with `{}`{}: keep copies of these outside the lost site.",
            dest.and_then(|d| d.credentials.as_ref())
                .map_or("?", |c| c.secret_name.as_str()),
            if offsite.encrypt.enabled {
                format!(
                    " and decrypted with `{}` (keys `password`, `salt`)",
                    offsite.encrypt.secret_name.as_deref().unwrap_or("?")
                )
            } else {
                String::new()
            }
        ),
    ]);
    steps.step(&[
        format!("Apply in the cluster of `{manager}`:"),
        format!("  ck8s-gen restore {name} --from-offsite | kubectl apply --server-side --field-manager=ck8s-gen-restore --force-conflicts -f -"),
        format!(
            "(Or pause the replication with `{}` and create only the Job.)",
            suspend_command(env, true)
        ),
    ]);
    steps.section("After:");
    let vns = &velero.namespace;
    steps.step(&[
        "Follow the copy until the Job completes:".to_owned(),
        format!("  kubectl -n {ns} logs -f job/{}", job_view.name),
        format!(
            "To run it again: kubectl -n {ns} delete job {} and apply again.",
            job_view.name
        ),
    ]);
    steps.step(&[
        format!("Velero finds the copied backups within a minute (backup sync of location `default`) in the cluster of `{name}`:"),
        format!("  velero -n {vns} backup get"),
    ]);
    steps.step(&[
        "Restore:".to_owned(),
        format!("  ck8s-gen restore {name} --from-schedule daily | kubectl create -f -   (or --backup NAME)"),
    ]);
    steps.step(&[
        format!("Once the restore is verified, resume the replication and remove the Job (cluster of `{manager}`):"),
        format!("  {}", suspend_command(env, false)),
        format!("  kubectl -n {ns} delete job {}", job_view.name),
        format!(
            "Delete the Secret `{}` too: the write credentials are only for the recovery.",
            offsite::restore_secret(env)
        ),
    ]);
    Ok(Plan {
        environment: name.clone(),
        cluster: manager.to_owned(),
        objects: vec![sync, job],
        warnings: Vec::new(),
        checklist: steps.text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_stable_and_follow_the_spec() {
        let a = restore_name("prod", "daily", &json!({"n": ["a"]}));
        assert_eq!(a, restore_name("prod", "daily", &json!({"n": ["a"]})));
        assert_ne!(a, restore_name("prod", "daily", &json!({"n": ["b"]})));
        assert!(a.starts_with("prod-daily-") && a.len() == "prod-daily-".len() + 8);
        let long = restore_name(
            &"e".repeat(40),
            "velero-daily-backup-20261124000000",
            &json!({}),
        );
        assert!(long.len() <= 63 && is_dns_label(&long), "{long}");
    }

    #[test]
    fn mappings_are_checked() {
        let ns = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(mapping(&ns(&["a=b"]), &ns(&["a"])).is_ok());
        assert!(mapping(&ns(&["a=b"]), &[]).is_ok());
        for (raw, restored, why) in [
            (&["ab"][..], &["a"][..], "OLD=NEW"),
            (&["a=A"], &["a"], "DNS label"),
            (&["a=a"], &["a"], "itself"),
            (&["c=d"], &["a"], "not restored"),
            (&["a=b", "a=c"], &["a"], "twice"),
            (&["a=c", "b=c"], &["a", "b"], "both"),
            (&["a=b"], &["a", "b"], "own name"),
        ] {
            let err = mapping(&ns(raw), &ns(restored)).unwrap_err().to_string();
            assert!(err.contains(why), "{raw:?}: {err}");
        }
        // A swap is fine: both are renamed.
        assert!(mapping(&ns(&["a=b", "b=a"]), &ns(&["a", "b"])).is_ok());
    }
}
