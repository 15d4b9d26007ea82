//! How the report is assembled from a validation outcome: per environment its rule results
//! in catalogue order, findings, key settings, coverage and restore-test history.

use super::hash::{input_hash, schemas_hash};
use super::model::{
    Accepted, Citation, Counts, EnvironmentEvidence, Evidence, Finding, Header, ProfileColumn,
    ProfileResult, RuleEvidence, Source, Summary, VERSION, Verdict,
};
use super::settings::{display, key_settings, setting};
use crate::assets::Assets;
use crate::compliance::catalog::Catalog;
use crate::diagnostic::{Diagnostic, Tally};
use crate::schema::dotted;
use crate::source::Sources;
use crate::validate::{Checked, Outcome};
use serde_json::Value;
use std::collections::BTreeMap;

/// The ConfigMap (in the Velero namespace) each rendered restore-test run appends a JSON
/// record to: the durable evidence, kept longer than Velero keeps its Restore objects.
pub const RESTORE_TEST_HISTORY: &str = "ck8s-restore-test-history";

/// What the command passes in besides the validation outcome.
pub struct Inputs<'a> {
    pub catalog: &'a Catalog,
    pub assets: &'a Assets,
    /// `git rev-parse HEAD` of the repository, when known.
    pub commit: Option<String>,
    /// Day number of "today" (from the command layer: the clock or `CK8S_GEN_TODAY`).
    pub today: i64,
    /// The environment directory, as given on the command line.
    pub directory: String,
}

/// Build the evidence for every environment of `outcome`.
pub fn build(outcome: &Outcome, inputs: &Inputs<'_>) -> Evidence {
    let catalog = inputs.catalog;
    // Coverage describes the Schedules `render` writes, so it needs the templates.
    let templates = crate::render::templates::Templates::new(inputs.assets).ok();
    let environments: Vec<EnvironmentEvidence> = outcome
        .environments
        .iter()
        .map(|checked| environment(outcome, checked, inputs, templates.as_ref()))
        .collect();
    let mut profiles: Vec<ProfileColumn> = catalog
        .profiles
        .iter()
        .filter(|p| {
            environments
                .iter()
                .any(|e| e.profiles.iter().any(|r| r.id == p.meta.id))
        })
        .map(|p| {
            let mut checked: Vec<String> = Vec::new();
            for r in &p.rules {
                let c = r.meta.citation.reference();
                if !checked.contains(&c) {
                    checked.push(c);
                }
            }
            ProfileColumn {
                id: p.meta.id.clone(),
                title: p.meta.title.clone(),
                implicit: p.meta.implicit,
                text_version: p.meta.text_version.clone(),
                effective: p.meta.effective.clone(),
                retrieved: p.meta.retrieved.clone(),
                checked,
                not_checked: p.meta.not_checked.clone(),
            }
        })
        .collect();
    profiles.sort_by_key(|p| p.implicit);
    let workspace_findings: Vec<Finding> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.environment.is_none())
        .map(|d| finding(d, &outcome.sources, None))
        .collect();
    let all: Vec<&Diagnostic> = outcome.diagnostics.iter().collect();
    let mut rules = Counts::default();
    for e in &environments {
        for p in &e.profiles {
            rules.merge(p.counts);
        }
    }
    let summary = Summary {
        verdict: Verdict::of(&all),
        environments: environments.len(),
        failing: environments
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
            .count(),
        with_warnings: environments
            .iter()
            .filter(|e| e.verdict == Verdict::Warnings)
            .count(),
        rules,
        findings: Tally::of(&outcome.diagnostics),
    };
    Evidence {
        version: VERSION,
        header: Header {
            tool: "ck8s-gen".to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            commit: inputs.commit.clone(),
            today: crate::velero::dates::format_date(inputs.today),
            directory: inputs.directory.clone(),
            input_hash: input_hash(outcome.environments.iter().map(|c| &c.loaded)),
            schemas_hash: schemas_hash(inputs.assets),
        },
        summary,
        profiles,
        environments,
        workspace_findings,
    }
}

