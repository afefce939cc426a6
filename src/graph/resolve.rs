//! The one place links are resolved (DESIGN.md section 4). `check` reports what this decides
//! and the renderer links where this points; neither resolves anything itself.

use super::{AtlasId, Page, PageId};
use crate::diagnostic::Code;
use crate::load::{Heading, LinkSyntax, ParsedPage, RawLink};
use crate::syntax::{url_kind, UrlKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

/// Where a link leads. There is one for every link (~1M at 100k pages), so the rare large
/// cases are boxed and the common one, a page, takes 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A page, and the heading or block in it when the link names one.
    Page {
        /// The page.
        page: PageId,
        /// The element the link lands on.
        anchor: Option<Anchor>,
        /// Other pages that tied for an ambiguous link (empty when the match was clear).
        tied: Box<[PageId]>,
    },
    /// A non-markdown file in the content root, by its relative path.
    Asset(String),
    /// Another site (`https:`, `mailto:`, ...).
    External,
    /// A scheme other than `http:`, `https:` or `mailto:` (`javascript:`, `data:`, ...):
    /// never a live link.
    Unsafe,
    /// Nothing; why, in words for the user.
    Broken(Box<Broken>),
}

// The size the comment above promises; a new variant or field that grows it fails here.
const _: () = assert!(std::mem::size_of::<Resolution>() <= 32);

impl Resolution {
    /// A link that matched no page, resolved without did-you-mean help: resolving it again
    /// with [`Resolver::suggest`] set gives its final form.
    pub(crate) fn awaits_suggestion(&self) -> bool {
        matches!(self, Resolution::Broken(b) if b.code == Code::BrokenLink && b.help.is_none())
    }
}

/// The element inside the target page a link lands on. Indexes are 32-bit, as a page is at
/// most [`MAX_PAGE_BYTES`](crate::graph::MAX_PAGE_BYTES), to keep [`Resolution`] small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// Index into the target page's headings.
    Heading(u32),
    /// Index into the target page's block ids.
    Block(u32),
}

/// Why a link has no target, already phrased for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The diagnostic code it is reported under.
    pub code: Code,
    /// What is wrong (shared with the diagnostic that reports it).
    pub message: Arc<str>,
    /// How to put it right, when the tool can tell.
    pub help: Option<Arc<str>>,
    /// The page that was found when only the anchor is missing.
    pub page: Option<PageId>,
}

impl Broken {
    /// A link that found no page, as a resolution.
    fn resolution(code: Code, message: String, help: Option<String>) -> Resolution {
        Resolution::Broken(Box::new(Broken {
            code,
            message: message.into(),
            help: help.map(Arc::from),
            page: None,
        }))
    }
}

/// The folded path (lower-case NFC, without `.md`) of each page, empty for generated pages.
/// Owned apart from the [`Index`] so that its maps borrow their keys from here instead of
/// holding several hundred thousand copies.
pub struct FoldedPaths(Vec<String>);

impl FoldedPaths {
    pub fn new(pages: &[Page]) -> FoldedPaths {
        // Generated parents answer route links only: no file bears their name.
        FoldedPaths(
            pages
                .par_iter()
                .map(|page| {
                    if page.generated {
                        String::new()
                    } else {
                        fold(strip_md(&page.source.path)).into_owned()
                    }
                })
                .collect(),
        )
    }
}

/// Lookup tables built once over all pages.
pub struct Index<'f> {
    /// Folded path -> page.
    exact: FxHashMap<&'f str, PageId>,
    /// Folded path -> its pages, for the rare paths that several pages differ from only in
    /// case or normalization (`Same.md` beside `same.md`).
    twins: FxHashMap<&'f str, Vec<PageId>>,
    /// Folded file name -> pages of that name.
    by_name: FxHashMap<&'f str, Vec<PageId>>,
    /// Lower-case NFC asset path -> the path as on disk.
    assets: FxHashMap<String, String>,
    assets_by_name: FxHashMap<String, Vec<String>>,
    /// Folded path of each page (empty for generated pages).
    folded: &'f [String],
    /// Built on the first broken link that needs a suggestion.
    suggestions: std::sync::OnceLock<NameIndex<'f>>,
    /// Folded folder -> pages directly in it.
    children: FxHashMap<&'f str, Vec<PageId>>,
    /// Folded folder path (no trailing `/`) -> number of pages anywhere below it.
    folders: FxHashMap<&'f str, usize>,
    pub by_id: FxHashMap<AtlasId, PageId>,
    /// Files that are not published (excluded, or able to run script): folded path (pages
    /// without `.md`) -> (path as on disk, why).
    withheld: FxHashMap<String, (String, String)>,
    /// Folded file name -> folded paths of withheld files of that name.
    withheld_by_name: FxHashMap<String, Vec<String>>,
}

