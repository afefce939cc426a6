//! Stage three (b): render the graph as a static site. Read-only over the graph; pages are
//! rendered in parallel, then the whole site is written into place at once.

mod live;
pub mod markdown;
pub mod navigator;
mod obsidian;
pub mod output;
mod panels;
mod reuse;
mod sanitize;
pub mod search;
pub mod theme;
pub mod url;
pub mod views;

use crate::config::SiteSettings;
use crate::error::{Error, Result};
use crate::graph::{Graph, PageId, PageKind, RelationKind, Resolution};
use crate::layout::{self, list_path, tag_slug};
use crate::timings::Timings;
use crate::vocabulary::{group_order, keys};
pub use live::{Before, LiveSite};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
pub use theme::Theme;
use views::{DisplayOrder, Group, LinkView, PageView, TagView};

pub struct BuildOptions<'a> {
    pub out: &'a Path,
    /// The content root the graph was read from (its other files are copied).
    pub root: &'a Path,
    /// The folder whose `templates/` and `static/` override the built-in theme.
    pub theme_dir: Option<&'a Path>,
    /// What every page says about the site.
    pub site: &'a SiteSettings,
    /// Keep what it takes to change the built site a page at a time ([`LiveSite`]).
    pub live: bool,
}

pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    /// Content files left out because a content page has the same output path.
    pub shadowed: Vec<String>,
    /// When asked for: what it takes to change the site a page at a time.
    pub live: Option<LiveSite>,
}

/// Renders `graph` and replaces `opts.out` with the result. Every output path is decided
/// first (the theme and generated pages first, then content pages, then other content
/// files), then pages are rendered and written in one parallel pass, so the site is never
/// held in memory whole.
pub fn build(graph: &Graph, opts: &BuildOptions, timings: &mut Timings) -> Result<BuildReport> {
    let target = output::check_target(opts.out, opts.root)?;
    let theme = Theme::load(
        opts.theme_dir,
        site_context(opts.site, graph)?,
        opts.site.base_url.clone(),
    )?;

    let Plan {
        pages,
        assets,
        shadowed,
        display,
        folders: folder_plan,
        jobs,
    } = Plan::new(graph);
    let statics: Vec<(String, &[u8])> = theme
        .static_files
        .iter()
        .map(|(name, bytes)| (format!("{}/{name}", layout::THEME_DIR), bytes.as_slice()))
        .collect();
    // Search data folders, with a file in each for the folder list below.
    let search_paths = [
        layout::SEARCH_DOCS.to_string(),
        format!("{}/0.js", layout::SEARCH_SHARDS),
        format!("{}/0.js", layout::SEARCH_BUCKETS),
    ];

    let paths = pages
        .par_iter()
        .map(|(_, p)| p.as_str())
        .chain(assets.par_iter().map(|a| a.as_str()))
        .chain(jobs.par_iter().map(|(p, _)| p.as_str()))
        .chain(statics.par_iter().map(|(p, _)| p.as_str()))
        .chain(search_paths.par_iter().map(|p| p.as_str()));
    let mut folders: Vec<&str> = paths
        .filter_map(|p| p.rfind('/').map(|i| &p[..i]))
        .collect();
    folders.par_sort_unstable();
    folders.dedup();
    let staging = output::Staging::create(&target, &folders)?;
    timings.mark("plan");

    // Content pages and generated pages do not depend on each other. Rendered together, the
    // large generated pages (matrix, lists), whose final assembly is serial, run while the
    // other core renders content pages instead of after them.
    let write = |path: &str, bytes: &[u8]| staging.write(path, bytes);
    let (search_files, generated) = rayon::join(
        || {
            // Pages go in chunks, so that only one chunk's search records are held: each
            // chunk's are added to the index while the next one renders.
            let mut index = search::IndexWriter::new();
            let mut rendered: Option<Vec<Rendered>> = None;
            // Kept for a live site: each page's record and the pages its rendering read.
            let mut kept: Vec<Rendered> = Vec::new();
            let mut add = |chunk: Vec<Rendered>| {
                if opts.live {
                    kept.extend(
                        chunk
                            .iter()
                            .map(|(record, read)| (record.clone(), read.clone())),
                    );
                }
                index.add(
                    chunk.into_iter().map(|(record, _)| record).collect(),
                    &write,
                )
            };
            for chunk in pages.chunks(SEARCH_CHUNK) {
                let (next, added) = rayon::join(
                    || {
                        chunk
                            .par_iter()
                            // One output buffer per worker, reused: a page's HTML (~14 KB)
                            // then costs no allocation once the buffer has grown to the
                            // largest page.
                            .map_init(Vec::new, |html, (id, path)| {
                                let mut render = || {
                                    render_page(
                                        graph,
                                        opts.root,
                                        &theme,
                                        (&display, &folder_plan),
                                        *id,
                                        path,
                                        html,
                                    )
                                };
                                let (record, read) = if opts.live {
                                    crate::graph::reads::recorded(render)
                                } else {
                                    (render(), Vec::new())
                                };
                                let record = record?;
                                crate::syntax::strip_controls(html);
                                staging.write(path, html)?;
                                Ok((record, read))
                            })
                            .collect::<Result<Vec<Rendered>>>()
                    },
                    || match rendered.take() {
                        Some(chunk) => add(chunk),
                        None => Ok(()),
                    },
                );
                added?;
                rendered = Some(next?);
            }
            if let Some(chunk) = rendered {
                add(chunk)?;
            }
            Ok((index.finish(&write)?, kept))
        },
        || {
            jobs.par_iter()
                .filter_map(|(path, job)| {
                    let render = || {
                        render_job(
                            graph,
                            opts.root,
                            &theme,
                            (&display, &folder_plan),
                            path,
                            job,
                        )
                    };
                    // For a live site, what each page of one page's own read.
                    let (html, read) = match job.key(graph) {
                        Some(key) if opts.live => {
                            let (html, read) = crate::graph::reads::recorded(render);
                            (html, Some((path.clone(), (key, read))))
                        }
                        _ => (render(), None),
                    };
                    let written = html.and_then(|mut html| {
                        crate::syntax::strip_controls(&mut html);
                        staging.write(path, &html)
                    });
                    match written {
                        Ok(()) => read.map(Ok),
                        Err(e) => Some(Err(e)),
                    }
                })
                .collect::<Result<live::JobsRead>>()
        },
    );
    let (search_files, kept) = search_files?;
    let jobs_read = generated?;
    let (records, reads): (Vec<search::PageRecord>, Vec<Vec<u32>>) = kept.into_iter().unzip();
    timings.mark("pages");
    for (path, bytes) in &statics {
        staging.write(path, bytes)?;
    }
    assets
        .par_iter()
        .try_for_each(|asset| staging.copy(&opts.root.join(asset), asset))?;
    timings.mark("files");
    let files = pages.len() + assets.len() + jobs.len() + statics.len() + search_files;
    let listed = staging.finish(timings)?;
    let live = opts.live.then(|| LiveSite {
        site: output::InPlace::new(&target, listed),
        search: search::LiveIndex::new(records),
        pages: live::Published::new(graph.pages.len(), &pages, reads),
        theme,
        display,
        folders: folder_plan,
        assets,
        jobs: jobs_read,
    });
    Ok(BuildReport {
        pages: pages.len(),
        files: files + 1,
        shadowed,
        live,
    })
}

