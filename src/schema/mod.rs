//! Structural validation: the environment JSON Schema, compiled once, and the translation of
//! its errors into located diagnostics with a fix ("did you mean", the allowed values).

pub mod chart;
pub mod explain;

use crate::diagnostic::{Code, Diagnostic};
use crate::environment::load::LoadedEnvironment;
use crate::secrets;
use crate::text::suggest::did_you_mean;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

/// The compiled environment schema plus the raw schema for lookups (allowed keys, enums).
pub struct EnvironmentSchema {
    validator: jsonschema::Validator,
    raw: Value,
}

#[derive(Debug, thiserror::Error)]
#[error("the environment schema is invalid: {0}")]
pub struct SchemaError(pub String);

impl EnvironmentSchema {
    pub fn compile(text: &str) -> Result<EnvironmentSchema, SchemaError> {
        let raw: Value = serde_json::from_str(text).map_err(|e| SchemaError(e.to_string()))?;
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&raw)
            .map_err(|e| SchemaError(e.to_string()))?;
        Ok(EnvironmentSchema { validator, raw })
    }

    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Every structural problem of an effective environment, located in the user's files.
    pub fn check(&self, env: &LoadedEnvironment) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(&env.value) {
            let pointer = error.instance_path().as_str().to_owned();
            out.extend(self.translate(
                env,
                &pointer,
                error.kind(),
                error.instance(),
                &error.to_string(),
            ));
        }
        for d in &mut out {
            d.environment = Some(env.name.clone());
        }
        out
    }

    /// The schema node describing the instance at `pointer`.
    pub fn node_at(&self, pointer: &str) -> Option<&Value> {
        let mut node = self.resolve(&self.raw)?;
        for segment in crate::source::pointer::segments(pointer) {
            let segment = segment.as_ref();
            let next = node
                .get("properties")
                .and_then(|p| p.get(segment))
                .or_else(|| {
                    node.get("items")
                        .filter(|_| segment.parse::<usize>().is_ok())
                })
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?;
            node = self.resolve(next)?;
        }
        Some(node)
    }

    /// Title and description of the key at `pointer`: the property's own annotations first
    /// (a `$ref`'d definition is generic), then the definition's.
    pub fn annotations_at(&self, pointer: &str) -> (String, String) {
        let resolved = self.node_at(pointer);
        let local = pointer.rfind('/').and_then(|i| {
            let parent = self.node_at(&pointer[..i])?;
            let segment = crate::source::pointer::unescape(&pointer[i + 1..]);
            parent
                .get("properties")
                .and_then(|p| p.get(segment.as_ref()))
        });
        let pick = |k: &str| {
            local
                .and_then(|n| n.get(k))
                .or_else(|| resolved.and_then(|n| n.get(k)))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        (pick("title"), pick("description"))
    }

    fn resolve<'a>(&'a self, node: &'a Value) -> Option<&'a Value> {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/$defs/")?;
                self.raw.get("$defs")?.get(name)
            }
            None => Some(node),
        }
    }

    fn known_keys(&self, pointer: &str) -> Vec<String> {
        self.node_at(pointer)
            .and_then(|n| n.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn translate(
        &self,
        env: &LoadedEnvironment,
        pointer: &str,
        kind: &ValidationErrorKind,
        instance: &Value,
        fallback: &str,
    ) -> Vec<Diagnostic> {
        let here = dotted(pointer);
        let value_at = env.provenance.value_location(pointer);
        match kind {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                // In file order: only the first ones are shown (`diagnostic::cap`), so only
                // they get the (costly) suggestions.
                let mut located: Vec<(&String, String, Option<crate::source::Location>)> =
                    unexpected
                        .iter()
                        .map(|key| {
                            let child = crate::source::pointer::child(pointer, key);
                            let at = env.provenance.key_location(&child);
                            (key, child, at)
                        })
                        .collect();
                located.sort_by_key(|(key, _, at)| {
                    (at.map(|l| (l.source, l.span.start)), (*key).clone())
                });
                located
                    .into_iter()
                    .enumerate()
                    .map(|(index, (key, child, at))| {
                        let value = instance.get(key);
                        let unknown = |at| {
                            Diagnostic::error(
                                Code::UnknownKey,
                                format!(
                                    "unknown key `{key}`{}",
                                    if here.is_empty() {
                                        String::new()
                                    } else {
                                        format!(" in `{here}`")
                                    }
                                ),
                            )
                            .at(at, "not a known key")
                        };
                        if index >= crate::diagnostic::MAX_PER_FILE_AND_CODE
                            && !secrets::is_secret_key(key)
                        {
                            return unknown(at);
                        }
                        if secrets::is_secret_key(key) {
                            return Diagnostic::error(
                                Code::InlineSecret,
                                format!(
                                    "`{}` puts a credential in the environment file",
                                    dotted(&child)
                                ),
                            )
                            .at(at, "inline credential")
                            .help(secrets::HELP);
                        }
                        let known = self.known_keys(pointer);
                        let mut help = match did_you_mean(key, known.iter().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => String::new(),
                        };
                        if !known.is_empty() {
                            if !help.is_empty() {
                                help.push(' ');
                            }
                            help.push_str(&format!(
                                "Keys allowed in {}: {}",
                                if here.is_empty() {
                                    "the top level".to_owned()
                                } else {
                                    format!("`{here}`")
                                },
                                known
                                    .iter()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        let _ = value;
                        unknown(at).help(help)
                    })
                    .collect()
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let at = env.provenance.user_key_location(pointer, env.file);
                let (_, description) = self.annotations_at(&format!("{pointer}/{name}"));
                vec![
                    Diagnostic::error(
                        Code::MissingKey,
                        format!(
                            "missing required key `{}`",
                            dotted(&format!("{pointer}/{name}"))
                        ),
                    )
                    .at(at, format!("`{name}` must be set here"))
                    .help(if description.is_empty() {
                        format!("add `{name}:`")
                    } else {
                        format!("add `{name}:`: {description}")
                    }),
                ]
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(set) => format!("{set:?}"),
                };
                let found = describe(instance);
                let mut help = format!("write a {expected}");
                if expected == "boolean" {
                    if let Some(s) = instance.as_str() {
                        let b =
                            matches!(s.to_ascii_lowercase().as_str(), "yes" | "y" | "on" | "true");
                        help = format!(
                            "write `{b}`: ck8s-gen reads YAML 1.2, where `{s}` is a string, not a boolean"
                        );
                    }
                } else if expected == "string" && (instance.is_number() || instance.is_boolean()) {
                    help = format!("quote the value: `\"{instance}\"`");
                } else if (expected == "integer" || expected == "number")
                    && let Some(s) = instance.as_str()
                {
                    help = format!("write a number without quotes (found the text `{s}`)");
                }
                vec![
                    Diagnostic::error(
                        Code::WrongType,
                        format!("`{here}` must be a {expected}, found {found}"),
                    )
                    .at(value_at, format!("expected a {expected}"))
                    .help(help),
                ]
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let given = instance
                    .as_str()
                    .map_or_else(|| instance.to_string(), str::to_owned);
                let mut help = format!(
                    "allowed values: {}",
                    allowed
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                if let Some(s) = did_you_mean(&given, allowed.iter().map(String::as_str)) {
                    help = format!("did you mean `{s}`? {help}");
                }
                vec![
                    Diagnostic::error(Code::InvalidValue, format!("`{here}` cannot be `{given}`"))
                        .at(value_at, "not an allowed value")
                        .help(help),
                ]
            }
            ValidationErrorKind::Constant { expected_value } => vec![
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "`{here}` must be `{}`",
                        expected_value.as_str().unwrap_or_default()
                    ),
                )
                .at(value_at, "unexpected value")
                .help(format!(
                    "write `{}: {}`",
                    here,
                    expected_value.as_str().unwrap_or_default()
                )),
            ],
            ValidationErrorKind::Format { format } if format == "date" => vec![
                Diagnostic::error(
                    Code::InvalidDate,
                    format!(
                        "`{here}` is not a date: `{}`",
                        instance.as_str().unwrap_or_default()
                    ),
                )
                .at(value_at, "not YYYY-MM-DD")
                .help("write a calendar date as `YYYY-MM-DD`, e.g. `2026-03-01`"),
            ],
            ValidationErrorKind::Format { .. } => Vec::new(),
            _ => {
                let node = self.node_at(pointer);
                let title = node.and_then(|n| n.get("title")).and_then(Value::as_str);
                let secret = instance
                    .as_str()
                    .is_some_and(secrets::looks_like_secret_value);
                let message = match (title, instance) {
                    _ if secret => format!("`{here}` is invalid"),
                    (Some(title), Value::String(s)) => {
                        let why = match kind {
                            ValidationErrorKind::MinLength { limit } => {
                                format!(" (at least {limit} characters)")
                            }
                            ValidationErrorKind::MaxLength { limit } => {
                                format!(" (at most {limit} characters)")
                            }
                            _ => String::new(),
                        };
                        format!(
                            "`{here}` is not a valid {}{why}: `{s}`",
                            title.to_lowercase()
                        )
                    }
                    _ => format!("`{here}`: {fallback}"),
                };
                let description = node
                    .and_then(|n| n.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let mut d =
                    Diagnostic::error(Code::InvalidValue, message).at(value_at, "invalid value");
                if !description.is_empty() {
                    d = d.help(description.to_owned());
                }
                vec![d]
            }
        }
    }
}

/// `/backup/tiers/0/name` → `backup.tiers[0].name`.
pub use crate::source::pointer::dotted;

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) if secrets::looks_like_secret_value(s) => "a string".to_owned(),
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// The schema for editors (`ck8s-gen schema`), made from the environment schema. The
/// environment schema checks the *effective* environment (built-in defaults, `common.yaml`
/// and the file layered); an editor sees one file, one layer. So here:
///
/// - a file is an `Environment` (`metadata.name` required) or, by `kind: Defaults`, the
///   shared `common.yaml` (no `metadata.name`: each environment has its own);
/// - nothing else is required: a layer may leave any setting to the layers below it;
/// - every key may be `null` (drop an inherited value), and a list key `k` may be written
///   `k+` (append to the inherited list);
/// - unknown keys, wrong types and values outside the allowed ones are still flagged.
pub fn editor_schema(strict: &Value) -> Value {
    let mut layer = strict.clone();
    let defs = layer
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or_else(|| Value::Object(Default::default()));
    let lookup = defs.clone();
    let mut defs = defs;
    layerable(&mut defs, &lookup, true);
    let mut root = serde_json::Map::new();
    for key in ["$schema", "$id", "title", "description"] {
        if let Some(o) = layer.as_object_mut() {
            o.remove(key);
        }
    }
    layerable(&mut layer, &lookup, false);
    // The top-level identity of a file is never null nor inherited.
    if let Some(props) = layer.get_mut("properties").and_then(Value::as_object_mut) {
        for key in ["apiVersion", "kind"] {
            if let Some(v) = strict.pointer(&format!("/properties/{key}")) {
                props.insert(key.into(), v.clone());
            }
        }
    }
    let mut defs = match defs {
        Value::Object(o) => o,
        _ => Default::default(),
    };
    defs.insert("layer".into(), layer);
    defs.insert(
        "Environment".into(),
        serde_json::json!({
            "title": "Environment file",
            "allOf": [
                {"$ref": "#/$defs/layer"},
                {
                    "required": ["apiVersion", "kind", "metadata"],
                    "properties": {
                        "kind": {"const": "Environment"},
                        "metadata": {"type": "object", "required": ["name"]}
                    }
                }
            ]
        }),
    );
    defs.insert(
        "Defaults".into(),
        serde_json::json!({
            "title": "Defaults (`common.yaml`)",
            "description": "Settings shared by every environment in the directory, layered under each environment file. No `metadata.name`: each environment names itself.",
            "allOf": [
                {"$ref": "#/$defs/layer"},
                {
                    "required": ["apiVersion", "kind"],
                    "properties": {
                        "kind": {"const": "Defaults"},
                        "metadata": {"not": {"type": "object", "required": ["name"]}}
                    }
                }
            ]
        }),
    );
    for key in ["$schema"] {
        if let Some(v) = strict.get(key) {
            root.insert(key.into(), v.clone());
        }
    }
    root.insert(
        "$id".into(),
        "https://schemas.ck8s-gen.invalid/editor.schema.json".into(),
    );
    root.insert(
        "title".into(),
        "ck8s-gen environment file or common.yaml (one layer)".into(),
    );
    root.insert(
        "description".into(),
        "For editors: checks one file as a layer (`kind: Environment`, or `kind: Defaults` for common.yaml). Required settings are checked on the effective environment by `ck8s-gen validate`.".into(),
    );
    root.insert("type".into(), "object".into());
    root.insert("required".into(), serde_json::json!(["apiVersion", "kind"]));
    root.insert(
        "properties".into(),
        serde_json::json!({"kind": {"enum": ["Environment", "Defaults"]}}),
    );
    root.insert(
        "if".into(),
        serde_json::json!({"properties": {"kind": {"const": "Defaults"}}, "required": ["kind"]}),
    );
    root.insert(
        "then".into(),
        serde_json::json!({"$ref": "#/$defs/Defaults"}),
    );
    root.insert(
        "else".into(),
        serde_json::json!({"$ref": "#/$defs/Environment"}),
    );
    root.insert("$defs".into(), Value::Object(defs));
    Value::Object(root)
}

/// Drop `required` everywhere below `node`, let every property be `null` and every list
/// property have a `+` twin. `defs` resolves `$ref`s to tell lists apart. A `$defs` map itself
/// (`is_defs`) holds definitions, not properties.
fn layerable(node: &mut Value, defs: &Value, is_defs: bool) {
    match node {
        Value::Object(o) if is_defs => {
            for v in o.values_mut() {
                layerable(v, defs, false);
            }
        }
        Value::Object(o) => {
            o.remove("required");
            for (key, v) in o.iter_mut() {
                if key != "properties" {
                    layerable(v, defs, key == "$defs");
                }
            }
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                let mut twins = Vec::new();
                for (key, v) in props.iter_mut() {
                    layerable(v, defs, false);
                    let resolved = match v.get("$ref").and_then(Value::as_str) {
                        Some(r) => r
                            .strip_prefix("#/$defs/")
                            .and_then(|n| defs.get(n))
                            .unwrap_or(v),
                        None => v,
                    };
                    let is_list = resolved.get("type").and_then(Value::as_str) == Some("array");
                    let mut wrapper = serde_json::Map::new();
                    for a in ["title", "description"] {
                        if let Some(text) = v.get(a) {
                            wrapper.insert(a.into(), text.clone());
                        }
                    }
                    if is_list {
                        let mut twin = wrapper.clone();
                        twin.insert(
                            "description".into(),
                            format!("Appended to the inherited `{key}`.").into(),
                        );
                        twin.insert("anyOf".into(), serde_json::json!([v.clone()]));
                        twins.push((format!("{key}+"), Value::Object(twin)));
                    }
                    wrapper.insert(
                        "anyOf".into(),
                        serde_json::json!([v.clone(), {"type": "null"}]),
                    );
                    *v = Value::Object(wrapper);
                }
                props.extend(twins);
            }
        }
        Value::Array(a) => {
            for v in a {
                layerable(v, defs, false);
            }
        }
        _ => {}
    }
}
