//! Words for people: counts with the right plural, lists, escaping for Markdown, and
//! "did you mean …?" (`suggest`).

pub mod suggest;

/// A count of days: `1 day`, `30 days`.
pub fn days_text(days: i64) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}
