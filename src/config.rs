//! A site's settings: `atlas-kb.toml` read into a [`Config`], the plain data every command of
//! the library takes. The binary applies its flags on top. Every problem in the file (bad
//! TOML, an unknown key, a value of the wrong type, an unknown code or level) is reported with
//! its line and column, all at once, as a [`ConfigError`].

use crate::check::Rules;
use crate::diagnostic::{Code, Severity};
use crate::error::{Error, Result};
use crate::graph::resolve::closest;
use crate::source::{LineIndex, Span};
use crate::vocabulary::{
    KindSettings, MetadataSettings, PageKind, RelationKind, RelationSettings, SchemaSettings,
    Vocabulary,
};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The file a site folder's settings are read from.
pub const FILE_NAME: &str = "atlas-kb.toml";

/// Everything the commands need to know about a site.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site folder: where `atlas-kb.toml`, `templates/` and `static/` are, and what the
    /// paths in the file are relative to.
    pub site_dir: PathBuf,
    /// The settings file that was read, if any.
    pub file: Option<PathBuf>,
    /// `[site]`.
    pub site: SiteSettings,
    /// `[content]`.
    pub content: ContentSettings,
    /// `[build]`.
    pub build: BuildSettings,
    /// `[check]`.
    pub check: CheckSettings,
    /// The built-in vocabulary with `[schema]` applied.
    pub vocabulary: Vocabulary,
}

/// `[site]`: what the built pages say about the site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteSettings {
    /// Shown in every page's header and `<title>`.
    pub title: String,
    /// One sentence about the site, for search engines and link previews.
    pub description: Option<String>,
    /// Where the site is published (`https://example.org/kb`, no trailing `/`), for
    /// canonical links and anything that needs an absolute URL.
    pub base_url: Option<String>,
    /// The pages' language, a BCP 47 tag (`en`, `fr-CA`).
    pub language: String,
}

/// `[content]`: where the pages are and which to leave out.
#[derive(Debug, Clone)]
pub struct ContentSettings {
    /// The folder of markdown pages.
    pub root: PathBuf,
    /// Files that are neither pages nor link targets.
    pub exclude: Exclude,
}

/// `[build]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// Where `build` writes the site (replaced as a whole).
    pub out: PathBuf,
    /// Publish attachments that can run script when opened (HTML, JavaScript, SVG with
    /// script), which are left out by default.
    pub allow_active_assets: bool,
}

/// `[check]`: the level of each diagnostic code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckSettings {
    /// Warnings fail the run as errors do.
    pub deny_warnings: bool,
    /// Levels set for codes, in the order given (a later one wins).
    pub levels: Vec<(Code, Severity)>,
    /// A baseline file of accepted findings, used when it exists: only other findings are
    /// reported and fail the run.
    pub baseline: Option<PathBuf>,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "ATLAS knowledge base".to_string(),
            description: None,
            base_url: None,
            language: "en".to_string(),
        }
    }
}

impl Default for Config {
    /// The settings of a site folder without `atlas-kb.toml`: the current folder.
    fn default() -> Self {
        Config::defaults_in(Path::new("."))
    }
}

impl Config {
    /// The settings of site folder `site_dir` when it has no settings file.
    pub fn defaults_in(site_dir: &Path) -> Config {
        Config {
            site_dir: site_dir.to_path_buf(),
            file: None,
            site: SiteSettings::default(),
            content: ContentSettings {
                root: site_dir.join("content"),
                exclude: Exclude::default(),
            },
            build: BuildSettings {
                out: site_dir.join("public"),
                allow_active_assets: false,
            },
            check: CheckSettings::default(),
            vocabulary: Vocabulary::default(),
        }
    }

    /// Reads the settings of site folder `site_dir`: from `file` when given (it must
    /// exist), else from `site_dir/atlas-kb.toml` if there is one, else the defaults.
    pub fn load(site_dir: &Path, file: Option<&Path>) -> Result<Config> {
        if !site_dir.is_dir() {
            return Err(Error::Usage(format!(
                "site folder `{}` does not exist or is not a folder",
                site_dir.display()
            )));
        }
        let default_file = site_dir.join(FILE_NAME);
        let path = match file {
            Some(file) => file.to_path_buf(),
            None if default_file.is_file() => default_file,
            None => return Ok(Config::defaults_in(site_dir)),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::io("cannot read settings file", &path, e))?;
        Config::parse(site_dir, &path, &text).map_err(Error::Config)
    }

