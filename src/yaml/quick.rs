//! A fast reader for the YAML the templates produce, used before the full parser.
//!
//! Rendering reads back every object a template wrote (tens of megabytes for a large fleet), and
//! a general YAML parser spends most of a render doing it. Template output is a narrow subset:
//! block mappings and sequences, plain scalars from the template text, and flow nodes written by
//! the `yaml` filter, which are JSON. This reader accepts exactly such documents and gives up
//! (returns `None`) on anything else: any other indicator, quoting style, escape, multi-line
//! scalar, tab, anchor, tag, directive, number format or ambiguous word. The caller then parses
//! the text with the full parser (`serde-saphyr`), so giving up only costs time.
//!
//! What it accepts, it reads to exactly the value the full parser gives (YAML 1.2 core schema with
//! the strict options of `yaml`): plain scalars are strings unless they are `true`, `false`,
//! `null` or a plain decimal integer, and anything that could be read otherwise (`True`, `~`,
//! `0755`, `1e3`, `.inf`, `0x1F`, `1_000`, …) makes it give up. The differential tests below and
//! in `tests/properties.rs`, and the `template_reader` fuzz target, hold it to that.

use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Read one template output document, or `None` when it is outside the subset.
pub fn read(text: &str) -> Option<Value> {
    // Tabs and carriage returns change the layout; controls, NEL, LS, PS, the BOM and the
    // non-characters are refused or read as line breaks by some reader, even in comments.
    if has_unsafe_character(text) {
        return None;
    }
    let raw: Vec<&str> = text.split('\n').collect();
    let mut lines = Vec::new();
    let mut first = true;
    for (index, raw) in raw.iter().enumerate() {
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = raw.len() - content.len();
        if first && indent == 0 && content == "---" {
            first = false;
            continue;
        }
        first = false;
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            return None;
        }
        lines.push(Line {
            index,
            indent,
            content: content.trim_end_matches(' '),
        });
    }
    let mut reader = Reader {
        raw,
        lines,
        pos: 0,
        depth: 0,
    };
    let first = reader.lines.first()?;
    // A template's document is a mapping at the left margin.
    if first.indent != 0 || entry(first.content).is_none() {
        return None;
    }
    let value = reader.mapping(0, None)?;
    (reader.pos == reader.lines.len()).then_some(value)
}

/// Whether `text` holds a control character other than `\n` (C0, DEL, C1), NEL, LS, PS, the
/// BOM or U+FFFE/U+FFFF, found on the UTF-8 bytes.
fn has_unsafe_character(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\n' => false,
        0x00..=0x1f | 0x7f => true,
        // U+0080..U+009F (C1 controls, NEL)
        0xc2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        // U+2028, U+2029
        0xe2 => bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)),
        // U+FEFF; U+FFFE, U+FFFF
        0xef => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
        ),
        _ => false,
    })
}

/// Longest key read (as written); YAML's limit for implicit keys is 1024 characters.
const MAX_KEY: usize = 1000;

/// Deepest nesting read; deeper documents go to the full parser (and its budget).
const MAX_DEPTH: usize = 48;

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Index of the line in the text.
    index: usize,
    indent: usize,
    /// The line without its indentation and trailing spaces; never empty, never a comment.
    content: &'a str,
}

