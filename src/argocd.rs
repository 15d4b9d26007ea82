//! Argo CD Config Management Plugin support: the `plugin.yaml` ck8s-gen runs as, and how the
//! environment to render is chosen from what the CMP server passes (`ARGOCD_ENV_*`,
//! `ARGOCD_APP_PARAMETERS`, `PARAM_*`, `ARGOCD_APP_NAME`).

use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::render::names::{PLUGIN_NAME, PLUGIN_VERSION};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PluginConfig {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Serialize)]
struct Metadata {
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    version: &'static str,
    init: CommandSpec,
    generate: CommandSpec,
    discover: Discover,
    parameters: Parameters,
    preserve_file_mode: bool,
    provide_git_creds: bool,
}

#[derive(Serialize)]
struct CommandSpec {
    command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
}

#[derive(Serialize)]
struct Discover {
    find: Find,
}

#[derive(Serialize)]
struct Find {
    glob: &'static str,
}

#[derive(Serialize)]
struct Parameters {
    #[serde(rename = "static")]
    fixed: Vec<Announcement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Announcement {
    name: &'static str,
    title: String,
    tooltip: String,
    required: bool,
    item_type: &'static str,
    collection_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    string: Option<String>,
}

/// The `plugin.yaml` for the repo-server sidecar (`/home/argocd/cmp-server/config/plugin.yaml`).
/// `environment_title` / `environment_help` come from the environment schema (`metadata.name`).
pub fn plugin_yaml(environment_title: &str, environment_help: &str) -> String {
    let config = PluginConfig {
        api_version: "argoproj.io/v1alpha1",
        kind: "ConfigManagementPlugin",
        metadata: Metadata { name: PLUGIN_NAME },
        spec: Spec {
            version: PLUGIN_VERSION,
            // Validate early so a broken environment fails the sync before generate runs.
            init: CommandSpec { command: vec!["ck8s-gen".into()], args: vec!["argocd".into(), "init".into()] },
            generate: CommandSpec { command: vec!["ck8s-gen".into()], args: vec!["argocd".into(), "generate".into()] },
            discover: Discover { find: Find { glob: "**/environments/*.yaml" } },
            parameters: Parameters {
                fixed: vec![
                    Announcement {
                        name: "environment",
                        title: environment_title.to_owned(),
                        tooltip: environment_help.to_owned(),
                        required: true,
                        item_type: "string",
                        collection_type: "string",
                        string: None,
                    },
                    Announcement {
                        name: "dir",
                        title: "Environment directory".into(),
                        tooltip: "Directory of the environment files, relative to the Application's path.".into(),
                        required: false,
                        item_type: "string",
                        collection_type: "string",
                        string: Some("environments".into()),
                    },
                ],
            },
            preserve_file_mode: false,
            provide_git_creds: false,
        },
    };
    let mut text = String::from(
        "# Argo CD Config Management Plugin: ck8s-gen renders an environment on sync.\n# Mount as /home/argocd/cmp-server/config/plugin.yaml in a repo-server sidecar (see README).\n",
    );
    text.push_str(&crate::yaml::to_yaml(&config).unwrap_or_default());
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Why the plugin cannot choose, or print, an environment.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(transparent)]
    Read(#[from] crate::yaml::ReadError),
    #[error(transparent)]
    Write(#[from] crate::yaml::WriteError),
    #[error("ARGOCD_APP_PARAMETERS is not JSON: {0}")]
    Parameters(#[source] serde_json::Error),
    /// A Flux environment, no environment chosen, a directory outside the repository.
    #[error("{0}")]
    Refused(String),
}

/// The objects Argo CD applies for `environment` when it renders with the plugin: the chart
/// Application (sync wave 0) and the plain manifests (wave 1, dry run skipped until the Velero
/// CRDs exist). Flux entry points and the Application that would read `rendered/` from Git are
/// left out: with the plugin nothing is committed.
pub fn plugin_stream(
    bundle: &crate::render::Bundle,
    environment: &str,
) -> Result<String, PluginError> {
    let mut out = String::new();
    for object in bundle
        .objects
        .iter()
        .filter(|o| o.environment.as_deref() == Some(environment))
    {
        let path = object.path.as_str();
        let in_dir = |dir: &str| path.starts_with(&format!("{environment}/{dir}/"));
        if in_dir("flux") || (in_dir("argocd") && path.ends_with("-manifests.yaml")) {
            continue;
        }
        let mut value: serde_json::Value = crate::yaml::from_yaml(bundle.yaml(object))?;
        if in_dir("manifests") {
            let annotations = value
                .pointer_mut("/metadata")
                .and_then(|m| m.as_object_mut())
                .map(|m| {
                    m.entry("annotations")
                        .or_insert_with(|| serde_json::json!({}))
                });
            if let Some(serde_json::Value::Object(a)) = annotations {
                a.insert("argocd.argoproj.io/sync-wave".into(), "1".into());
                a.insert(
                    "argocd.argoproj.io/sync-options".into(),
                    "SkipDryRunOnMissingResource=true".into(),
                );
            }
        }
        out.push_str(
            "---
# Source: ",
        );
        out.push_str(path);
        out.push('\n');
        out.push_str(&crate::yaml::to_yaml(&value)?);
    }
    Ok(out)
}

/// The plugin renders only environments Argo CD deploys (`gitops.engine: argocd`): for a Flux
/// environment it would hand Argo CD a Flux HelmRelease instead of the chart Application.
pub fn check_engine(
    environment: &crate::environment::model::Environment,
) -> Result<(), PluginError> {
    match environment.gitops.engine {
        crate::environment::model::Engine::Argocd => Ok(()),
        crate::environment::model::Engine::Flux => Err(PluginError::Refused(format!(
            "`{}` is deployed by Flux (`gitops.engine: flux`), not by Argo CD: the plugin refuses to render it (nothing was printed, so Argo CD prunes nothing). Point the Application at an environment with `gitops.engine: argocd`, or set `gitops.engine: argocd` for this one",
            environment.metadata.name
        ))),
    }
}

/// What the CMP server told us: the environment to render and its directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub environment: String,
    pub dir: String,
    /// Where the environment name came from, for error messages.
    pub source: &'static str,
}

/// Choose the environment from the CMP environment variables, most explicit first:
/// `ARGOCD_ENV_ENVIRONMENT` (plugin `env`), the `environment` parameter
/// (`ARGOCD_APP_PARAMETERS` JSON or `PARAM_ENVIRONMENT`), then the Application name
/// (`ARGOCD_APP_NAME`, without a `<namespace>_` prefix).
pub fn select(vars: &BTreeMap<String, String>) -> Result<Selection, PluginError> {
    let get = |k: &str| {
        vars.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let parameters = get("ARGOCD_APP_PARAMETERS")
        .map(|json| parse_parameters(&json))
        .transpose()?
        .unwrap_or_default();
    let dir = get("ARGOCD_ENV_DIR")
        .or_else(|| parameters.get("dir").cloned())
        .or_else(|| get("PARAM_DIR"))
        .unwrap_or_else(|| "environments".to_owned());
    let (environment, source) = if let Some(e) = get("ARGOCD_ENV_ENVIRONMENT") {
        (e, "ARGOCD_ENV_ENVIRONMENT")
    } else if let Some(e) = parameters.get("environment").cloned() {
        (e, "the `environment` parameter")
    } else if let Some(e) = get("PARAM_ENVIRONMENT") {
        (e, "PARAM_ENVIRONMENT")
    } else if let Some(app) = get("ARGOCD_APP_NAME") {
        let name = app.rsplit('_').next().unwrap_or(&app).to_owned();
        (name, "the Application name (ARGOCD_APP_NAME)")
    } else {
        return Err(PluginError::Refused("no environment chosen: set the plugin env `ENVIRONMENT` (ARGOCD_ENV_ENVIRONMENT) or the `environment` parameter in the Application".to_owned()));
    };
    if dir.split('/').any(|c| c == "..") || dir.starts_with('/') {
        return Err(PluginError::Refused(format!(
            "the environment directory `{dir}` must stay inside the repository"
        )));
    }
    Ok(Selection {
        environment,
        dir,
        source,
    })
}

/// `ARGOCD_APP_PARAMETERS` is a JSON array of `{name, string|array|map}`; keep the strings.
fn parse_parameters(json: &str) -> Result<BTreeMap<String, String>, PluginError> {
    if json == "null" {
        return Ok(BTreeMap::new());
    }
    let value: serde_json::Value = serde_json::from_str(json).map_err(PluginError::Parameters)?;
    let mut out = BTreeMap::new();
    for item in value.as_array().into_iter().flatten() {
        if let (Some(name), Some(string)) = (
            item.get("name").and_then(|v| v.as_str()),
            item.get("string").and_then(|v| v.as_str()),
        ) {
            out.insert(name.to_owned(), string.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn explicit_env_wins_then_parameters_then_app_name() {
        let s = select(&vars(&[
            ("ARGOCD_ENV_ENVIRONMENT", "prod"),
            ("ARGOCD_APP_NAME", "argocd_other"),
        ]))
        .unwrap();
        assert_eq!(
            (s.environment.as_str(), s.dir.as_str()),
            ("prod", "environments")
        );
        let s = select(&vars(&[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"environment","string":"dev"},{"name":"dir","string":"envs"}]"#,
        )]))
        .unwrap();
        assert_eq!((s.environment.as_str(), s.dir.as_str()), ("dev", "envs"));
        let s = select(&vars(&[("PARAM_ENVIRONMENT", "qa")])).unwrap();
        assert_eq!(s.environment, "qa");
        let s = select(&vars(&[("ARGOCD_APP_NAME", "team-a_prod-se")])).unwrap();
        assert_eq!(s.environment, "prod-se");
        assert!(select(&vars(&[])).is_err());
        assert!(
            select(&vars(&[
                ("ARGOCD_ENV_ENVIRONMENT", "x"),
                ("ARGOCD_ENV_DIR", "../etc")
            ]))
            .is_err()
        );
        assert!(select(&vars(&[("ARGOCD_APP_PARAMETERS", "{not json")])).is_err());
    }

    #[test]
    fn plugin_yaml_names_the_plugin_and_its_commands() {
        let text = plugin_yaml("Environment name", "The environment to render");
        let value = crate::yaml::documents(&text).unwrap().remove(0);
        assert_eq!(value["kind"], "ConfigManagementPlugin");
        assert_eq!(value["spec"]["generate"]["args"][1], "generate");
        assert_eq!(
            value["spec"]["parameters"]["static"][0]["name"],
            "environment"
        );
    }
}
