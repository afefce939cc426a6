//! Obsidian's syntax in notes, pinned as the HTML each page body becomes.

use crate::build::build;
use crate::site::Site;
use crate::support::{assert_snapshot, fixture, TempDir};
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
