//! Extracts what the graph needs from one page's markdown: headings, block ids, metadata
//! bullets, and every link with its byte range and position (DESIGN.md section 4).
//!
//! pulldown-cmark finds code, tables, markdown links and headings; wiki links are not
//! CommonMark, so they are scanned in the raw text, outside the code ranges it reported, and
//! their brackets are masked for its parse (see `syntax::WikiMasks`).

use super::prose::{Prose, Step};
use super::{BlockId, Heading, LinkSyntax, MetaField, Piece, RawLink};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::LineIndex;
use crate::syntax::{
    comment_ranges, github_slug, inline_tags, markdown_options, within, WikiMasks, RESERVED_IDS,
};
use crate::vocabulary::{SectionId, Vocabulary};
use pulldown_cmark::{Event, HeadingLevel, LinkType, Parser, Tag, TagEnd};
use std::ops::Range;

pub struct Scanned {
    /// Obsidian comments, from `%%` to `%%`: not shown.
    pub comments: Vec<Range<usize>>,
    /// Inline `#tags`, without their `#`, in order (the load keeps each once).
    pub tags: Vec<String>,
    pub headings: Vec<Heading>,
    pub block_ids: Vec<BlockId>,
    pub links: Vec<RawLink>,
    pub metadata: Vec<MetaField>,
    pub parent_technique: Option<String>,
    pub summary: Option<Box<str>>,
    pub steps: Vec<Step>,
}

pub fn scan_body(
    text: &str,
    body_start: usize,
    lines: &LineIndex,
    path: &str,
    vocabulary: &Vocabulary,
    link_text: &mut String,
    diagnostics: &mut Vec<Diagnostic>,
) -> Scanned {
    // Wiki links come first, found as if the page had no code, so that the markdown parser
    // can be given the body with their brackets masked (see `WikiMasks`). Code never depends on
    // brackets, so the code ranges the parse reports are those of the page as written; if
    // one of them holds a `[[` (which the scan may have read as a link), the scan runs
    // again, outside code.
    let mut found = scan_lines(text, body_start, lines, path, &[], link_text);
    let masks = WikiMasks::of(found.links.iter().filter_map(RawLink::wiki_brackets));
    let mut markdown = parse_markdown(text, body_start, lines, &masks, link_text);
    let holds_open = |r: &Range<usize>| {
        // One byte past the end: a `[[` starting on the last byte of code counts.
        let end = (r.end + 1).min(text.len());
        memchr::memmem::find(&text.as_bytes()[r.start..end], b"[[").is_some()
    };
    if markdown.code.iter().any(holds_open) {
        found = scan_lines(text, body_start, lines, path, &markdown.code, link_text);
        let links_masks = WikiMasks::of(found.links.iter().filter_map(RawLink::wiki_brackets));
        // Masks inside code change nothing the parse reports; any other difference does.
        // (Link parts the first parse copied stay in `link_text`, unused: a rare page.)
        if !masks.same_outside(&links_masks, &markdown.code) {
            markdown = parse_markdown(text, body_start, lines, &links_masks, link_text);
        }
    }
    // Comments (`%%...%%`) are found outside code, which no mask changes.
    let comments = comment_ranges(text, body_start, &markdown.code);
    // A wiki link the parse does not show (a reference definition or a footnote's label
    // swallowed it) is no link: the renderer, reading the same parse, shows nothing of it;
    // nor is one in a comment. Without its masks the parse may change, so it runs again;
    // links only ever go.
    loop {
        let before = found.links.len();
        found.links.retain(|l| {
            !within(&comments, l.start as usize)
                && l.wiki_brackets()
                    .is_none_or(|brackets| markdown.shows(brackets.start))
        });
        if found.links.len() == before {
            break;
        }
        let masks = WikiMasks::of(found.links.iter().filter_map(RawLink::wiki_brackets));
        markdown = parse_markdown(text, body_start, lines, &masks, link_text);
    }
    if !markdown.rewritten.is_empty() {
        // A destination the parser had to rewrite (escapes, entities) holds a masked
        // bracket, which cannot be told from the text's own commas and at signs: such a
        // link takes its destination from a parse of the page as written.
        let as_written = parse_markdown(text, body_start, lines, &WikiMasks::default(), link_text);
        for &i in &markdown.rewritten {
            let link = &mut markdown.links[i];
            let same = as_written
                .links
                .iter()
                .find(|l| l.start == link.start && l.syntax == link.syntax);
            if let Some(same) = same {
                *link = same.clone();
            }
        }
    }
    let Markdown {
        code,
        tables,
        mut headings,
        links: mut markdown_links,
        mut paragraphs,
        tags: tag_ranges,
        ..
    } = markdown;
    // What a comment holds is not on the page: no heading, link, paragraph or tag.
    if !comments.is_empty() {
        headings.retain(|h| !within(&comments, h.offset));
        paragraphs.retain(|p| !within(&comments, p.start));
        markdown_links.retain(|l| !within(&comments, l.start as usize));
    }
    assign_slugs(&mut headings);
    // Code and comments: where no block id or metadata bullet is read.
    let hidden: std::borrow::Cow<[Range<usize>]> = if comments.is_empty() {
        std::borrow::Cow::Borrowed(&code)
    } else {
        let mut hidden = [code.as_slice(), comments.as_slice()].concat();
        hidden.sort_unstable_by_key(|r| r.start);
        std::borrow::Cow::Owned(hidden)
    };

    diagnostics.append(&mut found.diagnostics);
    if !tables.is_empty() {
        for link in &found.links {
            let bracket = link.start as usize + usize::from(link.syntax == LinkSyntax::Embed);
            if inside(&tables, bracket).is_some() && bare_pipe(text, link) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::TablePipe,
                        path,
                        link.span,
                        link.width(),
                        "unescaped `|` in a wiki link inside a table splits the cell".into(),
                    )
                    .with_help("write the pipe as `\\|` inside tables"),
                );
            }
        }
    }
    let block_ids = found
        .block_ids
        .into_iter()
        .filter(|(at, _)| inside(&hidden, *at).is_none())
        .map(|(at, id)| BlockId {
            id,
            span: lines.span(text, at),
        })
        .collect();
    // A markdown link written inside a wiki link (`[[[v](x)]]`), or one that only the
    // masked brackets let end inside one (`[-[[](2)]]`), is no link: the renderer replaces
    // the wiki link whole, taking the link's start or end with it. One that holds a wiki
    // link whole (`[see [[x]]](y)`) stays.
    if !found.links.is_empty() {
        let wiki: Vec<Range<usize>> = found.links.iter().map(RawLink::range).collect();
        markdown_links.retain(|l| {
            let range = l.range();
            let last = range.end.saturating_sub(1).max(range.start);
            inside(&wiki, range.start).is_none()
                && inside(&wiki, last).is_none_or(|w| w.start >= range.start && w.end <= range.end)
        });
    }
    let mut links = found.links;
    links.append(&mut markdown_links);
    links.sort_by_key(|l| l.start);

    let (metadata, parent_technique) =
        metadata(text, lines, body_start, &headings, &hidden, vocabulary);
    let page = Sections {
        text,
        lines,
        headings: &headings,
        tables: &tables,
        vocabulary,
    };
    page.assign(&mut links, link_text);
    let prose = Prose {
        text,
        lines,
        headings: &headings,
        tables: &tables,
        paragraphs: &paragraphs,
        links: &links,
        link_text,
        vocabulary,
    };
    let summary = prose.summary();
    let steps = prose.steps();
    // A `#` inside a wiki link (`[[note|#x]]`) is the link's text; one in a comment is hidden.
    let mut tags: Vec<String> = Vec::new();
    if !tag_ranges.is_empty() {
        let wiki: Vec<Range<usize>> = links
            .iter()
            .filter(|l| l.wiki_brackets().is_some())
            .map(RawLink::range)
            .collect();
        tags = tag_ranges
            .into_iter()
            .filter(|r| !within(&wiki, r.start) && !within(&comments, r.start))
            .map(|r| text[r.start + 1..r.end].to_string())
            .collect();
    }
    Scanned {
        comments,
        tags,
        headings,
        block_ids,
        links,
        metadata,
        parent_technique,
        summary,
        steps,
    }
}