struct Reader<'a> {
    /// Every line of the text, as written.
    raw: Vec<&'a str>,
    /// The lines with content (no blank or comment lines).
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// A block mapping whose keys sit at column `indent`. `first` is the content of a first
    /// entry that does not start a line of its own (`- key: value` in a sequence).
    fn mapping(&mut self, indent: usize, first: Option<&'a str>) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        let mut pending = first;
        loop {
            let content = match pending.take() {
                Some(content) => content,
                None => match self.peek() {
                    Some(line) if line.indent == indent => {
                        self.pos += 1;
                        line.content
                    }
                    Some(line) if line.indent > indent => return None,
                    _ => break,
                },
            };
            let (key, rest) = entry(content)?;
            let value = if rest.is_empty() {
                self.nested(indent, true)?
            } else if rest == "|" {
                self.literal(indent)?
            } else {
                let value = inline(rest)?;
                self.no_continuation(indent)?;
                value
            };
            if map.insert(key.into_owned(), value).is_some() {
                return None; // a duplicate key: the full parser reports it
            }
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// A block sequence whose dashes sit at column `indent`.
    fn sequence(&mut self, indent: usize) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent != indent || !is_dash(line.content) {
                if line.indent > indent {
                    return None;
                }
                break;
            }
            self.pos += 1;
            let rest = &line.content[1..];
            let item = rest.trim_start_matches(' ');
            let column = indent + 1 + (rest.len() - item.len());
            if item.is_empty() {
                items.push(self.nested(indent, false)?);
            } else if is_dash(item) {
                return None; // `- - x`: compact nested sequences are left to the full parser
            } else if entry(item).is_some() {
                items.push(self.mapping(column, Some(item))?);
            } else {
                items.push(inline(item)?);
                self.no_continuation(indent)?;
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// The block node after `key:` or a bare `-` at column `indent`: more indented lines, or
    /// (after a key only) a sequence at the same column, or null when there is none.
    fn nested(&mut self, indent: usize, after_key: bool) -> Option<Value> {
        match self.peek() {
            Some(line) if line.indent > indent => {
                if is_dash(line.content) {
                    self.sequence(line.indent)
                } else if entry(line.content).is_some() {
                    self.mapping(line.indent, None)
                } else {
                    None // a scalar on its own line: multi-line forms go to the full parser
                }
            }
            Some(line) if after_key && line.indent == indent && is_dash(line.content) => {
                self.sequence(indent)
            }
            _ => Some(Value::Null),
        }
    }

    /// A literal block scalar (`key: |`, clip chomping, no indentation indicator) after the
    /// line just read, whose key sits at column `indent`. Its lines are read as written:
    /// comment-like and blank lines are content.
    fn literal(&mut self, indent: usize) -> Option<Value> {
        let start = self.lines[self.pos - 1].index + 1;
        let mut end = start;
        let mut content_indent = None;
        while let Some(line) = self.raw.get(end) {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces == line.len() {
                // A blank line: more spaces than the content's indentation is an error the full
                // parser reports, and before the first content line the indentation is unknown.
                if content_indent.is_none_or(|c| spaces > c) {
                    if content_indent.is_none() && spaces == 0 {
                        end += 1;
                        continue;
                    }
                    return None;
                }
                end += 1;
                continue;
            }
            if spaces <= indent {
                break;
            }
            match content_indent {
                None => content_indent = Some(spaces),
                Some(c) if spaces < c => return None,
                Some(_) => {}
            }
            end += 1;
        }
        let Some(content_indent) = content_indent else {
            return None; // an empty block scalar: rare, left to the full parser
        };
        let mut text = String::new();
        for line in &self.raw[start..end] {
            text.push_str(line.get(content_indent..).unwrap_or(""));
            text.push('\n');
        }
        // Clip: exactly one line break after the last content line.
        let kept = text.trim_end_matches('\n').len();
        text.truncate(kept + 1);
        while self.lines.get(self.pos).is_some_and(|l| l.index < end) {
            self.pos += 1;
        }
        Some(Value::String(text))
    }

    /// After a scalar or flow value on the line of a node at column `indent`, a more indented
    /// line would continue it (a multi-line scalar): give up.
    fn no_continuation(&self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(line) if line.indent > indent => None,
            _ => Some(()),
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }
}

fn is_dash(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `key: rest` or `key:` (rest empty). Keys are plain words (borrowed: the checks that only ask
/// whether a line is an entry allocate nothing) or JSON strings.
fn entry(content: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, after) = if content.starts_with('"') {
        let mut cursor = Cursor {
            text: content,
            pos: 0,
        };
        let key = cursor.string()?;
        (Cow::Owned(key), &content[cursor.pos..])
    } else {
        let end = content.find(':')?;
        let key = &content[..end];
        if !plain_key(key) {
            return None;
        }
        (Cow::Borrowed(key), &content[end..])
    };
    // YAML limits implicit keys to 1024 characters.
    if content.len() - after.len() > MAX_KEY {
        return None;
    }
    let after = after.strip_prefix(':')?;
    if after.is_empty() {
        return Some((key, after));
    }
    let rest = after.strip_prefix(' ')?.trim_start_matches(' ');
    if rest.starts_with('#') {
        return Some((key, ""));
    }
    Some((key, rest))
}

/// A key that every YAML reader takes for the same string.
fn plain_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !reserved(key)
}

/// Words a YAML 1.1 or 1.2 reader may take for a bool or null.
fn reserved(word: &str) -> bool {
    word.len() <= 5
        && ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w))
}

/// The value after `key: ` or `- ` on the same line: a JSON flow node (from the `yaml`
/// filter) or a plain scalar, optionally followed by a comment.
fn inline(text: &str) -> Option<Value> {
    match text.as_bytes()[0] {
        b'"' | b'{' | b'[' => {
            let mut cursor = Cursor { text, pos: 0 };
            let value = cursor.value(0)?;
            let rest = &text[cursor.pos..];
            let trimmed = rest.trim_start_matches(' ');
            (trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len()))
                .then_some(value)
        }
        _ => plain(text),
    }
}

