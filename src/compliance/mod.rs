//! Regulatory profiles: loading the profile schemas, checking environments against the ones
//! they list under `compliance:`, and documented deviations that accept a warning.

use crate::assets::Assets;
use crate::diagnostic::{Acceptance, Diagnostic, Severity};
use crate::load::LoadedEnvironment;
use crate::model::Environment;

/// Every regulatory profile, compiled once.
#[derive(Default)]
pub struct Profiles {}

impl Profiles {
    pub fn load(_assets: &Assets) -> Result<Profiles, String> {
        Ok(Profiles {})
    }

    /// Findings of the profiles an environment lists.
    pub fn check(&self, _loaded: &LoadedEnvironment, _env: &Environment) -> Vec<Diagnostic> {
        Vec::new()
    }
}

/// Mark warnings accepted by a documented deviation; refuse deviations from errors; report
/// deviations that no longer apply (expired) or match nothing.
pub fn apply_deviations(
    loaded: &LoadedEnvironment,
    env: Option<&Environment>,
    found: &mut Vec<Diagnostic>,
) {
    let Some(env) = env else { return };
    let today = crate::dates::today();
    let mut extra = Vec::new();
    for (i, deviation) in env.deviations.iter().enumerate() {
        let pointer = format!("/deviations/{i}");
        let at = loaded.provenance.value_location(&format!("{pointer}/rule"));
        if let Some(expires) = deviation
            .expires
            .as_deref()
            .and_then(crate::dates::parse_date)
            && expires < today
        {
            extra.push(
                Diagnostic::warning(
                    "deviation-expired",
                    format!(
                        "the deviation from {} expired on {}",
                        deviation.rule,
                        crate::dates::format_date(expires)
                    ),
                )
                .at(
                    loaded
                        .provenance
                        .value_location(&format!("{pointer}/expires")),
                    "expired",
                )
                .help("review the deviation: renew `expires` or fix the finding"),
            );
            continue;
        }
        let mut matched = false;
        for d in found.iter_mut().filter(|d| d.code == deviation.rule) {
            matched = true;
            match d.severity {
                Severity::Error => {}
                Severity::Warning | Severity::Note => {
                    d.accepted = Some(Acceptance {
                        reason: deviation.reason.clone(),
                        owner: deviation.owner.clone(),
                    });
                }
            }
        }
        if found
            .iter()
            .any(|d| d.code == deviation.rule && d.severity == Severity::Error)
        {
            extra.push(
                Diagnostic::error("deviation-not-allowed", format!("{} is an error-level rule; it cannot be accepted as a deviation", deviation.rule))
                    .at(at, "cannot accept an error")
                    .help("only warnings (SHOULD and interpretation rules) can be accepted; fix the setting instead"),
            );
        } else if !matched {
            extra.push(
                Diagnostic::note(
                    "unused-deviation",
                    format!("the deviation from {} matches no finding", deviation.rule),
                )
                .at(at, "nothing to accept")
                .help("remove the deviation, or check the rule id (`ck8s-gen regulations list`)"),
            );
        }
    }
    found.extend(extra);
}