/// What the markdown parser reports of a body.
struct Markdown {
    code: Vec<Range<usize>>,
    tables: Vec<Range<usize>>,
    /// Without their slugs made unique yet.
    headings: Vec<Heading>,
    links: Vec<RawLink>,
    /// Indexes in `links` of the links whose destination the parser rewrote and whose text
    /// holds a mask.
    rewritten: Vec<usize>,
    /// Where the parse shows text (text, code, raw HTML), in order; kept only when some wiki
    /// link is masked, to tell which ones the page shows.
    shown: Vec<Range<usize>>,
    /// Paragraphs outside lists, quotes and footnotes, in order.
    paragraphs: Vec<Range<usize>>,
    /// Inline `#tags` in text outside code and links, in order (see `syntax::inline_tags`).
    tags: Vec<Range<usize>>,
}

impl Markdown {
    /// Whether the parse shows the text at `offset`.
    fn shows(&self, offset: usize) -> bool {
        let i = self.shown.partition_point(|r| r.end <= offset);
        self.shown.get(i).is_some_and(|r| r.start <= offset)
    }
}

fn parse_markdown(
    text: &str,
    body_start: usize,
    lines: &LineIndex,
    masks: &WikiMasks,
    link_text: &mut String,
) -> Markdown {
    let mut masked = String::new();
    let body = masks
        .apply(text, body_start, &mut masked)
        .unwrap_or(&text[body_start..]);
    let mut code: Vec<Range<usize>> = Vec::new();
    let mut tables: Vec<Range<usize>> = Vec::new();
    let mut links: Vec<RawLink> = Vec::new();
    let mut headings: Vec<Heading> = Vec::new();
    let mut open_heading: Option<(HeadingLevel, Range<usize>, String)> = None;
    let mut rewritten = Vec::new();
    let mut shown = Vec::new();
    let mut paragraphs = Vec::new();
    let mut tags = Vec::new();
    // Inside a code block, or a link's or image's text: no tags there.
    let mut in_code_block = false;
    let mut link_depth = 0u32;
    let mut image_depth = 0u32;
    // Lists, quotes and footnotes open; a paragraph inside one is not the page's own prose.
    let mut containers = 0u32;
    let track_shown = !masks.is_empty();
    // A destination the parser lends from the body is at the same offsets in the text.
    let piece = |part: &str, link_text: &mut String| match Piece::within(body, part) {
        Some(piece) => piece.shifted(body_start),
        None => Piece::of(text, part, link_text),
    };

    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        if let Event::Text(ref s) = event {
            if !in_code_block && link_depth == 0 {
                tags.extend(
                    inline_tags(body, range.clone(), s)
                        .into_iter()
                        .map(|t| t.start + body_start..t.end + body_start),
                );
            }
        }
        let range = range.start + body_start..range.end + body_start;
        // An image's text is its alt attribute: a wiki link there shows as no link.
        if track_shown
            && image_depth == 0
            && matches!(
                event,
                Event::Text(_) | Event::Code(_) | Event::Html(_) | Event::InlineHtml(_)
            )
        {
            shown.push(range.clone());
        }
        match event {
            Event::Code(ref s) => {
                code.push(range.clone());
                if let Some((_, _, t)) = open_heading.as_mut() {
                    t.push_str(s);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                code.push(range);
            }
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::End(TagEnd::Link) => link_depth = link_depth.saturating_sub(1),
            Event::End(TagEnd::Image) => {
                link_depth = link_depth.saturating_sub(1);
                image_depth = image_depth.saturating_sub(1);
            }
            Event::Start(Tag::Table(_)) => tables.push(range),
            Event::Start(Tag::Paragraph) if containers == 0 => paragraphs.push(range),
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)) => {
                containers += 1;
            }
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition) => {
                containers = containers.saturating_sub(1);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                open_heading = Some((level, range, String::new()));
            }
            Event::Text(ref s) => {
                if let Some((_, _, t)) = open_heading.as_mut() {
                    t.push_str(s);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, range, rendered)) = open_heading.take() {
                    headings.push(heading(text, lines, level, range, &rendered));
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                link_depth += 1;
                if Piece::within(body, &dest_url).is_none() && masks.any_in(&range) {
                    rewritten.push(links.len());
                }
                // `<a@b.org>` comes without its scheme; it is a mail address, not a page path.
                let mail;
                let dest = if link_type == LinkType::Email {
                    mail = format!("mailto:{dest_url}");
                    mail.as_str()
                } else {
                    &*dest_url
                };
                links.push(markdown_link(
                    text,
                    lines,
                    LinkSyntax::Markdown,
                    dest,
                    range,
                    |part| piece(part, link_text),
                ));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                link_depth += 1;
                image_depth += 1;
                if Piece::within(body, &dest_url).is_none() && masks.any_in(&range) {
                    rewritten.push(links.len());
                }
                links.push(markdown_link(
                    text,
                    lines,
                    LinkSyntax::Image,
                    &dest_url,
                    range,
                    |part| piece(part, link_text),
                ));
            }
            _ => {}
        }
    }
    shown.sort_unstable_by_key(|r| r.start);
    Markdown {
        code,
        tables,
        headings,
        links,
        rewritten,
        shown,
        paragraphs,
        tags,
    }
}

