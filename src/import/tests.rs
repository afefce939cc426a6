//! Import over small hand-written files in the layouts of the 4.x and 5.x releases.

use super::*;
use crate::diagnostic::Code;
use crate::source::Span;
use std::path::Path;

/// A 5.x-style file: dates, ATT&CK references, mitigations with `{id, use}` entries, a
/// sub-technique without tactics, a case study that uses one technique twice.
const V5: &str = r#"---
id: ATLAS
name: Test Landscape
version: 5.1.0
matrices:
- id: ATLAS
  name: Test Matrix
  tactics:
  - id: AML.TA0007
    name: Discovery Phase
    description: The adversary looks around.
    object-type: tactic
    ATT&CK-reference:
      id: TA0007
      url: https://attack.example/tactics/TA0007/
    created_date: 2022-01-24
    modified_date: 2025-04-09
  - id: AML.TA0005
    name: Execution
    description: The adversary runs code.
    object-type: tactic
    created_date: 2022-01-24
    modified_date: 2025-04-09
  techniques:
  - id: AML.T0011
    name: User Execution
    description: 'A user runs something.

      See [Discover Artifacts](/techniques/AML.T0007).'
    object-type: technique
    tactics:
    - AML.TA0005
    created_date: 2021-05-13
    modified_date: 2025-04-09
    maturity: realized
  - id: AML.T0011.000
    name: Unsafe "AI" Artifacts
    description: Unsafe artifacts run on load.
    object-type: technique
    subtechnique-of: AML.T0011
    created_date: 2021-05-13
    modified_date: 2025-04-09
    maturity: realized
  - id: AML.T0007
    name: Discover Artifacts
    description: Looking for artifacts.
    object-type: technique
    tactics:
    - AML.TA0007
    - AML.TA0005
    created_date: 2021-05-13
    modified_date: 2021-05-13
    maturity: demonstrated
  mitigations:
  - id: AML.M0013
    name: Code Signing
    description: Sign things.
    object-type: mitigation
    techniques:
    - id: AML.T0011.000
      use: 'Prevent execution of artifacts

        that are not signed.'
    - id: AML.T0011.000
      use: Check signatures.
    - id: AML.T0007
      use: Signed artifacts are easier to trust.
    ml-lifecycle:
    - Deployment
    category:
    - Technical - Cyber
    created_date: 2023-04-12
    modified_date: 2025-04-09
