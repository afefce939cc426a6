//! Stage two: the only step that looks at all pages together. It indexes them, resolves every
//! link once, derives typed relations, parents and backlinks, and is immutable afterwards.

mod id;
pub(crate) mod reads;
pub(crate) mod resolve;

use crate::diagnostic::{Code, Diagnostic};
use crate::load::Vault;
pub use crate::load::{
    BlockId, FileStamp, FrontMatter, Heading, LinkSyntax, MetaField, ParsedPage, Piece, RawLink,
    Step, MAX_PAGE_BYTES,
};
use crate::source::Span;
pub use crate::vocabulary::RelationKind;
use crate::vocabulary::Vocabulary;
pub use id::{AtlasId, PageKind};
use rayon::prelude::*;
pub use resolve::{fold, route, Anchor, Broken, Resolution};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Index of a page in [`Graph::pages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageId(pub usize);

/// One link of one page: `pages[page].source.links[link]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkRef {
    /// The page the link is on.
    pub page: PageId,
    /// Its index in the page's links.
    pub link: usize,
}

/// A page of the graph: its parsed file, plus what the graph derived for it.
#[derive(Debug)]
pub struct Page {
    /// The file as parsed: path, text, front matter, headings, links.
    pub source: ParsedPage,
    /// What the page is about.
    pub kind: PageKind,
    /// The page's own ATLAS ID, from its title or metadata.
    pub atlas_id: Option<AtlasId>,
    /// The name without its ID (`Unsafe AI Artifacts`).
    pub name: String,
    /// True for a parent technique the graph created because no page had its ID.
    pub generated: bool,
}

impl Page {
    /// `AML.T0011.000: Unsafe AI Artifacts`, or the name alone for pages without an ID.
    pub fn title(&self) -> std::borrow::Cow<'_, str> {
        match &self.atlas_id {
            Some(id) => format!("{id}: {}", self.name).into(),
            None => self.name.as_str().into(),
        }
    }

    /// The content path without `.md`.
    pub fn stem_path(&self) -> &str {
        let p = &self.source.path;
        p.strip_suffix(".md").unwrap_or(p)
    }

    /// The value of metadata bullet `- **key:** value`, if the page has one.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.source
            .metadata
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case(key))
            .map(|m| m.value.as_str())
    }
}

/// A typed edge between a technique and a tactic, mitigation or case study, with the link
/// each side declared it by.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Which kinds it joins.
    pub kind: RelationKind,
    /// The technique (or sub-technique) side.
    pub technique: PageId,
    /// The tactic, mitigation or case study side.
    pub other: PageId,
    /// The first link by which the technique lists the other page, if it does.
    pub from_technique: Option<LinkRef>,
    /// The first link by which the other page lists the technique, if it does.
    pub from_other: Option<LinkRef>,
    /// The link whose ` — ` use text the relation shows: the technique side's, else the other
    /// side's. Read it with [`Graph::relation_note`].
    pub note: Option<LinkRef>,
}

/// How deep embeds nest: a page embeds a page that embeds a page ..., this many levels.
pub const MAX_EMBED_DEPTH: usize = 5;

/// Why an embed is shown as a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbedProblem {
    /// Its target embeds the embedding page again.
    Cycle,
    /// The embeds it leads into nest deeper than [`MAX_EMBED_DEPTH`].
    TooDeep,
}

