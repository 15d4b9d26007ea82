//! Objects made from several environments: the management clusters' rclone jobs and the
//! Argo CD ApplicationSets.

use super::*;

/// The workloads whose off-site sync each manager runs, in input order, keyed by the index of
/// the manager's input (the first input of that name): only managers that are part of this run.
pub(super) fn served<'i, 'a>(inputs: &'i [Input<'a>]) -> HashMap<usize, Vec<&'i Input<'a>>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        first
            .entry(input.environment.metadata.name.as_str())
            .or_insert(i);
    }
    let mut served: HashMap<usize, Vec<&Input<'_>>> = HashMap::new();
    for input in inputs {
        // Validation guarantees the manager exists and is a management environment; render
        // nothing for it when it is not part of this run.
        if let Some(manager) = offsite::manager_of(input.environment)
            && let Some(&at) = first.get(manager.as_str())
        {
            served.entry(at).or_default().push(input);
        }
    }
    served
}

/// rclone CronJobs (and their Namespace) of the workloads `served` (see [`served`]) in the
/// tree of their managing environment (`manager_metrics`: whether it runs the metrics stack):
/// made with the manager's tree, so a fleet's off-site objects are never held at once.
pub(super) fn offsite_pieces(
    templates: &Templates,
    manager_metrics: bool,
    served: &[&Input<'_>],
) -> Result<Vec<Piece>, RenderError> {
    let mut out = Vec::new();
    let mut namespaces: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    // The CronJobs (and their alerts) in parallel, in input order; then their namespaces.
    type Job = (Piece, Option<Piece>, String, String, String);
    let jobs: Vec<Result<Option<Job>, RenderError>> = served
        .par_iter()
        .map(|input| {
            let env = input.environment;
            let Some(manager) = offsite::manager_of(env) else {
                return Ok(None);
            };
            let job = offsite::rclone_job(env, &manager)?;
            let o = canonical(templates, names::CRONJOB, &json!({"job": job}))?;
            let mut p = piece(&manager, "manifests", o);
            p.inputs.push(env.metadata.name.clone());
            let alert = match alerts::sync_rules(env, &job, manager_metrics) {
                Some(rule) => {
                    let o = canonical(templates, names::PROMETHEUS_RULE, &json!({ "rule": rule }))?;
                    let mut r = piece(&manager, "manifests", o);
                    r.inputs.push(env.metadata.name.clone());
                    Some(r)
                }
                None => None,
            };
            Ok(Some((
                p,
                alert,
                manager,
                job.namespace,
                env.metadata.name.clone(),
            )))
        })
        .collect();
    for job in jobs {
        let Some((p, alert, manager, namespace, user)) = job? else {
            continue;
        };
        out.extend(alert);
        namespaces
            .entry((manager, namespace))
            .or_default()
            .insert(user);
        out.push(p);
    }
    for ((manager, namespace), users) in namespaces {
        let mut labels = base_labels(&manager);
        labels.insert(
            "pod-security.kubernetes.io/enforce".to_owned(),
            "restricted".to_owned(),
        );
        let o = canonical(
            templates,
            names::NAMESPACE,
            &json!({"namespace": namespace, "labels": labels}),
        )?;
        let mut p = piece(&manager, "manifests", o);
        p.inputs.extend(users);
        out.push(p);
    }
    Ok(out)
}

/// What the ApplicationSets need of an environment with Applications: its name and GitOps view
/// (kept instead of its whole view while the other trees are rendered).
pub(super) struct Member {
    pub(super) name: String,
    pub(super) gitops: context::GitOpsView,
}

/// The Argo CD ApplicationSet over every argocd environment that has Applications (one per
/// Argo CD namespace).
pub(super) fn fleet_pieces(
    templates: &Templates,
    with_apps: &[&Member],
) -> Result<Vec<Piece>, RenderError> {
    // Two ApplicationSets per Argo CD namespace at most: one over the committed rendered tree,
    // one over environments that Argo CD renders itself with the ck8s-gen plugin.
    let mut by_namespace: BTreeMap<(String, bool), Vec<&Member>> = BTreeMap::new();
    for view in with_apps
        .iter()
        .filter(|v| v.gitops.engine == Engine::Argocd)
    {
        by_namespace
            .entry((
                view.gitops.argocd.namespace.clone(),
                view.gitops.argocd.plugin,
            ))
            .or_default()
            .push(view);
    }
    let mut out = Vec::new();
    for ((namespace, plugin), mut members) in by_namespace {
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let elements: Vec<BTreeMap<&str, String>> = members
            .iter()
            .map(|v| {
                BTreeMap::from([
                    ("environment", v.name.clone()),
                    ("namespace", namespace.clone()),
                    ("project", v.gitops.argocd.project.clone()),
                    ("path", v.gitops.argocd_path.clone()),
                    (
                        "repoURL",
                        v.gitops.argocd.repo_url.clone().unwrap_or_default(),
                    ),
                    ("revision", v.gitops.argocd.revision.clone()),
                ])
            })
            .collect();
        let template = if plugin {
            names::APPLICATION_SET_PLUGIN
        } else {
            names::APPLICATION_SET
        };
        let plugin_name = format!("{}-{}", names::PLUGIN_NAME, names::PLUGIN_VERSION);
        let o = canonical(
            templates,
            template,
            &json!({"namespace": namespace, "elements": elements, "plugin": plugin_name}),
        )?;
        out.push(Piece {
            environment: None,
            path: format!("{FLEET_DIR}/{}", file_name(&o)),
            inputs: members.iter().map(|v| v.name.clone()).collect(),
            object: emit(o),
        });
    }
    Ok(out)
}
