//! Namespace arguments: DNS-label names and the `--to-namespace OLD=NEW` mapping, checked against
//! the restored namespaces.

use super::error::{RestoreError, usage};
use std::collections::BTreeMap;

/// A DNS-1123 label (namespaces; names that become label values).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `OLD=NEW` arguments as a map, checked against the restored namespaces.
pub(super) fn mapping(
    raw: &[String],
    namespaces: &[String],
) -> Result<BTreeMap<String, String>, RestoreError> {
    let mut map = BTreeMap::new();
    for item in raw {
        let Some((old, new)) = item.split_once('=') else {
            return Err(usage(format!(
                "--to-namespace `{item}` is not OLD=NEW (e.g. `shop=shop-restored`)"
            )));
        };
        for ns in [old, new] {
            if !is_dns_label(ns) {
                return Err(usage(format!(
                    "--to-namespace `{item}`: `{ns}` is not a namespace name (a DNS label: lowercase letters, digits and `-`, at most 63 characters)"
                )));
            }
        }
        if old == new {
            return Err(usage(format!(
                "--to-namespace `{item}` maps `{old}` to itself"
            )));
        }
        if !namespaces.is_empty() && !namespaces.iter().any(|n| n == old) {
            return Err(usage(format!(
                "--to-namespace `{item}` maps `{old}`, which is not restored; add `--namespace {old}`"
            )));
        }
        if map.insert(old.to_owned(), new.to_owned()).is_some() {
            return Err(usage(format!("--to-namespace maps `{old}` twice")));
        }
    }
    let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
    for (old, new) in &map {
        if let Some(other) = targets.insert(new.as_str(), old.as_str()) {
            return Err(usage(format!(
                "--to-namespace maps both `{other}` and `{old}` to `{new}`"
            )));
        }
        // Another restored namespace keeps its name: the two would be merged.
        if namespaces.iter().any(|n| n == new) && !map.contains_key(new) {
            return Err(usage(format!(
                "--to-namespace maps `{old}` to `{new}`, which is also restored under its own name"
            )));
        }
    }
    Ok(map)
}