fn heading(
    text: &str,
    lines: &LineIndex,
    level: HeadingLevel,
    range: Range<usize>,
    rendered: &str,
) -> Heading {
    let source = &text[range.clone()];
    let first = source.lines().next().unwrap_or("").trim();
    // ATX: drop the opening hashes and an optional closing run; setext: the text lines.
    let raw = if first.starts_with('#') {
        let inner = first.trim_start_matches('#').trim();
        let closed = inner.trim_end_matches('#');
        if closed.len() < inner.len() && (closed.is_empty() || closed.ends_with([' ', '\t'])) {
            closed.trim().to_string()
        } else {
            inner.to_string()
        }
    } else {
        let body: Vec<&str> = source.lines().collect();
        body[..body.len().saturating_sub(1)]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Heading {
        level: level as u8,
        text: raw,
        slug: github_slug(rendered),
        span: lines.span(text, range.start),
        offset: range.start,
        end: range.end,
    }
}

/// Repeated slugs get `-1`, `-2`, ... in document order, as GitHub does.
fn assign_slugs(headings: &mut [Heading]) {
    // Most pages repeat no slug and have a few dozen headings: comparing each with those
    // before it costs less than building the map below for every page.
    if headings.len() <= 64 {
        let clash = headings.iter().enumerate().any(|(i, h)| {
            RESERVED_IDS.contains(&h.slug.as_str())
                || headings[..i].iter().any(|before| before.slug == h.slug)
        });
        if !clash {
            return;
        }
    }
    let mut seen: std::collections::HashMap<String, usize> =
        RESERVED_IDS.iter().map(|id| (id.to_string(), 1)).collect();
    for h in headings.iter_mut() {
        let base = h.slug.clone();
        let mut slug = base.clone();
        while let Some(n) = seen.get_mut(&slug) {
            *n += 1;
            slug = format!("{base}-{}", *n - 1);
            if !seen.contains_key(&slug) {
                break;
            }
        }
        seen.entry(slug.clone()).or_insert(1);
        h.slug = slug;
    }
}

fn markdown_link(
    text: &str,
    lines: &LineIndex,
    syntax: LinkSyntax,
    dest: &str,
    range: Range<usize>,
    mut piece: impl FnMut(&str) -> Piece,
) -> RawLink {
    // The parser lends the destination from the body unless it had to change it.
    let (target, subpath) = match dest.split_once('#') {
        Some((t, s)) => (piece(t), Some(piece(s))),
        None => (piece(dest), None),
    };
    let width = text[range.clone()]
        .lines()
        .next()
        .map_or(1, |l| l.chars().count());
    let span = lines.span(text, range.start);
    RawLink::new(syntax, (target, subpath, None), span, width, range)
}

pub(super) fn inside(ranges: &[Range<usize>], offset: usize) -> Option<&Range<usize>> {
    let i = ranges.partition_point(|r| r.end <= offset);
    ranges.get(i).filter(|r| r.start <= offset)
}

fn escaped(line: &str, at: usize) -> bool {
    line[..at].bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// What the line scan found.
#[derive(Default)]
struct LineScan {
    /// Wiki links and embeds, in order.
    links: Vec<RawLink>,
    /// Malformed link syntax.
    diagnostics: Vec<Diagnostic>,
    /// `^block-id` markers with their offsets, code not yet excluded.
    block_ids: Vec<(usize, String)>,
}

/// Wiki links, embeds, malformed link syntax and block ids, outside `code`: on the lines with
/// a doubled bracket, and those with a `^`.
fn scan_lines(
    text: &str,
    body_start: usize,
    lines: &LineIndex,
    path: &str,
    code: &[Range<usize>],
    link_text: &mut String,
) -> LineScan {
    let mut found = LineScan::default();
    for (start, line) in lines_holding(text, body_start, lines, find_doubled_bracket) {
        let line = line.trim_end_matches('\r');
        scan_wiki_links(text, start, line, lines, path, code, &mut found, link_text);
    }
    let caret = |rest: &[u8]| memchr::memchr(b'^', rest);
    for (start, line) in lines_holding(text, body_start, lines, caret) {
        let line = line.trim_end_matches('\r');
        if let Some(id) = block_id(line) {
            let at = start + line.len() - id.len() - 1;
            found.block_ids.push((at, id.to_string()));
        }
    }
    found
}

/// The first `[[` or `]]` in `bytes`.
fn find_doubled_bracket(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = memchr::memchr2(b'[', b']', &bytes[from..]) {
        let at = from + at;
        if bytes.get(at + 1) == Some(&bytes[at]) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Each line of the body where `find` (given the text from some offset on, answering an
/// offset into it) finds something, once, with its start offset and without its `\n`.
/// Scans look for what they need this way, and not line by line: most lines are prose that
/// holds none of it.
fn lines_holding<'t>(
    text: &'t str,
    body_start: usize,
    lines: &'t LineIndex,
    mut find: impl FnMut(&[u8]) -> Option<usize> + 't,
) -> impl Iterator<Item = (usize, &'t str)> + 't {
    let mut from = body_start;
    std::iter::from_fn(move || {
        let at = from + find(text.as_bytes().get(from..)?)?;
        let bounds = lines.line_bounds(text, at);
        let start = bounds.start.max(body_start);
        from = bounds.end + 1;
        Some((start, &text[start..bounds.end]))
    })
}

/// A `^block-id` at the end of a line (with nothing after it, not even a space).
fn block_id(line: &str) -> Option<&str> {
    // Read back over the id's characters only: most lines end in prose and stop at once.
    let bytes = line.as_bytes();
    let start = bytes
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'-'))
        .map_or(0, |p| p + 1);
    let caret = start.checked_sub(1)?;
    let id = &line[start..];
    let ok = bytes[caret] == b'^'
        && !id.is_empty()
        && (caret == 0 || matches!(bytes[caret - 1], b' ' | b'\t'));
    ok.then_some(id)
}

#[allow(clippy::too_many_arguments)]
fn scan_wiki_links(
    text: &str,
    start: usize,
    line: &str,
    lines: &LineIndex,
    path: &str,
    code: &[Range<usize>],
    found_so_far: &mut LineScan,
    link_text: &mut String,
) {
    let LineScan {
        links, diagnostics, ..
    } = found_so_far;
    let malformed = |at: usize, width: usize, message: String, help: &str| {
        Diagnostic::new(
            Code::MalformedLink,
            path,
            lines.span(text, start + at),
            width,
            message,
        )
        .with_help(help)
    };
    let mut i = 0;
    // End of the text the last link consumed: `]]` after it with a `|` between is unopened.
    let mut consumed = 0;
    while i < line.len() {
        let Some(found) = find_pair(&line[i..], b'[').map(|p| p + i) else {
            break;
        };
        if let Some(r) = inside(code, start + found) {
            i = (r.end - start).max(found + 2);
            continue;
        }
        if escaped(line, found) {
            i = found + 2;
            continue;
        }
        let close = find_pair(&line[found + 2..], b']').map(|p| p + found + 2);
        let Some(close) = close else {
            // No `]]` follows: neither this `[[` nor any after it closes, and one report of
            // it says so (a line of a million `[[` is one problem, not half a million).
            diagnostics.push(malformed(
                found,
                line.len() - found,
                "`[[` is never closed on this line".into(),
                "a wiki link must close with `]]` on the same line",
            ));
            break;
        };
        let inner = &line[found + 2..close];
        if let Some(nested) = rfind_pair(inner, b'[') {
            // `[[a [[b]] c]]`: only the innermost `[[b]]` is a link.
            i = found + 2 + nested;
            continue;
        }
        let embed = found > 0 && line.as_bytes()[found - 1] == b'!' && !escaped(line, found - 1);
        let open = if embed { found - 1 } else { found };
        let end = close + 2;
        let width = line[open..end].chars().count();
        if inner.trim().is_empty() {
            diagnostics.push(malformed(
                open,
                width,
                "empty wiki link `[[]]`".into(),
                "write the page to link inside the brackets",
            ));
            i = end;
            consumed = end;
            continue;
        }
        let (target, label) = split_label(inner);
        let (target, subpath) = match memchr::memchr(b'#', target.as_bytes()) {
            Some(p) => (&target[..p], Some(&target[p + 1..])),
            None => (target, None),
        };
        let syntax = if embed {
            LinkSyntax::Embed
        } else {
            LinkSyntax::Wiki
        };
        let pieces = (
            Piece::of(text, target, link_text),
            subpath.map(|s| Piece::of(text, s, link_text)),
            label.map(|l| Piece::of(text, l, link_text)),
        );
        let span = lines.span(text, start + open);
        links.push(RawLink::new(
            syntax,
            pieces,
            span,
            width,
            start + open..start + end,
        ));
        unopened_closers(&line[consumed..open], consumed, &malformed, diagnostics);
        i = end;
        consumed = end;
    }
    unopened_closers(&line[consumed..], consumed, &malformed, diagnostics);
}

/// The first `[[` or `]]` (`byte` twice) in `s`: a byte search, cheaper than a `str` pattern
/// search set up anew for each short line.
fn find_pair(s: &str, byte: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memchr(byte, &bytes[from..]) {
        let at = from + p;
        if bytes.get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The last `[[` or `]]` (`byte` twice) in `s`.
fn rfind_pair(s: &str, byte: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut end = bytes.len();
    while let Some(at) = memchr::memrchr(byte, &bytes[..end]) {
        if at > 0 && bytes[at - 1] == byte {
            return Some(at - 1);
        }
        end = at;
    }
    None
}

/// `text|label]]` with no `[[`: a link whose opening was lost.
fn unopened_closers(
    segment: &str,
    offset: usize,
    malformed: &dyn Fn(usize, usize, String, &str) -> Diagnostic,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(close) = find_pair(segment, b']') {
        if let Some(pipe) = segment[..close].rfind('|') {
            if find_pair(&segment[..close], b'[').is_none() {
                let from = segment[..pipe]
                    .rfind([' ', '\t', '(', '*'])
                    .map_or(0, |p| p + 1);
                let width = segment[from..close + 2].chars().count();
                diagnostics.push(malformed(
                    offset + from,
                    width,
                    "`]]` closes a wiki link that was never opened".into(),
                    "add the missing `[[` before the link target",
                ));
            }
        }
    }
}

/// The cells of a table row: split at each `|` without a `\\` before it, the row's outer
/// pipes dropped.
pub(super) fn table_cells(row: &str) -> impl Iterator<Item = &str> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = match row.strip_suffix('|') {
        Some(rest) if !escaped(row, row.len() - 1) => rest,
        _ => row,
    };
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let pipe = (from..row.len()).find(|&i| row.as_bytes()[i] == b'|' && !escaped(row, i));
        start = pipe.map(|i| i + 1);
        Some(&row[from..pipe.unwrap_or(row.len())])
    })
}

/// Whether wiki link `link` has a label after a `|` with no `\\` before it. (Its parts are
/// pieces of `text`: the scan finds them there.)
fn bare_pipe(text: &str, link: &RawLink) -> bool {
    link.label.is_some_and(|label| {
        let before_pipe = (label.start as usize).checked_sub(2);
        !label.in_link_text && before_pipe.and_then(|i| text.as_bytes().get(i)) != Some(&b'\\')
    })
}

/// Splits `target|label` at the first pipe; `\|` (the table form) counts as a pipe.
fn split_label(inner: &str) -> (&str, Option<&str>) {
    match memchr::memchr(b'|', inner.as_bytes()) {
        Some(p) if p > 0 && inner.as_bytes()[p - 1] == b'\\' => {
            (&inner[..p - 1], Some(&inner[p + 1..]))
        }
        Some(p) => (&inner[..p], Some(&inner[p + 1..])),
        None => (inner, None),
    }
}

/// `- **Key:** value` bullets of the metadata section, and the first parent technique line.
fn metadata(
    text: &str,
    lines: &LineIndex,
    body_start: usize,
    headings: &[Heading],
    code: &[Range<usize>],
    vocabulary: &Vocabulary,
) -> (Vec<MetaField>, Option<String>) {
    let mut fields = Vec::new();
    let mut parent = None;
    let meta_section = headings
        .iter()
        .position(|h| vocabulary.is_metadata_section(&h.text))
        .map(|i| {
            let h = &headings[i];
            let end = headings[i + 1..]
                .iter()
                .find(|n| n.level <= h.level)
                .map_or(text.len(), |n| n.offset);
            h.offset..end
        });
    let bold = memchr::memmem::Finder::new("**");
    for (at, line) in lines_holding(text, body_start, lines, |rest| bold.find(rest)) {
        let Some(label) = line_label(line).filter(|l| l.bold) else {
            continue;
        };
        if inside(code, at).is_some() {
            continue;
        }
        let value = label.rest.trim();
        if vocabulary.is_parent_key(label.key) && parent.is_none() {
            parent = Some(value.to_string());
        }
        if label.bullet && meta_section.as_ref().is_some_and(|r| r.contains(&at)) {
            fields.push(MetaField {
                key: label.key.to_string(),
                value: value.to_string(),
            });
        }
    }
    (fields, parent)
}

/// A line that starts with a label: `**Key:** rest`, `**Key**: rest` or `Key: rest`, after
/// an optional list marker or quote mark.
pub(super) struct Label<'a> {
    pub(super) key: &'a str,
    rest: &'a str,
    /// Written in bold.
    pub(super) bold: bool,
    /// After a list marker.
    bullet: bool,
}

/// The label `line` starts with, if any.
pub(super) fn line_label(line: &str) -> Option<Label<'_>> {
    let mut lead = line.trim_start();
    let mut bullet = false;
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = lead.strip_prefix(marker) {
            lead = rest.trim_start();
            bullet = true;
            break;
        }
    }
    if !bullet {
        if let Some(rest) = lead.strip_prefix('>') {
            lead = rest.trim_start();
        }
    }
    if let Some(rest) = lead.strip_prefix("**") {
        let close = rest.find("**")?;
        let inner = &rest[..close];
        let after = &rest[close + 2..];
        let (key, rest) = match inner.strip_suffix(':') {
            Some(key) => (key, after),
            None => (inner, after.strip_prefix(':')?),
        };
        let key = key.trim();
        return (!key.is_empty()).then_some(Label {
            key,
            rest,
            bold: true,
            bullet,
        });
    }
    // A plain `Key: rest`: a short key of words, not a URL's scheme or a sentence.
    let colon = lead.find(':')?;
    let key = &lead[..colon];
    let plain = !key.is_empty()
        && key.len() <= 40
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '&'))
        && lead[colon + 1..].starts_with([' ', '\t']);
    plain.then(|| Label {
        key: key.trim(),
        rest: &lead[colon + 1..],
        bold: false,
        bullet,
    })
}

