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

/// The start of a page's text, without the control characters no page shows.
pub fn body_excerpt(text: &str) -> String {
    let excerpt: String = text.chars().take(BODY_CHARS).collect();
    match crate::syntax::without_controls(&excerpt) {
        Cow::Borrowed(_) => excerpt,
        cleaned => cleaned.into_owned(),
    }
}

pub fn index_js(entries: &[Entry]) -> Vec<u8> {
    const START: &[u8] = b"window.ATLAS_SEARCH_INDEX=";
    // Written straight into the file's bytes: at 100k pages the index is ~45 MB, and a JSON
    // string, an escaped copy and a formatted copy cost three times that in fresh memory.
    let mut js = Vec::with_capacity(START.len() + entries.len() * 450);
    js.extend_from_slice(START);
    if serde_json::to_writer(ScriptSafe(&mut js), entries).is_err() {
        js.truncate(START.len());
        js.extend_from_slice(b"[]");
    }
    js.extend_from_slice(b";\n");
    js
}

/// Writes JSON with every `</` as `<\/` (the same string in JSON), so that `</script>`
/// cannot appear: the file is loaded by `src`, but is kept inert anyway. A `<` and its `/`
/// may arrive in separate writes, so the byte before each `/` is looked up in what is
/// already written.
struct ScriptSafe<'a>(&'a mut Vec<u8>);

impl std::io::Write for ScriptSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        for slash in memchr::memchr_iter(b'/', buf) {
            let before = if slash == 0 {
                self.0.last()
            } else {
                buf.get(slash - 1)
            };
            if before == Some(&b'<') {
                self.0.extend_from_slice(&buf[start..slash]);
                self.0.push(b'\\');
                start = slash;
            }
        }
        self.0.extend_from_slice(&buf[start..]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn index_never_holds_a_closing_tag() {
        let entry = Entry {
            u: "a/b.html".into(),
            t: "</script> in a title".into(),
            k: "Note",
            b: "x</y".into(),
        };
        let js = String::from_utf8(index_js(&[entry])).unwrap();
        assert_eq!(
            js,
            r#"window.ATLAS_SEARCH_INDEX=[{"u":"a/b.html","t":"<\/script> in a title","k":"Note","b":"x<\/y"}];"#
                .to_string()
                + "\n"
        );
    }

    #[test]
    fn a_closing_tag_split_across_writes_is_escaped() {
        let mut out = Vec::new();
        let mut w = ScriptSafe(&mut out);
        w.write_all(b"a<").unwrap();
        w.write_all(b"/b/c").unwrap();
        w.write_all(b"/").unwrap();
        assert_eq!(out, b"a<\\/b/c/");
    }
}
