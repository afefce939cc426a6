//! Stage three (b): render the graph as a static site. Read-only over the graph; pages are
//! rendered in parallel, then the whole site is written into place at once.

pub mod markdown;
pub mod output;
pub mod search;
pub mod theme;
pub mod url;
pub mod views;

use crate::error::Result;
use crate::graph::{Graph, PageId, PageKind, RelationKind, Resolution};
use crate::timings::Timings;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
pub use theme::Theme;
use views::{kind_label, list_path, order, tag_slug, Group, LinkView, OrderKey, PageView, TagView};

pub struct BuildOptions<'a> {
    pub out: &'a Path,
    /// The folder whose `templates/` and `static/` override the built-in theme.
    pub site: Option<&'a Path>,
}

pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    /// Generated pages skipped because a content page has the same output path.
    pub shadowed: Vec<String>,
}

/// Renders `graph` and replaces `opts.out` with the result.
pub fn build(graph: &Graph, opts: &BuildOptions, timings: &mut Timings) -> Result<BuildReport> {
    let target = output::check_target(opts.out, &graph.root)?;
    let theme = Theme::load(opts.site)?;
    let site = render_site(graph, &theme)?;
    timings.mark("render");
    output::write_site(&target, &site.files, timings)?;
    Ok(BuildReport {
        pages: site.pages,
        files: site.files.len() + 1,
        shadowed: site.shadowed,
    })
}

pub struct Site {
    /// Relative output path -> bytes, sorted by path.
    pub files: Vec<(String, Vec<u8>)>,
    pub pages: usize,
    pub shadowed: Vec<String>,
}

/// The home page's own text, if the vault has one at its root.
const HOME_PAGE: &str = "index.md";

