//! The ATLAS vocabulary on the layouts real vaults use, fixture `vocabulary/<variant>/`: each
//! variant's relations are found on both sides (no false asymmetric-relation), and the one
//! relation each fixture lists on one side only is still reported, exactly.

use crate::support::{check_json, fixture, relation_edges as edges, Edge, JsonDiagnostic};
use atlas_kb::graph::{Graph, PageKind};
use atlas_kb::Config;
use std::path::Path;

fn edge(technique: &str, other: &str, sides: (bool, bool), note: Option<&str>) -> Edge {
    (
        technique.to_string(),
        other.to_string(),
        sides.0,
        sides.1,
        note.map(str::to_string),
    )
}

/// The graph of a fixture read with the settings of `site` (its atlas-kb.toml, if any).
fn graph_in(site: &Path) -> Graph {
    let config = Config::load(site, None).expect("settings load");
    atlas_kb::load_graph(&config).expect("content loads")
}

/// The graph of a content root read with the default settings.
fn graph_of(root: &Path) -> Graph {
    crate::support::load_graph(root).expect("content loads")
}

fn kind_of(graph: &Graph, path: &str) -> PageKind {
    graph.page_by_path(path).expect("page exists").kind
}

/// `check --format json` on a fixture: exit code and diagnostics, end positions left out
/// (the format tests pin those; these compare where relations are found).
fn check(root: &Path) -> (Option<i32>, Vec<JsonDiagnostic>) {
    let run = check_json(root, &[]);
    (run.code, without_ends(&run))
}

fn without_ends(run: &crate::support::Run) -> Vec<JsonDiagnostic> {
    let mut found = run.diagnostics();
    for d in &mut found {
        (d.end_line, d.end_column) = (0, 0);
    }
    found
}

fn diagnostic(at: &str, message: &str, help: &str) -> JsonDiagnostic {
    let (code, place) = at.split_once(' ').expect("`code path:line:col`");
    let mut parts = place.rsplitn(3, ':');
    let column = parts.next().and_then(|c| c.parse().ok()).expect("column");
    let line = parts.next().and_then(|l| l.parse().ok()).expect("line");
    JsonDiagnostic {
        code: code.to_string(),
        severity: "warning".to_string(),
        path: parts.next().expect("path").to_string(),
        line,
        column,
        end_line: 0,
        end_column: 0,
        message: message.to_string(),
        help: Some(help.to_string()),
    }
}

/// `### [[x]]` entries under a relation section: the heading's link is the entry, the
/// paragraph under it its use text, and the links in that paragraph are no entries.
#[test]
fn relation_entries_written_as_headings() {
    let root = fixture("vocabulary/heading-entries");
    let graph = graph_of(&root);
    let found = edges(&graph);
    let cloud = edge(
        "techniques/exfiltration.md",
        "studies/cloud-outage.md",
        (true, true),
        Some("The team copied the model out over an ordinary channel, as they had in [[studies/unrelated]]."),
    );
    let chain = edge(
        "techniques/exfiltration.md",
        "studies/dependency-chain.md",
        (true, true),
        Some("through DNS"),
    );
    assert!(found.contains(&cloud), "{found:#?}");
    assert!(found.contains(&chain), "{found:#?}");
    assert!(
        !found.iter().any(|e| e.1 == "studies/unrelated.md"),
        "a link in an entry's description is no entry: {found:#?}"
    );
    assert_eq!(
        check(&root),
        (
            Some(0),
            vec![
                diagnostic(
                    "asymmetric-relation studies/lonely.md:10:16",
                    "`studies/lonely` lists `techniques/exfiltration` under Procedure, but `techniques/exfiltration` does not list it back",
                    "add `[[studies/lonely]]` to the Case Studies section of `techniques/exfiltration.md`",
                ),
                diagnostic(
                    "asymmetric-relation techniques/exfiltration.md:22:5",
                    "`techniques/exfiltration` lists `studies/one-sided` under Case Studies, but `studies/one-sided` does not list it back",
                    "add `[[techniques/exfiltration]]` to the Techniques Used section of `studies/one-sided.md`",
                ),
            ]
        )
    );
}

