//! Report formats for diagnostics, behind one trait.

use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::Graph;
use crate::source::{LineIndex, Span};
use crate::syntax::{needs_terminal_escapes, terminal_char, terminal_safe};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
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

impl Reporter for Human {
    fn report(
        &self,
        sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_in_order(diagnostics, out, |_, run, text| {
            write_run(sources, run, text);
            Ok(())
        })
    }
}

/// Diagnostics formatted before their text is written: a few megabytes of report.
const REPORT_BATCH: usize = 8192;

/// Writes the report of `diagnostics` that `format` writes a run at a time (given the index
/// of the run's first diagnostic). Formatting is the cost of a large report, so a batch of
/// diagnostics is cut into a few runs, formatted on all cores into buffers that serve every
/// batch, and the buffers written in order: stderr is unbuffered and stdout flushes per line,
/// so writing piece by piece would cost a system call each, and the whole report at once
/// would hold it all in memory.
pub(crate) fn write_in_order<F>(
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
    format: F,
) -> io::Result<()>
where
    F: Fn(usize, &[Diagnostic], &mut Vec<u8>) -> io::Result<()> + Sync,
{
    let runs = rayon::current_num_threads() * 4;
    let mut buffers = vec![Vec::new(); runs];
    for (b, batch) in diagnostics.chunks(REPORT_BATCH).enumerate() {
        let run = batch.len().div_ceil(runs);
        batch
            .par_chunks(run)
            .zip(buffers.par_iter_mut())
            .enumerate()
            .try_for_each(|(r, (diagnostics, text))| {
                text.clear();
                format(b * REPORT_BATCH + r * run, diagnostics, text)
            })?;
        for text in &buffers[..batch.len().div_ceil(run)] {
            out.write_all(text)?;
        }
    }
    Ok(())
}

/// Formats a run of diagnostics, sorted by place: those on one line share its [`SourceLine`].
fn write_run(sources: &dyn Sources, run: &[Diagnostic], out: &mut Vec<u8>) {
    let (mut heading, mut help) = (String::new(), String::new());
    for same_line in run.chunk_by(|a, b| a.path == b.path && a.span.line == b.span.line) {
        let first = &same_line[0];
        let line = sources
            .line(&first.path, first.span.line)
            .map(SourceLine::new);
        for d in same_line {
            heading.clear();
            heading.push_str(d.severity.as_str());
            heading.push('[');
            heading.push_str(d.code.as_str());
            heading.push_str("]: ");
            d.write_message(&mut heading);
            help.clear();
            let has_help = d.write_help(&mut help);
            Snippet {
                heading: &heading,
                path: &d.path,
                span: d.span,
                width: d.width as usize,
                line: line.as_ref(),
                help: has_help.then_some(help.as_str()),
            }
            .write(out);
        }
    }
}

/// Lines of up to this many characters are shown whole under a diagnostic; a longer one is
/// shown as this many around the column, with `…` where it was cut, so that a report stays
/// linear in its diagnostics however long the lines they point into.
const SHOWN_CHARS: usize = 160;
/// Of those, how many come before the column.
const SHOWN_BEFORE: usize = 60;
/// A long line keeps the byte offset of every this-many-th character.
const STEP: usize = 256;

/// A source line to show under diagnostics. For a long line it keeps where every
/// [`STEP`]th character starts, so that each of many diagnostics on it finds its window
/// without counting the whole line again.
pub(crate) struct SourceLine<'a> {
    text: &'a str,
    chars: usize,
    steps: Vec<usize>,
}

impl<'a> SourceLine<'a> {
    pub fn new(text: &'a str) -> SourceLine<'a> {
        let chars = text.chars().count();
        let steps = if chars > SHOWN_CHARS {
            text.char_indices()
                .step_by(STEP)
                .map(|(at, _)| at)
                .collect()
        } else {
            Vec::new()
        };
        SourceLine { text, chars, steps }
    }

    /// The `count` characters from character `from` on (fewer at the line's end).
    pub fn chars_from(&self, from: usize, count: usize) -> &'a str {
        &self.text[self.byte_of(from)..self.byte_of(from.saturating_add(count))]
    }

    /// The byte offset of character `n` (the text's length for `n` past its end).
    fn byte_of(&self, n: usize) -> usize {
        if n >= self.chars {
            return self.text.len();
        }
        // A short ASCII line (the usual one) has no table: characters are bytes.
        if self.steps.is_empty() && self.chars == self.text.len() {
            return n;
        }
        let k = (n / STEP).min(self.steps.len().saturating_sub(1));
        let (from_char, from_byte) = self.steps.get(k).map_or((0, 0), |&b| (k * STEP, b));
        self.text[from_byte..]
            .char_indices()
            .nth(n - from_char)
            .map_or(self.text.len(), |(at, _)| from_byte + at)
    }
}

/// A problem shown as rustc shows one: a heading, `--> path:line:col`, the source line with
/// carets under what it is about, and a help line.
pub(crate) struct Snippet<'a> {
    pub heading: &'a str,
    pub path: &'a str,
    pub span: Span,
    /// Characters the carets cover (at least one is shown).
    pub width: usize,
    /// The text of line `span.line`, when it can be shown.
    pub line: Option<&'a SourceLine<'a>>,
    pub help: Option<&'a str>,
}

