//! `ck8s-gen regulations list` and `ck8s-gen regulations explain ID|RULE`: the catalogue as
//! text or JSON. Returns strings; only the command prints.

use super::catalog::{Catalog, Level, Profile, Rule};
use crate::schema::dotted;
use serde_json::{Value, json};

/// Every profile with its rule counts by severity.
pub fn list(catalog: &Catalog, as_json: bool) -> String {
    if as_json {
        let profiles: Vec<Value> = catalog
            .profiles
            .iter()
            .map(|p| {
                let (errors, warnings, notes) = p.counts();
                json!({
                    "id": p.meta.id,
                    "aliases": p.meta.aliases,
                    "title": p.meta.title,
                    "implicit": p.meta.implicit,
                    "rules": p.rules.len(),
                    "errors": errors,
                    "warnings": warnings,
                    "notes": notes,
                })
            })
            .collect();
        return pretty(&json!({ "profiles": profiles }));
    }
    let width = catalog
        .profiles
        .iter()
        .map(|p| p.meta.id.len())
        .max()
        .unwrap_or(2)
        .max(7);
    let row = |p: &Profile| {
        let (errors, warnings, notes) = p.counts();
        let mut title = p.meta.title.clone();
        if !p.meta.aliases.is_empty() {
            title.push_str(&format!(" (alias {})", p.meta.aliases.join(", ")));
        }
        format!(
            "  {:<width$}  {:>5}  {:>6}  {:>8}  {:>5}  {title}\n",
            p.meta.id,
            p.rules.len(),
            errors,
            warnings,
            notes
        )
    };
    let header = format!(
        "  {:<width$}  {:>5}  {:>6}  {:>8}  {:>5}  title\n",
        "profile", "rules", "errors", "warnings", "notes"
    );
    let mut out = String::from(
        "Regulatory profiles (list them under `compliance:` in an environment file):\n\n",
    );
    out.push_str(&header);
    for p in catalog.profiles.iter().filter(|p| !p.meta.implicit) {
        out.push_str(&row(p));
    }
    out.push_str("\nApplied with any profile:\n\n");
    out.push_str(&header);
    for p in catalog.profiles.iter().filter(|p| p.meta.implicit) {
        out.push_str(&row(p));
    }
    out.push_str(
        "\nErrors fail validation; warnings can be accepted with a documented deviation; notes inform.\n\
         Explain a profile or a rule: ck8s-gen regulations explain gdpr-art-17 | GDPR-02\n",
    );
    out
}

/// A name that is neither a profile nor a rule (the message has a suggestion).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnknownName(String);

