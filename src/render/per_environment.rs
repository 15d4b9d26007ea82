//! One environment's own objects: its chart values, Schedules and locations, restore test,
//! wrapped for its GitOps engine.

use super::*;

/// The chart values of an environment, typed.
pub fn chart_values(
    templates: &Templates,
    view: &EnvView,
) -> Result<serde_json::Value, RenderError> {
    let text = templates.render(names::VALUES, &context! {env => Value::from(Serde(view))})?;
    let invalid = |source: objects::ObjectError| RenderError::Object {
        template: names::VALUES.to_owned(),
        source,
    };
    let mut value = crate::yaml::read_template_output(&text)
        .map_err(|e| invalid(objects::ObjectError::NotYaml(e)))?;
    let chart = crate::schema::chart::Chart::embedded();
    let first = |problems: Vec<crate::schema::chart::ValueProblem>| {
        problems.into_iter().next().map(|p| {
            let hint = p
                .suggestion
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            format!("{}{hint}", p.message)
        })
    };
    // Every key the template wrote is a value of the chart; the keys ck8s-gen relies on are
    // there with their types.
    if let Some(problem) = first(chart.check(&value)) {
        return Err(invalid(objects::ObjectError::Chart(problem)));
    }
    serde_json::from_value::<VeleroValues>(value.clone())
        .map_err(|e| invalid(objects::ObjectError::Values(e)))?;
    // The pass-through (checked with file and line by `validate`) goes over them.
    if let Some(extra) = view
        .velero
        .as_ref()
        .and_then(|v| v.chart.pass_through.as_ref())
    {
        crate::schema::chart::merge(&mut value, extra);
        if let Some(problem) = first(chart.check(&value)) {
            return Err(RenderError::Object {
                template: "gitops.chartValues".to_owned(),
                source: objects::ObjectError::Chart(problem),
            });
        }
    }
    Ok(value)
}

/// The Schedules of an environment, as `render` writes them.
pub(super) fn schedule_objects(
    templates: &Templates,
    velero: &context::VeleroView,
    env_value: &Value,
) -> Result<Vec<Canonical>, RenderError> {
    velero
        .schedules
        .iter()
        .map(|schedule| {
            canonical(
                templates,
                names::SCHEDULE,
                &context! {env => env_value.clone(), schedule => Value::from(Serde(schedule))},
            )
        })
        .collect()
}

/// The Schedules of one environment, typed: the very objects `render` writes into
/// `<env>/manifests/` (none when backups are disabled). Coverage and the evidence report
/// describe these, never a second reading of the settings.
pub fn schedules(
    templates: &Templates,
    environment: &Environment,
) -> Result<Vec<objects::velero::Schedule>, RenderError> {
    let view = context::env_view(environment)?;
    let Some(velero) = &view.velero else {
        return Ok(Vec::new());
    };
    schedule_objects(templates, velero, &Value::from(Serde(&view)))?
        .into_iter()
        .map(|o| {
            objects::typed::<objects::velero::Schedule>(&o.value)
                .map(|s| *s)
                .map_err(|source| RenderError::Object {
                    template: names::SCHEDULE.to_owned(),
                    source,
                })
        })
        .collect()
}

pub(super) const KUSTOMIZATION_VELERO: &str = "ck8s-gen-velero";
pub(super) const KUSTOMIZATION_MANIFESTS: &str = "ck8s-gen-manifests";

