//! One page's markdown to HTML, with every link pointing where the resolver decided.
//!
//! Wiki links are not CommonMark: before parsing, each is swapped for a private-use
//! placeholder that pulldown-cmark passes through as text, then replaced by its HTML. Markdown
//! links are matched to their resolved `RawLink` by source offset.

use super::{obsidian, url};
use crate::graph::{Anchor, Graph, PageId, Resolution, MAX_EMBED_DEPTH};
use crate::graph::{LinkSyntax, ParsedPage, RawLink};
use crate::syntax::{inline_tags, markdown_options, url_kind, UrlKind, WikiMasks};
use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

pub struct RenderedBody {
    pub html: String,
    /// Whether the body held raw HTML (and went through the sanitizer); read by the checks
    /// of `invariants`.
    #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
    pub raw_html: bool,
    /// The body's text by section, title left out, for the search data.
    pub text: super::search::PageText,
    /// The body's headings below its title, for the table of contents.
    pub headings: Vec<TocEntry>,
}

/// A heading as a table of contents lists it: its level, its id and its text as shown.
pub struct TocEntry {
    pub level: u8,
    pub slug: String,
    pub text: String,
}

/// Reads the text of a page that another embeds (see [`crate::load::page_text`]); `None`
/// when it cannot, and the embed is shown as a link.
pub type TextOf<'a> = &'a (dyn Fn(PageId) -> Option<String> + Sync);

/// Renders the body of page `id`, whose text is `text` (see [`crate::load::page_text`]) and
/// which is written at output path `out_path`; the pages it embeds are read with `text_of`.
pub fn render_body(
    graph: &Graph,
    id: PageId,
    text: &str,
    out_path: &str,
    text_of: TextOf,
) -> RenderedBody {
    let frame = Frame {
        stack: &[id],
        only: None,
        budget: &std::cell::Cell::new(EMBED_BUDGET),
    };
    render(graph, id, text, out_path, text_of, &frame)
}

/// Where a body is rendered: the pages being shown, the page written first and the one
/// being rendered last (an embed renders its target inside the page embedding it), and the
/// part of the body an embed of a section or block shows.
struct Frame<'s> {
    stack: &'s [PageId],
    only: Option<Range<usize>>,
    /// Bytes of embedded text the page may still render (see [`EMBED_BUDGET`]).
    budget: &'s std::cell::Cell<usize>,
}

/// How much embedded text one page renders, all embeds and their embeds together; past it
/// embeds are links. A hostile page could otherwise embed a large note thousands of times,
/// or a chain of notes each embedding the next many times, and make the build render
/// without end.
const EMBED_BUDGET: usize = 8 << 20;

impl Frame<'_> {
    /// Whether this body is shown inside another page.
    fn embedded(&self) -> bool {
        self.stack.len() > 1
    }

    /// Whether a piece at `range` of the page is in the part shown.
    fn shows(&self, range: &Range<usize>) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.start <= range.start && range.end <= only.end)
    }
}

