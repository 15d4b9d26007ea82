//! The one place YAML is read and written. Reading: YAML 1.2 core semantics (`no`, `on` and
//! `0755` stay strings), duplicate keys rejected, budgets against alias bombs and deep nesting,
//! and a JSON-pointer → span index so diagnostics point into the file. Writing: canonical,
//! YAML-1.1-safe output (strings that kubectl or Helm would read as bools or numbers are quoted).

mod quick;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Location, SourceFile, SourceId, Span};
use serde::Serialize;
use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Parser};
use std::collections::HashMap;

/// Files larger than this are refused before parsing; environment files are a few KiB.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted; environment files are at most 6 levels deep.
pub const MAX_DEPTH: usize = 64;

/// Where a node sits in its file: its key (for map entries) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpan {
    pub key: Option<Span>,
    pub value: Span,
}

/// JSON pointer (`/backup/retention/ttl`) → position in the file.
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    nodes: HashMap<String, NodeSpan>,
}

impl SpanIndex {
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        self.nodes.get(pointer).copied()
    }

    /// The node at `pointer`, or its nearest ancestor that is in the file.
    pub fn nearest(&self, pointer: &str) -> Option<(String, NodeSpan)> {
        let mut p = pointer;
        loop {
            if let Some(span) = self.nodes.get(p) {
                return Some((p.to_owned(), *span));
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Every pointer and its spans, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, NodeSpan)> {
        self.nodes.iter().map(|(p, s)| (p.as_str(), *s))
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A parsed YAML document with the spans of its nodes.
#[derive(Clone, Debug)]
pub struct Document {
    pub value: Value,
    pub spans: SpanIndex,
}

fn parse_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.underscored_numbers_as_strings = true;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = 1;
    options.budget = Some(budget);
    options
}

/// Parse one YAML document into a JSON value plus its span index. A problem becomes one
/// diagnostic located in the file.
pub fn parse_document(file: &SourceFile, id: SourceId) -> Result<Document, Box<Diagnostic>> {
    if file.text.trim().is_empty()
        || file.text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
        })
    {
        return Err(Box::new(
            Diagnostic::error(Code::EmptyFile, format!("`{}` is empty", file.path))
                .at(Some(Location { source: id, span: Span::new(0, 0) }), "no YAML document here")
                .help("an environment file starts with `apiVersion: ck8s-gen/v1` and `kind: Environment`; `ck8s-gen init NAME` writes one"),
        ));
    }
    let value: Value = match serde_saphyr::from_str_with_options(&file.text, parse_options()) {
        Ok(value) => value,
        Err(error) => return Err(Box::new(yaml_error(file, id, &error))),
    };
    let spans = index_spans(file).map_err(|(span, message)| {
        Box::new(
            Diagnostic::error(Code::InvalidYaml, message)
                .at(Some(Location { source: id, span }), "here"),
        )
    })?;
    Ok(Document { value, spans })
}

fn yaml_error(file: &SourceFile, id: SourceId, error: &serde_saphyr::Error) -> Diagnostic {
    let raw = error.without_snippet().to_string();
    let message = raw
        .lines()
        .next()
        .unwrap_or("invalid YAML")
        .trim_start_matches("error: ")
        .to_owned();
    let message = tidy_message(&message);
    let span = error.location().map(|location| {
        let line = usize::try_from(location.line()).unwrap_or(1).max(1);
        let column = usize::try_from(location.column()).unwrap_or(1).max(1);
        let start = file.offset_of(line, column - 1);
        // Mark the token there (a key up to its `:`), not a single column.
        let rest = &file.text[start..];
        let len = rest
            .find([':', '\n', '#'])
            .map_or(0, |i| rest[..i].trim_end().len());
        Span::new(start, start + len)
    });
    let lower = message.to_lowercase();
    let (code, help) = if lower.contains("duplicate") {
        (
            Code::DuplicateKey,
            "each key may appear once per mapping; remove or merge the repeated key",
        )
    } else if lower.contains("budget") || lower.contains("alias") || lower.contains("recursion") {
        (
            Code::YamlTooComplex,
            "the document exceeds ck8s-gen's limits on nodes, aliases or nesting depth; environment files need no anchors or deep nesting",
        )
    } else if lower.contains("tab") {
        (
            Code::InvalidYaml,
            "YAML indentation must use spaces, not tabs",
        )
    } else if lower.contains("document") && lower.contains("multiple") {
        (
            Code::InvalidYaml,
            "an environment file holds exactly one YAML document",
        )
    } else {
        (
            Code::InvalidYaml,
            "fix the YAML syntax at the marked position",
        )
    };
    let message = if code == Code::YamlTooComplex {
        format!("YAML document is too large or too deeply nested: {message}")
    } else {
        message
    };
    Diagnostic::error(code, message)
        .at(span.map(|span| Location { source: id, span }), "here")
        .help(help)
}