/// The pages of a knowledge base, every link resolved, and the typed relations between them.
/// Built once, read by `check` and the renderer, never changed.
#[derive(Debug)]
pub struct Graph {
    /// Sorted by path; generated parent pages come last.
    pub pages: Vec<Page>,
    /// Other files of the content root (images, attachments), relative paths, sorted.
    pub assets: Vec<String>,
    /// `resolutions[page][link]` for every link of every page.
    pub resolutions: Vec<Vec<Resolution>>,
    /// Every typed edge, each once, sorted.
    pub relations: Vec<Relation>,
    /// Indexes into `relations` of each page's relations (either side), in relation order.
    /// Derived on first use, like `backlinks`: a check reads neither (unless it looks for
    /// orphans), and at 100k pages they cost it ~3% of its time.
    relations_of: OnceLock<Vec<Vec<usize>>>,
    /// Resolved links into each page from other pages, in source order.
    backlinks: OnceLock<Vec<Vec<LinkRef>>>,
    /// Procedure steps by the technique they use ([`Graph::steps_using`]).
    step_uses: OnceLock<Vec<Vec<(PageId, u32)>>>,
    /// Per page: the longest chain of page embeds it starts, up to past the limit.
    embed_depth: OnceLock<Vec<u8>>,
    /// Each sub-technique's parent technique.
    pub parent: Vec<Option<PageId>>,
    /// Each technique's sub-techniques, by ID.
    pub children: Vec<Vec<PageId>>,
    /// The page of each ATLAS ID (the first, when two claim one).
    pub by_id: FxHashMap<AtlasId, PageId>,
    by_path: FxHashMap<String, PageId>,
    /// Problems found while loading and building (front matter, malformed links, IDs).
    pub diagnostics: Vec<Diagnostic>,
    /// How many of `diagnostics`, at the start, the load found.
    loaded: usize,
    /// Files not published, with why (see [`Vault::withheld`]).
    withheld: Vec<(String, String)>,
    /// The words the pages were read with.
    pub vocabulary: Vocabulary,
    /// Attachments that can run script when opened: path, why, and whether the settings
    /// publish them anyway (unpublished ones are not in `assets`).
    pub active_assets: Vec<(String, String, bool)>,
}

