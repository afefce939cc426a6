//! Report formats for programs: JSON, JSON Lines, GitHub Actions workflow commands and SARIF
//! 2.1.0. Each is formatted on all cores and written in order, a batch at a time
//! ([`write_in_order`]).

use super::baseline::Occurrences;
use super::report::{write_in_order, Reporter, Sources};
use crate::diagnostic::{Code, Diagnostic, Severity};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

/// A JSON array, one object per diagnostic.
pub struct Json;

/// JSON Lines: one object per line, for consumers that read as the report streams.
pub struct Jsonl;

/// One GitHub Actions workflow command per diagnostic (`::error file=...::message`), which
/// the runner turns into an annotation on the file.
pub struct Github {
    /// Put before each diagnostic's path (relative to the content root) to make it relative
    /// to the repository root or the current folder: `docs/kb/`, or empty.
    pub prefix: String,
}

/// A GitLab code quality report: the part of the Code Climate issue format that GitLab reads,
/// a JSON array of findings, shown in merge requests.
pub struct Gitlab {
    /// As for [`Github`].
    pub prefix: String,
    /// As for [`Sarif`].
    pub fingerprints: Option<Vec<u64>>,
}

/// A SARIF 2.1.0 log of one run.
pub struct Sarif {
    /// As for [`Github`].
    pub prefix: String,
    /// The report's fingerprints, when worked out beforehand (a slice at a time); else the
    /// reporter works them out from its sources.
    pub fingerprints: Option<Vec<u64>>,
}

/// The fields of a diagnostic as JSON and JSON Lines write them, in this order.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: Code,
    severity: Severity,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    help: Option<&'a str>,
}

/// Buffers a run of diagnostics is worded into, one diagnostic after another, so that words
/// made when printed cost no allocation each.
#[derive(Default)]
struct Words {
    message: String,
    help: String,
}

impl Words {
    /// `d`'s message and help.
    fn of(&mut self, d: &Diagnostic) -> (&str, Option<&str>) {
        self.message.clear();
        d.write_message(&mut self.message);
        self.help.clear();
        let has_help = d.write_help(&mut self.help);
        (&self.message, has_help.then_some(self.help.as_str()))
    }

    /// `d`'s message with its help on a line of its own, as the CI formats show it.
    fn with_help(&mut self, d: &Diagnostic) -> &str {
        self.message.clear();
        d.write_message(&mut self.message);
        self.help.clear();
        if d.write_help(&mut self.help) {
            self.message.push_str("\nhelp: ");
            self.message.push_str(&self.help);
        }
        &self.message
    }

    fn json<'a>(&'a mut self, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
        let end = d.end();
        let (message, help) = self.of(d);
        JsonDiagnostic {
            code: d.code,
            severity: d.severity,
            path: &d.path,
            line: d.span.line,
            column: d.span.col,
            end_line: end.line,
            end_column: end.col,
            message,
            help,
        }
    }
}

impl Reporter for Json {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        // As serde_json's pretty printer writes the whole array: each object indented a level.
        write_in_order(diagnostics, out, |first, run, text| {
            let (mut words, mut object) = (Words::default(), Vec::new());
            for (i, d) in (first..).zip(run) {
                object.clear();
                serde_json::to_writer_pretty(&mut object, &words.json(d))?;
                text.extend_from_slice(array_separator(i));
                // JSON strings hold no raw line break: every one is between two lines.
                for (k, line) in object.split(|&b| b == b'\n').enumerate() {
                    if k > 0 {
                        text.extend_from_slice(b"\n  ");
                    }
                    text.extend_from_slice(line);
                }
            }
            Ok(())
        })?;
        out.write_all(array_end(diagnostics.len()))
    }
}

/// What goes before element `i` of a JSON array laid out as serde's pretty printer lays one
/// out, each element starting on a line of its own.
fn array_separator(i: usize) -> &'static [u8] {
    if i == 0 {
        b"[\n  "
    } else {
        b",\n  "
    }
}