/// Where everything of a site goes, decided before anything is rendered.
struct Plan {
    /// Content pages with their output paths, in path order (the search data's order).
    pages: Vec<(PageId, String)>,
    /// Other content files, copied as they are.
    assets: Vec<String>,
    /// Content files left out because a content page has the same output path.
    shadowed: Vec<String>,
    display: DisplayOrder,
    folders: FolderPlan,
    /// The generated pages, with their output paths.
    jobs: Vec<(String, Job)>,
}

impl Plan {
    fn new(graph: &Graph) -> Plan {
        // A root `index.md` is the home page's text, not a page of its own. Content that
        // would land where the build writes its own files (the theme, generated pages) is
        // left out, as `check` reports (reserved-path); of two content files at one path, the
        // page wins.
        let home_page = graph.by_path_id(layout::HOME_TEXT);
        let generated = layout::Generated::new(graph);
        let pages: Vec<(PageId, String)> = (0..graph.pages.len())
            .into_par_iter()
            .map(PageId)
            .filter(|&id| Some(id) != home_page)
            .map(|id| (id, layout::page_path(graph.page(id))))
            .filter(|(_, path)| generated.owner(path).is_none())
            .collect();
        let mut taken: HashSet<String> = pages.par_iter().map(|(_, p)| p.to_lowercase()).collect();
        let mut shadowed = Vec::new();
        let assets: Vec<String> = graph
            .assets
            .iter()
            .filter(|a| generated.owner(a).is_none())
            .filter(|a| {
                let free = taken.insert(a.to_lowercase());
                if !free {
                    shadowed.push(a.to_string());
                }
                free
            })
            .cloned()
            .collect();
        let display = DisplayOrder::new(graph);
        let mut jobs: Vec<(String, Job)> = generated_jobs(graph, &display);
        let folders = FolderPlan::new(graph, &pages, &taken, &generated);
        jobs.extend(folders.jobs(&display));
        Plan {
            pages,
            assets,
            shadowed,
            display,
            folders,
            jobs,
        }
    }
}

/// Context every template gets: the theme's (`site`) and where the page is.
fn base_context(theme: &Theme, out_path: &str) -> tera::Context {
    let mut ctx = theme.context.clone();
    let root = url::root_prefix(out_path);
    ctx.insert("root", &root);
    ctx.insert("theme", &format!("{root}{}", layout::THEME_DIR));
    ctx.insert("path", out_path);
    if let Some(base) = &theme.base_url {
        ctx.insert(
            "canonical",
            &format!("{base}/{}", url::encode_path(out_path)),
        );
    }
    ctx
}

/// What every page says about the site: `[site]` and the navigation by kind.
fn site_context(site: &SiteSettings, graph: &Graph) -> Result<tera::Context> {
    #[derive(serde::Serialize)]
    struct Nav<'a> {
        path: String,
        label: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Site<'a> {
        #[serde(flatten)]
        settings: &'a SiteSettings,
        nav: Vec<Nav<'a>>,
    }
    // Every list, so that each page of the site is two clicks from any other.
    let nav = PageKind::ALL
        .into_iter()
        .map(|kind| Nav {
            path: list_path(kind),
            label: &graph.vocabulary.kind(kind).plural,
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert(
        "site",
        &to_value(&Site {
            settings: site,
            nav,
        })?,
    );
    Ok(ctx)
}

/// The text of page `id`, kept or read again from `root`.
fn page_text<'g>(graph: &'g Graph, root: &Path, id: PageId) -> Result<Cow<'g, str>> {
    let page = &graph.page(id).source;
    crate::load::page_text(root, page).ok_or_else(|| Error::Changed(root.join(&page.path)))
}

