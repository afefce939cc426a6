//! The markdown dialect that both the scan and the renderer parse, the element ids both
//! agree on, and the one rule for which URLs a page may hold: what one finds as a heading, a
//! table or a link, the other renders in the same place, every anchor `check` accepts lands
//! on an id the page has, and every URL in the output passes [`url_kind`]. Also which
//! characters of a page are never shown raw, in the site or in a terminal.

use pulldown_cmark::Options;
use std::borrow::Cow;
use std::ops::Range;

/// The markdown extensions used both when scanning and when rendering, so both see the same
/// code spans, tables and links.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// The wiki links of a page, masked for the markdown parse that both the scan and the
/// renderer run, so that both see the same blocks, code and links: `[[` becomes `,,`, `]]`
/// becomes `@@`, and inside, what could open or close a link, a table cell or a tag
/// (`[ ] ( ) | < >`) becomes `,`. Backticks and backslashes stay: code spans are found as on
/// the page as written (a code span that swallows a `[[` wins over the wiki link).
///
/// The text keeps its length, so offsets in the parse are offsets in the page. The masks
/// are ASCII punctuation like the brackets, so emphasis around them reads the same; they mean
/// nothing in CommonMark, not even in autolinks; a heading's slug drops them as it drops
/// brackets. (Scanning a wiki link's brackets as candidate markdown links was also about
/// half of the parser's time.)
#[derive(Default)]
pub struct WikiMasks(Vec<usize>);

/// The characters inside a wiki link that become commas.
const MASKED: [bool; 256] = {
    let mut masked = [false; 256];
    let mut i = 0;
    while i < 7 {
        masked[b"[]()|<>"[i] as usize] = true;
        i += 1;
    }
    masked
};

impl WikiMasks {
    /// The masks of wiki links spanning `ranges` (each from its `[[` to the end of its
    /// `]]`), in page order.
    pub fn of(ranges: impl Iterator<Item = Range<usize>>) -> WikiMasks {
        let mut at = Vec::new();
        for range in ranges {
            at.push(range.start);
            at.push(range.end - 2);
        }
        WikiMasks(at)
    }

    /// Whether nothing is masked.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether both mask the same brackets outside `code` (sorted ranges).
    pub fn same_outside(&self, other: &WikiMasks, code: &[Range<usize>]) -> bool {
        let outside = |m: &&usize| {
            let i = code.partition_point(|r| r.end <= **m);
            code.get(i).is_none_or(|r| r.start > **m)
        };
        self.0
            .iter()
            .filter(outside)
            .eq(other.0.iter().filter(outside))
    }

    /// `text[from..]` with the masks applied, into `out`; `None` when nothing is masked.
    pub fn apply<'a>(&self, text: &str, from: usize, out: &'a mut String) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        out.clear();
        out.reserve(text.len() - from);
        let mut cursor = from;
        for pair in self.0.chunks_exact(2) {
            let (open, close) = (pair[0], pair[1]);
            out.push_str(&text[cursor..open]);
            out.push_str(",,");
            // Copied a run at a time: the masked characters are rare in a link.
            let inner = &text[open + 2..close];
            let mut run = 0;
            while let Some(k) = inner.as_bytes()[run..]
                .iter()
                .position(|&b| MASKED[b as usize])
            {
                out.push_str(&inner[run..run + k]);
                out.push(',');
                run += k + 1;
            }
            out.push_str(&inner[run..]);
            out.push_str("@@");
            cursor = close + 2;
        }
        out.push_str(&text[cursor..]);
        Some(out)
    }

    /// Whether any mask falls in `range`.
    pub fn any_in(&self, range: &Range<usize>) -> bool {
        let i = self.0.partition_point(|&at| at + 2 <= range.start);
        self.0.get(i).is_some_and(|&at| at < range.end)
    }
}

/// Obsidian comments in `text[from..]`: each from a `%%` to the end of the next `%%`, or
/// to the end of the text when none closes it; a `%%` inside `code` (sorted ranges, as the
/// parse reports code spans and blocks) is text. What a comment holds is neither shown nor
/// checked.
pub fn comment_ranges(text: &str, from: usize, code: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut comments = Vec::new();
    let mut open: Option<usize> = None;
    let mut at = from;
    while let Some(found) = memchr::memmem::find(&text.as_bytes()[at..], b"%%") {
        let start = at + found;
        let i = code.partition_point(|r| r.end <= start);
        if let Some(r) = code.get(i).filter(|r| r.start <= start) {
            at = r.end.max(start + 1);
            continue;
        }
        match open.take() {
            Some(opened) => comments.push(opened..start + 2),
            None => open = Some(start),
        }
        at = start + 2;
    }
    if let Some(opened) = open {
        comments.push(opened..text.len());
    }
    comments
}