/// A plain scalar: `true`, `false`, `null`, a decimal integer, or a string that no reader
/// could take for anything else.
fn plain(text: &str) -> Option<Value> {
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" => return Some(Value::Null),
        _ => {}
    }
    let bytes = text.as_bytes();
    // Printable ASCII without indicators, quotes, flow characters or comment and key markers.
    let safe = bytes.iter().all(|b| {
        (0x20..0x7f).contains(b)
            && !matches!(
                b,
                b'#' | b'{'
                    | b'}'
                    | b'['
                    | b']'
                    | b','
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
                    | b'\\'
            )
    }) && !text.contains(": ")
        && !text.ends_with(':');
    if !safe {
        return None;
    }
    let first = bytes[0];
    if first.is_ascii_alphabetic() || first == b'/' {
        return (!reserved(text)).then(|| Value::String(text.to_owned()));
    }
    if first.is_ascii_digit() {
        if bytes.iter().all(u8::is_ascii_digit) {
            // `0`, or no leading zero (`0755` is a string to the full reader's options).
            if bytes.len() > 1 && first == b'0' {
                return None;
            }
            return text.parse::<u64>().ok().map(|n| Value::Number(n.into()));
        }
        // A string only when some character can be part of no number: `50m`, `64Mi`.
        let numeric = |b: &u8| {
            b.is_ascii_hexdigit()
                || matches!(
                    b,
                    b'x' | b'X' | b'o' | b'O' | b'.' | b'+' | b'-' | b'_' | b':'
                )
        };
        if bytes.iter().all(numeric) {
            return None;
        }
        return Some(Value::String(text.to_owned()));
    }
    None
}