/// Case- and normalization-insensitive form of a path. Borrowed when the path is already
/// folded, as nearly every link target is: this runs for every link.
pub fn fold(path: &str) -> Cow<'_, str> {
    // Nearly every path is ASCII (which NFC leaves alone) and lower case already: one pass
    // over the bytes tells.
    if !path
        .bytes()
        .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
    {
        return Cow::Borrowed(path);
    }
    if path.is_ascii() {
        Cow::Owned(path.to_ascii_lowercase())
    } else {
        Cow::Owned(path.nfc().collect::<String>().to_lowercase())
    }
}

fn strip_md(path: &str) -> &str {
    let n = path.len();
    if n >= 3 && path.is_char_boundary(n - 3) && path[n - 3..].eq_ignore_ascii_case(".md") {
        &path[..n - 3]
    } else {
        path
    }
}

fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a page's file name is spelt as the link `written` names it, case and all: among
/// pages that tie for a link, that one is taken.
fn spelt_as(written: &str) -> impl Fn(&str) -> bool + '_ {
    let name = last_component(strip_md(written.trim_end_matches('/')));
    move |path| last_component(strip_md(path)) == name
}

fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

impl<'f> Index<'f> {
    pub fn new(
        pages: &[Page],
        folded: &'f FoldedPaths,
        assets: &[String],
        withheld: &[(String, String)],
        by_id: FxHashMap<AtlasId, PageId>,
    ) -> Self {
        // Four maps over every page, built as two pairs on two threads.
        let ids = || {
            pages
                .iter()
                .enumerate()
                .filter(|(_, page)| !page.generated)
                .map(|(i, _)| (folded.0[i].as_str(), PageId(i)))
        };
        let ((exact, by_name, twins), (children, folders)) = rayon::join(
            || {
                let mut exact: FxHashMap<&str, PageId> =
                    FxHashMap::with_capacity_and_hasher(pages.len(), Default::default());
                let mut by_name: FxHashMap<&str, Vec<PageId>> =
                    FxHashMap::with_capacity_and_hasher(pages.len(), Default::default());
                let mut twins: FxHashMap<&str, Vec<PageId>> = FxHashMap::default();
                for (key, id) in ids() {
                    match exact.entry(key) {
                        Entry::Occupied(first) => {
                            twins
                                .entry(key)
                                .or_insert_with(|| vec![*first.get()])
                                .push(id);
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(id);
                        }
                    }
                    by_name.entry(last_component(key)).or_default().push(id);
                }
                (exact, by_name, twins)
            },
            || {
                let mut children: FxHashMap<&str, Vec<PageId>> = FxHashMap::default();
                let mut folders: FxHashMap<&str, usize> = FxHashMap::default();
                for (key, id) in ids() {
                    children.entry(folder_of(key)).or_default().push(id);
                    let mut folder = folder_of(key);
                    while !folder.is_empty() {
                        *folders.entry(folder).or_default() += 1;
                        folder = folder_of(folder);
                    }
                }
                (children, folders)
            },
        );
        let mut index = Index {
            exact,
            twins,
            by_name,
            assets: FxHashMap::default(),
            assets_by_name: FxHashMap::default(),
            folders,
            folded: &folded.0,
            suggestions: std::sync::OnceLock::new(),
            children,
            by_id,
            withheld: FxHashMap::default(),
            withheld_by_name: FxHashMap::default(),
        };
        for (path, why) in withheld {
            let key = fold(strip_md(path)).into_owned();
            index
                .withheld_by_name
                .entry(last_component(&key).to_string())
                .or_default()
                .push(key.clone());
            index.withheld.insert(key, (path.clone(), why.clone()));
        }
        for asset in assets {
            let key = fold(asset).into_owned();
            index
                .assets_by_name
                .entry(last_component(&key).to_string())
                .or_default()
                .push(asset.clone());
            index.assets.insert(key, asset.clone());
        }
        index
    }

    /// Folded folder of page `page`.
    fn folder(&self, page: PageId) -> &'f str {
        folder_of(&self.folded[page.0])
    }
}

/// Resolves links against an index and the pages it was built from. (The index has a
/// lifetime of its own: it borrows the folded paths, which outlive it.)
pub struct Resolver<'g, 'f> {
    pub index: &'g Index<'f>,
    pub pages: &'g [Page],
    /// Whether a link that matches no page gets its did-you-mean help. A first pass over
    /// every link goes without, while the name index is built beside it; the few broken
    /// links are then resolved again with it (see [`Resolution::awaits_suggestion`]).
    pub suggest: bool,
}

