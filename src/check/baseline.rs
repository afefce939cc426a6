//! Baselines: the findings a team has accepted for now, so that `check` in CI fails only on
//! new ones. A finding is known by its [`Identity`], which edits elsewhere in its file leave
//! alone; the file (JSON) lists identities sorted, one per line, to be reviewed in a pull
//! request.

use super::report::{SourceLine, Sources};
use crate::diagnostic::{Code, Diagnostic};
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// What a finding is, whatever line it is on: its code, its file, the text it points at, and
/// how many findings before it in the file share those three. Edits elsewhere in the file
/// (or on other findings' lines) leave it unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Its file, relative to the content root, first: the file sorts by it.
    pub path: String,
    #[serde(with = "code_name")]
    pub code: Code,
    /// The source text under the span, or the message where no line can be shown.
    pub text: String,
    /// 0 for the first such finding in the file, 1 for the next, ...
    pub occurrence: u32,
}

/// A code as its name in the file.
mod code_name {
    use crate::diagnostic::Code;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
        code.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Counts findings that share a file, a code and a text, so that each gets its occurrence.
/// Fed the report in order, whole or a slice at a time.
#[derive(Default)]
pub struct Occurrences<'d> {
    /// In the current file: (code, hash of the text) -> findings seen so far.
    seen: FxHashMap<(Code, u64), u32>,
    file: Option<&'d str>,
}

impl<'d> Occurrences<'d> {
    /// The file the findings counted so far are in.
    pub fn file(&self) -> Option<&'d str> {
        self.file
    }

    /// Visits each diagnostic of `diagnostics` (the next ones in report order: by file, then
    /// position) with the text it points at and its occurrence: how many findings before it
    /// in its file share its code and text. Each source line is indexed once for all the
    /// diagnostics on it, so that many on one long line cost no more than the line.
    pub fn visit(
        &mut self,
        sources: &dyn Sources,
        diagnostics: &'d [Diagnostic],
        mut visit: impl FnMut(&'d Diagnostic, &str, u32),
    ) {
        for same_line in diagnostics.chunk_by(|a, b| a.path == b.path && a.span.line == b.span.line)
        {
            let first = &same_line[0];
            if self.file != Some(&*first.path) {
                self.seen.clear();
                self.file = Some(&first.path);
            }
            let line = sources
                .line(&first.path, first.span.line)
                .map(SourceLine::new);
            for d in same_line {
                let column = d.span.col.saturating_sub(1) as usize;
                let under = line
                    .as_ref()
                    .map(|line| line.chars_from(column, d.width.max(1) as usize))
                    .filter(|text| !text.is_empty());
                let message;
                let text = match under {
                    Some(text) => text,
                    None => {
                        message = d.message();
                        &message
                    }
                };
                let count = self
                    .seen
                    .entry((d.code, xxhash_rust::xxh3::xxh3_64(text.as_bytes())))
                    .or_insert(0);
                visit(d, text, *count);
                *count += 1;
            }
        }
    }
}

/// The identity of each diagnostic, in report order.
pub fn identities(sources: &dyn Sources, diagnostics: &[Diagnostic]) -> Vec<Identity> {
    let mut found = Vec::with_capacity(diagnostics.len());
    Occurrences::default().visit(sources, diagnostics, |d, text, occurrence| {
        found.push(Identity {
            path: d.path.to_string(),
            code: d.code,
            text: text.to_string(),
            occurrence,
        })
    });
    found
}

/// The version a baseline file is written in.
const VERSION: u32 = 1;

/// A baseline file as JSON: its version, then the findings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "atlas-kb-baseline")]
    version: u32,
    findings: Vec<Identity>,
}

/// The findings of a baseline file, each with how many times it is listed.
#[derive(Debug, Default)]
pub struct Baseline {
    entries: HashMap<Identity, u32>,
}

/// What a baseline did to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// Findings that are in the baseline, and so not reported.
    pub matched: usize,
    /// Baseline entries that no finding matched: fixed since it was written.
    pub fixed: usize,
}

impl Baseline {
    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io("cannot read baseline", path, e))?;
        let not_ours = |why: String| {
            Error::Usage(format!(
                "`{}` is not a baseline that `atlas-kb check --write-baseline` writes: {why}",
                path.display()
            ))
        };
        let file: File = serde_json::from_str(&text).map_err(|e| not_ours(e.to_string()))?;
        if file.version != VERSION {
            return Err(not_ours(format!(
                "it is of version {}, this atlas-kb reads version {VERSION}",
                file.version
            )));
        }
        let mut entries = HashMap::new();
        for identity in file.findings {
            *entries.entry(identity).or_insert(0) += 1;
        }
        Ok(Baseline { entries })
    }

    /// Writes the findings `identities` as a baseline file: JSON with one finding per line,
    /// sorted, so that a change to it reads well as a diff.
    pub fn write(path: &Path, identities: &[Identity]) -> Result<()> {
        let mut sorted: Vec<&Identity> = identities.iter().collect();
        sorted.sort();
        let mut text = Vec::with_capacity(96 * sorted.len() + 64);
        write!(text, "{{\"atlas-kb-baseline\": {VERSION}, \"findings\": [").expect("in memory");
        for (i, identity) in sorted.iter().enumerate() {
            text.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut text, identity).expect("an identity serializes");
        }
        text.extend_from_slice(b"\n]}\n");
        std::fs::write(path, text).map_err(|e| Error::io("cannot write baseline", path, e))
    }

    /// Leaves in `diagnostics` only the findings the baseline does not hold (`identities`
    /// are theirs, in the same order), and says how many it held and how many of its
    /// entries are fixed now.
    pub fn filter(
        mut self,
        diagnostics: &mut Vec<Diagnostic>,
        identities: Vec<Identity>,
    ) -> Matched {
        let mut matched = 0;
        let mut keep =
            identities
                .into_iter()
                .map(|identity| match self.entries.get_mut(&identity) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        matched += 1;
                        false
                    }
                    _ => true,
                });
        diagnostics.retain(|_| keep.next().unwrap_or(true));
        Matched {
            matched,
            fixed: self.entries.values().map(|&left| left as usize).sum(),
        }
    }
}