/// The end of such an array of `count` elements.
fn array_end(count: usize) -> &'static [u8] {
    if count == 0 {
        b"[]\n"
    } else {
        b"\n]\n"
    }
}

impl Reporter for Jsonl {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_in_order(diagnostics, out, |_, run, text| {
            let mut words = Words::default();
            for d in run {
                serde_json::to_writer(&mut *text, &words.json(d))?;
                text.push(b'\n');
            }
            Ok(())
        })
    }
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner unescapes them.
fn command_data(text: &str, out: &mut String) {
    escape(text, out, |b| match b {
        b'%' => Some("%25"),
        b'\r' => Some("%0D"),
        b'\n' => Some("%0A"),
        _ => None,
    });
}

/// A workflow command's property value: as a message, and `:` and `,` too.
fn command_property(text: &str, out: &mut String) {
    escape(text, out, |b| match b {
        b'%' => Some("%25"),
        b'\r' => Some("%0D"),
        b'\n' => Some("%0A"),
        b':' => Some("%3A"),
        b',' => Some("%2C"),
        _ => None,
    });
}

/// Appends `text` to `out` with each ASCII byte that `escaped` names replaced by its escape,
/// copying the runs between them whole.
fn escape(text: &str, out: &mut String, escaped: impl Fn(u8) -> Option<&'static str>) {
    let mut from = 0;
    for (at, b) in text.bytes().enumerate() {
        if let Some(escape) = escaped(b) {
            // `b` is ASCII, so both cuts fall between characters.
            out.push_str(&text[from..at]);
            out.push_str(escape);
            from = at + 1;
        }
    }
    out.push_str(&text[from..]);
}

impl Reporter for Github {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_in_order(diagnostics, out, |_, run, text| {
            let (mut words, mut line) = (Words::default(), String::new());
            for d in run {
                let end = d.end();
                line.clear();
                line.push_str(match d.severity {
                    Severity::Error => "::error file=",
                    Severity::Warning | Severity::Off => "::warning file=",
                });
                command_property(&self.prefix, &mut line);
                command_property(&d.path, &mut line);
                for (name, value) in [
                    (",line=", d.span.line),
                    (",col=", d.span.col),
                    (",endLine=", end.line),
                    (",endColumn=", end.col),
                ] {
                    line.push_str(name);
                    line.push_str(itoa::Buffer::new().format(value));
                }
                line.push_str(",title=");
                command_property(d.code.as_str(), &mut line);
                line.push_str("::");
                command_data(words.with_help(d), &mut line);
                line.push('\n');
                text.extend_from_slice(line.as_bytes());
            }
            Ok(())
        })
    }
}

/// Where the README's table describes every code, for SARIF rules' help links.
const CODES_HELP: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#checking");

/// The SARIF base the result paths are relative to: the repository root, or the folder
/// `check` ran in.
const SOURCE_ROOT: &str = "SRCROOT";

