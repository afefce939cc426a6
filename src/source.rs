//! Positions in source files: 1-based line and column (in characters), computed from a
//! line index built once per file.

use serde::Serialize;

/// A 1-based position in a file. `col` counts characters (not bytes) from the line start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Span {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl Span {
    /// Line `line`, column `col`.
    pub fn new(line: u32, col: u32) -> Self {
        Span { line, col }
    }
}

/// Byte offsets of line starts, so any byte offset maps to a [`Span`] in `O(log n)`.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// For a text with a line longer than [`MARK_BYTES`]: (byte offset, characters before
    /// it) every `MARK_BYTES` or so, so that a column on a long line costs a count of at most
    /// that many bytes, not of the whole line before it. Empty for nearly every page.
    marks: Vec<(usize, usize)>,
}

/// How far apart the marks of a text with long lines are, in bytes.
const MARK_BYTES: usize = 4096;

/// The index of the empty text: one line.
impl Default for LineIndex {
    fn default() -> Self {
        LineIndex::new("")
    }
}

impl LineIndex {
    /// The index of `text`.
    pub fn new(text: &str) -> Self {
        // Counting first costs less than growing the list a few times for every page.
        let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
        let mut starts = Vec::with_capacity(lines);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let longest = starts
            .windows(2)
            .map(|w| w[1] - w[0])
            .chain(starts.last().map(|&last| text.len() - last))
            .max()
            .unwrap_or(0);
        let marks = if longest > MARK_BYTES {
            marks(text)
        } else {
            Vec::new()
        };
        LineIndex { starts, marks }
    }

    /// The characters in `text[..offset]`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let i = self.marks.partition_point(|&(at, _)| at <= offset);
        let (at, count) = i.checked_sub(1).map_or((0, 0), |i| self.marks[i]);
        count + text.get(at..offset).map_or(0, |s| s.chars().count())
    }

    /// The byte range of the line holding byte `offset`, without its `\n`.
    pub fn line_bounds(&self, text: &str, offset: usize) -> std::ops::Range<usize> {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts[line].min(text.len());
        let end = self.starts.get(line + 1).map_or(text.len(), |&e| e - 1);
        start..end
    }

    /// Each line that starts at or after byte `from`, with its start offset and without its
    /// `\n`; if `from` is inside a line, that line's rest comes first. No empty line is
    /// yielded after a final `\n` (as `str::split_inclusive` does not).
    pub fn lines_from<'t>(
        &'t self,
        text: &'t str,
        from: usize,
    ) -> impl Iterator<Item = (usize, &'t str)> + 't {
        let next = self.starts.partition_point(|&s| s <= from);
        let first = (from < text.len()).then_some(from);
        first
            .into_iter()
            .chain(self.starts[next..].iter().copied())
            .take_while(move |&start| start < text.len())
            .map(move |start| {
                let end = memchr::memchr(b'\n', &text.as_bytes()[start..])
                    .map_or(text.len(), |i| start + i);
                (start, &text[start..end])
            })
    }

    /// The span of byte `offset` in `text` (the text this index was built from).
    pub fn span(&self, text: &str, offset: usize) -> Span {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let end = offset.min(text.len());
        let col = if end - start <= MARK_BYTES || self.marks.is_empty() {
            text.get(start..end).map_or(0, |s| s.chars().count())
        } else {
            self.chars_before(text, end) - self.chars_before(text, start)
        };
        Span::new(line as u32 + 1, col as u32 + 1)
    }

    /// The byte offset where 1-based line `line` starts (the text's end for a line past
    /// the last).
    pub fn line_start(&self, text: &str, line: u32) -> usize {
        let i = (line as usize).saturating_sub(1);
        self.starts
            .get(i)
            .map_or(text.len(), |&s| s.min(text.len()))
    }

    /// The text of 1-based line `line`, without its line end.
    pub fn line<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(text.len(), |&e| e - 1);
        text.get(start..end).map(|l| l.trim_end_matches('\r'))
    }
}

/// Character counts at char boundaries about every [`MARK_BYTES`] bytes of `text`.
fn marks(text: &str) -> Vec<(usize, usize)> {
    let mut marks = Vec::with_capacity(text.len() / MARK_BYTES + 1);
    let (mut at, mut count) = (0, 0);
    loop {
        let mut next = at + MARK_BYTES;
        if next >= text.len() {
            return marks;
        }
        while !text.is_char_boundary(next) {
            next += 1;
        }
        count += text[at..next].chars().count();
        at = next;
        marks.push((at, count));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_characters_not_bytes() {
        let text = "ab\nçé[[x]]\n";
        let index = LineIndex::new(text);
        let offset = text.find("[[").unwrap();
        assert_eq!(index.span(text, offset), Span::new(2, 3));
        assert_eq!(index.span(text, 0), Span::new(1, 1));
        assert_eq!(index.line(text, 2), Some("çé[[x]]"));
        assert_eq!(index.line(text, 3), Some(""));
        assert_eq!(index.line(text, 4), None);
    }

    #[test]
    fn columns_on_long_lines_count_characters_as_short_ones_do() {
        let text = format!("x\n{}[[y]]\n{}\n", "é[[".repeat(3000), "a".repeat(9000));
        let index = LineIndex::new(&text);
        assert!(!index.marks.is_empty());
        for (offset, _) in text.char_indices().step_by(97) {
            let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..offset].chars().count() as u32 + 1;
            assert_eq!(index.span(&text, offset).col, col, "at {offset}");
        }
        assert!(LineIndex::new("short\nlines\n").marks.is_empty());
    }

    #[test]
    fn lines_from_matches_split_inclusive() {
        for text in ["", "a", "a\n", "a\nb", "a\n\nb\n", "\n", "ab\ncd\n\n"] {
            let index = LineIndex::new(text);
            for from in 0..=text.len() {
                let mut at = from;
                let expected: Vec<(usize, &str)> = text[from..]
                    .split_inclusive('\n')
                    .map(|l| {
                        let start = at;
                        at += l.len();
                        (start, l.trim_end_matches('\n'))
                    })
                    .collect();
                let found: Vec<(usize, &str)> = index.lines_from(text, from).collect();
                assert_eq!(found, expected, "{text:?} from {from}");
            }
        }
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_bounds(text, 0), 0..2);
        assert_eq!(index.line_bounds(text, 2), 0..2);
        assert_eq!(index.line_bounds(text, 4), 3..5);
        assert_eq!(index.line_bounds(text, 6), 6..6);
    }
}
