//! JSON pointers (RFC 6901), the addresses every diagnostic, provenance entry and schema
//! lookup uses: escaping segments, walking them, and the dotted form people read.

use std::borrow::Cow;

/// Escape one segment: `~` → `~0`, `/` → `~1`.
pub fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Undo [`escape`] for one segment.
pub fn unescape(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The pointer of `key` under `pointer`.
pub fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape(key))
}

/// The unescaped segments of `pointer` (`""` has none).
pub fn segments(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(unescape)
}

/// The key as people write it: `/storage/bucket` → `storage.bucket`, array indices as
/// `[0]` (`/schedules/0/ttl` → `schedules[0].ttl`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for segment in segments(pointer) {
        if segment.parse::<usize>().is_ok() {
            out.push('[');
            out.push_str(&segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// The key as Helm's `--set` paths write it, every segment after a dot:
/// `/nodeAgent/tolerations` → `nodeAgent.tolerations`.
pub fn dotted_keys(pointer: &str) -> String {
    segments(pointer).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dotted_forms() {
        assert_eq!(dotted("/schedules/0/ttl"), "schedules[0].ttl");
        assert_eq!(dotted("/a~1b/c~0d"), "a/b.c~d");
        assert_eq!(dotted(""), "");
        assert_eq!(
            dotted_keys("/nodeAgent/tolerations"),
            "nodeAgent.tolerations"
        );
        assert_eq!(dotted_keys("/a~1b/0"), "a/b.0");
    }

    proptest! {
        #[test]
        fn escape_round_trips(segment in ".*") {
            prop_assert_eq!(unescape(&escape(&segment)).into_owned(), segment.clone());
            let pointer = child("/x", &segment);
            let back: Vec<String> = segments(&pointer).map(Cow::into_owned).collect();
            prop_assert_eq!(back, vec!["x".to_string(), segment]);
        }
    }
}
