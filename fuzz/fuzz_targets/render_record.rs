//! Arbitrary bytes as a render record (`ck8s_gen::cache`, read from the user's cache
//! directory): no panic; a parsed record that names paths outside the tree, or digests that
//! are not hex, is never a hit for an empty output directory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Some(record) = ck8s_gen::cache::parse(bytes) {
        let out = tempfile::tempdir().expect("a scratch output directory");
        let hit = ck8s_gen::cache::hit(&record, &record.key, out.path());
        assert!(!hit || record.tree.is_empty(), "{record:?}");
    }
});
