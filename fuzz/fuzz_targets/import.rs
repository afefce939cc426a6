//! `ATLAS.yaml` import: parsing and page building never panic, and every page written reads
//! back as a page.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        atlas_kb::invariants::import_yaml(text);
    }
});