impl Graph {
    /// Indexes the pages of `vault`, read with `vocabulary`, and resolves every link.
    pub(crate) fn build(vault: Vault, vocabulary: Vocabulary) -> Graph {
        let Vault {
            root: _,
            pages: parsed,
            assets,
            withheld,
            active,
            mut diagnostics,
        } = vault;
        let loaded = diagnostics.len();
        let mut pages: Vec<Page> = parsed
            .into_par_iter()
            .map(|p| derive_page(*p, &vocabulary))
            .collect();

        let mut by_id: FxHashMap<AtlasId, PageId> = FxHashMap::default();
        for (i, page) in pages.iter().enumerate() {
            let Some(id) = &page.atlas_id else { continue };
            match by_id.get(id) {
                None => {
                    by_id.insert(*id, PageId(i));
                }
                Some(first) => diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        &page.source.path,
                        id_span(page),
                        page.source.title_width,
                        format!(
                            "`{id}` is already the ID of `{}`",
                            pages[first.0].source.path
                        ),
                    )
                    .with_help("each ATLAS ID belongs to one page; links by ID go to the first"),
                ),
            }
        }
        generate_missing_parents(&mut pages, &mut by_id, &vocabulary, &mut diagnostics);

        // Map builds over every page (the index has four, in two pairs): they share the threads.
        let folded = resolve::FoldedPaths::new(&pages);
        let (index, by_path) = rayon::join(
            || resolve::Index::new(&pages, &folded, &assets, &withheld, by_id),
            || {
                pages
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.source.path.clone(), PageId(i)))
                    .collect()
            },
        );
        // Every link first without did-you-mean help, while the name index that the help
        // needs is built on another thread; then the broken links again, with it.
        let resolver = resolve::Resolver {
            index: &index,
            pages: &pages,
            suggest: false,
        };
        let ((), mut resolutions) = rayon::join(
            || index.prepare_suggestions(),
            || -> Vec<Vec<Resolution>> {
                (0..pages.len())
                    .into_par_iter()
                    .map(|i| {
                        let links = &pages[i].source.links;
                        links
                            .iter()
                            .map(|l| resolver.resolve(PageId(i), l))
                            .collect()
                    })
                    .collect()
            },
        );
        let suggesting = resolve::Resolver {
            suggest: true,
            ..resolver
        };
        resolutions
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, list)| {
                for (j, resolution) in list.iter_mut().enumerate() {
                    if resolution.awaits_suggestion() {
                        let link = &pages[i].source.links[j];
                        *resolution = suggesting.resolve(PageId(i), link);
                    }
                }
            });
        let by_id = index.by_id;

        let parent: Vec<Option<PageId>> = pages
            .par_iter()
            .map(|page| {
                let pid = page.atlas_id.as_ref().and_then(AtlasId::parent)?;
                if page.kind != PageKind::SubTechnique {
                    return None;
                }
                by_id.get(&pid).copied()
            })
            .collect();
        let child_of: Vec<(usize, PageId)> = parent
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (p.0, PageId(i))))
            .collect();
        let mut children = grouped(pages.len(), &child_of, Threads::All);
        children.par_iter_mut().for_each(|list| {
            list.sort_by(|a, b| pages[a.0].atlas_id.cmp(&pages[b.0].atlas_id));
        });

        let relations = relations(&pages, &resolutions, &vocabulary);
        Graph {
            pages,
            assets,
            resolutions,
            relations,
            relations_of: OnceLock::new(),
            backlinks: OnceLock::new(),
            step_uses: OnceLock::new(),
            embed_depth: OnceLock::new(),
            parent,
            children,
            by_id,
            by_path,
            diagnostics,
            loaded,
            withheld,
            vocabulary,
            active_assets: active,
        }
    }

    /// Puts `source`, page `id`'s file read again, in its place, with the `problems` found
    /// reading it, when the rest of the graph stays as it is: when the page shows the
    /// same face ([`ParsedPage::same_face`]) and is of the same kind, ID and name. Else
    /// changes nothing and gives both back: the graph must then be built again.
    pub(crate) fn replace_text(
        &mut self,
        id: PageId,
        source: ParsedPage,
        problems: Vec<Diagnostic>,
    ) -> Result<(), Box<(ParsedPage, Vec<Diagnostic>)>> {
        let Some(old) = self.pages.get(id.0) else {
            return Err(Box::new((source, problems)));
        };
        if old.generated || !old.source.same_face(&source) {
            return Err(Box::new((source, problems)));
        }
        let page = derive_page(source, &self.vocabulary);
        if (page.kind, &page.atlas_id, &page.name) != (old.kind, &old.atlas_id, &old.name) {
            return Err(Box::new((page.source, problems)));
        }
        // What the load found in the old text goes; what it finds in the new one comes.
        let path = page.source.path.clone();
        let mut loaded: Vec<Diagnostic> = self.diagnostics.drain(..self.loaded).collect();
        loaded.retain(|d| *d.path != *path);
        loaded.extend(problems);
        self.loaded = loaded.len();
        self.diagnostics.splice(0..0, loaded);
        self.pages[id.0] = page;
        Ok(())
    }

    /// A digest of everything the graph says about page `id` that another page's rendering
    /// can read through a query about it: its title, kind and ID, where its links lead, the
    /// links into it, its relations, its parent and sub-techniques, the steps that use it and
    /// its embeds' problems, with pages named by path so that two graphs can be compared. Its
    /// file's own contents are not in it: a page read again counts as changed anyway.
    pub(crate) fn shape(&self, id: PageId) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        let path = |p: PageId| self.pages[p.0].source.path.as_str();
        let link = |r: Option<LinkRef>| r.map(|r| (path(r.page), r.link));
        let page = &self.pages[id.0];
        (page.title(), page.kind, &page.atlas_id, page.generated).hash(&mut h);
        for r in &self.resolutions[id.0] {
            match r {
                Resolution::Page { page, anchor, tied } => {
                    (0u8, path(*page), anchor).hash(&mut h);
                    tied.iter().for_each(|t| path(*t).hash(&mut h));
                }
                Resolution::Asset(a) => (1u8, a).hash(&mut h),
                Resolution::External => 2u8.hash(&mut h),
                Resolution::Unsafe => 3u8.hash(&mut h),
                Resolution::Broken(b) => {
                    (4u8, b.code.as_str(), &*b.message, b.help.as_deref()).hash(&mut h);
                    b.page.map(path).hash(&mut h);
                }
            }
        }
        for r in self.backlinks(id) {
            (path(r.page), r.link).hash(&mut h);
        }
        for r in self.relations_of(id) {
            (r.kind as u8, path(r.technique), path(r.other)).hash(&mut h);
            (link(r.from_technique), link(r.from_other), link(r.note)).hash(&mut h);
        }
        self.parent[id.0].map(path).hash(&mut h);
        self.children[id.0]
            .iter()
            .for_each(|c| path(*c).hash(&mut h));
        for (case, step) in self.steps_using(id) {
            (path(*case), step).hash(&mut h);
        }
        for l in 0..page.source.links.len() {
            self.embed_problem(id, l).hash(&mut h);
        }
        h.finish()
    }

    /// What the graph was built from, given back to build another: the pages as read
    /// (not those the graph made), the other files, what the load found, and the words.
    pub(crate) fn into_vault(self, root: std::path::PathBuf) -> (Vault, Vocabulary) {
        let mut diagnostics = self.diagnostics;
        diagnostics.truncate(self.loaded);
        let pages = self
            .pages
            .into_iter()
            .filter(|page| !page.generated)
            .map(|page| Box::new(page.source))
            .collect();
        let vault = Vault {
            root,
            pages,
            assets: self.assets,
            withheld: self.withheld,
            active: self.active_assets,
            diagnostics,
        };
        (vault, self.vocabulary)
    }

    /// A digest of page `id` as the pages that list every page show it (the matrix, the
    /// lists, the tag index, the home page's counts, the knowledge base's layer): its path,
    /// title, kind and ID, front matter, metadata, summary, family and relations, with pages
    /// named by path.
    pub(crate) fn listing(&self, id: PageId) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        let path = |p: PageId| self.pages[p.0].source.path.as_str();
        let page = &self.pages[id.0];
        let source = &page.source;
        (
            &source.path,
            page.title(),
            &page.name,
            page.kind,
            &page.atlas_id,
        )
            .hash(&mut h);
        (
            page.generated,
            format!("{:?}", source.front),
            &source.summary,
        )
            .hash(&mut h);
        for field in &source.metadata {
            (&field.key, &field.value).hash(&mut h);
        }
        source.parent_technique.hash(&mut h);
        self.parent[id.0].map(path).hash(&mut h);
        self.children[id.0]
            .iter()
            .for_each(|c| path(*c).hash(&mut h));
        for r in self.relations_of(id) {
            (r.kind as u8, path(r.technique), path(r.other)).hash(&mut h);
        }
        h.finish()
    }

    /// Page `id`.
    pub fn page(&self, id: PageId) -> &Page {
        reads::note(id);
        &self.pages[id.0]
    }

    /// The parent technique of sub-technique `id`.
    pub fn parent_of(&self, id: PageId) -> Option<PageId> {
        reads::note(id);
        self.parent[id.0]
    }

    /// The sub-techniques of technique `id`, by ID.
    pub fn children_of(&self, id: PageId) -> &[PageId] {
        reads::note(id);
        &self.children[id.0]
    }

    /// Where each link of page `id` leads.
    pub fn resolutions_of(&self, id: PageId) -> &[Resolution] {
        reads::note(id);
        &self.resolutions[id.0]
    }

    /// The page at content path `path` (with `.md`).
    pub fn page_by_path(&self, path: &str) -> Option<&Page> {
        self.by_path.get(path).map(|&id| &self.pages[id.0])
    }

    /// Link `r` as written.
    pub fn link(&self, r: LinkRef) -> &RawLink {
        reads::note(r.page);
        &self.pages[r.page.0].source.links[r.link]
    }

    /// The use text a relation shows (the ` — ` note of one of its links), if any.
    pub fn relation_note(&self, relation: &Relation) -> Option<&str> {
        let at = relation.note?;
        self.pages[at.page.0].source.note(self.link(at))
    }

    /// The relations page `id` takes part in, on either side.
    pub fn relations_of(&self, id: PageId) -> impl Iterator<Item = &Relation> {
        reads::note(id);
        let relations_of = self.relations_of.get_or_init(|| {
            let sides: Vec<(usize, usize)> = self
                .relations
                .iter()
                .enumerate()
                .flat_map(|(i, r)| [(r.technique.0, i), (r.other.0, i)])
                .collect();
            grouped(self.pages.len(), &sides, Threads::One)
        });
        relations_of[id.0].iter().map(|&i| &self.relations[i])
    }

    /// Resolved links into page `id` from other pages, in source order.
    pub fn backlinks(&self, id: PageId) -> &[LinkRef] {
        reads::note(id);
        let backlinks = self.backlinks.get_or_init(|| {
            let links_into: Vec<(usize, LinkRef)> = self
                .resolutions
                .iter()
                .enumerate()
                .flat_map(|(i, links)| {
                    links.iter().enumerate().filter_map(move |(j, r)| match r {
                        Resolution::Page { page, .. } if page.0 != i => Some((
                            page.0,
                            LinkRef {
                                page: PageId(i),
                                link: j,
                            },
                        )),
                        _ => None,
                    })
                })
                .collect();
            grouped(self.pages.len(), &links_into, Threads::One)
        });
        &backlinks[id.0]
    }

    /// Where link `r` leads.
    pub fn resolution(&self, r: LinkRef) -> &Resolution {
        reads::note(r.page);
        &self.resolutions[r.page.0][r.link]
    }

    /// The page, and section or block, that link `link` of page `page` embeds
    /// (`![[note]]`, `![[note#Heading]]`, `![[note#^block]]`), if it is an embed of a page.
    pub fn embedded(&self, page: PageId, link: usize) -> Option<(PageId, Option<Anchor>)> {
        reads::note(page);
        if self.pages[page.0].source.links.get(link)?.syntax != LinkSyntax::Embed {
            return None;
        }
        match self.resolutions[page.0].get(link)? {
            Resolution::Page { page, anchor, .. } => Some((*page, *anchor)),
            _ => None,
        }
    }

    /// Why embed `link` of `page` is shown as a link instead of its target's text: its
    /// target embeds `page` again, directly or through others, or the embeds it leads into
    /// nest deeper than [`MAX_EMBED_DEPTH`].
    pub fn embed_problem(&self, page: PageId, link: usize) -> Option<EmbedProblem> {
        let (target, _) = self.embedded(page, link)?;
        let depth = self.embed_depth.get_or_init(|| self.embed_depths());
        if usize::from(depth[target.0]) < MAX_EMBED_DEPTH {
            return None;
        }
        // Past the limit: a loop back to `page`, or only a long chain?
        let mut seen = FxHashSet::default();
        let mut next = vec![target];
        while let Some(p) = next.pop() {
            if p == page {
                return Some(EmbedProblem::Cycle);
            }
            if seen.insert(p) {
                next.extend(self.embeds_of(p));
            }
        }
        Some(EmbedProblem::TooDeep)
    }

    /// The pages page `page` embeds, in link order.
    fn embeds_of(&self, page: PageId) -> impl Iterator<Item = PageId> + '_ {
        (0..self.pages[page.0].source.links.len())
            .filter_map(move |l| self.embedded(page, l).map(|(p, _)| p))
    }

    /// Each page's longest chain of embeds, capped at one past the limit; a loop reaches
    /// the cap. Relaxed a level at a time, as chains longer than the cap are not told apart.
    fn embed_depths(&self) -> Vec<u8> {
        let cap = (MAX_EMBED_DEPTH + 1) as u8;
        let edges: Vec<(usize, usize)> = (0..self.pages.len())
            .flat_map(|p| self.embeds_of(PageId(p)).map(move |q| (p, q.0)))
            .collect();
        let mut depth = vec![0u8; self.pages.len()];
        for _ in 0..cap {
            let mut changed = false;
            for &(p, q) in &edges {
                let through = depth[q].saturating_add(1).min(cap);
                if through > depth[p] {
                    depth[p] = through;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        depth
    }

    /// The page link `link` of page `page` reaches, if it reaches one.
    pub fn link_target(&self, page: PageId, link: u32) -> Option<PageId> {
        reads::note(page);
        match self.resolutions[page.0].get(link as usize)? {
            Resolution::Page { page, .. } => Some(*page),
            _ => None,
        }
    }

    /// The technique and tactic pages step `step` of page `page` names.
    pub fn step_pages(&self, page: PageId, step: &Step) -> (Option<PageId>, Option<PageId>) {
        let technique = self
            .link_target(page, step.technique)
            .filter(|t| self.page(*t).kind.is_technique());
        let tactic = step
            .tactic
            .and_then(|l| self.link_target(page, l))
            .filter(|t| self.page(*t).kind == PageKind::Tactic);
        (technique, tactic)
    }

    /// Every procedure step that uses technique `id`, directly: (case study, step index),
    /// in page order.
    pub fn steps_using(&self, id: PageId) -> &[(PageId, u32)] {
        reads::note(id);
        let uses = self.step_uses.get_or_init(|| {
            let pairs: Vec<(usize, (PageId, u32))> = self
                .pages
                .iter()
                .enumerate()
                .flat_map(|(i, page)| {
                    page.source
                        .steps
                        .iter()
                        .enumerate()
                        .filter_map(move |(n, step)| {
                            let technique = self.step_pages(PageId(i), step).0?;
                            Some((technique.0, (PageId(i), u32::try_from(n).ok()?)))
                        })
                })
                .collect();
            grouped(self.pages.len(), &pairs, Threads::One)
        });
        &uses[id.0]
    }

    /// The tactics technique `id` is listed under; a sub-technique with none of its own
    /// has its parent's.
    pub fn tactics_of(&self, id: PageId) -> Vec<PageId> {
        // `relations` is sorted by kind, technique and other page: a technique's tactics are
        // one run of it, found without the per-page index `check` does not otherwise build.
        let own = |t: PageId| -> Vec<PageId> {
            let key = |r: &Relation| (r.kind, r.technique);
            let wanted = (RelationKind::TechniqueTactic, t);
            let from = self.relations.partition_point(|r| key(r) < wanted);
            self.relations[from..]
                .iter()
                .take_while(|r| key(r) == wanted)
                .map(|r| r.other)
                .collect()
        };
        reads::note(id);
        let tactics = own(id);
        match self.parent_of(id) {
            Some(parent) if tactics.is_empty() => own(parent),
            _ => tactics,
        }
    }
}

/// Kind, ID and name of a page, from its own front matter and body (DESIGN.md section 3).
fn derive_page(source: ParsedPage, vocabulary: &Vocabulary) -> Page {
    let title = source.front.title.clone().or_else(|| {
        source
            .headings
            .iter()
            .find(|h| h.level == 1)
            .map(|h| h.text.clone())
    });
    let from_title = title.as_deref().and_then(AtlasId::parse_prefix);
    let atlas_id = from_title.as_ref().map(|(id, _)| *id).or_else(|| {
        source
            .metadata
            .iter()
            .find(|m| vocabulary.is_id_key(&m.key))
            .and_then(|m| AtlasId::parse_prefix(&m.value).map(|(id, _)| id))
            // An alias that is exactly an ID says the page is that object (as Obsidian
            // exporters of ATLAS write it).
            .or_else(|| source.front.aliases.iter().find_map(|a| AtlasId::parse(a)))
    });
    let stem = source
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&source.path)
        .trim_end_matches(".md")
        .to_string();
    let name = match (&from_title, &title) {
        (Some((_, rest)), _) => rest
            .trim_start_matches([':', ' ', '-', '—'])
            .trim()
            .to_string(),
        (None, Some(t)) => t.trim().to_string(),
        (None, None) => source
            .front
            .sidebar_label
            .clone()
            .unwrap_or_else(|| name_from_file(&stem, atlas_id)),
    };
    let name = if name.is_empty() {
        source.front.sidebar_label.clone().unwrap_or_default()
    } else {
        name
    };
    let kind = atlas_id
        .as_ref()
        .map(AtlasId::kind)
        .or_else(|| {
            let value = source.front.page_type.as_deref()?;
            vocabulary.kind_of_type(value)
        })
        .or_else(|| {
            let tags = source.front.tags.iter();
            tags.filter_map(|t| vocabulary.kind_of_tag(t)).next()
        })
        .or_else(|| vocabulary.kind_of_path(&source.path))
        .unwrap_or(PageKind::Note);
    Page {
        source,
        kind,
        atlas_id,
        name,
        generated: false,
    }
}

/// Where a page states its ID: the `title:` line, else 1:1.
fn id_span(page: &Page) -> Span {
    page.source.title_span.unwrap_or(Span::new(1, 1))
}

/// A sub-technique whose parent has no page gets a generated parent, so routes and the matrix
/// still have a target; the user hears about it once per parent.
fn generate_missing_parents(
    pages: &mut Vec<Page>,
    by_id: &mut FxHashMap<AtlasId, PageId>,
    vocabulary: &Vocabulary,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut missing: BTreeMap<AtlasId, usize> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        if let Some(parent) = page.atlas_id.as_ref().and_then(AtlasId::parent) {
            if !by_id.contains_key(&parent) {
                missing.entry(parent).or_insert(i);
            }
        }
    }
    if missing.is_empty() {
        return;
    }
    let taken: FxHashSet<String> = pages
        .par_iter()
        .map(|p| resolve::fold(&p.source.path).into_owned())
        .collect();
    for (parent_id, first_child) in missing {
        let child = &pages[first_child];
        let named = child.source.parent_technique.as_deref().and_then(|line| {
            let (id, rest) = AtlasId::parse_prefix(link_label(line))?;
            (id == parent_id).then(|| {
                rest.trim_start_matches([' ', '—', '-', ':'])
                    .trim()
                    .to_string()
            })
        });
        let folder = child.source.path.rsplit_once('/').map(|(f, _)| f);
        let folder_path = folder.map(|f| format!("{f}.md"));
        let name = named.filter(|n| !n.is_empty()).unwrap_or_else(|| {
            folder
                .and_then(|f| f.rsplit('/').next())
                .map(title_case)
                .unwrap_or_else(|| parent_id.to_string())
        });
        let path = folder_path
            .filter(|p| !taken.contains(resolve::fold(p).as_ref()))
            .unwrap_or_else(|| format!("generated/{parent_id}.md"));
        diagnostics.push(
            Diagnostic::new(
                Code::MissingParentPage,
                &child.source.path,
                id_span(child),
                child.source.title_width,
                format!("no page has the parent technique `{parent_id}` of `{}`", child.atlas_id.as_ref().map_or("", |i| i.as_str())),
            )
            .with_help(format!(
                "a page is generated at `{path}`; write one with `title: \"{parent_id}: {name}\"` to replace it"
            )),
        );
        let text = String::new();
        let mut no_diagnostics = Vec::new();
        let source = crate::load::parse_page(&path, text, vocabulary, &mut no_diagnostics);
        by_id.insert(parent_id, PageId(pages.len()));
        pages.push(Page {
            source,
            kind: PageKind::Technique,
            atlas_id: Some(parent_id),
            name,
            generated: true,
        });
    }
}

