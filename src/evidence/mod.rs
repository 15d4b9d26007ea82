//! The compliance evidence report (`ck8s-gen report`): for auditors and CISOs, what each
//! environment is held to, how it fares against every rule and which setting shows it, the
//! fleet side by side, and what is in the backups.
//!
//! [`build`] turns a validation [`Outcome`](crate::validate::Outcome) into an [`Evidence`]
//! document; [`markdown`], [`html`] and [`to_json`] render it. The library stays pure: the git commit and "today" are
//! passed in by the command. Everything is sorted and free of timestamps, so the same inputs
//! give the same bytes, and the header says how to reproduce them.
//!
//! # JSON shape (`version` 1)
//!
//! The JSON rendering ([`to_json`]) is the [`Evidence`] types serialized with camelCase keys;
//! fields are only added in a compatible way while `version` stays 1.
//!
//! ```text
//! { version, header: {tool, toolVersion, commit|null, today, directory, inputHash, schemasHash},
//!   summary: {verdict, environments, failing, withWarnings, rules: Counts, findings: Tally},
//!   profiles: [{id, title, implicit, textVersion, effective, retrieved,
//!               checked: [clause], notChecked: [clause]}],  // the matrix columns
//!   environments: [{
//!     name, file, description|null, role|null, verdict, evaluated, compliance: [id],
//!     profiles: [{id, counts: Counts}],                     // one matrix row
//!     keySettings: [{id, label, text, value, at: Source|null}],
//!     rules: [{id, profile, severity, strength, sourceKind, status, undeclared: [key],
//!              checks, citation: {reference,
//!              quote|null, interpretation}, settings: [{key, value|null, text, at: Source|null}],
//!              finding: Finding|null, reportedBy|null}],
//!     findings: [Finding],                                  // not tied to a rule
//!     tally: Tally, coverage: Coverage|null, restoreTestHistory: string|null }],
//!   workspaceFindings: [Finding] }                          // tied to no environment
//! Counts  = {pass, fail, accepted, notEvidenced, notApplicable}
//! Tally   = {errors, warnings, notes, accepted}
//! Source  = {file, line, default}                           // default: a built-in default
//! Finding = {code, severity, message, at: Source|null, label|null, fix|null,
//!            accepted: {reason, owner, approvedBy|null, approvedAt|null,
//!                       expires|null}|null}
//! ```
//! `verdict` is `pass`, `warnings` (open warnings only) or `fail`; `status` is `pass`, `fail`,
//! `accepted`, `not-evidenced` (the rule would pass only on values nobody declared: built-in
//! defaults, absent keys; `undeclared` lists them) or `not-applicable`. `sourceKind` is
//! `regulation`, `standard-guidance`, `supervisory-guidance`, `vendor-practice` or
//! `consistency-rule`.

mod assemble;
pub mod coverage;
mod hash;
pub mod html;
pub mod markdown;
mod model;
mod settings;

pub use assemble::{Inputs, RESTORE_TEST_HISTORY, build};
pub use hash::{input_hash, schemas_hash};
pub use model::{
    Accepted, Citation, Counts, EnvironmentEvidence, Evidence, Finding, Header, KeySetting,
    ProfileColumn, ProfileResult, RuleEvidence, Setting, Source, Summary, VERSION, Verdict,
};

/// The JSON rendering (pretty, with a final newline).
pub fn to_json(evidence: &Evidence) -> String {
    let mut text = serde_json::to_string_pretty(evidence).unwrap_or_default();
    text.push('\n');
    text
}
