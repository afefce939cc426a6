//! What the graph adds to an ATLAS page beside its body: the facts panel, a technique's
//! family and procedure examples, a case study's procedure, a tactic's techniques.

use super::url;
use super::views::{DisplayOrder, LinkView};
use crate::graph::{Anchor, Graph, PageId, PageKind, RelationKind};
use crate::syntax::{url_kind, UrlKind};
use crate::vocabulary::{headings, keys, maturity_hint};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One line of the facts panel: a label and a text, a web link or page links.
pub struct Fact<'g> {
    pub label: Cow<'g, str>,
    pub text: Option<Cow<'g, str>>,
    /// Where the text links to (a web address from the page's metadata).
    pub href: Option<&'g str>,
    pub links: Vec<LinkView<'g>>,
    /// A line saying what the value means (a maturity level's).
    pub hint: Option<&'static str>,
    /// Shown as code (an ID).
    pub code: bool,
}

impl<'g> Fact<'g> {
    fn text(label: impl Into<Cow<'g, str>>, text: impl Into<Cow<'g, str>>) -> Fact<'g> {
        Fact {
            label: label.into(),
            text: Some(text.into()),
            href: None,
            links: Vec::new(),
            hint: None,
            code: false,
        }
    }

    fn links(label: impl Into<Cow<'g, str>>, links: Vec<LinkView<'g>>) -> Fact<'g> {
        Fact {
            label: label.into(),
            text: None,
            href: None,
            links,
            hint: None,
            code: false,
        }
    }
}

/// The facts panel of page `id`: its ID and kind, what the graph knows of it, then each of
/// its metadata bullets. Empty for notes. A technique's `tactics` ([`Graph::tactics_of`])
/// and procedure `examples` come from its other panels.
pub fn facts<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
    (tactics, examples): (&[PageId], &[Example]),
    from: &str,
) -> Vec<Fact<'g>> {
    let page = graph.page(id);
    if page.kind == PageKind::Note {
        return Vec::new();
    }
    let vocabulary = &graph.vocabulary;
    let mut facts = Vec::new();
    if let Some(atlas_id) = &page.atlas_id {
        let mut fact = Fact::text("ID", atlas_id.as_str());
        fact.code = true;
        facts.push(fact);
    }
    facts.push(Fact::text(
        "Kind",
        vocabulary.kind(page.kind).label.as_str(),
    ));
    // The pages related to this one by `kind` (the graph holds each relation once).
    let related = |kind: RelationKind| {
        let technique_side = page.kind.is_technique();
        graph
            .relations_of(id)
            .filter(move |r| r.kind == kind && (r.technique == id) == technique_side)
            .map(move |r| if technique_side { r.other } else { r.technique })
    };
    let count = |kind: RelationKind| related(kind).count();
    let links_to = |pages: Vec<PageId>| -> Vec<LinkView<'g>> {
        let mut pages = pages;
        pages.sort_by_key(|p| display.rank(*p));
        pages.dedup();
        pages
            .into_iter()
            .map(|p| LinkView::new(graph, from, p, None))
            .collect()
    };
    match page.kind {
        PageKind::Technique | PageKind::SubTechnique => {
            if let Some(parent) = graph.parent_of(id) {
                facts.push(Fact::links("Parent technique", links_to(vec![parent])));
            }
            if !tactics.is_empty() {
                facts.push(Fact::links(
                    vocabulary.kind(PageKind::Tactic).plural.as_str(),
                    links_to(tactics.to_vec()),
                ));
            }
        }
        PageKind::Tactic => {
            let n = super::tactic_techniques(graph, id);
            facts.push(Fact::text(
                vocabulary.kind(PageKind::Technique).plural.as_str(),
                n.to_string(),
            ));
        }
        PageKind::Mitigation => {
            let n = count(RelationKind::TechniqueMitigation);
            facts.push(Fact::text("Techniques addressed", n.to_string()));
        }
        PageKind::CaseStudy => {
            let n = count(RelationKind::TechniqueCaseStudy);
            facts.push(Fact::text("Techniques used", n.to_string()));
        }
        PageKind::Note => {}
    }
    for field in &page.source.metadata {
        let key = field.key.as_str();
        if vocabulary.is_id_key(key) || vocabulary.is_parent_key(key) {
            continue;
        }
        let (text, href) = metadata_value(&field.value);
        let mut fact = Fact::text(key, text);
        fact.href = href;
        if key.eq_ignore_ascii_case(keys::MATURITY) {
            fact.hint = maturity_hint(&field.value);
        }
        facts.push(fact);
    }
    if page.kind.is_technique() {
        facts.push(Fact::text(
            vocabulary.kind(PageKind::Mitigation).plural.as_str(),
            count(RelationKind::TechniqueMitigation).to_string(),
        ));
        // Case studies that list the technique, or use it (or a sub-technique) in a step.
        let mut cases: Vec<PageId> = related(RelationKind::TechniqueCaseStudy).collect();
        cases.extend(examples.iter().map(|e| e.case_id));
        cases.sort_unstable();
        cases.dedup();
        facts.push(Fact::text(
            vocabulary.kind(PageKind::CaseStudy).plural.as_str(),
            cases.len().to_string(),
        ));
    }
    facts
}