fn render(
    graph: &Graph,
    id: PageId,
    text: &str,
    out_path: &str,
    text_of: TextOf,
    frame: &Frame,
) -> RenderedBody {
    let page = graph.page(id);
    let source = &page.source;
    let body_start = source.body_start;
    let links = &source.links;
    let resolutions = graph.resolutions_of(id);

    // The body as the scan parsed it, its wiki links masked, so that both see the same
    // blocks, code and links; offsets in the parse are offsets in the body.
    let masks = WikiMasks::of(links.iter().filter_map(RawLink::wiki_brackets));
    let mut masked = String::new();
    let source_text = text;
    let text = masks
        .apply(source_text, body_start, &mut masked)
        .unwrap_or(&source_text[body_start..]);
    let mut wiki = WikiLinks::of(links, body_start);
    let markdown_at: HashMap<usize, usize> = links
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.syntax, LinkSyntax::Markdown | LinkSyntax::Image))
        .map(|(i, l)| (l.range().start, i))
        .collect();
    let block_ids: Vec<&str> = source.block_ids.iter().map(|b| b.id.as_str()).collect();

    // Links to the page written land on its own ids; those of an embedded page have none
    // there, so links to them go to that page.
    let ctx = LinkContext {
        graph,
        id: frame.stack[0],
        out_path,
    };
    // Where the renderer is: an embed's frame is a block, shown only where one may stand.
    let mut in_paragraph = false;
    let mut no_blocks = 0u32;
    let mut inline_depth = 0u32;
    let mut embedded_any = false;
    let mut events: Vec<Event> = Vec::new();
    let mut plain = super::search::PageText::new();
    let mut in_heading = false;
    // For each open link: whether its End must become `</span>` (broken) or vanish (unsafe).
    let mut open_links: Vec<LinkEnd> = Vec::new();
    let mut open_images: Vec<LinkEnd> = Vec::new();
    let mut heading = 0usize;
    let mut has_raw_html = false;
    let mut raw_tags = TagState::default();
    // The title is indexed on its own; its H1 is left out of the body text.
    let mut in_title = false;
    let mut pieces: Vec<Piece> = Vec::new();
    let mut in_code_block = false;
    let mut headings: Vec<TocEntry> = Vec::new();
    // The heading being read for the contents: its text as shown, so far.
    let mut toc_entry: Option<TocEntry> = None;
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        wiki.split(event, range, text, &mut pieces);
        for piece in pieces.drain(..) {
            let (event, range) = match piece {
                Piece::Event(event, range) => (event, range),
                Piece::Wiki { link, in_raw_html } => {
                    let link_ref = &links[link];
                    if !frame.shows(&link_ref.range()) {
                        continue;
                    }
                    let may_block = no_blocks == 0 && inline_depth == 0 && !in_raw_html;
                    if let Some(html) = may_block
                        .then(|| embed(&ctx, text_of, frame, id, link))
                        .flatten()
                    {
                        embedded_any = true;
                        // A frame cannot stand in a paragraph: the paragraph closes around it
                        // (the empty ones this leaves are dropped below).
                        let html = if in_paragraph {
                            format!("</p>{html}<p>")
                        } else {
                            html
                        };
                        events.push(Event::Html(html.into()));
                        continue;
                    }
                    if in_raw_html && raw_tags.in_tag() {
                        // Inside a tag the link is part of an attribute: as written.
                        let written = &source_text[link_ref.range()];
                        raw_tags.read(written);
                        events.push(Event::Html(written.into()));
                        continue;
                    }
                    let label = source.label(link_ref).unwrap_or(source.target(link_ref));
                    if !in_title {
                        plain.push(label, in_heading);
                    }
                    if let Some(entry) = toc_entry.as_mut() {
                        entry.text.push_str(label);
                    }
                    events.push(Event::Html(
                        wiki_html(&ctx, source, link_ref, &resolutions[link]).into(),
                    ));
                    continue;
                }
            };
            let body_range = range.clone();
            let range = range.start + body_start..range.end + body_start;
            if !frame.shows(&range) {
                continue;
            }
            if let Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::HtmlBlock,
            ) = &event
            {
                plain.end_block();
            }
            match &event {
                Event::Start(Tag::Paragraph) => in_paragraph = true,
                Event::End(TagEnd::Paragraph) => in_paragraph = false,
                Event::Start(Tag::Heading { .. } | Tag::TableCell | Tag::TableHead) => {
                    no_blocks += 1
                }
                Event::End(TagEnd::Heading(_) | TagEnd::TableCell | TagEnd::TableHead) => {
                    no_blocks = no_blocks.saturating_sub(1)
                }
                Event::Start(tag) if is_inline(tag) => inline_depth += 1,
                Event::End(tag) if is_inline_end(tag) => {
                    inline_depth = inline_depth.saturating_sub(1)
                }
                _ => {}
            }
            // What lies in a comment is not shown: a piece wholly in one goes, text partly
            // in one keeps what is outside.
            let mut visible = Vec::new();
            if !source.comments.is_empty() {
                match comment_cover(source_text, &source.comments, &range) {
                    Cover::Whole => continue,
                    Cover::Part(outside) => {
                        if matches!(event, Event::Text(_)) {
                            visible = outside;
                        }
                    }
                    Cover::None => {}
                }
            }
            match event {
                Event::Text(t) => {
                    let parts: Vec<(CowStr, Range<usize>)> = if visible.is_empty() {
                        vec![(t, body_range)]
                    } else {
                        visible
                            .into_iter()
                            .map(|r| r.start - body_start..r.end - body_start)
                            .map(|r| (CowStr::from(text[r.clone()].to_string()), r))
                            .collect()
                    };
                    for (t, at) in parts {
                        if !in_title {
                            // A block id is no text of the page.
                            let shown = block_id_at(&t, &block_ids).map_or(&*t, |at| &t[..at]);
                            plain.push(shown, in_heading);
                        }
                        if let Some(entry) = toc_entry.as_mut() {
                            entry.text.push_str(&t);
                        }
                        let tags =
                            if in_code_block || !open_links.is_empty() || !open_images.is_empty() {
                                Vec::new()
                            } else {
                                inline_tags(text, at.clone(), &t)
                            };
                        if tags.is_empty() {
                            push_text(t, &block_ids, !frame.embedded(), &mut events);
                            continue;
                        }
                        let mut from = at.start;
                        for tag in tags {
                            if tag.start > from {
                                events.push(Event::Text(text[from..tag.start].to_string().into()));
                            }
                            events.push(Event::Html(
                                tag_link(&ctx, &text[tag.start + 1..tag.end]).into(),
                            ));
                            from = tag.end;
                        }
                        push_text(
                            text[from..at.end].to_string().into(),
                            &block_ids,
                            !frame.embedded(),
                            &mut events,
                        );
                    }
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    in_code_block = true;
                    events.push(Event::Start(Tag::CodeBlock(kind)));
                }
                Event::End(TagEnd::CodeBlock) => {
                    in_code_block = false;
                    events.push(Event::End(TagEnd::CodeBlock));
                }
                Event::Start(Tag::Heading {
                    level,
                    id: _,
                    classes,
                    attrs,
                }) => {
                    // An embedded page's headings keep no id: the page around them has its own.
                    let slug = source
                        .headings
                        .get(heading)
                        .map(|h| h.slug.as_str())
                        .filter(|_| !frame.embedded());
                    heading += 1;
                    in_title = level == pulldown_cmark::HeadingLevel::H1;
                    if !in_title {
                        plain.end_block();
                        plain.start_section(slug.unwrap_or(""));
                        in_heading = true;
                        toc_entry = slug.map(|slug| TocEntry {
                            level: level as u8,
                            slug: slug.to_string(),
                            text: String::new(),
                        });
                    }
                    events.push(Event::Start(Tag::Heading {
                        level,
                        id: slug.map(CowStr::Borrowed),
                        classes,
                        attrs,
                    }));
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id: link_id,
                }) => {
                    let found = markdown_at.get(&range.start).map(|&i| &resolutions[i]);
                    // Internal targets get the resolver's URL; an external one is written as the
                    // parser read it if the one URL classifier lets it be a link. A link the scan
                    // did not find (their parses can differ around wiki links) is text: a URL
                    // nobody checked is never written.
                    let href = match found.map(|r| ctx.target(r)) {
                        Some(Target::Url(href)) | Some(Target::Asset(href)) => Ok(href.into()),
                        Some(Target::External) if is_external(&dest_url) => Ok(dest_url),
                        Some(Target::Broken(why)) => Err(Some(why)),
                        Some(Target::External | Target::Unsafe) | None => Err(None),
                    };
                    match href {
                        Ok(dest_url) => {
                            open_links.push(LinkEnd::Keep);
                            events.push(Event::Start(Tag::Link {
                                link_type,
                                dest_url,
                                title,
                                id: link_id,
                            }));
                        }
                        Err(Some(why)) => {
                            open_links.push(LinkEnd::Broken);
                            events.push(Event::Html(broken_open(&why).into()));
                        }
                        Err(None) => open_links.push(LinkEnd::Drop),
                    }
                }
                Event::End(TagEnd::Link) => match open_links.pop() {
                    Some(LinkEnd::Broken) => events.push(Event::Html("</span>".into())),
                    Some(LinkEnd::Drop) => {}
                    _ => events.push(Event::End(TagEnd::Link)),
                },
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id: image_id,
                }) => {
                    let found = markdown_at.get(&range.start).map(|&i| &resolutions[i]);
                    match found.map(|r| ctx.target(r)) {
                        Some(Target::Url(h)) | Some(Target::Asset(h)) => {
                            open_images.push(LinkEnd::Keep);
                            events.push(Event::Start(Tag::Image {
                                link_type,
                                dest_url: h.into(),
                                title,
                                id: image_id,
                            }));
                        }
                        // A remote image would be fetched by every reader (and can leak data in
                        // its URL): it becomes a link to the image instead.
                        Some(Target::External) if is_external(&dest_url) => {
                            open_images.push(LinkEnd::Span);
                            let open = format!(
                                "<a class=\"remote-image\" href=\"{}\">",
                                escape(&dest_url)
                            );
                            events.push(Event::Html(open.into()));
                        }
                        Some(Target::Broken(why)) => {
                            open_images.push(LinkEnd::Broken);
                            events.push(Event::Html(broken_open(&why).into()));
                        }
                        // Unsafe, or not found by the scan: its text only.
                        Some(Target::External | Target::Unsafe) | None => {
                            open_images.push(LinkEnd::Drop)
                        }
                    }
                }
                Event::End(TagEnd::Image) => match open_images.pop() {
                    Some(LinkEnd::Keep) | None => events.push(Event::End(TagEnd::Image)),
                    Some(LinkEnd::Span) => events.push(Event::Html("</a>".into())),
                    Some(LinkEnd::Broken) => events.push(Event::Html("</span>".into())),
                    Some(LinkEnd::Drop) => {}
                },
                Event::End(TagEnd::Heading(level)) => {
                    in_title = false;
                    in_heading = false;
                    headings.extend(toc_entry.take());
                    events.push(Event::End(TagEnd::Heading(level)));
                }
                // Raw HTML goes in as written, its wiki links made links, and the whole body is
                // cleaned below: the pieces of raw HTML only make sense together.
                Event::Html(h) | Event::InlineHtml(h) => {
                    has_raw_html = true;
                    raw_tags.read(&h);
                    let h = match show_raw_text_tags(&h) {
                        Cow::Borrowed(_) => h,
                        Cow::Owned(shown) => shown.into(),
                    };
                    events.push(Event::Html(h));
                }
                // A block that leaves a tag open would make the markup after it (links, broken
                // link spans) that tag's attributes: the tag is closed where the block ends.
                Event::End(TagEnd::HtmlBlock) => {
                    if let Some(close) = raw_tags.close() {
                        events.push(Event::Html(close.into()));
                    }
                    events.push(Event::End(TagEnd::HtmlBlock));
                }
                Event::Code(c) => {
                    if !in_title {
                        plain.push(&c, in_heading);
                    }
                    if let Some(entry) = toc_entry.as_mut() {
                        entry.text.push_str(&c);
                    }
                    events.push(Event::Code(c));
                }
                Event::SoftBreak | Event::HardBreak => {
                    if !in_title {
                        plain.push(" ", in_heading);
                    }
                    events.push(event);
                }
                other => events.push(other),
            }
        }
    }
    if obsidian::may_hold_callout(text) {
        events = obsidian::callouts(events);
    }
    if obsidian::may_hold_highlight(text) {
        events = obsidian::highlights(events);
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    if embedded_any {
        html = html.replace("<p></p>", "");
    }
    if has_raw_html {
        html = super::sanitize::clean(&html);
    }
    RenderedBody {
        html,
        raw_html: has_raw_html,
        text: plain,
        headings,
    }
}

