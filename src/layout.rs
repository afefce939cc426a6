//! Where the built site puts each file (DESIGN.md section 6): a page at its content path
//! with `.html`, the theme in `_atlas/`, and the pages the build generates (home, matrix,
//! 404, lists, tags, ATLAS route redirects). The renderer writes by it, and `check` reads it
//! to say which content files would land where the build writes its own
//! ([`Generated::owner`]): those are not published.

use crate::graph::{Graph, Page, PageKind};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The theme's own files and the search index; no content is published there.
pub const THEME_DIR: &str = "_atlas";
/// The search data (see `render::search`), in the theme's folder: the list of pages, the
/// index's shards and the buckets of page text.
pub const SEARCH_DOCS: &str = "_atlas/search/docs.js";
pub const SEARCH_SHARDS: &str = "_atlas/search/t";
pub const SEARCH_BUCKETS: &str = "_atlas/search/p";
/// The home page.
pub const HOME: &str = "index.html";
/// A root `index.md` is the home page's text, not a page of its own.
pub const HOME_TEXT: &str = "index.md";
/// The tactics x techniques matrix.
pub const MATRIX: &str = "matrix.html";
/// What hosts serve for a missing path.
pub const NOT_FOUND: &str = "404.html";
/// The folder of tag pages.
pub const TAGS: &str = "tags";
/// The folder of the lists by kind.
pub const LISTS: &str = "list";
/// The folder of the Navigator layers of case studies and mitigations.
pub const LAYERS: &str = "navigator";
/// The Navigator layer of the whole knowledge base.
pub const KNOWLEDGE_BASE_LAYER: &str = "navigator.json";

/// Where a content folder's generated page goes: `folder/index.html`.
pub fn folder_path(folder: &str) -> String {
    format!("{folder}/index.html")
}

/// The output path of a page: its content path with `.html`.
pub fn page_path(page: &Page) -> String {
    format!("{}.html", page.stem_path())
}

/// The Navigator layer of a case study or mitigation, at its content path in the layers'
/// folder: `navigator/frameworks/atlas/case-studies/x.json`.
pub fn layer_path(page: &Page) -> String {
    format!("{LAYERS}/{}.json", page.stem_path())
}

/// The redirect page an ATLAS website route becomes: `techniques/AML.T0010.html`.
pub fn route_path(page: &Page) -> Option<String> {
    let id = page.atlas_id.as_ref()?;
    Some(format!("{}/{id}.html", id.route_folder()))
}

/// The list page of a kind: `list/techniques.html`.
pub fn list_path(kind: PageKind) -> String {
    format!("{LISTS}/{}.html", kind.list_name())
}

/// The page of a tag (by its [`tag_slug`]): `tags/red-team.html`.
pub fn tag_path(slug: &str) -> String {
    format!("{TAGS}/{slug}.html")
}

/// The index of tags.
pub fn tags_index() -> String {
    format!("{TAGS}/index.html")
}

/// Tag names to file names: lower case, anything but letters and digits becomes `-`.
pub fn tag_slug(tag: &str) -> String {
    let slug: String = tag
        .trim_start_matches('#')
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "tag".into()
    } else {
        slug
    }
}

/// The files a build of `graph` writes itself, to tell content that would land on one.
pub struct Generated<'g> {
    graph: &'g Graph,
    /// Tag pages, lower case, worked out when a content file is under `tags/`.
    tags: OnceLock<HashSet<String>>,
    /// Navigator layers, lower case, worked out when a content file is under `navigator/`.
    layers: OnceLock<HashSet<String>>,
}

impl<'g> Generated<'g> {
    /// The generated files of `graph`.
    pub fn new(graph: &'g Graph) -> Generated<'g> {
        Generated {
            graph,
            tags: OnceLock::new(),
            layers: OnceLock::new(),
        }
    }

    /// What the build writes at output path `path` (compared case-insensitively, as file
    /// systems may), if anything (`the matrix`): a content file there is not published.
    pub fn owner(&self, path: &str) -> Option<String> {
        let lower = path.to_lowercase();
        if lower
            .strip_prefix(THEME_DIR)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        {
            return Some("the theme's files".into());
        }
        match lower.as_str() {
            HOME => return Some("the home page".into()),
            MATRIX => return Some("the matrix".into()),
            KNOWLEDGE_BASE_LAYER => return Some("the knowledge base's Navigator layer".into()),
            NOT_FOUND => return Some("the page for missing addresses".into()),
            _ => {}
        }
        if PageKind::ALL.iter().any(|&k| list_path(k) == lower) {
            return Some("a list of pages by kind".into());
        }
        if lower.starts_with(&format!("{TAGS}/")) {
            let tags = self.tags.get_or_init(|| {
                let mut tags: HashSet<String> = self
                    .graph
                    .pages
                    .iter()
                    .flat_map(|p| p.source.front.tags.iter())
                    .map(|t| tag_path(&tag_slug(t)))
                    .collect();
                tags.insert(tags_index());
                tags
            });
            if tags.contains(&lower) {
                return Some("a tag's page".into());
            }
        }
        if lower.starts_with(&format!("{LAYERS}/")) {
            let layers = self.layers.get_or_init(|| {
                (0..self.graph.pages.len())
                    .map(crate::graph::PageId)
                    .filter(|&id| crate::render::navigator::has_layer(self.graph, id))
                    .map(|id| layer_path(self.graph.page(id)).to_lowercase())
                    .collect()
            });
            if layers.contains(&lower) {
                return Some("a Navigator layer".into());
            }
        }
        // `techniques/AML.T0010.html`: the route's redirect, unless the page of that ID is
        // this very file (then no redirect is written).
        let (folder, file) = lower.split_once('/')?;
        let id = file.strip_suffix(".html")?;
        let page = self.graph.by_id.get(&crate::graph::AtlasId::parse(id)?)?;
        let page = self.graph.page(*page);
        let is_route = page.atlas_id.is_some_and(|id| id.route_folder() == folder);
        (is_route && page_path(page).to_lowercase() != lower).then(|| {
            format!(
                "the redirect of the ATLAS route `/{folder}/{}`",
                id.to_uppercase()
            )
        })
    }
}