/// A metadata value as shown: `[T1204](https://...)` is its text, linked when the address
/// is a web one; other markdown marks are dropped.
fn metadata_value(value: &str) -> (Cow<'_, str>, Option<&str>) {
    let link = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(')'))
        .and_then(|v| v.split_once("]("));
    match link {
        Some((text, href)) if !text.contains(']') => {
            let href = href.trim();
            let web = url_kind(href) == UrlKind::Web && !href.contains(char::is_whitespace);
            (Cow::Borrowed(text), web.then_some(href))
        }
        _ if value.contains(['*', '`', '[']) => (
            Cow::Owned(
                value
                    .replace(['*', '`'], "")
                    .replace("[[", "")
                    .replace("]]", ""),
            ),
            None,
        ),
        _ => (Cow::Borrowed(value), None),
    }
}

/// A technique in a family or tactic table.
pub struct TechniqueRow<'g> {
    pub page: PageId,
    pub link: LinkView<'g>,
    pub maturity: Option<&'g str>,
    pub summary: Option<&'g str>,
    /// This page's own row.
    pub current: bool,
    /// Sub-techniques: the number of them (tactic tables), and the rows nested under it.
    pub subs: usize,
    pub children: Vec<TechniqueRow<'g>>,
}

fn technique_row<'g>(
    graph: &'g Graph,
    from: &str,
    id: PageId,
    current: PageId,
) -> TechniqueRow<'g> {
    let page = graph.page(id);
    TechniqueRow {
        page: id,
        link: LinkView::new(graph, from, id, None),
        maturity: page.metadata(keys::MATURITY),
        summary: page.source.summary.as_deref(),
        current: id == current,
        subs: graph.children_of(id).len(),
        children: Vec::new(),
    }
}

/// A technique's family: a sub-technique's siblings (itself marked) under their parent, a
/// parent's sub-techniques. `None` when there are none.
pub struct Family<'g> {
    pub parent: Option<LinkView<'g>>,
    pub rows: Vec<TechniqueRow<'g>>,
}

pub fn family<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
    from: &str,
) -> Option<Family<'g>> {
    let (parent, members) = match graph.parent_of(id) {
        Some(parent) => (Some(parent), graph.children_of(parent)),
        None if graph.page(id).kind == PageKind::Technique => (None, graph.children_of(id)),
        None => return None,
    };
    if members.is_empty() {
        return None;
    }
    let mut members = members.to_vec();
    members.sort_by_key(|p| display.rank(*p));
    Some(Family {
        parent: parent.map(|p| LinkView::new(graph, from, p, None)),
        rows: members
            .into_iter()
            .map(|m| technique_row(graph, from, m, id))
            .collect(),
    })
}

/// How a case study's procedure used a technique: one step.
pub struct Example<'g> {
    pub case_id: PageId,
    pub case_study: LinkView<'g>,
    /// The step's number and name, linked to it on the case study's page.
    pub step: String,
    pub step_href: String,
    /// The sub-technique the step names, when this page is its parent.
    pub via: Option<LinkView<'g>>,
    pub tactic: Option<LinkView<'g>>,
    pub text: &'g str,
}