fn environment(
    outcome: &Outcome,
    checked: &Checked,
    inputs: &Inputs<'_>,
    templates: Option<&crate::render::templates::Templates>,
) -> EnvironmentEvidence {
    let loaded = &checked.loaded;
    let sources = &outcome.sources;
    let mine: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.environment.as_deref() == Some(loaded.name.as_str()))
        .collect();
    let deviations = checked
        .environment
        .as_ref()
        .map(|e| e.deviations.as_slice())
        .unwrap_or_default();
    let expires = |rule: &str| {
        deviations
            .iter()
            .find(|d| d.rule == rule)
            .and_then(|d| d.expires.clone())
    };
    let catalog = inputs.catalog;
    let position = |profile: &str, rule: &str| {
        catalog
            .profiles
            .iter()
            .position(|p| p.meta.id == profile)
            .map(|p| {
                let r = catalog.profiles[p]
                    .rules
                    .iter()
                    .position(|r| r.meta.id == rule);
                (p, r)
            })
    };
    let mut results: Vec<&crate::compliance::RuleResult> = checked.rules.iter().collect();
    results.sort_by_key(|r| position(&r.profile, &r.rule));
    let mut rules = Vec::new();
    let mut per_profile: BTreeMap<String, Counts> = BTreeMap::new();
    for result in results {
        let Some((_, rule)) = catalog.rule(&result.rule) else {
            continue;
        };
        per_profile
            .entry(result.profile.clone())
            .or_default()
            .add(result.status);
        let meta = &rule.meta;
        let finding = mine
            .iter()
            .find(|d| d.code == meta.id)
            .map(|d| finding(d, sources, expires(d.code.as_str())));
        rules.push(RuleEvidence {
            id: meta.id.clone(),
            profile: result.profile.clone(),
            severity: meta.severity.severity(),
            strength: meta.strength,
            source_kind: meta.source_kind,
            status: result.status,
            undeclared: result.undeclared.iter().map(|p| dotted(p)).collect(),
            checks: meta.checks.clone(),
            citation: Citation {
                reference: meta.citation.reference(),
                quote: meta.quote.clone(),
                interpretation: meta.is_interpretation(),
            },
            settings: meta
                .fields
                .iter()
                .map(|pointer| setting(loaded, sources, pointer))
                .collect(),
            finding,
            reported_by: result.reported_by.clone(),
        });
    }
    if checked.environment.is_none() {
        // Not evaluated: the profiles it lists (and those applied with any), without results.
        let listed: Vec<&str> = loaded
            .value
            .get("compliance")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for name in listed {
            if let Some(p) = catalog.profile(name).filter(|p| !p.meta.implicit) {
                per_profile.entry(p.meta.id.clone()).or_default();
            }
        }
        if !per_profile.is_empty() {
            for p in catalog.profiles.iter().filter(|p| p.meta.implicit) {
                per_profile.entry(p.meta.id.clone()).or_default();
            }
        }
    }
    let profiles: Vec<ProfileResult> = catalog
        .profiles
        .iter()
        .filter_map(|p| {
            per_profile.get(&p.meta.id).map(|counts| ProfileResult {
                id: p.meta.id.clone(),
                counts: *counts,
            })
        })
        .collect();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let findings = mine
        .iter()
        .filter(|d| !rule_ids.contains(&d.code.as_str()))
        .map(|d| finding(d, sources, expires(d.code.as_str())))
        .collect();
    let text = |pointer: &str| {
        loaded
            .value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let owned: Vec<Diagnostic> = mine.iter().map(|d| (*d).clone()).collect();
    EnvironmentEvidence {
        name: loaded.name.clone(),
        file: sources.get(loaded.file).path.clone(),
        description: text("/metadata/description"),
        role: text("/cluster/role"),
        verdict: Verdict::of(&mine),
        evaluated: checked.environment.is_some(),
        compliance: loaded
            .value
            .get("compliance")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(display).collect())
            .unwrap_or_default(),
        profiles,
        key_settings: key_settings(loaded, sources, inputs.today),
        rules,
        findings,
        tally: Tally::of(&owned),
        coverage: checked
            .environment
            .as_ref()
            .zip(templates)
            .and_then(|(env, templates)| super::coverage::of(templates, env).ok()),
        restore_test_history: checked
            .environment
            .as_ref()
            .filter(|e| e.restore_test.is_some())
            .map(|e| {
                format!(
                    "ConfigMap `{RESTORE_TEST_HISTORY}` in namespace `{}` of cluster `{}`",
                    e.gitops.namespace, e.metadata.name
                )
            }),
    }
}

fn finding(d: &Diagnostic, sources: &Sources, expires: Option<String>) -> Finding {
    Finding {
        code: d.code.to_string(),
        severity: d.severity,
        message: d.message.clone(),
        at: d.primary.as_ref().map(|l| Source::of(sources, l.location)),
        label: d.primary.as_ref().map(|l| l.message.clone()),
        fix: d.help.clone(),
        accepted: d.accepted.as_ref().map(|a| Accepted {
            reason: a.reason.clone(),
            owner: a.owner.clone(),
            approved_by: a.approved_by.clone(),
            approved_at: a.approved_at.clone(),
            expires: a.expires.clone().or(expires),
        }),
    }
}