/// What a markdown destination is, before any lookup; borrowed from the link when it needed
/// no decoding.
enum Destination<'a> {
    External,
    Unsafe,
    Route {
        folder: &'static str,
        id: Cow<'a, str>,
    },
    Path(Cow<'a, str>),
}

impl Resolver<'_, '_> {
    pub fn resolve(&self, from: PageId, link: &RawLink) -> Resolution {
        let markdown = matches!(link.syntax, LinkSyntax::Markdown | LinkSyntax::Image);
        let source = &self.pages[from.0].source;
        let subpath = source.subpath(link);
        let target = source.target(link);
        if !markdown {
            return self.resolve_path(from, target.trim(), subpath, false);
        }
        match classify(target) {
            Destination::External => Resolution::External,
            Destination::Unsafe => Resolution::Unsafe,
            Destination::Route { folder, id } => self.resolve_route(folder, &id, subpath),
            Destination::Path(path) => {
                let subpath = subpath.map(percent_decode);
                self.resolve_path(from, &path, subpath.as_deref(), true)
            }
        }
    }

    fn resolve_route(&self, folder: &str, id: &str, subpath: Option<&str>) -> Resolution {
        let Some(atlas_id) = AtlasId::parse(id) else {
            return Broken::resolution(
                Code::MalformedLink,
                format!("`{id}` in route `/{folder}/{id}` is not an ATLAS ID"),
                Some(
                    "ATLAS IDs look like `AML.T0010`, `AML.TA0005`, `AML.M0013`, `AML.CS0031`"
                        .into(),
                ),
            );
        };
        if atlas_id.route_folder() != folder {
            return Broken::resolution(
                Code::MalformedLink,
                format!(
                    "route `/{folder}/` does not take the {} ID `{atlas_id}`",
                    atlas_id.kind()
                ),
                Some(format!("write `/{}/{atlas_id}`", atlas_id.route_folder())),
            );
        }
        let Some(&page) = self.index.by_id.get(&atlas_id) else {
            return Broken::resolution(
                Code::UnknownId,
                format!("no page has the ATLAS ID `{atlas_id}`"),
                None,
            );
        };
        self.with_anchor(page, subpath, true, Box::default())
    }

    fn resolve_path(
        &self,
        from: PageId,
        target: &str,
        subpath: Option<&str>,
        markdown: bool,
    ) -> Resolution {
        if target.is_empty() {
            // `[[#Heading]]` and `[text](#heading)`: the page itself.
            return self.with_anchor(from, subpath, markdown, Box::default());
        }
        let folded = fold(target);
        let wanted = folded.trim_start_matches('/');
        let relative = target.starts_with("./") || target.starts_with("../");
        let rooted = target.starts_with('/');
        let joined;
        let key: &str = if relative {
            match join(self.index.folder(from), wanted) {
                Some(k) => {
                    joined = k;
                    &joined
                }
                None => {
                    return Broken::resolution(
                        Code::BrokenLink,
                        format!("`{target}` leads out of the content root"),
                        Some("links may only reach pages inside the content root".into()),
                    )
                }
            }
        } else {
            wanted
        };
        let page_key = strip_md(key);
        if let Some(&page) = self.index.exact.get(page_key) {
            let (page, tied) = self.twins_of(page, target);
            return self.with_anchor(page, subpath, markdown, tied);
        }
        if let Some(asset) = self.index.assets.get(key) {
            return Resolution::Asset(asset.clone());
        }
        if !relative && !rooted {
            let source_folder = self.index.folder(from);
            let found = self.by_suffix(page_key, target, source_folder, subpath, markdown);
            if let Some(resolution) = found {
                return resolution;
            }
            let name = last_component(key);
            if let Some(assets) = self.index.assets_by_name.get(name) {
                let suffix = format!("/{key}");
                let mut found: Vec<&String> = assets
                    .iter()
                    .filter(|a| fold(a).ends_with(&suffix) || fold(a) == key)
                    .collect();
                found.sort_by_key(|a| (a.len(), a.as_str()));
                if let Some(first) = found.first() {
                    return Resolution::Asset((*first).clone());
                }
            }
        }
        if let Some((path, why)) = self.withheld(page_key, !relative && !rooted) {
            return Broken::resolution(
                Code::BrokenLink,
                format!("no page matches `{target}`"),
                Some(format!("`{path}` is {why}")),
            );
        }
        let help = if self.suggest {
            self.broken_help(page_key, target)
        } else {
            None
        };
        Broken::resolution(
            Code::BrokenLink,
            format!("no page matches `{target}`"),
            help,
        )
    }

