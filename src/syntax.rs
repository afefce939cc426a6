//! The markdown dialect that both the scan and the renderer parse, the element ids both
//! agree on, and the one rule for which URLs a page may hold: what one finds as a heading, a
//! table or a link, the other renders in the same place, every anchor `check` accepts lands
//! on an id the page has, and every URL in the output passes [`url_kind`].

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

/// What a URL is, as a browser reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlKind {
    /// No scheme: a path, `#fragment`, `?query` or `//host/path`, resolved against the page.
    Relative,
    /// `http:`, `https:` or `mailto:`.
    Web,
    /// Any other scheme (`javascript:`, `data:`, `file:`, ...): never written as a live URL.
    Other,
}

/// The one classifier of URLs written into pages. The scheme is read as a browser reads it:
/// white space and control characters anywhere in it are ignored (a browser drops tabs and
/// newlines and trims the rest; ignoring more only makes more URLs `Other`), and case does
/// not matter. Entities are the caller's to decode first (the markdown and HTML parsers do).
pub fn url_kind(url: &str) -> UrlKind {
    let mut scheme = String::new();
    for c in url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
    {
        match c {
            ':' if !scheme.is_empty() => {
                return match scheme.as_str() {
                    "http" | "https" | "mailto" => UrlKind::Web,
                    _ => UrlKind::Other,
                };
            }
            c if c.is_ascii_alphabetic() => scheme.push(c.to_ascii_lowercase()),
            c if !scheme.is_empty() && (c.is_ascii_digit() || "+-.".contains(c)) => scheme.push(c),
            _ => return UrlKind::Relative,
        }
    }
    UrlKind::Relative
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_classified_as_a_browser_reads_their_scheme() {
        for url in [
            "notes/a.html",
            "#top",
            "?q",
            "//cdn.example/x",
            "./javascript:x",
            "",
        ] {
            assert_eq!(url_kind(url), UrlKind::Relative, "{url}");
        }
        for url in ["https://x.org", "HTTP://x", "mailto:a@b", " https://x"] {
            assert_eq!(url_kind(url), UrlKind::Web, "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:x",
            " java\tscript:x",
            "java\nscript:x",
            "\u{1}javascript:x",
            "jav\u{0}ascript:x",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
            "javascript:alert(1).html",
            "x-y+z.w:1",
            // A browser reads this one as a path; ignoring the space is the safer reading.
            "a b:c",
        ] {
            assert_eq!(url_kind(url), UrlKind::Other, "{url}");
        }
    }
}