/// A page's name from its file name, without the page's ID where the name also holds it
/// (`Code Signing - AML.M0013`, `AML.M0013 Code Signing`).
fn name_from_file(stem: &str, id: Option<AtlasId>) -> String {
    let Some(id) = id else {
        return stem.to_string();
    };
    let lower = stem.to_ascii_lowercase();
    let Some(at) = lower.find(&id.as_str().to_ascii_lowercase()) else {
        return stem.to_string();
    };
    let separators: &[char] = &[' ', '-', '–', '—', ':', '(', ')', '_'];
    let before = stem[..at].trim_end_matches(separators);
    let after = stem[at + id.as_str().len()..].trim_start_matches(separators);
    let name = match (before.is_empty(), after.is_empty()) {
        (false, true) => before,
        (true, false) => after,
        _ => stem,
    };
    name.trim_matches(separators).to_string()
}

/// The label of a value written as a wiki link (`[[path|AML.T0011: Name]]`), its target if
/// it has no label, or the value itself.
fn link_label(value: &str) -> &str {
    let Some(inner) = value
        .trim()
        .strip_prefix("[[")
        .and_then(|v| v.split_once("]]"))
        .map(|(inner, _)| inner)
    else {
        return value;
    };
    inner
        .split_once('|')
        .map_or(inner, |(_, label)| label)
        .trim()
}