/// The body of page `id` written at `out_path`, read from disk with the pages it embeds.
fn render_body(
    graph: &Graph,
    root: &Path,
    id: PageId,
    out_path: &str,
) -> Result<markdown::RenderedBody> {
    let text_of = |p: PageId| page_text(graph, root, p).ok().map(Cow::into_owned);
    let text = page_text(graph, root, id)?;
    Ok(markdown::render_body(graph, id, &text, out_path, &text_of))
}

/// A page's search record, and for a live site the pages its rendering read.
type Rendered = (search::PageRecord, Vec<u32>);

/// Pages rendered between two additions to the search index.
const SEARCH_CHUNK: usize = 2048;

/// Renders page `id` into `html` (cleared first) and returns its search record.
fn render_page(
    graph: &Graph,
    root: &Path,
    theme: &Theme,
    (display, folders): (&DisplayOrder, &FolderPlan),
    id: PageId,
    out_path: &str,
    html: &mut Vec<u8>,
) -> Result<search::PageRecord> {
    let page = graph.page(id);
    let body = render_body(graph, root, id, out_path)?;

    // What the body links already shows; the panels list only what it does not.
    let mut shown: HashSet<PageId> = graph
        .resolutions_of(id)
        .iter()
        .filter_map(|r| match r {
            Resolution::Page { page, .. } => Some(*page),
            _ => None,
        })
        .collect();
    shown.insert(id);
    // What the graph shows beside the body; the panels below leave out what these show.
    let (tactics, examples) = if page.kind.is_technique() {
        (
            graph.tactics_of(id),
            panels::procedure_examples(graph, display, id, out_path),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let techniques = if page.kind == PageKind::Tactic {
        panels::tactic_table(graph, display, id, out_path)
    } else {
        Vec::new()
    };
    let facts = panels::facts(graph, display, id, (&tactics, &examples), out_path);
    let family = panels::family(graph, display, id, out_path);
    let procedure = panels::procedure(graph, id, out_path);
    shown.extend(graph.parent_of(id));
    shown.extend(tactics.iter().copied());
    shown.extend(examples.iter().map(|e| e.case_id));
    let rows = family.iter().flat_map(|f| &f.rows).chain(&techniques);
    for row in rows {
        shown.insert(row.page);
        shown.extend(row.children.iter().map(|c| c.page));
    }
    for step in &page.source.steps {
        let (technique, tactic) = graph.step_pages(id, step);
        shown.extend(technique.into_iter().chain(tactic));
    }
    let relations = relation_groups(graph, display, id, out_path, &mut shown);
    let backlinks = backlink_groups(graph, display, id, out_path, &shown);
    let parent = graph
        .parent_of(id)
        .map(|p| LinkView::new(graph, out_path, p, None));
    let tags: Vec<LinkView> = page
        .source
        .front
        .tags
        .iter()
        .map(|t| LinkView {
            href: url::tag_href(out_path, t),
            id: None,
            name: t.as_str().into(),
            title: t.as_str().into(),
            note: None,
            summary: None,
            kind: PageKind::Note,
            children: Vec::new(),
        })
        .collect();
    let view = PageView {
        title: page.title(),
        name: &page.name,
        id: page.atlas_id.as_ref().map(|i| i.as_str()),
        kind: page.kind,
        kind_label: &graph.vocabulary.kind(page.kind).label,
        path: &page.source.path,
        tags,
        generated: page.generated,
        has_h1: page.source.headings.iter().any(|h| h.level == 1),
        parent,
        layer: navigator::has_layer(graph, id)
            .then(|| url::relative(out_path, &layout::layer_path(page))),
    };
    let mut ctx = base_context(theme, out_path);
    // The body, a page's largest string, is moved into the context rather than copied.
    let mut page_vars = to_value(&view)?;
    if let tera::Value::Object(vars) = &mut page_vars {
        // A procedure's overview comes after the introduction, before the body's first
        // section, so a reader meets the title and summary first.
        let mut html = body.html;
        let after = match html.find("<h2").filter(|_| !procedure.is_empty()) {
            Some(at) => html.split_off(at),
            None => String::new(),
        };
        // A body that opens with its own title keeps it above the contents on narrow screens.
        let title = match html
            .starts_with("<h1")
            .then(|| html.find("</h1>"))
            .flatten()
        {
            Some(end) => {
                let rest = html.split_off(end + "</h1>".len());
                std::mem::replace(&mut html, rest)
            }
            None => String::new(),
        };
        vars.insert("body_title".to_string(), tera::Value::String(title));
        vars.insert("body".to_string(), tera::Value::String(html));
        vars.insert("body_after".to_string(), tera::Value::String(after));
        let mut facts_html = String::new();
        panels::html::facts(&mut facts_html, &facts);
        let mut procedure_html = String::new();
        panels::html::procedure(&mut procedure_html, &procedure);
        let mut graph_html = String::new();
        panels::html::tactic_table(&mut graph_html, &techniques);
        panels::html::family(&mut graph_html, family.as_ref());
        panels::html::examples(&mut graph_html, &examples);
        let mut toc_html = String::new();
        panels::html::toc(&mut toc_html, &body.headings);
        for (key, value) in [
            ("toc", toc_html),
            ("facts", facts_html),
            ("procedure", procedure_html),
            ("graph", graph_html),
        ] {
            vars.insert(key.to_string(), tera::Value::String(value));
        }
    }
    insert_value(&mut ctx, "page", page_vars)?;
    ctx.insert(
        "crumbs",
        &folders.crumbs(&page.source.path, out_path, &page.name),
    );
    ctx.insert("relations", &relations);
    ctx.insert("backlinks", &backlinks);
    theme.render_into("page.html", &ctx, html)?;
    Ok(search::page_record(
        // From the site's root, where the search script starts its URLs.
        &url::relative(layout::HOME, out_path),
        &view.title,
        &graph.vocabulary.kind(page.kind).label,
        &body.text,
    ))
}

fn to_value(value: &impl serde::Serialize) -> Result<tera::Value> {
    tera::to_value(value).map_err(|e| crate::Error::Template(e.to_string()))
}

/// `Context::insert` serializes a copy of what it is given; this moves `value` in.
fn insert_value(ctx: &mut tera::Context, key: &str, value: tera::Value) -> Result<()> {
    let mut vars = tera::Map::new();
    vars.insert(key.to_string(), value);
    let vars = tera::Context::from_value(tera::Value::Object(vars))
        .map_err(|e| crate::Error::Template(e.to_string()))?;
    ctx.extend(vars);
    Ok(())
}

/// The page's relations that its body does not link, grouped by section.
fn relation_groups<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
    from: &str,
    shown: &mut HashSet<PageId>,
) -> Vec<Group<'g>> {
    // (display order, section title) -> (page, use text)
    type Sections<'g> = BTreeMap<(u8, &'g str), Vec<(PageId, Option<&'g str>)>>;
    let vocabulary = &graph.vocabulary;
    let mut groups: Sections = BTreeMap::new();
    for r in graph.relations_of(id) {
        let technique_side = r.technique == id;
        let other = if technique_side { r.other } else { r.technique };
        let order = group_order(Some(r.kind), technique_side);
        let section = (order, vocabulary.listing_section(r.kind, technique_side));
        if !shown.contains(&other) {
            groups
                .entry(section)
                .or_default()
                .push((other, graph.relation_note(r)));
        }
    }
    for &child in graph.children_of(id) {
        if !shown.contains(&child) {
            groups
                .entry((
                    group_order(None, true),
                    vocabulary.kind(PageKind::SubTechnique).plural.as_str(),
                ))
                .or_default()
                .push((child, None));
        }
    }
    groups
        .into_iter()
        .map(|((_, title), mut items)| {
            items.sort_by_key(|(p, _)| display.rank(*p));
            items.dedup_by_key(|(p, _)| *p);
            for (p, _) in &items {
                shown.insert(*p);
            }
            Group {
                title,
                items: items
                    .into_iter()
                    .map(|(p, note)| LinkView::new(graph, from, p, note))
                    .collect(),
            }
        })
        .collect()
}

