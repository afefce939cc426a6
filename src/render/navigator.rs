//! ATT&CK Navigator layers (layer format 4.5), which the ATLAS Navigator opens over the ATLAS
//! matrix: one per case study (the techniques it used), one per mitigation (the techniques it
//! addresses), and one for the whole knowledge base (each technique scored by how many case
//! studies used it). Written beside the pages; each page links its own.
//!
//! Each technique is one entry without a `tactic`, which the Navigator applies to the
//! technique under every tactic it appears: a relation says that a technique was used or is
//! addressed, not under which tactic. (One entry per tactic repeated each comment up to four
//! times, and took 940 MB at 100,000 pages.)

use crate::graph::{Graph, PageId, PageKind, RelationKind};
use serde::Serialize;

/// The layer format version the files follow.
const LAYER_FORMAT: &str = "4.5";
/// A Navigator release that reads that format.
const NAVIGATOR: &str = "4.9.1";
/// The Navigator's name for the ATLAS matrix, as the ATLAS website's own layers give it; the
/// ATT&CK domains (`enterprise-attack`, ...) have no `AML.` techniques.
const DOMAIN: &str = "atlas-atlas";
/// The score gradient: white for none, red for the most.
const COLORS: [&str; 2] = ["#ffffff", "#d9534f"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Layer<'g> {
    name: String,
    versions: Versions,
    domain: &'static str,
    description: String,
    sorting: u8,
    hide_disabled: bool,
    techniques: Vec<Technique<'g>>,
    gradient: Gradient,
}

#[derive(Serialize)]
struct Versions {
    layer: &'static str,
    navigator: &'static str,
}

/// One technique's annotation. `enabled` and `showSubtechniques` are left at the format's
/// defaults (shown; sub-techniques folded).
#[derive(Serialize)]
struct Technique<'g> {
    #[serde(rename = "techniqueID")]
    technique_id: &'g str,
    score: u32,
    /// The relation's use text; left out when there is none.
    #[serde(skip_serializing_if = "str::is_empty")]
    comment: std::borrow::Cow<'g, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Gradient {
    colors: [&'static str; 2],
    min_value: u32,
    max_value: u32,
}

/// Whether page `id` has a layer of its own: a case study or mitigation related to at least
/// one technique with an ATLAS ID.
pub fn has_layer(graph: &Graph, id: PageId) -> bool {
    // Asked for every page by the build: no list made for the answer.
    related_techniques(graph, id).next().is_some()
}

/// The layer of case study or mitigation `id` (empty when [`has_layer`] is false).
pub fn page_layer(graph: &Graph, id: PageId) -> Vec<u8> {
    let page = graph.page(id);
    let used = own_techniques(graph, id);
    let what = match page.kind {
        PageKind::CaseStudy => "used in this case study",
        _ => "this mitigation addresses",
    };
    let techniques = used
        .iter()
        .filter_map(|&(technique, note)| entry(graph, technique, 1, note.unwrap_or("").into()))
        .collect();
    let layer = Layer {
        name: page.title().into_owned(),
        versions: versions(),
        domain: DOMAIN,
        description: format!("The techniques {what}, from atlas-kb."),
        sorting: 0,
        hide_disabled: false,
        techniques,
        gradient: Gradient {
            colors: COLORS,
            min_value: 0,
            max_value: 1,
        },
    };
    to_json(&layer)
}

/// The layer of the whole knowledge base: each technique used by a case study, scored by
/// how many.
pub fn knowledge_base_layer(graph: &Graph, site_title: &str) -> Vec<u8> {
    let mut counts = vec![0u32; graph.pages.len()];
    for relation in &graph.relations {
        if relation.kind == RelationKind::TechniqueCaseStudy {
            counts[relation.technique.0] += 1;
        }
    }
    let mut used: Vec<(PageId, u32)> = counts
        .iter()
        .enumerate()
        .filter(|&(i, &n)| n > 0 && graph.pages[i].atlas_id.is_some())
        .map(|(i, &n)| (PageId(i), n))
        .collect();
    used.sort_by_key(|&(p, _)| graph.page(p).atlas_id);
    let most = used.iter().map(|&(_, n)| n).max().unwrap_or(1);
    let techniques = used
        .iter()
        .filter_map(|&(technique, n)| {
            let comment = format!(
                "used in {n} case {}",
                if n == 1 { "study" } else { "studies" }
            );
            entry(graph, technique, n, comment.into())
        })
        .collect();
    let layer = Layer {
        name: site_title.to_string(),
        versions: versions(),
        domain: DOMAIN,
        description: "Each technique scored by how many case studies of the knowledge base \
                      used it, from atlas-kb."
            .into(),
        // By score, highest first.
        sorting: 3,
        hide_disabled: false,
        techniques,
        gradient: Gradient {
            colors: COLORS,
            min_value: 0,
            max_value: most,
        },
    };
    to_json(&layer)
}

fn versions() -> Versions {
    Versions {
        layer: LAYER_FORMAT,
        navigator: NAVIGATOR,
    }
}

fn to_json(layer: &Layer<'_>) -> Vec<u8> {
    // Compact: the files are for the Navigator, and a large knowledge base has tens of
    // thousands. Serializing plain structs of strings and numbers cannot fail.
    let mut json = serde_json::to_vec(layer).unwrap_or_default();
    json.push(b'\n');
    json
}

/// The techniques with an ATLAS ID that case study or mitigation `id` is related to, each
/// with the use text of the relation, by ID.
fn own_techniques(graph: &Graph, id: PageId) -> Vec<(PageId, Option<&str>)> {
    let mut used: Vec<(PageId, Option<&str>)> = related_techniques(graph, id)
        .map(|r| (r.technique, graph.relation_note(r)))
        .collect();
    used.sort_by_key(|&(p, _)| graph.page(p).atlas_id);
    used
}

/// The relations of case study or mitigation `id` to techniques with an ATLAS ID (none for
/// another kind of page).
fn related_techniques(
    graph: &Graph,
    id: PageId,
) -> impl Iterator<Item = &crate::graph::Relation> + '_ {
    let kind = match graph.page(id).kind {
        PageKind::CaseStudy => Some(RelationKind::TechniqueCaseStudy),
        PageKind::Mitigation => Some(RelationKind::TechniqueMitigation),
        _ => None,
    };
    kind.into_iter().flat_map(move |kind| {
        graph
            .relations_of(id)
            .filter(move |r| r.kind == kind && r.other == id)
            .filter(|r| graph.page(r.technique).atlas_id.is_some())
    })
}

/// A technique's entry, if it has an ATLAS ID.
fn entry<'g>(
    graph: &'g Graph,
    technique: PageId,
    score: u32,
    comment: std::borrow::Cow<'g, str>,
) -> Option<Technique<'g>> {
    let id = graph.page(technique).atlas_id.as_ref()?;
    Some(Technique {
        technique_id: id.as_str(),
        score,
        comment,
    })
}