impl Snippet<'_> {
    /// Appends the snippet to `out`. Written piece by piece rather than through `write!`:
    /// a large report formats a million of these.
    pub fn write(&self, out: &mut Vec<u8>) {
        let Span { line, col } = self.span;
        let mut number = itoa::Buffer::new();
        let line_number = number.format(line);
        let gutter = line_number.len();
        let pad = |out: &mut Vec<u8>| out.resize(out.len() + gutter, b' ');
        out.extend_from_slice(terminal_safe(self.heading).as_bytes());
        out.push(b'\n');
        pad(out);
        out.extend_from_slice(b"--> ");
        out.extend_from_slice(terminal_safe(self.path).as_bytes());
        out.push(b':');
        out.extend_from_slice(line_number.as_bytes());
        out.push(b':');
        out.extend_from_slice(itoa::Buffer::new().format(col).as_bytes());
        out.push(b'\n');
        if let Some(source) = self.line {
            let column = col.saturating_sub(1) as usize;
            // The characters shown: the whole line, or a window around the column.
            let (from, to) = if source.chars <= SHOWN_CHARS {
                (0, source.chars)
            } else {
                let from = column.saturating_sub(SHOWN_BEFORE).min(source.chars);
                (from, (from + SHOWN_CHARS).min(source.chars))
            };
            let window = &source.text[source.byte_of(from)..source.byte_of(to)];
            let marked = column.saturating_sub(from)..column.saturating_sub(from) + self.width;
            pad(out);
            out.extend_from_slice(b" |\n");
            out.extend_from_slice(line_number.as_bytes());
            out.extend_from_slice(b" | ");
            let shown_from = out.len();
            // Tabs become one space and controls their escapes, with the carets moved to
            // stay under the characters they mark.
            let (mut start, mut width) = (0, 0);
            if from > 0 {
                out.extend_from_slice("…".as_bytes());
                start += 1;
            }
            if !window.contains('\t') && !needs_terminal_escapes(window) {
                // Nearly every line: shown as it is, one character per column.
                out.extend_from_slice(window.as_bytes());
                let shown_chars = to - from;
                start += marked.start.min(shown_chars);
                width = marked.end.min(shown_chars).saturating_sub(marked.start);
            } else {
                let mut shown = String::with_capacity(window.len() + 8);
                for (i, c) in window.chars().enumerate() {
                    let took = if c == '\t' {
                        shown.push(' ');
                        1
                    } else {
                        terminal_char(c, &mut shown)
                    };
                    if i < marked.start {
                        start += took;
                    } else if i < marked.end {
                        width += took;
                    }
                }
                out.extend_from_slice(shown.as_bytes());
            }
            if to < source.chars {
                out.extend_from_slice("…".as_bytes());
            }
            // No trailing white space: what was written is UTF-8 made of whole characters.
            let kept =
                std::str::from_utf8(&out[shown_from..]).map_or(0, |shown| shown.trim_end().len());
            out.truncate(shown_from + kept);
            out.push(b'\n');
            pad(out);
            out.extend_from_slice(b" | ");
            out.resize(out.len() + start, b' ');
            out.resize(out.len() + width.max(1), b'^');
            out.push(b'\n');
        }
        if let Some(help) = self.help {
            pad(out);
            out.extend_from_slice(b" = help: ");
            out.extend_from_slice(terminal_safe(help).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
}

/// The closing summary: totals, then a count per code.
pub fn summary(diagnostics: &[Diagnostic], pages: usize, out: &mut dyn Write) -> io::Result<()> {
    Counts::of(diagnostics).write(pages, out)
}

/// How many diagnostics a report has of each code, for its summary: what is kept of a
/// report printed before the work that follows it.
pub struct Counts(BTreeMap<&'static str, (Severity, usize)>);

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let mut by_code = BTreeMap::new();
        for d in diagnostics {
            by_code.entry(d.code.as_str()).or_insert((d.severity, 0)).1 += 1;
        }
        Counts(by_code)
    }

    /// The summary of `pages` pages: totals, then a count per code.
    pub fn write(&self, pages: usize, out: &mut dyn Write) -> io::Result<()> {
        let total = |level| {
            self.0
                .values()
                .filter(|(severity, _)| *severity == level)
                .map(|(_, count)| count)
                .sum::<usize>()
        };
        let (errors, warnings) = (total(Severity::Error), total(Severity::Warning));
        writeln!(
            out,
            "checked {pages} pages: {errors} {}, {warnings} {}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        )?;
        for (code, (severity, count)) in &self.0 {
            // `Severity`'s Display ignores width, so pad its text.
            let severity = severity.to_string();
            writeln!(out, "  {count:>6}  {severity:<7}  {code}")?;
        }
        Ok(())
    }
}

/// After the summary of a check against a baseline: what the baseline held back, and how
/// many of its entries no finding matches any more.
pub fn baseline_summary(matched: super::baseline::Matched, out: &mut dyn Write) -> io::Result<()> {
    let super::baseline::Matched { matched, fixed } = matched;
    writeln!(
        out,
        "baseline: {matched} {} matched and not reported; {fixed} {} fixed since{}",
        plural(matched, "finding", "findings"),
        plural(fixed, "entry", "entries"),
        if fixed > 0 {
            " (`--write-baseline` rewrites the file without them)"
        } else {
            ""
        }
    )
}

/// `one` for 1, else `many`.
pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
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