/// Pages that link here and are not shown already, grouped by kind.
fn backlink_groups<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
    from: &str,
    shown: &HashSet<PageId>,
) -> Vec<Group<'g>> {
    let sources: BTreeSet<PageId> = graph
        .backlinks(id)
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
            items.sort_by_key(|p| display.rank(*p));
            Some(Group {
                title: &graph.vocabulary.kind(kind).plural,
                items: items
                    .into_iter()
                    .map(|p| LinkView::new(graph, from, p, None))
                    .collect(),
            })
        })
        .collect()
}

/// A generated page: home, matrix, lists, tags, 404 and the ATLAS route redirects.
enum Job {
    Home,
    Matrix,
    /// A case study's or mitigation's Navigator layer.
    Layer(PageId),
    KnowledgeBaseLayer,
    List(PageKind),
    NotFound,
    Route(PageId),
    Tag {
        name: String,
        pages: Vec<PageId>,
    },
    TagIndex(Vec<TagView>),
    /// A content folder's page: its pages, and its subfolders with how many pages each holds.
    Folder {
        folder: String,
        pages: Vec<PageId>,
        subfolders: Vec<(String, usize)>,
    },
}

impl Job {
    /// What the job shows, with pages named by path, to compare across graphs: for the
    /// generated pages of one page or one set of pages (a layer, a redirect, a tag, a
    /// folder) and the home page. `None` for the others, which read the whole graph (the
    /// matrix on several threads, where a recording of reads would miss some).
    fn key(&self, graph: &Graph) -> Option<String> {
        let path = |id: &PageId| graph.pages[id.0].source.path.as_str();
        let list = |pages: &[PageId]| pages.iter().map(path).collect::<Vec<_>>().join("\n");
        Some(match self {
            Job::Layer(id) => format!("layer {}", path(id)),
            Job::Route(id) => format!("route {}", path(id)),
            Job::Tag { name, pages } => format!("tag {name}\n{}", list(pages)),
            Job::Folder {
                folder,
                pages,
                subfolders,
            } => format!("folder {folder}\n{}\n{subfolders:?}", list(pages)),
            // Its introduction is the root page's body, which reads the pages it links.
            Job::Home => "home".to_string(),
            Job::Matrix
            | Job::NotFound
            | Job::KnowledgeBaseLayer
            | Job::List(_)
            | Job::TagIndex(_) => return None,
        })
    }

