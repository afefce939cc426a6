//! Report formats for diagnostics, behind one trait.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;
use crate::source::{LineIndex, Span};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// Where a reporter finds the text of the line a diagnostic points at. `Sync`: reporters
/// format diagnostics on several threads.
pub trait Sources: Sync {
    fn line(&self, path: &str, line: u32) -> Option<&str>;
}

impl Sources for Graph {
    fn line(&self, path: &str, line: u32) -> Option<&str> {
        let page = self.page_by_path(path)?;
        if page.source.on_disk.is_some() {
            return None;
        }
        page.source.lines.line(&page.source.text, line)
    }
}

/// Source lines of a graph whose pages may have left their texts on disk
/// ([`Texts::LinksOnly`](crate::load::Texts::LinksOnly)): the pages that diagnostics point
/// into are read again, on all cores, before the report, and only the lines pointed at are
/// kept. A page that changed since it was loaded shows no source line, since its lines may
/// no longer be the ones pointed at.
pub struct ReadAgain<'g> {
    graph: &'g Graph,
    /// Per page, the lines pointed at: (line number, text).
    lines: FxHashMap<&'g str, Vec<(u32, String)>>,
}

impl<'g> ReadAgain<'g> {
    /// `root` is the content root the graph was read from.
    pub fn new(graph: &'g Graph, root: &Path, diagnostics: &[Diagnostic]) -> Self {
        let mut wanted: Vec<(&'g str, u32)> = diagnostics
            .iter()
            .filter_map(|d| {
                let page = graph.page_by_path(&d.path)?;
                page.source.on_disk?;
                Some((page.source.path.as_str(), d.span.line))
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // One page at a time per thread, each text dropped as soon as its lines are copied,
        // so the memory one read takes serves the next.
        let lines = wanted
            .par_chunk_by(|a, b| a.0 == b.0)
            .filter_map(|wanted| {
                let path = wanted[0].0;
                let page = &graph.page_by_path(path)?.source;
                let text = crate::load::read_again(root, page)?;
                let index = LineIndex::new(&text);
                let shown = wanted
                    .iter()
                    .filter_map(|&(_, line)| Some((line, index.line(&text, line)?.to_string())))
                    .collect();
                Some((path, shown))
            })
            .collect();
        ReadAgain { graph, lines }
    }
}

impl Sources for ReadAgain<'_> {
    fn line(&self, path: &str, line: u32) -> Option<&str> {
        match self.lines.get(path) {
            Some(shown) => shown
                .iter()
                .find(|(number, _)| *number == line)
                .map(|(_, text)| text.as_str()),
            None => self.graph.line(path, line),
        }
    }
}

/// One file's text, for diagnostics about a file that is not a page (such as ATLAS.yaml).
pub struct SingleFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub lines: LineIndex,
}

impl Sources for SingleFile<'_> {
    fn line(&self, path: &str, line: u32) -> Option<&str> {
        (path == self.path)
            .then(|| self.lines.line(self.text, line))
            .flatten()
    }
}

pub trait Reporter {
    fn report(
        &self,
        sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()>;
}

/// rustc-shaped text: the message, `--> path:line:col`, the source line with carets, help.
pub struct Human;

/// A JSON array, one object per diagnostic.
pub struct Json;

impl Reporter for Human {
    fn report(
        &self,
        sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        // Formatting (each source line is copied, widths counted) is the cost, so diagnostics
        // are formatted on all cores, in order, and written at once: stderr is unbuffered and
        // stdout flushes per line, so writing piece by piece would cost a system call each.
        let texts = diagnostics
            .par_iter()
            .map(|d| {
                let mut text = Vec::new();
                write_human(sources, d, &mut text)?;
                Ok(text)
            })
            .collect::<io::Result<Vec<Vec<u8>>>>()?;
        out.write_all(&texts.concat())
    }
}

fn write_human(sources: &dyn Sources, d: &Diagnostic, out: &mut Vec<u8>) -> io::Result<()> {
    Snippet {
        heading: format!("{}[{}]: {}", d.severity, d.code, d.message),
        path: &d.path,
        span: d.span,
        width: d.width as usize,
        line: sources.line(&d.path, d.span.line),
        help: d.help.as_deref(),
    }
    .write(out)
}

/// A problem shown as rustc shows one: a heading, `--> path:line:col`, the source line with
/// carets under what it is about, and a help line.
pub(crate) struct Snippet<'a> {
    pub heading: String,
    pub path: &'a str,
    pub span: Span,
    /// Characters the carets cover (at least one is shown).
    pub width: usize,
    /// The text of line `span.line`, when it can be shown.
    pub line: Option<&'a str>,
    pub help: Option<&'a str>,
}

