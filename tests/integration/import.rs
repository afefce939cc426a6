//! `atlas_kb::import::import` over the real ATLAS data release in `../shared` (when present):
//! page counts, determinism, relations parsed back from the written pages, both directions
//! of every relation, and the refusal to overwrite files import did not write.

use atlas_kb::graph::PageKind;
use atlas_kb::Error;
use atlas_kb::{import_pages as import, ImportOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{read_tree, TempDir};

const ATLAS_YAML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpora/atlas-data/ATLAS.yaml"
);

fn run(out: &Path, force: bool) -> Result<atlas_kb::ImportReport, Error> {
    import(
        &ImportOptions {
            input: PathBuf::from(ATLAS_YAML),
            out: out.to_path_buf(),
            force,
        },
        &atlas_kb::vocabulary::Vocabulary::default(),
    )
}

/// What the pages say, parsed back the way a reader of the format would.
#[derive(Default)]
struct Parsed {
    /// page target (path without `.md`) -> (ID, type)
    pages: BTreeMap<String, (String, String)>,
    /// (page ID, section, linked target, label)
    links: Vec<(String, String, String, String)>,
}

fn parse_pages(files: &BTreeMap<String, Vec<u8>>) -> Parsed {
    let mut parsed = Parsed::default();
    for (rel, bytes) in files {
        let text = std::str::from_utf8(bytes).expect("pages are UTF-8");
        let target = rel
            .strip_suffix(".md")
            .expect("pages end in .md")
            .to_string();
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("{rel}: no `{key}`"))
        };
        let title = field("title: ");
        let id = title
            .trim_matches('"')
            .split(':')
            .next()
            .expect("an ID in the title")
            .to_string();
        assert_eq!(field("generator: "), "atlas-kb import", "{rel}");
        assert_eq!(
            field("id: "),
            rel.rsplit('/').next().unwrap().trim_end_matches(".md")
        );
        parsed.pages.insert(target, (id.clone(), field("type: ")));

        let mut section = String::new();
        let mut declared = 0usize;
        let mut bullets = 0usize;
        let check_count = |section: &str, declared: usize, bullets: usize| {
            if declared > 0 {
                assert_eq!(declared, bullets, "{rel}: section {section}");
            }
        };
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                check_count(&section, declared, bullets);
                let (name, n) = match h.rsplit_once(" (") {
                    Some((name, n)) => (name, n.trim_end_matches(')').parse().unwrap_or(0)),
                    None => (h, 0),
                };
                section = name.to_string();
                declared = n;
                bullets = 0;
                continue;
            }
            let link = line
                .strip_prefix("- [[")
                .inspect(|_| bullets += 1)
                .or_else(|| line.strip_prefix("**Technique:** [["));
            if let Some(rest) = link {
                let end = rest.find("]]").expect("a closed wiki link");
                let (to, label) = rest[..end].split_once('|').expect("a labelled link");
                parsed.links.push((
                    id.clone(),
                    section.clone(),
                    to.to_string(),
                    label.to_string(),
                ));
            }
        }
        check_count(&section, declared, bullets);
    }
    parsed
}