/// What headings and labels make of a page's links: the relation section each link is an
/// entry of (DESIGN.md section 3).
struct Sections<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    headings: &'a [Heading],
    tables: &'a [Range<usize>],
    vocabulary: &'a Vocabulary,
}

/// What the links below a heading are, in a relation section.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Below {
    /// Each link is an entry.
    Entries(SectionId),
    /// Only the step technique lines and table cells are entries (`Procedure`).
    Steps(SectionId),
    /// An entry written as a heading (`### [[x]]`): its links are entries, and the text
    /// under it describes the entry (its links are not entries).
    EntryHeading(SectionId),
    /// The text under an entry heading.
    Description,
}

/// What links need of the line they are on, worked out once for all of them.
#[derive(Default)]
struct Row<'t> {
    /// Byte range of the line, without its `\n`.
    bounds: Range<usize>,
    /// The label the line starts with, and the byte offset where it ends.
    label: Option<(Label<'t>, usize)>,
    /// Offsets of each ` — ` on the line, found when first needed.
    dashes: Option<Vec<usize>>,
    /// Offsets of each `|` without a `\\` before it, found when first needed.
    pipes: Option<Vec<usize>>,
}

/// What separates an entry from its use text on its line.
const NOTE_SEPARATOR: &str = " — ";

