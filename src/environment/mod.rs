//! Environments as the user wrote them and as they mean: finding the files (`discover`),
//! reading them without trusting them (`decode`), layering defaults ← common ← environment
//! (`merge`) with provenance (`provenance`), all driven by `load`; the typed model (`model`);
//! and a new environment file to start from (`init`).

mod decode;
mod discover;
pub mod init;
pub mod load;
mod merge;
pub mod model;
mod provenance;