fn title_case(kebab: &str) -> String {
    kebab
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether [`grouped`] may fill its lists on rayon's threads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Threads {
    All,
    /// For what is derived on first use, inside whatever rayon task reads it first: there,
    /// waiting on rayon could run another task that waits for this same value.
    One,
}

/// `items[g]` = the items of the `(g, item)` pairs, in their order. Each list is allocated at
/// its final size, and the lists are filled in parallel, each thread taking a range of groups
/// and reading all pairs: pushing ~1M items serially into 100k growing lists cost more.
fn grouped<T: Copy + Send + Sync>(
    groups: usize,
    pairs: &[(usize, T)],
    threads: Threads,
) -> Vec<Vec<T>> {
    // Every filling thread reads every pair, so more threads than this read more than they
    // save.
    const FILLING_THREADS: usize = 4;
    let mut counts = vec![0usize; groups];
    for &(g, _) in pairs {
        counts[g] += 1;
    }
    let fill = |first: usize, lists: &mut [Vec<T>]| {
        for &(g, item) in pairs {
            if let Some(list) = g.checked_sub(first).and_then(|k| lists.get_mut(k)) {
                list.push(item);
            }
        }
    };
    if threads == Threads::One {
        let mut items: Vec<Vec<T>> = counts.into_iter().map(Vec::with_capacity).collect();
        fill(0, &mut items);
        return items;
    }
    let mut items: Vec<Vec<T>> = counts.into_par_iter().map(Vec::with_capacity).collect();
    let threads = rayon::current_num_threads().clamp(1, FILLING_THREADS);
    let chunk = groups.div_ceil(threads).max(1);
    items
        .par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(c, lists)| fill(c * chunk, lists));
    items
}