/// Embed `link` of page `id` shown in a frame: its target's text (or the section or block
/// it names) rendered for the page written, a link to where it comes from above it. `None`
/// when it is no embed of a page, would never end (see [`Graph::embed_problem`]) or its
/// target cannot be read: it is then shown as a link.
fn embed(
    ctx: &LinkContext,
    text_of: TextOf,
    frame: &Frame,
    id: PageId,
    link: usize,
) -> Option<String> {
    let graph = ctx.graph;
    let (target, anchor) = graph.embedded(id, link)?;
    if frame.stack.contains(&target) || frame.stack.len() > MAX_EMBED_DEPTH {
        return None;
    }
    let Target::Url(href) = ctx.target(&graph.resolutions_of(id)[link]) else {
        return None;
    };
    if frame.budget.get() == 0 {
        return None;
    }
    let text = text_of(target)?;
    // Once the budget is spent, every later embed of the page is a link, unread. Each embed
    // costs at least 4 KiB, so a page renders at most 2,048 of them, however small.
    frame
        .budget
        .set(frame.budget.get().saturating_sub(text.len().max(4096)));
    if frame.budget.get() == 0 {
        return None;
    }
    let source = &graph.page(target).source;
    let only = match anchor {
        None => None,
        Some(Anchor::Heading(i)) => Some(section_range(source, &text, i as usize)?),
        Some(Anchor::Block(i)) => Some(block_range(source, &text, i as usize)?),
    };
    let mut stack = frame.stack.to_vec();
    stack.push(target);
    let inner = render(
        graph,
        target,
        &text,
        ctx.out_path,
        text_of,
        &Frame {
            stack: &stack,
            only,
            budget: frame.budget,
        },
    );
    let embedding = &graph.page(id).source;
    let mut label = graph.page(target).title().into_owned();
    if let Some(sub) = embedding.subpath(&embedding.links[link]) {
        label.push_str(" › ");
        label.push_str(sub.trim_start_matches('#').trim_start_matches('^'));
    }
    let mut html = String::with_capacity(inner.html.len() + href.len() + label.len() + 128);
    html.push_str("<div class=\"embed\">\n<div class=\"embed-source\">");
    push_tag(&mut html, "<a href=\"", &href, "\">");
    push_escaped(&mut html, &label);
    html.push_str("</a></div>\n<div class=\"embed-body\">\n");
    html.push_str(&inner.html);
    html.push_str("</div>\n</div>\n");
    Some(html)
}

