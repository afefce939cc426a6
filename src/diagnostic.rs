//! Content problems. Every stage may find some; they are collected, never `?`-propagated,
//! and reported together by `check` (and `build`).

use crate::source::Span;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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

impl Severity {
    /// The level's name, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
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
    ($( $variant:ident = $name:literal, $level:ident, $doc:literal, $full:literal; )*) => {
        /// The stable code of each kind of diagnostic, with its default level.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( #[doc = $doc] $variant, )* }

        impl Code {
            /// Every code, in a fixed order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in reports and settings (`broken-link`).
            /// The level's name, as reports write it.
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

            /// What the code reports, why it matters and what to do, in a few sentences.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $full,)* }
            }
        }
    };
}

codes! {
    BrokenLink = "broken-link", Error, "a link whose target is no page or file", "A wiki link, markdown link or embed matches no page or attachment under the content root, by Obsidian's rules: an exact path first, then any page whose path ends with the link. The built site shows it as marked text. Fix the target, or create the page it names.";
    BrokenAnchor = "broken-anchor", Error, "a link to a heading or block id its target does not have", "The link reaches a page, but its `#heading` or `#^block` part names nothing on that page (a block id is a `^id` at the end of a line). The built site shows it as marked text. Fix the anchor, or add the heading or block id to the page.";
    AmbiguousLink = "ambiguous-link", Warning, "several pages tie for a link; the one spelt as written, else the first by path, was taken", "More than one page fits the link equally well (none in the linking page's folder and several with the shortest path, or names that differ only in letter case). The one spelt as written, else the first by path, is taken. Write more of the path to say which.";
    MalformedLink = "malformed-link", Error, "link syntax that is not a link: unterminated, empty, unopened, or a bare wiki link in front matter", "Something that looks like link syntax is not a link: a `[[` that never closes, an empty `[[]]`, a `]]` with no `[[`, a wiki link in front matter that YAML reads as a nested list (quote it), or a route link whose ID is of the wrong kind for its folder.";
    EmbedCycle = "embed-cycle", Warning, "an embed that leads back to its own page, or nests embeds deeper than 5 levels; it is shown as a link", "An embed (`![[note]]`) shows another page's text in this one. When that page embeds this one again, directly or through others, or the embeds nest deeper than 5 levels, the text would never end: the embed is shown as a link to its target instead. Link the page (`[[note]]`) where it need not be shown whole.";
    TablePipe = "table-pipe", Warning, "an unescaped `|` in a wiki link inside a table row, which splits the cell", "Inside a markdown table a bare `|` ends the cell, so `[[page|label]]` splits in two and the link breaks. Write the pipe as `\\|` inside tables.";
    UnsafeLink = "unsafe-link", Warning, "a link with a scheme other than `http:`, `https:` or `mailto:`, rendered as text", "A link whose scheme is not `http:`, `https:` or `mailto:` (`javascript:`, `data:`, `file:`, ...) would run script or reach local files from a reader's browser. It is shown as text, never as a link. Pages quoting attack payloads should put them in code.";
    UnknownId = "unknown-id", Error, "a route link to an ATLAS ID no page has", "A route link such as `/techniques/AML.T0010` names an ATLAS ID that no page in the knowledge base claims. Import the page, fix the ID, or link the page by its path.";
    DuplicateId = "duplicate-id", Error, "two pages claim the same ATLAS ID", "Two pages give the same ATLAS ID (in their title or front matter), so route links and the matrix cannot tell which is meant. Each ID belongs to one page.";
    InvalidFrontMatter = "invalid-front-matter", Error, "front matter that is not valid YAML, not terminated, or has a repeated key", "The YAML between the `---` lines does not parse, is never closed, or repeats a key; the page loads without it. As a warning: a known field (title, tags, aliases, ...) has the wrong type and is left out.";
    UnreadableFile = "unreadable-file", Error, "a file that could not be read or is not UTF-8", "A file under the content root could not be read, is not UTF-8, or is a symlink leading out of the root. It is left out of the site. As a warning: a FIFO, socket or device file, which is never opened.";
    LabelIdMismatch = "label-id-mismatch", Warning, "a link label names one ATLAS ID but links a page with another", "A link label starts with an ATLAS ID (`[[x|AML.T0017: ...]]`) but the page it reaches has another ID. Either the label or the target is out of date.";
    AsymmetricRelation = "asymmetric-relation", Warning, "a relation listed on one side only", "A page lists a related object (a technique its mitigation, a case study its technique) that does not list it back. Relations are kept on both sides so that each page shows them; add the missing entry or remove the one-sided one.";
    StepTacticMismatch = "step-tactic-mismatch", Warning, "a procedure step's tactic is not one of its technique's tactics", "A case study step names a tactic (`**Tactic:** [[...]]`) that its technique's page does not list among its tactics (a sub-technique without tactics of its own has its parent's). ATLAS requires each step's tactic to be one of its technique's. Fix the step's tactic or technique, or add the tactic to the technique.";
    MissingParentPage = "missing-parent-page", Warning, "a sub-technique whose parent technique has no page", "A sub-technique names a parent technique that has no page. The build generates a page for the parent so the link works; write or import the real one.";
    OrphanPage = "orphan-page", Off, "a page no other page links to", "No other page links to this one, so a reader can reach it only through search or the lists. Off unless the settings turn it on.";
    ActiveAsset = "active-asset", Warning, "an attachment that can run script when opened (HTML, JavaScript, an SVG with script); it is not published unless the settings allow it", "An attachment that can run script when opened in a browser (`.html`, `.htm`, `.xhtml`, `.js`, `.mjs`, or an SVG holding script, event attributes or `foreignObject`). It is not published unless `allow_active_assets = true` under `[build]`, since it would run with the site's origin.";
    ReservedPath = "reserved-path", Warning, "a content file that would land where the build writes its own (the theme's `_atlas/` folder, a generated page); it is not published", "A content file would be written where the build writes its own: the theme's `_atlas/` folder, the home page, the matrix, a list, a tag page or a route's redirect. It is not published. Rename or move it.";
    InvalidAtlasData = "invalid-atlas-data", Error, "an object in ATLAS.yaml that import cannot use as given: a missing or mistyped field, an unknown object type, a duplicate ID or a reference to no object", "(import) An object in ATLAS.yaml that import cannot use as given: a missing or mistyped field, an unknown object type, a duplicate ID or a reference to no object. As a warning: a section a release has is missing, or a description links an ID the file lacks.";
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

/// One content problem at one place. A vault can have a million (one-sided relations, say),
/// so a diagnostic holds its file's path shared with the others in that file, and the most
/// numerous kind holds the names it words its message with, not the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of problem it is.
    pub code: Code,
    /// The level it is reported at.
    pub severity: Severity,
    /// Path relative to the content root, `/`-separated.
    pub path: Arc<str>,
    /// Where it starts (1-based line and column, in characters, front matter included).
    pub span: Span,
    /// Width of the highlighted text in characters (at least 1).
    pub width: u32,
    text: Text,
}

