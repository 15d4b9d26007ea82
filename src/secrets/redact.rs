//! Masking credentials in everything ck8s-gen prints or writes for people (findings and their
//! source snippets, diffs, reports, coverage, restore output, evidence): the one redaction step,
//! driven by the same detector as the `inline-secret` check (`crate::secrets::spans`).
//!
//! A credential's bytes are replaced with `*`, one for one (line breaks kept), so byte offsets
//! into a redacted source file still point at the same lines and columns.

use crate::source::{SourceFile, Sources};
use std::borrow::Cow;

/// `text` with every credential masked (borrowed when there is none).
pub fn redact(text: &str) -> Cow<'_, str> {
    let spans = crate::secrets::spans(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        for b in &mut bytes[span] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Whole characters were replaced byte by byte with ASCII, so this is valid UTF-8; the
    // lossy conversion only guards that invariant.
    Cow::Owned(
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// `text` with control characters (C0 but tab, line feed and carriage return; DEL; C1)
/// replaced by `?`, byte for byte, so a value cannot move the cursor, recolour or rewrite a
/// terminal, a CI log or a rendered comment (borrowed when there is none).
pub fn neutralize(text: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || ('\u{80}'..='\u{9f}').contains(&c)
    };
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if bad(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `sources` with every file's text redacted and neutralized; `None` when nothing needed masking (use the
/// original then).
pub fn sources(sources: &Sources) -> Option<Sources> {
    if sources.iter().all(|(_, f)| {
        matches!(redact(&f.text), Cow::Borrowed(_))
            && matches!(neutralize(&f.text), Cow::Borrowed(_))
    }) {
        return None;
    }
    let mut out = Sources::new();
    for (_, file) in sources.iter() {
        out.add(SourceFile::new(
            file.path.clone(),
            neutralize(&redact(&file.text)).into_owned(),
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_in_place_keeping_offsets() {
        let text = "a: 1\nkey: AKIAIOSFODNN7EXAMPLE\nb: 2\n";
        let r = redact(text);
        assert_eq!(r.len(), text.len());
        assert_eq!(r, "a: 1\nkey: ********************\nb: 2\n");
        let pem =
            "k: |\n  -----BEGIN PRIVATE KEY-----\n  MIIE\n  -----END PRIVATE KEY-----\nz: 1\n";
        let r = redact(pem);
        assert_eq!(r.lines().count(), pem.lines().count());
        assert!(!r.contains("MIIE") && r.ends_with("\nz: 1\n"), "{r}");
        assert!(matches!(redact("clean"), Cow::Borrowed(_)));
        assert_eq!(neutralize("a\u{1b}[2Jb\u{9b}c\td\n"), "a?[2Jb??c\td\n");
    }
}
