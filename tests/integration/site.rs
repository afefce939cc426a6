//! Reads a built site the way a browser would: every internal `href`/`src` (and redirect
//! target) must reach a file, and every `#fragment` an element with that id.

use scraper::{Html, Selector};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The built site: HTML files parsed once.
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
    pub html: HashMap<String, Html>,
}

impl Site {
    pub fn read(root: &Path) -> Site {
        let files = crate::support::read_tree(root);
        let html = files
            .iter()
            .filter(|(p, _)| p.ends_with(".html"))
            .map(|(p, b)| (p.clone(), Html::parse_document(&String::from_utf8_lossy(b))))
            .collect();
        Site { files, html }
    }

    pub fn page(&self, path: &str) -> &Html {
        self.html
            .get(path)
            .unwrap_or_else(|| panic!("no page {path} in the site"))
    }

    /// `(href, text)` of each `<a>` in `path`'s article body matching `selector`.
    pub fn links(&self, path: &str, selector: &str) -> Vec<(String, String)> {
        let sel = Selector::parse(selector).expect("selector");
        self.page(path)
            .select(&sel)
            .map(|a| {
                (
                    a.value().attr("href").unwrap_or("").to_string(),
                    a.text().collect::<String>(),
                )
            })
            .collect()
    }

    /// The text of each element `selector` picks in `path`: a space between its text nodes,
    /// whitespace made single spaces.
    pub fn texts(&self, path: &str, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("selector");
        self.page(path)
            .select(&sel)
            .map(|e| e.text().collect::<Vec<_>>().join(" "))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// Every internal link that misses a file or an id: `(page, url, why)`.
    pub fn dead_links(&self) -> Vec<(String, String, &'static str)> {
        let urls = Selector::parse("a[href], link[href], script[src], img[src], meta[http-equiv]")
            .expect("selector");
        let mut ids: HashMap<&str, HashSet<String>> = HashMap::new();
        let any_id = Selector::parse("[id]").expect("selector");
        for (path, doc) in &self.html {
            let set = doc
                .select(&any_id)
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect();
            ids.insert(path.as_str(), set);
        }
        let mut dead = Vec::new();
        for (path, doc) in &self.html {
            for element in doc.select(&urls) {
                let v = element.value();
                let url = match v.name() {
                    "meta" => match v.attr("content").and_then(|c| c.split_once("url=")) {
                        Some((_, u)) => u.to_string(),
                        None => continue,
                    },
                    _ => v.attr("href").or(v.attr("src")).unwrap_or("").to_string(),
                };
                if is_external(&url) {
                    continue;
                }
                let (file, fragment) = match url.split_once('#') {
                    Some((f, frag)) => (f, Some(frag)),
                    None => (url.as_str(), None),
                };
                let target = if file.is_empty() {
                    path.clone()
                } else {
                    join(path, &percent_decode(file))
                };
                if !self.files.contains_key(&target) {
                    dead.push((path.clone(), url.clone(), "no such file"));
                    continue;
                }
                if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                    let found = ids
                        .get(target.as_str())
                        .is_some_and(|set| set.contains(&percent_decode(fragment)));
                    if !found {
                        dead.push((path.clone(), url.clone(), "no element with that id"));
                    }
                }
            }
        }
        dead.sort();
        dead
    }

    /// `(page, url)` of everything a browser would fetch from the network on its own:
    /// scripts, stylesheets, images, frames, media.
    pub fn network_resources(&self) -> Vec<(String, String)> {
        let sel = Selector::parse("script[src], link[href], img[src], iframe[src], source[src], video[src], audio[src], object[data], embed[src]")
            .expect("selector");
        let mut found = Vec::new();
        for (path, doc) in &self.html {
            for e in doc.select(&sel) {
                let v = e.value();
                let url = v
                    .attr("src")
                    .or(v.attr("href"))
                    .or(v.attr("data"))
                    .unwrap_or("");
                if is_external(url) {
                    found.push((path.clone(), url.to_string()));
                }
            }
        }
        found.sort();
        found
    }

    /// `(page, title)` of every link rendered as broken.
    pub fn broken_links(&self) -> Vec<(String, String)> {
        let sel = Selector::parse("span.broken-link").expect("selector");
        let mut found: Vec<(String, String)> = self
            .html
            .iter()
            .flat_map(|(path, doc)| {
                doc.select(&sel)
                    .map(|e| {
                        (
                            path.clone(),
                            e.value().attr("title").unwrap_or("").to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        found.sort();
        found
    }
}

fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        })
}

/// Resolves a relative URL path against the page it appears in.
fn join(page: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for part in rel.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