    /// The withheld file a link that found nothing would have reached, and why it is
    /// withheld: the one at `key` (folded, without `.md`), or with `by_suffix`, the shortest
    /// whose path ends with it.
    fn withheld(&self, key: &str, by_suffix: bool) -> Option<&(String, String)> {
        if self.index.withheld.is_empty() {
            return None;
        }
        if let Some(found) = self.index.withheld.get(key) {
            return Some(found);
        }
        if !by_suffix {
            return None;
        }
        let suffix = format!("/{key}");
        self.index
            .withheld_by_name
            .get(last_component(key))?
            .iter()
            .filter(|k| k.ends_with(&suffix))
            .min_by_key(|k| (k.len(), k.as_str()))
            .and_then(|k| self.index.withheld.get(k.as_str()))
    }

    /// Obsidian's rule for a bare or partial path: pages whose path ends with it.
    fn by_suffix(
        &self,
        key: &str,
        written: &str,
        source_folder: &str,
        subpath: Option<&str>,
        markdown: bool,
    ) -> Option<Resolution> {
        let candidates = self.index.by_name.get(last_component(key))?;
        let suffix = format!("/{key}");
        let mut matching: Vec<PageId> = candidates
            .iter()
            .copied()
            .filter(|p| {
                let path = &self.index.folded[p.0];
                path == key || path.ends_with(&suffix)
            })
            .collect();
        match matching.len() {
            0 => return None,
            1 => return Some(self.with_anchor(matching[0], subpath, markdown, Box::default())),
            _ => {}
        }
        if let Some(&own) = matching
            .iter()
            .find(|p| self.index.folder(**p) == source_folder)
        {
            let (own, tied) = self.twins_of(own, written);
            return Some(self.with_anchor(own, subpath, markdown, tied));
        }
        let path_len = |p: &PageId| self.pages[p.0].source.path.chars().count();
        let shortest = matching.iter().map(path_len).min().unwrap_or(0);
        matching.retain(|p| path_len(p) == shortest);
        let spelt = spelt_as(written);
        let path = |p: &PageId| self.pages[p.0].source.path.as_str();
        matching.sort_by_key(|p| (!spelt(path(p)), path(p)));
        let chosen = matching[0];
        let tied = if matching.len() > 1 {
            matching.into_boxed_slice()
        } else {
            Box::default()
        };
        Some(self.with_anchor(chosen, subpath, markdown, tied))
    }

    /// The page a link to `page` takes when other pages differ from it only in case, and
    /// all of them, the chosen first; empty when it has no twin. The twin spelt as the link
    /// is chosen, else the first by path.
    fn twins_of(&self, page: PageId, written: &str) -> (PageId, Box<[PageId]>) {
        if self.index.twins.is_empty() {
            return (page, Box::default());
        }
        let Some(twins) = self.index.twins.get(self.index.folded[page.0].as_str()) else {
            return (page, Box::default());
        };
        let spelt = spelt_as(written);
        let path = |p: &PageId| self.pages[p.0].source.path.as_str();
        let mut tied = twins.clone();
        tied.sort_by_key(|p| (!spelt(path(p)), path(p)));
        (tied[0], tied.into_boxed_slice())
    }

    fn with_anchor(
        &self,
        page: PageId,
        subpath: Option<&str>,
        markdown: bool,
        tied: Box<[PageId]>,
    ) -> Resolution {
        let Some(subpath) = subpath.filter(|s| !s.is_empty()) else {
            return Resolution::Page {
                page,
                anchor: None,
                tied,
            };
        };
        let target = &self.pages[page.0].source;
        match find_anchor(target, subpath, markdown) {
            Some(anchor) => Resolution::Page {
                page,
                anchor: Some(anchor),
                tied,
            },
            None => {
                let (what, help) = if let Some(block) = subpath.strip_prefix('^') {
                    (format!("no block `^{block}`"), None)
                } else {
                    let last = subpath.rsplit('#').next().unwrap_or(subpath);
                    let close = closest(last, target.headings.iter().map(|h| h.text.as_str()));
                    (
                        format!("no heading `{subpath}`"),
                        close.map(|h| format!("did you mean `#{h}`?")),
                    )
                };
                Resolution::Broken(Box::new(Broken {
                    code: Code::BrokenAnchor,
                    message: format!("`{}` has {what}", strip_md(&target.path)).into(),
                    help: help.map(Arc::from),
                    page: Some(page),
                }))
            }
        }
    }