/// The part of a page that heading `i` opens: up to the next heading of its level or
/// higher, or the end.
fn section_range(source: &ParsedPage, text: &str, i: usize) -> Option<Range<usize>> {
    let heading = source.headings.get(i)?;
    let end = source.headings[i + 1..]
        .iter()
        .find(|h| h.level <= heading.level)
        .map_or(text.len(), |h| h.offset);
    Some(heading.offset..end)
}

/// The block that block id `i` ends: the innermost list item holding it (without the
/// item's own tags), else its paragraph.
fn block_range(source: &ParsedPage, text: &str, i: usize) -> Option<Range<usize>> {
    let block = source.block_ids.get(i)?;
    // The page's own line index may be that of a text left on disk: index this one.
    let lines = crate::source::LineIndex::new(text);
    let line_start = lines.line_start(text, block.span.line);
    let line = lines.line(text, block.span.line)?;
    let caret = line_start + line.rfind(&format!("^{}", block.id))?;
    let body = text.get(source.body_start..)?;
    let mut item = None;
    let mut paragraph = None;
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        let range = range.start + source.body_start..range.end + source.body_start;
        if !(range.start <= caret && caret < range.end) {
            continue;
        }
        match event {
            Event::Start(Tag::Item) => item = Some(range.start + 1..range.end),
            Event::Start(Tag::Paragraph) => paragraph = Some(range),
            _ => {}
        }
    }
    item.or(paragraph)
}

