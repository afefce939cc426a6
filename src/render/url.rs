//! The site's URL layout (DESIGN.md section 6). Every URL in a page is relative to that page,
//! so the folder works from `file://`, any static host, or a CI artifact.

use crate::graph::{Anchor, Graph, PageId};

/// `../` repeated once per folder above `path` (a `/`-separated output path).
pub fn root_prefix(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The shortest relative URL from output path `from` to output path `to`.
pub fn relative(from: &str, to: &str) -> String {
    let from_dir = from.rfind('/').map_or("", |i| &from[..=i]);
    // Bytes of the folders both paths share, up to and including the last common `/`.
    let mut common = 0;
    for (i, (a, b)) in from_dir.bytes().zip(to.bytes()).enumerate() {
        if a != b {
            break;
        }
        if a == b'/' {
            common = i + 1;
        }
    }
    let ups = from_dir[common..].matches('/').count();
    let mut url = String::with_capacity(ups * 3 + to.len() - common + 2);
    for _ in 0..ups {
        url.push_str("../");
    }
    push_encoded(&mut url, &to[common..]);
    // A first segment with a `:` would be read as a scheme (a page named
    // `javascript:alert(1).md`): `./` in front keeps it a path.
    if url
        .split('/')
        .next()
        .is_some_and(|first| first.contains(':'))
    {
        url.insert_str(0, "./");
    }
    url
}

/// The URL from the page at output path `from` to page `to`, with its anchor.
pub fn href(graph: &Graph, from: &str, to: PageId, anchor: Option<&Anchor>) -> String {
    // `page_path` adds `.html` after the last `/`, which changes nothing `relative` compares.
    let mut url = relative(from, graph.page(to).stem_path());
    url.push_str(".html");
    if let Some(anchor) = anchor {
        url.push('#');
        url.push_str(&fragment(graph, to, anchor));
    }
    url
}

/// The URL from the page at output path `from` to the page of tag `name`.
pub fn tag_href(from: &str, name: &str) -> String {
    relative(
        from,
        &crate::layout::tag_path(&crate::layout::tag_slug(name)),
    )
}

/// The element id an anchor lands on: a heading's slug or `^block-id`.
pub fn fragment(graph: &Graph, page: PageId, anchor: &Anchor) -> String {
    match anchor {
        Anchor::Heading(i) => graph.page(page).source.headings[*i as usize].slug.clone(),
        Anchor::Block(i) => block_element_id(&graph.page(page).source.block_ids[*i as usize].id),
    }
}

/// The element id of block `^id`: lower-case, as links match block ids case-insensitively.
pub fn block_element_id(id: &str) -> String {
    format!("^{}", id.to_lowercase())
}

/// Percent-encodes what a URL path cannot hold as is (spaces, `#`, `?`, `%`, quotes, ...),
/// keeping `/` and non-ASCII letters readable.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    push_encoded(&mut out, path);
    out
}

fn needs_escape(c: char) -> bool {
    matches!(
        c,
        ' ' | '#' | '?' | '%' | '&' | '"' | '\'' | '<' | '>' | '\\' | '^' | '`' | '{' | '}' | '|'
    ) || c.is_control()
}

fn push_encoded(out: &mut String, path: &str) {
    // The usual path is printable ASCII with nothing to escape: checked byte by byte.
    let plain = path
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !needs_escape(char::from(b)));
    if plain {
        out.push_str(path);
        return;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for c in path.chars() {
        if needs_escape(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_prefixes_and_encoding() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("a/b/c.html"), "../../");
        assert_eq!(encode_path("a b/c#d.html"), "a%20b/c%23d.html");
        assert_eq!(relative("a/b/c.html", "a/b/d.html"), "d.html");
        assert_eq!(relative("a/b/c.html", "a/x/d.html"), "../x/d.html");
        assert_eq!(relative("a/b/c.html", "d.html"), "../../d.html");
        assert_eq!(relative("c.html", "a/b/d e.html"), "a/b/d%20e.html");
        assert_eq!(relative("ab/c.html", "a/d.html"), "../a/d.html");
        assert_eq!(relative("a/b.html", "a/b.html"), "b.html");
        assert_eq!(encode_path("x\u{7}y&z"), "x%07y%26z");
        assert_eq!(
            relative("a.html", "javascript:alert(1).html"),
            "./javascript:alert(1).html"
        );
        assert_eq!(relative("a/b.html", "a/c:d/e.html"), "./c:d/e.html");
        assert_eq!(relative("a/b.html", "x:y.html"), "../x:y.html");
    }
}
