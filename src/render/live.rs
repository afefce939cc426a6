//! A built site kept up to date a page at a time, for `serve`: when a page's text changes
//! but nothing other pages show of it does ([`crate::graph::Graph::replace_text`]), only
//! that page, the pages that embed it and the search files its words are in can change, and
//! only those are made again. The result is what a full build of the same content writes.

use super::output::InPlace;
use super::search::LiveIndex;
use super::views::DisplayOrder;
use super::{render_page, FolderPlan, Theme};
use crate::error::Result;
use crate::graph::{Graph, PageId};
use crate::load::LinkSyntax;
use crate::timings::Timings;
use std::collections::BTreeSet;
use std::path::Path;

/// What a build keeps to change its site a page at a time.
pub struct LiveSite {
    pub(super) site: InPlace,
    pub(super) search: LiveIndex,
    pub(super) pages: Published,
    pub(super) theme: Theme,
    pub(super) display: DisplayOrder,
    pub(super) folders: FolderPlan,
}

/// Where each page is published: its output path and its document in the search data, or
/// nothing for a page without a page of its own (the home text, a page the build's own
/// files shadow).
pub(super) struct Published(Vec<Option<(String, u32)>>);

impl Published {
    /// For a graph of `count` pages, of which `pages` are published, in document order.
    pub(super) fn new(count: usize, pages: &[(PageId, String)]) -> Published {
        let mut published = vec![None; count];
        for (doc, (id, path)) in pages.iter().enumerate() {
            published[id.0] = Some((path.clone(), doc as u32));
        }
        Published(published)
    }
}

impl LiveSite {
    /// Renders again the pages `changed` (whose texts `graph` now holds) and every page that
    /// embeds one of them, directly or through other embeds, and the search files they
    /// change; writes what differs into the site. Returns the number of pages rendered and
    /// of files written or removed.
    pub fn update(
        &mut self,
        graph: &Graph,
        root: &Path,
        changed: &[PageId],
        timings: &mut Timings,
    ) -> Result<(usize, usize)> {
        let mut pages: BTreeSet<PageId> = changed.iter().copied().collect();
        let mut queue: Vec<PageId> = changed.to_vec();
        while let Some(page) = queue.pop() {
            for link in graph.backlinks(page) {
                let embeds = graph.link(*link).syntax == LinkSyntax::Embed;
                if embeds && pages.insert(link.page) {
                    queue.push(link.page);
                }
            }
        }
        let mut html = Vec::new();
        let mut records = Vec::new();
        let mut rendered = 0;
        for &id in &pages {
            let Some((path, doc)) = &self.pages.0[id.0] else {
                continue;
            };
            let record = render_page(
                graph,
                root,
                &self.theme,
                (&self.display, &self.folders),
                id,
                path,
                &mut html,
            )?;
            crate::syntax::strip_controls(&mut html);
            self.site.write(path, &html)?;
            records.push((*doc, record));
            rendered += 1;
        }
        timings.mark("pages");
        let search = self.search.replace(records);
        timings.mark("search");
        for (path, bytes) in &search.write {
            self.site.write(path, bytes)?;
        }
        for path in &search.remove {
            self.site.remove(path)?;
        }
        let files = self.site.finish()?;
        timings.mark("write");
        Ok((rendered, files))
    }
}