/// The library's message without its location suffix and configuration hints, and with the
/// duplicate key in backticks.
fn tidy_message(message: &str) -> String {
    let mut m = message.to_owned();
    if let Some(i) = m.rfind(" at line ") {
        m.truncate(i);
    }
    if let Some(i) = m.find(", set DuplicateKeyPolicy") {
        m.truncate(i);
    }
    if m.starts_with("line ")
        && let Some(i) = m.find(": ")
    {
        m = m[i + 2..].to_owned();
    }
    if let Some(key) = m.strip_prefix("duplicate mapping key: ") {
        m = format!("duplicate key `{key}`");
    }
    m
}

enum Frame {
    Map {
        pointer: String,
        key: Option<(String, Span)>,
        skip_key: usize,
    },
    Seq {
        pointer: String,
        index: usize,
    },
}

/// Walk the parser's events and record the span of every node under its JSON pointer.
fn index_spans(file: &SourceFile) -> Result<SpanIndex, (Span, String)> {
    let mut index = SpanIndex::default();
    let mut stack: Vec<Frame> = Vec::new();
    // Collections whose end we still have to record: (pointer, start).
    let mut open: Vec<Option<(String, usize)>> = Vec::new();
    let mut parser = Parser::new_from_str(&file.text);
    let offset = |m: serde_saphyr::granit_parser::Marker| file.offset_of(m.line(), m.col());
    while let Some(result) = parser.next_event() {
        let (event, span) = result.map_err(|e| (Span::default(), e.to_string()))?;
        let start = offset(span.start);
        let end = offset(span.end);
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(..)
        );
        let is_start = matches!(event, Event::SequenceStart(..) | Event::MappingStart(..));
        let is_end = matches!(event, Event::SequenceEnd | Event::MappingEnd);
        if is_end {
            // Close a complex-key skip, or a real collection.
            if let Some(Frame::Map { skip_key, .. }) = stack.last_mut()
                && *skip_key > 0
            {
                *skip_key -= 1;
                if *skip_key == 0 {
                    // The complex key is done; its value follows under an unusable pointer.
                    if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                        *key = Some(("?".to_owned(), Span::new(start, end)));
                    }
                }
                continue;
            }
            stack.pop();
            if let Some(Some((pointer, begin))) = open.pop()
                && let Some(node) = index.nodes.get_mut(&pointer)
            {
                node.value = Span::new(begin, end);
            }
            continue;
        }
        if !is_node {
            continue;
        }
        // Inside a complex (collection) key: only track nesting.
        if let Some(Frame::Map { skip_key, .. }) = stack.last_mut()
            && *skip_key > 0
        {
            if is_start {
                *skip_key += 1;
            }
            continue;
        }
        let (pointer, key_span) = match stack.last_mut() {
            None => (String::new(), None),
            Some(Frame::Map {
                pointer,
                key,
                skip_key,
            }) => match key.take() {
                None => {
                    // This node is a key.
                    match &event {
                        Event::Scalar(text, ..) => {
                            *key = Some((text.to_string(), Span::new(start, end)));
                        }
                        _ if is_start => *skip_key = 1,
                        _ => *key = Some(("?".to_owned(), Span::new(start, end))),
                    }
                    continue;
                }
                Some((name, key_span)) => (
                    crate::source::pointer::child(pointer, &name),
                    Some(key_span),
                ),
            },
            Some(Frame::Seq { pointer, index }) => {
                let p = format!("{pointer}/{index}");
                *index += 1;
                (p, None)
            }
        };
        index.nodes.entry(pointer.clone()).or_insert(NodeSpan {
            key: key_span,
            value: Span::new(start, end),
        });
        match event {
            Event::MappingStart(..) => {
                stack.push(Frame::Map {
                    pointer: pointer.clone(),
                    key: None,
                    skip_key: 0,
                });
                open.push(Some((pointer, start)));
            }
            Event::SequenceStart(..) => {
                stack.push(Frame::Seq {
                    pointer: pointer.clone(),
                    index: 0,
                });
                open.push(Some((pointer, start)));
            }
            _ => {}
        }
    }
    Ok(index)
}

/// Options of the canonical emitter: 2-space indent, lists at the parent's indentation (as
/// kubectl prints them), long strings kept on one line.
fn emit_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = 1_000_000;
    options.min_fold_chars = 1_000_000;
    options
}

/// Why a value could not be written as YAML.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Yaml(#[source] serde_saphyr::SerializeError),
    #[error("{0}")]
    Json(#[source] serde_json::Error),
}

