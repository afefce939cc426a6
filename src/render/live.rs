//! A built site kept up to date a page at a time, for `serve`. Each page's rendering is
//! recorded with the pages it read from the graph ([`crate::graph::reads`]); after a change,
//! a page is rendered again only when it is new, or one of the pages it read changed: read
//! again from its file, or changed in what the graph says of it ([`Graph::shape`]). The
//! result is what a full build of the same content writes.
//!
//! Two ways in: [`LiveSite::update`] when only texts changed and the graph kept its shape
//! (the page, its embedders and the search data change), and [`LiveSite::rebuild`] after
//! the graph was built again (also the generated pages, and pages added or removed).

use super::output::InPlace;
use super::search::{LiveIndex, PageRecord};
use super::views::DisplayOrder;
use super::{render_job, render_page, FolderPlan, Job, Plan, Theme};
use crate::error::Result;
use crate::graph::{reads, Graph, PageId};
use crate::layout;
use crate::load::LinkSyntax;
use crate::timings::Timings;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// What a build keeps to change its site a page at a time.
pub struct LiveSite {
    pub(super) site: InPlace,
    pub(super) search: LiveIndex,
    pub(super) pages: Published,
    pub(super) theme: Theme,
    pub(super) display: DisplayOrder,
    pub(super) folders: FolderPlan,
    /// The other content files the site holds.
    pub(super) assets: Vec<String>,
    /// The generated pages of one page or one set of pages, by output path.
    pub(super) jobs: JobsRead,
}

/// Generated pages of one page or set of pages, by output path: what each shows
/// (`Job::key`), and the pages its rendering read.
pub(super) type JobsRead = std::collections::HashMap<String, JobRead>;

/// What a generated page shows (`Job::key`), and the pages its rendering read.
pub(super) type JobRead = (String, Vec<u32>);

/// Each page of the graph: where it is published, if it has a page of its own (not the
/// home text, not a page the build's own files shadow), with its output path, its
/// document in the search data, and the pages its rendering read.
pub(super) struct Published(Vec<Option<PageOut>>);

pub(super) struct PageOut {
    path: String,
    doc: u32,
    read: Vec<u32>,
}

impl Published {
    /// For a graph of `count` pages, of which `pages` are published, in document order,
    /// each having read `read`.
    pub(super) fn new(count: usize, pages: &[(PageId, String)], read: Vec<Vec<u32>>) -> Published {
        let mut published: Vec<Option<PageOut>> = (0..count).map(|_| None).collect();
        let mut read = read.into_iter();
        for (doc, (id, path)) in pages.iter().enumerate() {
            published[id.0] = Some(PageOut {
                path: path.clone(),
                doc: doc as u32,
                read: read.next().unwrap_or_default(),
            });
        }
        Published(published)
    }
}

/// What the last graph said of each of its pages, kept to compare the next one with.
pub struct Before {
    /// By the old graph's page numbers: path, [`Graph::shape`] and [`Graph::listing`].
    pages: Vec<(String, u64, u64)>,
    /// The old graph's number of each path.
    numbers: std::collections::HashMap<String, usize>,
}

impl Before {
    pub fn of(graph: &Graph) -> Before {
        let pages: Vec<(String, u64, u64)> = (0..graph.pages.len())
            .into_par_iter()
            .map(|i| {
                let id = PageId(i);
                let path = graph.page(id).source.path.clone();
                (path, graph.shape(id), graph.listing(id))
            })
            .collect();
        let numbers = pages
            .iter()
            .enumerate()
            .map(|(i, (path, _, _))| (path.clone(), i))
            .collect();
        Before { pages, numbers }
    }

    /// The old graph's number of the page at `path`.
    fn old_id(&self, path: &str) -> Option<usize> {
        self.numbers.get(path).copied()
    }
}

/// A generated page rendered again: its output path and HTML, and for the page of one page
/// or set of pages what it shows and read.
type JobOut = (String, Vec<u8>, Option<JobRead>);

/// A page rendered again: its id, output path, HTML and search record, and what it read.
type Fresh = (PageId, String, Vec<u8>, PageRecord, Vec<u32>);

impl LiveSite {
    /// Renders again the pages `changed` (whose texts `graph` now holds, in the same shape)
    /// and every page that embeds one of them, directly or through other embeds, and the
    /// search files they change; writes what differs into the site. Returns the number of
    /// pages rendered and of files written or removed.
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
        // The root page is not a page of its own but the home page's introduction.
        let home = graph
            .by_path_id(layout::HOME_TEXT)
            .is_some_and(|home| pages.contains(&home));
        let pages: Vec<(PageId, String)> = pages
            .into_iter()
            .filter_map(|id| Some((id, self.pages.0.get(id.0)?.as_ref()?.path.clone())))
            .collect();
        let fresh = self.render(graph, root, &pages)?;
        if home {
            let key = Job::Home.key(graph);
            let (html, read) = self.render_job(graph, root, layout::HOME, &Job::Home, key)?;
            self.site.write(layout::HOME, &html)?;
            if let Some(read) = read {
                self.jobs.insert(layout::HOME.to_string(), read);
            }
        }
        timings.mark("pages");
        let rendered = fresh.len() + usize::from(home);
        let mut records = Vec::new();
        for (id, path, html, record, read) in fresh {
            self.site.write(&path, &html)?;
            if let Some(out) = &mut self.pages.0[id.0] {
                out.read = read;
                records.push((out.doc, record));
            }
        }
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

