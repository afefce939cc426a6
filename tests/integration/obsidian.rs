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
    // The page's own title stays above its contents.
    assert_eq!(
        site.texts(page, ".body > h1 + details.toc-narrow > summary"),
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

#[test]
fn embeds_show_their_target_in_a_frame() {
    let (_tmp, site) = built();
    assert_snapshot("obsidian-embeds.html", &body(&site, "notes/embeds.html"));
    let page = "notes/embeds.html";
    assert_eq!(
        site.links(page, ".embed-source a"),
        [
            ("guide.html", "Guide"),
            ("guide.html#second-part", "Guide › Second part"),
            ("guide.html#^key-point", "Guide › key-point"),
            ("guide.html#^list-point", "Guide › list-point"),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    // Links inside are written for the embedding page: its own section by fragment only.
    assert_eq!(
        site.links(page, ".embed-body a.wikilink"),
        [
            ("#on-this-page", "back to the embedding page"),
            ("guide.html#second-part", "its own section"),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    // Embedded headings bring no ids, so every id on the page is its own, once.
    assert!(site.dead_links().is_empty(), "{:?}", site.dead_links());
    assert_eq!(
        site.texts(page, ".embed-body"),
        [
            "Guide It links back to the embedding page and to its own section . Second part \
             The key point is here. a list point another point Third part Not in the section.",
            "Second part The key point is here. a list point another point",
            "The key point is here.",
            "a list point",
        ]
    );
    assert_eq!(
        site.links(page, "td a"),
        [("guide.html".to_string(), "guide".to_string())]
    );
}

#[test]
fn embeds_that_never_end_are_links_and_diagnostics() {
    let dir = TempDir::new("embed-loops");
    dir.write("kb/a.md", "# A\n\n![[b]]\n");
    dir.write("kb/b.md", "# B\n\n![[a]]\n");
    // A chain of seven: the first two embeds nest deeper than five levels.
    for i in 1..=7 {
        let next = if i < 7 {
            format!("![[chain-{}]]\n", i + 1)
        } else {
            String::new()
        };
        dir.write(
            &format!("kb/chain-{i}.md"),
            format!("# Chain {i}\n\n{next}"),
        );
    }
    let run = check_json(&dir.path().join("kb"), &[]);
    let found: Vec<String> = run
        .diagnostics()
        .into_iter()
        .map(|d| {
            format!(
                "{} {}:{}:{} {}",
                d.code, d.path, d.line, d.column, d.message
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "embed-cycle a.md:3:1 embedding `B` leads back to this page",
            "embed-cycle b.md:3:1 embedding `A` leads back to this page",
            "embed-cycle chain-1.md:3:1 embedding `Chain 2` nests embeds deeper than 5 levels",
        ]
    );
    let site = build(&dir.path().join("kb"), &dir.path().join("out"));
    // The loop is cut where it would come back: A shows B, whose embed of A is a link.
    assert_eq!(
        site.links("a.html", ".embed-source a"),
        [("b.html".to_string(), "B".to_string())]
    );
    assert_eq!(
        site.links("a.html", ".embed-body a.wikilink"),
        [("a.html".to_string(), "a".to_string())]
    );
    // Chain 1 shows five levels; the sixth embed is a link.
    assert_eq!(site.texts("chain-1.html", ".embed-source a").len(), 5);
    assert_eq!(
        site.links("chain-1.html", ".embed-body a.wikilink"),
        [("chain-7.html".to_string(), "chain-7".to_string())]
    );
}

#[test]
fn a_page_renders_a_bounded_amount_of_embedded_text() {
    let dir = TempDir::new("embed-budget");
    // About 1 MB of text, embedded twenty times: eight fit in the page's 8 MiB budget.
    let big = "A line of a long note that others embed.\n".repeat(25_000);
    dir.write("kb/big.md", format!("# Big\n\n{big}"));
    dir.write(
        "kb/host.md",
        "# Host\n\n".to_string() + &"![[big]]\n\n".repeat(20),
    );
    let site = build(&dir.path().join("kb"), &dir.path().join("out"));
    assert_eq!(site.texts("host.html", ".embed-source").len(), 8);
    assert_eq!(site.links("host.html", ".body > p > a.wikilink").len(), 12);
}

#[test]
fn embeds_that_fan_out_stop_at_the_budget() {
    let dir = TempDir::new("embed-fan-out");
    // Each level embeds the next 40 times: 40^4 embeds of the last page unbounded.
    for level in 1..=4 {
        let next = format!("![[level-{}]]\n\n", level + 1).repeat(40);
        dir.write(
            &format!("kb/level-{level}.md"),
            format!("# Level {level}\n\n{next}"),
        );
    }
    dir.write("kb/level-5.md", "# Level 5\n\nThe end.\n");
    let site = build(&dir.path().join("kb"), &dir.path().join("out"));
    // Every embed costs at least 4 KiB of the page's 8 MiB: the 2,048th spends the last of
    // it and is a link, as is every one after.
    assert_eq!(site.texts("level-1.html", ".embed-source").len(), 2047);
}
