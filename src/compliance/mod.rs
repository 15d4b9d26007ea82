//! Regulatory profiles: the public entry points (loading the profile schemas, checking an
//! environment against the ones it lists under `compliance:`, documented deviations that accept
//! a warning, and the rules that read a key), each implemented in its own file below.
//!
//! Each rule is its own compiled JSON Schema validator ([`profiles`]), run against the effective
//! environment plus a `/derived` object of computed facts ([`derived`]); cross-field rules and
//! conflicts are Rust functions ([`native`]) carrying the same metadata ([`catalog`]). Every
//! finding is one diagnostic per rule ([`findings`]), with the rule id as its code, the
//! citation, and the fix, located at the offending key in the user's file (or at the
//! `compliance:` entry of the profile).
//!
//! [`Profiles::evaluate`] also says how the environment fares against every rule of its
//! profiles ([`results`]: pass, fail, not evidenced ([`evidenced`]), not applicable), which the
//! evidence report lists; [`settle`] marks the failures a documented deviation accepts once
//! [`apply_deviations`] ([`deviations`]) has run.

pub mod catalog;
pub mod derived;
mod deviations;
mod evidenced;
mod findings;
mod messages;
pub mod native;
mod profiles;
pub mod regulations;
mod results;

pub use deviations::{DEVIATION_MAX_DAYS, apply_deviations};
pub use profiles::{Profiles, ProfilesError};
pub use results::{Evaluation, RuleResult, Status, settle};

use crate::assets::Assets;
use catalog::Catalog;

/// Regulatory rules that check the key at `pointer` (or a key under it): `(rule id, citation)`.
pub fn rules_for_key(assets: &Assets, pointer: &str) -> Vec<(String, String)> {
    let Ok(catalog) = Catalog::load(assets) else {
        return Vec::new();
    };
    let prefix = format!("{pointer}/");
    let mut out: Vec<(String, String)> = catalog
        .rules()
        .filter(|(_, r)| {
            r.meta
                .fields
                .iter()
                .any(|f| f == pointer || f.starts_with(&prefix))
        })
        .map(|(_, r)| (r.meta.id.clone(), r.meta.citation.reference()))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_for_a_key() {
        let rules = rules_for_key(&Assets::embedded(), "/restoreTest/decidedBy");
        let ids: Vec<&str> = rules.iter().map(|(id, _)| id.as_str()).collect();
        assert!(ids.contains(&"HSLF-09"), "{ids:?}");
        let (_, citation) = rules.iter().find(|(id, _)| id == "HSLF-09").unwrap();
        assert_eq!(citation, "HSLF-FS 2016:40 3 kap. 13 §");
        assert!(rules_for_key(&Assets::embedded(), "/gitops/engine").is_empty());
    }
}
