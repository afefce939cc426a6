//! `ATLAS.yaml` -> pages in the seed format.
//!
//! The steps run one way: [`parse`] turns the YAML into typed objects (problems with single
//! objects become diagnostics at their line in the YAML), [`pages`] resolves the references
//! between objects and renders one page per object with every relation on both sides, and
//! [`write`] checks every target before writing anything, so that files import did not write
//! are never replaced unless the user forces it.
//!
//! Pages land under `<out>/frameworks/atlas/`, in the first folder the vocabulary gives each
//! kind (`tactics/`, `techniques/<first tactic>/` with sub-techniques in a folder named after
//! their parent, `mitigations/`, `case-studies/` by default), with the section names and
//! metadata keys the vocabulary lists first.

mod locate;
mod pages;
mod parse;
mod text;
mod write;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::vocabulary::{PageKind, Vocabulary};
use std::fs;
use std::path::PathBuf;

/// What to import and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The `ATLAS.yaml` file.
    pub input: PathBuf,
    /// The folder the pages go under.
    pub out: PathBuf,
    /// Replace files at target paths even when import did not write them.
    pub force: bool,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Pages written per kind, always in this order: tactics, techniques, sub-techniques,
    /// mitigations, case studies.
    pub counts: Vec<(PageKind, usize)>,
    /// Every page written, relative to the output folder, sorted.
    pub written: Vec<PathBuf>,
    /// Problems in the data; `path` is the input file as given, spans are YAML lines.
    pub diagnostics: Vec<Diagnostic>,
}

/// Imports `opts.input` into `opts.out`. A file that is not ATLAS data, an unreadable input,
/// a refused overwrite or a failed write is an [`Error`]; problems with single objects are
/// diagnostics in the report, and the other objects are still written.
pub fn import(opts: &ImportOptions, vocabulary: &Vocabulary) -> Result<ImportReport> {
    let bytes = fs::read(&opts.input).map_err(|e| Error::io("read", &opts.input, e))?;
    let file = opts.input.display().to_string();
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Import(format!("`{file}` is not ATLAS data: it is not UTF-8 text")))?;
    let (pages, diagnostics) = pages_from_text(&text, &file, vocabulary)?;

    write::write_pages(&opts.out, &pages, opts.force)?;

    let counts = PageKind::ALL
        .iter()
        .filter(|&&k| k != PageKind::Note)
        .map(|&k| (k, pages.iter().filter(|p| p.kind == k).count()))
        .collect();
    let mut written: Vec<PathBuf> = pages
        .iter()
        .map(|p| p.path.split('/').collect::<PathBuf>())
        .collect();
    written.sort();
    Ok(ImportReport {
        counts,
        written,
        diagnostics,
    })
}

/// The pages the ATLAS data `text` (read from `file`) becomes, and the problems with single
/// objects, sorted.
pub(crate) fn pages_from_text(
    text: &str,
    file: &str,
    vocabulary: &Vocabulary,
) -> Result<(Vec<pages::Page>, Vec<Diagnostic>)> {
    let (data, mut diagnostics) = parse::parse(text, file)?;
    let (pages, more) = pages::build(&data, file, vocabulary);
    diagnostics.extend(more);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((pages, diagnostics))
}

#[cfg(test)]
mod tests;