/// Every procedure step that uses technique `id` or one of its sub-techniques, by case
/// study in list order, then by step.
pub fn procedure_examples<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
    from: &str,
) -> Vec<Example<'g>> {
    let mut uses: Vec<(PageId, u32, Option<PageId>)> = graph
        .steps_using(id)
        .iter()
        .map(|&(c, n)| (c, n, None))
        .collect();
    for &child in graph.children_of(id) {
        uses.extend(
            graph
                .steps_using(child)
                .iter()
                .map(|&(c, n)| (c, n, Some(child))),
        );
    }
    uses.sort_by_key(|&(c, n, _)| (display.rank(c), n));
    uses.into_iter()
        .map(|(case, n, via)| {
            let page = graph.page(case);
            let step = &page.source.steps[n as usize];
            let (_, tactic) = graph.step_pages(case, step);
            Example {
                case_id: case,
                case_study: LinkView::new(graph, from, case, None),
                step: step_label(n, &step.name),
                step_href: step_href(graph, from, case, step.heading),
                via: via.map(|v| LinkView::new(graph, from, v, None)),
                tactic: tactic.map(|t| LinkView::new(graph, from, t, None)),
                text: &step.text,
            }
        })
        .collect()
}

fn step_label(n: u32, name: &str) -> String {
    let step = headings::STEP;
    if name.is_empty() {
        format!("{step} {}", n + 1)
    } else {
        format!("{step} {}: {name}", n + 1)
    }
}

/// The step's heading on its page, or the page.
fn step_href(graph: &Graph, from: &str, case: PageId, heading: Option<u32>) -> String {
    let anchor = heading.map(Anchor::Heading);
    url::href(graph, from, case, anchor.as_ref())
}

/// One step of a case study's procedure, as its table shows it.
pub struct StepRow<'g> {
    pub number: usize,
    pub name: &'g str,
    pub href: Option<String>,
    pub tactic: Option<LinkView<'g>>,
    pub technique: Option<LinkView<'g>>,
    /// The step text's first sentence: the body below has the rest.
    pub text: String,
}

pub fn procedure<'g>(graph: &'g Graph, id: PageId, from: &str) -> Vec<StepRow<'g>> {
    let page = graph.page(id);
    page.source
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (technique, tactic) = graph.step_pages(id, step);
            StepRow {
                number: i + 1,
                name: &step.name,
                href: step
                    .heading
                    .map(|h| format!("#{}", url::fragment(graph, id, &Anchor::Heading(h)))),
                tactic: tactic.map(|t| LinkView::new(graph, from, t, None)),
                technique: technique.map(|t| LinkView::new(graph, from, t, None)),
                text: crate::load::first_sentence(&step.text, 200),
            }
        })
        .collect()
}

/// A tactic's techniques in matrix order, each with its sub-techniques in this tactic.
pub fn tactic_table<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    tactic: PageId,
    from: &str,
) -> Vec<TechniqueRow<'g>> {
    tactic_groups(graph, display, tactic)
        .into_iter()
        .map(|(t, subs)| {
            let mut row = technique_row(graph, from, t, tactic);
            row.children = subs
                .into_iter()
                .map(|s| technique_row(graph, from, s, tactic))
                .collect();
            row
        })
        .collect()
}

/// The techniques that serve `tactic`, in display order, each with its sub-techniques that
/// serve it. A sub-technique whose parent does not serve the tactic still comes under it.
pub fn tactic_groups(
    graph: &Graph,
    display: &DisplayOrder,
    tactic: PageId,
) -> Vec<(PageId, Vec<PageId>)> {
    let mut top: BTreeMap<u32, (PageId, Vec<PageId>)> = BTreeMap::new();
    for r in graph.relations_of(tactic) {
        if r.kind != RelationKind::TechniqueTactic || r.other != tactic {
            continue;
        }
        let t = r.technique;
        match graph.parent_of(t) {
            Some(parent) => top
                .entry(display.rank(parent))
                .or_insert((parent, Vec::new()))
                .1
                .push(t),
            None => {
                top.entry(display.rank(t)).or_insert((t, Vec::new()));
            }
        }
    }
    top.into_values()
        .map(|(t, mut subs)| {
            subs.sort_by_key(|p| display.rank(*p));
            (t, subs)
        })
        .collect()
}

/// The panels above as HTML, written here rather than by the page template: the template
/// engine took 14% more CPU to render pages with the same HTML (BENCHMARKS.md).
pub mod html {
    use super::{Example, Fact, Family, StepRow, TechniqueRow};
    use crate::render::markdown::{push_escaped, TocEntry};
    use crate::render::views::LinkView;

    fn text(out: &mut String, s: &str) {
        push_escaped(out, s);
    }

