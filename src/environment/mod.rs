//! Environments as the user wrote them and as they mean: finding and decoding the files, layering
//! defaults ← common ← environment with provenance (`load`), the typed model (`model`), and a new
//! environment file to start from (`init`).

pub mod init;
pub mod load;
pub mod model;
