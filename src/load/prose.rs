//! What other pages show of a page's prose: its first sentence (in lists and tables) and the
//! text of each procedure step (on the pages of the techniques it uses). Taken at load as
//! plain text, since `build` does not keep page texts.

use super::scan::{inside, line_label, table_cells};
use super::{Heading, LinkSyntax, Piece, RawLink};
use crate::source::LineIndex;
use crate::vocabulary::{headings, Vocabulary};
use std::ops::Range;

/// One step of a case study's procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's technique link: an index into the page's links.
    pub technique: u32,
    /// The link on the step's tactic line (`**Tactic:** [[...]]`) or in its table row's
    /// tactic cell, if it has one.
    pub tactic: Option<u32>,
    /// The step's own heading (`### Step 1: Name`), an index into the page's headings.
    pub heading: Option<u32>,
    /// The step's name, without a `Step n:` lead.
    pub name: Box<str>,
    /// What the step says happened, as plain text.
    pub text: Box<str>,
}

impl Step {
    /// The step with its link indexes moved by `by` (front matter links come first).
    pub(super) fn shifted(mut self, by: usize) -> Step {
        let by = u32::try_from(by).unwrap_or(u32::MAX);
        self.technique = self.technique.saturating_add(by);
        self.tactic = self.tactic.map(|t| t.saturating_add(by));
        self
    }
}

/// A page body as the prose readers need it.
pub(super) struct Prose<'a> {
    pub text: &'a str,
    pub lines: &'a LineIndex,
    pub headings: &'a [Heading],
    pub tables: &'a [Range<usize>],
    pub paragraphs: &'a [Range<usize>],
    /// The body's links, in text order, with their sections assigned.
    pub links: &'a [RawLink],
    pub link_text: &'a str,
    pub vocabulary: &'a Vocabulary,
}

/// The longest summary kept, in characters: a list cell, not a paragraph.
const SUMMARY_CHARS: usize = 240;