/// Every file of the site, in memory.
pub fn render_site(graph: &Graph, theme: &Theme) -> Result<Site> {
    // A root `index.md` is the home page's text, not a page of its own.
    let home_page = graph.by_path_id(HOME_PAGE);
    let rendered: Vec<Result<(String, Vec<u8>, search::Entry)>> = (0..graph.pages.len())
        .into_par_iter()
        .filter(|&i| home_page != Some(PageId(i)))
        .map(|i| render_page(graph, theme, PageId(i)))
        .collect();
    let mut files = Vec::with_capacity(rendered.len() + 64);
    let mut entries = Vec::with_capacity(rendered.len());
    for r in rendered {
        let (path, bytes, entry) = r?;
        files.push((path, bytes));
        entries.push(entry);
    }
    let pages = files.len();
    let taken: HashSet<String> = files.iter().map(|(p, _)| p.to_lowercase()).collect();
    let mut generated = generated_pages(graph, theme)?;
    let mut shadowed = Vec::new();
    generated.retain(|(path, _)| {
        let free = !taken.contains(&path.to_lowercase());
        if !free {
            shadowed.push(path.clone());
        }
        free
    });
    files.append(&mut generated);
    for (name, bytes) in &theme.static_files {
        files.push((format!("{}/{name}", url::THEME_DIR), bytes.clone()));
    }
    entries.sort_by(|a, b| a.u.cmp(&b.u));
    files.push((
        format!("{}/search-index.js", url::THEME_DIR),
        search::index_js(&entries),
    ));
    for asset in &graph.assets {
        let source = graph.root.join(asset);
        let bytes =
            std::fs::read(&source).map_err(|e| crate::Error::io("cannot read", &source, e))?;
        files.push((asset.clone(), bytes));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    Ok(Site {
        files,
        pages,
        shadowed,
    })
}

/// Context every template gets.
fn base_context(out_path: &str) -> tera::Context {
    let mut ctx = tera::Context::new();
    let root = url::root_prefix(out_path);
    ctx.insert("root", &root);
    ctx.insert("theme", &format!("{root}{}", url::THEME_DIR));
    ctx.insert("path", out_path);
    ctx
}

fn render_page(
    graph: &Graph,
    theme: &Theme,
    id: PageId,
) -> Result<(String, Vec<u8>, search::Entry<'static>)> {
    let page = graph.page(id);
    let out_path = url::page_path(page);
    let body = markdown::render_body(graph, id, &out_path);

    // What the body links already shows; the panels list only what it does not.
    let mut shown: HashSet<PageId> = graph.resolutions[id.0]
        .iter()
        .filter_map(|r| match r {
            Resolution::Page { page, .. } => Some(*page),
            _ => None,
        })
        .collect();
    shown.insert(id);
    let relations = relation_groups(graph, id, &out_path, &mut shown);
    let backlinks = backlink_groups(graph, id, &out_path, &shown);
    let parent = graph.parent[id.0].map(|p| LinkView::new(graph, &out_path, p, None));
    let tags: Vec<LinkView> = page
        .source
        .front
        .tags
        .iter()
        .map(|t| LinkView {
            href: format!(
                "{}tags/{}.html",
                url::root_prefix(&out_path),
                url::encode_path(&tag_slug(t))
            ),
            id: None,
            name: t.clone(),
            title: t.clone(),
            note: None,
            kind: PageKind::Note,
            children: Vec::new(),
        })
        .collect();
    let view = PageView {
        title: page.title(),
        name: &page.name,
        id: page.atlas_id.as_ref().map(|i| i.as_str()),
        kind: page.kind,
        kind_label: kind_label(page.kind),
        path: &page.source.path,
        body: body.html,
        tags,
        generated: page.generated,
        has_h1: page.source.headings.iter().any(|h| h.level == 1),
        parent,
    };
    let mut ctx = base_context(&out_path);
    ctx.insert("page", &view);
    ctx.insert("relations", &relations);
    ctx.insert("backlinks", &backlinks);
    let html = theme.render("page.html", &ctx)?;
    let entry = search::Entry {
        u: url::encode_path(&out_path),
        t: page.title(),
        k: kind_label(page.kind),
        b: search::body_excerpt(&body.text),
    };
    Ok((out_path, html.into_bytes(), entry))
}

/// The page's relations that its body does not link, grouped by section.
fn relation_groups(
    graph: &Graph,
    id: PageId,
    from: &str,
    shown: &mut HashSet<PageId>,
) -> Vec<Group> {
    // (display order, section title) -> (page, use text)
    type Sections<'g> = BTreeMap<(u8, &'static str), Vec<(PageId, Option<&'g str>)>>;
    let mut groups: Sections = BTreeMap::new();
    for r in graph.relations_of(id) {
        let (other, section) = if r.technique == id {
            let section = match r.kind {
                RelationKind::TechniqueTactic => (1, "Tactics"),
                RelationKind::TechniqueMitigation => (3, "Mitigations"),
                RelationKind::TechniqueCaseStudy => (4, "Case Studies"),
            };
            (r.other, section)
        } else if r.other == id {
            let section = match r.kind {
                RelationKind::TechniqueCaseStudy => (5, "Techniques Used"),
                _ => (5, "Techniques"),
            };
            (r.technique, section)
        } else {
            continue;
        };
        if !shown.contains(&other) {
            groups
                .entry(section)
                .or_default()
                .push((other, r.note.as_deref()));
        }
    }
    for &child in &graph.children[id.0] {
        if !shown.contains(&child) {
            groups
                .entry((2, "Sub-techniques"))
                .or_default()
                .push((child, None));
        }
    }
    groups
        .into_iter()
        .map(|((_, title), mut items)| {
            items.sort_by_key(|(p, _)| order(graph.page(*p)));
            items.dedup_by_key(|(p, _)| *p);
            for (p, _) in &items {
                shown.insert(*p);
            }
            Group {
                title: title.to_string(),
                items: items
                    .into_iter()
                    .map(|(p, note)| LinkView::new(graph, from, p, note))
                    .collect(),
            }
        })
        .collect()
}

/// Pages that link here and are not shown already, grouped by kind.
fn backlink_groups(graph: &Graph, id: PageId, from: &str, shown: &HashSet<PageId>) -> Vec<Group> {
    let sources: BTreeSet<PageId> = graph.backlinks[id.0]
        .iter()
        .map(|l| l.page)
        .filter(|p| !shown.contains(p))
        .collect();
    PageKind::ALL
        .iter()
        .filter_map(|&kind| {
            let mut items: Vec<PageId> = sources
                .iter()
                .copied()
                .filter(|p| graph.page(*p).kind == kind)
                .collect();
            if items.is_empty() {
                return None;
            }
            items.sort_by_key(|p| order(graph.page(*p)));
            Some(Group {
                title: kind.plural().to_string(),
                items: items
                    .into_iter()
                    .map(|p| LinkView::new(graph, from, p, None))
                    .collect(),
            })
        })
        .collect()
}

/// Home, matrix, lists, tags, 404 and the ATLAS route redirects.
fn generated_pages(graph: &Graph, theme: &Theme) -> Result<Vec<(String, Vec<u8>)>> {
    enum Job {
        Home,
        Matrix,
        List(PageKind),
        NotFound,
        Route(String, PageId),
    }
    let mut jobs = vec![Job::Home, Job::Matrix, Job::NotFound];
    jobs.extend(PageKind::ALL.map(Job::List));
    let mut routes: Vec<(String, PageId)> = graph
        .by_id
        .values()
        .filter_map(|&p| url::route_path(graph.page(p)).map(|r| (r, p)))
        .collect();
    routes.sort();
    jobs.extend(routes.into_iter().map(|(path, p)| Job::Route(path, p)));
    let mut files: Vec<(String, Vec<u8>)> = jobs
        .into_par_iter()
        .map(|job| -> Result<(String, Vec<u8>)> {
            Ok(match job {
                Job::Home => ("index.html".to_string(), home(graph, theme)?),
                Job::Matrix => ("matrix.html".to_string(), matrix(graph, theme)?),
                Job::List(kind) => {
                    let path = list_path(kind);
                    let html = list(graph, theme, kind, &path)?;
                    (path, html)
                }
                Job::NotFound => {
                    // Hosts serve 404.html for a missing path at any depth: links start at `/`.
                    let mut ctx = base_context("404.html");
                    ctx.insert("root", "/");
                    ctx.insert("theme", &format!("/{}", url::THEME_DIR));
                    let html = theme.render("404.html", &ctx)?.into_bytes();
                    ("404.html".to_string(), html)
                }
                Job::Route(path, p) => {
                    let mut ctx = base_context(&path);
                    ctx.insert("target", &LinkView::new(graph, &path, p, None));
                    let html = theme.render("redirect.html", &ctx)?.into_bytes();
                    (path, html)
                }
            })
        })
        .collect::<Result<_>>()?;
    files.extend(tags(graph, theme)?);
    Ok(files)
}

fn home(graph: &Graph, theme: &Theme) -> Result<Vec<u8>> {
    let mut ctx = base_context("index.html");
    // Each kind the knowledge base has, with its count and its list page.
    let counts: Vec<LinkView> = PageKind::ALL
        .iter()
        .filter_map(|&k| {
            let n = graph
                .pages
                .iter()
                .filter(|p| p.kind == k && !p.generated)
                .count();
            (n > 0).then(|| LinkView {
                href: list_path(k),
                id: None,
                name: k.plural().to_string(),
                title: k.plural().to_string(),
                note: Some(n.to_string()),
                kind: k,
                children: Vec::new(),
            })
        })
        .collect();
    let intro = graph
        .by_path_id(HOME_PAGE)
        .map(|id| markdown::render_body(graph, id, "index.html").html);
    ctx.insert("counts", &counts);
    ctx.insert("intro", &intro);
    ctx.insert("title", &intro_title(graph));
    Ok(theme.render("home.html", &ctx)?.into_bytes())
}

fn intro_title(graph: &Graph) -> String {
    graph
        .page_by_path(HOME_PAGE)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "Knowledge base".to_string())
}