    /// The table of contents of a page with at least [`TOC_MIN_HEADINGS`] headings below its
    /// title: a list of links to them, levels 2 to 4, each marked with its level.
    pub fn toc(out: &mut String, headings: &[TocEntry]) {
        if headings.len() < TOC_MIN_HEADINGS {
            return;
        }
        out.push_str("<ol class=\"toc-list\">");
        for h in headings.iter().filter(|h| h.level <= 4) {
            out.push_str("<li class=\"toc-h");
            out.push(char::from(b'0' + h.level));
            out.push_str("\"><a href=\"#");
            push_escaped(out, &h.slug);
            out.push_str("\">");
            push_escaped(out, h.text.trim());
            out.push_str("</a></li>");
        }
        out.push_str("</ol>");
    }

    /// Fewer headings than this and a page needs no contents.
    const TOC_MIN_HEADINGS: usize = 3;

    fn link(out: &mut String, href: &str, label: &str) {
        out.push_str("<a href=\"");
        push_escaped(out, href);
        out.push_str("\">");
        push_escaped(out, label);
        out.push_str("</a>");
    }

    /// `<code>ID</code> Name`, linked.
    fn id_link(out: &mut String, view: &LinkView) {
        out.push_str("<a href=\"");
        push_escaped(out, &view.href);
        out.push_str("\">");
        if let Some(id) = view.id {
            out.push_str("<code>");
            push_escaped(out, id);
            out.push_str("</code> ");
        }
        push_escaped(out, &view.name);
        out.push_str("</a>");
    }

    fn id_cell(out: &mut String, id: Option<&str>) {
        out.push_str("<td class=\"id\">");
        if let Some(id) = id {
            out.push_str("<code>");
            push_escaped(out, id);
            out.push_str("</code>");
        }
        out.push_str("</td>");
    }

    fn maturity_cell(out: &mut String, level: Option<&str>) {
        out.push_str("<td>");
        if let Some(level) = level {
            out.push_str("<span class=\"maturity maturity-");
            push_escaped(out, &level.trim().to_lowercase());
            out.push_str("\">");
            push_escaped(out, level);
            out.push_str("</span>");
        }
        out.push_str("</td>");
    }

    fn section_start(out: &mut String, class: &str, id: &str) {
        out.push_str("<section class=\"graph-section ");
        out.push_str(class);
        out.push_str("\" aria-labelledby=\"");
        out.push_str(id);
        out.push_str("\">\n<h2 id=\"");
        out.push_str(id);
        out.push_str("\">");
    }

    fn table_start(out: &mut String, class: &str, headers: &[&str]) {
        out.push_str("<div class=\"table-wrap\">\n<table class=\"list");
        if !class.is_empty() {
            out.push(' ');
            out.push_str(class);
        }
        out.push_str("\">\n<thead><tr>");
        for h in headers {
            out.push_str("<th scope=\"col\">");
            out.push_str(h);
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
    }

    const TABLE_END: &str = "</tbody>\n</table>\n</div>\n</section>\n";

    /// The "At a glance" panel's list of facts.
    pub fn facts(out: &mut String, facts: &[Fact]) {
        if facts.is_empty() {
            return;
        }
        out.push_str("<dl class=\"facts\">\n");
        for fact in facts {
            out.push_str("<div class=\"fact\"><dt>");
            text(out, &fact.label);
            out.push_str("</dt><dd>");
            let value = fact.text.as_deref().unwrap_or("");
            if !fact.links.is_empty() {
                for (i, l) in fact.links.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    link(out, &l.href, &l.title);
                }
            } else if let Some(href) = fact.href {
                out.push_str("<a href=\"");
                push_escaped(out, href);
                out.push_str("\" rel=\"noopener noreferrer\">");
                text(out, value);
                out.push_str("</a>");
            } else if fact.code {
                out.push_str("<code>");
                text(out, value);
                out.push_str("</code>");
            } else {
                text(out, value);
            }
            if let Some(hint) = fact.hint {
                out.push_str("<span class=\"hint\">");
                text(out, hint);
                out.push_str("</span>");
            }
            out.push_str("</dd></div>\n");
        }
        out.push_str("</dl>\n");
    }