impl Prose<'_> {
    /// The first sentence of the first paragraph of prose (not a `**Key:** value` line).
    pub fn summary(&self) -> Option<Box<str>> {
        self.paragraphs.iter().find_map(|p| {
            let first_line = self.text[p.clone()].lines().next().unwrap_or("");
            if line_label(first_line).is_some_and(|l| l.bold) {
                return None;
            }
            // A sentence longer than the summary is cut anyway: only the paragraph's first
            // lines are read, up to a few times the summary's length.
            let limit = p.start + 4 * SUMMARY_CHARS;
            let end = match self.text.as_bytes().get(limit..p.end) {
                Some(rest) => rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(p.end, |i| limit + i),
                None => p.end,
            };
            let plain = self.plain(p.start..end, |_| false);
            let sentence = first_sentence(&plain, SUMMARY_CHARS);
            (!sentence.is_empty()).then(|| sentence.into())
        })
    }

    /// The steps of the page's procedure sections, in order.
    pub fn steps(&self) -> Vec<Step> {
        let vocabulary = self.vocabulary;
        let mut steps = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            let is_step = link
                .section()
                .is_some_and(|s| vocabulary.is_step_section(s));
            if !is_step || !matches!(link.syntax, LinkSyntax::Wiki | LinkSyntax::Markdown) {
                continue;
            }
            let at = link.range().start;
            let step = match inside(self.tables, at) {
                Some(table) => self.table_step(i, table),
                None => self.heading_step(i, at),
            };
            steps.push(step);
        }
        steps
    }

    /// A step written as a heading with labelled lines and prose under it, or (under the
    /// procedure heading itself) as one line: `- **Technique:** [[x]] — what happened`.
    fn heading_step(&self, technique: usize, at: usize) -> Step {
        let vocabulary = self.vocabulary;
        let h = self
            .headings
            .partition_point(|h| h.offset <= at)
            .checked_sub(1);
        let own = h.filter(|&h| {
            let section = vocabulary.section_of(&self.headings[h].text);
            !section.is_some_and(|s| vocabulary.is_step_section(s)) && at >= self.headings[h].end
        });
        let Some(h) = own else {
            let note = self.links[technique]
                .note
                .map(|n| self.piece(n))
                .unwrap_or("");
            return Step {
                technique: index(technique),
                tactic: None,
                heading: None,
                name: "".into(),
                text: strip_marks(note).into(),
            };
        };
        let heading = &self.headings[h];
        let end = self
            .headings
            .get(h + 1)
            .map_or(self.text.len(), |n| n.offset);
        let extent = heading.end..end;
        let tactic = self.link_in(extent.clone(), |start| {
            self.label_at(start)
                .is_some_and(|k| vocabulary.is_step_tactic_key(k))
        });
        let step_line =
            |key: &str| vocabulary.is_step_key(key) || vocabulary.is_step_tactic_key(key);
        let text: Vec<String> = self
            .paragraphs
            .iter()
            .filter(|p| p.start >= extent.start && p.end <= extent.end)
            .map(|p| self.plain(p.clone(), step_line))
            .filter(|t| !t.is_empty())
            .collect();
        Step {
            technique: index(technique),
            tactic: tactic.map(index),
            heading: u32::try_from(h).ok(),
            // The heading as shown: its links by their text, without the opening hashes.
            name: {
                let shown = self.plain(heading.offset..heading.end, |_| false);
                step_name(shown.trim_start_matches('#').trim_end_matches('#').trim()).into()
            },
            text: text.join(" ").into(),
        }
    }

    /// A step written as a table row: `| Step | Tactic | Technique | Description |`.
    fn table_step(&self, technique: usize, table: &Range<usize>) -> Step {
        let vocabulary = self.vocabulary;
        let at = self.links[technique].range().start;
        let header = self.lines.line_bounds(self.text, table.start);
        let names: Vec<&str> = table_cells(&self.text[header])
            .map(|c| c.trim().trim_matches('*').trim())
            .collect();
        let row = self.lines.line_bounds(self.text, at);
        let cells: Vec<Range<usize>> = table_cells(&self.text[row.clone()])
            .map(|cell| {
                let start = cell.as_ptr() as usize - self.text.as_ptr() as usize;
                start..start + cell.len()
            })
            .collect();
        let column_of = |offset: usize| cells.iter().position(|c| c.contains(&offset));
        let named =
            |column: usize, test: &dyn Fn(&str) -> bool| names.get(column).is_some_and(|n| test(n));
        let tactic = self.link_in(row.clone(), |start| {
            column_of(start).is_some_and(|c| named(c, &|n| vocabulary.is_step_tactic_key(n)))
        });
        let is_step_name = |n: &str| n.eq_ignore_ascii_case(headings::STEP);
        let mut name = String::new();
        let mut text = Vec::new();
        for (column, cell) in cells.iter().enumerate() {
            let plain = self.plain(cell.clone(), |_| false);
            if named(column, &is_step_name) {
                name = plain;
            } else if !named(column, &|n| {
                vocabulary.is_step_key(n) || vocabulary.is_step_tactic_key(n) || n == "#"
            }) && !plain.is_empty()
            {
                text.push(plain);
            }
        }
        Step {
            technique: index(technique),
            tactic: tactic.map(index),
            heading: None,
            name: step_name(&name).into(),
            text: text.join(" ").into(),
        }
    }

    /// The index of the first link that starts in `range` and whose start `test` accepts.
    fn link_in(&self, range: Range<usize>, test: impl Fn(usize) -> bool) -> Option<usize> {
        let first = self
            .links
            .partition_point(|l| l.range().start < range.start);
        self.links[first..]
            .iter()
            .take_while(|l| l.range().start < range.end)
            .position(|l| test(l.range().start))
            .map(|i| first + i)
    }

    /// The key of the label on the line of byte `at`, if the label ends before `at`.
    fn label_at(&self, at: usize) -> Option<&str> {
        let bounds = self.lines.line_bounds(self.text, at);
        let line = &self.text[bounds.clone()];
        let label = line_label(line)?;
        // The label counts for a link after it, not one inside it.
        let key_end = label.key.as_ptr() as usize - self.text.as_ptr() as usize + label.key.len();
        (key_end <= at).then_some(label.key)
    }

    fn piece(&self, piece: Piece) -> &str {
        piece.text_in(self.text, self.link_text)
    }

    /// The plain text of `range`: each link as the text it shows, emphasis and code marks
    /// dropped, whitespace made single spaces; lines whose label `skip` accepts are left out.
    fn plain(&self, range: Range<usize>, skip: impl Fn(&str) -> bool) -> String {
        let mut out = String::new();
        let first = self
            .links
            .partition_point(|l| l.range().start < range.start);
        let mut links = self.links[first..]
            .iter()
            .take_while(|l| l.range().start < range.end)
            .peekable();
        let mut at = range.start;
        for line in self.text[range.clone()].split_inclusive('\n') {
            let line_start = at;
            let line_end = at + line.len();
            at = line_end;
            if line_label(line).is_some_and(|l| skip(l.key)) {
                while links.next_if(|l| l.range().start < line_end).is_some() {}
                continue;
            }
            let mut from = line_start;
            while let Some(link) = links.next_if(|l| l.range().start < line_end) {
                let r = link.range();
                out.push_str(&strip_marks(&self.text[from..r.start.max(from)]));
                out.push_str(&self.shown_text(link));
                from = r.end.min(line_end).max(from);
            }
            out.push_str(&strip_marks(&self.text[from..line_end]));
            out.push(' ');
        }
        squeeze(&out)
    }

    /// What a link shows as text: its label, else its target's last part.
    fn shown_text(&self, link: &RawLink) -> String {
        match link.syntax {
            LinkSyntax::Wiki => match link.label {
                Some(label) => strip_marks(self.piece(label)),
                None => {
                    let target = self.piece(link.target);
                    target.rsplit('/').next().unwrap_or(target).to_string()
                }
            },
            LinkSyntax::Markdown => {
                let written = &self.text[link.range()];
                match written.strip_prefix('[').and_then(|w| w.rsplit_once("](")) {
                    Some((inner, _)) => strip_marks(inner),
                    // An autolink `<https://...>` shows its address.
                    None => written.trim_matches(['<', '>']).to_string(),
                }
            }
            // Embeds and images show no text in a sentence.
            _ => String::new(),
        }
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// `Step 3: Name` → `Name`; any other name as it is.
fn step_name(heading: &str) -> &str {
    let trimmed = heading.trim();
    let Some(rest) = trimmed
        .get(..headings::STEP.len())
        .filter(|lead| lead.eq_ignore_ascii_case(headings::STEP))
        .map(|_| &trimmed[headings::STEP.len()..])
    else {
        return trimmed;
    };
    let rest = rest.trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return trimmed;
    }
    let after = rest[digits..].trim_start();
    match after.strip_prefix([':', '.', '-', '—']) {
        Some(name) if !name.trim().is_empty() => name.trim(),
        _ => trimmed,
    }
}