/// The size an image embed's label gives: `300` (width) or `300x200` (width and height).
fn image_size(label: &str) -> Option<(&str, Option<&str>)> {
    let label = label.trim();
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
    match label.split_once('x') {
        Some((w, h)) if digits(w) && digits(h) => Some((w, Some(h))),
        None if digits(label) => Some((label, None)),
        _ => None,
    }
}

/// How much of a piece of the page the comments cover.
enum Cover {
    None,
    Whole,
    /// Partly: the parts outside them, in order.
    Part(Vec<Range<usize>>),
}

/// What of `range` (in the page `text`) the comments cover; what they leave of it that is
/// only white space (the line end after a closing `%%`) counts as covered.
fn comment_cover(text: &str, comments: &[Range<usize>], range: &Range<usize>) -> Cover {
    let first = comments.partition_point(|c| c.end <= range.start);
    let overlapping = comments[first..].iter().take_while(|c| c.start < range.end);
    let mut outside = Vec::new();
    let mut from = range.start;
    let mut any = false;
    for c in overlapping {
        any = true;
        if c.start > from {
            outside.push(from..c.start);
        }
        from = from.max(c.end);
    }
    if !any {
        return Cover::None;
    }
    if from < range.end {
        outside.push(from..range.end);
    }
    if outside
        .iter()
        .all(|r| text.get(r.clone()).is_none_or(|t| t.trim().is_empty()))
    {
        Cover::Whole
    } else {
        Cover::Part(outside)
    }
}

/// An inline `#tag`, linked to its tag page.
fn tag_link(ctx: &LinkContext, name: &str) -> String {
    let href = url::tag_href(ctx.out_path, name);
    let mut html = String::with_capacity(href.len() + name.len() + 32);
    push_tag(&mut html, "<a class=\"tag\" href=\"", &href, "\">#");
    push_escaped(&mut html, name);
    html.push_str("</a>");
    html
}

/// How the end of a link or image is closed: as written, as the `<span>`/`<a>` that
/// replaced its start, as a broken-link span, or not at all (its start was dropped).
enum LinkEnd {
    Keep,
    Span,
    Broken,
    Drop,
}

/// Whether an external destination may be written as a live URL: `http(s):`, `mailto:` or
/// `//host/...`, by the one classifier.
fn is_external(dest: &str) -> bool {
    match url_kind(dest) {
        UrlKind::Web => true,
        UrlKind::Relative => dest.trim_start().starts_with("//"),
        UrlKind::Other => false,
    }
}

/// What a resolved link becomes in HTML.
pub enum Target {
    Url(String),
    /// An external URL: kept as written.
    External,
    Asset(String),
    Broken(String),
    Unsafe,
}

pub struct LinkContext<'g> {
    pub graph: &'g Graph,
    pub id: PageId,
    pub out_path: &'g str,
}

impl LinkContext<'_> {
    pub fn target(&self, resolution: &Resolution) -> Target {
        match resolution {
            Resolution::Page { page, anchor, .. } => {
                if *page == self.id {
                    if let Some(anchor) = anchor {
                        return Target::Url(format!(
                            "#{}",
                            url::fragment(self.graph, *page, anchor)
                        ));
                    }
                }
                Target::Url(url::href(self.graph, self.out_path, *page, anchor.as_ref()))
            }
            Resolution::Asset(path) => Target::Asset(url::relative(self.out_path, path)),
            Resolution::External => Target::External,
            Resolution::Unsafe => Target::Unsafe,
            Resolution::Broken(b) => Target::Broken(b.message.to_string()),
        }
    }
}