impl<'t> Row<'t> {
    fn new(text: &'t str, bounds: Range<usize>) -> Row<'t> {
        let line = &text[bounds.clone()];
        let label = line_label(line).map(|label| {
            let end = label.rest.as_ptr() as usize - text.as_ptr() as usize;
            (label, end)
        });
        Row {
            bounds,
            label,
            dashes: None,
            pipes: None,
        }
    }

    /// The use text after the first ` — ` that follows byte `at`, up to the next link on
    /// the line (`next_link`), the end of a table cell, or the end of the line: each entry's
    /// text is its own, however many entries share the line.
    fn note_after(
        &mut self,
        text: &'t str,
        at: usize,
        next_link: Option<usize>,
        in_table: bool,
    ) -> Option<&'t str> {
        let line = &text[self.bounds.clone()];
        let start = self.bounds.start;
        let dashes = self.dashes.get_or_insert_with(|| {
            static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
                std::sync::LazyLock::new(|| memchr::memmem::Finder::new(NOTE_SEPARATOR));
            FINDER
                .find_iter(line.as_bytes())
                .map(|i| start + i)
                .collect()
        });
        let dash = *dashes[dashes.partition_point(|&d| d < at)..].first()?;
        let mut end = self.bounds.end;
        if let Some(next) = next_link.filter(|&n| n < end) {
            end = next;
        }
        if in_table {
            let pipes = self.pipes(text);
            if let Some(&pipe) = pipes[pipes.partition_point(|&p| p < dash)..].first() {
                end = end.min(pipe);
            }
        }
        let from = dash + NOTE_SEPARATOR.len();
        let note = text.get(from..end.max(from))?.trim();
        (!note.is_empty()).then_some(note)
    }