/// The parts of a SARIF log atlas-kb writes, in the order the specification lists them.
mod sarif {
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct Log<'a> {
        #[serde(rename = "$schema")]
        pub schema: &'static str,
        pub version: &'static str,
        pub runs: [Run<'a>; 1],
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Run<'a> {
        pub tool: Tool,
        pub column_kind: &'static str,
        /// Always empty here: the results are written after it, one at a time.
        pub results: [Result<'a>; 0],
    }

    #[derive(Serialize)]
    pub struct Tool {
        pub driver: Driver,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Driver {
        pub name: &'static str,
        pub version: &'static str,
        pub information_uri: &'static str,
        pub rules: Vec<Rule>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Rule {
        pub id: &'static str,
        pub short_description: Text<'static>,
        pub full_description: Text<'static>,
        pub default_configuration: Configuration,
        pub help_uri: &'static str,
    }

    #[derive(Serialize)]
    pub struct Configuration {
        pub level: &'static str,
    }

    #[derive(Serialize)]
    pub struct Text<'a> {
        pub text: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Result<'a> {
        pub rule_id: &'static str,
        pub rule_index: usize,
        pub level: &'static str,
        pub message: Text<'a>,
        pub locations: [Location<'a>; 1],
        pub partial_fingerprints: Fingerprints<'a>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Location<'a> {
        pub physical_location: PhysicalLocation<'a>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhysicalLocation<'a> {
        pub artifact_location: ArtifactLocation<'a>,
        pub region: Region,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ArtifactLocation<'a> {
        pub uri: &'a str,
        pub uri_base_id: &'static str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Region {
        pub start_line: u32,
        pub start_column: u32,
        pub end_line: u32,
        pub end_column: u32,
    }

    #[derive(Serialize)]
    pub struct Fingerprints<'a> {
        #[serde(rename = "atlasKb/v1")]
        pub v1: &'a str,
    }
}

impl Reporter for Sarif {
    fn report(
        &self,
        sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let rules = Code::ALL
            .iter()
            .map(|code| sarif::Rule {
                id: code.as_str(),
                short_description: sarif::Text {
                    text: code.description(),
                },
                full_description: sarif::Text {
                    text: code.explanation(),
                },
                default_configuration: sarif::Configuration {
                    level: sarif_level(code.default_severity()),
                },
                help_uri: CODES_HELP,
            })
            .collect();
        let log = sarif::Log {
            schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
            version: "2.1.0",
            runs: [sarif::Run {
                tool: sarif::Tool {
                    driver: sarif::Driver {
                        name: "atlas-kb",
                        version: env!("CARGO_PKG_VERSION"),
                        information_uri: env!("CARGO_PKG_REPOSITORY"),
                        rules,
                    },
                },
                column_kind: "unicodeCodePoints",
                results: [],
            }],
        };
        // The log is written around its results, which stream one at a time.
        let head = serde_json::to_string_pretty(&log)?;
        let (before, after) = head
            .split_once("\"results\": []")
            .ok_or_else(|| io::Error::other("the SARIF log has no results"))?;
        out.write_all(before.as_bytes())?;
        out.write_all(b"\"results\": [")?;
        let fingerprints = given_or_made(&self.fingerprints, sources, diagnostics);
        write_in_order(diagnostics, out, |first, run, text| {
            let (mut words, mut located) = (Words::default(), Located::default());
            for (i, d) in (first..).zip(run) {
                let end = d.end();
                let (fingerprint, uri) =
                    located.of(&fingerprints, i, d, |path| uri_path(&self.prefix, path));
                let result = sarif::Result {
                    rule_id: d.code.as_str(),
                    rule_index: d.code as usize,
                    level: sarif_level(d.severity),
                    message: sarif::Text {
                        text: words.with_help(d),
                    },
                    locations: [sarif::Location {
                        physical_location: sarif::PhysicalLocation {
                            artifact_location: sarif::ArtifactLocation {
                                uri,
                                uri_base_id: SOURCE_ROOT,
                            },
                            region: sarif::Region {
                                start_line: d.span.line,
                                start_column: d.span.col,
                                end_line: end.line,
                                // SARIF's end column is the one after the region.
                                end_column: end.col + 1,
                            },
                        },
                    }],
                    partial_fingerprints: sarif::Fingerprints { v1: fingerprint },
                };
                // One result per line: a log of a million results stays readable line by
                // line, and costs half as much to write as indented.
                text.extend_from_slice(if i == 0 {
                    b"\n        "
                } else {
                    b",\n        "
                });
                serde_json::to_writer(&mut *text, &result)?;
            }
            Ok(())
        })?;
        if !diagnostics.is_empty() {
            out.write_all(b"\n      ")?;
        }
        out.write_all(b"]")?;
        out.write_all(after.as_bytes())?;
        out.write_all(b"\n")
    }
}

/// The fingerprints worked out beforehand, else those of `diagnostics` from `sources`.
fn given_or_made<'a>(
    given: &'a Option<Vec<u64>>,
    sources: &dyn Sources,
    diagnostics: &[Diagnostic],
) -> Cow<'a, [u64]> {
    match given {
        Some(given) => Cow::Borrowed(given),
        None => {
            let mut fingerprints = Fingerprints::default();
            fingerprints.add(sources, diagnostics);
            Cow::Owned(fingerprints.hashes)
        }
    }
}

/// What SARIF and GitLab write of where each diagnostic of a run is: its fingerprint, and its
/// file's path as the report writes it, made once per file (diagnostics come by file).
#[derive(Default)]
struct Located {
    fingerprint: String,
    file: Option<(Arc<str>, String)>,
}

impl Located {
    /// The fingerprint of diagnostic `d`, the `i`th of the report, and its path as `write`
    /// writes it.
    fn of(
        &mut self,
        fingerprints: &[u64],
        i: usize,
        d: &Diagnostic,
        write: impl FnOnce(&str) -> String,
    ) -> (&str, &str) {
        self.fingerprint.clear();
        let hash = fingerprints.get(i).copied().unwrap_or(0);
        let _ = write!(self.fingerprint, "{hash:016x}");
        if !matches!(&self.file, Some((at, _)) if Arc::ptr_eq(at, &d.path)) {
            self.file = Some((d.path.clone(), write(&d.path)));
        }
        let path = self.file.as_ref().map_or("", |(_, path)| path.as_str());
        (&self.fingerprint, path)
    }
}

/// One finding as GitLab's code quality report has it.
#[derive(Serialize)]
struct CodeQualityIssue<'a> {
    description: &'a str,
    check_name: &'static str,
    /// Unique per finding: GitLab shows one finding per fingerprint.
    fingerprint: &'a str,
    severity: &'static str,
    location: CodeQualityLocation<'a>,
}

#[derive(Serialize)]
struct CodeQualityLocation<'a> {
    /// Relative to the repository root, as GitLab links it to the file.
    path: &'a str,
    lines: CodeQualityLines,
}