fn wiki_html(
    ctx: &LinkContext,
    source: &ParsedPage,
    link: &RawLink,
    resolution: &Resolution,
) -> String {
    let written = source.target(link);
    let shown: Cow<str> = match (source.label(link), source.subpath(link)) {
        (Some(label), _) => label.into(),
        (None, None) => written.into(),
        (None, Some(sub)) if written.is_empty() => sub.replace('#', " › ").into(),
        (None, Some(sub)) => format!("{written} › {}", sub.replace('#', " › ")).into(),
    };
    let label = shown.trim();
    let target = ctx.target(resolution);
    let value_len = match &target {
        Target::Url(v) | Target::Asset(v) | Target::Broken(v) => v.len(),
        Target::Unsafe | Target::External => 0,
    };
    // One String sized for the tags (under 48 bytes), the attribute value and the label:
    // this runs for every wiki link of every page.
    let mut html = String::with_capacity(value_len + label.len() + 48);
    let close = match target {
        Target::Url(href) => {
            push_tag(&mut html, "<a class=\"wikilink\" href=\"", &href, "\">");
            "</a>"
        }
        Target::Asset(href) if link.syntax == LinkSyntax::Embed && is_image(written) => {
            push_tag(&mut html, "<img src=\"", &href, "\"");
            // `![[image.png|300]]` and `|300x200` give its size; it is then named by its file.
            if let Some((width, height)) = source.label(link).and_then(image_size) {
                html.push_str(" width=\"");
                html.push_str(width);
                if let Some(height) = height {
                    html.push_str("\" height=\"");
                    html.push_str(height);
                }
                html.push_str("\" alt=\"");
                push_escaped(&mut html, written.rsplit('/').next().unwrap_or(written));
                html.push_str("\">");
                return html;
            }
            html.push_str(" alt=\"");
            "\">"
        }
        Target::Asset(href) => {
            push_tag(&mut html, "<a href=\"", &href, "\">");
            "</a>"
        }
        Target::Broken(why) => {
            push_tag(&mut html, BROKEN_START, &why, "\">");
            "</span>"
        }
        Target::Unsafe | Target::External => "",
    };
    push_escaped(&mut html, label);
    html.push_str(close);
    html
}

const BROKEN_START: &str = "<span class=\"broken-link\" title=\"";

fn broken_open(why: &str) -> String {
    let mut html = String::new();
    push_tag(&mut html, BROKEN_START, why, "\">");
    html
}

/// Appends `start`, `value` escaped and `end`: a tag's start with one attribute value.
fn push_tag(out: &mut String, start: &str, value: &str, end: &str) {
    out.push_str(start);
    push_escaped(out, value);
    out.push_str(end);
}

fn is_image(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// A text of the body, with a trailing ` ^id` of a block id made that block's anchor.
fn push_text<'a>(
    text: CowStr<'a>,
    block_ids: &[&str],
    with_ids: bool,
    events: &mut Vec<Event<'a>>,
) {
    let Some(caret) = block_id_at(&text, block_ids) else {
        if !text.is_empty() {
            events.push(Event::Text(text));
        }
        return;
    };
    if !with_ids {
        events.push(Event::Text(text[..caret].to_string().into()));
        return;
    }
    let id = text[caret + 2..].trim_end();
    let anchor = format!(
        "<span class=\"block-id\" id=\"{}\"></span>",
        escape(&url::block_element_id(id))
    );
    let before = match &text {
        CowStr::Borrowed(s) => CowStr::Borrowed(&s[..caret]),
        other => other[..caret].to_string().into(),
    };
    events.push(Event::Text(before));
    events.push(Event::Html(anchor.into()));
}

/// An event of the parse with the wiki links taken out, or a wiki link in its place.
enum Piece<'a> {
    Event(Event<'a>, Range<usize>),
    Wiki { link: usize, in_raw_html: bool },
}

