//! `atlas-kb serve`: builds the site into a folder of its own, serves it over HTTP, watches
//! the content and the settings, rebuilds on a change and tells every open page to reload.
//!
//! The reload script is added to HTML as it is served, so the built files never hold it.
//! Only files of the built site are served: a request path is decoded, must be made of plain
//! names (no `.`, `..`, backslash or NUL), and must stay inside the site once symlinks are
//! followed. Requests whose `Host` is not this server by a loopback name are refused, so a
//! page elsewhere cannot reach it through DNS rebinding.

use crate::commands::Told;
use crate::config::Config;
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::graph::{Graph, PageId};
use crate::load::ParsedPage;
use crate::render::LiveSite;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::future::IntoFuture;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;

/// Where the served pages listen for rebuilds, and the script that listens.
const EVENTS_PATH: &str = "/_atlas-serve/events";
const SCRIPT_PATH: &str = "/_atlas-serve/reload.js";
const RELOAD_SCRIPT: &str = include_str!("serve_reload.js");

/// Changes closer together than this make one rebuild (a save often writes several times).
const SETTLE: Duration = Duration::from_millis(40);

/// How `serve` listens and where it builds.
pub struct ServeOptions {
    /// The address to listen on (127.0.0.1 unless the user says otherwise).
    pub bind: IpAddr,
    /// The port; 0 takes a free one.
    pub port: u16,
    /// The folder the site is built into and served from, replaced at each rebuild.
    pub out: PathBuf,
}

