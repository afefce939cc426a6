//! Raw HTML in pages, made safe by a maintained sanitizer (ammonia, on html5ever). Pages are
//! untrusted: they quote attack payloads and arrive by pull request.
//!
//! A page body that holds raw HTML is cleaned whole once it is rendered: pulldown-cmark hands
//! raw HTML over in pieces (`<details>` in one, `</details>` blocks later), which only make
//! sense together. The allowlist is what notes use (tables, `details`/`summary`, `kbd`,
//! `sub`/`sup`, images of the vault's own files, remote images turned into links to the
//! image, as markdown ones are) plus the markup the renderer itself writes
//! (links, headings with their ids, footnotes, task-list boxes, broken-link spans). Every URL
//! left passes [`url_kind`]; no script, style, event attribute or form survives.

use crate::syntax::{url_kind, UrlKind};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// `html` (a rendered page body) with everything outside the allowlist removed, and remote
/// images made links to the image.
pub fn clean(html: &str) -> String {
    remote_images_as_links(cleaner().clean(html).to_string())
}

/// Images from another host (`http(s):`, `//host/...`) as links to the image, as the
/// renderer writes a markdown one: no page makes a reader's browser fetch from elsewhere
/// when it opens. Reads ammonia's output, whose tags are all serialized one way
/// (`<img name="value" ...>`, with `"` and `&` in values escaped).
fn remote_images_as_links(html: String) -> String {
    if !html.contains("<img ") {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<img ") {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let Some((attributes, len)) = img_attributes(tag) else {
            out.push_str("<img ");
            rest = &tag["<img ".len()..];
            continue;
        };
        let value = |name: &str| attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        match value("src") {
            Some(src) if is_remote(&unescape(src)) => {
                let alt = value("alt").map(unescape).filter(|a| !a.trim().is_empty());
                let text = alt.unwrap_or_else(|| unescape(src));
                out.push_str("<a class=\"remote-image\" href=\"");
                out.push_str(src);
                out.push_str("\">");
                out.push_str(&super::markdown::escape(&text));
                out.push_str("</a>");
            }
            _ => out.push_str(&tag[..len]),
        }
        rest = &tag[len..];
    }
    out.push_str(rest);
    out
}

/// The attributes of the serialized `<img ...>` at the start of `tag` (values as written,
/// escaped), and the tag's length.
fn img_attributes(tag: &str) -> Option<(Vec<(&str, &str)>, usize)> {
    let mut attributes = Vec::new();
    let mut at = "<img".len();
    loop {
        at += tag[at..].len() - tag[at..].trim_start().len();
        let rest = &tag[at..];
        if let Some(after) = rest.strip_prefix('>') {
            return Some((attributes, tag.len() - after.len()));
        }
        let name_len = rest.find(['=', ' ', '>'])?;
        let name = &rest[..name_len];
        let Some(quoted) = rest[name_len..].strip_prefix("=\"") else {
            attributes.push((name, ""));
            at += name_len;
            continue;
        };
        let value_len = quoted.find('"')?;
        attributes.push((name, &quoted[..value_len]));
        at += name_len + 2 + value_len + 1;
    }
}

fn is_remote(url: &str) -> bool {
    url_kind(url) == UrlKind::Web || url.trim_start().starts_with("//")
}

/// An attribute value as ammonia serialized it, back to its text.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(TAGS.iter().copied().collect())
            .tag_attributes(
                TAG_ATTRIBUTES
                    .iter()
                    .map(|(tag, attributes)| (*tag, attributes.iter().copied().collect()))
                    .collect::<HashMap<&str, HashSet<&str>>>(),
            )
            .generic_attributes(["title"].into_iter().collect())
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(None)
            .strip_comments(true)
            .attribute_filter(keep_attribute);
        builder
    })
}

/// Elements kept (others go, their text kept; `script` and `style` go whole).
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
];

