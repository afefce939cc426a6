//! Obsidian's additions to markdown that change how a page looks but not what it links:
//! callouts (`> [!warning] Title`) and highlights (`==text==`). Each is a pass over the
//! events the renderer made, run only on a body whose text holds its marker.

use super::markdown::{is_inline, is_inline_end};
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// Callout types Obsidian styles, each with the aliases that share its look. A type not
/// listed is shown as `note`, under its own name.
const CALLOUT_TYPES: &[(&str, &[&str])] = &[
    ("note", &[]),
    ("abstract", &["summary", "tldr"]),
    ("info", &[]),
    ("todo", &[]),
    ("tip", &["hint", "important"]),
    ("success", &["check", "done"]),
    ("question", &["help", "faq"]),
    ("warning", &["caution", "attention"]),
    ("failure", &["fail", "missing"]),
    ("danger", &["error"]),
    ("bug", &[]),
    ("example", &[]),
    ("quote", &["cite"]),
];

/// The look (one of [`CALLOUT_TYPES`]' names) of a callout of type `written` (lowercase).
fn callout_look(written: &str) -> &'static str {
    CALLOUT_TYPES
        .iter()
        .find(|(name, aliases)| *name == written || aliases.contains(&written))
        .map_or("note", |(name, _)| name)
}

/// Whether `text` may hold a callout: a cheap test before the pass.
pub fn may_hold_callout(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"[!").is_some()
}

/// Whether `text` may hold a highlight.
pub fn may_hold_highlight(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"==").is_some()
}

/// A callout's marker at the start of a block quote's first line: `[!type]`, an optional
/// fold sign, then the title.
struct Marker {
    /// The type as written, lowercased.
    kind: String,
    /// `None`: not foldable; `Some(open)`: a `<details>`, open for `+`.
    fold: Option<bool>,
    /// Bytes of the line the marker and the space after it take.
    len: usize,
}

fn marker(line: &str) -> Option<Marker> {
    let rest = line.strip_prefix("[!")?;
    let close = rest.find(']')?;
    let kind = &rest[..close];
    if kind.is_empty()
        || !kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let mut len = 2 + close + 1;
    let fold = match line.as_bytes().get(len) {
        Some(b'+') => Some(true),
        Some(b'-') => Some(false),
        _ => None,
    };
    if fold.is_some() {
        len += 1;
    }
    len += line[len..].len() - line[len..].trim_start().len();
    Some(Marker {
        kind: kind.to_ascii_lowercase(),
        fold,
        len,
    })
}

/// Block quotes that open with a callout marker become callouts: a frame with a title
/// (the rest of the marker's line, or the type's name) and the quote's other content;
/// `+`/`-` after the marker makes a `<details>`, open for `+`. Nested quotes are read the
/// same way, each on its own.
pub fn callouts(mut events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len() + 8);
    // For each open block quote, what closes it: its own end, or a callout's tags.
    let mut open: Vec<Option<&'static str>> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let event = std::mem::replace(&mut events[i], Event::SoftBreak);
        i += 1;
        match event {
            Event::Start(Tag::BlockQuote(kind)) => match read_callout(&mut events, i) {
                Some(callout) => {
                    out.push(Event::Html(callout.open.into()));
                    out.extend(callout.title);
                    out.push(Event::Html(callout.after_title.into()));
                    out.extend(callout.body_start);
                    open.push(Some(callout.close));
                    i = callout.next;
                }
                None => {
                    open.push(None);
                    out.push(Event::Start(Tag::BlockQuote(kind)));
                }
            },
            Event::End(TagEnd::BlockQuote(kind)) => match open.pop().flatten() {
                Some(close) => out.push(Event::Html(close.into())),
                None => out.push(Event::End(TagEnd::BlockQuote(kind))),
            },
            other => out.push(other),
        }
    }
    out
}

struct Callout<'a> {
    open: String,
    title: Vec<Event<'a>>,
    after_title: &'static str,
    /// What the body starts with, taken from the first paragraph (its rest, reopened).
    body_start: Vec<Event<'a>>,
    close: &'static str,
    /// The index of the first event not yet taken.
    next: usize,
}