    /// Whether the job lists every page (or counts them): made again whenever a page comes
    /// or goes, or changes how lists show it ([`Graph::listing`]).
    fn lists_every_page(&self) -> bool {
        matches!(
            self,
            Job::Home
                | Job::Matrix
                | Job::NotFound
                | Job::KnowledgeBaseLayer
                | Job::List(_)
                | Job::TagIndex(_)
        )
    }
}

/// Every generated page with its output path.
fn generated_jobs(graph: &Graph, display: &DisplayOrder) -> Vec<(String, Job)> {
    let mut jobs = vec![
        (layout::HOME.to_string(), Job::Home),
        (layout::MATRIX.to_string(), Job::Matrix),
        (layout::NOT_FOUND.to_string(), Job::NotFound),
        (
            layout::KNOWLEDGE_BASE_LAYER.to_string(),
            Job::KnowledgeBaseLayer,
        ),
    ];
    jobs.extend(
        (0..graph.pages.len())
            .map(PageId)
            .filter(|&id| navigator::has_layer(graph, id))
            .map(|id| (layout::layer_path(graph.page(id)), Job::Layer(id))),
    );
    jobs.extend(PageKind::ALL.map(|k| (list_path(k), Job::List(k))));
    let mut routes: Vec<(String, Job)> = graph
        .by_id
        .values()
        .filter_map(|&p| {
            let page = graph.page(p);
            let route = layout::route_path(page)?;
            // No redirect where the page of that ID is itself.
            (route.to_lowercase() != layout::page_path(page).to_lowercase())
                .then_some((route, Job::Route(p)))
        })
        .collect();
    routes.sort_by(|a, b| a.0.cmp(&b.0));
    jobs.extend(routes);
    jobs.extend(tag_jobs(graph, display));
    jobs
}

fn render_job(
    graph: &Graph,
    root: &Path,
    theme: &Theme,
    (display, folders): (&DisplayOrder, &FolderPlan),
    path: &str,
    job: &Job,
) -> Result<Vec<u8>> {
    Ok(match job {
        Job::Folder {
            folder,
            pages,
            subfolders,
        } => folder_page(graph, theme, folders, path, folder, pages, subfolders)?,
        Job::Home => home(graph, root, theme)?,
        Job::Matrix => matrix(graph, theme, display)?,
        Job::Layer(id) => navigator::page_layer(graph, *id),
        Job::KnowledgeBaseLayer => navigator::knowledge_base_layer(graph, &site_title(theme)),
        Job::List(kind) => list(graph, theme, display, *kind, path)?,
        Job::NotFound => {
            // Hosts serve 404.html for a missing path at any depth, so with the site's
            // address known its links start there. Without it they stay relative, as on
            // every page: the page then works opened from the folder (`file://`) and served
            // at the site's root, where no absolute path could serve both.
            let mut ctx = base_context(theme, path);
            if let Some(base) = &theme.base_url {
                let root = format!("{base}/");
                ctx.insert("theme", &format!("{root}{}", layout::THEME_DIR));
                ctx.insert("root", &root);
            }
            theme.render("404.html", &ctx)?.into_bytes()
        }
        Job::Route(p) => {
            let mut ctx = base_context(theme, path);
            // The route's canonical address is its page's.
            if let Some(base) = &theme.base_url {
                let page = url::encode_path(&layout::page_path(graph.page(*p)));
                ctx.insert("canonical", &format!("{base}/{page}"));
            }
            ctx.insert("target", &LinkView::new(graph, path, *p, None));
            theme.render("redirect.html", &ctx)?.into_bytes()
        }
        Job::Tag { name, pages } => {
            let rows: Vec<LinkView> = pages
                .iter()
                .map(|&p| LinkView::new(graph, path, p, None))
                .collect();
            let mut ctx = base_context(theme, path);
            ctx.insert("title", &format!("Tag: {name}"));
            ctx.insert("rows", &rows);
            ctx.insert("tags", &Vec::<TagView>::new());
            theme.render("tags.html", &ctx)?.into_bytes()
        }
        Job::TagIndex(tags) => {
            let mut ctx = base_context(theme, path);
            ctx.insert("title", "Tags");
            ctx.insert("rows", &Vec::<LinkView>::new());
            ctx.insert("tags", tags);
            theme.render("tags.html", &ctx)?.into_bytes()
        }
    })
}

/// Where each content folder's breadcrumb leads: to its generated folder page, or to the
/// content page already at `folder/index.html`; a folder whose index path the build writes
/// for something else (`tags/`) leads nowhere.
struct FolderPlan {
    /// Folder (as page paths spell it) → the output path its breadcrumb links to.
    links: HashMap<String, String>,
    /// Folder → its published pages, and each subfolder with the pages anywhere under it,
    /// for the folders that get a page.
    generated: BTreeMap<String, (Vec<PageId>, BTreeMap<String, usize>)>,
}

