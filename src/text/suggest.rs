//! "Did you mean …?": the closest known word to a misspelt one.

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(current)
            };
            previous = current;
        }
    }
    row[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let word_len = word.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let c_len = c.chars().count();
            let limit = (c_len.max(word_len) / 3).max(1);
            // The distance is at least the difference in length: skip hopeless candidates
            // without computing it (a file of 32,000 unknown keys asks 32,000 times).
            if c_len.abs_diff(word_len) > limit {
                return None;
            }
            let c_lower = c.to_lowercase();
            let d = edit_distance(&lower, &c_lower);
            (d <= limit || c_lower == lower).then_some((d, c))
        })
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(
            did_you_mean("retension", ["retention", "schedule"]),
            Some("retention")
        );
        assert_eq!(
            did_you_mean("Schedule", ["retention", "schedule"]),
            Some("schedule")
        );
        assert_eq!(did_you_mean("xyz", ["retention", "schedule"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
