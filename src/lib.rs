//! ck8s-gen: validate backup environments of Elastisys Compliant Kubernetes (Welkin) against a
//! schema and regulatory profiles, and render the Velero, Flux and Argo CD manifests for them.
//!
//! The map, one concern per module, highest layer first. A module uses only modules of lower
//! layers (`tests/architecture.rs` fails on an upward or cyclic `crate::` path):
//!
//! 1. `commands`: one thin file per subcommand, the only printers.
//! 2. `cli`: the command line (clap derive); the doc comments are the help text.
//! 3. `argocd` (the Config Management Plugin), `diff` (what a change does), `restore` (restores
//!    and disaster recovery), `evidence` (the auditors' report, and `coverage`: what is in the
//!    backups), `cache` (the no-change shortcut of `render`).
//! 4. `tree`: the output tree on disk (locked, staged, committed atomically, checked).
//! 5. `render`: validated environments → templates → typed objects → canonical YAML files.
//! 6. `validate`: the pipeline (load, schema, checks, profiles, fleet checks, blast radius).
//! 7. `compliance`: regulatory profiles rule by rule, their catalogue and wording.
//! 8. `checks`: semantic checks a schema cannot express.
//! 9. `schema`: the environment JSON Schema, `explain KEY`, the velero chart's values schema.
//! 10. `environment`: discovering, decoding and layering environment files; the typed model.
//! 11. `assets`: the schemas, defaults and templates embedded in the binary.
//! 12. `yaml`: the only YAML reader and writer.
//! 13. `diagnostic`: the one finding model, its `Code` enum, one renderer per output format
//!     (human, JSON, GitHub, Markdown).
//! 14. `secrets`: spotting credentials, and the one redaction step every printer uses.
//! 15. `source`: files, spans and the safe file-system layer.
//! 16. `velero`: Go durations, robfig cron schedules and dates, as Velero reads them.
//! 17. `text`: plurals, lists, escaping, did-you-mean. Depends on nothing.

pub mod cli;
pub mod commands;

pub mod argocd;
pub mod cache;
pub mod diff;
pub mod evidence;
pub mod restore;

pub mod tree;

pub mod render;

pub mod validate;

pub mod compliance;

pub mod checks;

pub mod schema;

pub mod environment;

pub mod assets;

pub mod yaml;

pub mod diagnostic;

pub mod secrets;

pub mod source;

pub mod text;
pub mod velero;

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
