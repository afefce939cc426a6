//! Finding where a value sits in the YAML text. `serde_yaml` gives values without positions,
//! so this walks the block structure of the text itself (indentation, `key:` lines and `- `
//! items), which is how the ATLAS release files are written. It is a best effort: anything it
//! cannot follow (flow style, odd layouts) falls back to a plain text search, then to line 1.

use crate::source::{LineIndex, Span};

/// One step of a path into the document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document root, e.g. `matrices[0].techniques[12]`.
pub(crate) type YamlPath = Vec<Seg>;

/// Appends a segment to a copy of `path`.
pub(crate) fn child(path: &[Seg], seg: Seg) -> YamlPath {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

pub(crate) fn key(path: &[Seg], k: &str) -> YamlPath {
    child(path, Seg::Key(k.to_string()))
}

pub(crate) fn index(path: &[Seg], i: usize) -> YamlPath {
    child(path, Seg::Index(i))
}

/// A line that carries structure: not blank, not a comment, not a document marker.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    /// 1-based line number in the file.
    number: u32,
    /// Leading spaces.
    indent: usize,
    /// The text after the indentation.
    content: &'t str,
}

pub(crate) struct Locator<'t> {
    text: &'t str,
    lines: Vec<Line<'t>>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let lines = text
            .split('\n')
            .enumerate()
            .filter_map(|(i, raw)| {
                let raw = raw.strip_suffix('\r').unwrap_or(raw);
                let content = raw.trim_start_matches(' ');
                let indent = raw.len() - content.len();
                let trimmed = content.trim_end();
                let marker = indent == 0 && (trimmed == "---" || trimmed == "...");
                if trimmed.is_empty() || trimmed.starts_with('#') || marker {
                    return None;
                }
                Some(Line {
                    number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    indent,
                    content,
                })
            })
            .collect();
        Locator { text, lines }
    }

    /// The position of the node at `path`: the line of its key (for a mapping value) or of
    /// its `- ` (for a sequence item). `None` when the structure cannot be followed.
    pub(crate) fn find(&self, path: &[Seg]) -> Option<Span> {
        if self.lines.is_empty() {
            return None;
        }
        // The current node: lines lo..hi, whose first line is seen as `head` (an item's
        // first line is seen without its `- `).
        let mut lo = 0;
        let mut hi = self.lines.len();
        let mut head = self.lines[0];
        let mut span = Span::new(head.number, 1);
        for (depth, seg) in path.iter().enumerate() {
            if lo >= hi {
                return None;
            }
            let at = |i: usize| if i == lo { head } else { self.lines[i] };
            let node_indent = head.indent;
            match seg {
                Seg::Key(k) => {
                    let found = (lo..hi).find(|&i| {
                        let l = at(i);
                        l.indent == node_indent && is_key_line(l.content, k)
                    })?;
                    let line = at(found);
                    span = Span::new(line.number, col(line.indent));
                    let end = (found + 1..hi)
                        .find(|&j| {
                            let l = self.lines[j];
                            l.indent < node_indent
                                || (l.indent == node_indent && !is_item(l.content))
                        })
                        .unwrap_or(hi);
                    lo = found + 1;
                    hi = end;
                    if lo < hi {
                        head = self.lines[lo];
                    } else if depth + 1 < path.len() {
                        // The value is written inline; no deeper structure to follow.
                        return None;
                    }
                }
                Seg::Index(n) => {
                    if !is_item(head.content) {
                        return None;
                    }
                    let item_indent = head.indent;
                    let mut items = (lo..hi).filter(|&i| {
                        let l = at(i);
                        l.indent == item_indent && is_item(l.content)
                    });
                    let found = items.nth(*n)?;
                    let end = items.next().unwrap_or(hi);
                    let line = at(found);
                    span = Span::new(line.number, col(line.indent));
                    let after_dash = &line.content[1..];
                    let rest = after_dash.trim_start_matches(' ');
                    if rest.is_empty() {
                        lo = found + 1;
                        hi = end;
                        if lo < hi {
                            head = self.lines[lo];
                        }
                    } else {
                        lo = found;
                        hi = end;
                        head = Line {
                            number: line.number,
                            indent: line.indent + 1 + (after_dash.len() - rest.len()),
                            content: rest,
                        };
                    }
                }
            }
        }
        Some(span)
    }

    /// Where an object is: its `id:` line when it has one, else its own position, else the
    /// first line that mentions `id` (a text search), else line 1.
    pub(crate) fn object(&self, path: &[Seg], id: Option<&str>) -> Span {
        if let Some(span) = self.find(&key(path, "id")) {
            return span;
        }
        if let Some(span) = self.find(path) {
            return span;
        }
        id.filter(|id| !id.is_empty())
            .and_then(|id| self.search(id))
            .unwrap_or(Span::new(1, 1))
    }

    /// A field of an object, falling back to the object itself.
    pub(crate) fn field(&self, path: &[Seg], field: &str, id: Option<&str>) -> Span {
        self.find(&key(path, field))
            .unwrap_or_else(|| self.object(path, id))
    }

    /// The first line whose text contains `needle`.
    fn search(&self, needle: &str) -> Option<Span> {
        let at = self.text.find(needle)?;
        Some(LineIndex::new(self.text).span(self.text, at))
    }
}

