//! Rules across environments: unique names, one prefix per bucket, `managedBy` naming a
//! management environment.

use super::Checked;
use crate::diagnostic::{Code, Diagnostic};
use crate::environment::model::{Environment, Role};
use std::collections::BTreeMap;

/// What the fleet checks read of a typed environment: kept when the rest of it is dropped
/// ([`super::validate_findings`]).
#[derive(Clone, Debug)]
pub struct Links {
    pub role: Role,
    /// Endpoint, bucket and effective prefix of the primary storage.
    pub location: (String, String, String),
    /// The management environment running its off-site sync, when replication is enabled.
    pub managed_by: Option<String>,
}

impl Links {
    pub fn of(env: &Environment) -> Links {
        Links {
            role: env.cluster.role,
            location: (
                env.storage.endpoint.clone().unwrap_or_default(),
                env.storage.bucket.clone(),
                env.storage.effective_prefix(env.cluster.role),
            ),
            managed_by: env
                .replication
                .offsite
                .managed_by
                .clone()
                .filter(|_| env.replication.offsite.enabled),
        }
    }
}

/// The values whose origins the fleet checks cite: every environment keeps these (and may
/// drop the rest once its own checks are done).
pub const CITED: &[&str] = &[
    "/metadata/name",
    "/storage/bucket",
    "/replication/offsite/managedBy",
];

/// Rules across environments: names, one prefix per bucket, management links.
/// `unloaded` tells whether a name belongs to an environment of the directory that was not
/// loaded (a link to it is not reported).
pub fn fleet(environments: &[Checked], unloaded: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut names: BTreeMap<&str, &Checked> = BTreeMap::new();
    for c in environments {
        if let Some(first) = names.get(c.loaded.name.as_str()) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateEnvironment,
                    format!("two environments are named `{}`", c.loaded.name),
                )
                .at(
                    c.loaded.provenance.value_location("/metadata/name"),
                    "repeated name",
                )
                .also(
                    first.loaded.provenance.value_location("/metadata/name"),
                    "first used here",
                )
                .in_environment(&c.loaded.name)
                .help("environment names must be unique: they name the rendered directories"),
            );
        } else {
            names.insert(c.loaded.name.as_str(), c);
        }
    }
    let mut management: Option<Vec<&str>> = None;
    let mut locations: BTreeMap<(String, String, String), &Checked> = BTreeMap::new();
    for c in environments {
        let Some(env) = &c.links else { continue };
        let key = env.location.clone();
        if let Some(first) = locations.insert(key.clone(), c) {
            out.push(
                Diagnostic::error(Code::DuplicateBucketPrefix, format!("`{}` and `{}` write to the same bucket `{}` under the same prefix `{}`", first.loaded.name, c.loaded.name, key.1, key.2))
                    .at(c.loaded.provenance.value_location("/storage/bucket"), "same bucket and prefix")
                    .also(first.loaded.provenance.value_location("/storage/bucket"), "also used here")
                    .in_environment(&c.loaded.name)
                    .help("give each cluster sharing a bucket its own `prefix`: Velero would sync and garbage-collect the other cluster's backups"),
            );
        }
        if let Some(manager) = env.managed_by.as_deref() {
            let target = names.get(manager);
            let role = target.and_then(|t| t.links.as_ref()).map(|e| e.role);
            let problem = match (target, role) {
                (None, _) if unloaded(manager) => None,
                (None, _) => Some(format!("no environment named `{manager}`")),
                (Some(_), Some(Role::Workload)) => {
                    Some(format!("`{manager}` is a workload cluster"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                let names = management.get_or_insert_with(|| {
                    environments
                        .iter()
                        .filter(|o| o.links.as_ref().is_some_and(|e| e.role == Role::Management))
                        .map(|o| o.loaded.name.as_str())
                        .collect()
                });
                let mut help = "`managedBy` names the management environment whose cluster runs the replication CronJobs".to_owned();
                if let Some(s) = crate::text::suggest::did_you_mean(manager, names.iter().copied())
                {
                    help = format!("did you mean `{s}`? {help}");
                }
                out.push(
                    Diagnostic::error(
                        Code::UnknownManagementEnvironment,
                        format!("off-site replication is managed by `{manager}`, but {problem}"),
                    )
                    .at(
                        c.loaded
                            .provenance
                            .value_location("/replication/offsite/managedBy"),
                        "not a management environment",
                    )
                    .in_environment(&c.loaded.name)
                    .help(help),
                );
            }
        }
    }
    out
}