/// What a diagnostic says: its own words, or a relation's names put into words when printed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Text {
    Written {
        message: Box<str>,
        help: Option<Box<str>>,
    },
    OneSided(Box<OneSided>),
    /// Words the graph holds too (a broken link's), shared rather than copied.
    Shared {
        message: Arc<str>,
        help: Option<Arc<str>>,
    },
}

/// The names an `asymmetric-relation` diagnostic is worded with, each shared with every other
/// diagnostic that names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OneSided {
    /// The page that lists the relation, as a link names it (path without `.md`).
    pub listed_by: Arc<str>,
    /// The page that does not list it back, as a link names it.
    pub missing_on: Arc<str>,
    /// That page's file.
    pub missing_on_file: Arc<str>,
    /// The section the relation is listed under.
    pub listed_under: Arc<str>,
    /// The section of the other page it belongs in.
    pub belongs_under: Arc<str>,
}

impl Diagnostic {
    /// A diagnostic at its code's default level.
    pub fn new(code: Code, path: &str, span: Span, width: usize, message: String) -> Self {
        Diagnostic::in_file(code, Arc::from(path), span, width, message)
    }

    /// [`Diagnostic::new`] with the file's path shared.
    pub fn in_file(code: Code, path: Arc<str>, span: Span, width: usize, message: String) -> Self {
        let text = Text::Written {
            message: message.into_boxed_str(),
            help: None,
        };
        Diagnostic::with_text(code, path, span, width, text)
    }

