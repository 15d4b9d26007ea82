//! Words for people: counts with the right plural, lists, escaping for Markdown, and
//! "did you mean …?" (`suggest`).

pub mod suggest;