    /// Offsets of each `|` on the line without a `\\` before it.
    fn pipes(&mut self, text: &str) -> &[usize] {
        let line = &text[self.bounds.clone()];
        let start = self.bounds.start;
        self.pipes.get_or_insert_with(|| {
            (0..line.len())
                .filter(|&i| line.as_bytes()[i] == b'|' && !escaped(line, i))
                .map(|i| start + i)
                .collect()
        })
    }

    /// The table column byte `at` of the line is in: the pipes before it, less the row's
    /// leading one.
    fn column(&mut self, text: &str, at: usize) -> Option<usize> {
        let leading = text[self.bounds.clone()].trim_start().starts_with('|');
        let before = self.pipes(text).partition_point(|&p| p < at);
        before.checked_sub(usize::from(leading))
    }
}

impl Sections<'_> {
    /// Sets the section and note of each link that is a relation entry. A line that starts
    /// with a label naming a section (`**Mitigated by:** [[x]], [[y]]`) makes its links
    /// entries of that section wherever it is; otherwise the headings above decide.
    fn assign(&self, links: &mut [RawLink], link_text: &mut String) {
        let below = self.below_each_heading(links);
        let vocabulary = self.vocabulary;
        // What each link needs of its line and table, worked out once per line and table:
        // one line may hold tens of thousands of links.
        let mut row = Row::default();
        let mut table_column: Option<(usize, Option<usize>)> = None;
        // Where each link starts: a use text ends at the next link on its line.
        let starts: Vec<usize> = links.iter().map(|l| l.range().start).collect();
        for (i, link) in links.iter_mut().enumerate() {
            if !matches!(link.syntax, LinkSyntax::Wiki | LinkSyntax::Markdown) {
                continue;
            }
            let range = link.range();
            let next_link = starts.get(i + 1).copied();
            if !row.bounds.contains(&range.start) {
                row = Row::new(self.text, self.lines.line_bounds(self.text, range.start));
            }
            // A label counts for the links after it, not for a link inside it.
            let label = row
                .label
                .as_ref()
                .filter(|(_, end)| *end <= range.start)
                .map(|(label, _)| label.key);
            let labelled = label.and_then(|key| vocabulary.section_of(key));
            let i = self.headings.partition_point(|h| h.offset <= range.start);
            let heading = i.checked_sub(1);
            let section = labelled.or_else(|| match heading.and_then(|h| below[h]) {
                Some(Below::Entries(section)) => Some(section),
                Some(Below::Steps(section)) => {
                    let step_line = label.is_some_and(|key| vocabulary.is_step_key(key));
                    let step_cell = inside(self.tables, range.start).is_some_and(|table| {
                        let column = match table_column {
                            Some((start, column)) if start == table.start => column,
                            _ => {
                                let column = self.step_column(table);
                                table_column = Some((table.start, column));
                                column
                            }
                        };
                        column.is_none_or(|c| row.column(self.text, range.start) == Some(c))
                    });
                    (step_line || step_cell).then_some(section)
                }
                Some(Below::EntryHeading(section)) => {
                    let in_heading = heading.is_some_and(|h| range.start < self.headings[h].end);
                    in_heading.then_some(section)
                }
                Some(Below::Description) | None => None,
            });
            let Some(section) = section else {
                continue;
            };
            link.section = Some(section);
            let in_table = inside(self.tables, range.start).is_some();
            let note = row
                .note_after(self.text, range.end, next_link, in_table)
                .or_else(|| {
                    let h = heading?;
                    let entry = matches!(below[h], Some(Below::EntryHeading(_)))
                        && range.start < self.headings[h].end;
                    entry.then(|| self.description(h)).flatten()
                });
            link.note = note.map(|n| Piece::of(self.text, n, link_text));
        }
    }

    /// The column of `table` whose header is the step key (`| Step | Tactic | Technique |`),
    /// if it has one.
    fn step_column(&self, table: &Range<usize>) -> Option<usize> {
        let header = self.lines.line_bounds(self.text, table.start);
        table_cells(&self.text[header])
            .position(|cell| self.vocabulary.is_step_key(cell.trim().trim_matches('*')))
    }

    /// For each heading, what the links below it (up to the next heading) are.
    fn below_each_heading(&self, links: &[RawLink]) -> Vec<Option<Below>> {
        let mut stack: Vec<(u8, Option<Below>)> = Vec::with_capacity(8);
        let mut below = Vec::with_capacity(self.headings.len());
        let mut next_link = 0;
        for h in self.headings {
            while stack.last().is_some_and(|(level, _)| *level >= h.level) {
                stack.pop();
            }
            let inherited = stack.last().and_then(|(_, b)| *b);
            let own = self.vocabulary.section_of(&h.text).map(|section| {
                if self.vocabulary.is_step_section(section) {
                    Below::Steps(section)
                } else {
                    Below::Entries(section)
                }
            });
            // Whether a link starts inside the heading itself.
            next_link += links[next_link..].partition_point(|l| l.range().start < h.offset);
            let holds_link = links
                .get(next_link)
                .is_some_and(|l| l.range().start < h.end);
            let this = own.or(match inherited {
                Some(Below::Entries(section)) if holds_link => Some(Below::EntryHeading(section)),
                other => other,
            });
            // Deeper headings under an entry heading are part of its description.
            let passed_down = match this {
                Some(Below::EntryHeading(_)) => Some(Below::Description),
                other => other,
            };
            stack.push((h.level, passed_down));
            below.push(this);
        }
        below
    }

    /// The first paragraph under heading `h`, before any deeper heading.
    fn description(&self, h: usize) -> Option<&str> {
        let heading = &self.headings[h];
        let end = self
            .headings
            .get(h + 1)
            .map_or(self.text.len(), |n| n.offset);
        let under = self.text.get(heading.end..end)?;
        let start = under.len() - under.trim_start().len();
        let paragraph = &under[start..];
        let paragraph = match paragraph.find("\n\n") {
            Some(blank) => &paragraph[..blank],
            None => paragraph,
        };
        let paragraph = paragraph.trim();
        (!paragraph.is_empty()).then_some(paragraph)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_id_only_at_the_very_end_after_a_space() {
        assert_eq!(block_id("A claim. ^claim-1"), Some("claim-1"));
        assert_eq!(block_id("^top"), Some("top"));
        assert_eq!(block_id("x\t^tab"), Some("tab"));
        assert_eq!(block_id("A claim. ^claim-1 "), None);
        assert_eq!(block_id("A claim.^glued"), None);
        assert_eq!(block_id("A claim. ^"), None);
        assert_eq!(block_id("A claim. ^bad_id"), None);
        assert_eq!(block_id("x ^a^b"), None);
        assert_eq!(block_id("plain prose"), None);
        assert_eq!(block_id(""), None);
        assert_eq!(block_id("é ^ok"), Some("ok"));
    }

    #[test]
    fn table_cells_split_at_unescaped_pipes() {
        let cells = |row| table_cells(row).collect::<Vec<_>>();
        assert_eq!(
            cells("| a | [[x\\|y]] | c |"),
            [" a ", " [[x\\|y]] ", " c "]
        );
        assert_eq!(cells("a|b"), ["a", "b"]);
        assert_eq!(cells("| 1 | "), [" 1 "]);
        assert_eq!(cells("|"), [""]);
        assert_eq!(cells("| a \\|"), [" a \\|"]);
    }

    #[test]
    fn find_pair_finds_the_first_doubled_byte() {
        assert_eq!(find_pair("a [b] [[c]]", b'['), Some(6));
        assert_eq!(find_pair("[[[x", b'['), Some(0));
        assert_eq!(find_pair("a ]] b", b']'), Some(2));
        assert_eq!(find_pair("[a] [b]", b'['), None);
        assert_eq!(find_pair("", b'['), None);
        assert_eq!(find_pair("x[", b'['), None);
    }

    #[test]
    fn rfind_pair_finds_the_last_doubled_byte() {
        for s in [
            "a [[b]] [[c",
            "[[[x",
            "[x[",
            "x [[",
            "",
            "[",
            "é[[ü[[",
            "[a] [b]",
        ] {
            assert_eq!(rfind_pair(s, b'['), s.rfind("[["), "{s:?}");
        }
        assert_eq!(rfind_pair("a ]] b ]]]", b']'), Some(8));
    }
}

