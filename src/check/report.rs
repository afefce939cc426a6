//! Report formats for diagnostics, behind one trait.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::Graph;
use crate::source::LineIndex;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

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
    pub fn new(graph: &'g Graph, diagnostics: &[Diagnostic]) -> Self {
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
                let text = crate::load::read_again(&graph.root, page)?;
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
    let line_text = sources.line(&d.path, d.span.line);
    let gutter = d.span.line.to_string().len();
    let pad = " ".repeat(gutter);
    writeln!(out, "{}[{}]: {}", d.severity, d.code, d.message)?;
    writeln!(out, "{pad}--> {}:{}:{}", d.path, d.span.line, d.span.col)?;
    if let Some(text) = line_text {
        // Tabs become one space so the carets stay under the characters they mark.
        let shown: String = text
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let len = shown.chars().count() as u32;
        let start = d.span.col.saturating_sub(1);
        let width = d.width.min(len.saturating_sub(start)).max(1);
        writeln!(out, "{pad} |")?;
        writeln!(out, "{} | {}", d.span.line, shown.trim_end())?;
        writeln!(
            out,
            "{pad} | {}{}",
            " ".repeat(start as usize),
            "^".repeat(width as usize)
        )?;
    }
    if let Some(help) = &d.help {
        writeln!(out, "{pad} = help: {help}")?;
    }
    writeln!(out)
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
