//! ATT&CK Navigator layers (layer format 4.5), which the ATLAS Navigator opens over the ATLAS
//! matrix: one per case study (the techniques it used), one per mitigation (the techniques it
//! addresses), and one for the whole knowledge base (each technique scored by how many case
//! studies used it). Written beside the pages; each page links its own.

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
struct Layer {
    name: String,
    versions: Versions,
    domain: &'static str,
    description: String,
    sorting: u8,
    hide_disabled: bool,
    techniques: Vec<Technique>,
    gradient: Gradient,
}

#[derive(Serialize)]
struct Versions {
    layer: &'static str,
    navigator: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Technique {
    #[serde(rename = "techniqueID")]
    technique_id: String,
    /// The tactic's short name; left out for a technique with no tactic page.
    #[serde(skip_serializing_if = "Option::is_none")]
    tactic: Option<String>,
    score: u32,
    /// The relation's use text; left out when there is none.
    #[serde(skip_serializing_if = "String::is_empty")]
    comment: String,
    enabled: bool,
    show_subtechniques: bool,
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
    !own_techniques(graph, id).is_empty()
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
        .flat_map(|&(technique, note)| entries(graph, technique, 1, note.unwrap_or("")))
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
    used.sort_by_key(|&(p, _)| graph.page(p).atlas_id.as_ref().map(|i| i.to_string()));
    let most = used.iter().map(|&(_, n)| n).max().unwrap_or(1);
    let techniques = used
        .iter()
        .flat_map(|&(technique, n)| {
            let comment = format!(
                "used in {n} case {}",
                if n == 1 { "study" } else { "studies" }
            );
            entries(graph, technique, n, &comment)
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

fn to_json(layer: &Layer) -> Vec<u8> {
    // Compact: the files are for the Navigator, and a large knowledge base has tens of
    // thousands. Serializing plain structs of strings and numbers cannot fail.
    let mut json = serde_json::to_vec(layer).unwrap_or_default();
    json.push(b'\n');
    json
}

/// The techniques with an ATLAS ID that case study or mitigation `id` is related to, each
/// with the use text of the relation, by ID.
fn own_techniques(graph: &Graph, id: PageId) -> Vec<(PageId, Option<&str>)> {
    let kind = match graph.page(id).kind {
        PageKind::CaseStudy => RelationKind::TechniqueCaseStudy,
        PageKind::Mitigation => RelationKind::TechniqueMitigation,
        _ => return Vec::new(),
    };
    let mut used: Vec<(PageId, Option<&str>)> = graph
        .relations_of(id)
        .filter(|r| r.kind == kind && r.other == id)
        .filter(|r| graph.page(r.technique).atlas_id.is_some())
        .map(|r| (r.technique, graph.relation_note(r)))
        .collect();
    used.sort_by_key(|&(p, _)| graph.page(p).atlas_id.as_ref().map(|i| i.to_string()));
    used
}

/// A technique's entries: one per tactic it serves (a sub-technique serves its parent's), so
/// that the Navigator marks it in each of the matrix's columns; one without a tactic when it
/// has none.
fn entries(graph: &Graph, technique: PageId, score: u32, comment: &str) -> Vec<Technique> {
    let Some(id) = graph.page(technique).atlas_id.as_ref() else {
        return Vec::new();
    };
    let mut tactics = tactics_of(graph, technique);
    if tactics.is_empty() {
        if let Some(parent) = graph.parent[technique.0] {
            tactics = tactics_of(graph, parent);
        }
    }
    let tactics: Vec<Option<String>> = if tactics.is_empty() {
        vec![None]
    } else {
        tactics.into_iter().map(Some).collect()
    };
    tactics
        .into_iter()
        .map(|tactic| Technique {
            technique_id: id.to_string(),
            tactic,
            score,
            comment: comment.to_string(),
            enabled: true,
            show_subtechniques: false,
        })
        .collect()
}

/// The short names of the tactics `technique` serves, sorted.
fn tactics_of(graph: &Graph, technique: PageId) -> Vec<String> {
    let mut tactics: Vec<String> = graph
        .relations_of(technique)
        .filter(|r| r.kind == RelationKind::TechniqueTactic && r.technique == technique)
        .map(|r| short_name(&graph.page(r.other).name))
        .collect();
    tactics.sort();
    tactics.dedup();
    tactics
}

/// A tactic's name as the Navigator names tactics: lower case, words joined by `-`
/// (`AI Model Access` -> `ai-model-access`).
fn short_name(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tactic_short_names_are_lower_case_words_joined_by_dashes() {
        assert_eq!(short_name("AI Model Access"), "ai-model-access");
        assert_eq!(short_name("Command and Control"), "command-and-control");
        assert_eq!(short_name("  Defense  Evasion "), "defense-evasion");
    }
}
