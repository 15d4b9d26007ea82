//! A rule's finding: its message, fix and citation, and where in the user's files it points.

use super::catalog;
use super::derived::{self, source_pointer};
use super::evidenced::written;
use super::messages::display;
use super::native::Failure;
use super::results::Outcome;
use crate::diagnostic::{Code, Diagnostic, Effect, Label};
use crate::environment::load::LoadedEnvironment;
use crate::schema::dotted;
use crate::source::Location;
use serde_json::Value;

/// The finding of a rule that would pass, but only on values nobody declared.
pub(super) fn not_evidenced(
    loaded: &LoadedEnvironment,
    instance: &Value,
    result: &Outcome<'_>,
) -> Diagnostic {
    let meta = &result.rule.meta;
    let keys: Vec<String> = result
        .undeclared
        .iter()
        .map(|p| match instance.pointer(p) {
            Some(Value::Bool(b)) if meta.references.contains(p) => format!(
                "`{}` (a bare `{b}`: name the evidence as `{{ref, date, by}}`)",
                dotted(p)
            ),
            Some(v) if loaded.provenance.get(p).is_some() => {
                format!("`{}` (built-in default `{}`)", dotted(p), display(v))
            }
            Some(v) => format!(
                "`{}` (`{}`, not written in the files)",
                dotted(p),
                display(v)
            ),
            None => format!("`{}` (not set)", dotted(p)),
        })
        .collect();
    let mut d = Diagnostic::new(
        meta.not_evidenced_level().severity(),
        Code::Rule(meta.id.clone()),
        format!(
            "not evidenced: {} would pass only on values nobody declared: {}",
            meta.id,
            keys.join(", ")
        ),
    )
    .help(format!(
        "check the real setup and declare {} in the environment file (or `common.yaml`), with a reference `{{ref, date, by}}` where one is asked for; a built-in default or a bare flag is not evidence",
        result
            .undeclared
            .iter()
            .map(|p| format!("`{}`", dotted(p)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .cite(meta.citation());
    let (location, _) = place(loaded, instance, &result.undeclared[0], result, false);
    d.primary = location
        .or_else(|| entry_location(loaded, result))
        .map(|location| Label {
            location,
            message: format!("{} is not evidenced", meta.id),
        });
    d.in_environment(loaded.name.clone())
}

pub(super) fn diagnostic(
    loaded: &LoadedEnvironment,
    instance: &Value,
    result: &Outcome<'_>,
) -> Diagnostic {
    let meta = &result.rule.meta;
    let mut messages: Vec<&str> = Vec::new();
    for f in &result.failures {
        if !messages.contains(&f.message.as_str()) {
            messages.push(&f.message);
        }
    }
    let mut d = Diagnostic::new(
        meta.severity.severity(),
        Code::Rule(meta.id.clone()),
        messages.join("; "),
    )
    .help(meta.fix.clone())
    .cite(meta.citation())
    .with_effect(effect(&result.failures));
    let mut placed: Vec<Location> = Vec::new();
    for (i, f) in result.failures.iter().enumerate() {
        let (location, label) = place(loaded, instance, &f.pointer, result, i == 0);
        if let Some(location) = location
            && !placed.contains(&location)
        {
            placed.push(location);
            let label = Label {
                location,
                message: label,
            };
            if d.primary.is_none() {
                d.primary = Some(label);
            } else {
                d.secondary.push(label);
            }
        }
        for (pointer, label) in &f.also {
            if let Some(origin) = written(loaded, pointer)
                && !placed.contains(&origin.value)
            {
                placed.push(origin.value);
                d.secondary.push(Label {
                    location: origin.value,
                    message: label.clone(),
                });
            }
        }
    }
    if d.primary.is_none() {
        d.primary = entry_location(loaded, result).map(|location| Label {
            location,
            message: format!("{} applies here", meta.id),
        });
    }
    d.in_environment(loaded.name.clone())
}

/// Where to show a failure at `pointer`: the value in the user's file; else the nearest
/// ancestor key written in the user's files; else the profile's `compliance:` entry.
fn place(
    loaded: &LoadedEnvironment,
    instance: &Value,
    pointer: &str,
    result: &Outcome<'_>,
    first: bool,
) -> (Option<Location>, String) {
    let id = &result.rule.meta.id;
    let derived = instance.get("derived").unwrap_or(&Value::Null);
    let source = match source_pointer(pointer, derived) {
        "" => result.rule.meta.locate.as_str(),
        p => p,
    };
    if let Some(origin) = written(loaded, source) {
        let container = instance
            .pointer(source)
            .is_some_and(|v| v.is_object() || v.is_array());
        let location = if container {
            origin.key.unwrap_or(origin.value)
        } else {
            origin.value
        };
        let label = if first && !result.rule.meta.names.is_empty() {
            "in conflict".to_owned()
        } else if first && result.rule.meta.severity == catalog::Level::Note {
            format!("see {id}")
        } else if first {
            format!("does not meet {id}")
        } else {
            "also here".to_owned()
        };
        return (Some(location), label);
    }
    let inherited = instance.pointer(source).map(display);
    let mut p = source;
    while let Some(i) = p.rfind('/') {
        p = &p[..i];
        if p.is_empty() {
            break;
        }
        if let Some(origin) = written(loaded, p) {
            let rest = dotted(&source[p.len()..]);
            let label = match &inherited {
                Some(v) => format!("`{rest}` is `{v}` (built-in default); set it here"),
                None => format!("add `{rest}` here"),
            };
            return (Some(origin.key.unwrap_or(origin.value)), label);
        }
    }
    let label = match &inherited {
        Some(v) => format!("{id}: `{}` is `{v}` (built-in default)", dotted(source)),
        None => format!("{id} needs `{}`", dotted(source)),
    };
    (entry_location(loaded, result), label)
}

/// The `compliance:` entry that selected the rule's profile, or the `compliance:` key.
fn entry_location(loaded: &LoadedEnvironment, result: &Outcome<'_>) -> Option<Location> {
    let provenance = &loaded.provenance;
    match result.entry {
        Some(i) => provenance.value_location(&format!("/compliance/{i}")),
        None => provenance
            .get("/compliance")
            .map(|o| o.key.unwrap_or(o.value)),
    }
    .or_else(|| provenance.user_key_location("", loaded.file))
}

/// What a rule's finding blocks: `Overdue` when every failure reads a fact computed from
/// today's date (so the finding came with the calendar, not with a change to the files),
/// `Compliance` otherwise.
fn effect(failures: &[Failure]) -> Effect {
    let dated = |f: &Failure| {
        f.pointer
            .strip_prefix("/derived/")
            .is_some_and(|key| derived::DATED.contains(&key))
    };
    if !failures.is_empty() && failures.iter().all(dated) {
        Effect::Overdue
    } else {
        Effect::Compliance
    }
}

pub(super) fn unknown_profile(
    loaded: &LoadedEnvironment,
    i: usize,
    name: &str,
    names: &[&str],
) -> Diagnostic {
    let mut help = format!(
        "known profiles: {} (see `ck8s-gen regulations list`)",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(s) = crate::text::suggest::did_you_mean(name, names.iter().copied()) {
        help = format!("did you mean `{s}`? {help}");
    }
    Diagnostic::error(
        Code::UnknownProfile,
        format!("`{name}` is not a regulatory profile"),
    )
    .at(
        loaded
            .provenance
            .value_location(&format!("/compliance/{i}")),
        "unknown profile",
    )
    .help(help)
    .in_environment(loaded.name.clone())
}