/// A profile (by id or alias) with its rules, or one rule in full. `Err` when `name` is
/// neither, with a suggestion.
pub fn explain(catalog: &Catalog, name: &str, as_json: bool) -> Result<String, UnknownName> {
    if let Some(profile) = catalog.profile(name) {
        return Ok(if as_json {
            pretty(&profile_json(profile))
        } else {
            profile_text(profile)
        });
    }
    if let Some((profile, rule)) = catalog.rule(name) {
        return Ok(if as_json {
            pretty(&rule_json(profile, rule))
        } else {
            rule_text(catalog, profile, rule)
        });
    }
    let mut candidates: Vec<&str> = catalog
        .profiles
        .iter()
        .flat_map(|p| std::iter::once(&p.meta.id).chain(&p.meta.aliases))
        .map(String::as_str)
        .collect();
    candidates.extend(catalog.rules().map(|(_, r)| r.meta.id.as_str()));
    let mut message = format!("no regulatory profile or rule named `{name}`");
    if let Some(s) = crate::text::suggest::did_you_mean(name, candidates) {
        message.push_str(&format!("; did you mean `{s}`?"));
    }
    message.push_str(" (see `ck8s-gen regulations list`)");
    Err(UnknownName(message))
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn profile_json(p: &Profile) -> Value {
    json!({
        "profile": p.meta,
        "rules": p.rules.iter().map(|r| &r.meta).collect::<Vec<_>>(),
    })
}

fn rule_json(p: &Profile, r: &Rule) -> Value {
    json!({
        "profile": p.meta.id,
        "rule": r.meta,
        "reference": r.meta.citation.reference(),
        "interpretation": r.meta.is_interpretation(),
        "schema": r.schema,
    })
}

fn severity_text(r: &Rule) -> String {
    let m = &r.meta;
    let mut text = format!("{} ({}", m.severity.as_str(), m.strength.as_str());
    if m.is_interpretation() && m.strength != super::catalog::Strength::Interp {
        text.push_str(", interpretation");
    }
    text.push_str(&format!("; {}", m.source_kind.as_str()));
    text.push(')');
    text
}

fn profile_text(p: &Profile) -> String {
    let (errors, warnings, notes) = p.counts();
    let mut out = format!("{}: {}\n", p.meta.id, p.meta.title);
    if !p.meta.aliases.is_empty() {
        out.push_str(&format!("aliases:    {}\n", p.meta.aliases.join(", ")));
    }
    out.push_str(&format!("regulation: {}\n", p.meta.regulation));
    if p.meta.implicit {
        out.push_str("applies:    with any profile an environment lists\n");
    }
    out.push_str(&format!("\n{}\n", wrap(&p.meta.summary, 96, "")));
    out.push_str(&format!(
        "\n{} rules: {errors} errors, {warnings} warnings, {notes} notes\n",
        p.rules.len()
    ));
    for r in &p.rules {
        let m = &r.meta;
        out.push_str(&format!(
            "\n  {}  {}  {}\n",
            m.id,
            severity_text(r),
            m.citation.reference()
        ));
        if let Some(q) = &m.quote {
            out.push_str(&wrap(&format!("\"{q}\""), 92, "      "));
            out.push('\n');
        }
        out.push_str(&wrap(&m.checks, 92, "      "));
        out.push('\n');
    }
    if !p.meta.sources.is_empty() {
        out.push_str("\nsources:\n");
        for s in &p.meta.sources {
            out.push_str(&format!("  - {s}\n"));
        }
    }
    out.push_str(&format!(
        "\nExplain a rule: ck8s-gen regulations explain {}\n",
        p.rules.first().map_or("RULE", |r| r.meta.id.as_str())
    ));
    out
}

fn rule_text(catalog: &Catalog, p: &Profile, r: &Rule) -> String {
    let m = &r.meta;
    let mut out = format!("{}  {}\n", m.id, severity_text(r));
    let field = |out: &mut String, name: &str, text: &str| {
        out.push_str(&format!(
            "{name:<10}  {}\n",
            wrap(text, 84, "            ").trim_start()
        ));
    };
    field(
        &mut out,
        "profile",
        &format!("{} ({})", p.meta.id, p.meta.title),
    );
    field(&mut out, "cites", &m.citation.reference());
    if let Some(q) = &m.quote {
        field(&mut out, "quote", &format!("\"{q}\""));
    }
    if m.is_interpretation() {
        field(
            &mut out,
            "reading",
            "an interpretation of the source, not its wording",
        );
    }
    field(&mut out, "checks", &m.checks);
    field(&mut out, "fix", &m.fix);
    let fields: Vec<String> = m
        .fields
        .iter()
        .map(|f| format!("`{}`", dotted(f)))
        .collect();
    field(&mut out, "fields", &fields.join(", "));
    if let Some(native) = &m.native {
        field(&mut out, "checked", &format!("in Rust (`{native}`)"));
    }
    if !m.names.is_empty() {
        field(&mut out, "names", &m.names.join(", "));
    }
    if !m.supersedes.is_empty() {
        let replaced: Vec<&str> = m.supersedes.iter().map(|s| s.rule.as_str()).collect();
        field(
            &mut out,
            "replaces",
            &format!("the findings of {}", replaced.join(", ")),
        );
    }
    if !m.superseded_by.is_empty() {
        field(
            &mut out,
            "yields to",
            &format!("{} at the same key", m.superseded_by.join(", ")),
        );
    }
    let conflicts: Vec<&str> = catalog
        .rules()
        .filter(|(_, o)| o.meta.names.contains(&m.id))
        .map(|(_, o)| o.meta.id.as_str())
        .collect();
    if !conflicts.is_empty() {
        field(&mut out, "conflicts", &conflicts.join(", "));
    }
    let deviation = match m.severity {
        Level::Error => "not possible: fix the setting (errors cannot be accepted)".to_owned(),
        _ => format!(
            "`deviations: [{{rule: {}, reason: …, owner: …, expires: YYYY-MM-DD}}]` accepts it (shown as accepted)",
            m.id
        ),
    };
    field(&mut out, "deviation", &deviation);
    out
}

/// Greedy word wrap; continuation lines start with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::from(indent);
    let mut line = indent.chars().count();
    let mut first = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !first && line + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line = indent.chars().count();
            first = true;
        }
        if !first {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
        first = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_and_list() {
        let catalog =
            Catalog::load(&crate::assets::Assets::embedded()).expect("the built-in profiles load");
        let list = super::list(&catalog, false);
        assert!(list.contains("hslf-fs-2016-40") && list.contains("alias iso-27001-2022-a.8.13"));
        let json: Value = serde_json::from_str(&super::list(&catalog, true)).unwrap();
        let gdpr = json["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "gdpr-art-17")
            .unwrap();
        assert_eq!(gdpr["rules"], 12);
        let rule = explain(&catalog, "hslf-07", false).unwrap();
        for part in [
            "HSLF-07  error (hard; regulation)",
            "HSLF-FS 2016:40 3 kap. 13 §",
            "Vårdgivaren ska besluta",
            "decidedBy",
            "not possible",
        ] {
            assert!(rule.contains(part), "{part} missing in:\n{rule}");
        }
        let profile = explain(&catalog, "iso-27001-2022-a.8.13", false).unwrap();
        assert!(profile.contains("ISO-01") && profile.contains("ISO-10"));
        let err = explain(&catalog, "GDPR-2", false).unwrap_err().to_string();
        assert!(err.contains("did you mean"), "{err}");
        let json: Value = serde_json::from_str(&explain(&catalog, "X-02", true).unwrap()).unwrap();
        assert_eq!(json["rule"]["supersededBy"][0], "GDPR-05");
    }
}
