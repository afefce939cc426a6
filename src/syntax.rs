//! The markdown dialect that both the scan and the renderer parse, and the element ids both
//! agree on: what one finds as a heading, a table or a link, the other renders in the same
//! place, and every anchor `check` accepts lands on an id the page has.

use pulldown_cmark::Options;

/// The markdown extensions used both when scanning and when rendering, so both see the same
/// code spans, tables and links.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// Element ids the default theme puts on every page; a heading named `Main` becomes `main-1`
/// so that ids stay unique and every anchor lands on its heading.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "search-input",
    "search-results",
    "panel-related",
    "panel-backlinks",
    "panel-tags",
];

/// GitHub's heading ids: lowercase, keep letters, digits, `-` and `_`, spaces become `-`.
pub fn github_slug(text: &str) -> String {
    let text = text.trim();
    if text.is_ascii() {
        // Nearly every heading: one pass, one allocation.
        let mut slug = String::with_capacity(text.len());
        for b in text.bytes() {
            match b {
                b' ' => slug.push('-'),
                b'-' | b'_' => slug.push(char::from(b)),
                b if b.is_ascii_alphanumeric() => slug.push(char::from(b.to_ascii_lowercase())),
                _ => {}
            }
        }
        return slug;
    }
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}