fn col(indent: usize) -> u32 {
    u32::try_from(indent + 1).unwrap_or(u32::MAX)
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// Whether `content` starts with the mapping key `k` (plain or quoted) and its `:`.
fn is_key_line(content: &str, k: &str) -> bool {
    let rest = if let Some(r) = content.strip_prefix(k) {
        r
    } else {
        let quoted = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|&(open, close)| {
                content
                    .strip_prefix(open)?
                    .strip_prefix(k)?
                    .strip_prefix(close)
            });
        match quoted {
            Some(r) => r,
            None => return false,
        }
    };
    let rest = rest.trim_start_matches(' ');
    rest == ":" || rest.starts_with(": ") || rest.starts_with(":\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "---\nid: ATLAS\nmatrices:\n- id: M\n  tactics:\n  - id: AML.TA0001\n    name: First\n    description: 'two\n\n      lines'\n  - id: AML.TA0002\n    name: Second\n  techniques:\n  -\n    id: AML.T0000\n    tactics:\n    - AML.TA0001\ncase-studies:\n  - id: AML.CS0000\n    \"name\": Study\n";

    fn path(segs: &[Seg]) -> YamlPath {
        segs.to_vec()
    }

    #[test]
    fn follows_keys_and_items() {
        let loc = Locator::new(DOC);
        let tactics = path(&[
            Seg::Key("matrices".into()),
            Seg::Index(0),
            Seg::Key("tactics".into()),
        ]);
        assert_eq!(loc.find(&tactics), Some(Span::new(5, 3)));
        assert_eq!(loc.find(&index(&tactics, 0)), Some(Span::new(6, 3)));
        assert_eq!(
            loc.find(&key(&index(&tactics, 1), "id")),
            Some(Span::new(11, 5))
        );
        assert_eq!(
            loc.find(&key(&index(&tactics, 1), "name")),
            Some(Span::new(12, 5))
        );
        assert_eq!(loc.find(&index(&tactics, 2)), None);
        let techniques = path(&[
            Seg::Key("matrices".into()),
            Seg::Index(0),
            Seg::Key("techniques".into()),
            Seg::Index(0),
        ]);
        assert_eq!(loc.find(&key(&techniques, "id")), Some(Span::new(15, 5)));
        assert_eq!(
            loc.find(&index(&key(&techniques, "tactics"), 0)),
            Some(Span::new(17, 5))
        );
        let study = path(&[Seg::Key("case-studies".into()), Seg::Index(0)]);
        assert_eq!(loc.find(&key(&study, "name")), Some(Span::new(20, 5)));
    }

    #[test]
    fn falls_back_to_a_text_search() {
        let loc = Locator::new("{id: ATLAS, matrices: [{id: X}]}\n");
        let p = path(&[Seg::Key("matrices".into()), Seg::Index(0)]);
        assert_eq!(loc.object(&p, Some("X")), Span::new(1, 29));
        assert_eq!(loc.object(&p, None), Span::new(1, 1));
    }
}