    /// `key` is the folded path looked up; `written` the link as the user wrote it, whose last
    /// component is quoted back as written (not lower-cased).
    fn broken_help(&self, key: &str, written: &str) -> Option<String> {
        let key = key.trim_end_matches('/');
        let name = last_component(key);
        let written_name = last_component(strip_md(written.trim().trim_end_matches('/')));
        let folder = folder_of(key);
        if let Some(count) = self.index.folders.get(key) {
            return Some(format!(
                "`{key}/` is a folder of {count} pages; a link must name one of them"
            ));
        }
        let suggest = |close: &str| -> String {
            let mut paths: Vec<&str> = self.index.by_name[close]
                .iter()
                .map(|p| strip_md(&self.pages[p.0].source.path))
                .collect();
            paths.sort();
            format!("did you mean `{}`?", paths[0])
        };
        if let Some(count) = self.index.folders.get(folder) {
            let mut help = format!(
                "`{folder}/` is a folder of {count} pages; no page is named `{written_name}`"
            );
            // Only the folder's own pages: the link named this folder.
            let here = self
                .index
                .children
                .get(folder)
                .map_or(&[][..], Vec::as_slice);
            let close = if here.len() <= EXHAUSTIVE_SUGGESTIONS {
                closest(
                    name,
                    here.iter().map(|p| last_component(&self.index.folded[p.0])),
                )
            } else {
                self.index.names().closest(name, |n| {
                    self.index.by_name[n]
                        .iter()
                        .any(|p| self.index.folder(*p) == folder)
                })
            };
            if let Some(close) = close {
                help = format!("{help}; {}", suggest(close));
            }
            return Some(help);
        }
        let close = if self.index.by_name.len() <= EXHAUSTIVE_SUGGESTIONS {
            closest(name, self.index.by_name.keys().copied())
        } else {
            self.index.names().closest(name, |_| true)
        };
        if let Some(close) = close {
            return Some(suggest(close));
        }
        (!folder.is_empty()).then(|| format!("there is no folder `{folder}/`"))
    }
}

/// Up to this many candidate names, suggestions come from comparing every one (edits up to a
/// third of the name); past it, from the [`NameIndex`] (one edit), which stays fast on 100k.
const EXHAUSTIVE_SUGGESTIONS: usize = 2000;

impl<'f> Index<'f> {
    /// Builds the did-you-mean name index now if suggestions will use it, so that it can be
    /// built on one thread while others resolve links. It is built even if no link turns
    /// out broken: a guess, since nearly every real vault has some.
    pub fn prepare_suggestions(&self) {
        if self.by_name.len() > EXHAUSTIVE_SUGGESTIONS {
            self.names();
        }
    }

    fn names(&self) -> &NameIndex<'f> {
        self.suggestions
            .get_or_init(|| NameIndex::new(self.by_name.keys().copied()))
    }
}

/// Every page name and each of its one-character deletions, hashed and grouped: two names
/// within one edit (insert, delete, substitute, swap) share an entry, so a lookup is a few
/// probes instead of a comparison with every name. `buckets` maps the top bits of a hash to
/// its slice of `variants`, sized so that a slice holds a handful of entries and a probe
/// touches a cache line or two of a 4M-entry table.
struct NameIndex<'f> {
    names: Vec<&'f str>,
    /// Low 32 bits of a variant's hash (the top bits chose its bucket), and its name's index:
    /// 8 bytes instead of 16, half the memory to fill and to probe. A collision only adds a
    /// name to the edit-distance check.
    variants: Vec<(u32, u32)>,
    buckets: Vec<u32>,
    bucket_bits: u32,
}

/// Buckets are sized for at most this many variants each, on average.
const VARIANTS_PER_BUCKET: usize = 8;

impl<'f> NameIndex<'f> {
    /// Built once while other threads resolve links, so it is linear and cheap: a counting
    /// sort by bucket, and no sort within a bucket (a probe scans its few entries).
    fn new(names: impl Iterator<Item = &'f str>) -> NameIndex<'f> {
        let names: Vec<&str> = names.collect();
        // A name of n bytes has at most n + 1 variants.
        let bound: usize = names.iter().map(|n| n.len() + 1).sum();
        let bucket_bits = (bound / VARIANTS_PER_BUCKET)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(1, 24);
        let bucket_of = |h: u64| (h >> (64 - bucket_bits)) as usize;
        let mut hasher = VariantHasher::default();
        let mut buckets = vec![0u32; (1 << bucket_bits) + 1];
        for name in &names {
            hasher.for_each_variant(name, |h| buckets[bucket_of(h) + 1] += 1);
        }
        for b in 1..buckets.len() {
            buckets[b] += buckets[b - 1];
        }
        let mut next = buckets.clone();
        let mut variants = vec![(0u32, 0u32); buckets[buckets.len() - 1] as usize];
        for (i, name) in names.iter().enumerate() {
            hasher.for_each_variant(name, |h| {
                let slot = &mut next[bucket_of(h)];
                variants[*slot as usize] = (h as u32, i as u32);
                *slot += 1;
            });
        }
        NameIndex {
            names,
            variants,
            buckets,
            bucket_bits,
        }
    }

    /// Indexes of the names with a variant whose hash is `h`.
    fn lookup(&self, h: u64) -> impl Iterator<Item = u32> + '_ {
        let bucket = (h >> (64 - self.bucket_bits)) as usize;
        let check = h as u32;
        self.variants[self.buckets[bucket] as usize..self.buckets[bucket + 1] as usize]
            .iter()
            .filter(move |(v, _)| *v == check)
            .map(|&(_, i)| i)
    }