    /// The settings of site folder `site_dir` from `text`, the contents of the settings file
    /// at `path`.
    pub fn parse(
        site_dir: &Path,
        path: &Path,
        text: &str,
    ) -> std::result::Result<Config, ConfigError> {
        let mut config = Config::defaults_in(site_dir);
        config.file = Some(path.to_path_buf());
        let mut reader = Reader {
            problems: Vec::new(),
        };
        let mut schema = SchemaSettings::default();
        let mut exclude: Vec<Spanned<String>> = Vec::new();
        match DeTable::parse(text) {
            Ok(table) => reader.document(table.get_ref(), &mut config, &mut exclude, &mut schema),
            Err(e) => reader.problem(
                e.span().unwrap_or(0..0),
                format!("not valid TOML: {}", e.message().trim_end()),
                None,
            ),
        }
        // `./atlas-kb.toml` is shown as `atlas-kb.toml`.
        let label = path.strip_prefix(".").unwrap_or(path).display().to_string();
        match Exclude::new(exclude.iter().map(|p| p.get_ref().as_str()), &label) {
            Ok(matcher) => config.content.exclude = matcher,
            Err((i, message)) => reader.problem(exclude[i].span(), message, None),
        }
        match Vocabulary::new(&schema) {
            Ok(vocabulary) => config.vocabulary = vocabulary,
            Err(e) => reader.problem(0..0, e.to_string(), None),
        }
        if reader.problems.is_empty() {
            return Ok(config);
        }
        reader.problems.sort_by_key(|p| p.at.start);
        let lines = LineIndex::new(text);
        let problems = reader
            .problems
            .into_iter()
            .map(|p| {
                let span = lines.span(text, p.at.start);
                let line = lines.line(text, span.line).unwrap_or("");
                let width = text
                    .get(p.at.clone())
                    .map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
                ConfigProblem {
                    span,
                    width: width.max(1),
                    line: line.to_string(),
                    message: p.message,
                    help: p.help,
                }
            })
            .collect();
        Err(ConfigError {
            path: label,
            problems,
        })
    }

    /// The level of each code, from `[check]`.
    pub fn rules(&self) -> Rules {
        let mut rules = Rules::default();
        for &(code, severity) in &self.check.levels {
            rules.set(code, severity);
        }
        rules.deny_warnings = self.check.deny_warnings;
        rules
    }
}

/// Gitignore-style patterns of files, relative to the content root, that are neither pages
/// nor link targets.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    patterns: Vec<String>,
    matcher: Option<ignore::gitignore::Gitignore>,
    /// Where the patterns were set, to say so in diagnostics.
    source: String,
}

impl Exclude {
    /// Compiles `patterns` set in `source` (a file name, for diagnostics); `Err` names the
    /// index of the first pattern that is no glob, and why.
    pub fn new<'a>(
        patterns: impl Iterator<Item = &'a str>,
        source: &str,
    ) -> std::result::Result<Exclude, (usize, String)> {
        let patterns: Vec<String> = patterns.map(str::to_string).collect();
        if patterns.is_empty() {
            return Ok(Exclude::default());
        }
        let mut builder = ignore::gitignore::GitignoreBuilder::new("");
        for (i, pattern) in patterns.iter().enumerate() {
            if pattern.trim().is_empty() {
                return Err((i, "an exclude pattern must not be empty".into()));
            }
            builder
                .add_line(None, pattern)
                .map_err(|e| (i, format!("`{pattern}` is not a valid pattern: {e}")))?;
        }
        let matcher = builder.build().map_err(|e| (0, e.to_string()))?;
        Ok(Exclude {
            patterns,
            matcher: Some(matcher),
            source: source.to_string(),
        })
    }

    /// Whether no pattern is set.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns, as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The file the patterns were set in.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `path` (relative to the content root, `/`-separated) matches a pattern by
    /// itself; what is inside an excluded folder is excluded with it.
    pub fn excludes(&self, path: &str, is_dir: bool) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|m| m.matched(path, is_dir).is_ignore())
    }
}

/// Every problem found in a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given.
    pub path: String,
    /// In file order.
    pub problems: Vec<ConfigProblem>,
}