/// Whether `offset` lies in one of `ranges` (sorted, apart).
pub fn within(ranges: &[Range<usize>], offset: usize) -> bool {
    let i = ranges.partition_point(|r| r.end <= offset);
    ranges.get(i).is_some_and(|r| r.start <= offset)
}

/// The inline tags (`#tag`, `#nested/tag`) of the text `shown` that the parser gives for
/// `body[range]` (`body` with its wiki links masked, as both the scan and the renderer parse
/// it): each as the range in `body` of its `#` and name. A tag starts after white space or
/// at the start of a line and takes letters, digits, `_`, `-` and `/`; one of digits only
/// (`#1`) is no tag, as in Obsidian. Text the parser changed (escapes, entities) is left
/// alone, and what comes before a `#` is read in `body`, so the scan and the renderer,
/// which cut text differently around wiki links, find the same tags.
pub fn inline_tags(body: &str, range: Range<usize>, shown: &str) -> Vec<Range<usize>> {
    let mut tags = Vec::new();
    if !shown.contains('#') || body.get(range.clone()) != Some(shown) {
        return tags;
    }
    for (at, _) in shown.match_indices('#') {
        let at = range.start + at;
        if !body[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace)
        {
            continue;
        }
        let name_len: usize = body[at + 1..range.end]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/'))
            .map(char::len_utf8)
            .sum();
        let name = &body[at + 1..at + 1 + name_len];
        if name.chars().any(|c| !c.is_ascii_digit()) && !name.starts_with('/') {
            tags.push(at..at + 1 + name_len);
        }
    }
    tags
}

/// Element ids the default theme puts on every page; a heading named `Main` becomes `main-1`
/// so that ids stay unique and every anchor lands on its heading.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "search-input",
    "search-results",
    "panel-toc",
    "panel-facts",
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
    // The scheme so far, lowercased; only its first bytes are kept, as only short schemes
    // are allowed (a longer one is `Other` whatever it holds).
    let mut scheme = [0u8; 7];
    let mut len = 0;
    for c in url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
    {
        match c {
            ':' if len > 0 => {
                return match &scheme[..len.min(scheme.len())] {
                    b"http" | b"https" | b"mailto" => UrlKind::Web,
                    _ => UrlKind::Other,
                };
            }
            c if c.is_ascii_alphabetic()
                || (len > 0 && (c.is_ascii_digit() || "+-.".contains(c))) =>
            {
                if let Some(slot) = scheme.get_mut(len) {
                    *slot = c.to_ascii_lowercase() as u8;
                }
                len += 1;
            }
            _ => return UrlKind::Relative,
        }
    }
    UrlKind::Relative
}

/// The control characters that reach neither a page nor a terminal: all but tab and
/// newline (C0, DEL, C1). A page may hold them, by accident or to attack what shows it.
pub fn is_unshown_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// `text` without [`is_unshown_control`] characters, for a page: a carriage return before a
/// newline goes, a lone one becomes a newline. Borrowed when there are none, as nearly always.
pub fn without_controls(text: &str) -> Cow<'_, str> {
    if !has_unshown_control(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let mut kept = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() != Some(&'\n') => kept.push('\n'),
            c if is_unshown_control(c) => {}
            c => kept.push(c),
        }
    }
    Cow::Owned(kept)
}

/// Whether UTF-8 `bytes` hold an [`is_unshown_control`] character: C0 but tab and newline,
/// DEL, or C1 (`C2 80`..`C2 9F`). Scanned in blocks the compiler vectorizes, since every
/// page passes through here; only a block with a suspect byte is looked at closely (`C2`
/// also starts printable characters such as `·`, which nearly every page holds).
pub fn has_unshown_control(bytes: &[u8]) -> bool {
    let suspect = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n') | (b == 0x7f) | (b == 0xc2);
    let control_at = |i: usize| match bytes[i] {
        0xc2 => bytes
            .get(i + 1)
            .is_some_and(|next| (0x80..0xa0).contains(next)),
        b => suspect(b),
    };
    bytes.chunks(64).enumerate().any(|(k, block)| {
        block.iter().fold(false, |any, &b| any | suspect(b))
            && (k * 64..k * 64 + block.len()).any(control_at)
    })
}