    /// A diagnostic whose words are shared with the graph.
    pub fn shared(
        code: Code,
        path: Arc<str>,
        span: Span,
        width: usize,
        message: Arc<str>,
        help: Option<Arc<str>>,
    ) -> Self {
        Diagnostic::with_text(code, path, span, width, Text::Shared { message, help })
    }

    /// An `asymmetric-relation` diagnostic, worded from `names` when printed.
    pub fn one_sided(path: Arc<str>, span: Span, width: usize, names: OneSided) -> Self {
        let text = Text::OneSided(Box::new(names));
        Diagnostic::with_text(Code::AsymmetricRelation, path, span, width, text)
    }

    fn with_text(code: Code, path: Arc<str>, span: Span, width: usize, text: Text) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            path,
            span,
            width: width.max(1) as u32,
            text,
        }
    }

    /// What is wrong.
    pub fn message(&self) -> Cow<'_, str> {
        match &self.text {
            Text::Written { message, .. } => Cow::Borrowed(message),
            Text::Shared { message, .. } => Cow::Borrowed(message),
            Text::OneSided(_) => {
                let mut message = String::new();
                self.write_message(&mut message);
                Cow::Owned(message)
            }
        }
    }

    /// Appends [`Diagnostic::message`] to `out`, with no string of its own for a message
    /// worded when printed: a report may word a million.
    pub fn write_message(&self, out: &mut String) {
        match &self.text {
            Text::OneSided(n) => {
                for part in [
                    "`",
                    &n.listed_by,
                    "` lists `",
                    &n.missing_on,
                    "` under ",
                    &n.listed_under,
                    ", but `",
                    &n.missing_on,
                    "` does not list it back",
                ] {
                    out.push_str(part);
                }
            }
            Text::Written { .. } | Text::Shared { .. } => out.push_str(&self.message()),
        }
    }

    /// How to put it right, when the tool can tell.
    pub fn help(&self) -> Option<Cow<'_, str>> {
        match &self.text {
            Text::Written { help, .. } => help.as_deref().map(Cow::Borrowed),
            Text::Shared { help, .. } => help.as_deref().map(Cow::Borrowed),
            Text::OneSided(_) => {
                let mut help = String::new();
                self.write_help(&mut help);
                Some(Cow::Owned(help))
            }
        }
    }

    /// Appends [`Diagnostic::help`] to `out` (as [`Diagnostic::write_message`] does the
    /// message), and says whether there was any.
    pub fn write_help(&self, out: &mut String) -> bool {
        match &self.text {
            Text::OneSided(n) => {
                for part in [
                    "add `[[",
                    &n.listed_by,
                    "]]` to the ",
                    &n.belongs_under,
                    " section of `",
                    &n.missing_on_file,
                    "`",
                ] {
                    out.push_str(part);
                }
                true
            }
            Text::Written { .. } | Text::Shared { .. } => match self.help() {
                Some(help) => {
                    out.push_str(&help);
                    true
                }
                None => false,
            },
        }
    }

    /// The same diagnostic at another level than its code's default (a `[check.levels]`
    /// setting for the code still decides).
    pub fn at_level(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The same diagnostic with a help line (diagnostics worded from shared names or shared
    /// words keep the help those give).
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if let Text::Written { help: slot, .. } = &mut self.text {
            *slot = Some(help.into().into_boxed_str());
        }
        self
    }

    /// Where it ends: the line and column of its last character (a diagnostic covers part
    /// of one line).
    pub fn end(&self) -> Span {
        Span::new(self.span.line, self.span.col + self.width.max(1) - 1)
    }

    /// The stable report order: by file, position, code, then what it says.
    pub fn sort_key(&self) -> (&str, Span, Code, &impl Ord) {
        (&self.path, self.span, self.code, &self.text)
    }
}