/// Attributes kept on each element (besides `title` on all).
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "class", "id"]),
    ("img", &["src", "alt", "width", "height"]),
    ("span", &["class", "id"]),
    ("div", &["class", "id"]),
    ("sup", &["class", "id"]),
    ("li", &["id"]),
    ("section", &["class"]),
    ("code", &["class"]),
    ("pre", &["class"]),
    ("h1", &["id"]),
    ("h2", &["id"]),
    ("h3", &["id"]),
    ("h4", &["id"]),
    ("h5", &["id"]),
    ("h6", &["id"]),
    ("ol", &["start"]),
    ("th", &["style", "colspan", "rowspan"]),
    ("td", &["style", "colspan", "rowspan"]),
    ("input", &["type", "checked", "disabled"]),
    ("details", &["open", "class"]),
    ("summary", &["class"]),
];

/// The values that may stay: URLs the one classifier allows, and the column alignment
/// pulldown-cmark writes. Task lists' boxes are the only inputs a page needs: any input is
/// made one. (Values are only kept or rewritten here, never added: what ammonia adds comes
/// from hash maps, in an order that changes from run to run.)
fn keep_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    if (element, attribute) == ("input", "type") {
        return Some(Cow::Borrowed("checkbox"));
    }
    let keep = match (element, attribute) {
        // Remote sources stay only to become links (see `remote_images_as_links`).
        ("img", "src") => url_kind(value) != UrlKind::Other,
        (_, "href") => url_kind(value) != UrlKind::Other,
        (_, "style") => matches!(
            value.trim().trim_end_matches(';'),
            "text-align: left" | "text-align: center" | "text-align: right"
        ),
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn notes_markup_stays_and_active_content_goes() {
        let kept = "<details open=\"\"><summary>More</summary><p>a <kbd>Ctrl</kbd> x<sub>2</sub></p></details>";
        assert_eq!(clean(kept), kept);
        assert_eq!(
            clean("<table><tbody><tr><td style=\"text-align: center\">x</td></tr></tbody></table>"),
            "<table><tbody><tr><td style=\"text-align: center\">x</td></tr></tbody></table>"
        );
        assert_eq!(clean("<script>alert(1)</script>ok"), "ok");
        assert_eq!(clean("<img src=x onerror=alert(1)>"), "<img src=\"x\">");
        assert_eq!(clean("<a href=\"javascript:alert(1)\">x</a>"), "<a>x</a>");
        assert_eq!(
            clean("<a href=\"JaVa&#x09;script:alert(1)\">x</a>"),
            "<a>x</a>"
        );
        assert_eq!(
            clean("<img src=\"https://x.org/p.png?a=1&b=2\" alt=\"<p> & &quot;q&quot;\" width=2>"),
            "<a class=\"remote-image\" href=\"https://x.org/p.png?a=1&amp;b=2\">&lt;p&gt; &amp; &quot;q&quot;</a>"
        );
        assert_eq!(
            clean("<p><img src=\"//cdn.example/p.png\"> <img src=\"local.png\" alt=\"l\"></p>"),
            "<p><a class=\"remote-image\" href=\"//cdn.example/p.png\">//cdn.example/p.png</a> <img src=\"local.png\" alt=\"l\"></p>"
        );
        assert_eq!(
            clean("<img src=\"data:image/png,x\" alt=\"d\">"),
            "<img alt=\"d\">"
        );
        assert_eq!(clean("<td style=\"background:url(x)\">"), "");
        assert_eq!(clean("<svg><script>alert(1)</script></svg>"), "");
        assert_eq!(clean("<iframe src=\"https://x\"></iframe>y"), "y");
        assert_eq!(
            clean("<style>*{}</style><form action=x><input type=text></form>"),
            "<input type=\"checkbox\">"
        );
        assert_eq!(
            clean("<a class=\"wikilink\" href=\"a/b.html#c\">b</a>"),
            "<a class=\"wikilink\" href=\"a/b.html#c\">b</a>"
        );
    }
}