impl FolderPlan {
    fn new(
        graph: &Graph,
        pages: &[(PageId, String)],
        taken: &HashSet<String>,
        generated: &layout::Generated,
    ) -> FolderPlan {
        // Folder → (its own pages, each subfolder with the pages under it).
        let mut contents: BTreeMap<String, (Vec<PageId>, BTreeMap<String, usize>)> =
            BTreeMap::new();
        for (id, _) in pages {
            let path = &graph.page(*id).source.path;
            let Some((folder, _)) = path.rsplit_once('/') else {
                continue;
            };
            contents.entry(folder.to_string()).or_default().0.push(*id);
            let mut child = folder;
            while let Some((parent, _)) = child.rsplit_once('/') {
                *contents
                    .entry(parent.to_string())
                    .or_default()
                    .1
                    .entry(child.to_string())
                    .or_default() += 1;
                child = parent;
            }
        }
        let mut links = HashMap::new();
        let mut claimed: HashSet<String> = HashSet::new();
        contents.retain(|folder, _| {
            let out = layout::folder_path(folder);
            let lower = out.to_lowercase();
            if taken.contains(&lower) {
                links.insert(folder.clone(), out);
                return false;
            }
            // Two folders that differ only in case would share one file: the first keeps it.
            let free = generated.owner(&out).is_none() && claimed.insert(lower);
            if free {
                links.insert(folder.clone(), out);
            }
            free
        });
        FolderPlan {
            links,
            generated: contents,
        }
    }

    /// The folder pages to write.
    fn jobs(&self, display: &DisplayOrder) -> Vec<(String, Job)> {
        self.generated
            .iter()
            .map(|(folder, (pages, subfolders))| {
                let mut pages = pages.clone();
                pages.sort_by_key(|p| display.rank(*p));
                let subfolders = subfolders.iter().map(|(s, n)| (s.clone(), *n)).collect();
                (
                    layout::folder_path(folder),
                    Job::Folder {
                        folder: folder.clone(),
                        pages,
                        subfolders,
                    },
                )
            })
            .collect()
    }

    /// The breadcrumb of the file at `path` (a page or `folder/index`), shown at `from`:
    /// home, each folder (linked where it leads somewhere), then `name`.
    fn crumbs(&self, path: &str, from: &str, name: &str) -> Vec<Crumb> {
        let mut crumbs = vec![Crumb {
            name: "Home".to_string(),
            href: Some(url::relative(from, layout::HOME)),
        }];
        let mut end = 0;
        let folders: Vec<&str> = path.split('/').collect();
        for part in &folders[..folders.len().saturating_sub(1)] {
            end += part.len();
            let folder = &path[..end];
            end += 1;
            crumbs.push(Crumb {
                name: part.to_string(),
                href: self.links.get(folder).map(|out| url::relative(from, out)),
            });
        }
        crumbs.push(Crumb {
            name: name.to_string(),
            href: None,
        });
        crumbs
    }
}

#[derive(serde::Serialize)]
struct Crumb {
    name: String,
    href: Option<String>,
}

/// A folder's page: its subfolders, then its pages as the lists show them.
fn folder_page(
    graph: &Graph,
    theme: &Theme,
    folders: &FolderPlan,
    path: &str,
    folder: &str,
    pages: &[PageId],
    subfolders: &[(String, usize)],
) -> Result<Vec<u8>> {
    let name = folder.rsplit('/').next().unwrap_or(folder);
    let rows: Vec<LinkView> = pages
        .iter()
        .map(|&p| {
            let page = graph.page(p);
            let mut row = LinkView::new(graph, path, p, None);
            row.note = Some(graph.vocabulary.kind(page.kind).label.as_str().into());
            row.summary = page.source.summary.as_deref();
            row
        })
        .collect();
    let subs: Vec<LinkView> = subfolders
        .iter()
        .map(|(sub, count)| LinkView {
            // Empty for a folder that leads nowhere: the template shows its name unlinked.
            href: folders
                .links
                .get(sub)
                .map(|out| url::relative(path, out))
                .unwrap_or_default(),
            id: None,
            name: sub.rsplit('/').next().unwrap_or(sub).to_string().into(),
            title: sub.as_str().into(),
            note: Some(count.to_string().into()),
            summary: None,
            kind: PageKind::Note,
            children: Vec::new(),
        })
        .collect();
    let mut ctx = base_context(theme, path);
    ctx.insert("title", name);
    ctx.insert("folder", folder);
    ctx.insert("crumbs", &folders.crumbs(folder, path, name));
    ctx.insert("subfolders", &subs);
    ctx.insert("rows", &rows);
    Ok(theme.render("folder.html", &ctx)?.into_bytes())
}

fn home(graph: &Graph, root: &Path, theme: &Theme) -> Result<Vec<u8>> {
    let mut ctx = base_context(theme, layout::HOME);
    // Each kind the knowledge base has, with its count and its list page.
    let counts: Vec<LinkView> = PageKind::ALL
        .iter()
        .filter_map(|&k| {
            let n = graph
                .pages
                .iter()
                .filter(|p| p.kind == k && !p.generated)
                .count();
            let plural = graph.vocabulary.kind(k).plural.as_str();
            (n > 0).then(|| LinkView {
                href: list_path(k),
                id: None,
                name: plural.into(),
                title: plural.into(),
                note: Some(n.to_string().into()),
                summary: None,
                kind: k,
                children: Vec::new(),
            })
        })
        .collect();
    let intro = match graph.by_path_id(layout::HOME_TEXT) {
        Some(id) => Some(render_body(graph, root, id, layout::HOME)?.html),
        None => None,
    };
    ctx.insert("counts", &counts);
    ctx.insert("intro", &intro);
    ctx.insert("title", &intro_title(graph, theme));
    Ok(theme.render("home.html", &ctx)?.into_bytes())
}

