//! One page (beside a few neighbours) through scan, resolve, check and render: nothing
//! panics, and the rendered HTML holds no script and no URL the classifier refuses, and shows
//! as broken the links `check` finds broken.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let run = atlas_kb::invariants::run_page(text);
        let found = atlas_kb::invariants::violations(&run);
        assert!(found.is_empty(), "{found:?}\n--- page\n{text}\n--- html\n{}", run.html);
    }
});
