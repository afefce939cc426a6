//! The default theme, compiled into the binary, with per-file overrides from a site's own
//! `templates/` and `static/` folders (the built-ins are loaded first, then any file of the
//! same name replaces its built-in).

use crate::error::{Error, Result};
use std::path::Path;

/// Built-in templates: (name, source).
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("matrix.html", include_str!("../../templates/matrix.html")),
    (
        "matrix-column.html",
        include_str!("../../templates/matrix-column.html"),
    ),
    ("list.html", include_str!("../../templates/list.html")),
    ("tags.html", include_str!("../../templates/tags.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("folder.html", include_str!("../../templates/folder.html")),
    (
        "breadcrumb.html",
        include_str!("../../templates/breadcrumb.html"),
    ),
    (
        "redirect.html",
        include_str!("../../templates/redirect.html"),
    ),
];

/// Built-in static files: (name, bytes).
const STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../static/style.css")),
    ("search.js", include_bytes!("../../static/search.js")),
];

pub struct Theme {
    pub tera: tera::Tera,
    /// Static files to write under the theme folder, built-ins overridden and extended.
    pub static_files: Vec<(String, Vec<u8>)>,
    /// What every template gets (`site`).
    pub context: tera::Context,
    /// The site's address, for the links that must be absolute.
    pub base_url: Option<String>,
}

impl Theme {
    /// The built-in theme with overrides from `site/templates/` and `site/static/`, giving
    /// every template `context`.
    pub fn load(
        site: Option<&Path>,
        context: tera::Context,
        base_url: Option<String>,
    ) -> Result<Theme> {
        let mut sources: Vec<(String, String)> = TEMPLATES
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut static_files: Vec<(String, Vec<u8>)> = STATIC
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect();
        if let Some(site) = site {
            for (name, bytes) in read_folder(&site.join("templates"))? {
                let text = String::from_utf8(bytes)
                    .map_err(|_| Error::Template(format!("templates/{name} is not UTF-8")))?;
                match sources.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = text,
                    None => sources.push((name, text)),
                }
            }
            for (name, bytes) in read_folder(&site.join("static"))? {
                match static_files.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = bytes,
                    None => static_files.push((name, bytes)),
                }
            }
        }
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        // Tera's default also escapes `/`, which bloats every URL; this one escapes what HTML
        // text and quoted attributes need.
        tera.set_escape_fn(super::markdown::escape);
        tera.add_raw_templates(sources)
            .map_err(|e| Error::Template(describe(&e)))?;
        static_files.sort();
        Ok(Theme {
            tera,
            static_files,
            context,
            base_url,
        })
    }

    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String> {
        self.tera
            .render(name, context)
            .map_err(|e| Error::Template(describe(&e)))
    }

    /// Renders into `out`, cleared first, so that a caller rendering many pages can reuse one
    /// buffer.
    pub fn render_into(
        &self,
        name: &str,
        context: &tera::Context,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        out.clear();
        self.tera
            .render_to(name, context, &mut *out)
            .map_err(|e| Error::Template(describe(&e)))
    }
}

/// Tera's errors nest their cause; users need the whole chain.
fn describe(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Files directly in `folder` (not recursive, no dot files), sorted; none if it is missing.
fn read_folder(folder: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot list", folder, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        files.push((name, bytes));
    }
    files.sort();
    Ok(files)
}