    /// Brings the site up to `graph`, built again after pages were added, removed or
    /// changed (`read_again`, by the new graph's numbers, are those read from their files),
    /// when the last graph was as `before` says. Renders again the pages that are new or
    /// read a page that changed, and every generated page; writes what differs, and removes
    /// what the site no longer has. `None` when the change reaches further (the files
    /// copied as they are): the site must then be built whole.
    pub fn rebuild(
        &mut self,
        before: &Before,
        graph: &Graph,
        root: &Path,
        read_again: &[PageId],
        timings: &mut Timings,
    ) -> Result<Option<(usize, usize)>> {
        let plan = Plan::new(graph);
        if plan.assets != self.assets {
            return Ok(None);
        }
        // A page is changed when it was read again, is new, or the graph says other
        // things of it; an old page, when it is gone or its new self changed.
        let mut changed = vec![false; graph.pages.len()];
        for id in read_again {
            changed[id.0] = true;
        }
        changed.par_iter_mut().enumerate().for_each(|(i, changed)| {
            *changed = *changed || {
                let id = PageId(i);
                let path = &graph.page(id).source.path;
                match before.old_id(path) {
                    Some(old) => before.pages[old].1 != graph.shape(id),
                    None => true,
                }
            }
        });
        let old_to_new: Vec<Option<PageId>> = before
            .pages
            .iter()
            .map(|(path, _, _)| graph.by_path_id(path))
            .collect();
        // The pages that list every page change when a page comes or goes, or shows
        // differently in a list.
        let lists_changed = old_to_new.iter().any(Option::is_none)
            || graph.pages.len() != before.pages.len()
            || (0..graph.pages.len()).into_par_iter().any(|i| {
                let id = PageId(i);
                changed[i]
                    && before
                        .old_id(&graph.page(id).source.path)
                        .is_none_or(|old| before.pages[old].2 != graph.listing(id))
            });
        let old_changed: Vec<bool> = old_to_new
            .iter()
            .map(|new| new.is_none_or(|id| changed[id.0]))
            .collect();
        // Every breadcrumb may lead elsewhere when a folder's page came or went.
        let crumbs_moved = plan.folders.links != self.folders.links;
        let affected: Vec<(PageId, String)> = plan
            .pages
            .iter()
            .filter(|(id, _)| {
                if changed[id.0] || crumbs_moved {
                    return true;
                }
                let old = before.old_id(&graph.page(*id).source.path);
                match old.and_then(|old| self.pages.0.get(old)?.as_ref()) {
                    Some(out) => out.read.iter().any(|&p| old_changed[p as usize]),
                    None => true,
                }
            })
            .cloned()
            .collect();
        timings.mark("plan");

        self.display = plan.display;
        self.folders = plan.folders;
        let fresh = self.render(graph, root, &affected)?;
        // Generated pages: those of the whole graph always, the others when what they show
        // or a page they read changed.
        let old_jobs = std::mem::take(&mut self.jobs);
        let jobs: Vec<JobOut> = plan
            .jobs
            .par_iter()
            .filter_map(|(path, job)| {
                let key = job.key(graph);
                let unchanged = match (&key, old_jobs.get(path)) {
                    _ if lists_changed && job.lists_every_page() => false,
                    (Some(key), Some((old_key, read))) => {
                        old_key == key && !read.iter().any(|&p| old_changed[p as usize])
                    }
                    (None, _) => job.lists_every_page(),
                    (Some(_), None) => false,
                };
                if unchanged {
                    return None;
                }
                Some(
                    self.render_job(graph, root, path, job, key)
                        .map(|(html, read)| (path.clone(), html, read)),
                )
            })
            .collect::<Result<_>>()?;
        let renumber = |read: &[u32]| -> Vec<u32> {
            read.iter()
                .filter_map(|&p| old_to_new[p as usize].map(|id| id.0 as u32))
                .collect()
        };
        let planned: HashSet<&str> = plan.jobs.iter().map(|(p, _)| p.as_str()).collect();
        let mut jobs_read: JobsRead = old_jobs
            .into_iter()
            .filter(|(path, _)| planned.contains(path.as_str()))
            .map(|(path, (key, read))| (path, (key, renumber(&read))))
            .collect();
        let mut job_htmls = Vec::with_capacity(jobs.len());
        for (path, html, read) in jobs {
            match read {
                Some(read) => jobs_read.insert(path.clone(), read),
                None => jobs_read.remove(&path),
            };
            job_htmls.push((path, html));
        }
        self.jobs = jobs_read;
        timings.mark("pages");

        // The search data: by document, the new record or the one kept.
        let mut fresh_of: Vec<Option<Fresh>> = (0..graph.pages.len()).map(|_| None).collect();
        let rendered = fresh.len();
        for page in fresh {
            let at = page.0 .0;
            fresh_of[at] = Some(page);
        }
        let same_docs = plan.pages.len() == self.search.len()
            && plan.pages.iter().all(|(id, _)| {
                let old = before.old_id(&graph.page(*id).source.path);
                let doc = old.and_then(|old| Some(self.pages.0.get(old)?.as_ref()?.doc));
                doc.is_some_and(|doc| plan.pages.get(doc as usize).is_some_and(|p| p.0 == *id))
            });
        let mut published: Vec<Option<PageOut>> = (0..graph.pages.len()).map(|_| None).collect();
        let mut old_pages = std::mem::take(&mut self.pages.0);
        let mut search_records: Vec<(u32, PageRecord)> = Vec::new();
        let mut htmls: Vec<(String, Vec<u8>)> = Vec::new();
        let mut kept_records: Vec<Option<PageRecord>> = if same_docs {
            Vec::new()
        } else {
            self.search.take_records().into_iter().map(Some).collect()
        };
        let mut new_records: Vec<PageRecord> = Vec::new();
        for (doc, (id, path)) in plan.pages.iter().enumerate() {
            let old = before
                .old_id(&graph.page(*id).source.path)
                .and_then(|old| old_pages.get_mut(old)?.take());
            let (record, read) = match (fresh_of[id.0].take(), old) {
                (Some((_, _, html, record, read)), _) => {
                    htmls.push((path.clone(), html));
                    (Some(record), read)
                }
                (None, Some(out)) => {
                    let read = renumber(&out.read);
                    let record = kept_records
                        .get_mut(out.doc as usize)
                        .and_then(Option::take);
                    (record, read)
                }
                // Not reached: a page without an old self is always rendered.
                (None, None) => (None, Vec::new()),
            };
            if same_docs {
                if let Some(record) = record {
                    search_records.push((doc as u32, record));
                }
            } else if let Some(record) = record {
                new_records.push(record);
            }
            published[id.0] = Some(PageOut {
                path: path.clone(),
                doc: doc as u32,
                read,
            });
        }
        self.pages = Published(published);
        let search = if same_docs {
            self.search.replace(search_records).write
        } else {
            self.search = LiveIndex::new(new_records);
            self.search.files()
        };
        timings.mark("search");

        let mut keep: HashSet<String> = HashSet::new();
        for (path, html) in htmls.iter().chain(&job_htmls).chain(&search) {
            self.site.write(path, html)?;
        }
        keep.extend(plan.pages.into_iter().map(|(_, p)| p));
        keep.extend(plan.jobs.into_iter().map(|(p, _)| p));
        keep.extend(self.search.paths());
        keep.extend(self.assets.iter().cloned());
        keep.extend(
            self.theme
                .static_files
                .iter()
                .map(|(name, _)| format!("{}/{name}", layout::THEME_DIR)),
        );
        self.site.keep_only(&keep)?;
        let files = self.site.finish()?;
        timings.mark("write");
        Ok(Some((rendered, files)))
    }