/// One problem in a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where it is.
    pub span: Span,
    /// Width of what it is about, in characters.
    pub width: usize,
    /// The text of its line.
    pub line: String,
    /// What is wrong.
    pub message: String,
    /// How to put it right.
    pub help: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            let mut text = Vec::new();
            let line = crate::check::report::SourceLine::new(&p.line);
            let heading = format!("error: {}", p.message);
            let snippet = crate::check::report::Snippet {
                heading: &heading,
                path: &self.path,
                span: p.span,
                width: p.width,
                line: Some(&line),
                help: p.help.as_deref(),
            };
            snippet.write(&mut text);
            f.write_str(&String::from_utf8_lossy(&text))?;
        }
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} problem{} in the settings; nothing was done",
            self.path,
            if n == 1 { "" } else { "s" }
        )
    }
}

/// A problem found while reading, at a byte range of the file.
struct Found {
    at: Range<usize>,
    message: String,
    help: Option<String>,
}

struct Reader {
    problems: Vec<Found>,
}

type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

const TOP_KEYS: &[&str] = &["site", "content", "build", "check", "schema"];
const SITE_KEYS: &[&str] = &["title", "description", "base_url", "language"];
const CONTENT_KEYS: &[&str] = &["root", "exclude"];
const BUILD_KEYS: &[&str] = &["out", "allow_active_assets"];
const CHECK_KEYS: &[&str] = &["deny_warnings", "baseline", "levels"];
const SCHEMA_KEYS: &[&str] = &["kinds", "relations", "metadata"];
const KIND_KEYS: &[&str] = &["replace", "folders", "types", "tags", "label", "plural"];
const NOTE_KEYS: &[&str] = &["label", "plural"];
const METADATA_KEYS: &[&str] = &[
    "replace",
    "section",
    "id_keys",
    "parent_keys",
    "step_key",
    "step_tactic_key",
];

/// The key naming the other side's sections of `relation` (`mitigation_sections`).
fn other_sections_key(relation: RelationKind) -> String {
    format!("{}_sections", relation.other().slug().replace('-', "_"))
}

/// The keys of `[schema.relations.<relation>]`.
fn relation_keys(relation: RelationKind) -> Vec<String> {
    let mut keys = vec![
        "replace".to_string(),
        "technique_sections".to_string(),
        other_sections_key(relation),
    ];
    if relation == RelationKind::TechniqueCaseStudy {
        keys.push("step_sections".to_string());
    }
    keys
}

impl Reader {
    fn problem(&mut self, at: Range<usize>, message: String, help: Option<String>) {
        self.problems.push(Found { at, message, help });
    }

    /// The entries of `table`, reporting the keys that are not in `known` (`[name]`).
    fn entries<'t, 'i>(
        &mut self,
        table: &'t DeTable<'i>,
        name: &str,
        known: &[&str],
    ) -> Vec<(&'t str, &'t Value<'i>)> {
        let mut out = Vec::new();
        for (key, value) in table {
            let k: &str = key.get_ref();
            if known.contains(&k) {
                out.push((k, value));
            } else {
                self.unknown(key, name, None, known.iter().copied());
            }
        }
        out
    }