/// Typed edges from the links in relation sections, merged across both sides.
fn relations(
    pages: &[Page],
    resolutions: &[Vec<Resolution>],
    vocabulary: &Vocabulary,
) -> Vec<Relation> {
    // Every typed edge with the link that declares it, found in parallel; sorted by relation
    // and then by link, so the merge below meets each relation's links in page order (a
    // sort instead of a map keyed by relation: ~1M random inserts cost more than the sort).
    // The kinds apart: every edge reads its target's, and pages are too big to stay in cache.
    let kinds: Vec<PageKind> = pages.par_iter().map(|p| p.kind).collect();
    let kinds = &kinds;
    let mut edges: Vec<Edge> = pages
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, page)| {
            page.source
                .links
                .iter()
                .enumerate()
                .filter_map(move |(j, link)| {
                    let section = link.section()?;
                    if link.syntax == LinkSyntax::FrontMatter {
                        return None;
                    }
                    let Resolution::Page { page: target, .. } = &resolutions[i][j] else {
                        return None;
                    };
                    let (kind, technique_side) =
                        vocabulary.edge(page.kind, section, kinds[target.0])?;
                    let (technique, other) = if technique_side {
                        (PageId(i), *target)
                    } else {
                        (*target, PageId(i))
                    };
                    let here = LinkRef {
                        page: PageId(i),
                        link: j,
                    };
                    Some(Edge {
                        relation: (kind, technique, other),
                        here,
                        technique_side,
                        has_note: link.note.is_some(),
                    })
                })
        })
        .collect();
    edges.par_sort_unstable_by_key(|e| (e.relation, e.here));

    let distinct = 1 + edges
        .windows(2)
        .filter(|w| w[0].relation != w[1].relation)
        .count();
    let mut merged: Vec<Relation> = Vec::with_capacity(distinct);
    for edge in edges {
        let Edge {
            relation: (kind, technique, other),
            here,
            technique_side,
            has_note,
        } = edge;
        let same = merged
            .last()
            .is_some_and(|r| (r.kind, r.technique, r.other) == (kind, technique, other));
        if !same {
            merged.push(Relation {
                kind,
                technique,
                other,
                from_technique: None,
                from_other: None,
                note: None,
            });
        }
        let Some(relation) = merged.last_mut() else {
            continue;
        };
        let slot = if technique_side {
            &mut relation.from_technique
        } else {
            &mut relation.from_other
        };
        slot.get_or_insert(here);
        // The technique side's note wins; else the first note of the other side.
        let first_other = relation.note.is_none() && relation.from_technique.is_none();
        if has_note && (technique_side || first_other) {
            relation.note = Some(here);
        }
    }
    merged
}

