//! ck8s-gen: validate backup environments of Elastisys Compliant Kubernetes (Welkin) against a
//! schema and regulatory profiles, and render the Velero, Flux and Argo CD manifests for them.
//!
//! Architecture (dependencies point down):
//! - `cli`, `commands`: argument parsing and one thin file per subcommand (the only printers).
//! - `load`: reading `environments/`, layering defaults ← common ← environment, provenance.
//! - `schema`, `checks`: structural (JSON Schema) and semantic validation into `model` types.
//! - `diagnostic`, `report`: one finding model, rendered as human text, JSON or annotations.
//! - `compliance`, `coverage`, `evidence`: regulatory profiles rule by rule, what is in the
//!   backups, and the evidence report for auditors (Markdown, HTML, JSON).
//! - `render`: templates → typed objects → canonical YAML files, written atomically.
//! - `source`, `yaml`: files, spans and the only YAML reader and writer.

pub mod argocd;
pub mod assets;
pub mod chart;
pub mod coverage;
pub mod dates;
pub mod diagnostic;
pub mod diff;
pub mod evidence;
pub mod explain;
pub mod init;
pub mod load;
pub mod model;
pub mod redact;
pub mod report;
pub mod restore;
pub mod safefs;
pub mod schema;
pub mod secrets;
pub mod source;
pub mod suggest;
pub mod yaml;

pub mod checks;
pub mod cli;
pub mod commands;
pub mod compliance;
pub mod cron;
pub mod duration;
pub mod render;
pub mod validate;

/// How a run ended, named once: 0 success, 1 findings, 2 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report (or only warnings).
    Success,
    /// Findings: validation errors, stale rendered output, differences.
    Failure,
    /// The tool could not do its job: bad usage, unreadable files, I/O errors.
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => std::process::ExitCode::from(0),
            ExitStatus::Failure => std::process::ExitCode::from(1),
            ExitStatus::Error => std::process::ExitCode::from(2),
        }
    }
}
