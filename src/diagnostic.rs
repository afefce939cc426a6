//! Content problems. Every stage may find some; they are collected, never `?`-propagated,
//! and reported together by `check` (and `build`).

use crate::source::Span;
use serde::Serialize;
use std::fmt;

/// How much a diagnostic matters. `Off` hides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not reported.
    Off,
    /// Reported; fails a run only when warnings are denied.
    Warning,
    /// Reported, and fails the run.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Off => "off",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    /// `error`, `warning` or `off` (`warn` and `allow` are accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            "off" | "allow" => Ok(Severity::Off),
            other => Err(format!(
                "unknown level `{other}`: a level is \"error\", \"warning\" or \"off\""
            )),
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $level:ident, $doc:literal; )*) => {
        /// The stable code of each kind of diagnostic, with its default level.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( #[doc = $doc] $variant, )* }

        impl Code {
            /// Every code, in a fixed order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in reports and settings (`broken-link`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The level the code is reported at unless the settings say otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$level,)* }
            }

            /// What the code reports, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    BrokenLink = "broken-link", Error, "a link whose target is no page or file";
    BrokenAnchor = "broken-anchor", Error, "a link to a heading or block id its target does not have";
    AmbiguousLink = "ambiguous-link", Warning, "several pages tie for a link; the one spelt as written, else the first by path, was taken";
    MalformedLink = "malformed-link", Error, "link syntax that is not a link: unterminated, empty, unopened, or a bare wiki link in front matter";
    TablePipe = "table-pipe", Warning, "an unescaped `|` in a wiki link inside a table row, which splits the cell";
    UnsafeLink = "unsafe-link", Warning, "a link with a scheme other than `http:`, `https:` or `mailto:`, rendered as text";
    UnknownId = "unknown-id", Error, "a route link to an ATLAS ID no page has";
    DuplicateId = "duplicate-id", Error, "two pages claim the same ATLAS ID";
    InvalidFrontMatter = "invalid-front-matter", Error, "front matter that is not valid YAML, not terminated, or has a repeated key";
    UnreadableFile = "unreadable-file", Error, "a file that could not be read or is not UTF-8";
    LabelIdMismatch = "label-id-mismatch", Warning, "a link label names one ATLAS ID but links a page with another";
    AsymmetricRelation = "asymmetric-relation", Warning, "a relation listed on one side only";
    MissingParentPage = "missing-parent-page", Warning, "a sub-technique whose parent technique has no page";
    OrphanPage = "orphan-page", Off, "a page no other page links to";
    ActiveAsset = "active-asset", Warning, "an attachment that can run script when opened (HTML, JavaScript, an SVG with script); it is not published unless the settings allow it";
    ReservedPath = "reserved-path", Warning, "a content file that would land where the build writes its own (the theme's `_atlas/` folder, a generated page); it is not published";
    InvalidAtlasData = "invalid-atlas-data", Error, "an object in ATLAS.yaml that import cannot use as given: a missing or mistyped field, an unknown object type, a duplicate ID or a reference to no object";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown diagnostic code `{s}`"))
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One content problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// What kind of problem it is.
    pub code: Code,
    /// The level it is reported at.
    pub severity: Severity,
    /// Path relative to the content root, `/`-separated.
    pub path: String,
    /// Where it starts (1-based line and column, in characters, front matter included).
    #[serde(flatten)]
    pub span: Span,
    /// Width of the highlighted text in characters (at least 1).
    #[serde(skip)]
    pub width: u32,
    /// What is wrong.
    pub message: String,
    /// How to put it right, when the tool can tell.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at its code's default level.
    pub fn new(code: Code, path: &str, span: Span, width: usize, message: String) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            path: path.to_string(),
            span,
            width: width.max(1) as u32,
            message,
            help: None,
        }
    }

    /// The same diagnostic at another level than its code's default (a `[check.levels]`
    /// setting for the code still decides).
    pub fn at_level(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The stable report order: by file, position, then code.
    pub fn sort_key(&self) -> (&str, Span, Code, &str) {
        (&self.path, self.span, self.code, &self.message)
    }
}