/// The home page's heading: the root `index.md`'s title, else the site's.
fn intro_title(graph: &Graph, theme: &Theme) -> String {
    graph
        .page_by_path(layout::HOME_TEXT)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| site_title(theme))
}

/// The site's title, from the settings.
fn site_title(theme: &Theme) -> String {
    let title = theme.context.get("site").and_then(|s| s.get("title"));
    title
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Tactics as columns in matrix order (their `sidebar_position`), techniques under each,
/// sub-techniques nested under their parent.
fn matrix(graph: &Graph, theme: &Theme, display: &DisplayOrder) -> Result<Vec<u8>> {
    let from = layout::MATRIX;
    let mut tactics: Vec<PageId> = (0..graph.pages.len())
        .map(PageId)
        .filter(|p| graph.page(*p).kind == PageKind::Tactic)
        .collect();
    let position = |p: &PageId| {
        let page = graph.page(*p);
        (
            page.source.front.sidebar_position.unwrap_or(f64::MAX),
            display.rank(*p),
        )
    };
    tactics.sort_by(|a, b| {
        position(a)
            .partial_cmp(&position(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // The page is rendered around a marker per column, then each marker replaced by its
    // column, rendered then and a few at a time on all cores: at 100k pages the columns are
    // ~100 MB, and holding them all beside the page they go into doubled the build's peak.
    let markers: Vec<tera::Value> = (0..tactics.len())
        .map(|i| tera::Value::String(column_marker(i)))
        .collect();
    let mut ctx = base_context(theme, from);
    insert_value(&mut ctx, "columns", tera::Value::Array(markers))?;
    let levels: Vec<&str> = crate::vocabulary::MATURITY_LEVELS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    ctx.insert("maturity_levels", &levels);
    let page = theme.render("matrix.html", &ctx)?;
    let render_column = |index: usize| -> Result<String> {
        let tactic = tactics[index];
        let column = MatrixColumn {
            tactic: LinkView::new(graph, from, tactic, None),
            techniques: matrix_techniques(graph, display, from, tactic),
            count: tactic_techniques(graph, tactic),
        };
        let mut ctx = base_context(theme, from);
        ctx.insert("column", &column);
        ctx.insert("index", &(index + 1));
        theme.render("matrix-column.html", &ctx)
    };
    // The page's text between markers, and the column each marker stands for (a theme may
    // show a column more than once, or not at all).
    let mut pieces: Vec<(&str, Option<usize>)> = Vec::new();
    let mut rest = page.as_str();
    while let Some(at) = rest.find(COLUMN_MARK) {
        let after = &rest[at + COLUMN_MARK.len()..];
        let marker = after.split_once(COLUMN_MARK).and_then(|(number, tail)| {
            let index = number
                .parse::<usize>()
                .ok()
                .filter(|&i| i < tactics.len())?;
            Some((index, tail))
        });
        match marker {
            Some((index, tail)) => {
                pieces.push((&rest[..at], Some(index)));
                rest = tail;
            }
            // A stray mark is kept as text (and dropped with the page's other controls).
            None => {
                pieces.push((&rest[..at + COLUMN_MARK.len()], None));
                rest = after;
            }
        }
    }
    pieces.push((rest, None));
    let mut html = Vec::with_capacity(page.len());
    for batch in pieces.chunks(MATRIX_BATCH) {
        let columns: Vec<Option<String>> = batch
            .par_iter()
            .map(|(_, index)| index.map(render_column).transpose())
            .collect::<Result<_>>()?;
        for ((text, _), column) in batch.iter().zip(columns) {
            html.extend_from_slice(text.as_bytes());
            html.extend_from_slice(column.unwrap_or_default().as_bytes());
        }
    }
    Ok(html)
}

/// Columns of the matrix rendered at once: enough to keep every core busy.
const MATRIX_BATCH: usize = 64;

/// What stands around a column's number in the matrix page before the column takes its
/// place: a control character, which no template escapes and no page keeps.
const COLUMN_MARK: &str = "\u{1}";

fn column_marker(index: usize) -> String {
    format!("{COLUMN_MARK}{index}{COLUMN_MARK}")
}

#[derive(serde::Serialize)]
struct MatrixColumn<'g> {
    tactic: LinkView<'g>,
    techniques: Vec<LinkView<'g>>,
    /// What the tactic's header counts: see [`tactic_techniques`].
    count: usize,
}

/// How many techniques and sub-techniques serve `tactic`: the count its matrix header and
/// the tactics list show, as a tactic page lists them (a parent shown in the matrix only to
/// hold its sub-techniques is not counted).
fn tactic_techniques(graph: &Graph, tactic: PageId) -> usize {
    graph
        .relations_of(tactic)
        .filter(|r| r.kind == RelationKind::TechniqueTactic && r.other == tactic)
        .count()
}

/// The techniques of one matrix column, each with its sub-techniques in this tactic.
fn matrix_techniques<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    from: &str,
    tactic: PageId,
) -> Vec<LinkView<'g>> {
    panels::tactic_groups(graph, display, tactic)
        .into_iter()
        .map(|(t, subs)| {
            // The matrix shows each technique's maturity where lists show use texts.
            let view = |p: PageId| {
                let maturity = graph.page(p).metadata(keys::MATURITY);
                LinkView::new(graph, from, p, maturity)
            };
            let mut top = view(t);
            top.children = subs.into_iter().map(view).collect();
            top
        })
        .collect()
}

/// One list per kind: ID, name, and the detail that matters for that kind.
fn list(
    graph: &Graph,
    theme: &Theme,
    display: &DisplayOrder,
    kind: PageKind,
    from: &str,
) -> Result<Vec<u8>> {
    let mut ids: Vec<PageId> = (0..graph.pages.len())
        .map(PageId)
        .filter(|p| graph.page(*p).kind == kind)
        .collect();
    ids.sort_by_key(|p| display.rank(*p));
    let rows: Vec<LinkView> = ids
        .into_iter()
        .map(|p| {
            let page = graph.page(p);
            let detail: Option<Cow<str>> = match kind {
                PageKind::Technique | PageKind::SubTechnique => {
                    page.metadata(keys::MATURITY).map(Cow::Borrowed)
                }
                PageKind::Mitigation => page.metadata(keys::CATEGORY).map(Cow::Borrowed),
                PageKind::CaseStudy => {
                    let parts: Vec<&str> = [
                        page.metadata(keys::INCIDENT_DATE),
                        page.metadata(keys::CASE_TYPE),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    (!parts.is_empty()).then(|| parts.join(" · ").into())
                }
                PageKind::Tactic => {
                    let n = tactic_techniques(graph, p);
                    let techniques = &graph.vocabulary.kind(PageKind::Technique).plural;
                    Some(format!("{n} {}", techniques.to_lowercase()).into())
                }
                PageKind::Note => page
                    .source
                    .path
                    .rsplit_once('/')
                    .map(|(f, _)| format!("{f}/").into()),
            };
            let mut row = LinkView::new(graph, from, p, None);
            row.note = detail;
            row.summary = page.source.summary.as_deref();
            // A sub-technique's name alone ("Models") says little in a list of them all.
            if let Some(parent) = graph
                .parent_of(p)
                .filter(|_| kind == PageKind::SubTechnique)
            {
                row.name = format!("{}: {}", graph.page(parent).name, page.name).into();
            }
            row
        })
        .collect();
    let detail_label = match kind {
        PageKind::Technique | PageKind::SubTechnique => keys::MATURITY,
        PageKind::Mitigation => keys::CATEGORY,
        PageKind::CaseStudy => "Incident",
        PageKind::Tactic => &graph.vocabulary.kind(PageKind::Technique).plural,
        PageKind::Note => "Folder",
    };
    let mut ctx = base_context(theme, from);
    ctx.insert("title", &graph.vocabulary.kind(kind).plural);
    ctx.insert("detail_label", detail_label);
    ctx.insert("rows", &rows);
    Ok(theme.render("list.html", &ctx)?.into_bytes())
}

/// `tags/index.html` and one page per tag. Tags that differ only in case or punctuation
/// share a page, named by their most used spelling (the first in sort order on a tie).
fn tag_jobs(graph: &Graph, display: &DisplayOrder) -> Vec<(String, Job)> {
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
    let mut jobs = Vec::new();
    let mut index = Vec::new();
    for (slug, (spellings, mut pages)) in by_tag {
        let name = spellings
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        pages.sort_by_key(|p| display.rank(*p));
        index.push(TagView {
            name: name.clone(),
            href: url::encode_path(&format!("{slug}.html")),
            count: pages.len(),
        });
        jobs.push((layout::tag_path(&slug), Job::Tag { name, pages }));
    }
    jobs.push((layout::tags_index(), Job::TagIndex(index)));
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build whose pages were left on disk reads each again to render it; one that changed
    /// since the load stops the build, which leaves no site behind, rather than rendering a
    /// text other than the one its links were resolved in.
    #[test]
    fn a_page_changed_since_the_load_stops_the_build() {
        let dir = std::env::temp_dir().join(format!("atlas-kb-changed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let content = dir.join("kb");
        std::fs::create_dir_all(&content).unwrap();
        std::fs::write(content.join("a.md"), "# A\n\nSee [[b]].\n").unwrap();
        std::fs::write(content.join("b.md"), "# B\n\nBack to [[a]].\n").unwrap();
        let mut config = crate::Config::default();
        config.content.root = content.clone();
        let mut timings = Timings::start();
        let loaded =
            crate::commands::load(&config, crate::load::Texts::LinksOnly, &mut timings).unwrap();
        std::fs::write(content.join("b.md"), "# B\n\nNow links [[c]] instead.\n").unwrap();
        let out = dir.join("site");
        let options = BuildOptions {
            live: false,
            out: &out,
            root: &loaded.root,
            theme_dir: None,
            site: &config.site,
        };
        let error = build(&loaded.graph, &options, &mut timings)
            .err()
            .expect("the build stops");
        let changed = loaded.root.join("b.md");
        assert_eq!(
            error.to_string(),
            format!(
                "`{}` changed while it was being read; run again",
                changed.display()
            )
        );
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
