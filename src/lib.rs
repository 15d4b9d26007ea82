//! ck8s-gen: validate backup environments of Elastisys Compliant Kubernetes (Welkin) against a
//! schema and regulatory profiles, and render the Velero, Flux and Argo CD manifests for them.
//!
//! Architecture (dependencies point down):
//! - `cli`, `commands`: argument parsing and one thin file per subcommand (the only printers).
//! - `load`: reading `environments/`, layering defaults ← common ← environment, provenance.
//! - `schema`, `checks`: structural (JSON Schema) and semantic validation into `model` types.
//! - `diagnostic`, `report`: one finding model, rendered as human text, JSON or annotations.
//! - `source`, `yaml`: files, spans and the only YAML reader and writer.

pub mod assets;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod report;
pub mod schema;
pub mod secrets;
pub mod source;
pub mod suggest;
pub mod yaml;