/// The callout a block quote starting before `events[at]` opens, if its first line is a
/// marker; the events it takes are left as placeholders.
fn read_callout<'a>(events: &mut [Event<'a>], at: usize) -> Option<Callout<'a>> {
    if !matches!(events.get(at), Some(Event::Start(Tag::Paragraph))) {
        return None;
    }
    // The parser may cut the marker's text in pieces (`[`, `!note`, `]`): read them joined.
    let mut lead = String::new();
    let mut end = at + 1;
    while let Some(Event::Text(t)) = events.get(end) {
        lead.push_str(t);
        end += 1;
    }
    let marker = marker(&lead)?;
    let look = callout_look(&marker.kind);
    // The title: the line's events after the marker.
    let mut title = Vec::new();
    let mut skip = marker.len;
    let mut j = at + 1;
    while j < end {
        // Only text was joined: every event here is text.
        let Event::Text(t) = std::mem::replace(&mut events[j], Event::SoftBreak) else {
            j += 1;
            continue;
        };
        j += 1;
        if skip >= t.len() {
            skip -= t.len();
            continue;
        }
        title.push(Event::Text(CowStr::from(t[skip..].to_string())));
        skip = 0;
    }
    let mut body_start = Vec::new();
    // The title ends at the line's end outside any inline element: a break inside a link or
    // image (`![a\nb](x)`) belongs to it, and the title takes the element whole.
    let mut depth = 0u32;
    loop {
        match events.get(j) {
            Some(Event::SoftBreak | Event::HardBreak) if depth == 0 => {
                // The paragraph goes on in the body.
                body_start.push(Event::Start(Tag::Paragraph));
                j += 1;
                break;
            }
            Some(Event::End(TagEnd::Paragraph)) => {
                j += 1;
                break;
            }
            Some(event) => {
                match event {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                title.push(std::mem::replace(&mut events[j], Event::SoftBreak));
                j += 1;
            }
            None => break,
        }
    }
    let untitled = title.iter().all(|e| match e {
        Event::Text(t) => t.trim().is_empty(),
        _ => false,
    });
    if untitled {
        let mut name = marker.kind.clone();
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        title = vec![Event::Text(name.into())];
    }
    let class = if look == marker.kind {
        format!("callout callout-{look}")
    } else {
        format!("callout callout-{look} callout-as-{}", marker.kind)
    };
    let (open, after_title, close) = match marker.fold {
        None => (
            format!("<div class=\"{class}\">\n<div class=\"callout-title\">"),
            "</div>\n<div class=\"callout-content\">\n",
            "</div>\n</div>\n",
        ),
        Some(unfolded) => (
            format!(
                "<details class=\"{class}\"{}>\n<summary class=\"callout-title\">",
                if unfolded { " open" } else { "" }
            ),
            "</summary>\n<div class=\"callout-content\">\n",
            "</div>\n</details>\n",
        ),
    };
    Some(Callout {
        open,
        title,
        after_title,
        body_start,
        close,
        next: j,
    })
}