/// Tactics as columns in matrix order (their `sidebar_position`), techniques under each,
/// sub-techniques nested under their parent.
fn matrix(graph: &Graph, theme: &Theme) -> Result<Vec<u8>> {
    let from = "matrix.html";
    let mut tactics: Vec<PageId> = (0..graph.pages.len())
        .map(PageId)
        .filter(|p| graph.page(*p).kind == PageKind::Tactic)
        .collect();
    let position = |p: &PageId| {
        let page = graph.page(*p);
        (
            page.source.front.sidebar_position.unwrap_or(f64::MAX),
            order(page),
        )
    };
    tactics.sort_by(|a, b| {
        position(a)
            .partial_cmp(&position(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // Columns are independent; each is rendered on its own and the page joins them in order.
    let columns: Vec<String> = tactics
        .par_iter()
        .enumerate()
        .map(|(index, &tactic)| {
            let column = MatrixColumn {
                tactic: LinkView::new(graph, from, tactic, None),
                techniques: matrix_techniques(graph, from, tactic),
            };
            let mut ctx = base_context(from);
            ctx.insert("column", &column);
            ctx.insert("index", &(index + 1));
            theme.render("matrix-column.html", &ctx)
        })
        .collect::<Result<_>>()?;
    let mut ctx = base_context(from);
    ctx.insert("columns", &columns);
    Ok(theme.render("matrix.html", &ctx)?.into_bytes())
}

#[derive(serde::Serialize)]
struct MatrixColumn {
    tactic: LinkView,
    techniques: Vec<LinkView>,
}

/// The techniques of one matrix column, each with its sub-techniques in this tactic.
fn matrix_techniques(graph: &Graph, from: &str, tactic: PageId) -> Vec<LinkView> {
    let mut top: BTreeMap<OrderKey, (PageId, BTreeSet<PageId>)> = BTreeMap::new();
    for r in graph.relations_of(tactic) {
        if r.kind != RelationKind::TechniqueTactic || r.other != tactic {
            continue;
        }
        let t = r.technique;
        match graph.parent[t.0] {
            Some(parent) => {
                top.entry(order(graph.page(parent)))
                    .or_insert((parent, BTreeSet::new()))
                    .1
                    .insert(t);
            }
            None => {
                top.entry(order(graph.page(t)))
                    .or_insert((t, BTreeSet::new()));
            }
        }
    }
    top.into_values()
        .map(|(t, subs)| {
            let mut view = LinkView::new(graph, from, t, None);
            let mut subs: Vec<PageId> = subs.into_iter().collect();
            subs.sort_by_key(|p| order(graph.page(*p)));
            view.children = subs
                .into_iter()
                .map(|s| LinkView::new(graph, from, s, None))
                .collect();
            view
        })
        .collect()
}

/// One list per kind: ID, name, and the detail that matters for that kind.
fn list(graph: &Graph, theme: &Theme, kind: PageKind, from: &str) -> Result<Vec<u8>> {
    let mut ids: Vec<PageId> = (0..graph.pages.len())
        .map(PageId)
        .filter(|p| graph.page(*p).kind == kind)
        .collect();
    ids.sort_by_key(|p| order(graph.page(*p)));
    let rows: Vec<LinkView> = ids
        .into_iter()
        .map(|p| {
            let page = graph.page(p);
            let detail = match kind {
                PageKind::Technique | PageKind::SubTechnique => {
                    page.metadata("Maturity").map(str::to_string)
                }
                PageKind::Mitigation => page.metadata("Category").map(str::to_string),
                PageKind::CaseStudy => {
                    let parts: Vec<&str> = [page.metadata("Incident Date"), page.metadata("Type")]
                        .into_iter()
                        .flatten()
                        .collect();
                    (!parts.is_empty()).then(|| parts.join(" · "))
                }
                PageKind::Tactic => {
                    let n = graph
                        .relations_of(p)
                        .filter(|r| r.kind == RelationKind::TechniqueTactic && r.other == p)
                        .count();
                    Some(format!("{n} techniques"))
                }
                PageKind::Note => page
                    .source
                    .path
                    .rsplit_once('/')
                    .map(|(f, _)| format!("{f}/")),
            };
            LinkView::new(graph, from, p, detail.as_deref())
        })
        .collect();
    let detail_label = match kind {
        PageKind::Technique | PageKind::SubTechnique => "Maturity",
        PageKind::Mitigation => "Category",
        PageKind::CaseStudy => "Incident",
        PageKind::Tactic => "Techniques",
        PageKind::Note => "Folder",
    };
    let mut ctx = base_context(from);
    ctx.insert("title", kind.plural());
    ctx.insert("detail_label", detail_label);
    ctx.insert("rows", &rows);
    Ok(theme.render("list.html", &ctx)?.into_bytes())
}

/// `tags/index.html` and one page per tag.
fn tags(graph: &Graph, theme: &Theme) -> Result<Vec<(String, Vec<u8>)>> {
    // Tags that differ only in case or punctuation share a page, named by their most used
    // spelling (the first in sort order on a tie).
    let mut by_tag: BTreeMap<String, (BTreeMap<String, usize>, Vec<PageId>)> = BTreeMap::new();
    for (i, page) in graph.pages.iter().enumerate() {
        for tag in &page.source.front.tags {
            let entry = by_tag.entry(tag_slug(tag)).or_default();
            *entry
                .0
                .entry(tag.trim_start_matches('#').to_string())
                .or_default() += 1;
            if entry.1.last() != Some(&PageId(i)) {
                entry.1.push(PageId(i));
            }
        }
    }
    let mut files = Vec::new();
    let mut index = Vec::new();
    for (slug, (spellings, mut pages)) in by_tag {
        let name = spellings
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        let path = format!("tags/{slug}.html");
        pages.sort_by_key(|p| order(graph.page(*p)));
        let rows: Vec<LinkView> = pages
            .iter()
            .map(|&p| LinkView::new(graph, &path, p, None))
            .collect();
        index.push(TagView {
            name: name.clone(),
            href: url::encode_path(&format!("{slug}.html")),
            count: rows.len(),
        });
        let mut ctx = base_context(&path);
        ctx.insert("title", &format!("Tag: {name}"));
        ctx.insert("rows", &rows);
        ctx.insert("tags", &Vec::<TagView>::new());
        files.push((path, theme.render("tags.html", &ctx)?.into_bytes()));
    }
    let mut ctx = base_context("tags/index.html");
    ctx.insert("title", "Tags");
    ctx.insert("rows", &Vec::<LinkView>::new());
    ctx.insert("tags", &index);
    files.push((
        "tags/index.html".to_string(),
        theme.render("tags.html", &ctx)?.into_bytes(),
    ));
    Ok(files)
}
