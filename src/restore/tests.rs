//! Unit tests of restore names and `--to-namespace` mappings.

use super::namespaces::{is_dns_label, mapping};
use super::on_demand::restore_name;
use serde_json::json;

#[test]
fn names_are_short_stable_and_follow_the_spec() {
    let a = restore_name("prod", "daily", &json!({"n": ["a"]}));
    assert_eq!(a, restore_name("prod", "daily", &json!({"n": ["a"]})));
    assert_ne!(a, restore_name("prod", "daily", &json!({"n": ["b"]})));
    assert!(a.starts_with("prod-daily-") && a.len() == "prod-daily-".len() + 8);
    let long = restore_name(
        &"e".repeat(40),
        "velero-daily-backup-20261124000000",
        &json!({}),
    );
    assert!(long.len() <= 63 && is_dns_label(&long), "{long}");
}

#[test]
fn mappings_are_checked() {
    let ns = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(mapping(&ns(&["a=b"]), &ns(&["a"])).is_ok());
    assert!(mapping(&ns(&["a=b"]), &[]).is_ok());
    for (raw, restored, why) in [
        (&["ab"][..], &["a"][..], "OLD=NEW"),
        (&["a=A"], &["a"], "DNS label"),
        (&["a=a"], &["a"], "itself"),
        (&["c=d"], &["a"], "not restored"),
        (&["a=b", "a=c"], &["a"], "twice"),
        (&["a=c", "b=c"], &["a", "b"], "both"),
        (&["a=b"], &["a", "b"], "own name"),
    ] {
        let err = mapping(&ns(raw), &ns(restored)).unwrap_err().to_string();
        assert!(err.contains(why), "{raw:?}: {err}");
    }
    // A swap is fine: both are renamed.
    assert!(mapping(&ns(&["a=b", "b=a"]), &ns(&["a", "b"])).is_ok());
}
