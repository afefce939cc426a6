//! `atlas_kb::serve::serve` over real HTTP on a free port: what it serves, what it refuses,
//! and the reload event after an edit. Requests are written by hand on a TCP socket, so
//! paths reach the server exactly as written (an HTTP client would tidy `..` away).

use crate::support::copy_fixture;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A server on a free port for the vault at `root`, building into `out`; it runs until the
/// test binary ends.
pub fn start(root: &Path, out: PathBuf) -> SocketAddr {
    start_in(None, root, out)
}

/// [`start`], with `site` (when given) as the site folder, whose `templates/` and `static/`
/// override the theme.
pub fn start_in(site: Option<&Path>, root: &Path, out: PathBuf) -> SocketAddr {
    let root = root.to_path_buf();
    let site = site.map(Path::to_path_buf);
    let (tx, rx) = std::sync::mpsc::channel();
    let options = atlas_kb::serve::ServeOptions {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        out,
    };
    std::thread::spawn(move || {
        let settings = move || {
            let mut config = atlas_kb::Config::default();
            config.content.root = root.clone();
            if let Some(site) = &site {
                config.site_dir = site.clone();
            }
            Ok(config)
        };
        let served = atlas_kb::serve::serve(settings, &options, |address| {
            tx.send(address).unwrap();
        });
        panic!("the server stopped: {served:?}");
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the server starts")
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` with `Host: host` (none if `None`), the answer read to its end.
fn get(address: SocketAddr, path: &str, host: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\n{host}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

#[test]
fn serves_the_site_and_nothing_else() {
    let (tmp, vault) = copy_fixture("obsidian");
    let out = tmp.path().join("served");
    let address = start(&vault, out.clone());
    let ours = format!("127.0.0.1:{}", address.port());
    let localhost = format!("localhost:{}", address.port());

    let page = get(address, "/notes/target.html", Some(&ours));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("<title>Target"), "{}", page.body);
    // The reload script goes into served pages only, never into the built files.
    assert!(
        page.body
            .contains("<script src=\"/_atlas-serve/reload.js\"></script></body>"),
        "{}",
        page.body
    );
    let built = std::fs::read_to_string(out.join("notes/target.html")).unwrap();
    assert!(!built.contains("_atlas-serve"));
    let script = get(address, "/_atlas-serve/reload.js", Some(&ours));
    assert_eq!(
        (script.status, script.header("content-type")),
        (200, Some("text/javascript; charset=utf-8"))
    );
    assert!(script.body.contains("EventSource"));

    // A folder is its index page; names are percent-decoded; each file has its type.
    assert_eq!(get(address, "/", Some(&localhost)).status, 200);
    assert_eq!(get(address, "/notes/", Some(&ours)).status, 200);
    assert_eq!(
        get(address, "/notes/%74arget.html", Some(&ours)).status,
        200
    );
    let style = get(address, "/_atlas/style.css", Some(&ours));
    assert_eq!(
        (style.status, style.header("content-type")),
        (200, Some("text/css; charset=utf-8"))
    );

    // Anything else is the site's 404 page, with status 404.
    let secret = tmp.write("secret.txt", "not for the browser");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, out.join("link.txt")).unwrap();
    for path in [
        "/missing.html",
        "/../secret.txt",
        "/notes/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/notes/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/notes%00/target.html",
        "/link.txt",
    ] {
        let answer = get(address, path, Some(&ours));
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(!answer.body.contains("not for the browser"), "{path}");
        assert!(answer.body.contains("<title>"), "{path}: {}", answer.body);
    }

    // A request named for another host (DNS rebinding) or for none is refused.
    for host in [Some("evil.example"), Some("evil.example:80"), None] {
        let port = address.port();
        let other = host.map(|h| h.replace(":80", &format!(":{port}")));
        let answer = get(address, "/notes/target.html", other.as_deref());
        assert_eq!(answer.status, 403, "{host:?}");
    }
    for path in ["/_atlas-serve/events", "/_atlas-serve/reload.js"] {
        assert_eq!(get(address, path, Some("evil.example")).status, 403);
    }
}

/// An open page's event stream.
struct Listener(BufReader<TcpStream>);

impl Listener {
    fn open(address: SocketAddr) -> Listener {
        let mut stream = TcpStream::connect(address).unwrap();
        let port = address.port();
        write!(
            stream,
            "GET /_atlas-serve/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        let mut events = BufReader::new(stream);
        let mut line = String::new();
        events.read_line(&mut line).unwrap();
        assert_eq!(line, "HTTP/1.1 200 OK\r\n");
        while line != "\r\n" {
            line.clear();
            events.read_line(&mut line).unwrap();
        }
        Listener(events)
    }

    /// Whether a reload event arrives within `wait`.
    fn reloaded(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut line = String::new();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.0.get_ref().set_read_timeout(Some(left)).unwrap();
            line.clear();
            match self.0.read_line(&mut line) {
                Ok(0) | Err(_) => return false,
                Ok(_) if line.trim_end() == "event: reload" => return true,
                Ok(_) => {}
            }
        }
    }
}

const WAIT: Duration = Duration::from_secs(20);

/// A copy of fixture `name`, served from a folder beside it, with a listener on its reloads:
/// the copy's folder, the copy, the served folder and the listener.
fn serve_copy(name: &str) -> (crate::support::TempDir, PathBuf, PathBuf, Listener) {
    let (tmp, vault) = copy_fixture(name);
    let (served, listener) = serve_into(&vault, tmp.path());
    (tmp, vault, served, listener)
}

/// Serves `vault` from `tmp/served`, with a listener on its reloads.
fn serve_into(vault: &Path, tmp: &Path) -> (PathBuf, Listener) {
    let served = tmp.join("served");
    let address = start(vault, served.clone());
    (served, Listener::open(address))
}

/// Asserts that the site served from `served` is byte for byte what `build` makes of
/// `vault` now (built into `fresh`), naming the files that differ.
fn assert_served_is_built(vault: &Path, served: &Path, fresh: &Path) {
    let run = crate::support::build_into(vault, fresh);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let (got, want) = (
        crate::support::read_tree(served),
        crate::support::read_tree(fresh),
    );
    let differ: Vec<&String> = want
        .keys()
        .chain(got.keys())
        .filter(|p| got.get(*p) != want.get(*p))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differs from a build: {differ:?}",
        served.display()
    );
}
const QUIET: Duration = Duration::from_millis(800);

#[test]
fn an_edit_reloads_open_pages() {
    let (tmp, vault) = copy_fixture("obsidian");
    let address = start(&vault, tmp.path().join("served"));
    let ours = format!("127.0.0.1:{}", address.port());
    let mut listener = Listener::open(address);

    let note = vault.join("notes/target.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, format!("{text}\nWritten while served.\n")).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after an edit");
    let page = get(address, "/notes/target.html", Some(&ours));
    assert!(page.body.contains("Written while served."), "{}", page.body);

    // A page with a problem says so, escaped, over its corner; the others count it.
    assert!(!page.body.contains("atlas-serve-report"), "{}", page.body);
    std::fs::write(&note, format!("{text}\nSee [[nowhere<b>]].\n")).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after a broken link");
    let page = get(address, "/notes/target.html", Some(&ours));
    let notice = page
        .body
        .split_once("<aside id=\"atlas-serve-report\"")
        .and_then(|(_, rest)| rest.split_once("</aside>"))
        .map(|(notice, _)| notice)
        .unwrap_or_else(|| panic!("no notice: {}", page.body));
    let shown: String = scraper::Html::parse_fragment(&format!("<aside {notice}</aside>"))
        .root_element()
        .text()
        .collect();
    assert_eq!(
        shown,
        "1 problem on this page; 1 error and 0 warnings in the site.×\
         notes/target.md:8:5: error[broken-link]: no page matches `nowhere<b>`\
         Run atlas-kb check for the whole list."
    );
    let other = get(address, "/notes/guide.html", Some(&ours));
    assert!(
        other
            .body
            .contains(">None on this page; 1 error and 0 warnings in the site.</p>"),
        "{}",
        other.body
    );

    // An editor's scratch files and a hidden folder's files change nothing.
    std::fs::write(vault.join("notes/.target.md.swp"), "swap").unwrap();
    std::fs::write(vault.join("notes/target.md~"), "backup").unwrap();
    std::fs::create_dir_all(vault.join(".obsidian")).unwrap();
    std::fs::write(vault.join(".obsidian/workspace.json"), "{}").unwrap();
    assert!(!listener.reloaded(QUIET), "a scratch file rebuilt the site");

    // Front matter broken mid-edit is a diagnostic: the site still builds.
    std::fs::write(&note, "---\ntitle: [unclosed\n---\nHalf written").unwrap();
    assert!(listener.reloaded(WAIT), "no reload after a broken edit");
    assert_eq!(get(address, "/notes/target.html", Some(&ours)).status, 200);
    // So is a file cut inside a character, as a save half-written leaves it.
    std::fs::write(&note, b"---\ntitle: Half\n---\nCaf\xc3").unwrap();
    assert!(
        listener.reloaded(WAIT),
        "no reload after a half-written save"
    );
    assert_eq!(get(address, "/notes/guide.html", Some(&ours)).status, 200);

    // The whole root deleted: the last site that built stays served, until the root is
    // back, and watched again.
    std::fs::remove_dir_all(&vault).unwrap();
    assert!(
        !listener.reloaded(QUIET),
        "a site without content was served"
    );
    let page = get(address, "/notes/guide.html", Some(&ours));
    assert_eq!(page.status, 200);
    let (_again, copy) = copy_fixture("obsidian");
    std::fs::rename(&copy, &vault).unwrap();
    assert!(listener.reloaded(WAIT), "no reload once the root was back");
    std::fs::write(vault.join("notes/new.md"), "# New\n\nA page made later.\n").unwrap();
    assert!(
        listener.reloaded(WAIT),
        "the root made again is not watched"
    );
    let page = get(address, "/notes/new.html", Some(&ours));
    assert!(page.body.contains("A page made later."), "{}", page.body);
}

/// The command as a user runs it: it says where it serves, prints each rebuild's new and
/// fixed diagnostics, and stops on Ctrl-C, removing the folder it built into.
#[cfg(unix)]
#[test]
fn the_command_tells_what_changed_and_stops_on_ctrl_c() {
    use std::process::{Command, Stdio};
    let (_tmp, vault) = copy_fixture("obsidian");
    let mut child = Command::new(env!("CARGO_BIN_EXE_atlas-kb"))
        .args(["serve", "--port", "0", "--root"])
        .arg(&vault)
        .current_dir(&vault)
        .stderr(Stdio::piped())
        .spawn()
        .expect("atlas-kb serve starts");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            let _ = lines_tx.send(line);
        }
    });
    // The first line that `wanted` accepts, within `WAIT`; what came before it is kept.
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |wanted: &dyn Fn(&str) -> bool| -> String {
        let until = Instant::now() + WAIT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!("not seen within {WAIT:?}; saw {seen:#?}"),
            }
        }
    };
    let serving = wait_for(&|l| l.starts_with("serving http://127.0.0.1:"));
    assert!(serving.ends_with("/ (Ctrl-C to stop)"), "{serving}");
    // It builds into a folder of its own, named for its process.
    let site = std::env::temp_dir().join(format!("atlas-kb-serve-{}", child.id()));
    assert!(site.join("site/index.html").is_file(), "{}", site.display());

    let note = vault.join("notes/target.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, format!("{text}\nSee [[nowhere]].\n")).unwrap();
    let new = wait_for(&|l| l.starts_with("new: "));
    assert!(
        new.starts_with("new: notes/target.md:")
            && new.contains("[broken-link]")
            && new.contains("nowhere"),
        "{new}"
    );
    std::fs::write(&note, &text).unwrap();
    let fixed = wait_for(&|l| l.starts_with("fixed: "));
    assert_eq!(fixed, new.replacen("new: ", "fixed: ", 1));

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!site.exists(), "{} is left behind", site.display());
}

/// Whatever sequence of edits a server sees, the site it serves afterwards is byte for byte
/// what `build` makes of the same content, and its pages show the diagnostics a server
/// started afresh shows. Edits are drawn from a fixed seed: links, embeds, titles, new pages
/// (one with an ATLAS ID, so the matrix and lists change), tags, deletions, renames, and edits of
/// text alone (which change only the page, its embedders and the search data), some of
/// them moving its links and problems to other lines.
#[test]
fn after_any_edits_the_served_site_is_what_build_makes() {
    let (tmp, vault) = copy_fixture("site-basic");
    random_edits(tmp.path(), &vault, 24, 0x2545_f491_4f6c_dd1d);
}

/// The same on the default knowledge base: ATLAS pages with relations, sub-techniques,
/// tactic tables and case studies whose procedures use techniques.
#[test]
fn after_any_edits_the_served_knowledge_base_is_what_build_makes() {
    let tmp = crate::support::TempDir::new("content-edits");
    let vault = tmp.path().join("vault");
    crate::support::copy_tree(&crate::support::project().join("content"), &vault);
    random_edits(tmp.path(), &vault, 16, 0x9e37_79b9_7f4a_7c15);
}

/// Applies `edits` edits drawn from `seed` to `vault` while it is served from `tmp`,
/// comparing the served site with a build after each.
fn random_edits(tmp: &Path, vault: &Path, edits: usize, seed: u64) {
    let vault = vault.to_path_buf();
    let served = tmp.join("served");
    let address = start(&vault, served.clone());
    let mut listener = Listener::open(address);

    let mut state: u64 = seed;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let pages = |vault: &Path| -> Vec<PathBuf> {
        let mut pages: Vec<PathBuf> = crate::support::read_tree(vault)
            .into_keys()
            .filter(|p| p.ends_with(".md"))
            .map(|p| vault.join(p))
            .collect();
        pages.sort();
        pages
    };
    let stem = |page: &Path| page.file_stem().unwrap().to_string_lossy().into_owned();
    let compare = |after: &str| {
        assert_served_is_built(&vault, &served, &tmp.join(format!("fresh-{after}")));
    };
    // Every page as served, notice included, against a server that starts on the content
    // as it is now.
    let compare_served = |after: &str| {
        let fresh = start(&vault, tmp.join(format!("fresh-server-{after}")));
        let html: Vec<String> = crate::support::read_tree(&served)
            .into_keys()
            .filter(|p| p.ends_with(".html"))
            .collect();
        for path in html {
            let at = |address: SocketAddr| {
                let host = format!("127.0.0.1:{}", address.port());
                let page = get(address, &format!("/{path}"), Some(&host)).body;
                // Each server's own address is in its reload script.
                page.replace(&host, "HOST")
            };
            assert_eq!(at(address), at(fresh), "{path} as served after {after}");
        }
    };

    for i in 0..edits {
        let all = pages(&vault);
        let page = all[next(all.len())].clone();
        let other = stem(&all[next(all.len())]);
        // New pages twice as often as the other kinds: each is a case of its own.
        let edit = match next(11) {
            10 => 2,
            edit => edit,
        };
        let text = std::fs::read_to_string(&page).unwrap();
        eprintln!("edit {i}: {edit} of {}", page.display());
        match edit {
            0 => {
                let text = format!("{text}\nEdit {i} links [[{other}]].\n");
                std::fs::write(&page, text).unwrap();
            }
            1 => {
                let text = match text.find("\ntitle:") {
                    Some(at) => {
                        let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
                        format!("{}\ntitle: Retitled {i}{}", &text[..at], &text[end..])
                    }
                    None => format!("---\ntitle: Retitled {i}\n---\n{text}"),
                };
                std::fs::write(&page, text).unwrap();
            }
            2 => {
                // Beside the page drawn, or (every third time) in a folder of its own.
                let title = if i % 2 == 0 {
                    format!("AML.T09{i:02}: New {i}")
                } else {
                    format!("New note {i}")
                };
                let folder = match i % 3 {
                    0 => vault.join(format!("new-folder-{i}")),
                    _ => page.parent().unwrap().to_path_buf(),
                };
                let text = format!("---\ntitle: \"{title}\"\n---\n# {title}\n\nSee [[{other}]].\n");
                let path = folder.join(format!("new-{i}.md"));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            3 if all.len() > 6 => std::fs::remove_file(&page).unwrap(),
            4 => {
                let renamed = page.with_file_name(format!("renamed-{i}.md"));
                std::fs::rename(&page, renamed).unwrap();
            }
            5 => {
                let text = format!("{text}\n![[{other}]]\n");
                std::fs::write(&page, text).unwrap();
            }
            // A tag of its own (a second `tags:` where the page has one: front matter that
            // does not parse, until a later edit).
            9 => {
                let text = match text.strip_prefix("---\n") {
                    Some(rest) => format!("---\ntags: [edit-{i}]\n{rest}"),
                    None => format!("---\ntags: [edit-{i}]\n---\n{text}"),
                };
                std::fs::write(&page, text).unwrap();
            }
            // Text alone, at the end: new words for the search data, and an unclosed
            // link (a problem of the text, not a link) every other time.
            6 | 7 if i % 2 == 0 => {
                let text = format!("{text}\nWords of edit {i}: zebra{i} [[ open.\n");
                std::fs::write(&page, text).unwrap();
            }
            // Text alone, before the body's second paragraph (the first gives the summary):
            // every link and problem below moves.
            _ => {
                let body = match text.strip_prefix("---\n").and_then(|t| t.find("\n---\n")) {
                    Some(end) => end + 4 + 5,
                    None => 0,
                };
                let at = text[body..]
                    .match_indices("\n\n")
                    .nth(1)
                    .map_or(text.len(), |(at, _)| body + at + 2);
                let text = format!("{}Inserted by edit {i}.\n\n{}", &text[..at], &text[at..]);
                std::fs::write(&page, text).unwrap();
            }
        }
        assert!(listener.reloaded(WAIT), "no reload after edit {i} ({edit})");
        // One edit can reach the watcher as two bursts (a new folder, then the file in it):
        // the site is compared once the rebuilds have stopped.
        while listener.reloaded(Duration::from_millis(250)) {}
        compare(&format!("{} edits", i + 1));
        // After edits of text alone the served site was changed a page at a time.
        if edit >= 6 || i % 8 == 7 {
            compare_served(&format!("{} edits", i + 1));
        }
    }
}

/// A burst of a thousand changes (a branch switch, say) makes a few rebuilds, not a
/// thousand, and ends with the site `build` makes of the result.
#[test]
fn a_burst_of_changes_makes_few_rebuilds() {
    let (tmp, vault, served, mut listener) = serve_copy("site-basic");
    for i in 0..1000 {
        let text = format!("---\ntitle: Burst {i}\n---\nLinks to [[overview]].\n");
        std::fs::write(vault.join(format!("notes/burst-{i}.md")), text).unwrap();
    }
    assert!(listener.reloaded(WAIT), "no reload after the burst");
    let mut reloads = 1;
    while listener.reloaded(Duration::from_secs(2)) {
        reloads += 1;
    }
    assert!(reloads <= 10, "{reloads} rebuilds for one burst");
    assert_served_is_built(&vault, &served, &tmp.path().join("fresh"));
}

/// The home page's introduction is the root `index.md`: a page it embeds shows an edit of
/// its text there too, and a page it links shows a new title there.
#[test]
fn the_home_page_follows_the_pages_it_embeds_and_links() {
    let (tmp, vault) = copy_fixture("site-basic");
    let home = vault.join("index.md");
    let text = std::fs::read_to_string(&home).unwrap();
    std::fs::write(&home, format!("{text}\n![[notes/overview#Details]]\n")).unwrap();
    let (served, mut listener) = serve_into(&vault, tmp.path());

    let overview = vault.join("notes/overview.md");
    let text = std::fs::read_to_string(&overview).unwrap();
    let text = text.replacen(
        "## Details\n",
        "## Details\n\nA sentence for the home page.\n",
        1,
    );
    std::fs::write(&overview, &text).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after an edit");
    while listener.reloaded(Duration::from_millis(250)) {}
    let page = std::fs::read_to_string(served.join("index.html")).unwrap();
    assert!(page.contains("A sentence for the home page."), "{page}");
    assert_served_is_built(&vault, &served, &tmp.path().join("fresh-text"));

    let text = match text.find("\ntitle:") {
        Some(at) => {
            let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
            format!(
                "{}\ntitle: The overview, retitled{}",
                &text[..at],
                &text[end..]
            )
        }
        None => format!("---\ntitle: The overview, retitled\n---\n{text}"),
    };
    std::fs::write(&overview, text).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after a new title");
    while listener.reloaded(Duration::from_millis(250)) {}
    assert_served_is_built(&vault, &served, &tmp.path().join("fresh-title"));
}

/// A page hard-linked to another changes with it, though the watcher sees only the path
/// written: a site with such pages is built whole on every change.
#[cfg(unix)]
#[test]
fn a_hard_linked_page_follows_its_twin() {
    let (tmp, vault, served, mut listener) = serve_copy("site-basic");
    let note = vault.join("notes/overview.md");
    std::fs::hard_link(&note, vault.join("notes/twin.md")).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after a new page");
    while listener.reloaded(Duration::from_millis(250)) {}
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, format!("{text}\nA sentence both pages show.\n")).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after an edit");
    while listener.reloaded(Duration::from_millis(250)) {}
    let twin = std::fs::read_to_string(served.join("notes/twin.html")).unwrap();
    assert!(twin.contains("A sentence both pages show."), "{twin}");
    assert_served_is_built(&vault, &served, &tmp.path().join("fresh"));
}

/// Theme folders made after the server started are watched too: a file in a new `static/`
/// is served, and an edit of it is seen.
#[test]
fn a_theme_folder_made_later_is_watched() {
    let (tmp, vault) = copy_fixture("site-basic");
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let address = start_in(Some(&site), &vault, tmp.path().join("served"));
    let ours = format!("127.0.0.1:{}", address.port());
    let mut listener = Listener::open(address);
    for colour in ["teal", "navy"] {
        std::fs::create_dir_all(site.join("static")).unwrap();
        let css = format!("body {{ color: {colour} }}\n");
        std::fs::write(site.join("static/extra.css"), &css).unwrap();
        assert!(
            listener.reloaded(WAIT),
            "no reload after writing static/ ({colour})"
        );
        while listener.reloaded(Duration::from_millis(250)) {}
        let served = get(address, "/_atlas/extra.css", Some(&ours));
        assert_eq!((served.status, served.body), (200, css));
    }
}

/// A folder renamed rebuilds the site, and the pages in it, under its new name, are still
/// watched.
#[test]
fn a_renamed_folder_is_still_watched() {
    let (tmp, vault, served, mut listener) = serve_copy("site-basic");
    std::fs::rename(vault.join("techniques"), vault.join("attack-techniques")).unwrap();
    assert!(listener.reloaded(WAIT), "no reload after renaming a folder");
    let page = vault.join("attack-techniques/poison/poison-training-data.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, format!("{text}\nEdited after the rename.\n")).unwrap();
    assert!(
        listener.reloaded(WAIT),
        "a page in the renamed folder is not watched"
    );
    assert_served_is_built(&vault, &served, &tmp.path().join("fresh"));
    let html =
        std::fs::read_to_string(served.join("attack-techniques/poison/poison-training-data.html"))
            .unwrap();
    assert!(html.contains("Edited after the rename."));
}
