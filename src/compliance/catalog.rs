//! The profile catalogue: profile and rule metadata read from `schemas/regulations/*.json`.
//!
//! A profile file is a JSON Schema (2020-12). Its `x-profile` names the profile; each entry of
//! its `allOf` is one rule whose `x-rule` carries the metadata below and whose other keywords
//! are the schema the effective environment (plus `/derived`) must satisfy.

use crate::assets::Assets;
use crate::diagnostic::{Citation, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// Folder of the profile files among the schemas.
pub const FOLDER: &str = "regulations/";

/// How binding the source wording is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// "shall", "ska", "MUSS", HIPAA "(Required)": an error.
    Hard,
    /// "should", "bör", "SOLLTE", HIPAA "(Addressable)": a warning.
    Should,
    /// Our reading of an open requirement, or vendor practice: a warning (or a note).
    Interp,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Hard => "hard",
            Strength::Should => "should",
            Strength::Interp => "interp",
        }
    }
}

/// Severity of a rule's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn severity(self) -> Severity {
        match self {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Note => Severity::Note,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.severity().as_str()
    }
}

/// What kind of text a rule rests on, printed with every rule so an auditor can tell a legal
/// requirement from advice, vendor practice, or a check of ck8s-gen's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A law, regulation or binding implementing act (GDPR, HIPAA, DORA, NIS2, HSLF-FS, MSBFS).
    Regulation,
    /// A standard's control or its implementation guidance (ISO/IEC 27001/27002, BSI).
    StandardGuidance,
    /// Guidance of a supervisory authority (IMY, Datatilsynet, EDPB).
    SupervisoryGuidance,
    /// A vendor's documentation or practice (Velero, Veeam, Elastisys).
    VendorPractice,
    /// Internal consistency of the configuration, checked by ck8s-gen.
    ConsistencyRule,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Regulation => "regulation",
            SourceKind::StandardGuidance => "standard guidance",
            SourceKind::SupervisoryGuidance => "supervisory guidance",
            SourceKind::VendorPractice => "vendor practice",
            SourceKind::ConsistencyRule => "ck8s-gen consistency rule",
        }
    }
}

/// Where a rule comes from: `HSLF-FS 2016:40` `3 kap.` `13 §`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CitationMeta {
    pub regulation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<String>,
    /// A qualifier shown in parentheses, e.g. "wording not verified".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CitationMeta {
    /// `HSLF-FS 2016:40 3 kap. 13 §`, with the note in parentheses.
    pub fn reference(&self) -> String {
        let mut parts = vec![self.regulation.as_str()];
        parts.extend(self.chapter.as_deref());
        parts.extend(self.paragraph.as_deref());
        let mut text = parts.join(" ");
        if let Some(note) = &self.note {
            text.push_str(&format!(" ({note})"));
        }
        text
    }
}

/// Drop another rule's findings when this one fires (conflicts replace the rules they name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Supersede {
    pub rule: String,
    /// Only the findings at or under this JSON pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under: Option<String>,
}

/// The metadata of one rule (`x-rule`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleMeta {
    /// Stable id, e.g. `HSLF-07`; what findings and deviations use.
    pub id: String,
    pub severity: Level,
    pub strength: Strength,
    pub citation: CitationMeta,
    /// A short quote of the source text, when it was retrieved.
    pub quote: Option<String>,
    /// What the rule checks, in one sentence.
    pub checks: String,
    /// The default message of a finding (clauses may carry their own `x-message`).
    pub message: String,
    /// How to fix a finding.
    pub fix: String,
    /// The key to point at when the rule is not met by absence of a key.
    pub locate: String,
    /// The environment keys the rule reads (JSON pointers).
    pub fields: Vec<String>,
    /// A rule checked in Rust (`native.rs`); the schema's top-level `if` says when it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
    /// Drop this rule's finding at a key where one of these rules already reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded_by: Vec<String>,
    /// Rules whose findings this one replaces when it fires (conflicts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<Supersede>,
    /// The rules in tension (conflicts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Codes of semantic checks (`checks`) this rule's finding replaces, so the same
    /// problem is not reported twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<crate::diagnostic::Code>,
    /// Marks a rule whose mapping to the source is our reading (never an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<bool>,
    /// What kind of text the rule rests on.
    pub source_kind: SourceKind,
    /// Keys the rule may only pass on when they are written in the user's files: a built-in
    /// default or an absent key leaves the rule `not-evidenced` instead of `pass`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Keys that must hold an evidence reference (`{ref, date, by}`) when set: a bare `true`
    /// leaves the rule `not-evidenced`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Severity of the `not-evidenced` finding (default: warning, or note for a note rule;
    /// never above the rule's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_evidenced: Option<Level>,
}