pub(super) fn environment_pieces(
    templates: &Templates,
    environment: &Environment,
    view: &EnvView,
) -> Result<Vec<Piece>, RenderError> {
    let env = view.name.as_str();
    let mut out = Vec::new();
    let Some(velero) = &view.velero else {
        return Ok(out);
    };
    let test = restore_test::view(environment, view)?;
    if let Some(test) = &test {
        for o in restore_test_objects(templates, test)? {
            out.push(piece(env, "manifests", o));
        }
    }
    if let Some(rule) = alerts::backup_rules(environment, view, test.as_ref()) {
        let o = canonical(templates, names::PROMETHEUS_RULE, &json!({ "rule": rule }))?;
        out.push(piece(env, "manifests", o));
    }
    // Converted once: every template of the environment shares it.
    let env_value = Value::from(Serde(view));
    for o in schedule_objects(templates, velero, &env_value)? {
        out.push(piece(env, "manifests", o));
    }
    for location in &velero.locations {
        let o = canonical(
            templates,
            names::BSL,
            &context! {env => env_value.clone(), location => Value::from(Serde(location))},
        )?;
        out.push(piece(env, "manifests", o));
    }
    let values = chart_values(templates, view)?;
    let values_value = Value::from(Serde(&values));
    let ctx = context! {env => env_value.clone(), values => values_value.clone()};
    match view.gitops.engine {
        Engine::Flux => {
            let source = if view.gitops.flux.source_kind == "OCIRepository" {
                names::OCI_REPOSITORY
            } else {
                names::HELM_REPOSITORY
            };
            out.push(piece(env, "release", canonical(templates, source, &ctx)?));
            out.push(piece(
                env,
                "release",
                canonical(templates, names::HELM_RELEASE, &ctx)?,
            ));
            let k = json!({
                "name": KUSTOMIZATION_VELERO,
                "path": format!("./{}", view.gitops.release_path),
                "depends_on": null,
            });
            out.push(piece(
                env,
                "flux",
                canonical(
                    templates,
                    names::KUSTOMIZATION,
                    &context! {env => env_value.clone(), kustomization => Value::from(Serde(&k))},
                )?,
            ));
        }
        Engine::Argocd => {
            let name = format!("{env}-velero");
            out.push(piece(
                env,
                "argocd",
                canonical(
                    templates,
                    names::APP_CHART,
                    &context! {env => env_value, name => name, values => values_value},
                )?,
            ));
        }
    }
    Ok(out)
}

/// The restore test's objects: ConfigMap (script and Restore), the history ConfigMap,
/// ServiceAccount, Role and RoleBinding (Velero Restores, the history), ClusterRole and
/// ClusterRoleBinding (the scratch namespaces, by name), the ValidatingAdmissionPolicy and its
/// binding (only the rendered Restore), CronJob.
pub fn restore_test_objects(
    templates: &Templates,
    test: &restore_test::RestoreTestView,
) -> Result<Vec<Canonical>, RenderError> {
    let roles = [
        (
            "Role",
            "RoleBinding",
            &test.name,
            Some(&test.namespace),
            &test.velero_rules,
        ),
        (
            "ClusterRole",
            "ClusterRoleBinding",
            &test.cluster_name,
            None,
            &test.cluster_rules,
        ),
    ];
    // Converted once: all templates share it.
    let test = Value::from(Serde(test));
    let mut out = vec![
        canonical(
            templates,
            names::TEST_CONFIGMAP,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_HISTORY,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_POLICY,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_POLICY_BINDING,
            &context! {test => test.clone()},
        )?,
        canonical(
            templates,
            names::TEST_SERVICEACCOUNT,
            &context! {test => test.clone()},
        )?,
    ];
    for (kind, binding, name, namespace, rules) in roles {
        out.push(canonical(
            templates,
            names::TEST_ROLE,
            &context! {test => test.clone(), kind => kind, name => name, namespace => namespace, rules => Value::from(Serde(rules))},
        )?);
        out.push(canonical(
            templates,
            names::TEST_ROLEBINDING,
            &context! {test => test.clone(), kind => binding, role_kind => kind, name => name, namespace => namespace},
        )?);
    }
    out.push(canonical(
        templates,
        names::TEST_CRONJOB,
        &context! {test => test},
    )?);
    Ok(out)
}

/// The wrapper applying `<env>/manifests` (Flux Kustomization or Argo CD Application), for an
/// environment that has manifests.
pub(super) fn manifest_wrapper(
    templates: &Templates,
    view: &EnvView,
) -> Result<Piece, RenderError> {
    let env = view.name.as_str();
    let o = match view.gitops.engine {
        Engine::Flux => {
            let k = json!({
                "name": KUSTOMIZATION_MANIFESTS,
                "path": format!("./{}", view.gitops.manifests_path),
                // The Schedules and locations need the CRDs and the server from the release.
                "depends_on": view.velero.as_ref().map(|_| KUSTOMIZATION_VELERO),
            });
            canonical(
                templates,
                names::KUSTOMIZATION,
                &context! {env => Value::from(Serde(view)), kustomization => Value::from(Serde(&k))},
            )?
        }
        Engine::Argocd => canonical(
            templates,
            names::APP_MANIFESTS,
            &context! {env => Value::from(Serde(view)), name => format!("{env}-velero-manifests")},
        )?,
    };
    Ok(piece(env, view.gitops.engine.as_str(), o))
}