    /// Reports a key that is not in `known`: a table key, or with `what`, the name of a
    /// page kind or relation (the key of a `[schema.*.<name>]` table).
    fn unknown<'k>(
        &mut self,
        key: &Key<'_>,
        table: &str,
        what: Option<&str>,
        known: impl Iterator<Item = &'k str> + Clone,
    ) {
        let k: &str = key.get_ref();
        let message = match what {
            Some(what) => format!("unknown {what} `{k}`"),
            None if table.is_empty() => format!("unknown key `{k}` at the top level"),
            None => format!("unknown key `{k}` in `[{table}]`"),
        };
        let listed: Vec<String> = known.clone().map(|k| format!("`{k}`")).collect();
        let help = match (closest(k, known), what) {
            (Some(close), _) => format!("did you mean `{close}`?"),
            (None, Some("page kind")) => format!(
                "the kinds are {}; a vault's own word for a kind goes in its lists, as \
                 `types = [\"{k}\"]` under `[schema.kinds.technique]`",
                listed.join(", ")
            ),
            (None, Some(what)) => format!("the {what}s are {}", listed.join(", ")),
            (None, None) => format!("the keys here are {}", listed.join(", ")),
        };
        self.problem(key.span(), message, Some(help));
    }

    fn table<'t, 'i>(&mut self, value: &'t Value<'i>, name: &str) -> Option<&'t DeTable<'i>> {
        let table = value.get_ref().as_table();
        if table.is_none() {
            self.wrong_type(value, name, "a table");
        }
        table
    }

    fn wrong_type(&mut self, value: &Value<'_>, name: &str, expected: &str) {
        self.problem(
            value.span(),
            format!(
                "`{name}` must be {expected}, not {}",
                article(value.get_ref().type_str())
            ),
            None,
        );
    }

    fn string(&mut self, value: &Value<'_>, name: &str) -> Option<String> {
        match value.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(value, name, "a string");
                None
            }
        }
    }

    /// A string that must not be empty (paths, names).
    fn word(&mut self, value: &Value<'_>, name: &str) -> Option<String> {
        let s = self.string(value, name)?;
        if s.trim().is_empty() {
            self.problem(value.span(), format!("`{name}` must not be empty"), None);
            return None;
        }
        Some(s)
    }

    fn boolean(&mut self, value: &Value<'_>, name: &str) -> Option<bool> {
        let b = value.get_ref().as_bool();
        if b.is_none() {
            self.wrong_type(value, name, "true or false");
        }
        b
    }

    fn strings(&mut self, value: &Value<'_>, name: &str) -> Vec<Spanned<String>> {
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(value, name, "a list of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item.get_ref().as_str() {
                Some(s) => out.push(Spanned::new(item.span(), s.to_string())),
                None => self.problem(
                    item.span(),
                    format!(
                        "`{name}` must be a list of strings; this item is {}",
                        article(item.get_ref().type_str())
                    ),
                    None,
                ),
            }
        }
        out
    }

    fn plain_strings(&mut self, value: &Value<'_>, name: &str) -> Vec<String> {
        self.strings(value, name)
            .into_iter()
            .map(Spanned::into_inner)
            .collect()
    }

    fn document(
        &mut self,
        root: &DeTable<'_>,
        config: &mut Config,
        exclude: &mut Vec<Spanned<String>>,
        schema: &mut SchemaSettings,
    ) {
        for (key, value) in self.entries(root, "", TOP_KEYS) {
            let Some(table) = self.table(value, key) else {
                continue;
            };
            match key {
                "site" => self.site(table, &mut config.site),
                "content" => {
                    for (key, value) in self.entries(table, "content", CONTENT_KEYS) {
                        match key {
                            "root" => {
                                if let Some(root) = self.word(value, key) {
                                    config.content.root = config.site_dir.join(root);
                                }
                            }
                            _ => *exclude = self.strings(value, key),
                        }
                    }
                }
                "build" => {
                    for (key, value) in self.entries(table, "build", BUILD_KEYS) {
                        if key == "allow_active_assets" {
                            if let Some(allow) = self.boolean(value, key) {
                                config.build.allow_active_assets = allow;
                            }
                        } else if let Some(out) = self.word(value, key) {
                            config.build.out = config.site_dir.join(out);
                        }
                    }
                }
                "check" => self.check(table, &mut config.check, &config.site_dir),
                _ => self.schema(table, schema),
            }
        }
    }

    fn site(&mut self, table: &DeTable<'_>, site: &mut SiteSettings) {
        for (key, value) in self.entries(table, "site", SITE_KEYS) {
            let Some(text) = self.string(value, key) else {
                continue;
            };
            let text = text.trim().to_string();
            match key {
                "title" if text.is_empty() => {
                    self.problem(value.span(), "`title` must not be empty".into(), None)
                }
                "title" => site.title = text,
                "description" => site.description = Some(text).filter(|t| !t.is_empty()),
                "base_url" if text.is_empty() => site.base_url = None,
                "base_url" => {
                    let valid = ["https://", "http://"].iter().any(|s| {
                        text.len() > s.len()
                            && text
                                .get(..s.len())
                                .is_some_and(|p| p.eq_ignore_ascii_case(s))
                    }) && !text.contains(['"', '\'', '<', '>', ' ', '\\', '?', '#']);
                    if valid {
                        site.base_url = Some(text.trim_end_matches('/').to_string());
                    } else {
                        self.problem(
                            value.span(),
                            format!("`base_url` must be an http(s) address, not `{text}`"),
                            Some("for example `https://example.org/kb`".into()),
                        );
                    }
                }
                _ => {
                    let valid = !text.is_empty()
                        && text.split('-').all(|part| {
                            (1..=8).contains(&part.len())
                                && part.bytes().all(|b| b.is_ascii_alphanumeric())
                        });
                    if valid {
                        site.language = text;
                    } else {
                        self.problem(
                            value.span(),
                            format!("`language` must be a language tag such as `en` or `pt-BR`, not `{text}`"),
                            None,
                        );
                    }
                }
            }
        }
    }

    fn check(&mut self, table: &DeTable<'_>, check: &mut CheckSettings, site_dir: &Path) {
        for (key, value) in self.entries(table, "check", CHECK_KEYS) {
            if key == "deny_warnings" {
                if let Some(deny) = self.boolean(value, key) {
                    check.deny_warnings = deny;
                }
                continue;
            }
            if key == "baseline" {
                if let Some(path) = self.string(value, key) {
                    check.baseline = Some(path.trim())
                        .filter(|p| !p.is_empty())
                        .map(|p| site_dir.join(p));
                }
                continue;
            }
            let Some(levels) = self.table(value, "check.levels") else {
                continue;
            };
            for (code, level) in levels {
                let name: &str = code.get_ref();
                let Ok(code_value) = name.parse::<Code>() else {
                    let help = closest(name, Code::ALL.iter().map(|c| c.as_str()))
                        .map(|c| format!("did you mean `{c}`?"))
                        .unwrap_or_else(|| {
                            "`atlas-kb check --help` and the README list the codes".into()
                        });
                    self.problem(
                        code.span(),
                        format!("unknown diagnostic code `{name}`"),
                        Some(help),
                    );
                    continue;
                };
                let Some(text) = self.string(level, name) else {
                    continue;
                };
                match text.parse::<Severity>() {
                    Ok(severity) => check.levels.push((code_value, severity)),
                    Err(e) => self.problem(level.span(), e, None),
                }
            }
        }
    }

    fn schema(&mut self, table: &DeTable<'_>, schema: &mut SchemaSettings) {
        for (key, value) in self.entries(table, "schema", SCHEMA_KEYS) {
            let name = format!("schema.{key}");
            let Some(table) = self.table(value, &name) else {
                continue;
            };
            match key {
                "kinds" => {
                    for (kind, value) in table {
                        let slug: &str = kind.get_ref();
                        let Some(found) = PageKind::ALL.iter().find(|k| k.slug() == slug) else {
                            let kinds = PageKind::ALL.iter().map(|k| k.slug());
                            self.unknown(kind, &name, Some("page kind"), kinds);
                            continue;
                        };
                        let name = format!("schema.kinds.{slug}");
                        if let Some(table) = self.table(value, &name) {
                            let set = &mut schema.kinds[*found as usize];
                            self.kind(table, &name, *found, set);
                        }
                    }
                }
                "relations" => {
                    for (relation, value) in table {
                        let slug: &str = relation.get_ref();
                        let Some(found) = RelationKind::ALL.iter().find(|r| r.slug() == slug)
                        else {
                            let relations = RelationKind::ALL.iter().map(|r| r.slug());
                            self.unknown(relation, &name, Some("relation"), relations);
                            continue;
                        };
                        let name = format!("schema.relations.{slug}");
                        if let Some(table) = self.table(value, &name) {
                            let set = &mut schema.relations[*found as usize];
                            self.relation(table, &name, *found, set);
                        }
                    }
                }
                _ => self.metadata(table, &mut schema.metadata),
            }
        }
    }

    fn kind(&mut self, table: &DeTable<'_>, name: &str, kind: PageKind, set: &mut KindSettings) {
        let known = if kind == PageKind::Note {
            NOTE_KEYS
        } else {
            KIND_KEYS
        };
        for (key, value) in self.entries(table, name, known) {
            match key {
                "replace" => set.replace = self.boolean(value, key).unwrap_or(false),
                "folders" => set.folders = self.plain_strings(value, key),
                "types" => set.types = self.plain_strings(value, key),
                "tags" => set.tags = self.plain_strings(value, key),
                "label" => set.label = self.word(value, key),
                _ => set.plural = self.word(value, key),
            }
        }
    }

    fn relation(
        &mut self,
        table: &DeTable<'_>,
        name: &str,
        relation: RelationKind,
        set: &mut RelationSettings,
    ) {
        let keys = relation_keys(relation);
        let known: Vec<&str> = keys.iter().map(String::as_str).collect();
        for (key, value) in self.entries(table, name, &known) {
            match key {
                "replace" => set.replace = self.boolean(value, key).unwrap_or(false),
                "technique_sections" => set.technique_sections = self.plain_strings(value, key),
                "step_sections" => set.step_sections = self.plain_strings(value, key),
                _ => set.other_sections = self.plain_strings(value, key),
            }
        }
    }

    fn metadata(&mut self, table: &DeTable<'_>, set: &mut MetadataSettings) {
        for (key, value) in self.entries(table, "schema.metadata", METADATA_KEYS) {
            match key {
                "replace" => set.replace = self.boolean(value, key).unwrap_or(false),
                "section" => set.section = self.word(value, key),
                "id_keys" => set.id_keys = self.plain_strings(value, key),
                "parent_keys" => set.parent_keys = self.plain_strings(value, key),
                "step_key" => set.step_key = self.word(value, key),
                _ => set.step_tactic_key = self.word(value, key),
            }
        }
    }
}

