//! Obsidian's syntax in notes, pinned as the HTML each page body becomes.

use crate::build::build;
use crate::site::Site;
use crate::support::{assert_snapshot, check_json, fixture, TempDir};
use scraper::Selector;

/// The inner HTML of `path`'s article body, as built from the `obsidian` fixture.
fn body(site: &Site, path: &str) -> String {
    let selector = Selector::parse("article > .body").expect("selector");
    site.page(path)
        .select(&selector)
        .map(|b| b.inner_html())
        .collect::<Vec<_>>()
        .join("\n")
}

fn built() -> (TempDir, Site) {
    let tmp = TempDir::new("obsidian");
    let site = build(&fixture("obsidian"), &tmp.path().join("out"));
    (tmp, site)
}

#[test]
fn callouts_become_framed_and_foldable_blocks() {
    let (_tmp, site) = built();
    assert_snapshot(
        "obsidian-callouts.html",
        &body(&site, "notes/callouts.html"),
    );
    // Behind raw HTML the sanitizer keeps what a callout is made of.
    assert_snapshot(
        "obsidian-raw-html.html",
        &body(&site, "notes/raw-html.html"),
    );
}

#[test]
fn highlights_become_marks() {
    let (_tmp, site) = built();
    assert_snapshot(
        "obsidian-highlights.html",
        &body(&site, "notes/highlights.html"),
    );
}

#[test]
fn pages_with_three_headings_have_contents_beside_and_above_the_text() {
    let (_tmp, site) = built();
    let page = "notes/long-note.html";
    let expected = [
        ("#overview", "Overview"),
        (
            "#the-payload-and-targetits-target",
            "The payload and its target",
        ),
        ("#overview-1", "Overview"),
        (
            "#two-headings-are-not-enough-for-contents-elsewhere",
            "Two headings are not enough for contents elsewhere",
        ),
    ]
    .map(|(h, t)| (h.to_string(), t.to_string()));
    // Beside the text (wide screens) and folded above it (narrow ones): the same list.
    assert_eq!(site.links(page, "aside .toc-wide .toc-list a"), expected);
    assert_eq!(
        site.links(page, "article details.toc-narrow .toc-list a"),
        expected
    );
    assert_eq!(
        site.texts(page, "article details.toc-narrow > summary"),
        ["On this page"]
    );
    let levels: Vec<String> = site
        .page(page)
        .select(&Selector::parse(".toc-wide .toc-list li").expect("selector"))
        .map(|li| li.value().attr("class").unwrap_or("").to_string())
        .collect();
    assert_eq!(levels, ["toc-h2", "toc-h3", "toc-h2", "toc-h2"]);
    // Every entry lands on its heading.
    assert!(site.dead_links().is_empty(), "{:?}", site.dead_links());
    assert!(site
        .links("notes/short-note.html", ".toc-list a")
        .is_empty());
    assert!(site.links("notes/callouts.html", ".toc-list a").is_empty());
}

#[test]
fn comments_are_neither_shown_nor_checked() {
    let (_tmp, site) = built();
    assert_snapshot(
        "obsidian-comments-tags.html",
        &body(&site, "notes/comments-tags.html"),
    );
    let html = String::from_utf8_lossy(&site.files["notes/comments-tags.html"]).into_owned();
    for hidden in [
        "inline comment",
        "A block comment",
        "hidden heading",
        "also-missing",
    ] {
        assert!(!html.contains(hidden), "{hidden} is shown");
    }
    // The links inside comments are not checked: the fixture checks clean.
    let run = check_json(&fixture("obsidian"), &[]);
    assert_eq!(run.stdout.trim(), "[]", "{}", run.stderr);
    assert_eq!(run.code, Some(0));
}

#[test]
fn inline_tags_join_the_pages_tags_and_tag_pages() {
    let (_tmp, site) = built();
    let page = "notes/comments-tags.html";
    assert_eq!(
        site.links(page, ".body a.tag"),
        [
            ("../tags/playbook.html", "#playbook"),
            ("../tags/nested-tag-2.html", "#nested/tag-2"),
            ("../tags/heading-tag.html", "#heading-tag"),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    // Front matter's tag first, then the text's, each once.
    assert_eq!(
        site.texts(page, ".tags-panel a"),
        ["#existing", "#playbook", "#nested/tag-2", "#heading-tag"]
    );
    assert_eq!(
        site.links("tags/nested-tag-2.html", "main li a"),
        [(
            "../notes/comments-tags.html".to_string(),
            "Comments and tags".to_string()
        )]
    );
    // Code, links, URLs, escapes, numbers and mid-word `#` are no tags.
    for file in site.files.keys() {
        for not_a_tag in [
            "code", "in-code", "linked", "alias", "frag", "escaped", "123", "b",
        ] {
            assert_ne!(file, &format!("tags/{not_a_tag}.html"));
        }
    }
}
