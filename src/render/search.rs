//! The offline search index: a `.js` file that assigns one array, loaded with a `<script>`
//! tag because `file://` pages may not `fetch`.

use serde::Serialize;
use std::borrow::Cow;

/// How much body text each entry carries: enough to match on, small enough that the index
/// stays a fraction of the site.
const BODY_CHARS: usize = 280;

#[derive(Serialize)]
pub struct Entry<'a> {
    /// URL relative to the site root.
    pub u: String,
    /// Title (with ID).
    pub t: Cow<'a, str>,
    /// Kind.
    pub k: &'a str,
    /// The start of the body text.
    pub b: String,
}

pub fn body_excerpt(text: &str) -> String {
    text.chars().take(BODY_CHARS).collect()
}

pub fn index_js(entries: &[Entry]) -> Vec<u8> {
    let json = serde_json::to_string(entries).unwrap_or_else(|_| "[]".into());
    // `</script>` cannot appear: the file is loaded by src, but keep it inert anyway.
    let json = json.replace("</", "<\\/");
    format!("window.ATLAS_SEARCH_INDEX={json};\n").into_bytes()
}
