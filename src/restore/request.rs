//! What the administrator asks `ck8s-gen restore` for (source, namespaces, mapping, policy, name,
//! time) and the command line that repeats it.

use crate::assets::Assets;
use std::path::Path;

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

/// The command line that prints this restore (for the checklist).
pub(super) fn command_line(env: &str, request: &Request<'_>) -> String {
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