/// Case studies whose steps are under `## Attack Procedure`, as `**Technique:**` lines or
/// as a table, with a `## Tactics and Techniques Used` summary; the steps' prose links and
/// tactic lines are no entries.
#[test]
fn attack_procedure_steps_and_tables() {
    let root = fixture("vocabulary/attack-procedure");
    let graph = graph_of(&root);
    let found = edges(&graph);
    for (technique, study) in [
        ("techniques/prompt-crafting.md", "studies/memories.md"),
        (
            "techniques/prompt-crafting.md",
            "studies/exfiltration-chat.md",
        ),
        ("techniques/prompt-obfuscation.md", "studies/memories.md"),
    ] {
        let both = edge(technique, study, (true, true), None);
        assert!(found.contains(&both), "{technique} - {study}: {found:#?}");
    }
    assert!(
        !found
            .iter()
            .any(|e| e.0 == "techniques/unlisted.md" && e.1.starts_with("studies/")),
        "a step's prose is no entry: {found:#?}"
    );
    assert_eq!(
        check(&root),
        (
            Some(0),
            vec![diagnostic(
                "asymmetric-relation studies/exfiltration-chat.md:11:76",
                "`studies/exfiltration-chat` lists `techniques/prompt-obfuscation` under Attack Procedure, but `techniques/prompt-obfuscation` does not list it back",
                "add `[[studies/exfiltration-chat]]` to the Case Studies section of `techniques/prompt-obfuscation.md`",
            )]
        )
    );
}

/// Hand-written techniques in `attacks/` and mitigations in `defenses/`, without ATLAS IDs,
/// listing each other in sections (`## Mitigates`) and in labelled lines of a `## Related`
/// section (`- **Mitigated by:** [[a]], [[b]]`, `**Attacks Mitigated**: [[c]]`).
#[test]
fn attacks_and_defenses_folders_with_labelled_lines() {
    let root = fixture("vocabulary/attacks-defenses");
    let graph = graph_of(&root);
    assert_eq!(kind_of(&graph, "attacks/backdoor.md"), PageKind::Technique);
    assert_eq!(
        kind_of(&graph, "defenses/data-provenance.md"),
        PageKind::Mitigation
    );
    assert_eq!(
        edges(&graph),
        [
            edge(
                "attacks/backdoor.md",
                "defenses/anomaly-detection.md",
                (true, false),
                Some("catches the trigger's odd inputs")
            ),
            edge(
                "attacks/backdoor.md",
                "defenses/data-provenance.md",
                (true, true),
                None
            ),
            edge(
                "attacks/data-poisoning.md",
                "defenses/anomaly-detection.md",
                (true, true),
                None
            ),
            edge(
                "attacks/data-poisoning.md",
                "defenses/data-provenance.md",
                (true, true),
                None
            ),
        ]
    );
    assert_eq!(
        check(&root),
        (
            Some(0),
            vec![diagnostic(
                "asymmetric-relation attacks/backdoor.md:10:3",
                "`attacks/backdoor` lists `defenses/anomaly-detection` under Mitigations, but `defenses/anomaly-detection` does not list it back",
                "add `[[attacks/backdoor]]` to the Techniques section of `defenses/anomaly-detection.md`",
            )]
        )
    );
}

/// Kinds from `type/attack`, `#type/defense` and `type/case-study` tags and a `type: Defence`
/// value, all in one folder; a page without a kind lists nothing, whatever its sections.
#[test]
fn kinds_from_type_tags_and_values() {
    let root = fixture("vocabulary/type-tags");
    let graph = graph_of(&root);
    for (path, kind) in [
        ("notes/jailbreak.md", PageKind::Technique),
        ("notes/output-filter.md", PageKind::Mitigation),
        ("notes/rate-limit.md", PageKind::Mitigation),
        ("notes/chatbot-incident.md", PageKind::CaseStudy),
        ("notes/reading-list.md", PageKind::Note),
    ] {
        assert_eq!(kind_of(&graph, path), kind, "{path}");
    }
    assert_eq!(
        edges(&graph),
        [
            edge(
                "notes/jailbreak.md",
                "notes/output-filter.md",
                (true, true),
                None
            ),
            edge(
                "notes/jailbreak.md",
                "notes/rate-limit.md",
                (true, false),
                None
            ),
            edge(
                "notes/jailbreak.md",
                "notes/chatbot-incident.md",
                (true, true),
                None
            ),
        ]
    );
    assert_eq!(
        check(&root),
        (
            Some(0),
            vec![diagnostic(
                "asymmetric-relation notes/jailbreak.md:12:3",
                "`notes/jailbreak` lists `notes/rate-limit` under Defenses, but `notes/rate-limit` does not list it back",
                "add `[[notes/jailbreak]]` to the Techniques section of `notes/rate-limit.md`",
            )]
        )
    );
}