#[test]
fn imports_the_real_atlas_release() {
    if !Path::new(ATLAS_YAML).exists() {
        println!("skipped: ../shared not found");
        return;
    }
    let tmp = TempDir::new("real");
    let out = tmp.0.join("out");
    let report = run(&out, false).expect("the real data imports");
    assert!(
        report.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        report.diagnostics
    );
    assert_eq!(
        report.counts,
        vec![
            (PageKind::Tactic, 16),
            (PageKind::Technique, 101),
            (PageKind::SubTechnique, 69),
            (PageKind::Mitigation, 35),
            (PageKind::CaseStudy, 57),
        ]
    );
    assert_eq!(report.written.len(), 278);
    let first = read_tree(&out);
    assert_eq!(first.len(), 278, "only the pages are written");

    // Same data, same bytes; and no --force is needed over pages import wrote.
    let again = run(&out, false).expect("re-import without --force");
    assert_eq!(again.written, report.written);
    assert_eq!(read_tree(&out), first, "re-import changed bytes");
    let tmp2 = TempDir::new("real-fresh");
    run(&tmp2.0, false).expect("import into a second folder");
    assert_eq!(read_tree(&tmp2.0), first, "two imports differ");

    let parsed = parse_pages(&first);
    let id_of = |target: &str| -> (String, String) {
        parsed
            .pages
            .get(target)
            .cloned()
            .unwrap_or_else(|| panic!("link to no page: {target}"))
    };
    // Every link lands on a page, and a label that starts with an ID names that page's ID.
    for (from, _, to, label) in &parsed.links {
        let (to_id, _) = id_of(to);
        if label.starts_with("AML.") {
            let label_id = label.split(':').next().unwrap_or_default();
            assert_eq!(label_id, to_id, "{from}: label `{label}` links {to}");
        }
    }
    let type_of: BTreeMap<&str, &str> = parsed
        .pages
        .values()
        .map(|(id, t)| (id.as_str(), t.as_str()))
        .collect();
    // Distinct (technique, other) pairs from `section` of pages of `from_types` that link
    // pages of `to_types`; `flip` when the technique is the linked side.
    let pairs = |from_types: &[&str], section: &str, to_types: &[&str], flip: bool| {
        let mut set = BTreeSet::new();
        for (from, sec, to, _) in &parsed.links {
            let from_type = type_of.get(from.as_str()).copied().unwrap_or_default();
            let (to_id, to_type) = id_of(to);
            if sec == section
                && from_types.contains(&from_type)
                && to_types.contains(&to_type.as_str())
            {
                set.insert(if flip {
                    (to_id, from.clone())
                } else {
                    (from.clone(), to_id)
                });
            }
        }
        set
    };
    const TECH: &[&str] = &["technique", "sub-technique"];

    // technique–tactic: 111 pairs that the data gives directly (top-level techniques);
    // sub-techniques add their parent's tactics, listed on both sides too.
    let direct = pairs(&["technique"], "Tactics", &["tactic"], false);
    assert_eq!(direct.len(), 111);
    let technique_side = pairs(TECH, "Tactics", &["tactic"], false);
    let tactic_side = pairs(&["tactic"], "Techniques", TECH, true);
    assert_eq!(technique_side, tactic_side, "technique–tactic one-sided");
    assert_eq!(technique_side.len(), 185);

    // technique–mitigation.
    let technique_side = pairs(TECH, "Mitigations", &["mitigation"], false);
    let mitigation_side = pairs(&["mitigation"], "Techniques", TECH, true);
    assert_eq!(technique_side.len(), 244);
    assert_eq!(
        technique_side, mitigation_side,
        "technique–mitigation one-sided"
    );

    // technique–case study (the procedure repeats some techniques; pairs are distinct).
    let technique_side = pairs(TECH, "Case Studies", &["case-study"], false);
    let study_side = pairs(&["case-study"], "Procedure", TECH, true);
    assert_eq!(technique_side.len(), 440);
    assert_eq!(technique_side, study_side, "technique–case study one-sided");

    // The seed page's relations, which the 5.6 data still has.
    let seed = String::from_utf8(
        first["frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.md"]
            .clone(),
    )
    .expect("UTF-8");
    assert!(seed.contains("title: \"AML.T0011.000: Unsafe AI Artifacts\"\n"));
    assert!(seed.contains("type: sub-technique\n"));
    assert!(seed.contains("**Parent Technique:** AML.T0011 — User Execution"));
    assert!(seed.contains(
        "## Tactics (1)\n\n- [[frameworks/atlas/tactics/execution|AML.TA0005: Execution]]\n"
    ));
    let mitigations: Vec<&str> = seed
        .lines()
        .filter(|l| l.starts_with("- [[frameworks/atlas/mitigations/"))
        .filter_map(|l| l.split('|').nth(1)?.split(':').next())
        .collect();
    assert_eq!(
        mitigations,
        [
            "AML.M0011",
            "AML.M0013",
            "AML.M0014",
            "AML.M0016",
            "AML.M0018",
            "AML.M0023"
        ]
    );
    assert!(seed.contains("- [[frameworks/atlas/mitigations/code-signing|AML.M0013: Code Signing]] — Prevent execution of ML artifacts that are not properly signed.\n"));
    assert!(seed.contains("## Case Studies (2)\n\n- [[frameworks/atlas/case-studies/organization-confusion-on-hugging-face|AML.CS0027: Organization Confusion on Hugging Face]]\n- [[frameworks/atlas/case-studies/malicious-models-on-hugging-face|AML.CS0031: Malicious Models on Hugging Face]]\n"));
    // Route links in descriptions are kept as they are.
    assert!(seed.contains("[AI Supply Chain Compromise](/techniques/AML.T0010)"));
    // No description opens a wiki link.
    for (rel, bytes) in &first {
        let text = String::from_utf8_lossy(bytes);
        let wiki = text.matches("[[").count();
        let links = text
            .lines()
            .filter(|l| {
                l.starts_with("- [[")
                    || l.starts_with("**Technique:** [[")
                    || l.starts_with("**Tactic:** [[")
            })
            .count();
        assert_eq!(wiki, links, "{rel}: a `[[` outside the relation lists");
    }

    // A file import did not write, at a path it would write: refused, unless forced.
    let foreign = out.join("frameworks/atlas/mitigations/code-signing.md");
    fs::write(&foreign, "# My own notes\n").expect("write a foreign file");
    match run(&out, false) {
        Err(Error::Import(msg)) => {
            assert!(
                msg.contains("frameworks/atlas/mitigations/code-signing.md"),
                "{msg}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        fs::read_to_string(&foreign).expect("still there"),
        "# My own notes\n"
    );
    run(&out, true).expect("--force replaces it");
    assert_eq!(read_tree(&out), first);
}

/// Problems in a real-sized file are diagnostics at the right YAML line, not failures.
#[test]
fn real_file_problems_point_at_their_lines() {
    let Ok(text) = fs::read_to_string(ATLAS_YAML) else {
        println!("skipped: ../shared not found");
        return;
    };
    // The first sub-technique loses its description; the first mitigation gets a type
    // import does not know.
    let sub = text
        .find("  subtechnique-of: ")
        .expect("the data has sub-techniques");
    let id_line_start = text[..sub]
        .rfind("\n  - id: ")
        .expect("the sub-technique's id line")
        + 1;
    let description = id_line_start
        + text[id_line_start..]
            .find("    description: ")
            .expect("a description");
    let description_end = description
        + text[description..]
            .find("\n    object-type:")
            .expect("the next key")
        + 1;
    let mut mutated = String::new();
    mutated.push_str(&text[..description]);
    mutated.push_str(&text[description_end..]);
    let mitigations = mutated.find("\n  mitigations:\n").expect("mitigations");
    let kind = mitigations
        + mutated[mitigations..]
            .find("object-type: mitigation")
            .expect("a mitigation");
    mutated.replace_range(
        kind..kind + "object-type: mitigation".len(),
        "object-type: gadget",
    );
    let line_at = |offset: usize| mutated[..offset].matches('\n').count() as u32 + 1;
    let sub_line = line_at(id_line_start);
    let gadget_line = line_at(kind);

    let tmp = TempDir::new("mutated");
    let input = tmp.0.join("ATLAS.yaml");
    fs::write(&input, &mutated).expect("write the mutated copy");
    let report = import(
        &ImportOptions {
            input: input.clone(),
            out: tmp.0.join("out"),
            force: false,
        },
        &atlas_kb::vocabulary::Vocabulary::default(),
    )
    .expect("a damaged object is no fatal error");
    let found: Vec<(u32, String)> = report
        .diagnostics
        .iter()
        .map(|d| (d.span.line, d.message().into_owned()))
        .collect();
    assert!(
        found
            .iter()
            .any(|(l, m)| *l == sub_line && m.contains("`description`")),
        "{found:#?} (expected line {sub_line})"
    );
    assert!(
        found
            .iter()
            .any(|(l, m)| *l == gadget_line && m.contains("`gadget`")),
        "{found:#?} (expected line {gadget_line})"
    );
    assert!(report
        .diagnostics
        .iter()
        .all(|d| *d.path == *input.display().to_string()));
    // The unknown object is skipped; everything else is still written.
    let mitigations = report
        .counts
        .iter()
        .find(|(k, _)| *k == PageKind::Mitigation)
        .map(|(_, n)| *n);
    assert_eq!(mitigations, Some(34));
}

/// Import, then load, check and build: the round trip a new user makes.
#[test]
fn imported_release_checks_clean_and_builds_its_matrix_in_order() {
    use atlas_kb::graph::RelationKind;
    let Some(yaml) = crate::support::shared(
        "corpora/atlas-data/ATLAS.yaml",
        "imported_release_checks_clean_and_builds_its_matrix_in_order",
    ) else {
        return;
    };
    let tmp = TempDir::new("round-trip");
    let pages = tmp.0.join("kb");
    import(
        &ImportOptions {
            input: yaml.clone(),
            out: pages.clone(),
            force: false,
        },
        &atlas_kb::vocabulary::Vocabulary::default(),
    )
    .expect("import");

    let graph = crate::support::load_graph(&pages).expect("load");
    let diagnostics = atlas_kb::diagnose(&graph, &atlas_kb::Rules::default());
    assert_eq!(diagnostics, vec![], "check is not silent on imported data");

    let count = |kind| graph.pages.iter().filter(|p| p.kind == kind).count();
    assert_eq!(count(PageKind::Tactic), 16);
    assert_eq!(
        count(PageKind::Technique) + count(PageKind::SubTechnique),
        170
    );
    assert_eq!(count(PageKind::SubTechnique), 69);
    assert_eq!(count(PageKind::Mitigation), 35);
    assert_eq!(count(PageKind::CaseStudy), 57);
    assert!(
        graph.pages.iter().all(|p| !p.generated),
        "no parent had to be generated"
    );

    let relations = |kind: RelationKind, sub: Option<bool>| {
        graph
            .relations
            .iter()
            .filter(|r| r.kind == kind)
            .filter(|r| {
                sub.is_none_or(|s| (graph.page(r.technique).kind == PageKind::SubTechnique) == s)
            })
            .inspect(|r| {
                assert!(
                    r.from_technique.is_some() && r.from_other.is_some(),
                    "one-sided relation {} - {}",
                    graph.page(r.technique).title(),
                    graph.page(r.other).title()
                )
            })
            .count()
    };
    assert_eq!(relations(RelationKind::TechniqueTactic, Some(false)), 111);
    // Each sub-technique sits under its parent's tactics, as the seed page shows.
    let inherited: usize = graph
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == PageKind::SubTechnique)
        .map(|(i, _)| {
            let parent = graph.parent[i].expect("a parent page");
            graph
                .relations
                .iter()
                .filter(|r| r.kind == RelationKind::TechniqueTactic && r.technique == parent)
                .count()
        })
        .sum();
    assert_eq!(
        relations(RelationKind::TechniqueTactic, Some(true)),
        inherited
    );
    assert_eq!(relations(RelationKind::TechniqueMitigation, None), 244);
    assert_eq!(relations(RelationKind::TechniqueCaseStudy, None), 440);

    // The built matrix has the 16 tactics in the order of the YAML's matrix.
    let data: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&yaml).unwrap()).unwrap();
    let order: Vec<String> = data["matrices"][0]["tactics"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), 16);
    let out = tmp.0.join("site");
    let run = crate::support::atlas_kb(&[
        "build",
        "--root",
        pages.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let site = crate::site::Site::read(&out);
    let columns: Vec<String> = site
        .links("matrix.html", ".matrix-column h2 a")
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(columns, order);
    // Each tactic's header counts what its page lists: the techniques and sub-techniques
    // that serve it (a sub-technique serves its parent's tactics). AML.TA0005 has 13.
    let techniques = data["matrices"][0]["techniques"].as_sequence().unwrap();
    let tactics_of = |t: &serde_yaml::Value| -> Vec<String> {
        let holder = match t["subtechnique-of"].as_str() {
            Some(parent) => techniques
                .iter()
                .find(|p| p["id"].as_str() == Some(parent))
                .unwrap(),
            None => t,
        };
        holder["tactics"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    let expected: Vec<String> = data["matrices"][0]["tactics"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|tactic| {
            let id = tactic["id"].as_str().unwrap();
            let n = techniques
                .iter()
                .filter(|t| tactics_of(t).iter().any(|x| x == id))
                .count();
            format!("{id} · {n}")
        })
        .collect();
    let headers: Vec<String> = {
        let small = scraper::Selector::parse(".matrix-column h2 small").unwrap();
        site.page("matrix.html")
            .select(&small)
            .map(|e| e.text().collect())
            .collect()
    };
    assert_eq!(headers, expected);
    assert!(
        headers.contains(&"AML.TA0005 · 13".to_string()),
        "{headers:?}"
    );
    assert_eq!(site.dead_links(), Vec::<(String, String, &str)>::new());
    // The list of sub-techniques names each with its parent.
    let subs: Vec<String> = site
        .links("list/sub-techniques.html", "table.list a")
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(subs.len(), 69);
    assert_eq!(
        &subs[3..6],
        [
            "Acquire Public AI Artifacts: Datasets",
            "Acquire Public AI Artifacts: Models",
            "Acquire Public AI Artifacts: AI Agent Configuration",
        ]
    );
    navigator_layers_follow_the_release(&data, &site);
    graph_views_follow_the_release(&data, &site);

    // Every word is searchable, yet the search data stays well under the HTML (14% when
    // measured; BENCHMARKS.md): a reader offline does not download a second site.
    let bytes = |keep: &dyn Fn(&str) -> bool| -> usize {
        site.files
            .iter()
            .filter(|(path, _)| keep(path))
            .map(|(_, b)| b.len())
            .sum()
    };
    let html = bytes(&|p| p.ends_with(".html"));
    let search = bytes(&|p| p.starts_with("_atlas/search/"));
    assert!(
        search > 0 && search * 4 < html,
        "search data {search} bytes, HTML {html} bytes"
    );
}

/// What the graph adds to the pages of an imported release, held to the YAML: a
/// sub-technique's siblings, a case study's steps as procedure examples and with their
/// tactics, a tactic's techniques.
fn graph_views_follow_the_release(data: &serde_yaml::Value, site: &crate::site::Site) {
    let matrix = &data["matrices"][0];
    let techniques = matrix["techniques"].as_sequence().unwrap();
    let name_of = |list: &str, id: &str| -> String {
        matrix[list]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|o| o["id"].as_str() == Some(id))
            .and_then(|o| o["name"].as_str())
            .unwrap_or_else(|| panic!("no {id} in {list}"))
            .to_string()
    };

    // AML.T0011.000 lists its parent's sub-techniques, itself marked, each with maturity.
    let sub = "frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.html";
    let mut siblings: Vec<&serde_yaml::Value> = techniques
        .iter()
        .filter(|t| t["subtechnique-of"].as_str() == Some("AML.T0011"))
        .collect();
    siblings.sort_by_key(|t| t["id"].as_str().unwrap().to_string());
    let expected: Vec<String> = siblings
        .iter()
        .map(|t| {
            let id = t["id"].as_str().unwrap();
            let mark = if id == "AML.T0011.000" {
                " (this page)"
            } else {
                ""
            };
            format!(
                "{id} {}{mark} {}",
                t["name"].as_str().unwrap(),
                t["maturity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(site.texts(sub, ".family tbody tr"), expected);
    assert_eq!(expected.len(), 4);

    // AML.CS0031's step that used AML.T0011.000 is a procedure example on its page.
    let study = data["case-studies"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_str() == Some("AML.CS0031"))
        .expect("AML.CS0031");
    let steps = study["procedure"].as_sequence().unwrap();
    let (n, step) = steps
        .iter()
        .enumerate()
        .find(|(_, s)| s["technique"].as_str() == Some("AML.T0011.000"))
        .expect("a step using AML.T0011.000");
    let examples = site.texts(sub, ".examples-table tbody tr");
    let example = examples
        .iter()
        .find(|row| row.starts_with("AML.CS0031 "))
        .unwrap_or_else(|| panic!("no AML.CS0031 in {examples:?}"));
    let description = step["description"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        example,
        &format!(
            "AML.CS0031 {} Step {}: {} · {} {description}",
            study["name"].as_str().unwrap(),
            n + 1,
            name_of("techniques", "AML.T0011.000"),
            name_of("tactics", step["tactic"].as_str().unwrap()),
        )
    );

    // Every step of AML.CS0031 shows its tactic from the YAML.
    let case = "frameworks/atlas/case-studies/malicious-models-on-hugging-face.html";
    let shown = site.texts(case, ".steps tbody td:nth-child(2)");
    let expected: Vec<String> = steps
        .iter()
        .map(|s| name_of("tactics", s["tactic"].as_str().unwrap()))
        .collect();
    assert_eq!(shown, expected);

    // A tactic page's table holds as many techniques and sub-techniques as its matrix
    // header and its facts count.
    let tactic = "frameworks/atlas/tactics/execution.html";
    let rows = site.texts(tactic, ".techniques-table tbody tr");
    assert_eq!(rows.len(), 13, "{rows:?}");
    assert_eq!(
        site.texts(tactic, ".facts .fact")
            .iter()
            .find(|f| f.starts_with("Techniques "))
            .map(String::as_str),
        Some("Techniques 13")
    );
    // Lists show each page's first sentence.
    let listed = site.texts("list/techniques.html", "table.list tbody tr");
    assert!(
        listed.contains(&"AML.T0011 User Execution realized An adversary may rely upon specific actions by a user in order to gain execution.".to_string()),
        "{listed:?}"
    );
    // In matrix order, sub-techniques under their parent, each with its first sentence.
    assert!(
        rows[0].starts_with("AML.T0011 User Execution realized "),
        "{}",
        rows[0]
    );
    assert!(rows[1].starts_with("AML.T0011.000 ↳ Unsafe AI Artifacts realized Adversaries may develop unsafe AI artifacts that when executed have a deleterious effect."), "{}", rows[1]);
}

/// The Navigator layers of an imported release, held to the YAML: one per case study and
/// mitigation, each naming exactly its techniques, and the knowledge base's scoring each
/// technique by the case studies that used it.
fn navigator_layers_follow_the_release(data: &serde_yaml::Value, site: &crate::site::Site) {
    use std::collections::{BTreeMap, BTreeSet};
    let str_of = |v: &serde_yaml::Value| v.as_str().unwrap().to_string();
    let techniques: BTreeSet<String> = data["matrices"][0]["techniques"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| str_of(&t["id"]))
        .collect();
    // A layer as technique ID -> score.
    let layer = |path: &str| -> BTreeMap<String, u64> {
        let json: serde_json::Value = serde_json::from_slice(&site.files[path])
            .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        assert_eq!(json["domain"], "atlas-atlas", "{path}");
        assert_eq!(json["versions"]["layer"], "4.5", "{path}");
        assert!(
            json["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{path}"
        );
        let entries = json["techniques"].as_array().unwrap();
        let by_id: BTreeMap<String, u64> = entries
            .iter()
            .map(|t| {
                // No tactic: the Navigator marks the technique under each of its tactics.
                assert!(t.get("tactic").is_none(), "{path}: {t}");
                let id = t["techniqueID"].as_str().unwrap().to_string();
                assert!(techniques.contains(&id), "{path}: {id} is in the release");
                (id, t["score"].as_u64().unwrap())
            })
            .collect();
        assert_eq!(
            by_id.len(),
            entries.len(),
            "{path}: one entry per technique"
        );
        by_id
    };

    let layers: Vec<&String> = site
        .files
        .keys()
        .filter(|f| f.starts_with("navigator/") && f.ends_with(".json"))
        .collect();
    assert_eq!(
        layers.len(),
        57 + 35,
        "a layer per case study and mitigation"
    );
    for path in &layers {
        assert!(!layer(path).is_empty(), "{path}");
    }

    // A case study's layer: the techniques of its procedure. Its page links it.
    let study = data["case-studies"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("AML.CS0031"))
        .unwrap();
    let used: BTreeMap<String, u64> = study["procedure"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|step| (str_of(&step["technique"]), 1))
        .collect();
    let path = "navigator/frameworks/atlas/case-studies/malicious-models-on-hugging-face.json";
    assert_eq!(layer(path), used);
    assert_eq!(
        site.links(
            "frameworks/atlas/case-studies/malicious-models-on-hugging-face.html",
            "a.layer-link"
        ),
        [(
            format!("../../../{path}"),
            "Navigator layer (JSON)".to_string()
        )]
    );

    // The knowledge base's layer: each technique scored by the studies that used it.
    let mut studies_using: BTreeMap<String, u64> = BTreeMap::new();
    for study in data["case-studies"].as_sequence().unwrap() {
        let used: BTreeSet<String> = study["procedure"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|step| str_of(&step["technique"]))
            .collect();
        for id in used {
            *studies_using.entry(id).or_default() += 1;
        }
    }
    assert_eq!(layer("navigator.json"), studies_using);
    assert_eq!(
        site.links("matrix.html", "a.layer-link"),
        [(
            "navigator.json".to_string(),
            "Navigator layer (JSON)".to_string()
        )]
    );
}

/// A release cut short where it still parses imports what it has, with exit 0, and says what
/// is missing at the line the file ends: it is never taken silently for a whole release.
#[test]
fn a_release_cut_short_is_imported_with_a_warning() {
    let Ok(text) = fs::read_to_string(ATLAS_YAML) else {
        println!("skipped: ../shared not found");
        return;
    };
    let dir = TempDir::new("import-cut");
    let end = text
        .find("\ncase-studies:\n")
        .expect("top-level case studies")
        + 1;
    let last_line = text[..end].lines().count();
    let cut = dir.write("ATLAS.yaml", &text[..end]);
    let out = dir.path().join("kb");
    let run = crate::support::atlas_kb(&[
        "import",
        cut.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let head: Vec<&str> = run.stderr.lines().take(6).collect();
    let at = format!("--> {}:{last_line}:1", cut.display());
    assert_eq!(
        head[0],
        "warning[invalid-atlas-data]: the file has no case studies; ATLAS data keeps them in \
         a top-level `case-studies:` list"
    );
    assert!(head[1].ends_with(&at), "{}", run.stderr);
    assert_eq!(
        head[5].trim_start(),
        format!(
            "= help: pages are written for what the file has; if it was cut short (it ends \
             at line {last_line}), download it again"
        )
    );
    assert!(
        run.stderr.contains("      0  case studies"),
        "{}",
        run.stderr
    );
    assert!(out.join("frameworks/atlas/mitigations").is_dir());
}