/// Whether `tag` is an inline element, one that can lie inside a wiki link's label.
pub(super) fn is_inline(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// Whether `tag` closes an inline element (see [`is_inline`]).
pub(super) fn is_inline_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// The wiki links of a body (ranges in the body, `!` of an embed included) and what the
/// parse has shown of them. The parse reads them masked, as plain text: [`WikiLinks::split`]
/// puts each link in place of the first event that reaches into it and drops the rest of
/// what lies inside.
struct WikiLinks {
    /// (range in the body, index in the page's links), in order.
    links: Vec<(Range<usize>, usize)>,
    shown: Vec<bool>,
    /// For each open element: whether its start was dropped, being inside a link.
    dropped: Vec<bool>,
}

impl WikiLinks {
    fn of(links: &[RawLink], body_start: usize) -> WikiLinks {
        let links: Vec<(Range<usize>, usize)> = links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.wiki_brackets().is_some())
            .map(|(i, l)| (l.range().start - body_start..l.range().end - body_start, i))
            .collect();
        WikiLinks {
            shown: vec![false; links.len()],
            links,
            dropped: Vec::new(),
        }
    }

    /// The position in `links` of the link holding body offset `at`.
    fn at(&self, at: usize) -> Option<usize> {
        let i = self.links.partition_point(|(r, _)| r.end <= at);
        self.links.get(i).filter(|(r, _)| r.start <= at).map(|_| i)
    }

    /// The position of the first link starting in `range`.
    fn first_in(&self, range: &Range<usize>) -> Option<usize> {
        let i = self.links.partition_point(|(r, _)| r.start < range.start);
        self.links
            .get(i)
            .filter(|(r, _)| r.start < range.end)
            .map(|_| i)
    }

    /// The link at position `i`, the first time the parse reaches it.
    fn reach(&mut self, i: usize, in_raw_html: bool, out: &mut Vec<Piece>) {
        if !std::mem::replace(&mut self.shown[i], true) {
            out.push(Piece::Wiki {
                link: self.links[i].1,
                in_raw_html,
            });
        }
    }

    /// `event` at `range` of the masked body `text`, into `out` without what lies inside a
    /// wiki link, and with each link once where the parse first reaches it.
    fn split<'a>(
        &mut self,
        event: Event<'a>,
        range: Range<usize>,
        text: &'a str,
        out: &mut Vec<Piece<'a>>,
    ) {
        if self.links.is_empty() {
            out.push(Piece::Event(event, range));
            return;
        }
        match event {
            Event::Start(ref tag) => {
                // A block that starts where a link starts holds it; only inline
                // elements can lie inside a link's label.
                let inside = self.at(range.start).filter(|_| is_inline(tag));
                self.dropped.push(inside.is_some());
                match inside {
                    Some(i) => self.reach(i, false, out),
                    None => out.push(Piece::Event(event, range)),
                }
            }
            Event::End(_) => {
                if self.dropped.pop() != Some(true) {
                    out.push(Piece::Event(event, range));
                }
            }
            // Text as the parser lent it from the body: cut around the links.
            Event::Text(ref t) if t.len() == range.len() && text[range.clone()] == **t => {
                self.cut(
                    range,
                    text,
                    out,
                    |s| Event::Text(CowStr::Borrowed(s)),
                    false,
                );
            }
            Event::Html(ref h) | Event::InlineHtml(ref h)
                if h.len() == range.len() && text[range.clone()] == **h =>
            {
                let inline = matches!(event, Event::InlineHtml(_));
                let make = move |s: &'a str| {
                    if inline {
                        Event::InlineHtml(CowStr::Borrowed(s))
                    } else {
                        Event::Html(CowStr::Borrowed(s))
                    }
                };
                self.cut(range, text, out, make, true);
            }
            // A code span that starts inside a link and runs on past it (the scan keeps
            // no link whose `[[` is in code): its rest.
            Event::Code(_) if self.at(range.start).is_some() => {
                let i = self.at(range.start).unwrap_or_default();
                self.reach(i, false, out);
                let end = self.links[i].0.end;
                let rest = text[end.min(range.end)..range.end].trim_end_matches('`');
                if !rest.is_empty() {
                    out.push(Piece::Event(
                        Event::Code(CowStr::Borrowed(rest)),
                        end..range.end,
                    ));
                }
            }
            // Anything else (an escape, an entity, a break) inside a link is the link's.
            event => match self.at(range.start) {
                Some(i) => self.reach(i, false, out),
                None => out.push(Piece::Event(event, range)),
            },
        }
    }

    /// Body text `text[range]` as events made by `make`, with the links in it taken out.
    fn cut<'a>(
        &mut self,
        range: Range<usize>,
        text: &'a str,
        out: &mut Vec<Piece<'a>>,
        make: impl Fn(&'a str) -> Event<'a>,
        in_raw_html: bool,
    ) {
        let mut at = range.start;
        while at < range.end {
            if let Some(i) = self.at(at) {
                self.reach(i, in_raw_html, out);
                at = self.links[i].0.end;
                continue;
            }
            let next = self
                .first_in(&(at..range.end))
                .map_or(range.end, |i| self.links[i].0.start);
            out.push(Piece::Event(make(&text[at..next]), at..next));
            at = next;
        }
    }
}

/// Where the ` ^id` that ends `text` (trailing whitespace aside) starts, if `id` is one of
/// the page's block ids.
fn block_id_at(text: &str, block_ids: &[&str]) -> Option<usize> {
    // Block ids hold no space or `^` (see `load::scan`), so the text ends in ` ^id` exactly
    // when its last ` ^` starts `id`: testing the ids as suffixes avoids searching all text.
    let trimmed = text.trim_end();
    block_ids.iter().find_map(|id| {
        let before = trimmed.strip_suffix(id)?.strip_suffix(" ^")?;
        Some(before.len())
    })
}