/// A team's own folders and section names, added through `[schema]` in its atlas-kb.toml:
/// with the file, its relations are found and the one-sided one is reported in its words;
/// without it, its pages are notes and nothing is a relation.
#[test]
fn a_teams_own_words_through_the_schema() {
    let site = fixture("vocabulary/team-sections");
    let graph = graph_in(&site);
    assert_eq!(kind_of(&graph, "ttps/model-theft.md"), PageKind::Technique);
    assert_eq!(
        kind_of(&graph, "controls/watermarks.md"),
        PageKind::Mitigation
    );
    assert_eq!(
        edges(&graph),
        [
            edge(
                "ttps/model-theft.md",
                "controls/rate-limits.md",
                (true, true),
                Some("makes the queries slow and costly")
            ),
            edge(
                "ttps/model-theft.md",
                "controls/watermarks.md",
                (true, false),
                None
            ),
        ]
    );
    let run = crate::support::atlas_kb_in(&site, &["check", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        without_ends(&run),
        [diagnostic(
            "asymmetric-relation ttps/model-theft.md:11:3",
            "`ttps/model-theft` lists `controls/watermarks` under Countered By, but `controls/watermarks` does not list it back",
            "add `[[ttps/model-theft]]` to the Counters section of `controls/watermarks.md`",
        )]
    );

    let without = graph_of(&site.join("kb"));
    assert_eq!(kind_of(&without, "ttps/model-theft.md"), PageKind::Note);
    assert!(without.relations.is_empty());
}

/// A vault written by an Obsidian exporter of ATLAS: IDs in aliases and file names
/// (`Code Signing - AML.M0013.md`), kinds in `atlas_*` tags, relations in tables under
/// `### Mitigations` and `### Techniques Addressed by Mitigation`, the tactic in an info
/// callout's `> Tactic:` line, a case study's steps as a table whose Description cells link
/// other techniques (no entries: only the Technique column is).
#[test]
fn an_obsidian_exporters_layout() {
    let root = fixture("vocabulary/exporter");
    let graph = graph_of(&root);
    let page = |path: &str| graph.page_by_path(&format!("ATLAS/{path}.md")).expect(path);
    let sub = page("Techniques/Unsafe AI Artifacts - AML.T0011.000");
    assert_eq!(
        (sub.kind, sub.title().into_owned()),
        (
            PageKind::SubTechnique,
            "AML.T0011.000: Unsafe AI Artifacts".to_string()
        )
    );
    assert_eq!(
        page("Defenses/Mitigations/Code Signing - AML.M0013").title(),
        "AML.M0013: Code Signing"
    );
    let parent = graph.by_path_id("ATLAS/Techniques/User Execution - AML.T0011.md");
    let sub_id = graph.by_path_id("ATLAS/Techniques/Unsafe AI Artifacts - AML.T0011.000.md");
    assert_eq!(graph.parent[sub_id.unwrap().0], parent);
    let shorten = |e: Edge| {
        let name = |p: &str| {
            p.rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".md")
                .to_string()
        };
        (name(&e.0), name(&e.1), e.2, e.3)
    };
    let found: Vec<(String, String, bool, bool)> = edges(&graph).into_iter().map(shorten).collect();
    let both = |t: &str, o: &str| (t.to_string(), o.to_string(), true, true);
    assert_eq!(
        found,
        [
            both("User Execution - AML.T0011", "Execution - AML.TA0005"),
            (
                "Unsafe AI Artifacts - AML.T0011.000".to_string(),
                "Code Signing - AML.M0013".to_string(),
                true,
                false
            ),
            both("User Execution - AML.T0011", "Code Signing - AML.M0013"),
            both("User Execution - AML.T0011", "Hub Models - AML.CS0031"),
        ]
    );
    let (code, found) = check(&root);
    assert_eq!(code, Some(0));
    assert_eq!(
        crate::support::positions(&found),
        ["asymmetric-relation ATLAS/Techniques/Unsafe AI Artifacts - AML.T0011.000.md:22:3"]
    );
}