/// `a string`, `an integer`, ...
fn article(type_name: &str) -> String {
    let vowel = type_name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {type_name}", if vowel { "an" } else { "a" })
}

/// The settings file `init` writes: every key with its default and one comment line each.
/// Built from the defaults themselves, so it cannot drift from them.
pub fn annotated() -> String {
    let defaults = Config::defaults_in(Path::new(""));
    let vocabulary = &defaults.vocabulary;
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    let quoted = |s: &str| toml_string(s);
    let list = |words: &[String]| -> String {
        let words: Vec<String> = words.iter().map(|w| toml_string(w)).collect();
        if words.is_empty() {
            "none".to_string()
        } else {
            words.join(", ")
        }
    };
    line("# atlas-kb.toml: how atlas-kb reads this knowledge base and publishes it. Every key is");
    line("# optional and shows its default. Paths are relative to this file's folder.");
    line("");
    line("[site]");
    line("# The site's name, in every page's header and title.");
    line(&format!("title = {}", quoted(&defaults.site.title)));
    line("# One sentence about the site, for search engines and link previews (\"\": none).");
    line("description = \"\"");
    line("# Where the site is published, such as \"https://example.org/kb\", for canonical links (\"\": none).");
    line("base_url = \"\"");
    line("# The language of the pages, a BCP 47 tag such as \"en\" or \"pt-BR\".");
    line(&format!("language = {}", quoted(&defaults.site.language)));
    line("");
    line("[content]");
    line("# The folder of markdown pages (an Obsidian vault works as it is).");
    line("root = \"content\"");
    line("# Gitignore-style patterns, from the root, of files neither checked nor built: [\"_templates/**\", \"**/drafts/**\"].");
    line("exclude = []");
    line("");
    line("[build]");
    line("# Where `atlas-kb build` writes the site; the folder is replaced as a whole.");
    line("out = \"public\"");
    line("# Publish attachments that can run script when opened (.html, .js, SVG with script).");
    line("allow_active_assets = false");
    line("");
    line("[check]");
    line("# Warnings fail `atlas-kb check` (and `atlas-kb build --strict`) as errors do.");
    line("deny_warnings = false");
    line("# Findings accepted for now, written by `atlas-kb check --write-baseline FILE`: when the file");
    line("# exists, only other findings are reported and fail the run (\"\": none).");
    line("baseline = \"\"");
    line("");
    line("# The level of each diagnostic code: \"error\", \"warning\" or \"off\".");
    line("[check.levels]");
    for code in Code::ALL {
        let description = code.description();
        let mut first = description.chars();
        let capital: String = first
            .next()
            .into_iter()
            .flat_map(char::to_uppercase)
            .collect();
        line(&format!("# {capital}{}.", first.as_str()));
        line(&format!(
            "{code} = {}",
            quoted(&code.default_severity().to_string())
        ));
    }
    line("");
    line("# The ATLAS vocabulary: what makes a page a technique, a mitigation, ..., and which");
    line("# sections list relations. Each list adds to the built-in words its comment names; with");
    line("# `replace = true`, the lists of that table replace them instead.");
    for kind in PageKind::ALL {
        let words = vocabulary.kind(kind);
        let name = words.label.to_lowercase();
        line("");
        line(&format!("[schema.kinds.{}]", kind.slug()));
        if kind != PageKind::Note {
            line("# true: the lists of this table replace the built-in ones.");
            line("replace = false");
            line(&format!(
                "# Folders, from the content root, whose pages without an ATLAS ID are of this kind (built in: {}).",
                list(&words.folders)
            ));
            line("folders = []");
            line(&format!(
                "# Front matter `type:` values, also read from `type/<value>` tags (built in: {}).",
                list(&words.types)
            ));
            line("types = []");
            line(&format!(
                "# Whole tags that make a page of this kind (built in: {}).",
                list(&words.tags)
            ));
            line("tags = []");
        }
        line(&format!("# What one {name} is called on the site."));
        line(&format!("label = {}", quoted(&words.label)));
        line("# What several are called.");
        line(&format!("plural = {}", quoted(&words.plural)));
    }
    for relation in RelationKind::ALL {
        let words = vocabulary.relation(relation);
        let other = relation.other().slug().replace('-', " ");
        line("");
        line(&format!("[schema.relations.{}]", relation.slug()));
        line("# true: the lists of this table replace the built-in ones.");
        line("replace = false");
        line(&format!(
            "# Sections of technique pages that list {other} pages (built in: {}).",
            list(&words.technique_sections)
        ));
        line("technique_sections = []");
        line(&format!(
            "# Sections of {other} pages that list techniques (built in: {}).",
            list(&words.other_sections)
        ));
        line(&format!("{} = []", other_sections_key(relation)));
        if relation == RelationKind::TechniqueCaseStudy {
            line(&format!(
                "# Sections of steps, where only a step's technique line or a table cell lists a technique (built in: {}).",
                list(&words.step_sections)
            ));
            line("step_sections = []");
        }
    }
    let metadata = vocabulary.metadata();
    line("");
    line("[schema.metadata]");
    line("# true: the lists of this table replace the built-in ones.");
    line("replace = false");
    line("# The section of `- **Key:** value` bullets.");
    line(&format!("section = {}", quoted(&metadata.section)));
    line(&format!(
        "# Keys whose value starts with the page's own ATLAS ID (built in: {}).",
        list(&metadata.id_keys)
    ));
    line("id_keys = []");
    line(&format!(
        "# Keys naming a sub-technique's parent technique (built in: {}).",
        list(&metadata.parent_keys)
    ));
    line("parent_keys = []");
    line("# The label of a case study step's technique line (`**Technique:** [[...]]`).");
    line(&format!("step_key = {}", quoted(&metadata.step_key)));
    line("# The label of a case study step's tactic line (`**Tactic:** [[...]]`).");
    line(&format!(
        "step_tactic_key = {}",
        quoted(&metadata.step_tactic_key)
    ));
    out
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings files edited at random (bytes dropped, repeated, swapped for TOML's
    /// punctuation or for multi-byte characters) give settings or problems, never a panic.
    #[test]
    fn mangled_settings_files_never_panic() {
        // A base_url whose eighth byte is inside a character, and a pattern that is no glob.
        let start = annotated()
            .replace("base_url = \"\"", "base_url = \"http://é\"")
            .replace("exclude = []", "exclude = [\"[\", \"**/x\"]");
        let parsed = Config::parse(Path::new("."), Path::new("a.toml"), &start);
        assert_eq!(
            parsed.map(|c| c.site.base_url),
            Ok(Some("http://é".to_string()))
        );
        let text: Vec<char> = start.chars().collect();
        let pieces = [
            '[',
            ']',
            '"',
            '=',
            '\n',
            ',',
            '.',
            '{',
            '}',
            'é',
            '\u{1F600}',
            '#',
            '\\',
            ' ',
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let mut mangled = text.clone();
            for _ in 0..(next() % 8 + 1) {
                let at = (next() as usize) % mangled.len();
                match next() % 3 {
                    0 => {
                        mangled.remove(at);
                    }
                    1 => mangled.insert(at, pieces[(next() as usize) % pieces.len()]),
                    _ => mangled[at] = pieces[(next() as usize) % pieces.len()],
                }
            }
            let mangled: String = mangled.into_iter().collect();
            match Config::parse(Path::new("."), Path::new("atlas-kb.toml"), &mangled) {
                Ok(_) => {}
                Err(e) => assert!(!e.problems.is_empty() && !e.to_string().is_empty()),
            }
        }
    }
}