    /// The closest name within one edit that `accept` allows (fewest edits, then first by name).
    fn closest(&self, word: &str, accept: impl Fn(&str) -> bool) -> Option<&'f str> {
        let word = word.to_lowercase();
        let mut best: Option<(usize, &str)> = None;
        // Names sharing several variants with the word are compared once.
        let mut seen: Vec<u32> = Vec::new();
        VariantHasher::default().for_each_variant(&word, |h| {
            for i in self.lookup(h) {
                if seen.contains(&i) {
                    continue;
                }
                seen.push(i);
                let name = self.names[i as usize];
                let d = edit_distance(&word, name, 2);
                if d <= 2 && best.is_none_or(|b| (d, name) < b) && accept(name) {
                    best = Some((d, name));
                }
            }
        });
        best.map(|(_, n)| n)
    }
}

/// Hashes a word and each string made by deleting one of its characters, in O(1) per variant:
/// a polynomial hash is split-invariant (`H(a ++ b) = H(a)·B^|b| + H(b)`), so a deletion's hash
/// comes from prefix hashes instead of rehashing the rest of the word. Equal strings always
/// hash equal; collisions only cost an extra edit-distance check.
#[derive(Default)]
struct VariantHasher {
    /// `prefix[i]` = hash of the first `i` bytes.
    prefix: Vec<u64>,
    /// `power[m]` = B^m.
    power: Vec<u64>,
}

const HASH_BASE: u64 = 0x0000_0100_0000_01b3;

impl VariantHasher {
    fn for_each_variant(&mut self, word: &str, mut f: impl FnMut(u64)) {
        let bytes = word.as_bytes();
        let n = bytes.len();
        self.prefix.clear();
        self.prefix.push(0);
        for &b in bytes {
            let last = self.prefix[self.prefix.len() - 1];
            self.prefix
                .push(last.wrapping_mul(HASH_BASE).wrapping_add(u64::from(b) + 1));
        }
        if self.power.is_empty() {
            self.power.push(1);
        }
        while self.power.len() <= n {
            let last = self.power[self.power.len() - 1];
            self.power.push(last.wrapping_mul(HASH_BASE));
        }
        let whole = self.prefix[n];
        f(mix(whole));
        for (i, c) in word.char_indices() {
            let j = i + c.len_utf8();
            // H(word[..i] ++ word[j..]) = H(word) + (P[i] - P[j]) * B^(n-j)
            let removed = self.prefix[i].wrapping_sub(self.prefix[j]);
            f(mix(
                whole.wrapping_add(removed.wrapping_mul(self.power[n - j]))
            ));
        }
    }
}

/// A 64-bit finaliser, so the top bits, which pick the bucket, are well spread.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// The markdown destination's kind, decided before any lookup (without allocating: it runs
/// for every markdown link).
fn classify(dest: &str) -> Destination<'_> {
    let trimmed = dest.trim();
    match url_kind(trimmed) {
        UrlKind::Other => return Destination::Unsafe,
        UrlKind::Web => return Destination::External,
        UrlKind::Relative if trimmed.starts_with("//") => return Destination::External,
        UrlKind::Relative => {}
    }
    match route(trimmed) {
        Some((folder, id)) => Destination::Route { folder, id },
        None => Destination::Path(percent_decode(trimmed)),
    }
}

/// The route folder and ID of an ATLAS route link's path (`/techniques/AML.T0010`), as
/// atlas.mitre.org writes them; `None` for any other path.
pub fn route(path: &str) -> Option<(&'static str, Cow<'_, str>)> {
    let rest = path.strip_prefix('/')?;
    crate::vocabulary::route_folders().find_map(|folder| {
        let id = rest.strip_prefix(folder)?.strip_prefix('/')?;
        let id = id.trim_end_matches('/');
        (!id.contains('/') && !id.is_empty()).then(|| (folder, percent_decode(id)))
    })
}

/// `%20` -> ` `; invalid escapes are kept as written. Borrowed when there is no `%`.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| s.to_string()))
}