/// Builds the site of `settings()` into `options.out`, serves it and rebuilds it on every
/// change until the process ends. `settings` is called again before each rebuild, so a
/// change to `atlas-kb.toml` takes effect; `ready` receives the address once the server
/// listens. A build that fails is reported and the last good site stays served.
pub fn serve(
    settings: impl Fn() -> Result<Config> + Send + 'static,
    options: &ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    let (reload, _) = broadcast::channel(16);
    let report = Arc::new(RwLock::new(Report::default()));
    let mut rebuilds = Rebuilds {
        settings,
        out: options.out.clone(),
        reload: reload.clone(),
        report: report.clone(),
        told: None,
        live: None,
    };
    let config = rebuilds.run()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the server for", &options.out, e))?;
    let address = SocketAddr::new(options.bind, options.port);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .map_err(|e| Error::Usage(format!("cannot listen on {address}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::Usage(format!("cannot listen on {address}: {e}")))?;

    // Held through each rebuild; taken for good once the server stops, so that the folder
    // it writes into is left alone to be removed.
    let building = Arc::new(std::sync::Mutex::new(()));
    watch(&config, rebuilds, building.clone())?;
    let site = Arc::new(Site {
        out: options.out.clone(),
        port: address.port(),
        bound: options.bind,
        reload,
        report,
    });
    let app = Router::new()
        .route(EVENTS_PATH, get(events))
        .route(SCRIPT_PATH, get(script))
        .fallback(get(file))
        .with_state(site);
    ready(address);
    // Ctrl-C stops at once: open pages hold event streams that would never end by themselves.
    let stopped = runtime.block_on(async move {
        tokio::select! {
            served = axum::serve(listener, app).into_future() => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    });
    runtime.shutdown_background();
    if let Ok(guard) = building.lock() {
        std::mem::forget(guard);
    }
    stopped.map_err(|e| Error::Usage(format!("the server on {address} stopped: {e}")))
}

/// What the request handlers share.
struct Site {
    out: PathBuf,
    port: u16,
    bound: IpAddr,
    reload: broadcast::Sender<()>,
    report: Arc<RwLock<Report>>,
}

/// What the last build found, as the served pages show it.
#[derive(Default)]
struct Report {
    /// Each page's diagnostics, one line each, by the page's path in the site.
    by_page: HashMap<String, Vec<String>>,
    errors: usize,
    warnings: usize,
}

impl Report {
    fn of(graph: &Graph, diagnostics: Option<&[Diagnostic]>) -> Report {
        let diagnostics = diagnostics.unwrap_or_default();
        let site_path: HashMap<&str, String> = graph
            .pages
            .iter()
            .map(|page| {
                let path = if page.source.path == crate::layout::HOME_TEXT {
                    crate::layout::HOME.to_string()
                } else {
                    crate::layout::page_path(page)
                };
                (&*page.source.path, path)
            })
            .collect();
        let mut report = Report::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => report.errors += 1,
                Severity::Warning => report.warnings += 1,
                Severity::Off => continue,
            }
            if let Some(path) = site_path.get(&*d.path) {
                let line = crate::commands::one_line(d);
                report.by_page.entry(path.clone()).or_default().push(line);
            }
        }
        report
    }

    /// Replaces the diagnostics `gone` of the page at site path `path` with `found`.
    fn replace(&mut self, path: &str, gone: &[Diagnostic], found: &[Diagnostic]) {
        for d in gone {
            match d.severity {
                Severity::Error => self.errors = self.errors.saturating_sub(1),
                Severity::Warning => self.warnings = self.warnings.saturating_sub(1),
                Severity::Off => {}
            }
        }
        let lines: Vec<String> = found
            .iter()
            .filter(|d| d.severity != Severity::Off)
            .map(crate::commands::one_line)
            .collect();
        for d in found {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Off => {}
            }
        }
        if lines.is_empty() {
            self.by_page.remove(path);
        } else {
            self.by_page.insert(path.to_string(), lines);
        }
    }

    /// The notice page `path` of the site shows: its own diagnostics and the site's count,
    /// or nothing when the site has none.
    fn notice(&self, path: &str) -> Option<String> {
        if self.errors + self.warnings == 0 {
            return None;
        }
        let count = |n: usize, what: &str| match n {
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        let site = format!(
            "{} and {} in the site",
            count(self.errors, "error"),
            count(self.warnings, "warning")
        );
        let lines = self
            .by_page
            .get(path)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let summary = match lines.len() {
            0 => format!("None on this page; {site}."),
            n => format!("{} on this page; {site}.", count(n, "problem")),
        };
        let mut html = String::from(NOTICE_OPEN);
        html.push_str("<p style=\"margin:0 2rem .25rem 0;font-weight:600\">");
        html.push_str(&summary);
        html.push_str(
            "</p><button type=\"button\" aria-label=\"Dismiss\" style=\"position:absolute;\
             top:.35rem;right:.5rem;border:0;background:none;color:inherit;font-size:1.25rem;\
             cursor:pointer\">×</button>",
        );
        if !lines.is_empty() {
            html.push_str("<ul style=\"margin:.25rem 0 0;padding-left:1.1rem\">");
            for line in lines {
                html.push_str("<li><code style=\"white-space:pre-wrap;word-break:break-word\">");
                html.push_str(&crate::render::markdown::escape(line));
                html.push_str("</code></li>");
            }
            html.push_str("</ul>");
        }
        html.push_str(
            "<p style=\"margin:.35rem 0 0;opacity:.75\">Run <code>atlas-kb check</code> \
            for the whole list.</p></aside>",
        );
        Some(html)
    }
}

/// The opening of the notice served pages show: over the page's corner, in the page's light
/// or dark colours.
const NOTICE_OPEN: &str = "<aside id=\"atlas-serve-report\" role=\"status\" \
    style=\"position:fixed;right:1rem;bottom:1rem;z-index:1000;box-sizing:border-box;\
    max-width:min(36rem,calc(100vw - 2rem));max-height:40vh;overflow:auto;\
    padding:.6rem .9rem;border:2px solid #d97706;border-radius:8px;background:Canvas;\
    color:CanvasText;font:14px/1.45 system-ui,sans-serif;\
    box-shadow:0 4px 16px rgba(0,0,0,.25)\">";

impl Site {
    /// Whether `Host` names this server, with its port: `localhost`, a loopback address,
    /// the address it is bound to, or (bound to all, `0.0.0.0`) any address. Never another
    /// name: that is how a page elsewhere would reach it (DNS rebinding).
    fn host_is_ours(&self, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse() != Ok(self.port) {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback() || ip == self.bound || self.bound.is_unspecified())
    }
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "atlas-kb serve answers only requests addressed to it by its own address or localhost\n",
    )
        .into_response()
}

/// Server-Sent Events: one `reload` event after each successful rebuild.
async fn events(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    if !site.host_is_ours(&headers) {
        return refused();
    }
    // A missed event (the channel lagged) is still a reload; a closed channel ends the stream.
    let stream = futures_util::stream::unfold(site.reload.subscribe(), |mut rx| async move {
        match rx.recv().await {
            Err(broadcast::error::RecvError::Closed) => None,
            Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => {
                let event = Event::default().event("reload").data("reload");
                Some((Ok::<_, Infallible>(event), rx))
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn script(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    if !site.host_is_ours(&headers) {
        return refused();
    }
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        RELOAD_SCRIPT,
    )
        .into_response()
}

/// A file of the built site, or its 404 page with status 404.
async fn file(State(site): State<Arc<Site>>, headers: HeaderMap, uri: Uri) -> Response {
    if !site.host_is_ours(&headers) {
        return refused();
    }
    let notice = |page: &str| site.report.read().ok().and_then(|r| r.notice(page));
    if let Some((path, page)) = site_file(&site.out, uri.path()) {
        if let Ok(bytes) = tokio::fs::read(&path).await {
            return respond(StatusCode::OK, &path, bytes, notice(&page));
        }
    }
    let not_found = site.out.join("404.html");
    match tokio::fs::read(&not_found).await {
        Ok(bytes) => respond(StatusCode::NOT_FOUND, &not_found, bytes, notice("")),
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// `bytes` as a response of `status`, typed by `path`'s extension; HTML gets the reload
/// script and `notice`.
fn respond(
    status: StatusCode,
    path: &Path,
    mut bytes: Vec<u8>,
    notice: Option<String>,
) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let html = mime.essence_str() == "text/html";
    if html {
        add_before_body_end(&mut bytes, &notice.unwrap_or_default());
    }
    let mut content_type = mime.essence_str().to_string();
    if mime.type_() == "text" || mime.essence_str() == "application/javascript" {
        content_type.push_str("; charset=utf-8");
    }
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // A preview is always the latest build.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Puts `extra` and the reload script before the page's last `</body>` (or at its end).
fn add_before_body_end(html: &mut Vec<u8>, extra: &str) {
    let added = format!("{extra}<script src=\"{SCRIPT_PATH}\"></script>");
    let at = memchr::memmem::rfind(html, b"</body>").unwrap_or(html.len());
    html.splice(at..at, added.into_bytes());
}

/// The file of the site in `out` that request path `path` names, and its path in the site:
/// decoded, made only of plain names, a folder standing for its `index.html`, and inside
/// `out` once symlinks are resolved. `None` for anything else.
fn site_file(out: &Path, path: &str) -> Option<(PathBuf, String)> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    if decoded.contains(['\\', '\0']) {
        return None;
    }
    let mut file = out.to_path_buf();
    for name in decoded.split('/').filter(|name| !name.is_empty()) {
        let mut parts = Path::new(name).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(_)), None) => file.push(name),
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let real = file.canonicalize().ok()?;
    let root = out.canonicalize().ok()?;
    let page = real.strip_prefix(&root).ok()?.to_str()?.replace('\\', "/");
    real.is_file().then_some((real, page))
}

/// What a rebuild depends on, by absolute path: the content root, the settings file and the
/// site folder's theme overrides.
struct Watched {
    root: PathBuf,
    settings_file: Option<PathBuf>,
    theme: Vec<PathBuf>,
    /// The served site, in case it lies inside the root.
    out: PathBuf,
}

impl Watched {
    fn of(config: &Config, out: &Path) -> Watched {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Watched {
            root: absolute(&config.content.root),
            settings_file: config.file.as_deref().map(absolute),
            theme: ["templates", "static"]
                .iter()
                .map(|folder| absolute(&config.site_dir.join(folder)))
                .collect(),
            out: absolute(out),
        }
    }

    /// Whether a change at `path` can change the site: inside the root or a theme folder
    /// (or the root itself), or the settings file; not an editor's swap or backup file, not
    /// in a hidden folder (`.git`, `.obsidian`), not the served site.
    fn matters(&self, path: &Path) -> bool {
        if path.starts_with(&self.out) {
            return false;
        }
        if self.settings_file.as_deref() == Some(path) {
            return true;
        }
        let Some(below) = std::iter::once(&self.root)
            .chain(&self.theme)
            .find_map(|folder| path.strip_prefix(folder).ok())
        else {
            return false;
        };
        let name = below
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let scratch = name.ends_with('~')
            || name.starts_with(".#")
            || name == "4913"
            || [".swp", ".swx", ".swo", ".tmp", ".bak"]
                .iter()
                .any(|ext| name.ends_with(ext));
        let hidden = below.components().any(
            |c| matches!(c, Component::Normal(part) if part.to_string_lossy().starts_with('.')),
        );
        !scratch && !hidden
    }

    /// The folders watched with all they hold (when they exist): the root and the theme
    /// folders.
    fn trees(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.root).chain(&self.theme)
    }

    /// The folders watched for their own entries only, each once: the parents of the root
    /// and the theme folders, so that one made (again) after the start is seen, and the
    /// settings file's, so that a save by rename (as many editors do) is seen.
    fn parents(&self) -> Vec<&Path> {
        let mut parents: Vec<&Path> = self
            .trees()
            .chain(&self.settings_file)
            .filter_map(|path| path.parent())
            .filter(|folder| folder.is_dir())
            .collect();
        parents.sort();
        parents.dedup();
        parents
    }
}

/// What each rebuild needs, and what it updates.
struct Rebuilds<F> {
    settings: F,
    out: PathBuf,
    reload: broadcast::Sender<()>,
    report: Arc<RwLock<Report>>,
    /// The last build's diagnostics, so that the next reports what changed.
    told: Option<Vec<Diagnostic>>,
    /// What the last build keeps to change the site a page at a time; none after a build
    /// that failed, or while a change is being made.
    live: Option<Live>,
}

/// The last build's graph and site, kept to change them a page at a time.
struct Live {
    config: Config,
    /// The content root, canonical.
    root: PathBuf,
    graph: Graph,
    site: LiveSite,
    /// Whether every page is a file of its own: none is reached through a symlink or has
    /// another hard link, so a change to one is seen at its own path.
    plain: bool,
}

impl<F: Fn() -> Result<Config>> Rebuilds<F> {
    /// Builds the whole site with fresh settings, which it returns, and updates the served
    /// pages' notice.
    fn run(&mut self) -> Result<Config> {
        self.live = None;
        let mut config = (self.settings)()?;
        config.build.out = self.out.clone();
        let built =
            crate::commands::build_site(&config, false, Told::Changes(&mut self.told), true)?;
        let report = Report::of(&built.graph, self.told.as_deref());
        if let Ok(mut shown) = self.report.write() {
            *shown = report;
        }
        if let Some(site) = built.live {
            let plain = every_page_plain(&built.root, &built.graph);
            self.live = Some(Live {
                config: config.clone(),
                root: built.root,
                graph: built.graph,
                site,
                plain,
            });
        }
        Ok(config)
    }

    /// Brings the site up to date after changes at `paths`: a page at a time when that
    /// gives what a build would, else by a whole build.
    fn rebuild(&mut self, paths: &[PathBuf], watched: &Watched) -> Result<()> {
        if !self.pages_changed(paths, watched) {
            self.run()?;
        }
        Ok(())
    }

    /// Changes the site a page at a time, when every change that matters is a page written
    /// (new or changed) or deleted. When each is the text of a page whose face stays the
    /// same ([`Graph::replace_text`]), the graph is kept and only those pages and their
    /// embedders are rendered; else the graph is built again from the pages kept and those
    /// read again, and the pages that read what changed are rendered
    /// ([`LiveSite::rebuild`]). Says whether it did; if not, what it kept is dropped and a
    /// whole build must follow.
    fn pages_changed(&mut self, paths: &[PathBuf], watched: &Watched) -> bool {
        let started = std::time::Instant::now();
        let mut timings = crate::timings::Timings::start();
        let Some(mut live) = self.live.take() else {
            return false;
        };
        let Some(told) = self.told.as_mut() else {
            return false;
        };
        let Some(changes) = live.changes(paths, watched) else {
            return false;
        };
        let rules = live.config.rules();
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        let Some(mut pending) = changes.read(&live.root, &live.graph.vocabulary) else {
            return false;
        };
        let texts = changes.removed.is_empty() && live.read_texts(&mut pending);
        timings.mark("read");
        let done = if texts {
            let changed: Vec<PageId> = changes
                .written
                .iter()
                .filter_map(|rel| live.graph.by_path_id(rel))
                .collect();
            let mut before = Vec::new();
            let mut now = Vec::new();
            let mut report = self.report.write().ok();
            for &id in &changed {
                let page = live.graph.page(id);
                let path = &*page.source.path;
                let found = crate::check::check_page(&live.graph, &rules, id);
                // Diagnostics are sorted by path first: the page's are together.
                let start = told.partition_point(|d| &*d.path < path);
                let end = start + told[start..].partition_point(|d| &*d.path == path);
                let gone: Vec<Diagnostic> =
                    told.splice(start..end, found.iter().cloned()).collect();
                if let Some(report) = report.as_mut() {
                    report.replace(&crate::layout::page_path(page), &gone, &found);
                }
                before.extend(gone);
                now.extend(found);
            }
            drop(report);
            timings.mark("check");
            let _ = crate::commands::tell_changes(&before, &now, &mut err);
            live.site
                .update(&live.graph, &live.root, &changed, &mut timings)
                .ok()
        } else {
            let before = crate::render::Before::of(&live.graph);
            timings.mark("digests");
            let graph = live.graph;
            live.graph = changes.apply(graph, &live.root, pending);
            timings.mark("graph");
            let found = crate::check::check(&live.graph, &rules);
            let _ = crate::commands::tell_changes(told, &found, &mut err);
            *told = found;
            if let Ok(mut shown) = self.report.write() {
                *shown = Report::of(&live.graph, Some(told));
            }
            timings.mark("check");
            let read_again: Vec<PageId> = changes
                .written
                .iter()
                .filter_map(|rel| live.graph.by_path_id(rel))
                .collect();
            let rebuilt =
                live.site
                    .rebuild(&before, &live.graph, &live.root, &read_again, &mut timings);
            rebuilt.ok().flatten()
        };
        let Some((pages, files)) = done else {
            return false;
        };
        let pages_in_site = live.graph.pages.iter().filter(|p| !p.generated).count();
        let _ = crate::check::report::Counts::of(told)
            .write(pages_in_site, &mut err)
            .and_then(|_| {
                writeln!(
                    err,
                    "rebuilt {pages} {} ({files} {} changed) in {:.3}s",
                    crate::check::report::plural(pages, "page", "pages"),
                    crate::check::report::plural(files, "file", "files"),
                    started.elapsed().as_secs_f64()
                )
            });
        self.live = Some(live);
        true
    }
}

/// Pages written and deleted since the last build, by path in the content root.
struct Changes {
    written: Vec<String>,
    removed: Vec<String>,
}

/// A page read again, with the problems found reading it.
type ReadPage = (Box<ParsedPage>, Vec<Diagnostic>);

impl Changes {
    /// The pages written, read again; `None` when one cannot be read (the whole build then
    /// reports it).
    fn read(
        &self,
        root: &Path,
        vocabulary: &crate::vocabulary::Vocabulary,
    ) -> Option<Vec<ReadPage>> {
        self.written
            .iter()
            .map(|rel| {
                let (page, problems) = crate::load::read_one(root, rel, vocabulary);
                let unreadable = problems.iter().any(|d| d.code == Code::UnreadableFile);
                (!unreadable).then_some((page, problems))
            })
            .collect()
    }

    /// `graph` built again with these changes: the pages removed left out, and `pending`
    /// (the pages read again that the graph does not hold yet) put in.
    fn apply(&self, graph: Graph, root: &Path, pending: Vec<ReadPage>) -> Graph {
        let (mut vault, vocabulary) = graph.into_vault(root.to_path_buf());
        let gone: BTreeSet<&str> = self
            .removed
            .iter()
            .map(String::as_str)
            .chain(pending.iter().map(|(page, _)| page.path.as_str()))
            .collect();
        vault
            .pages
            .retain(|page| !gone.contains(page.path.as_str()));
        vault.diagnostics.retain(|d| !gone.contains(&*d.path));
        for (page, problems) in pending {
            vault.pages.push(page);
            vault.diagnostics.extend(problems);
        }
        vault.pages.sort_by(|a, b| a.path.cmp(&b.path));
        Graph::build(vault, vocabulary)
    }
}

impl Live {
    /// What changed at `paths` (those that matter): pages written or deleted. `None` when
    /// anything else did (a folder, another file, the settings, the theme), or a page is
    /// reached through a symlink or excluded by the settings.
    fn changes(&self, paths: &[PathBuf], watched: &Watched) -> Option<Changes> {
        // A root deleted (or replaced) leaves nothing to change a page of.
        if !self.plain || !watched.root.is_dir() {
            return None;
        }
        let mut written = BTreeSet::new();
        let mut removed = BTreeSet::new();
        for path in paths.iter().filter(|p| watched.matters(p)) {
            let below = path.strip_prefix(&watched.root).ok()?;
            let parts: Option<Vec<&str>> = below
                .components()
                .map(|c| match c {
                    Component::Normal(part) => part.to_str(),
                    _ => None,
                })
                .collect();
            let rel = parts?.join("/");
            if rel.is_empty() {
                return None;
            }
            let is_page = below
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"));
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_file() && is_page => {
                    let own = file_of_its_own(&self.root.join(&rel));
                    if !own || self.excluded(&rel) || rel == crate::layout::HOME_TEXT {
                        return None;
                    }
                    removed.remove(&rel);
                    written.insert(rel);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let known = self.graph.by_path_id(&rel).is_some();
                    let folder = format!("{rel}/");
                    let holds_pages = self
                        .graph
                        .pages
                        .iter()
                        .any(|p| p.source.path.starts_with(&folder));
                    let asset = self.graph.assets.binary_search(&rel).is_ok();
                    if holds_pages || asset || rel == crate::layout::HOME_TEXT {
                        return None;
                    }
                    if known {
                        written.remove(&rel);
                        removed.insert(rel);
                    }
                }
                _ => return None,
            }
        }
        if written.is_empty() && removed.is_empty() {
            return None;
        }
        Some(Changes {
            written: written.into_iter().collect(),
            removed: removed.into_iter().collect(),
        })
    }

    /// Whether the settings leave `rel`, or a folder it is in, out of the site.
    fn excluded(&self, rel: &str) -> bool {
        let exclude = &self.config.content.exclude;
        let folders = rel.match_indices('/').map(|(i, _)| &rel[..i]);
        exclude.excludes(rel, false) || folders.into_iter().any(|f| exclude.excludes(f, true))
    }

    /// Puts the pages read again into the graph, each while it is a page the graph has
    /// whose face stays the same ([`Graph::replace_text`]); says whether all were. Those
    /// that were not stay in `pending`, and the graph must then be built again.
    fn read_texts(&mut self, pending: &mut Vec<ReadPage>) -> bool {
        while let Some((page, problems)) = pending.pop() {
            let put = match self.graph.by_path_id(&page.path) {
                Some(id) => self.graph.replace_text(id, *page, problems),
                None => Err(Box::new((*page, problems))),
            };
            if let Err(back) = put {
                let (page, problems) = *back;
                pending.push((Box::new(page), problems));
                return false;
            }
        }
        true
    }
}

/// Whether every page of `graph` under `root` is a file of its own (see [`Live::plain`]).
fn every_page_plain(root: &Path, graph: &Graph) -> bool {
    use rayon::prelude::*;
    graph
        .pages
        .par_iter()
        .filter(|page| !page.generated)
        .all(|page| file_of_its_own(&root.join(&page.source.path)))
}

/// Whether the file at `path` (absolute, under a canonical root) is reached through no
/// symlink and has no other hard link: a change to it is seen at this path alone.
fn file_of_its_own(path: &Path) -> bool {
    let own = std::fs::canonicalize(path).is_ok_and(|real| real == path);
    #[cfg(unix)]
    let single = {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).is_ok_and(|m| m.nlink() == 1)
    };
    #[cfg(not(unix))]
    let single = true;
    own && single
}

/// Watches what `config` builds from and rebuilds after each settled burst of changes that
/// matter, in a thread of its own that runs as long as the process.
fn watch<F>(
    config: &Config,
    mut rebuilds: Rebuilds<F>,
    building: Arc<std::sync::Mutex<()>>,
) -> Result<()>
where
    F: Fn() -> Result<Config> + Send + 'static,
{
    use notify::event::ModifyKind;
    use notify::{EventKind, RecursiveMode};
    use notify_debouncer_full::{new_debouncer, DebounceEventResult};

    let watched = Watched::of(config, &rebuilds.out);
    let (changes, changed) = std::sync::mpsc::channel::<Vec<PathBuf>>();
    let mut debouncer = new_debouncer(SETTLE, None, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            // Reading a file (as the build does) or touching its metadata changes nothing.
            let paths: Vec<PathBuf> = events
                .into_iter()
                .filter(|e| {
                    !matches!(
                        e.event.kind,
                        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
                    )
                })
                .flat_map(|e| e.event.paths)
                .collect();
            if !paths.is_empty() {
                let _ = changes.send(paths);
            }
        }
    })
    .map_err(|e| Error::Usage(format!("cannot watch for changes: {e}")))?;
    let watch_error =
        |path: &Path, e| Error::Usage(format!("cannot watch `{}`: {e}", path.display()));
    for folder in watched.trees().filter(|folder| folder.is_dir()) {
        debouncer
            .watch(folder, RecursiveMode::Recursive)
            .map_err(|e| watch_error(folder, e))?;
    }
    for folder in watched.parents() {
        debouncer
            .watch(folder, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(folder, e))?;
    }
    std::thread::spawn(move || {
        // Each tree, and whether it is watched: a folder deleted takes its watch with it.
        let mut trees: Vec<(PathBuf, bool)> = watched
            .trees()
            .map(|folder| (folder.clone(), folder.is_dir()))
            .collect();
        while let Ok(mut paths) = changed.recv() {
            // What arrived during the last rebuild joins this one.
            while let Ok(more) = changed.try_recv() {
                paths.extend(more);
            }
            if !paths.iter().any(|p| watched.matters(p)) {
                continue;
            }
            // A tree made (again) since is watched anew.
            for (folder, on) in trees.iter_mut() {
                let folder = folder.as_path();
                if !*on && folder.is_dir() {
                    let _ = debouncer.unwatch(folder);
                    *on = debouncer.watch(folder, RecursiveMode::Recursive).is_ok();
                }
            }
            // Poisoned only by a panic in a rebuild; stopped for good once the server is.
            let Ok(_building) = building.lock() else {
                return;
            };
            let rebuilt = rebuilds.rebuild(&paths, &watched);
            for (folder, on) in &mut trees {
                *on &= folder.is_dir();
            }
            match rebuilt {
                Ok(()) => {
                    let _ = rebuilds.reload.send(());
                }
                Err(e) => {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "error: {}\nstill serving the last site that built",
                        crate::terminal_safe(&e.to_string())
                    );
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_own_names_are_answered() {
        let site = |bound: &str| Site {
            out: PathBuf::new(),
            port: 1111,
            bound: bound.parse().unwrap(),
            reload: broadcast::channel(1).0,
            report: Arc::default(),
        };
        let answers = |site: &Site, host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            site.host_is_ours(&headers)
        };
        let local = site("127.0.0.1");
        for host in [
            "127.0.0.1:1111",
            "localhost:1111",
            "LocalHost:1111",
            "[::1]:1111",
        ] {
            assert!(answers(&local, host), "{host}");
        }
        for host in [
            "127.0.0.1:2222",
            "127.0.0.1",
            "evil.example:1111",
            "10.0.0.5:1111",
        ] {
            assert!(!answers(&local, host), "{host}");
        }
        // Bound to every address, any address is this server; a name still is not.
        let all = site("0.0.0.0");
        assert!(answers(&all, "10.0.0.5:1111") && answers(&all, "localhost:1111"));
        assert!(!answers(&all, "evil.example:1111"));
    }

    #[test]
    fn only_plain_names_inside_the_site_are_files() {
        let out = std::env::temp_dir().join(format!("atlas-kb-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(out.join("a")).unwrap();
        std::fs::write(out.join("a/index.html"), "x").unwrap();
        std::fs::write(out.join("a/b c.html"), "x").unwrap();
        let real = out.canonicalize().unwrap();
        assert_eq!(
            site_file(&out, "/a/"),
            Some((real.join("a/index.html"), "a/index.html".to_string()))
        );
        assert_eq!(
            site_file(&out, "//a/b%20c.html"),
            Some((real.join("a/b c.html"), "a/b c.html".to_string()))
        );
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/%2e%2e/x",
            "/a/..%2fb",
            "/a%5cb",
            "/a/%00",
            "/./a/",
            "/nope",
        ] {
            assert_eq!(site_file(&out, bad), None, "{bad}");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
}