impl RuleMeta {
    pub fn is_interpretation(&self) -> bool {
        self.strength == Strength::Interp || self.interpretation == Some(true)
    }

    /// Severity of the finding when the rule rests on a value nobody declared.
    pub fn not_evidenced_level(&self) -> Level {
        self.not_evidenced
            .unwrap_or(self.severity.max(Level::Warning))
    }

    pub fn citation(&self) -> Citation {
        Citation {
            reference: self.citation.reference(),
            quote: self.quote.clone(),
            interpretation: self.is_interpretation(),
        }
    }
}

/// The metadata of one profile (`x-profile`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileMeta {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub title: String,
    pub regulation: String,
    pub summary: String,
    #[serde(default)]
    pub sources: Vec<String>,
    /// Applied with any profile; not listed under `compliance:`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub implicit: bool,
    /// The text (and version) the rules encode.
    pub text_version: String,
    /// When that text took effect (`YYYY-MM-DD`, `n/a`, or `not verified`).
    pub effective: String,
    /// When the quoted wording was last retrieved and checked.
    pub retrieved: String,
    /// Clauses of the text ck8s-gen does not check: what stays manual for the auditor.
    #[serde(default)]
    pub not_checked: Vec<String>,
}

/// One rule: its metadata and its schema (the entry without `x-rule`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    pub schema: Value,
}

#[derive(Clone, Debug)]
pub struct Profile {
    pub meta: ProfileMeta,
    /// `regulations/<id>.json`.
    pub file: String,
    pub rules: Vec<Rule>,
}

impl Profile {
    /// Rule counts by severity: (errors, warnings, notes).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |l: Level| self.rules.iter().filter(|r| r.meta.severity == l).count();
        (
            count(Level::Error),
            count(Level::Warning),
            count(Level::Note),
        )
    }
}

/// Every profile: the selectable ones sorted by id, then the implicit ones.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub profiles: Vec<Profile>,
}

/// Why the regulatory profiles cannot be loaded (a broken `regulations/*.json`).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {source}")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: {what}: {source}")]
    Meta {
        file: String,
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// An inconsistency, as a sentence naming the file and rule.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: String) -> CatalogError {
    CatalogError::Invalid(message)
}

impl Catalog {
    /// Read and check every `regulations/*.json` among the assets.
    pub fn load(assets: &Assets) -> Result<Catalog, CatalogError> {
        let mut profiles = Vec::new();
        for (name, text) in assets.schemas_under(FOLDER) {
            if !name.ends_with(".json") {
                continue;
            }
            profiles.push(parse_profile(name, text)?);
        }
        profiles.sort_by(|a, b| (a.meta.implicit, &a.meta.id).cmp(&(b.meta.implicit, &b.meta.id)));
        let catalog = Catalog { profiles };
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), CatalogError> {
        let mut ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for p in &self.profiles {
            for name in std::iter::once(&p.meta.id).chain(&p.meta.aliases) {
                if !names.insert(name.as_str()) {
                    return Err(invalid(format!(
                        "profile id or alias `{name}` is used twice"
                    )));
                }
            }
            for r in &p.rules {
                if !ids.insert(r.meta.id.as_str()) {
                    return Err(invalid(format!("rule id `{}` is used twice", r.meta.id)));
                }
            }
        }
        for p in &self.profiles {
            for r in &p.rules {
                let m = &r.meta;
                let at = format!("{} rule {}", p.file, m.id);
                if !valid_rule_id(&m.id) {
                    return Err(invalid(format!(
                        "{at}: rule ids are upper-case words joined by `-`"
                    )));
                }
                let consistent = match m.strength {
                    Strength::Hard => m.severity == Level::Error,
                    Strength::Should => m.severity == Level::Warning,
                    Strength::Interp => m.severity != Level::Error,
                };
                if !consistent {
                    return Err(invalid(format!(
                        "{at}: a {} rule cannot have severity {}",
                        m.strength.as_str(),
                        m.severity.as_str()
                    )));
                }
                if m.is_interpretation() && m.severity == Level::Error {
                    return Err(invalid(format!(
                        "{at}: an interpretation is never an error (make it a warning)"
                    )));
                }
                if m.not_evidenced_level() < m.severity
                    || (m.is_interpretation() && m.not_evidenced_level() == Level::Error)
                {
                    return Err(invalid(format!(
                        "{at}: `notEvidenced` cannot be more severe than the rule"
                    )));
                }
                let referenced = m
                    .superseded_by
                    .iter()
                    .chain(&m.names)
                    .chain(m.supersedes.iter().map(|s| &s.rule));
                for other in referenced {
                    if !ids.contains(other.as_str()) {
                        return Err(invalid(format!("{at}: refers to unknown rule `{other}`")));
                    }
                }
                if let Some(native) = &m.native
                    && !super::native::NAMES.contains(&native.as_str())
                {
                    return Err(invalid(format!("{at}: unknown native check `{native}`")));
                }
                if m.native.is_none() && !has_assertions(&r.schema) {
                    return Err(invalid(format!("{at}: the rule checks nothing")));
                }
                for pointer in m
                    .fields
                    .iter()
                    .chain(&m.evidence)
                    .chain(&m.references)
                    .chain(std::iter::once(&m.locate))
                {
                    if !pointer.starts_with('/') {
                        return Err(invalid(format!("{at}: `{pointer}` is not a JSON pointer")));
                    }
                }
            }
        }
        Ok(())
    }