/// Why YAML text could not be read (the message without the parser's source snippet).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.without_snippet())]
pub struct ReadError(#[source] Box<serde_saphyr::Error>);

/// Serialize one value as canonical YAML (no leading `---`).
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, WriteError> {
    serde_saphyr::to_string_with_options(value, emit_options()).map_err(WriteError::Yaml)
}

/// Serialize a Kubernetes object canonically: every mapping's keys sorted (as `kubectl get -o
/// yaml` prints them; for objects that puts `apiVersion`, `kind`, `metadata`, `spec` first),
/// YAML-1.1-safe quoting, no `---`.
pub fn to_canonical_yaml<T: Serialize>(value: &T) -> Result<String, WriteError> {
    let tree = serde_json::to_value(value).map_err(WriteError::Json)?;
    to_yaml(&tree)
}

/// Parse YAML text produced by a template (trusted shape, but checked) into a typed value.
pub fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    let mut options = parse_options();
    if let Some(budget) = options.budget.as_mut() {
        budget.max_documents = 1;
    }
    serde_saphyr::from_str_with_options(text, options).map_err(|e| ReadError(Box::new(e)))
}

/// How many template outputs the quick reader left to the full parser in this process.
static TEMPLATE_FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Read one document a template produced: with the quick reader for the subset templates write
/// (see `quick`), else with the full parser. Both give the same value for what both accept.
pub fn read_template_output(text: &str) -> Result<Value, ReadError> {
    if let Some(value) = quick::read(text) {
        return Ok(value);
    }
    TEMPLATE_FALLBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    from_yaml(text)
}

/// How many template outputs went to the full parser so far in this process (the shipped
/// templates never need it: a test holds them to that).
pub fn template_fallbacks() -> usize {
    TEMPLATE_FALLBACKS.load(std::sync::atomic::Ordering::Relaxed)
}

/// The quick reader alone (`None`: outside its subset); for the differential tests and fuzzing.
pub fn read_template_output_quickly(text: &str) -> Option<Value> {
    quick::read(text)
}

/// Every document of a multi-document stream (`---` separated), as JSON values.
pub fn documents(text: &str) -> Result<Vec<Value>, ReadError> {
    let mut options = parse_options();
    if let Some(budget) = options.budget.as_mut() {
        budget.max_documents = 100_000;
    }
    let values: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| ReadError(Box::new(e)))?;
    Ok(values.into_iter().filter(|v| !v.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Document, Box<Diagnostic>> {
        parse_document(&SourceFile::new("t.yaml", text), SourceId(0))
    }

    #[test]
    fn yaml_1_1_words_stay_strings() {
        let doc = parse("country: NO\nflag: on\nmode: 0755\nn: 1_000\nb: true\n").unwrap();
        assert_eq!(doc.value["country"], "NO");
        assert_eq!(doc.value["flag"], "on");
        assert_eq!(doc.value["mode"], "0755");
        assert_eq!(doc.value["n"], "1_000");
        assert_eq!(doc.value["b"], true);
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "a:\n  b: [x, {c: 1}]\n  'd/e': 2\nlist:\n  - name: one\n";
        let doc = parse(text).unwrap();
        let b = doc.spans.get("/a/b").unwrap();
        assert_eq!(&text[b.key.unwrap().start..b.key.unwrap().end], "b");
        let c = doc.spans.get("/a/b/1/c").unwrap();
        assert_eq!(&text[c.value.start..c.value.end], "1");
        let de = doc.spans.get("/a/d~1e").unwrap();
        assert_eq!(&text[de.value.start..de.value.end], "2");
        let name = doc.spans.get("/list/0/name").unwrap();
        assert_eq!(&text[name.value.start..name.value.end], "one");
        assert_eq!(doc.spans.nearest("/list/0/missing").unwrap().0, "/list/0");
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.code, Code::DuplicateKey);
        assert!(err.primary.is_some());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            text.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.code, Code::YamlTooComplex);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(10_000);
        assert!(parse(&text).is_err());
        let mut block = String::new();
        for depth in 0..200 {
            block.push_str(&" ".repeat(depth * 2));
            block.push_str("k:\n");
        }
        assert!(parse(&block).is_err());
    }

    #[test]
    fn empty_and_comment_only_files_are_reported() {
        assert_eq!(parse("").unwrap_err().code, Code::EmptyFile);
        assert_eq!(parse("# nothing\n---\n").unwrap_err().code, Code::EmptyFile);
    }

    #[test]
    fn emitter_quotes_yaml_1_1_traps() {
        let value = serde_json::json!({"a": "on", "b": "0755", "c": "1:30", "d": "2024-01-01", "e": "720h0m0s", "f": "no"});
        let text = to_yaml(&value).unwrap();
        assert!(text.contains("a: \"on\""), "{text}");
        assert!(text.contains("b: \"0755\""), "{text}");
        assert!(text.contains("c: \"1:30\""), "{text}");
        assert!(text.contains("d: \"2024-01-01\""), "{text}");
        assert!(text.contains("e: 720h0m0s"), "{text}");
        assert!(text.contains("f: \"no\""), "{text}");
    }
}