/// Elements whose content an HTML parser reads as plain text up to their end tag: one left
/// open in a note (a quoted `<script>`) would swallow the rest of the page.
const RAW_TEXT_TAGS: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// Where raw HTML, read piece after piece, is: in text or inside a tag (between `<` and `>`,
/// quoted attribute values respected). A wiki link inside a tag is part of an attribute and is
/// put back as written; made a link, its markup would become attributes of the tag around it.
/// (Outside tags `last` is the byte before, to see a tag open.)
#[derive(Default)]
struct TagState {
    in_tag: bool,
    /// The quote of the attribute value being read.
    quote: Option<u8>,
    /// The last byte in the tag that was not white space: a quote opens a value after `=`.
    last: u8,
}

impl TagState {
    /// Reads on through `html`.
    fn read(&mut self, html: &str) {
        for &b in html.as_bytes() {
            match (self.in_tag, self.quote) {
                (false, _) => {
                    if self.last == b'<' && (b.is_ascii_alphabetic() || b"/!?".contains(&b)) {
                        self.in_tag = true;
                    }
                    self.last = b;
                }
                (true, Some(q)) => {
                    if b == q {
                        self.quote = None;
                        self.last = b;
                    }
                }
                (true, None) => match b {
                    b'"' | b'\'' if self.last == b'=' => self.quote = Some(b),
                    b'>' => {
                        self.in_tag = false;
                        self.last = b;
                    }
                    b if b.is_ascii_whitespace() => {}
                    b => self.last = b,
                },
            }
        }
    }

    /// Whether what comes next is inside a tag.
    fn in_tag(&self) -> bool {
        self.in_tag
    }

    /// What ends a tag left open, if one is.
    fn close(&mut self) -> Option<&'static str> {
        let close = match (self.in_tag, self.quote) {
            (false, _) => None,
            (true, Some(b'"')) => Some("\">"),
            (true, Some(_)) => Some("'>"),
            (true, None) => Some(">"),
        };
        *self = TagState::default();
        close
    }
}

/// Raw HTML with the start tags of [`RAW_TEXT_TAGS`] shown as text (their `<` escaped), so
/// that the sanitizer never reads the rest of the page as their content.
fn show_raw_text_tags(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let opens_one = |at: usize| {
        RAW_TEXT_TAGS.iter().any(|tag| {
            let end = at + 1 + tag.len();
            bytes
                .get(at + 1..end)
                .is_some_and(|name| name.eq_ignore_ascii_case(tag.as_bytes()))
                && bytes
                    .get(end)
                    .is_none_or(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
        })
    };
    let starts: Vec<usize> = memchr::memchr_iter(b'<', bytes)
        .filter(|&at| opens_one(at))
        .collect();
    if starts.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 3 * starts.len());
    let mut done = 0;
    for at in starts {
        out.push_str(&html[done..at]);
        out.push_str("&lt;");
        done = at + 1;
    }
    out.push_str(&html[done..]);
    Cow::Owned(out)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s` escaped as [`escape`] does.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    push_replacing(out, s, |bytes, i| match bytes[i] {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    });
}

/// Appends `s` with each byte that `entity` names replaced: every byte replaced is ASCII, so
/// slicing there is safe, and the text between replacements is copied in one piece.
fn push_replacing(
    out: &mut String,
    s: &str,
    entity: impl Fn(&[u8], usize) -> Option<&'static str>,
) {
    let bytes = s.as_bytes();
    let mut done = 0;
    for i in 0..bytes.len() {
        if let Some(replacement) = entity(bytes, i) {
            out.push_str(&s[done..i]);
            out.push_str(replacement);
            done = i + 1;
        }
    }
    out.push_str(&s[done..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_mixed_text() {
        assert_eq!(escape(""), "");
        assert_eq!(escape("plain \u{e9}t\u{e9}"), "plain \u{e9}t\u{e9}");
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("&&\u{1F642}>"), "&amp;&amp;\u{1F642}&gt;");
    }

    #[test]
    fn block_id_at_finds_only_a_known_trailing_id() {
        assert_eq!(block_id_at("a line ^abc", &["abc"]), Some(6));
        assert_eq!(block_id_at("a line ^abc \n", &["x", "abc"]), Some(6));
        assert_eq!(block_id_at("a ^b ^abc", &["abc"]), Some(4));
        assert_eq!(block_id_at("a ^abc", &["bc"]), None);
        assert_eq!(block_id_at("a^abc", &["abc"]), None);
        assert_eq!(block_id_at("a ^abc d", &["abc"]), None);
        assert_eq!(block_id_at("a ^abc", &[]), None);
    }
}