    /// The profile named `name` (an id or an alias), selectable or not.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.meta.id == name || p.meta.aliases.iter().any(|a| a == name))
    }

    /// The rule with this id (case-insensitive) and its profile.
    pub fn rule(&self, id: &str) -> Option<(&Profile, &Rule)> {
        self.profiles.iter().find_map(|p| {
            p.rules
                .iter()
                .find(|r| r.meta.id.eq_ignore_ascii_case(id))
                .map(|r| (p, r))
        })
    }

    /// Ids and aliases an environment may list under `compliance:`.
    pub fn selectable_names(&self) -> Vec<&str> {
        self.profiles
            .iter()
            .filter(|p| !p.meta.implicit)
            .flat_map(|p| std::iter::once(&p.meta.id).chain(&p.meta.aliases))
            .map(String::as_str)
            .collect()
    }

    /// Every rule, in catalogue order.
    pub fn rules(&self) -> impl Iterator<Item = (&Profile, &Rule)> {
        self.profiles
            .iter()
            .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
    }
}

fn valid_rule_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
}

/// Whether a rule schema constrains anything beyond an applicability `if`.
fn has_assertions(schema: &Value) -> bool {
    schema
        .as_object()
        .is_some_and(|o| o.keys().any(|k| k != "if" && !k.starts_with("x-")))
}