/// Joins a relative link path to the source folder; `None` if it climbs out of the root.
fn join(folder: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Obsidian's `stripHeading`: punctuation to spaces, runs of white space collapsed, trimmed;
/// compared case-insensitively.
pub fn strip_heading(s: &str) -> String {
    stripped(s).collect()
}

/// The characters of [`strip_heading`]'s result, produced lazily so that headings can be
/// compared without building a string for each. A hand-written iterator rather than an
/// adapter chain: every anchored link compares against several headings of its target.
fn stripped(s: &str) -> Stripped<'_> {
    Stripped {
        chars: s.chars(),
        lower: None,
        at_start: true,
        pending_space: false,
        held: None,
    }
}

struct Stripped<'a> {
    chars: std::str::Chars<'a>,
    /// The rest of a non-ASCII character's lower case (which may be several characters).
    lower: Option<std::char::ToLowercase>,
    /// No character emitted yet: leading white space is dropped.
    at_start: bool,
    /// White space seen since the last emitted character: one space goes before the next.
    pending_space: bool,
    /// The character to emit after the pending space.
    held: Option<char>,
}

impl Stripped<'_> {
    /// The next character with punctuation made a space and lower-cased.
    fn next_lowered(&mut self) -> Option<char> {
        if let Some(c) = self.lower.as_mut().and_then(Iterator::next) {
            return Some(c);
        }
        self.lower = None;
        let c = self.chars.next()?;
        if is_heading_punctuation(c) {
            return Some(' ');
        }
        if c.is_ascii() {
            return Some(c.to_ascii_lowercase());
        }
        let mut lower = c.to_lowercase();
        let first = lower.next();
        self.lower = Some(lower);
        // A character's lower case is never empty; should it be, emit the character itself.
        Some(first.unwrap_or(c))
    }
}

impl Iterator for Stripped<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.held.take() {
            return Some(c);
        }
        loop {
            let c = self.next_lowered()?;
            if c.is_whitespace() {
                self.pending_space = !self.at_start;
                continue;
            }
            self.at_start = false;
            if std::mem::take(&mut self.pending_space) {
                self.held = Some(c);
                return Some(' ');
            }
            return Some(c);
        }
    }
}

/// Characters Obsidian's `stripHeading` turns into spaces.
fn is_heading_punctuation(c: char) -> bool {
    matches!(
        c,
        '!' | '"'
            | '#'
            | '$'
            | '%'
            | '&'
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | '.'
            | ':'
            | ';'
            | '<'
            | '='
            | '>'
            | '?'
            | '@'
            | '^'
            | '`'
            | '{'
            | '|'
            | '}'
            | '~'
            | '/'
            | '['
            | ']'
            | '\\'
    )
}

/// `A#B#C` must find `A`, then `B` inside `A`'s section, then `C` inside `B`'s.
fn find_anchor(page: &ParsedPage, subpath: &str, markdown: bool) -> Option<Anchor> {
    if let Some(block) = subpath.strip_prefix('^') {
        let block = block.to_lowercase();
        return page
            .block_ids
            .iter()
            .position(|b| b.id.to_lowercase() == block)
            .and_then(|i| u32::try_from(i).ok())
            .map(Anchor::Block);
    }
    if markdown {
        let wanted = subpath.to_lowercase();
        if let Some(i) = page.headings.iter().position(|h| h.slug == wanted) {
            return u32::try_from(i).ok().map(Anchor::Heading);
        }
    }
    let headings: &[Heading] = &page.headings;
    let mut range = 0..headings.len();
    let mut found = None;
    for part in subpath.split('#').filter(|p| !p.trim().is_empty()) {
        let wanted = strip_heading(part);
        let i = range
            .clone()
            .find(|&i| stripped(&headings[i].text).eq(wanted.chars()))?;
        let level = headings[i].level;
        let end = headings[i + 1..]
            .iter()
            .position(|h| h.level <= level)
            .map_or(headings.len(), |p| p + i + 1);
        range = i + 1..end;
        found = Some(i);
    }
    found
        .and_then(|i| u32::try_from(i).ok())
        .map(Anchor::Heading)
}

/// The closest of `options` to `word` by edit distance, if close enough to suggest.
pub fn closest<'a>(word: &str, options: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = suggestion_limit(&word);
    let mut best: Option<(usize, &str)> = None;
    for option in options {
        if option.len().abs_diff(word.len()) > limit {
            continue;
        }
        let d = edit_distance(&word, &option.to_lowercase(), limit);
        if d <= limit && best.is_none_or(|(bd, bo)| (d, option) < (bd, bo)) {
            best = Some((d, option));
        }
    }
    best.map(|(_, o)| o)
}

/// How many edits a suggestion may be from what was written: a third of its length, 1 to 4.
fn suggestion_limit(word: &str) -> usize {
    (word.chars().count() / 3).clamp(1, 4)
}

