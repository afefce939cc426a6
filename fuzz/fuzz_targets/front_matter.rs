//! Front matter: the input as the YAML between a page's `---` fences, then the page through
//! the whole pipeline, with the invariants of the `page` target.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(yaml) = std::str::from_utf8(data) {
        let text = format!("---\n{yaml}\n---\n# Title\n\nSee [[b]].\n");
        let run = atlas_kb::invariants::run_page(&text);
        let found = atlas_kb::invariants::violations(&run);
        assert!(found.is_empty(), "{found:?}\n--- page\n{text}\n--- html\n{}", run.html);
    }
});