case-studies:
- id: AML.CS0031
  name: Malicious Models on a Hub
  object-type: case-study
  summary: Someone uploaded models. <sup>[[1]](https://ref.example/1)</sup>
  incident-date: 2024-02-01
  incident-date-granularity: MONTH
  procedure:
  - tactic: AML.TA0005
    technique: AML.T0011.000
    description: The model ran.
  - tactic: AML.TA0007
    technique: AML.T0007
    description: They looked.
  - tactic: AML.TA0005
    technique: AML.T0011.000
    description: It ran again.
  target: A model hub
  actor: Unknown
  case-study-type: incident
  references:
  - title: A write-up
    url: https://ref.example/1
  - title:
    url: https://ref.example/2
"#;

/// A 4.x-style file (before 4.6): no dates, numeric version, mitigations listing bare IDs,
/// case studies with `reported-by`.
const V4: &str = r#"id: ATLAS
name: Older Landscape
version: 4.4
matrices:
- id: ATLAS
  name: Matrix
  tactics:
  - id: AML.TA0002
    name: Reconnaissance
    description: Looking.
    object-type: tactic
  techniques:
  - id: AML.T0000
    name: Search for Research
    description: Reading papers.
    object-type: technique
    tactics:
    - AML.TA0002
  - id: AML.T0000.000
    name: Journals
    description: Reading journals.
    object-type: technique
    subtechnique-of: AML.T0000
  mitigations:
  - id: AML.M0000
    name: Limit Release
    description: Publish less.
    object-type: mitigation
    techniques:
    - AML.T0000
    - AML.T0000.000
case-studies:
- id: AML.CS0000
  name: A Study
  object-type: case-study
  summary: It happened.
  incident-date: 2020-01-01
  incident-date-granularity: YEAR
  reported-by: A Team
  procedure:
  - tactic: AML.TA0002
    technique: AML.T0000.000
    description: They read.
"#;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "atlas-kb-import-unit-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        if let Err(e) = fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        Scratch(dir)
    }

    fn run(&self, yaml: &str, force: bool) -> Result<ImportReport> {
        self.run_with(yaml, force, &crate::vocabulary::Vocabulary::default())
    }

    fn run_with(
        &self,
        yaml: &str,
        force: bool,
        vocabulary: &crate::vocabulary::Vocabulary,
    ) -> Result<ImportReport> {
        let input = self.0.join("ATLAS.yaml");
        fs::write(&input, yaml).map_err(|e| Error::io("write", &input, e))?;
        import(
            &ImportOptions {
                input,
                out: self.0.join("out"),
                force,
            },
            vocabulary,
        )
    }

    fn page(&self, rel: &str) -> String {
        let path = self.0.join("out").join(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ok(r: Result<ImportReport>) -> ImportReport {
    r.unwrap_or_else(|e| panic!("import failed: {e}"))
}

fn counts(report: &ImportReport) -> Vec<usize> {
    report.counts.iter().map(|(_, n)| *n).collect()
}

#[test]
fn imports_a_5x_file() {
    let s = Scratch::new("v5");
    let report = ok(s.run(V5, false));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(
        report.counts.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        // Every kind but notes, in display order.
        [
            PageKind::Tactic,
            PageKind::Technique,
            PageKind::SubTechnique,
            PageKind::Mitigation,
            PageKind::CaseStudy,
        ]
    );
    assert_eq!(counts(&report), [2, 2, 1, 1, 1]);
    assert_eq!(report.written.len(), 7);
    assert!(report.written.windows(2).all(|w| w[0] < w[1]));

    let sub = s.page("frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.md");
    let expected = "\
---
id: user-execution-unsafe-ai-artifacts
title: \"AML.T0011.000: Unsafe \\\"AI\\\" Artifacts\"
sidebar_label: \"Unsafe \\\"AI\\\" Artifacts\"
sidebar_position: 11001
type: sub-technique
generator: atlas-kb import
---

# AML.T0011.000: Unsafe \"AI\" Artifacts

Unsafe artifacts run on load.

## Metadata

- **Technique ID:** AML.T0011.000
- **Created:** 2021-05-13
- **Last Modified:** 2025-04-09
- **Maturity:** realized

## Parent Technique

**Parent Technique:** AML.T0011 — User Execution

## Tactics (1)

- [[frameworks/atlas/tactics/execution|AML.TA0005: Execution]]

## Mitigations (1)

- [[frameworks/atlas/mitigations/code-signing|AML.M0013: Code Signing]] — Prevent execution of artifacts that are not signed.; Check signatures.

## Case Studies (1)

- [[frameworks/atlas/case-studies/malicious-models-on-a-hub|AML.CS0031: Malicious Models on a Hub]]
";
    assert_eq!(sub, expected.replace(".; Check", ". Check"));

    let parent = s.page("frameworks/atlas/techniques/execution/user-execution.md");
    assert!(parent.contains("See [Discover Artifacts](/techniques/AML.T0007)."));
    assert!(parent.contains("## Sub-techniques (1)\n\n- [[frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts|AML.T0011.000: Unsafe \"AI\" Artifacts]]\n"));
    assert!(!parent.contains("## Mitigations"));

    // Discover Artifacts lives under its first tactic and is listed by both.
    let discover = s.page("frameworks/atlas/techniques/discovery-phase/discover-artifacts.md");
    assert!(discover.contains("## Tactics (2)\n\n- [[frameworks/atlas/tactics/discovery-phase|AML.TA0007: Discovery Phase]]\n- [[frameworks/atlas/tactics/execution|AML.TA0005: Execution]]\n"));
    let execution = s.page("frameworks/atlas/tactics/execution.md");
    assert!(execution.contains("sidebar_position: 2\n"));
    assert!(execution.contains("## Techniques (3)\n\n- [[frameworks/atlas/techniques/discovery-phase/discover-artifacts|AML.T0007: Discover Artifacts]]\n- [[frameworks/atlas/techniques/execution/user-execution|AML.T0011: User Execution]]\n- [[frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts|AML.T0011.000: Unsafe \"AI\" Artifacts]]\n"));
    let discovery = s.page("frameworks/atlas/tactics/discovery-phase.md");
    assert!(discovery.contains(
        "- **MITRE ATT&CK Reference:** [TA0007](https://attack.example/tactics/TA0007/)\n"
    ));

    let mitigation = s.page("frameworks/atlas/mitigations/code-signing.md");
    assert!(
        mitigation.contains("- **Category:** Technical - Cyber\n- **ML Lifecycle:** Deployment\n")
    );
    assert!(mitigation.contains("## Techniques (2)\n\n- [[frameworks/atlas/techniques/discovery-phase/discover-artifacts|AML.T0007: Discover Artifacts]] — Signed artifacts are easier to trust.\n- [[frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts|AML.T0011.000: Unsafe \"AI\" Artifacts]] — Prevent execution of artifacts that are not signed. Check signatures.\n"));

    let study = s.page("frameworks/atlas/case-studies/malicious-models-on-a-hub.md");
    assert!(
        study.contains("Someone uploaded models. <sup>[\\[1\\]](https://ref.example/1)</sup>\n")
    );
    assert!(!study.contains("[[1]]"));
    assert!(study.contains("- **ID:** AML.CS0031\n- **Incident Date:** 2024-02\n- **Type:** incident\n- **Target:** A model hub\n- **Actor:** Unknown\n"));
    // Each step's tactic is written beside its technique.
    assert!(study.contains("## Procedure\n\n### Step 1: Unsafe \"AI\" Artifacts\n\n**Tactic:** [[frameworks/atlas/tactics/execution|AML.TA0005: Execution]]\n\n**Technique:** [[frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts|AML.T0011.000: Unsafe \"AI\" Artifacts]]\n\nThe model ran.\n\n### Step 2: Discover Artifacts\n\n**Tactic:** [[frameworks/atlas/tactics/discovery-phase|AML.TA0007: Discovery Phase]]\n\n**Technique:** [[frameworks/atlas/techniques/discovery-phase/discover-artifacts|AML.T0007: Discover Artifacts]]\n\nThey looked.\n"));
    assert!(study.contains("### Step 3: Unsafe \"AI\" Artifacts"));
    assert!(study.ends_with("## References\n\n- [A write-up](https://ref.example/1)\n- [https://ref.example/2](https://ref.example/2)\n"));
}

/// A site's own words are what import writes: its folders, its section names, its step
/// section; and the pages it writes read back in those words with every relation on both
/// sides.
#[test]
fn imports_in_a_sites_own_words() {
    use crate::vocabulary::{RelationKind, SchemaSettings, Vocabulary};
    let mut schema = SchemaSettings::default();
    schema.kinds[PageKind::Mitigation as usize].folders = vec!["controls".into()];
    let mitigations = &mut schema.relations[RelationKind::TechniqueMitigation as usize];
    mitigations.technique_sections = vec!["Countered By".into()];
    mitigations.other_sections = vec!["Counters".into()];
    let studies = &mut schema.relations[RelationKind::TechniqueCaseStudy as usize];
    studies.step_sections = vec!["Attack Steps".into()];
    let vocabulary = Vocabulary::new(&schema).unwrap();

    let s = Scratch::new("own-words");
    let report = ok(s.run_with(V5, false, &vocabulary));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let control = s.page("frameworks/atlas/controls/code-signing.md");
    assert!(control.contains("\n## Counters (2)\n"), "{control}");
    let sub = s.page("frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.md");
    assert!(
        sub.contains("\n## Countered By (1)\n\n- [[frameworks/atlas/controls/code-signing|"),
        "{sub}"
    );
    let study = s.page("frameworks/atlas/case-studies/malicious-models-on-a-hub.md");
    assert!(
        study.contains("\n## Attack Steps\n\n### Step 1: "),
        "{study}"
    );

    let mut config = crate::Config::default();
    config.content.root = s.0.join("out");
    config.vocabulary = vocabulary;
    let graph = crate::load_graph(&config).unwrap();
    assert!(!graph.relations.is_empty());
    let diagnostics = crate::check::check(&graph, &crate::Rules::default());
    // Every relation listed on both sides, every route link to a page.
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn imports_a_4x_file() {
    let s = Scratch::new("v4");
    let report = ok(s.run(V4, false));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(counts(&report), [1, 1, 1, 1, 1]);
    let sub = s.page(
        "frameworks/atlas/techniques/reconnaissance/search-for-research/search-for-research-journals.md",
    );
    assert!(sub.contains("## Tactics (1)\n\n- [[frameworks/atlas/tactics/reconnaissance|AML.TA0002: Reconnaissance]]\n"));
    assert!(sub.contains("## Mitigations (1)\n\n- [[frameworks/atlas/mitigations/limit-release|AML.M0000: Limit Release]]\n"));
    assert!(!sub.contains("Created"));
    let study = s.page("frameworks/atlas/case-studies/a-study.md");
    assert!(study.contains("- **Incident Date:** 2020\n- **Reporter:** A Team\n"));
}

#[test]
fn importing_twice_gives_the_same_bytes_and_needs_no_force() {
    let s = Scratch::new("twice");
    let first = ok(s.run(V5, false));
    let rel = "frameworks/atlas/tactics/execution.md";
    let before = s.page(rel);
    let second = ok(s.run(V5, false));
    assert_eq!(first.written, second.written);
    assert_eq!(before, s.page(rel));
}

#[test]
fn foreign_files_are_refused_unless_forced() {
    let s = Scratch::new("foreign");
    let target = s.0.join("out/frameworks/atlas/tactics/execution.md");
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    }
    fs::write(&target, "---\nid: execution\n---\n# Mine\n").unwrap_or_else(|e| panic!("{e}"));
    match s.run(V5, false) {
        Err(Error::Import(msg)) => {
            assert!(
                msg.contains("frameworks/atlas/tactics/execution.md"),
                "{msg}"
            );
            assert!(msg.contains("--force"), "{msg}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Nothing was written.
    assert!(!s.0.join("out/frameworks/atlas/mitigations").exists());
    assert_eq!(
        s.page("frameworks/atlas/tactics/execution.md"),
        "---\nid: execution\n---\n# Mine\n"
    );
    ok(s.run(V5, true));
    assert!(s
        .page("frameworks/atlas/tactics/execution.md")
        .contains("generator: atlas-kb import"));
}

#[test]
fn a_folder_at_a_page_path_is_refused_even_when_forced() {
    let s = Scratch::new("folder");
    fs::create_dir_all(s.0.join("out/frameworks/atlas/tactics/execution.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(s.run(V5, true), Err(Error::Import(_))));
}

fn diagnostics_of(yaml: &str, name: &str) -> Vec<Diagnostic> {
    let s = Scratch::new(name);
    ok(s.run(yaml, false)).diagnostics
}

/// 1-based number of the first line of `yaml` equal to `line`.
fn line_of(yaml: &str, line: &str) -> u32 {
    match yaml.lines().position(|l| l == line) {
        Some(i) => i as u32 + 1,
        None => panic!("no line `{line}`"),
    }
}

#[test]
fn a_missing_field_is_a_diagnostic_at_the_objects_line() {
    // Drop the description of AML.T0007: reported at its `id:` line.
    let yaml = V5.replace("    description: Looking for artifacts.\n", "");
    let diags = diagnostics_of(&yaml, "missing");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::InvalidAtlasData);
    assert_eq!(d.span, Span::new(line_of(&yaml, "  - id: AML.T0007"), 5));
    assert!(d.message().contains("AML.T0007") && d.message().contains("`description`"));
    assert!(d.path.ends_with("ATLAS.yaml"));

    // Without a name the object cannot become a page ...
    let yaml = V5.replace("    name: Discover Artifacts\n", "");
    let s = Scratch::new("noname");
    let report = ok(s.run(&yaml, false));
    assert_eq!(counts(&report), [2, 1, 1, 1, 1]);
    let spans: Vec<Span> = report.diagnostics.iter().map(|d| d.span).collect();
    assert!(spans.contains(&Span::new(line_of(&yaml, "  - id: AML.T0007"), 5)));
    // ... and what referred to it says so, at the referring lines.
    assert!(spans.contains(&Span::new(line_of(&yaml, "    - id: AML.T0007"), 7)));
    assert!(spans.contains(&Span::new(line_of(&yaml, "    technique: AML.T0007"), 5)));
    // So does a description's link to it, a warning: the page is still written.
    let link = line_of(
        &yaml,
        "      See [Discover Artifacts](/techniques/AML.T0007).'",
    );
    assert!(spans.contains(&Span::new(link, 32)));
    assert_eq!(report.diagnostics.len(), 4, "{:?}", report.diagnostics);
}

#[test]
fn a_missing_step_field_points_at_the_step() {
    let yaml = V5.replace("    technique: AML.T0007\n", "");
    let diags = diagnostics_of(&yaml, "step");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0].span,
        Span::new(line_of(V5, "  - tactic: AML.TA0007"), 3)
    );
}

#[test]
fn an_unknown_object_type_is_a_diagnostic() {
    let yaml = V5.replace(
        "  mitigations:\n",
        "  detections:\n  - id: AML.D0001\n    name: Watch\n    object-type: detection\n  mitigations:\n",
    );
    let s = Scratch::new("unknown");
    let report = ok(s.run(&yaml, false));
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    let d = &report.diagnostics[0];
    assert!(d.message().contains("`detection`"), "{}", d.message());
    assert_eq!(
        d.span,
        Span::new(line_of(&yaml, "    object-type: detection"), 5)
    );
    assert_eq!(counts(&report), [2, 2, 1, 1, 1]);
}

#[test]
fn references_to_missing_objects_are_diagnostics() {
    let yaml = V5
        .replace("    - id: AML.T0007\n", "    - id: AML.T0999\n")
        .replace(
            "    - AML.TA0005\n    created_date: 2021-05-13\n    modified_date: 2021-05-13",
            "    - AML.TA0099\n    created_date: 2021-05-13\n    modified_date: 2021-05-13",
        );
    let diags = diagnostics_of(&yaml, "refs");
    let messages: Vec<String> = diags.iter().map(|d| d.message().into_owned()).collect();
    assert_eq!(diags.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("AML.TA0099")));
    assert!(messages.iter().any(|m| m.contains("AML.T0999")));
}

#[test]
fn files_that_are_not_atlas_data_are_one_error() {
    for (name, yaml) in [
        ("list", "- a\n- b\n"),
        ("other", "name: something\nitems: [1, 2]\n"),
        ("broken", "id: ATLAS\nmatrices: [\n"),
        ("empty", ""),
        ("nomatrix", "id: ATLAS\nmatrices:\n- id: X\n  name: Y\n"),
    ] {
        let s = Scratch::new(name);
        match s.run(yaml, false) {
            Err(Error::Import(msg)) => assert!(msg.contains("not ATLAS data"), "{name}: {msg}"),
            other => panic!("{name}: expected Error::Import, got {other:?}"),
        }
        assert!(!s.0.join("out").exists(), "{name}");
    }
    let s = Scratch::new("binary");
    let input = s.0.join("ATLAS.yaml");
    fs::write(&input, [0xff, 0x00, 0xfe]).unwrap_or_else(|e| panic!("{e}"));
    let r = import(
        &ImportOptions {
            input,
            out: s.0.join("out"),
            force: false,
        },
        &crate::vocabulary::Vocabulary::default(),
    );
    assert!(matches!(r, Err(Error::Import(_))));
    let missing = import(
        &ImportOptions {
            input: Path::new("/nonexistent/ATLAS.yaml").to_path_buf(),
            out: s.0.join("out"),
            force: false,
        },
        &crate::vocabulary::Vocabulary::default(),
    );
    assert!(matches!(missing, Err(Error::Io { .. })));
}

#[test]
fn names_cannot_leave_the_output_folder() {
    let yaml = V5
        .replace("name: Code Signing", "name: ../../../etc/passwd")
        .replace("name: Execution", "name: /tmp/x");
    let s = Scratch::new("escape");
    let report = ok(s.run(&yaml, false));
    for path in &report.written {
        assert!(path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_))));
        let text = path.to_string_lossy();
        assert!(text.starts_with("frameworks/atlas/"), "{text}");
    }
    assert!(report
        .written
        .iter()
        .any(|p| p.ends_with("mitigations/etc-passwd.md")));
    assert!(report
        .written
        .iter()
        .any(|p| p.ends_with("tactics/tmp-x.md")));
}