/// Levenshtein distance in characters, or `bound + 1` as soon as it is known to exceed
/// `bound`. Runs for every candidate of every broken link, so ASCII words (nearly all) are
/// compared as bytes, without copying them.
fn edit_distance(a: &str, b: &str, bound: usize) -> usize {
    if a.is_ascii() && b.is_ascii() {
        return levenshtein(a.as_bytes(), b.as_bytes(), bound);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    levenshtein(&a, &b, bound)
}

fn levenshtein<T: PartialEq>(a: &[T], b: &[T], bound: usize) -> usize {
    if a.len().abs_diff(b.len()) > bound {
        return bound + 1;
    }
    // One row of the table; on the stack for all but very long names.
    let mut on_stack = [0usize; 128];
    let mut on_heap = Vec::new();
    let row: &mut [usize] = if b.len() < on_stack.len() {
        &mut on_stack[..=b.len()]
    } else {
        on_heap.resize(b.len() + 1, 0);
        &mut on_heap
    };
    for (j, cell) in row.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        let mut best = row[0];
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            best = best.min(row[j + 1]);
            prev = cur;
        }
        if best > bound {
            return bound + 1;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_hashes_equal_hashes_of_the_shortened_words() {
        let mut hasher = VariantHasher::default();
        for word in ["code-signing", "é-ü-x", "a", ""] {
            let mut variants = Vec::new();
            hasher.for_each_variant(word, |h| variants.push(h));
            let mut expected = Vec::new();
            let whole = |w: &str| {
                let mut h = Vec::new();
                VariantHasher::default().for_each_variant(w, |x| h.push(x));
                h[0]
            };
            expected.push(whole(word));
            for (i, c) in word.char_indices() {
                let shorter = format!("{}{}", &word[..i], &word[i + c.len_utf8()..]);
                expected.push(whole(&shorter));
            }
            assert_eq!(variants, expected, "{word}");
        }
    }

    #[test]
    fn edit_distance_counts_characters_and_stops_past_the_bound() {
        assert_eq!(edit_distance("code-signing", "code-signing", 2), 0);
        assert_eq!(edit_distance("code-signing", "code-sigining", 2), 1);
        assert_eq!(edit_distance("kitten", "sitting", 3), 3);
        assert_eq!(edit_distance("kitten", "sitting", 2), 3);
        assert_eq!(edit_distance("", "abc", 5), 3);
        // Characters, not bytes: é is one edit from e.
        assert_eq!(edit_distance("café", "cafe", 2), 1);
        assert_eq!(edit_distance("über-x", "uber-y", 2), 2);
        // Longer than the row kept on the stack.
        let long = "a".repeat(300);
        assert_eq!(edit_distance(&long, &format!("{long}b"), 2), 1);
    }

    #[test]
    fn name_index_finds_names_one_edit_away() {
        let index = NameIndex::new(["code-signing", "model-hardening", "code-signin"].into_iter());
        assert_eq!(index.closest("code-signng", |_| true), Some("code-signing"));
        assert_eq!(index.closest("code-signi", |_| true), Some("code-signin"));
        assert_eq!(
            index.closest("model-hardenign", |_| true),
            Some("model-hardening")
        );
        assert_eq!(index.closest("unrelated", |_| true), None);
    }

    #[test]
    fn strip_heading_matches_obsidian() {
        assert_eq!(strip_heading("Mitigations (6)"), "mitigations 6");
        assert_eq!(strip_heading("  A:  b/c  "), "a b c");
        assert_eq!(strip_heading("Ünïcode  Ü/x!"), "ünïcode ü x");
        assert_eq!(strip_heading("  "), "");
        // A character whose lower case is two characters, and punctuation at both ends.
        assert_eq!(strip_heading("(İ-x\u{a0} [A])"), "i\u{307}-x a");
    }

    #[test]
    fn classify_destinations() {
        assert!(matches!(classify("https://x.org"), Destination::External));
        assert!(matches!(classify("mailto:a@b"), Destination::External));
        assert!(matches!(
            classify("file:///etc/passwd"),
            Destination::Unsafe
        ));
        assert!(matches!(classify("//cdn.x/y"), Destination::External));
        assert!(matches!(
            classify(" JavaScript:alert(1)"),
            Destination::Unsafe
        ));
        assert!(matches!(
            classify("/techniques/AML.T0010"),
            Destination::Route { .. }
        ));
        assert!(matches!(classify("notes/a%20b.md"), Destination::Path(p) if p == "notes/a b.md"));
    }

    #[test]
    fn join_refuses_to_leave_the_root() {
        assert_eq!(join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join("a", "../../c"), None);
    }
}
