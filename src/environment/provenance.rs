//! Provenance: which file and span every effective value of an environment came from.

use super::load::DEFAULTS_SOURCE;
use crate::source::pointer;
use crate::source::{Location, SourceId, Span};
use crate::yaml::Document;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where one effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The key of a map entry (`ttl:`), when the value sits in a map.
    pub key: Option<Location>,
    pub value: Location,
}

/// JSON pointer → origin, for every node of an effective environment.
///
/// The origins of the layers every environment shares (the built-in defaults and
/// `common.yaml`) are stored once per run and shared; each environment keeps only its own
/// origins and the shared subtrees it replaced or removed.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    shared: Option<Arc<BTreeMap<String, Origin>>>,
    /// Pointers whose shared subtree (the pointer and everything under it) no longer applies.
    hidden: Vec<String>,
    origins: BTreeMap<String, Origin>,
}

/// Whether `pointer` is `ancestor` or lies under it.
pub(super) fn within(pointer: &str, ancestor: &str) -> bool {
    pointer
        .strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Provenance {
    pub fn get(&self, pointer: &str) -> Option<Origin> {
        self.origins
            .get(pointer)
            .or_else(|| self.shared_get(pointer))
            .copied()
    }

    pub(super) fn shared_get(&self, pointer: &str) -> Option<&Origin> {
        let shared = self.shared.as_ref()?;
        if self.hidden.iter().any(|h| within(pointer, h)) {
            return None;
        }
        shared.get(pointer)
    }

    /// Every pointer with an origin, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Origin)> {
        let shared = self.shared.iter().flat_map(|m| m.iter()).filter(|(p, _)| {
            !self.origins.contains_key(p.as_str()) && !self.hidden.iter().any(|h| within(p, h))
        });
        self.origins
            .iter()
            .chain(shared)
            .map(|(p, o)| (p.as_str(), *o))
    }

    /// The same origins, from now on shared by every clone: clones cost next to nothing.
    pub fn into_shared(self) -> Provenance {
        let all: BTreeMap<String, Origin> = self.iter().map(|(p, o)| (p.to_owned(), o)).collect();
        Provenance {
            shared: Some(Arc::new(all)),
            hidden: Vec::new(),
            origins: BTreeMap::new(),
        }
    }

    /// Only what [`Provenance::value_location`] needs to answer for `pointers`, the same as
    /// before: a few origins instead of one for every node.
    pub fn only_for(&self, pointers: &[&str]) -> Provenance {
        let mut slim = Provenance::default();
        for pointer in pointers {
            if let Some((p, origin)) = self.nearest(pointer) {
                slim.origins.insert(p.to_owned(), origin);
            }
        }
        slim
    }

    /// The origin of `pointer`, or of its nearest ancestor that has one.
    pub fn nearest<'p>(&self, pointer: &'p str) -> Option<(&'p str, Origin)> {
        let mut p = pointer;
        loop {
            if let Some(origin) = self.get(p) {
                return Some((p, origin));
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
    }

    /// Best location for a finding about the value at `pointer` (or where it would go).
    pub fn value_location(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer).map(|(p, origin)| {
            if p == pointer {
                origin.value
            } else {
                origin.key.unwrap_or(origin.value)
            }
        })
    }

    /// Best location for a finding about the key at `pointer`.
    pub fn key_location(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer)
            .map(|(_, origin)| origin.key.unwrap_or(origin.value))
    }

    /// Like [`Provenance::key_location`], but never inside the built-in defaults: a finding
    /// about an inherited default points at the environment file (`file`) instead.
    pub fn user_key_location(&self, pointer: &str, file: SourceId) -> Option<Location> {
        let mut p = pointer;
        loop {
            match self.nearest(p) {
                Some((found, origin)) if origin.value.source == DEFAULTS_SOURCE => {
                    if found.is_empty() {
                        return self.file_start(file);
                    }
                    p = found.rfind('/').map_or("", |i| &found[..i]);
                }
                Some((_, origin)) if origin.value.source != file && pointer.is_empty() => {
                    return self.file_start(file);
                }
                Some((found, origin)) if found.is_empty() && origin.value.source == file => {
                    return self.file_start(file);
                }
                Some((_, origin)) => return Some(origin.key.unwrap_or(origin.value)),
                None => return self.file_start(file),
            }
        }
    }

    /// The first key of `file`, for findings about the environment as a whole.
    pub fn file_start(&self, file: SourceId) -> Option<Location> {
        self.iter()
            .map(|(_, o)| o)
            .filter(|o| o.value.source == file)
            .filter_map(|o| o.key)
            .min_by_key(|l| l.span.start)
    }

    pub(super) fn remove_subtree(&mut self, pointer: &str) {
        let prefix = format!("{pointer}/");
        let doomed: Vec<String> = self
            .origins
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for key in doomed {
            self.origins.remove(&key);
        }
        self.origins.remove(pointer);
        if let Some(shared) = &self.shared {
            let in_shared = shared.contains_key(pointer)
                || shared
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix));
            if in_shared && !self.hidden.iter().any(|h| within(pointer, h)) {
                self.hidden.push(pointer.to_owned());
            }
        }
    }

    pub(super) fn record(
        &mut self,
        pointer: &str,
        source: SourceId,
        document: &Document,
        layer_pointer: &str,
    ) {
        if let Some(span) = document.spans.get(layer_pointer) {
            let at = |span: Span| Location { source, span };
            self.origins.insert(
                pointer.to_owned(),
                Origin {
                    key: span.key.map(at),
                    value: at(span.value),
                },
            );
        }
    }

    /// Record `value` (from `layer_pointer` in a layer) and everything under it at `pointer`.
    pub(super) fn record_tree(
        &mut self,
        pointer: &str,
        value: &Value,
        source: SourceId,
        doc: &Document,
        layer_pointer: &str,
    ) {
        self.record(pointer, source, doc, layer_pointer);
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let seg = pointer::escape(k);
                    self.record_tree(
                        &format!("{pointer}/{seg}"),
                        v,
                        source,
                        doc,
                        &format!("{layer_pointer}/{seg}"),
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.record_tree(
                        &format!("{pointer}/{i}"),
                        v,
                        source,
                        doc,
                        &format!("{layer_pointer}/{i}"),
                    );
                }
            }
            _ => {}
        }
    }
}