/// `==text==` becomes `<mark>text</mark>`, within one paragraph, heading or cell and at one
/// depth of emphasis and links (so a highlight never crosses a tag). An opening `==` is
/// followed by a non-space, a closing one preceded by one; runs of three or more `=` stay
/// text. Code is never looked into: the parser gives it as code, not text.
pub fn highlights(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    // Pass 1: the paired delimiters: (event index, byte offset, whether it opens).
    let mut marks: Vec<(usize, usize, bool)> = Vec::new();
    // Openers not yet closed, with their depth.
    let mut openers: Vec<(usize, usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut previous_space = true;
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::Start(tag) if is_inline(tag) => depth += 1,
            Event::End(tag) if is_inline_end(tag) => {
                depth = depth.saturating_sub(1);
                openers.retain(|o| o.2 <= depth);
            }
            Event::Start(_) | Event::End(_) => {
                openers.clear();
                depth = 0;
                previous_space = true;
                continue;
            }
            Event::SoftBreak | Event::HardBreak => {
                previous_space = true;
                continue;
            }
            // A callout's or an embed's frame, or a raw HTML block, ends the run of text as a
            // block's end does.
            Event::Html(html) if is_block_html(html) => {
                openers.clear();
                depth = 0;
                previous_space = true;
                continue;
            }
            Event::Text(text) => {
                let bytes = text.as_bytes();
                let mut k = 0;
                while let Some(found) = memchr::memmem::find(&bytes[k..], b"==") {
                    let at = k + found;
                    let mut run_end = at;
                    while bytes.get(run_end) == Some(&b'=') {
                        run_end += 1;
                    }
                    if run_end - at == 2 {
                        let before_space = if at == 0 {
                            previous_space
                        } else {
                            bytes[at - 1].is_ascii_whitespace()
                        };
                        // At the text's end, what follows is the next event: markup opens.
                        let after_space = match bytes.get(at + 2) {
                            Some(b) => b.is_ascii_whitespace(),
                            None => !matches!(
                                events.get(index + 1),
                                Some(
                                    Event::Start(_)
                                        | Event::Html(_)
                                        | Event::InlineHtml(_)
                                        | Event::Code(_)
                                )
                            ),
                        };
                        let opener = openers.iter().rposition(|o| o.2 == depth);
                        match opener {
                            Some(o) if !before_space => {
                                let (oi, ok, _) = openers[o];
                                openers.truncate(o);
                                marks.push((oi, ok, true));
                                marks.push((index, at, false));
                            }
                            _ if !after_space => openers.push((index, at, depth)),
                            _ => {}
                        }
                    }
                    k = run_end;
                }
                previous_space = bytes.last().is_none_or(|b| b.is_ascii_whitespace());
                continue;
            }
            _ => {}
        }
        previous_space = false;
    }
    if marks.is_empty() {
        return events;
    }
    marks.sort_unstable();
    // Pass 2: each text holding delimiters cut at them, marks in their place.
    let mut next = marks.iter().peekable();
    let mut out = Vec::with_capacity(events.len() + marks.len() * 2);
    for (index, event) in events.into_iter().enumerate() {
        if next.peek().is_none_or(|p| p.0 != index) {
            out.push(event);
            continue;
        }
        let Event::Text(text) = event else {
            out.push(event);
            continue;
        };
        let mut from = 0;
        while let Some(&&(_, at, opens)) = next.peek().filter(|p| p.0 == index) {
            next.next();
            if at > from {
                out.push(Event::Text(CowStr::from(text[from..at].to_string())));
            }
            out.push(Event::Html(CowStr::Borrowed(if opens {
                "<mark>"
            } else {
                "</mark>"
            })));
            from = at + 2;
        }
        if from < text.len() {
            out.push(Event::Text(CowStr::from(text[from..].to_string())));
        }
    }
    out
}

/// Whether raw markup in the events opens or closes a block: what the renderer writes around
/// callouts and embeds (`<div`, `<details`, `</summary>`, a paragraph closed around an embed).
fn is_block_html(html: &str) -> bool {
    let html = html.trim_start();
    [
        "<div",
        "</div",
        "<details",
        "</details",
        "</summary",
        "</p>",
    ]
    .iter()
    .any(|tag| html.starts_with(tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{html::push_html, Parser};

    fn render(markdown: &str) -> String {
        let events: Vec<Event> = Parser::new(markdown).collect();
        let mut html = String::new();
        push_html(&mut html, highlights(callouts(events)).into_iter());
        html
    }

    #[test]
    fn a_title_takes_an_image_cut_by_a_line_end_whole() {
        let html = render("> [!note] ![a\n> b](x.png) rest\n> body");
        assert_eq!(
            html,
            "<div class=\"callout callout-note\">\n<div class=\"callout-title\">\
             <img src=\"x.png\" alt=\"a b\" /> rest</div>\n\
             <div class=\"callout-content\">\n<p>body</p>\n</div>\n</div>\n"
        );
        assert_eq!(html.matches("<div").count(), html.matches("</div>").count());
    }

    #[test]
    fn a_highlight_never_crosses_a_frame() {
        let html = render("> [!note] ==a\n> > [!tip] b==");
        assert!(!html.contains("<mark>"), "{html}");
    }
}
