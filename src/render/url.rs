//! The site's URL layout (DESIGN.md section 6). Every URL in a page is relative to that page,
//! so the folder works from `file://`, any static host, or a CI artifact.

use crate::graph::{Anchor, Graph, Page, PageId};

/// Where the theme's own files and the search index go; content cannot collide with it
/// because dot-less underscore folders are rare in vaults and checked for at build time.
pub const THEME_DIR: &str = "_atlas";

/// The output path of a page: its content path with `.html`.
pub fn page_path(page: &Page) -> String {
    format!("{}.html", page.stem_path())
}

/// The redirect page an ATLAS website route becomes: `techniques/AML.T0010.html`.
pub fn route_path(page: &Page) -> Option<String> {
    let id = page.atlas_id.as_ref()?;
    Some(format!("{}/{id}.html", id.route_folder()))
}

/// `../` repeated once per folder above `path` (a `/`-separated output path).
pub fn root_prefix(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The shortest relative URL from output path `from` to output path `to`.
pub fn relative(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let (to_dirs, file) = to_parts.split_at(to_parts.len() - 1);
    let common = from_dirs
        .iter()
        .zip(to_dirs)
        .take_while(|(a, b)| a == b)
        .count();
    let mut url = "../".repeat(from_dirs.len() - common);
    for dir in &to_dirs[common..] {
        url.push_str(dir);
        url.push('/');
    }
    url.push_str(file[0]);
    encode_path(&url)
}

/// The URL from the page at output path `from` to page `to`, with its anchor.
pub fn href(graph: &Graph, from: &str, to: PageId, anchor: Option<&Anchor>) -> String {
    let target = graph.page(to);
    let mut url = relative(from, &page_path(target));
    if let Some(anchor) = anchor {
        url.push('#');
        url.push_str(&fragment(graph, to, anchor));
    }
    url
}

/// The element id an anchor lands on: a heading's slug or `^block-id`.
pub fn fragment(graph: &Graph, page: PageId, anchor: &Anchor) -> String {
    match anchor {
        Anchor::Heading(i) => graph.page(page).source.headings[*i].slug.clone(),
        Anchor::Block(id) => format!("^{id}"),
    }
}

/// Percent-encodes what a URL path cannot hold as is (spaces, `#`, `?`, `%`, quotes, ...),
/// keeping `/` and non-ASCII letters readable.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' | '#' | '?' | '%' | '&' | '"' | '\'' | '<' | '>' | '\\' | '^' | '`' | '{' | '}'
            | '|' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
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
    }
}