#[derive(Serialize)]
struct CodeQualityLines {
    begin: u32,
    end: u32,
}

impl Reporter for Gitlab {
    fn report(
        &self,
        sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let fingerprints = given_or_made(&self.fingerprints, sources, diagnostics);
        write_in_order(diagnostics, out, |first, run, text| {
            let (mut words, mut located) = (Words::default(), Located::default());
            for (i, d) in (first..).zip(run) {
                let (fingerprint, path) =
                    located.of(&fingerprints, i, d, |path| format!("{}{path}", self.prefix));
                let issue = CodeQualityIssue {
                    description: words.with_help(d),
                    check_name: d.code.as_str(),
                    fingerprint,
                    // GitLab's scale is info, minor, major, critical, blocker: an error
                    // fails the run, so it ranks above a warning, and neither claims more.
                    severity: match d.severity {
                        Severity::Error => "major",
                        Severity::Warning | Severity::Off => "minor",
                    },
                    location: CodeQualityLocation {
                        path,
                        lines: CodeQualityLines {
                            begin: d.span.line,
                            end: d.end().line,
                        },
                    },
                };
                text.extend_from_slice(array_separator(i));
                serde_json::to_writer(&mut *text, &issue)?;
            }
            Ok(())
        })?;
        out.write_all(array_end(diagnostics.len()))
    }
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Off => "none",
    }
}

/// `prefix` and `path` (`/`-separated, relative) as a URI reference: each byte a URI cannot
/// hold as it is percent-encoded.
fn uri_path(prefix: &str, path: &str) -> String {
    let mut uri = String::with_capacity(prefix.len() + path.len());
    for b in prefix.bytes().chain(path.bytes()) {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            uri.push(b as char);
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri
}

/// SARIF's `partialFingerprints` of a report, worked out a slice at a time: each finding's
/// identity (its code, file, the text under its span and its occurrence, see
/// [`Occurrences`]) as a short stable hash.
#[derive(Default)]
pub struct Fingerprints<'d> {
    occurrences: Occurrences<'d>,
    hashes: Vec<u64>,
    key: Vec<u8>,
}