/// [`without_controls`] over a finished page's UTF-8 bytes, in place.
pub fn strip_controls(page: &mut Vec<u8>) {
    if !has_unshown_control(page) {
        return;
    }
    let Ok(text) = std::str::from_utf8(page) else {
        return;
    };
    if let Cow::Owned(kept) = without_controls(text) {
        *page = kept.into_bytes();
    }
}

/// Whether `c` reorders the text around it (the bidirectional embeddings, overrides and
/// isolates): shown in a terminal, it can make a name read as another.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether a terminal is shown `c` escaped: controls it would act on and bidi controls.
fn shown_escaped(c: char) -> bool {
    is_unshown_control(c) || is_bidi_control(c)
}

/// Whether `text` holds a character [`terminal_char`] escapes, found a block of bytes at a
/// time: a report passes every line it shows through here.
pub fn needs_terminal_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The bidi controls are E2 80 AA..AE and E2 81 A6..A9.
    has_unshown_control(bytes)
        || memchr::memchr_iter(0xe2, bytes).any(|i| {
            matches!(
                bytes.get(i + 1..i + 3),
                Some([0x80, 0xaa..=0xae]) | Some([0x81, 0xa6..=0xa9])
            )
        })
}

/// Writes `c` for a terminal, itself or escaped as `\u{1b}`, and says how many characters
/// that took.
pub fn terminal_char(c: char, out: &mut String) -> usize {
    if shown_escaped(c) {
        let before = out.len();
        out.extend(c.escape_unicode());
        out.len() - before
    } else {
        out.push(c);
        1
    }
}

/// `text` for a terminal: controls (which could move the cursor, recolour, retitle the
/// window) and bidi controls written as `\u{1b}`. Borrowed when there are none.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !needs_terminal_escapes(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        terminal_char(c, &mut out);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escape_search_agrees_with_the_character_rule() {
        for c in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{2065}', '\u{202f}', '\u{1b}', '—',
            '·', 'x',
        ] {
            let text = format!("ab{c}d");
            assert_eq!(needs_terminal_escapes(&text), shown_escaped(c), "{c:?}");
        }
    }

    #[test]
    fn control_search_agrees_with_the_character_rule() {
        let samples = [
            "·", "\u{85}", "\u{9f}", "\u{a0}", "\r", "\t", "\n", "\u{7f}", "\0", "é", "x",
        ];
        for pad in [0, 1, 62, 63, 64, 127] {
            for sample in samples {
                for tail in ["", "\u{80}"] {
                    let text = format!("{}{sample}·{tail}", "a".repeat(pad));
                    assert_eq!(
                        has_unshown_control(text.as_bytes()),
                        text.chars().any(is_unshown_control),
                        "{text:?}"
                    );
                }
            }
        }
    }

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
            "mailtos:a@b",
            "httpsxyzw:x",
            "https2:x",
            // A browser reads this one as a path; ignoring the space is the safer reading.
            "a b:c",
        ] {
            assert_eq!(url_kind(url), UrlKind::Other, "{url}");
        }
    }

    #[test]
    fn comments_pair_their_marks_outside_code() {
        let text = "a %%b%% c `%%` %%d\n\ne%% f %%g";
        let code_at = text.find('`').unwrap();
        let code = vec![Range {
            start: code_at,
            end: code_at + 4,
        }];
        let found: Vec<&str> = comment_ranges(text, 0, &code)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(found, ["%%b%%", "%%d\n\ne%%", "%%g"]);
        assert!(within(&comment_ranges(text, 0, &code), 3));
        assert!(!within(&comment_ranges(text, 0, &code), 0));
    }

    #[test]
    fn inline_tags_start_after_space_and_hold_a_letter() {
        let tags = |s: &str| -> Vec<String> {
            inline_tags(s, 0..s.len(), s)
                .into_iter()
                .map(|r| s[r].to_string())
                .collect()
        };
        assert_eq!(tags("#a b #c/d-e_f, #1 #1a x#y"), ["#a", "#c/d-e_f", "#1a"]);
        assert_eq!(tags("#/no #é"), ["#é"]);
        // Text the parser changed is left alone; what precedes is read in the body.
        assert!(inline_tags("\\#x", 1..3, "#x").is_empty());
        assert!(inline_tags("@@#x", 2..4, "#x").is_empty());
        assert_eq!(
            inline_tags("a #x", 2..4, "#x"),
            vec![Range { start: 2, end: 4 }]
        );
    }
}
