//! What the graph adds to an ATLAS page beside its body: the facts panel, a technique's
//! family and procedure examples, a case study's procedure, a tactic's techniques.

use super::url;
use super::views::{DisplayOrder, LinkView};
use crate::graph::{Graph, PageId, PageKind, RelationKind};
use crate::syntax::{url_kind, UrlKind};
use crate::vocabulary::{keys, maturity_hint};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One line of the facts panel: a label and a text, a web link or page links.
#[derive(Serialize)]
pub struct Fact<'g> {
    pub label: Cow<'g, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'g, str>>,
    /// Where the text links to (a web address from the page's metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<&'g str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkView<'g>>,
    /// A line saying what the value means (a maturity level's).
    #[serde(skip_serializing_if = "Option::is_none")]
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
/// its metadata bullets. Empty for notes.
pub fn facts<'g>(
    graph: &'g Graph,
    display: &DisplayOrder,
    id: PageId,
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
    let count = |kind: RelationKind| {
        let technique_side = page.kind.is_technique();
        let mut others: Vec<PageId> = graph
            .relations_of(id)
            .filter(|r| r.kind == kind && (r.technique == id) == technique_side)
            .map(|r| if technique_side { r.other } else { r.technique })
            .collect();
        others.sort_unstable();
        others.dedup();
        others.len()
    };
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
            if let Some(parent) = graph.parent[id.0] {
                facts.push(Fact::links("Parent technique", links_to(vec![parent])));
            }
            let tactics = graph.tactics_of(id);
            if !tactics.is_empty() {
                facts.push(Fact::links(
                    vocabulary.kind(PageKind::Tactic).plural.as_str(),
                    links_to(tactics),
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
        let mut cases: Vec<PageId> = graph
            .relations_of(id)
            .filter(|r| r.kind == RelationKind::TechniqueCaseStudy && r.technique == id)
            .map(|r| r.other)
            .collect();
        for &t in std::iter::once(&id).chain(&graph.children[id.0]) {
            cases.extend(graph.steps_using(t).iter().map(|&(c, _)| c));
        }
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
#[derive(Serialize)]
pub struct TechniqueRow<'g> {
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
        link: LinkView::new(graph, from, id, None),
        maturity: page.metadata(keys::MATURITY),
        summary: page.source.summary.as_deref(),
        current: id == current,
        subs: graph.children[id.0].len(),
        children: Vec::new(),
    }
}

/// A technique's family: a sub-technique's siblings (itself marked) under their parent, a
/// parent's sub-techniques. `None` when there are none.
#[derive(Serialize)]
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
    let (parent, members) = match graph.parent[id.0] {
        Some(parent) => (Some(parent), &graph.children[parent.0]),
        None if graph.page(id).kind == PageKind::Technique => (None, &graph.children[id.0]),
        None => return None,
    };
    if members.is_empty() {
        return None;
    }
    let mut members = members.clone();
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
#[derive(Serialize)]
pub struct Example<'g> {
    #[serde(skip)]
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
    for &child in &graph.children[id.0] {
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
    if name.is_empty() {
        format!("Step {}", n + 1)
    } else {
        format!("Step {}: {name}", n + 1)
    }
}

/// The step's heading on its page, or the page.
fn step_href(graph: &Graph, from: &str, case: PageId, heading: Option<u32>) -> String {
    let anchor = heading.map(crate::graph::Anchor::Heading);
    url::href(graph, from, case, anchor.as_ref())
}

/// One step of a case study's procedure, as its table shows it.
#[derive(Serialize)]
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
                    .map(|h| format!("#{}", page.source.headings[h as usize].slug)),
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
        match graph.parent[t.0] {
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
            subs.dedup();
            (t, subs)
        })
        .collect()
}