impl<'d> Fingerprints<'d> {
    /// The fingerprints so far, in report order.
    pub fn into_hashes(self) -> Vec<u64> {
        self.hashes
    }

    /// Adds the fingerprints of the next diagnostics of the report.
    pub fn add(&mut self, sources: &dyn Sources, diagnostics: &'d [Diagnostic]) {
        // Occurrences are counted within a file, so files are worked out on all cores, each
        // counted afresh, but for the file the previous slice ended in, whose count goes on.
        let carried = diagnostics
            .iter()
            .position(|d| self.occurrences.file() != Some(&*d.path))
            .unwrap_or(diagnostics.len());
        let (goes_on, rest) = diagnostics.split_at(carried);
        let (key, hashes) = (&mut self.key, &mut self.hashes);
        self.occurrences
            .visit(sources, goes_on, |d, text, occurrence| {
                hashes.push(fingerprint(key, d, text, occurrence));
            });
        let runs = by_files(rest, rayon::current_num_threads() * 4);
        let done: Vec<(Occurrences<'d>, Vec<u64>)> = runs
            .into_par_iter()
            .map(|run| {
                let (mut occurrences, mut key) = (Occurrences::default(), Vec::new());
                let mut hashes = Vec::with_capacity(run.len());
                occurrences.visit(sources, run, |d, text, occurrence| {
                    hashes.push(fingerprint(&mut key, d, text, occurrence));
                });
                (occurrences, hashes)
            })
            .collect();
        for (occurrences, hashes) in done {
            // The last run's count is the one the next slice may go on with.
            self.occurrences = occurrences;
            self.hashes.extend(hashes);
        }
    }
}

/// A finding's fingerprint: its identity's parts, hashed (`key` is a buffer to reuse).
fn fingerprint(key: &mut Vec<u8>, d: &Diagnostic, text: &str, occurrence: u32) -> u64 {
    key.clear();
    for part in [d.code.as_str(), &d.path, text] {
        key.extend_from_slice(part.as_bytes());
        key.push(0);
    }
    key.extend_from_slice(itoa::Buffer::new().format(occurrence).as_bytes());
    xxhash_rust::xxh3::xxh3_64(key)
}

/// `diagnostics` (by file) cut into about `count` runs of whole files.
fn by_files(diagnostics: &[Diagnostic], count: usize) -> Vec<&[Diagnostic]> {
    let size = diagnostics.len().div_ceil(count.max(1)).max(1);
    let mut runs = Vec::new();
    let mut rest = diagnostics;
    while !rest.is_empty() {
        let mut end = size.min(rest.len());
        while end < rest.len() && rest[end].path == rest[end - 1].path {
            end += 1;
        }
        let (run, after) = rest.split_at(end);
        runs.push(run);
        rest = after;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use std::borrow::Cow;

    /// No source lines: the machine formats need none.
    struct NoLines;

    impl Sources for NoLines {
        fn line(&self, _: &str, _: u32) -> Option<&str> {
            None
        }
    }

    /// Enough diagnostics to be formatted in several batches of several runs, some with
    /// help, on a few files.
    fn many() -> Vec<Diagnostic> {
        (0..20_011u32)
            .map(|i| {
                let d = Diagnostic::new(
                    Code::BrokenLink,
                    &format!("notes/{}.md", i / 1000),
                    Span::new(i % 1000 + 1, 3),
                    5,
                    format!("no page matches `gone-{i}`"),
                );
                if i % 3 == 0 {
                    d.with_help(format!("did you mean `kept-{i}`?"))
                } else {
                    d
                }
            })
            .collect()
    }

    fn written(reporter: &dyn Reporter, diagnostics: &[Diagnostic]) -> String {
        let mut out = Vec::new();
        reporter.report(&NoLines, diagnostics, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every line the same, so that findings on a file share their text and only their
    /// occurrence tells them apart.
    struct SameLine;

    impl Sources for SameLine {
        fn line(&self, _: &str, _: u32) -> Option<&str> {
            Some("a [[gone]] b")
        }
    }

    /// Fingerprints worked out on several threads, whole or a slice at a time (a slice may
    /// end inside a file), are those of one pass in report order.
    #[test]
    fn fingerprints_are_the_same_however_the_report_is_cut() {
        let diagnostics = many();
        let mut one_pass = Vec::new();
        let mut key = Vec::new();
        Occurrences::default().visit(&SameLine, &diagnostics, |d, text, occurrence| {
            assert_eq!(text, "[[gon");
            one_pass.push(fingerprint(&mut key, d, text, occurrence));
        });
        for slice in [diagnostics.len(), 7_001, 999, 1] {
            let mut fingerprints = Fingerprints::default();
            for part in diagnostics.chunks(slice) {
                fingerprints.add(&SameLine, part);
            }
            assert!(fingerprints.into_hashes() == one_pass, "slices of {slice}");
        }
        let distinct: std::collections::HashSet<_> = one_pass.iter().collect();
        assert_eq!(distinct.len(), one_pass.len());
    }

    /// Formatted a run at a time on several threads, the report is what one pass of serde's
    /// pretty printer over the whole array would write, and each line of JSON Lines is one
    /// diagnostic, in order.
    #[test]
    fn reports_formatted_in_runs_read_as_one_document() {
        let diagnostics = many();
        let words: Vec<(String, Option<String>)> = diagnostics
            .iter()
            .map(|d| (d.message().into_owned(), d.help().map(Cow::into_owned)))
            .collect();
        let objects: Vec<JsonDiagnostic> = diagnostics
            .iter()
            .zip(&words)
            .map(|(d, (message, help))| JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                path: &d.path,
                line: d.span.line,
                column: d.span.col,
                end_line: d.end().line,
                end_column: d.end().col,
                message,
                help: help.as_deref(),
            })
            .collect();
        let whole = serde_json::to_string_pretty(&objects).unwrap() + "\n";
        // Not `assert_eq!`: the report is megabytes.
        assert!(written(&Json, &diagnostics) == whole);
        assert_eq!(written(&Json, &[]), "[]\n");
        let lines: Vec<String> = objects
            .iter()
            .map(|o| serde_json::to_string(o).unwrap() + "\n")
            .collect();
        assert!(written(&Jsonl, &diagnostics) == lines.concat());
        let sarif: serde_json::Value = serde_json::from_str(&written(
            &Sarif {
                prefix: String::new(),
                fingerprints: None,
            },
            &diagnostics,
        ))
        .unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), diagnostics.len());
        let last = &results[20_010]["locations"][0]["physicalLocation"];
        assert_eq!(last["artifactLocation"]["uri"], "notes/20.md");
        assert_eq!(last["region"]["startLine"], 11);
        let github = written(
            &Github {
                prefix: String::new(),
            },
            &diagnostics,
        );
        assert_eq!(github.lines().count(), diagnostics.len());
        assert!(
            github.ends_with("::no page matches `gone-20010`%0Ahelp: did you mean `kept-20010`?\n")
        );
    }

    #[test]
    fn workflow_command_values_are_escaped_as_the_runner_reads_them() {
        let mut data = String::new();
        command_data("50% a:b, c\r\nd", &mut data);
        assert_eq!(data, "50%25 a:b, c%0D%0Ad");
        let mut property = String::new();
        command_property("50% a:b, c\r\nd", &mut property);
        assert_eq!(property, "50%25 a%3Ab%2C c%0D%0Ad");
    }

    #[test]
    fn rule_indexes_are_positions_in_the_rule_list() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i, "{code}");
        }
    }

    #[test]
    fn uri_paths_encode_what_a_uri_cannot_hold() {
        assert_eq!(uri_path("", "guide/a b#c%.md"), "guide/a%20b%23c%25.md");
        assert_eq!(
            uri_path("../kb/", "notes/café.md"),
            "../kb/notes/caf%C3%A9.md"
        );
    }
}