#[test]
fn shared_names_get_their_ids() {
    let yaml = V5.replace("name: Discover Artifacts", "name: User Execution");
    let s = Scratch::new("collide");
    let report = ok(s.run(&yaml, false));
    let paths: Vec<String> = report
        .written
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(
        paths.contains(
            &"frameworks/atlas/techniques/discovery-phase/user-execution-aml-t0007.md".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        paths.contains(
            &"frameworks/atlas/techniques/execution/user-execution-aml-t0011.md".to_string()
        ),
        "{paths:?}"
    );
    assert!(paths.contains(&"frameworks/atlas/techniques/execution/user-execution-aml-t0011/user-execution-aml-t0011-unsafe-ai-artifacts.md".to_string()), "{paths:?}");
}

#[test]
fn duplicate_ids_and_unknown_parents_are_diagnostics() {
    let yaml = V5
        .replace("  - id: AML.TA0005\n", "  - id: AML.TA0007\n")
        .replace("subtechnique-of: AML.T0011", "subtechnique-of: AML.T0999");
    let s = Scratch::new("dups");
    let report = ok(s.run(&yaml, false));
    let found: Vec<(u32, String)> = report
        .diagnostics
        .iter()
        .map(|d| (d.span.line, d.message().into_owned()))
        .collect();
    let second = yaml
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  - id: AML.TA0007")
        .map(|(i, _)| i as u32 + 1)
        .nth(1);
    assert!(
        found
            .iter()
            .any(|(l, m)| Some(*l) == second && m.contains("appears again")),
        "{found:?}"
    );
    assert!(
        found.iter().any(
            |(l, m)| *l == line_of(&yaml, "    subtechnique-of: AML.T0999")
                && m.contains("AML.T0999")
        ),
        "{found:?}"
    );
    assert_eq!(counts(&report)[0], 1);
}

#[test]
fn anchors_and_aliases_are_resolved() {
    let yaml = V5
        .replace(
            "    description: The adversary looks around.\n",
            "    description: &look The adversary looks around.\n",
        )
        .replace(
            "    description: The adversary runs code.\n",
            "    description: *look\n",
        );
    let s = Scratch::new("alias");
    let report = ok(s.run(&yaml, false));
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert!(s
        .page("frameworks/atlas/tactics/execution.md")
        .contains("\n\nThe adversary looks around.\n\n## Metadata"));
}

#[test]
fn a_file_without_a_section_or_with_links_to_absent_ids_is_warned_about() {
    // Cut before the case studies: said at the last line, with where they belong.
    let end = V5.find("case-studies:\n").unwrap();
    let cut = &V5[..end];
    let diags = diagnostics_of(cut, "cut");
    let messages: Vec<String> = diags.iter().map(|d| d.message().into_owned()).collect();
    let found: Vec<(Span, &str, crate::Severity)> = diags
        .iter()
        .zip(&messages)
        .map(|(d, m)| (d.span, m.as_str(), d.severity))
        .collect();
    let last = cut.lines().count() as u32;
    assert_eq!(
        found,
        [(
            Span::new(last, 1),
            "the file has no case studies; ATLAS data keeps them in a top-level \
             `case-studies:` list",
            crate::Severity::Warning
        )]
    );

    // A description linking an ID the file lacks: said at the link, with the ID.
    let yaml = V5.replace(
        "    description: The adversary runs code.\n",
        "    description: 'The adversary runs code, as in [x](/studies/AML.CS0999#a).'\n",
    );
    let diags = diagnostics_of(&yaml, "absent");
    let line = line_of(
        &yaml,
        "    description: 'The adversary runs code, as in [x](/studies/AML.CS0999#a).'",
    );
    let messages: Vec<String> = diags.iter().map(|d| d.message().into_owned()).collect();
    let found: Vec<(Span, &str)> = diags
        .iter()
        .zip(&messages)
        .map(|(d, m)| (d.span, m.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            Span::new(line, 54),
            "`AML.TA0005` links `/studies/AML.CS0999`, but the file has no object \
             `AML.CS0999`"
        )]
    );
}
