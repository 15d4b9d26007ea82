//! Words for people: counts with the right plural, lists, escaping for Markdown, and
//! "did you mean …?" (`suggest`); and bytes as lowercase hex (digests in headers and names).

pub mod suggest;

/// A count of days: `1 day`, `30 days`.
pub fn days_text(days: i64) -> String {
    count(days, "day")
}

/// `word`, or its plural (an `s` added) unless `n` is 1: `plural(2, "file")` is `files`.
pub fn plural<N: PartialEq + From<u8>>(n: N, word: &str) -> String {
    if n == N::from(1) {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// `n` and `word` in the right number: `1 day`, `30 days`, `0 files`.
pub fn count<N: std::fmt::Display + PartialEq + From<u8> + Copy>(n: N, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

/// Text for a Markdown table cell: HTML and Markdown specials escaped, line breaks as `<br>`.
pub fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `bytes` as lowercase hexadecimal, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn counts_take_the_plural_unless_one() {
        assert_eq!(count(0usize, "file"), "0 files");
        assert_eq!(count(1usize, "file"), "1 file");
        assert_eq!(count(2usize, "environment"), "2 environments");
        assert_eq!(count(1i64, "day"), "1 day");
        assert_eq!(count(-1i64, "day"), "-1 days");
        assert_eq!(plural(3u32, "group"), "groups");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            markdown_cell("a|b <i>x</i> `c` *d* _e_ [f] \\ g\r\nh & i"),
            "a\\|b &lt;i&gt;x&lt;/i&gt; \\`c\\` \\*d\\* \\_e\\_ \\[f\\] \\\\ g<br>h &amp; i"
        );
        assert_eq!(markdown_cell("prod-se-health, dev"), "prod-se-health, dev");
    }
}