    /// Renders generated page `job` at `path`; with its `key`, records what it reads.
    fn render_job(
        &self,
        graph: &Graph,
        root: &Path,
        path: &str,
        job: &Job,
        key: Option<String>,
    ) -> Result<(Vec<u8>, Option<JobRead>)> {
        let order = (&self.display, &self.folders);
        let render = || render_job(graph, root, &self.theme, order, path, job);
        let (html, read) = match key {
            Some(key) => {
                let (html, read) = reads::recorded(render);
                (html, Some((key, read)))
            }
            None => (render(), None),
        };
        let mut html = html?;
        crate::syntax::strip_controls(&mut html);
        Ok((html, read))
    }

    /// Renders `pages` at their output paths on all cores, recording what each reads.
    fn render(&self, graph: &Graph, root: &Path, pages: &[(PageId, String)]) -> Result<Vec<Fresh>> {
        pages
            .par_iter()
            .map(|(id, path)| {
                let (id, path) = (*id, path.clone());
                let mut html = Vec::new();
                let (record, read) = reads::recorded(|| {
                    render_page(
                        graph,
                        root,
                        &self.theme,
                        (&self.display, &self.folders),
                        id,
                        &path,
                        &mut html,
                    )
                });
                let record = record?;
                crate::syntax::strip_controls(&mut html);
                Ok((id, path, html, record, read))
            })
            .collect()
    }
}