    /// A case study's procedure at a glance.
    pub fn procedure(out: &mut String, steps: &[StepRow]) {
        if steps.is_empty() {
            return;
        }
        section_start(out, "procedure", "procedure-glance");
        out.push_str("Procedure at a glance</h2>\n");
        table_start(
            out,
            "steps",
            &["Step", "Tactic", "Technique", "What happened"],
        );
        for step in steps {
            out.push_str("<tr><td class=\"step-name\">");
            out.push_str(&step.number.to_string());
            out.push('.');
            if !step.name.is_empty() {
                out.push(' ');
                match &step.href {
                    Some(href) => link(out, href, step.name),
                    None => text(out, step.name),
                }
            }
            out.push_str("</td><td>");
            match &step.tactic {
                Some(t) => link(out, &t.href, &t.name),
                None => out.push_str("<span class=\"none\">—</span>"),
            }
            out.push_str("</td><td>");
            match &step.technique {
                Some(t) => id_link(out, t),
                None => out.push_str("<span class=\"none\">—</span>"),
            }
            out.push_str("</td><td class=\"summary\">");
            text(out, &step.text);
            out.push_str("</td></tr>\n");
        }
        out.push_str(TABLE_END);
    }

    fn technique_row(out: &mut String, row: &TechniqueRow, nested: bool) {
        out.push_str(if nested {
            "<tr class=\"sub-row\">"
        } else {
            "<tr class=\"technique-row\">"
        });
        id_cell(out, row.link.id);
        out.push_str("<td>");
        if nested {
            out.push_str("<span class=\"nest\" aria-hidden=\"true\">↳ </span>");
        }
        link(out, &row.link.href, &row.link.name);
        out.push_str("</td>");
        maturity_cell(out, row.maturity);
        out.push_str("<td class=\"summary\">");
        text(out, row.summary.unwrap_or(""));
        out.push_str("</td>");
        out.push_str("<td class=\"num\">");
        if !nested {
            out.push_str(&row.subs.to_string());
        }
        out.push_str("</td>");
        out.push_str("</tr>\n");
    }

    /// A tactic's techniques in matrix order.
    pub fn tactic_table(out: &mut String, rows: &[TechniqueRow]) {
        if rows.is_empty() {
            return;
        }
        section_start(out, "tactic-techniques", "tactic-techniques");
        out.push_str("Techniques in matrix order</h2>\n");
        table_start(
            out,
            "techniques-table",
            &["ID", "Name", "Maturity", "Description", "Subs"],
        );
        for row in rows {
            technique_row(out, row, false);
            for child in &row.children {
                technique_row(out, child, true);
            }
        }
        out.push_str(TABLE_END);
    }

    /// A technique's sub-techniques, or a sub-technique's siblings.
    pub fn family(out: &mut String, family: Option<&Family>) {
        let Some(family) = family else { return };
        section_start(out, "family", "family");
        match &family.parent {
            Some(parent) => {
                out.push_str("Sub-techniques of ");
                link(out, &parent.href, &parent.title);
            }
            None => out.push_str("Sub-techniques"),
        }
        out.push_str("</h2>\n");
        table_start(out, "", &["ID", "Name", "Maturity"]);
        for row in &family.rows {
            out.push_str(if row.current {
                "<tr class=\"current\">"
            } else {
                "<tr>"
            });
            id_cell(out, row.link.id);
            out.push_str("<td>");
            if row.current {
                out.push_str("<span aria-current=\"page\">");
                text(out, &row.link.name);
                out.push_str("</span> <span class=\"this-page\">(this page)</span>");
            } else {
                link(out, &row.link.href, &row.link.name);
            }
            out.push_str("</td>");
            maturity_cell(out, row.maturity);
            out.push_str("</tr>\n");
        }
        out.push_str(TABLE_END);
    }

    /// The procedure examples of a technique.
    pub fn examples(out: &mut String, examples: &[Example]) {
        if examples.is_empty() {
            return;
        }
        section_start(out, "examples", "procedure-examples");
        out.push_str("Procedure examples <small class=\"count-note\">(");
        out.push_str(&examples.len().to_string());
        out.push_str(")</small></h2>\n");
        table_start(out, "examples-table", &["Case study", "How it was used"]);
        for e in examples {
            out.push_str("<tr><td class=\"case\">");
            id_link(out, &e.case_study);
            out.push_str("<span class=\"step-ref\">");
            link(out, &e.step_href, &e.step);
            if let Some(t) = &e.tactic {
                out.push_str(" · ");
                link(out, &t.href, &t.name);
            }
            out.push_str("</span>");
            if let Some(via) = &e.via {
                out.push_str("<span class=\"via\">through ");
                link(out, &via.href, &via.title);
                out.push_str("</span>");
            }
            out.push_str("</td><td class=\"summary\">");
            text(out, e.text);
            out.push_str("</td></tr>\n");
        }
        out.push_str(TABLE_END);
    }
}
