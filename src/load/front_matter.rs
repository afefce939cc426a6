//! The `---` YAML block at the top of a page: split it off, parse it with serde_yaml, keep the
//! known fields typed and every other key as it was.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{LineIndex, Span};
use serde_yaml::Value;

mod fast;

/// Front matter fields atlas-kb understands, plus everything else under `extra`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    /// `id:` (a Docusaurus page id).
    pub id: Option<String>,
    /// `title:`, which starts with the ATLAS ID on ATLAS pages.
    pub title: Option<String>,
    /// `sidebar_label:`.
    pub sidebar_label: Option<String>,
    /// `sidebar_position:`, the order of tactics in the matrix.
    pub sidebar_position: Option<f64>,
    /// `type:`, which can give a page without an ID its kind.
    pub page_type: Option<String>,
    /// `tags:` (a lone value counts as a list of one).
    pub tags: Vec<String>,
    /// `aliases:` or `alias:`.
    pub aliases: Vec<String>,
    /// `description:`.
    pub description: Option<String>,
    /// `created:` or `date:`.
    pub created: Option<String>,
    /// `updated:`, `modified:` or `last_modified:`.
    pub updated: Option<String>,
    /// On a hand-written note: the ATLAS object it maps to (not the note's own ID).
    pub atlas: Option<String>,
    /// Every other key, in file order.
    pub extra: Vec<(String, Value)>,
}

/// Where the front matter sits in the text.
pub struct Split {
    /// Byte range of the YAML between the fences.
    pub yaml: std::ops::Range<usize>,
    /// Byte offset where the markdown body starts.
    pub body_start: usize,
}

/// Finds the front matter block. `Err` carries an `invalid-front-matter` diagnostic for an
/// opening fence without a closing one; the whole file is then body.
pub fn split(text: &str, path: &str) -> Result<Option<Split>, Diagnostic> {
    let Some(first_end) = text.find('\n') else {
        return Ok(None);
    };
    if text[..first_end].trim_end() != "---" {
        return Ok(None);
    }
    let yaml_start = first_end + 1;
    let mut offset = yaml_start;
    for line in text[yaml_start..].split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            return Ok(Some(Split {
                yaml: yaml_start..offset,
                body_start: offset + line.len(),
            }));
        }
        offset += line.len();
    }
    // A lone `---` line at the very end of a file with no newline after it.
    Err(Diagnostic::new(
        Code::InvalidFrontMatter,
        path,
        Span::new(1, 1),
        3,
        "front matter is not terminated: no closing `---` line".into(),
    )
    .with_help("close the YAML block with a line holding only `---`"))
}