/// JSON as the `yaml` filter writes it, read strictly: objects with unique keys, arrays,
/// strings with JSON escapes, integers, `true`, `false`, `null`, on one line.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.byte() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.byte()? == b).then(|| self.pos += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.byte()? {
            b'"' => self.string().map(Value::String),
            b'{' => {
                self.pos += 1;
                let mut map = Map::new();
                self.spaces();
                if self.eat(b'}').is_some() {
                    return Some(Value::Object(map));
                }
                loop {
                    self.spaces();
                    let start = self.pos;
                    let key = self.string()?;
                    if self.pos - start > MAX_KEY {
                        return None;
                    }
                    self.spaces();
                    self.eat(b':')?;
                    // YAML needs a space after `:` unless the key is quoted; it is here.
                    self.spaces();
                    let value = self.value(depth + 1)?;
                    if map.insert(key, value).is_some() {
                        return None;
                    }
                    self.spaces();
                    match self.byte()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(Value::Object(map));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.spaces();
                if self.eat(b']').is_some() {
                    return Some(Value::Array(items));
                }
                loop {
                    self.spaces();
                    items.push(self.value(depth + 1)?);
                    self.spaces();
                    match self.byte()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(Value::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Option<Value> {
        let rest = &self.text[self.pos..];
        if !rest.starts_with(word) {
            return None;
        }
        self.pos += word.len();
        // `truex` or `true:` would be one plain scalar to YAML.
        match self.byte() {
            None | Some(b' ' | b',' | b']' | b'}') => Some(value),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)` that fits 64 bits; fractions and exponents go to the full parser.
    fn integer(&mut self) -> Option<Value> {
        let start = self.pos;
        if self.byte() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let number = &self.text[start..self.pos];
        let count = self.pos - digits;
        if count == 0 || (count > 1 && self.text.as_bytes()[digits] == b'0') {
            return None;
        }
        match self.byte() {
            None | Some(b' ' | b',' | b']' | b'}') => {}
            _ => return None,
        }
        if number.starts_with('-') {
            number
                .parse::<i64>()
                .ok()
                .map(|n| Value::Number(Number::from(n)))
        } else {
            number
                .parse::<u64>()
                .ok()
                .map(|n| Value::Number(Number::from(n)))
        }
    }

    /// A double-quoted string with the escapes the `yaml` filter writes. Characters YAML
    /// readers treat as line breaks or refuse raw (controls, NEL, LS, PS, BOM) must be escaped.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let rest = &self.text[self.pos..];
        // Most strings have no escape: one copy.
        if let Some(end) = rest.find(['"', '\\'])
            && rest.as_bytes()[end] == b'"'
        {
            self.pos += end + 1;
            return Some(rest[..end].to_owned());
        }
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Some(out);
                }
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'u' => {
                            let mut code = 0u32;
                            for _ in 0..4 {
                                let (_, h) = chars.next()?;
                                code = code * 16 + h.to_digit(16)?;
                            }
                            // Surrogates (pairs are JSON, not YAML) are left to the full parser.
                            out.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                }
                c => out.push(c), // never a control or line break: `read` refused those
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the full reader gives for `text`.
    fn full(text: &str) -> Option<Value> {
        super::super::from_yaml::<Value>(text).ok()
    }

    /// The quick reader either gives up or agrees with the full reader.
    fn agrees(text: &str) -> Option<Value> {
        let quick = read(text);
        if let Some(value) = &quick {
            assert_eq!(Some(value), full(text).as_ref(), "{text:?}");
        }
        quick
    }

    #[test]
    fn reads_block_documents_with_flow_nodes_from_the_filter() {
        let text = "apiVersion: v1\nkind: ConfigMap\n# a comment\nmetadata:\n  name: \"x\"\n  labels: {\"a\": \"on\", \"b\": [1, -2, true, null]}\ndata:\n  k: \"line\\nnext \\\"q\\\" \\u0085\"\nlist:\n- a\n- b: 1\n  c: 50m\n-\n  d: /tmp\nempty: {}\nnone:\nafter: 0\n";
        let value = agrees(text).expect("in the subset");
        assert_eq!(value["metadata"]["labels"]["a"], "on");
        assert_eq!(value["list"][1]["c"], "50m");
        assert_eq!(value["list"][2]["d"], "/tmp");
        assert_eq!(value["none"], Value::Null);
        assert_eq!(value["data"]["k"], "line\nnext \"q\" \u{85}");
    }

    #[test]
    fn gives_up_on_everything_outside_the_subset() {
        for text in [
            "a: True\n",
            "a: ~\n",
            "a: 0755\n",
            "a: 1e3\n",
            "a: 1.5\n",
            "a: .inf\n",
            "a: 0x1F\n",
            "a: 1_000\n",
            "a: 1:30\n",
            "a: no\n",
            "a: 'single'\n",
            "a: |-\n  block\n",
            "a: >\n  folded\n",
            "a: |2\n   block\n",
            "a: |\n\n",
            "a: |\n  x\n   \n  y\n   \n",
            "a: |\n   x\n  y\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: b\n  continued\n",
            "a: 1\na: 2\n",
            "a: {\"k\": 1, \"k\": 2}\n",
            "a: \"\\x41\"\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a: \"tab\there\"\n",
            "a:\tb\n",
            "- a\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: x # comment\n",
            "a: [1, 2\n  , 3]\n",
            "a: 18446744073709551616\n",
            "a: \"x\" y\n",
            "a: -1\n",
            "? a\n: b\n",
            " ---\nl: x\n",
            "a: 1\n# a comment with a control character \u{2}\n",
            "a: 1\n# NEL \u{85} in a comment\n",
            &format!("{}: 1\n", "k".repeat(1100)),
            &format!("a: {{\"{}\": 1}}\n", "k".repeat(1100)),
            "a: - b\n",
        ] {
            assert!(agrees(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn reads_literal_block_scalars_as_written() {
        let text = "a:\n  s: |\n    line one\n\n    # not a comment\n      indented\n  t: x\nb: |\n  last\n\n\n";
        let value = agrees(text).unwrap();
        assert_eq!(value["a"]["s"], "line one\n\n# not a comment\n  indented\n");
        assert_eq!(value["a"]["t"], "x");
        assert_eq!(value["b"], "last\n");
        let value = agrees("k:\n  - x: |\n      one\n    z: 1\n").unwrap();
        assert_eq!(value["k"][0]["x"], "one\n");
    }

    #[test]
    fn the_byte_scan_finds_exactly_the_unsafe_characters() {
        let unsafe_char = |c: char| {
            (c.is_control() && c != '\n')
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                )
        };
        for c in ('\0'..='\u{10ffff}')
            .filter(|c| (*c as u32) < 0x1_0000 || (*c as u32).is_multiple_of(97))
        {
            let text = format!("a{c}b");
            assert_eq!(
                has_unsafe_character(&text),
                unsafe_char(c),
                "{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn sequences_may_sit_at_their_key_s_column() {
        let value = agrees("a:\n- p\n- q\nb:\n  - z\n").unwrap();
        assert_eq!(value["a"][1], "q");
        assert_eq!(value["b"][0], "z");
    }
}