/// Markdown's emphasis and code marks and backslash escapes dropped.
fn strip_marks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next_if(|n| n.is_ascii_punctuation()) {
                    out.push(next);
                } else {
                    out.push('\\');
                }
            }
            '*' | '`' => {}
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
            }
            '=' if chars.peek() == Some(&'=') => {
                chars.next();
            }
            c => out.push(c),
        }
    }
    out
}

/// Runs of whitespace made one space, ends trimmed.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence of `plain`: up to a `.`, `!` or `?` followed by a space and a capital
/// letter or digit (not `e.g. the`), at most `max` characters, cut at a word with `…`.
pub fn first_sentence(plain: &str, max: usize) -> String {
    let mut end = plain.len();
    let bytes = plain.as_bytes();
    for (i, c) in plain.char_indices() {
        if matches!(c, '.' | '!' | '?') && bytes.get(i + 1) == Some(&b' ') {
            let next = plain[i + 2..].chars().next();
            if next.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit()) {
                end = i + 1;
                break;
            }
        }
    }
    let sentence = &plain[..end];
    if sentence.chars().count() <= max {
        return sentence.to_string();
    }
    let cut = sentence
        .char_indices()
        .nth(max)
        .map_or(sentence.len(), |(i, _)| i);
    let at_word = sentence[..cut].rfind(' ').unwrap_or(cut);
    format!(
        "{}…",
        sentence[..at_word].trim_end_matches([',', ';', ':', ' '])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_ends_before_a_capital_not_after_an_abbreviation() {
        assert_eq!(
            first_sentence("Adversaries may, e.g. by hand, act. Then more.", 240),
            "Adversaries may, e.g. by hand, act."
        );
        assert_eq!(first_sentence("One line only", 240), "One line only");
        assert_eq!(
            first_sentence("Version 1.2 is out! 3 bugs.", 240),
            "Version 1.2 is out!"
        );
        assert_eq!(first_sentence("aaa bbb ccc ddd", 9), "aaa bbb…");
    }

    #[test]
    fn step_names_lose_their_number() {
        assert_eq!(step_name("Step 1: Embed Malware"), "Embed Malware");
        assert_eq!(step_name("step 12. Exfiltrate"), "Exfiltrate");
        assert_eq!(step_name("Stepping stones"), "Stepping stones");
        assert_eq!(step_name("Step 2:"), "Step 2:");
    }

    /// (name, tactic target, technique target, text) of each step of `text`'s page.
    fn steps_of(text: &str) -> Vec<(String, Option<String>, String, String)> {
        let vocabulary = Vocabulary::default();
        let page = crate::load::parse_page("cs.md", text.to_string(), &vocabulary, &mut Vec::new());
        let target = |i: u32| page.piece(page.links[i as usize].target).to_string();
        page.steps
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    s.tactic.map(target),
                    target(s.technique),
                    s.text.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn steps_are_read_from_headings_tables_and_lines() {
        let headings = "---\ntitle: x\n---\n# Study\n\nFirst **sentence** here. Second one.\n\n## Procedure\n\n### Step 1: Embed [[m|Malware]]\n\n**Tactic:** [[staging]]\n\n**Technique:** [[embed|AML.T0018.002: Embed]]\n\nThe adversary used [[tool|a tool]] and [a site](https://x.example).\n\nMore `code`.\n\n### Step 2: Publish\n\n**Technique:** [[publish]]\n";
        assert_eq!(
            steps_of(headings),
            [
                (
                    "Embed Malware".to_string(),
                    Some("staging".to_string()),
                    "embed".to_string(),
                    "The adversary used a tool and a site. More code.".to_string()
                ),
                (
                    "Publish".to_string(),
                    None,
                    "publish".to_string(),
                    String::new()
                ),
            ]
        );
        let vocabulary = Vocabulary::default();
        let page =
            crate::load::parse_page("cs.md", headings.to_string(), &vocabulary, &mut Vec::new());
        assert_eq!(page.summary.as_deref(), Some("First sentence here."));

        let table = "# Study\n\n## Procedure\n\n| Step | Tactic | Technique | Description |\n|---|---|---|---|\n| Recon | [[recon]] | [[search]] | They searched. |\n";
        assert_eq!(
            steps_of(table),
            [(
                "Recon".to_string(),
                Some("recon".to_string()),
                "search".to_string(),
                "They searched.".to_string()
            )]
        );

        let lines =
            "# Study\n\n## Procedure\n\n- **Technique:** [[search]] — they looked *everywhere*\n";
        assert_eq!(
            steps_of(lines),
            [(
                String::new(),
                None,
                "search".to_string(),
                "they looked everywhere".to_string()
            )]
        );
    }

    #[test]
    fn marks_go_and_escapes_keep_their_character() {
        assert_eq!(
            strip_marks("**bold** `code` __u__ ==hi== a\\|b snake_case"),
            "bold code u hi a|b snake_case"
        );
    }
}