impl Snippet<'_> {
    pub fn write(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let Span { line, col } = self.span;
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        writeln!(out, "{}", self.heading)?;
        writeln!(out, "{pad}--> {}:{line}:{col}", self.path)?;
        if let Some(text) = self.line {
            // Tabs become one space so the carets stay under the characters they mark.
            let shown: String = text
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let len = shown.chars().count();
            let start = col.saturating_sub(1) as usize;
            let width = self.width.min(len.saturating_sub(start)).max(1);
            writeln!(out, "{pad} |")?;
            writeln!(out, "{line} | {}", shown.trim_end())?;
            writeln!(out, "{pad} | {}{}", " ".repeat(start), "^".repeat(width))?;
        }
        if let Some(help) = self.help {
            writeln!(out, "{pad} = help: {help}")?;
        }
        writeln!(out)
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: Code,
    severity: Severity,
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    help: Option<&'a str>,
}

impl Reporter for Json {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let items: Vec<JsonDiagnostic> = diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                path: &d.path,
                line: d.span.line,
                column: d.span.col,
                message: &d.message,
                help: d.help.as_deref(),
            })
            .collect();
        // Serialized whole, then written at once: stdout flushes per line.
        let mut text = serde_json::to_vec_pretty(&items)?;
        text.push(b'\n');
        out.write_all(&text)
    }
}

/// The closing summary: totals, then a count per code.
pub fn summary(diagnostics: &[Diagnostic], pages: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut by_code: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
    for d in diagnostics {
        by_code.entry(d.code.as_str()).or_insert((d.severity, 0)).1 += 1;
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    writeln!(
        out,
        "checked {pages} pages: {errors} {}, {warnings} {}",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    )?;
    for (code, (severity, count)) in by_code {
        // `Severity`'s Display ignores width, so pad its text.
        let severity = severity.to_string();
        writeln!(out, "  {count:>6}  {severity:<7}  {code}")?;
    }
    Ok(())
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages left on disk are read again as they were loaded (BOM and CRLF handled as at
    /// load), and a page changed since the load shows no line rather than a wrong one.
    #[test]
    fn lines_come_from_pages_read_again_unless_changed() {
        let dir = std::env::temp_dir().join(format!("atlas-kb-read-again-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bom = "\u{feff}---\ntitle: With a BOM\n---\n# Bom\n\nSee [[gone-bom]].\n";
        std::fs::write(dir.join("bom.md"), bom).unwrap();
        let crlf = "---\r\ntitle: With CRLF\r\n---\r\n# Crlf\r\n\r\ncafé [[gone-crlf]] x\r\n";
        std::fs::write(dir.join("crlf.md"), crlf).unwrap();

        let mut config = crate::Config::default();
        config.content.root = dir.clone();
        let mut timings = crate::timings::Timings::start();
        let loaded =
            crate::commands::load(&config, crate::load::Texts::LinksOnly, &mut timings).unwrap();
        let graph = &loaded.graph;
        let page = &graph.page_by_path("bom.md").unwrap().source;
        assert!(page.text.is_empty() && page.on_disk.is_some());
        let diagnostics = crate::check::check(graph, &crate::Rules::default());
        // Still has a line 6, so only the change itself can hide it.
        std::fs::write(dir.join("crlf.md"), "changed since the load\n".repeat(8)).unwrap();
        let sources = ReadAgain::new(graph, &loaded.root, &diagnostics);
        assert_eq!(sources.line("bom.md", 6), Some("See [[gone-bom]]."));
        assert_eq!(sources.line("crlf.md", 6), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