#[cfg(test)]
mod section_tests {
    use crate::load::parse_page;
    use crate::vocabulary::Vocabulary;

    /// Pages made of relation sections, entry headings, labelled lines, step tables and
    /// stray punctuation in random order: every link gets a section or none, and nothing
    /// panics.
    #[test]
    fn random_section_layouts_never_panic() {
        let pieces = [
            "## Mitigations (2)\n",
            "## Attack Procedure\n",
            "### [[x|AML.T0001: X]] — use\n",
            "### Step 1: é\n",
            "| Step | Tactic | **Technique** |\n|---|---|---|\n",
            "| 1 | [[t\\|T]] | [[a\\|A]] |\n",
            "**Mitigated by:** [[m]], [[n]]\n",
            "- Technique: [[z]]\n",
            "> Tactic: [[t]]\n",
            "**Technique:**",
            "[md](y.md)",
            "é",
            "**",
            ":",
            "|",
            "\\",
            "\n",
            "\n\n",
            "#",
            " ",
        ];
        let vocabulary = Vocabulary::default();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut state = seed;
            for _ in 0..(state % 24) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            let page = parse_page("p.md", text.clone(), &vocabulary, &mut Vec::new());
            for link in &page.links {
                if let Some(section) = link.section() {
                    assert!(!vocabulary.section_name(section).is_empty(), "{text:?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod piece_tests {
    use crate::load::parse_page;

    #[test]
    fn a_block_id_before_a_leftover_carriage_return_is_at_its_caret() {
        // CRLF normalising leaves the first CR of `\r\r\n`.
        let page = parse_page(
            "p.md",
            "# T\n\nA claim ^b-2\r\r\n".to_string(),
            &crate::vocabulary::Vocabulary::default(),
            &mut Vec::new(),
        );
        let found: Vec<(&str, u32, u32)> = page
            .block_ids
            .iter()
            .map(|b| (b.id.as_str(), b.span.line, b.span.col))
            .collect();
        assert_eq!(found, [("b-2", 3, 9)]);
    }

    #[test]
    fn link_parts_the_parser_changed_are_kept_beside_the_text() {
        let text = "# T\n\n[[a/b#Head|Shown]] [x](c\\_d.md#e) <m@x.org> [y](plain.md)\n";
        let page = parse_page(
            "p.md",
            text.to_string(),
            &crate::vocabulary::Vocabulary::default(),
            &mut Vec::new(),
        );
        let parts: Vec<(&str, Option<&str>, Option<&str>)> = page
            .links
            .iter()
            .map(|l| (page.target(l), page.subpath(l), page.label(l)))
            .collect();
        assert_eq!(
            parts,
            [
                ("a/b", Some("Head"), Some("Shown")),
                ("c_d.md", Some("e"), None),
                ("mailto:m@x.org", None, None),
                ("plain.md", None, None),
            ]
        );
        // Only what differs from the page text is copied.
        assert_eq!(page.link_text, "c_d.mdemailto:m@x.org");
    }

    #[test]
    fn a_wiki_link_in_an_image_description_is_no_link() {
        let text = "# T\n\n![a [[missing]]](img.png) and [see [[kept]]](x.md)\n";
        let page = parse_page(
            "p.md",
            text.to_string(),
            &crate::vocabulary::Vocabulary::default(),
            &mut Vec::new(),
        );
        let targets: Vec<&str> = page.links.iter().map(|l| page.target(l)).collect();
        // The image's text is its alt attribute, where no link can show.
        assert_eq!(targets, ["img.png", "x.md", "kept"]);
    }
}
