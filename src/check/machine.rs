//! Report formats for programs: JSON, JSON Lines, GitHub Actions workflow commands and SARIF
//! 2.1.0. Each streams through a buffer, one diagnostic at a time.

use super::baseline::Occurrences;
use super::report::{Reporter, Sources};
use crate::diagnostic::{Code, Diagnostic, Severity};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::io::{self, Write};

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
    message: Cow<'a, str>,
    help: Option<Cow<'a, str>>,
}

impl<'a> JsonDiagnostic<'a> {
    fn of(d: &'a Diagnostic) -> Self {
        let end = d.end();
        JsonDiagnostic {
            code: d.code,
            severity: d.severity,
            path: &d.path,
            line: d.span.line,
            column: d.span.col,
            end_line: end.line,
            end_column: end.col,
            message: d.message(),
            help: d.help(),
        }
    }
}

/// Reports go through a buffer: stdout flushes per line, and a whole report held in memory
/// could be hundreds of megabytes.
fn buffered(out: &mut dyn Write) -> io::BufWriter<&mut dyn Write> {
    io::BufWriter::with_capacity(1 << 16, out)
}

impl Reporter for Json {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut out = buffered(out);
        let mut serializer = serde_json::Serializer::pretty(&mut out);
        (&mut serializer).collect_seq(diagnostics.iter().map(JsonDiagnostic::of))?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

impl Reporter for Jsonl {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut out = buffered(out);
        for d in diagnostics {
            serde_json::to_writer(&mut out, &JsonDiagnostic::of(d))?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}

/// A diagnostic's message with its help on a line of its own, as the CI formats show it.
fn message_with_help(d: &Diagnostic) -> Cow<'_, str> {
    match d.help() {
        Some(help) => Cow::Owned(format!("{}\nhelp: {help}", d.message())),
        None => d.message(),
    }
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner unescapes them.
fn command_data(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// A workflow command's property value: as a message, and `:` and `,` too.
fn command_property(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => command_data(c.encode_utf8(&mut [0; 4]), out),
        }
    }
}

impl Reporter for Github {
    fn report(
        &self,
        _sources: &dyn Sources,
        diagnostics: &[Diagnostic],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut out = buffered(out);
        let mut line = String::new();
        for d in diagnostics {
            let end = d.end();
            line.clear();
            line.push_str(match d.severity {
                Severity::Error => "::error file=",
                Severity::Warning | Severity::Off => "::warning file=",
            });
            command_property(&self.prefix, &mut line);
            command_property(&d.path, &mut line);
            let position = format!(
                ",line={},col={},endLine={},endColumn={},title=",
                d.span.line, d.span.col, end.line, end.col
            );
            line.push_str(&position);
            command_property(d.code.as_str(), &mut line);
            line.push_str("::");
            command_data(&message_with_help(d), &mut line);
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        out.flush()
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
        let mut out = buffered(out);
        out.write_all(before.as_bytes())?;
        out.write_all(b"\"results\": [")?;
        let made;
        let fingerprints: &[u64] = match &self.fingerprints {
            Some(given) => given,
            None => {
                let mut fingerprints = Fingerprints::default();
                fingerprints.add(sources, diagnostics);
                made = fingerprints.hashes;
                &made
            }
        };
        for (i, (d, fingerprint)) in diagnostics.iter().zip(fingerprints).enumerate() {
            let end = d.end();
            let fingerprint = format!("{fingerprint:016x}");
            let message = message_with_help(d);
            let uri = uri_path(&self.prefix, &d.path);
            let result = sarif::Result {
                rule_id: d.code.as_str(),
                rule_index: d.code as usize,
                level: sarif_level(d.severity),
                message: sarif::Text { text: &message },
                locations: [sarif::Location {
                    physical_location: sarif::PhysicalLocation {
                        artifact_location: sarif::ArtifactLocation {
                            uri: &uri,
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
                partial_fingerprints: sarif::Fingerprints { v1: &fingerprint },
            };
            // One result per line: a log of a million results stays readable line by line,
            // and costs half as much to write as indented.
            out.write_all(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            })?;
            serde_json::to_writer(&mut out, &result)?;
        }
        if !diagnostics.is_empty() {
            out.write_all(b"\n      ")?;
        }
        out.write_all(b"]")?;
        out.write_all(after.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
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
            uri.push_str(&format!("%{b:02X}"));
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
        let (key, hashes) = (&mut self.key, &mut self.hashes);
        self.occurrences
            .visit(sources, diagnostics, |d, text, occurrence| {
                key.clear();
                for part in [d.code.as_str(), &d.path, text] {
                    key.extend_from_slice(part.as_bytes());
                    key.push(0);
                }
                key.extend_from_slice(occurrence.to_string().as_bytes());
                hashes.push(xxhash_rust::xxh3::xxh3_64(key));
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
