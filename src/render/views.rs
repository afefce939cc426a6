//! What templates see: small serializable views borrowed from the graph.

use super::url;
use crate::graph::{Graph, Page, PageId, PageKind};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;

/// A link as templates see it. Text the graph already holds is borrowed, not copied: a page
/// renders dozens of these, a list or the matrix tens of thousands.
#[derive(Serialize)]
pub struct LinkView<'g> {
    pub href: String,
    pub id: Option<&'g str>,
    pub name: Cow<'g, str>,
    pub title: Cow<'g, str>,
    /// The relation's use text, or a short descriptor in lists.
    pub note: Option<Cow<'g, str>>,
    /// The first sentence of the page's prose (in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<&'g str>,
    pub kind: PageKind,
    /// Sub-entries (sub-techniques under their parent in the matrix).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<LinkView<'g>>,
}

impl<'g> LinkView<'g> {
    pub fn new(graph: &'g Graph, from: &str, to: PageId, note: Option<&'g str>) -> LinkView<'g> {
        let page = graph.page(to);
        LinkView {
            href: url::href(graph, from, to, None),
            id: page.atlas_id.as_ref().map(|i| i.as_str()),
            name: Cow::Borrowed(&page.name),
            title: page.title(),
            note: note.map(Cow::Borrowed),
            summary: None,
            kind: page.kind,
            children: Vec::new(),
        }
    }
}

#[derive(Serialize)]
pub struct Group<'g> {
    pub title: &'g str,
    pub items: Vec<LinkView<'g>>,
}

#[derive(Serialize)]
pub struct TagView {
    pub name: String,
    pub href: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct PageView<'a> {
    pub title: Cow<'a, str>,
    pub name: &'a str,
    pub id: Option<&'a str>,
    pub kind: PageKind,
    pub kind_label: &'a str,
    pub path: &'a str,
    pub tags: Vec<LinkView<'a>>,
    pub generated: bool,
    /// Whether the body has its own level-1 heading (else the template shows the title).
    pub has_h1: bool,
    pub parent: Option<LinkView<'a>>,
    /// The page's Navigator layer, relative to it (case studies and mitigations).
    pub layer: Option<String>,
}

/// Sort key for pages in lists: pages with an ID first, by ID (numeric order is lexical for
/// ATLAS IDs), then by name.
pub type OrderKey = (bool, Option<String>, String);

pub fn order(page: &Page) -> OrderKey {
    (
        page.atlas_id.is_none(),
        page.atlas_id.as_ref().map(|i| i.to_string()),
        page.name.to_lowercase(),
    )
}

/// Each page's place in [`order`], computed once per build: sorting by it is a plain integer
/// compare instead of building two strings per comparison. Pages whose keys are equal share a
/// rank, so a stable sort by rank keeps them in the order it found them, as sorting by the key
/// itself does.
pub struct DisplayOrder(Vec<u32>);

impl DisplayOrder {
    pub fn new(graph: &Graph) -> DisplayOrder {
        let keys: Vec<OrderKey> = graph.pages.par_iter().map(order).collect();
        let mut sorted: Vec<u32> = (0..keys.len() as u32).collect();
        sorted.par_sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
        let mut rank = vec![0u32; keys.len()];
        let mut current = 0u32;
        for (i, &p) in sorted.iter().enumerate() {
            if i > 0 && keys[p as usize] != keys[sorted[i - 1] as usize] {
                current = i as u32;
            }
            rank[p as usize] = current;
        }
        DisplayOrder(rank)
    }

    pub fn rank(&self, page: PageId) -> u32 {
        self.0[page.0]
    }
}