/// Parses the YAML of a front matter block. Problems become diagnostics; the fields that could
/// be read are still returned.
pub fn parse(
    text: &str,
    split: &Split,
    lines: &LineIndex,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> FrontMatter {
    let yaml = &text[split.yaml.clone()];
    // Most front matter is flat and simple; the fast path reads it exactly or declines. It
    // declines any repeated key, so only what it declines needs the check for one.
    let pairs = match fast::parse(yaml) {
        Some(pairs) => pairs,
        None => {
            // The first YAML line is line 2 of the file.
            let first_line = lines.span(text, split.yaml.start).line;
            if let Some(d) = duplicate_top_level_key(yaml, first_line, path) {
                diagnostics.push(d);
                return FrontMatter::default();
            }
            if yaml.trim().is_empty() {
                return FrontMatter::default();
            }
            match serde_yaml::from_str::<Value>(yaml) {
                // Keys that are not strings name no field atlas-kb knows, and are dropped.
                Ok(Value::Mapping(map)) => map
                    .into_iter()
                    .filter_map(|(key, value)| Some((key.as_str()?.to_string(), value)))
                    .collect(),
                Ok(value) if value.is_null() => return FrontMatter::default(),
                Ok(_) => {
                    diagnostics.push(Diagnostic::new(
                        Code::InvalidFrontMatter,
                        path,
                        Span::new(first_line, 1),
                        1,
                        "front matter must be a mapping of `key: value` lines".into(),
                    ));
                    return FrontMatter::default();
                }
                Err(e) => {
                    let (line, col) = e
                        .location()
                        .map_or((1, 1), |l| (l.line() as u32, l.column() as u32));
                    let message = e.to_string();
                    let message = message
                        .split(" at line ")
                        .next()
                        .unwrap_or(&message)
                        .to_string();
                    diagnostics.push(Diagnostic::new(
                        Code::InvalidFrontMatter,
                        path,
                        Span::new(first_line + line - 1, col),
                        1,
                        format!("front matter is not valid YAML: {message}"),
                    ));
                    return FrontMatter::default();
                }
            }
        }
    };
    let mut front = FrontMatter::default();
    // A known field of the wrong type is left out, and said so at its value.
    let mut wrong: Vec<(String, &str, &str)> = Vec::new();
    for (key, value) in pairs {
        let mut text = |field: &mut Option<String>| {
            *field = scalar(&value);
            if field.is_none() && !value.is_null() {
                wrong.push((key.clone(), "text", kind_of(&value)));
            }
        };
        match key.as_str() {
            "id" => text(&mut front.id),
            "title" => text(&mut front.title),
            "sidebar_label" => text(&mut front.sidebar_label),
            "type" => text(&mut front.page_type),
            "description" => text(&mut front.description),
            "created" | "date" => text(&mut front.created),
            "updated" | "modified" | "last_modified" => text(&mut front.updated),
            "atlas" => text(&mut front.atlas),
            "sidebar_position" => {
                front.sidebar_position = value.as_f64();
                if front.sidebar_position.is_none() && !value.is_null() {
                    wrong.push((key, "a number", kind_of(&value)));
                }
            }
            "tags" | "aliases" | "alias" => {
                let (items, complete) = list(&value);
                if !complete {
                    let found = match value {
                        Value::Sequence(_) => "a list holding more than text",
                        _ => kind_of(&value),
                    };
                    wrong.push((key.clone(), "text or a list of text", found));
                }
                if key == "tags" {
                    front.tags = items;
                } else {
                    front.aliases = items;
                }
            }
            _ => front.extra.push((key, value)),
        }
    }
    for (key, expected, found) in wrong {
        diagnostics.push(wrong_type(text, split, lines, path, &key, expected, found));
    }
    front
}

/// A scalar as text (numbers and booleans too); `None` for null, lists and maps.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of strings; a lone string counts as a one-item list (`tags: draft`). The flag is
/// false when something that is not text was left out: a number (`aliases: 3`; Obsidian
/// takes neither numeric tags nor numeric aliases), a mapping, a nested list.
fn list(value: &Value) -> (Vec<String>, bool) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    match value {
        Value::Sequence(items) => {
            let kept: Vec<String> = items.iter().filter_map(text).collect();
            let empty = items.iter().filter(|i| i.is_null()).count();
            let complete = kept.len() + empty == items.len();
            (kept, complete)
        }
        Value::Null => (Vec::new(), true),
        other => match text(other) {
            Some(one) => (vec![one], true),
            None => (Vec::new(), false),
        },
    }
}

/// How a value that is not what its field needs reads to a user.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        _ => "text",
    }
}

/// The warning for field `key` whose value is not what it must be, at the value: on the
/// key's top-level line, after `key:`, or at the key when the value starts below it.
fn wrong_type(
    text: &str,
    split: &Split,
    lines: &LineIndex,
    path: &str,
    key: &str,
    expected: &str,
    found: &str,
) -> Diagnostic {
    let yaml = &text[split.yaml.clone()];
    let mut at = split.yaml.start;
    let mut width = 1;
    let mut offset = 0;
    for line in yaml.split_inclusive('\n') {
        let bare = line.trim_end();
        let quoted = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
        let found_key = quoted.iter().find_map(|k| {
            let rest = bare
                .strip_prefix(k.as_str())?
                .trim_start()
                .strip_prefix(':')?;
            Some((k.chars().count(), rest))
        });
        if let Some((key_width, rest)) = found_key {
            let value = rest.trim();
            if value.is_empty() {
                at = split.yaml.start + offset;
                width = key_width;
            } else {
                at = split.yaml.start + offset + (bare.len() - rest.trim_start().len());
                width = value.chars().count();
            }
            break;
        }
        offset += line.len();
    }
    Diagnostic::new(
        Code::InvalidFrontMatter,
        path,
        lines.span(text, at),
        width,
        format!("front matter `{key}` must be {expected}, not {found}; it is left out"),
    )
    .at_level(crate::diagnostic::Severity::Warning)
}

/// serde_yaml reports a repeated key at the start of its mapping; users need the repeat.
fn duplicate_top_level_key(yaml: &str, first_line: u32, path: &str) -> Option<Diagnostic> {
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for (i, line) in yaml.lines().enumerate() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        if key.is_empty() {
            continue;
        }
        let line_no = first_line + i as u32;
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Some(
                Diagnostic::new(
                    Code::InvalidFrontMatter,
                    path,
                    Span::new(line_no, 1),
                    key.chars().count(),
                    format!("front matter key `{key}` is repeated"),
                )
                .with_help(format!("`{key}` is first set on line {first}")),
            );
        }
        seen.push((key, line_no));
    }
    None
}