fn parse_profile(file: &str, text: &str) -> Result<Profile, CatalogError> {
    let raw: Value = serde_json::from_str(text).map_err(|source| CatalogError::Json {
        file: file.to_owned(),
        source,
    })?;
    let meta: ProfileMeta = serde_json::from_value(
        raw.get("x-profile")
            .cloned()
            .ok_or_else(|| invalid(format!("{file}: no `x-profile`")))?,
    )
    .map_err(|source| CatalogError::Meta {
        file: file.to_owned(),
        what: "x-profile".to_owned(),
        source,
    })?;
    let expected = format!("{FOLDER}{}.json", meta.id);
    if file != expected {
        return Err(invalid(format!(
            "{file}: profile `{}` must be in `{expected}`",
            meta.id
        )));
    }
    let entries = raw
        .get("allOf")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("{file}: no `allOf` list of rules")))?;
    let mut rules = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut schema = entry
            .as_object()
            .cloned()
            .ok_or_else(|| invalid(format!("{file}: allOf/{i} is not an object")))?;
        let meta: RuleMeta = serde_json::from_value(
            schema
                .remove("x-rule")
                .ok_or_else(|| invalid(format!("{file}: allOf/{i} has no `x-rule`")))?,
        )
        .map_err(|source| CatalogError::Meta {
            file: file.to_owned(),
            what: format!("allOf/{i}: x-rule"),
            source,
        })?;
        rules.push(Rule {
            meta,
            schema: Value::Object(schema),
        });
    }
    Ok(Profile {
        meta,
        file: file.to_owned(),
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::ENVIRONMENT_SCHEMA;
    use crate::schema::EnvironmentSchema;
    use serde_json::json;

    fn embedded() -> Catalog {
        Catalog::load(&Assets::embedded()).expect("the built-in profiles load")
    }

    #[test]
    fn every_profile_file_is_a_json_schema_and_names_real_keys() {
        let assets = Assets::embedded();
        let schema =
            EnvironmentSchema::compile(assets.schema(ENVIRONMENT_SCHEMA).unwrap()).unwrap();
        let catalog = embedded();
        assert_eq!(catalog.profiles.len(), 10);
        for p in &catalog.profiles {
            let text = assets.schema(&p.file).unwrap();
            let raw: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{}",
                p.file
            );
            jsonschema::draft202012::new(&raw)
                .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", p.file));
            for r in &p.rules {
                for pointer in r.meta.fields.iter().chain(std::iter::once(&r.meta.locate)) {
                    assert!(
                        schema.node_at(pointer).is_some(),
                        "{}: `{pointer}` is not a key of the environment schema",
                        r.meta.id
                    );
                }
            }
        }
    }

    #[test]
    fn the_brief_profiles_and_aliases_exist() {
        let catalog = embedded();
        for id in [
            "gdpr-art-17",
            "hslf-fs-2016-40",
            "iso-27001-a.12.3.1",
            "iso-27001-2022-a.8.13",
            "bsi-app.4.4.a5",
            "hipaa-164.308-a7",
            "msbfs-2020-7",
            "nis2-art-21",
            "dora-art-12",
        ] {
            assert!(catalog.profile(id).is_some(), "{id}");
        }
        // MSBFS wording was not verified: nothing there may fail validation.
        let msbfs = catalog.profile("msbfs-2020-7").unwrap();
        assert!(msbfs.rules.iter().all(|r| r.meta.is_interpretation()
            && r.meta.severity != Level::Error
            && r.meta.citation.reference().contains("wording not verified")));
    }

    fn with_profile(file: &str, text: String) -> Assets {
        let mut assets = Assets::embedded();
        assets
            .schemas
            .push((file.to_owned(), std::borrow::Cow::Owned(text)));
        assets
    }

    #[test]
    fn inconsistent_profiles_are_refused() {
        let rule = |id: &str, strength: &str, severity: &str| {
            json!({
                "x-profile": {"id": "test-profile", "title": "t", "regulation": "r", "summary": "s", "textVersion": "v", "effective": "2020-01-01", "retrieved": "2026-12-01"},
                "allOf": [{
                    "x-rule": {
                        "id": id, "severity": severity, "strength": strength,
                        "citation": {"regulation": "R"}, "quote": null, "checks": "c",
                        "message": "m", "fix": "f", "locate": "/backup", "fields": ["/backup"],
                        "sourceKind": "regulation", "interpretation": strength == "hard" && severity == "error" && id == "TEST-02"
                    },
                    "required": ["backup"]
                }]
            })
            .to_string()
        };
        let load = |text: String| {
            Catalog::load(&with_profile("regulations/test-profile.json", text))
                .map_err(|e| e.to_string())
        };
        assert!(load(rule("TEST-01", "hard", "error")).is_ok());
        let hard_warning = load(rule("TEST-01", "hard", "warning")).unwrap_err();
        assert!(
            hard_warning.contains("cannot have severity warning"),
            "{hard_warning}"
        );
        assert!(load(rule("TEST-01", "interp", "error")).is_err());
        // A hard rule flagged as our interpretation is never an error.
        let interp = load(rule("TEST-02", "hard", "error")).unwrap_err();
        assert!(interp.contains("never an error"), "{interp}");
        assert!(
            load(rule("ISO-01", "hard", "error"))
                .unwrap_err()
                .contains("used twice")
        );
        assert!(load(rule("test-1", "hard", "error")).is_err());
        let wrong_file = Catalog::load(&with_profile(
            "regulations/other.json",
            rule("TEST-01", "hard", "error"),
        ));
        assert!(wrong_file.unwrap_err().to_string().contains("must be in"));
    }
}