/// A link that declares a relation, with what the merge needs to know of it (so that it need
/// not go back to the page).
struct Edge {
    relation: (RelationKind, PageId, PageId),
    here: LinkRef,
    technique_side: bool,
    has_note: bool,
}

impl Graph {
    /// The id of the page at content path `path`.
    pub fn by_path_id(&self, path: &str) -> Option<PageId> {
        self.by_path.get(path).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{grouped, Threads};

    #[test]
    fn names_from_file_names_leave_the_id_out() {
        use super::{name_from_file, AtlasId};
        let id = AtlasId::parse("AML.M0013");
        assert_eq!(
            name_from_file("Code Signing - AML.M0013", id),
            "Code Signing"
        );
        assert_eq!(name_from_file("AML.M0013 Code Signing", id), "Code Signing");
        assert_eq!(
            name_from_file("Code Signing (AML.M0013)", id),
            "Code Signing"
        );
        assert_eq!(name_from_file("code-signing", id), "code-signing");
        assert_eq!(name_from_file("a AML.M0013 b", id), "a AML.M0013 b");
        assert_eq!(
            name_from_file("Code Signing - AML.M0013", None),
            "Code Signing - AML.M0013"
        );
    }

    #[test]
    fn grouped_keeps_the_order_of_each_group() {
        let pairs = [(2, 'a'), (0, 'b'), (2, 'c'), (4, 'd'), (0, 'e')];
        for threads in [Threads::All, Threads::One] {
            let lists = grouped(5, &pairs, threads);
            assert_eq!(
                lists,
                vec![vec!['b', 'e'], vec![], vec!['a', 'c'], vec![], vec!['d']]
            );
            assert!(grouped::<char>(0, &[], threads).is_empty());
        }
    }
}
