//! `atlas-kb check`: the resolution rules of DESIGN.md section 4, every diagnostic code with
//! its exact position, the report formats, the exit codes, and the real vault beside the
//! project when it is there.

use crate::support::{
    atlas_kb, check_json, copy_fixture, fixture, load_graph, positions, JsonDiagnostic, TempDir,
};
use atlas_kb::graph::{Anchor, Graph, Resolution};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Helpers over the library: where does a link go?

fn graph_of(root: &Path) -> Graph {
    load_graph(root).unwrap_or_else(|e| panic!("cannot load {}: {e}", root.display()))
}

/// The index of the page at `path`, and of its one link written exactly as `raw`.
fn find_link(graph: &Graph, from: &str, raw: &str) -> (usize, usize) {
    let page = graph
        .pages
        .iter()
        .position(|p| p.source.path == from)
        .unwrap_or_else(|| panic!("no page `{from}`"));
    let source = &graph.pages[page].source;
    let found: Vec<usize> = source
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| &source.text[l.range()] == raw)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "`{raw}` should be exactly one link of `{from}`; its links are {:?}",
        source
            .links
            .iter()
            .map(|l| &source.text[l.range()])
            .collect::<Vec<_>>()
    );
    (page, found[0])
}

/// Where link `raw` of page `from` leads, as text: `path`, `path#Heading@line` (the heading as
/// written and its line, so repeated headings differ), `path#^block`, `asset:path`,
/// `external`, `unsafe`, or `code: message` when it is broken.
fn target(graph: &Graph, from: &str, raw: &str) -> String {
    let (page, link) = find_link(graph, from, raw);
    describe(graph, &graph.resolutions[page][link])
}

fn describe(graph: &Graph, resolution: &Resolution) -> String {
    match resolution {
        Resolution::Page { page, anchor, .. } => {
            let target = &graph.pages[page.0].source;
            match anchor {
                None => target.path.clone(),
                Some(Anchor::Heading(h)) => {
                    let h = &target.headings[*h as usize];
                    format!("{}#{}@{}", target.path, h.text, h.span.line)
                }
                Some(Anchor::Block(b)) => {
                    format!("{}#^{}", target.path, target.block_ids[*b as usize].id)
                }
            }
        }
        Resolution::Asset(path) => format!("asset:{path}"),
        Resolution::External => "external".into(),
        Resolution::Unsafe => "unsafe".into(),
        Resolution::Broken(b) => format!("{}: {}", b.code, b.message),
    }
}

/// The pages that tied for link `raw` of page `from` (empty when the match was clear).
fn tied(graph: &Graph, from: &str, raw: &str) -> Vec<String> {
    let (page, link) = find_link(graph, from, raw);
    match &graph.resolutions[page][link] {
        Resolution::Page { tied, .. } => tied
            .iter()
            .map(|p| graph.pages[p.0].source.path.clone())
            .collect(),
        other => panic!("`{raw}` did not resolve to a page: {other:?}"),
    }
}

/// Every link target of a page as written, to show that some text is *not* a link.
fn link_targets(graph: &Graph, from: &str) -> Vec<String> {
    let page = graph
        .pages
        .iter()
        .find(|p| p.source.path == from)
        .unwrap_or_else(|| panic!("no page `{from}`"));
    page.source
        .links
        .iter()
        .map(|l| page.source.target(l).to_string())
        .collect()
}

fn find<'a>(diagnostics: &'a [JsonDiagnostic], at: &str) -> &'a JsonDiagnostic {
    diagnostics
        .iter()
        .find(|d| d.at() == at)
        .unwrap_or_else(|| panic!("no diagnostic `{at}` in {:#?}", positions(diagnostics)))
}

// ---------------------------------------------------------------------------------------------
// Resolution rules (DESIGN.md section 4), fixture `resolution/`.

#[test]
fn exact_path_from_the_root_beats_the_own_folder() {
    let g = graph_of(&fixture("resolution"));
    assert_eq!(target(&g, "c/Source.md", "[[Note]]"), "Note.md");
    assert_eq!(target(&g, "c/Source.md", "[[c/Note]]"), "c/Note.md");
}

#[test]
fn case_extension_and_unicode_normalization_do_not_matter() {
    let g = graph_of(&fixture("resolution"));
    assert_eq!(target(&g, "c/Source.md", "[[NOTE]]"), "Note.md");
    assert_eq!(target(&g, "c/Source.md", "[[C/nOtE]]"), "c/Note.md");
    assert_eq!(target(&g, "c/Source.md", "[[Note.md]]"), "Note.md");
    assert_eq!(target(&g, "c/Source.md", "[[c/Note.MD]]"), "c/Note.md");
    // The file name is NFC `Café`; the first link spells it with a combining accent (NFD).
    assert_eq!(
        target(&g, "unicode/Links.md", "[[Cafe\u{301}]]"),
        "unicode/Caf\u{e9}.md"
    );
    assert_eq!(
        target(&g, "unicode/Links.md", "[[CAF\u{c9}]]"),
        "unicode/Caf\u{e9}.md"
    );
}

#[test]
fn suffix_match_takes_whole_components_then_the_shortest_path() {
    let g = graph_of(&fixture("resolution"));
    // `suffix/xb/Deep.md` ends with the text `b/Deep` but not with the component `/b/Deep`.
    assert_eq!(
        target(&g, "suffix/Links.md", "[[b/Deep]]"),
        "suffix/a/b/Deep.md"
    );
    assert!(tied(&g, "suffix/Links.md", "[[b/Deep]]").is_empty());
    // Two candidates, neither in `suffix/`: the shorter path wins, with no warning.
    assert_eq!(
        target(&g, "suffix/Links.md", "[[Deep]]"),
        "suffix/xb/Deep.md"
    );
    assert!(tied(&g, "suffix/Links.md", "[[Deep]]").is_empty());
    assert_eq!(
        target(&g, "suffix/Links.md", "[[uffix/a/b/Deep]]"),
        "broken-link: no page matches `uffix/a/b/Deep`"
    );
}

#[test]
fn own_folder_wins_and_ancestor_folders_count_for_nothing() {
    let g = graph_of(&fixture("resolution"));
    // Candidates: own/Topic.md, own/sub/Topic.md, t/Topic.md.
    assert_eq!(
        target(&g, "own/sub/Links.md", "[[Topic]]"),
        "own/sub/Topic.md"
    );
    // From own/sub/deeper/, own/sub/ and own/ are ancestors: the shortest path wins instead.
    assert_eq!(
        target(&g, "own/sub/deeper/Links.md", "[[Topic]]"),
        "t/Topic.md"
    );
}

#[test]
fn equal_length_tie_takes_the_first_by_name_and_lists_both() {
    let g = graph_of(&fixture("resolution"));
    assert_eq!(target(&g, "tie/Links.md", "[[Same]]"), "tie/one/Same.md");
    assert_eq!(
        tied(&g, "tie/Links.md", "[[Same]]"),
        ["tie/one/Same.md", "tie/two/Same.md"]
    );
    assert_eq!(
        target(&g, "tie/Links.md", "[[two/Same]]"),
        "tie/two/Same.md"
    );
    assert!(tied(&g, "tie/Links.md", "[[two/Same]]").is_empty());
}

#[test]
fn relative_paths_join_the_source_folder_and_only_that_path_counts() {
    let g = graph_of(&fixture("resolution"));
    let from = "rel/sub/Child.md";
    assert_eq!(target(&g, from, "[[../Here]]"), "rel/Here.md");
    assert_eq!(target(&g, from, "[[./Leaf]]"), "rel/sub/Leaf.md");
    assert_eq!(target(&g, from, "[up](../Here.md)"), "rel/Here.md");
    assert_eq!(
        target(&g, from, "[two](../Two%20Words.md)"),
        "rel/Two Words.md"
    );
    // `rel/Here.md` would match the name `Here`, but `./Here` means `rel/sub/Here`.
    assert_eq!(
        target(&g, from, "[[./Here]]"),
        "broken-link: no page matches `./Here`"
    );
    assert_eq!(
        target(&g, from, "[[../../../Outside]]"),
        "broken-link: `../../../Outside` leads out of the content root"
    );
}

#[test]
fn anchors_follow_strip_heading_chains_slugs_and_block_ids() {
    let g = graph_of(&fixture("resolution"));
    let from = "anchors/Links.md";
    let t = |raw| target(&g, from, raw);
    assert_eq!(t("[[#Local Heading]]"), "anchors/Links.md#Local Heading@3");
    assert_eq!(
        t("[[#Nowhere Here]]"),
        "broken-anchor: `anchors/Links` has no heading `Nowhere Here`"
    );
    // `Shared` is both under Alpha (line 5) and under Beta (line 9).
    assert_eq!(t("[[Chain#Beta#Shared]]"), "anchors/Chain.md#Shared@9");
    assert_eq!(t("[[Chain#Shared]]"), "anchors/Chain.md#Shared@5");
    assert_eq!(
        t("[[Chain#Alpha#Only Beta]]"),
        "broken-anchor: `anchors/Chain` has no heading `Alpha#Only Beta`"
    );
    // `What's New? (v2)` and `what's new (v2)` are both `what's new v2` after stripHeading.
    assert_eq!(
        t("[[Chain#what's new (v2)]]"),
        "anchors/Chain.md#What's New? (v2)@13"
    );
    assert_eq!(
        t("[[Chain#whats-new-v2]]"),
        "broken-anchor: `anchors/Chain` has no heading `whats-new-v2`"
    );
    assert_eq!(
        t("[new](Chain.md#whats-new-v2)"),
        "anchors/Chain.md#What's New? (v2)@13"
    );
    assert_eq!(
        t("[second](Chain.md#shared-1)"),
        "anchors/Chain.md#Shared@9"
    );
    assert_eq!(
        t("[only](Chain.md#Only%20Beta)"),
        "anchors/Chain.md#Only Beta@11"
    );
    assert_eq!(t("[[Chain#^para-1]]"), "anchors/Chain.md#^para-1");
    assert_eq!(
        t("[[Chain#^in-code]]"),
        "broken-anchor: `anchors/Chain` has no block `^in-code`"
    );
    assert_eq!(
        t("[[Chain#^nope]]"),
        "broken-anchor: `anchors/Chain` has no block `^nope`"
    );
}

#[test]
fn wiki_link_syntax_brackets_nesting_escapes_embeds_and_code() {
    let g = graph_of(&fixture("resolution"));
    let from = "syntax/Text.md";
    assert_eq!(target(&g, from, "[[Sq]uare]]"), "syntax/Sq]uare.md");
    assert_eq!(target(&g, from, "[[Target]]"), "syntax/Target.md");
    assert_eq!(target(&g, from, "![[Target]]"), "syntax/Target.md");
    assert_eq!(
        target(&g, from, "[[Target|shown text]]"),
        "syntax/Target.md"
    );
    assert_eq!(
        target(&g, from, "[[Nickname]]"),
        "broken-link: no page matches `Nickname`"
    );
    assert_eq!(target(&g, from, "![[pic.png]]"), "asset:syntax/pic.png");
    assert_eq!(
        target(&g, from, "![a picture](pic.png)"),
        "asset:syntax/pic.png"
    );
    // Everything that is not a link: the outer brackets of `[[a [[Target]] c]]`, the escaped
    // `\[[Escaped]]`, a code span, fenced (backticks and tildes) and indented code.
    assert_eq!(
        link_targets(&g, from),
        ["Sq]uare", "Target", "Target", "Target", "Nickname", "pic.png", "pic.png", "Target"]
    );
    let (page, link) = find_link(&g, from, "[[Target|shown text]]");
    let raw = &g.pages[page].source.links[link];
    assert_eq!(g.pages[page].source.label(raw), Some("shown text"));
    assert_eq!((raw.span.line, raw.span.col), (7, 27));
    let (page, link) = find_link(&g, from, "[[Target|a|b]]");
    let source = &g.pages[page].source;
    assert_eq!(source.label(&source.links[link]), Some("a|b"));
}

#[test]
fn escaped_and_bare_pipes_in_tables_both_split_target_and_label() {
    let g = graph_of(&fixture("resolution"));
    let from = "syntax/Tables.md";
    for raw in ["[[Target\\|the target]]", "[[Target|split cell]]"] {
        assert_eq!(target(&g, from, raw), "syntax/Target.md", "{raw}");
    }
    let (page, link) = find_link(&g, from, "[[Target\\|the target]]");
    let source = &g.pages[page].source;
    assert_eq!(source.label(&source.links[link]), Some("the target"));
}

/// The markdown parser reads a body with its wiki links' brackets masked, as the renderer
/// hides wiki links from it too: those brackets never make a markdown link. Also the two
/// cases where masking must step back: code that swallows a `[[`, and a destination the
/// parser rewrote that holds a wiki link.
#[test]
fn wiki_link_brackets_take_no_part_in_markdown_links() {
    let dir = TempDir::new("masks");
    dir.write("Target.md", "# Target\n");
    dir.write(
        "page.md",
        "# Page\n\n[[Target]](gone.md) and [see [[Target]]](Target.md).\n\n\
         [foo]: gone-foo.md\n\n`[[a` [foo]] after.\n\n[t](a[[Target]]\\_b.md)\n\n\
         ## On [[Target|T]] and `[[c]]`\n\n[[#On Target T and c]] [x](#on-targett-and-c)\n",
    );
    let run = check_json(dir.path(), &[]);
    let found = run.diagnostics();
    assert_eq!(
        positions(&found),
        ["broken-link page.md:7:7", "broken-link page.md:9:1"],
        "{found:#?}"
    );
    assert_eq!(found[0].message, "no page matches `gone-foo.md`");
    assert_eq!(found[1].message, "no page matches `a[[Target]]_b.md`");

    let g = graph_of(dir.path());
    assert_eq!(
        link_targets(&g, "page.md"),
        [
            "Target",
            "Target.md",
            "Target",
            "gone-foo.md",
            "a[[Target]]_b.md",
            // The wiki link inside that destination is part of the URL: no link of its own.
            "Target",
            "",
            "",
        ]
    );
}

#[test]
fn route_links_resolve_by_atlas_id_in_the_right_section() {
    let g = graph_of(&fixture("resolution"));
    let from = "routes/Links.md";
    let t = |raw| target(&g, from, raw);
    assert_eq!(
        t("[technique](/techniques/AML.T0001)"),
        "routes/ids/technique.md"
    );
    assert_eq!(
        t("[technique, heading slug](/techniques/AML.T0001#how-it-is-used)"),
        "routes/ids/technique.md#How It Is Used@6"
    );
    assert_eq!(t("[tactic](/tactics/AML.TA0001)"), "routes/ids/tactic.md");
    assert_eq!(
        t("[mitigation](/mitigations/AML.M0001)"),
        "routes/ids/mitigation.md"
    );
    assert_eq!(t("[study](/studies/AML.CS0001)"), "routes/ids/study.md");
    assert_eq!(
        t("[wrong section](/tactics/AML.T0001)"),
        "malformed-link: route `/tactics/` does not take the technique ID `AML.T0001`"
    );
    assert_eq!(
        t("[unknown](/techniques/AML.T0999)"),
        "unknown-id: no page has the ATLAS ID `AML.T0999`"
    );
    assert_eq!(
        t("[not an ID](/techniques/sample)"),
        "malformed-link: `sample` in route `/techniques/sample` is not an ATLAS ID"
    );
    assert_eq!(
        t("[external](https://atlas.mitre.org/techniques/AML.T0001)"),
        "external"
    );
    assert_eq!(t("<someone@example.org>"), "external");
    assert_eq!(t("[unsafe](javascript:alert(1))"), "unsafe");
    assert_eq!(t("[data](data:text/html,hello)"), "unsafe");
    assert_eq!(t("[vbscript](VBScript:msgbox)"), "unsafe");
}

/// Every diagnostic the resolution fixture gives, with the messages and helps that matter.
#[test]
fn resolution_fixture_reports_exactly_these() {
    let run = check_json(&fixture("resolution"), &[]);
    assert_eq!(run.code, Some(1));
    let found = run.diagnostics();
    assert_eq!(
        positions(&found),
        [
            "broken-anchor anchors/Links.md:6:36",
            "broken-anchor anchors/Links.md:9:57",
            "broken-anchor anchors/Links.md:11:33",
            "broken-anchor anchors/Links.md:16:39",
            "broken-anchor anchors/Links.md:17:18",
            "broken-link c/Source.md:7:35",
            "broken-link rel/sub/Child.md:5:67",
            "broken-link rel/sub/Child.md:6:37",
            "malformed-link routes/Links.md:8:3",
            "unknown-id routes/Links.md:9:3",
            "malformed-link routes/Links.md:10:3",
            "unsafe-link routes/Links.md:13:3",
            "unsafe-link routes/Links.md:14:3",
            "unsafe-link routes/Links.md:15:3",
            "broken-link suffix/Links.md:5:40",
            "table-pipe syntax/Tables.md:6:10",
            "broken-link syntax/Text.md:8:35",
            "ambiguous-link tie/Links.md:3:72",
        ]
    );
    let help = |at| find(&found, at).help.clone();
    assert_eq!(
        help("broken-link c/Source.md:7:35").as_deref(),
        Some("did you mean `Note`?")
    );
    assert_eq!(
        help("broken-link rel/sub/Child.md:5:67").as_deref(),
        Some("`rel/sub/` is a folder of 2 pages; no page is named `Here`")
    );
    assert_eq!(
        help("broken-link suffix/Links.md:5:40").as_deref(),
        Some("did you mean `suffix/a/b/Deep`?")
    );
    assert_eq!(
        help("broken-anchor anchors/Links.md:9:57").as_deref(),
        Some("did you mean `#Only Beta`?")
    );
    let tie = find(&found, "ambiguous-link tie/Links.md:3:72");
    assert_eq!(tie.severity, "warning");
    assert_eq!(
        tie.message,
        "`Same` matches 2 pages equally; took `tie/one/Same.md`"
    );
    assert_eq!(
        tie.help.as_deref(),
        Some("candidates: tie/one/Same.md, tie/two/Same.md; write more of the path to choose")
    );
}

// ---------------------------------------------------------------------------------------------
// One page per diagnostic code, fixture `diagnostics/` (plus a file that is not UTF-8,
// written at test time).

fn diagnostics_run(extra: &[&str]) -> (crate::support::Run, TempDir) {
    let (dir, vault) = copy_fixture("diagnostics");
    std::fs::write(
        vault.join("unreadable.md"),
        b"# Unreadable\n\nA bad byte: \xff\xfe and the rest.\n",
    )
    .unwrap();
    (check_json(&vault, extra), dir)
}

#[test]
fn every_code_at_its_exact_position() {
    let (run, _dir) = diagnostics_run(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let found = run.diagnostics();
    assert_eq!(
        positions(&found),
        [
            "ambiguous-link ambiguous-link.md:3:12",
            "broken-anchor broken-anchor.md:5:26",
            "broken-link broken-link.md:3:16",
            "embed-cycle embed-cycle.md:4:25",
            "duplicate-id ids/second.md:3:1",
            "active-asset img/pixel.svg:1:1",
            "invalid-front-matter invalid-front-matter.md:3:9",
            "label-id-mismatch label-id-mismatch.md:3:3",
            "label-id-mismatch label-id-mismatch.md:4:3",
            "label-id-mismatch label-id-mismatch.md:5:3",
            "label-id-mismatch label-id-mismatch.md:6:3",
            "malformed-link malformed-link.md:2:9",
            "malformed-link malformed-link.md:6:30",
            "malformed-link malformed-link.md:7:15",
            "malformed-link malformed-link.md:8:29",
            "reserved-path matrix.md:1:1",
            "missing-parent-page relations/absent-parent/sub-technique.md:2:1",
            "step-tactic-mismatch relations/case-study.md:10:13",
            "asymmetric-relation relations/mitigation.md:10:3",
            "asymmetric-relation relations/technique.md:8:3",
            "table-pipe table-pipe.md:5:9",
            "unknown-id unknown-id.md:3:31",
            "unreadable-file unreadable.md:3:13",
            "unsafe-link unsafe-link.md:3:7",
        ]
    );
    let expect = |at: &str, severity: &str, message: &str, help: Option<&str>| {
        let d = find(&found, at);
        assert_eq!(
            (d.severity.as_str(), d.message.as_str(), d.help.as_deref()),
            (severity, message, help),
            "{at}"
        );
    };
    expect(
        "broken-link broken-link.md:3:16",
        "error",
        "no page matches `no-such-page`",
        None,
    );
    expect(
        "broken-anchor broken-anchor.md:5:26",
        "error",
        "`broken-link` has no heading `Absent Heading`",
        None,
    );
    expect(
        "duplicate-id ids/second.md:3:1",
        "error",
        "`AML.T0005` is already the ID of `ids/first.md`",
        Some("each ATLAS ID belongs to one page; links by ID go to the first"),
    );
    expect(
        "invalid-front-matter invalid-front-matter.md:3:9",
        "error",
        "front matter is not valid YAML: mapping values are not allowed in this context",
        None,
    );
    expect(
        "label-id-mismatch label-id-mismatch.md:3:3",
        "warning",
        "label names `AML.M0042` but the link goes to `AML.M0001` (`relations/mitigation`)",
        Some("no page has `AML.M0042`"),
    );
    expect(
        "label-id-mismatch label-id-mismatch.md:4:3",
        "warning",
        "label names `AML.T0011` but the link goes to `AML.T0010` (`relations/technique`)",
        Some("`AML.T0011` is `relations/other-technique`"),
    );
    // The label's ID belongs to a generated parent: its path has no file to point at.
    expect(
        "label-id-mismatch label-id-mismatch.md:5:3",
        "warning",
        "label names `AML.T0020` but the link goes to `AML.T0020.000` (`relations/absent-parent/sub-technique`)",
        Some("no page has `AML.T0020`"),
    );
    // Spaces around a label hide nothing (line 7, padded and right, is no mismatch).
    expect(
        "label-id-mismatch label-id-mismatch.md:6:3",
        "warning",
        "label names `AML.T0017` but the link goes to `AML.T0010` (`relations/technique`)",
        Some("no page has `AML.T0017`"),
    );
    expect(
        "active-asset img/pixel.svg:1:1",
        "warning",
        "`img/pixel.svg` can run script when opened (it holds an `onload` attribute); it is not published",
        Some("publish it anyway with `allow_active_assets = true` under `[build]` in atlas-kb.toml"),
    );
    expect(
        "reserved-path matrix.md:1:1",
        "warning",
        "`matrix.md` is not published: `matrix.html` is where the build writes the matrix",
        Some("rename it or move it to another folder"),
    );
    expect(
        "malformed-link malformed-link.md:2:9",
        "error",
        "unquoted wiki link in front matter is a YAML nested list, not a link",
        Some("quote it: \"[[broken-link]]\""),
    );
    expect(
        "malformed-link malformed-link.md:6:30",
        "error",
        "`[[` is never closed on this line",
        Some("a wiki link must close with `]]` on the same line"),
    );
    expect(
        "malformed-link malformed-link.md:7:15",
        "error",
        "empty wiki link `[[]]`",
        Some("write the page to link inside the brackets"),
    );
    expect(
        "malformed-link malformed-link.md:8:29",
        "error",
        "`]]` closes a wiki link that was never opened",
        Some("add the missing `[[` before the link target"),
    );
    expect(
        "missing-parent-page relations/absent-parent/sub-technique.md:2:1",
        "warning",
        "no page has the parent technique `AML.T0020` of `AML.T0020.000`",
        Some("a page is generated at `relations/absent-parent.md`; write one with `title: \"AML.T0020: Absent Parent\"` to replace it"),
    );
    expect(
        "asymmetric-relation relations/mitigation.md:10:3",
        "warning",
        "`relations/mitigation` lists `relations/other-technique` under Defends Against, but `relations/other-technique` does not list it back",
        Some("add `[[relations/mitigation]]` to the Mitigations section of `relations/other-technique.md`"),
    );
    expect(
        "asymmetric-relation relations/technique.md:8:3",
        "warning",
        "`relations/technique` lists `relations/mitigation` under Mitigations, but `relations/mitigation` does not list it back",
        Some("add `[[relations/technique]]` to the Techniques section of `relations/mitigation.md`"),
    );
    expect(
        "step-tactic-mismatch relations/case-study.md:10:13",
        "warning",
        "this step's tactic `AML.TA0002: Other Tactic` is not a tactic of its technique `AML.T0012: Stepped Technique`",
        Some("its technique lists `AML.TA0001: Sample Tactic`"),
    );
    expect(
        "embed-cycle embed-cycle.md:4:25",
        "warning",
        "embedding `Embed cycle` leads back to this page",
        Some("link it (`[[...]]`) instead of embedding it, here or on a page it embeds"),
    );
    expect(
        "table-pipe table-pipe.md:5:9",
        "warning",
        "unescaped `|` in a wiki link inside a table splits the cell",
        Some("write the pipe as `\\|` inside tables"),
    );
    expect(
        "unknown-id unknown-id.md:3:31",
        "error",
        "no page has the ATLAS ID `AML.T0999`",
        None,
    );
    expect(
        "unreadable-file unreadable.md:3:13",
        "error",
        "file is not valid UTF-8",
        Some("save the file as UTF-8; the page is read with the bad bytes replaced"),
    );
    expect(
        "unsafe-link unsafe-link.md:3:7",
        "warning",
        "`javascript:alert(1)` is not a safe link target",
        Some("the link is rendered as plain text"),
    );
}

#[test]
fn relation_edges_and_the_generated_parent() {
    let g = graph_of(&fixture("diagnostics"));
    assert_eq!(
        crate::support::relation_edges(&g),
        [
            (
                "relations/stepped-technique.md".into(),
                "relations/tactic.md".into(),
                true,
                true,
                None
            ),
            (
                "relations/other-technique.md".into(),
                "relations/mitigation.md".into(),
                false,
                true,
                None
            ),
            (
                "relations/technique.md".into(),
                "relations/mitigation.md".into(),
                true,
                false,
                Some("a use that the mitigation never lists back".into())
            ),
            // The step's technique line lists the technique; its tactic line is no relation.
            (
                "relations/stepped-technique.md".into(),
                "relations/case-study.md".into(),
                true,
                true,
                None
            ),
        ]
    );
    let parent = g
        .pages
        .iter()
        .find(|p| p.generated)
        .expect("a generated parent");
    assert_eq!(parent.source.path, "relations/absent-parent.md");
    assert_eq!(parent.title(), "AML.T0020: Absent Parent");
}

/// Every content code of `Code::ALL` is produced by some fixture above (orphan-page when
/// turned on); `invalid-atlas-data` is about ATLAS.yaml and is covered by the import tests.
#[test]
fn every_code_is_covered() {
    let (run, _dir) = diagnostics_run(&["--level", "orphan-page=warning"]);
    let seen: BTreeSet<String> = run.diagnostics().into_iter().map(|d| d.code).collect();
    let all: BTreeSet<String> = atlas_kb::Code::ALL
        .iter()
        .filter(|c| **c != atlas_kb::Code::InvalidAtlasData)
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(seen, all);
}

#[test]
fn levels_can_be_changed_or_turned_off() {
    let (run, _dir) =
        diagnostics_run(&["--level", "broken-link=off", "--level", "table-pipe=error"]);
    let found = run.diagnostics();
    assert!(found.iter().all(|d| d.code != "broken-link"));
    assert_eq!(
        find(&found, "table-pipe table-pipe.md:5:9").severity,
        "error"
    );
}

// ---------------------------------------------------------------------------------------------
// Front matter, fixture `front-matter/` plus BOM and CRLF files written at test time.

#[test]
fn front_matter_problems_at_the_files_own_line_and_column() {
    let run = check_json(&fixture("front-matter"), &[]);
    assert_eq!(run.code, Some(1));
    let found = run.diagnostics();
    assert_eq!(
        positions(&found),
        [
            "invalid-front-matter duplicate-key.md:4:1",
            "invalid-front-matter invalid-yaml.md:5:2",
            "malformed-link links.md:6:7",
            "invalid-front-matter number-alias.md:2:10",
            "invalid-front-matter unterminated.md:1:1",
            "broken-link unterminated.md:6:24",
            "invalid-front-matter wrong-types.md:2:8",
            "invalid-front-matter wrong-types.md:3:7",
            "invalid-front-matter wrong-types.md:4:1",
            "invalid-front-matter wrong-types.md:7:21",
        ]
    );
    let wrong_types: Vec<_> = found
        .iter()
        .filter(|d| d.path.ends_with("types.md") || d.path == "number-alias.md")
        .map(|d| (d.severity.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        wrong_types,
        [
            (
                "warning",
                "front matter `aliases` must be text or a list of text, not a number; it is left out"
            ),
            (
                "warning",
                "front matter `title` must be text, not a list; it is left out"
            ),
            (
                "warning",
                "front matter `tags` must be text or a list of text, not a mapping; it is left out"
            ),
            (
                "warning",
                "front matter `aliases` must be text or a list of text, not a list holding more \
                 than text; it is left out"
            ),
            (
                "warning",
                "front matter `sidebar_position` must be a number, not text; it is left out"
            ),
        ]
    );
    let d = find(&found, "invalid-front-matter duplicate-key.md:4:1");
    assert_eq!(d.message, "front matter key `title` is repeated");
    assert_eq!(d.help.as_deref(), Some("`title` is first set on line 2"));
    let d = find(&found, "invalid-front-matter invalid-yaml.md:5:2");
    assert_eq!(
        d.message,
        "front matter is not valid YAML: did not find expected key"
    );
    let d = find(&found, "invalid-front-matter unterminated.md:1:1");
    assert_eq!(
        d.message,
        "front matter is not terminated: no closing `---` line"
    );
}

#[test]
fn front_matter_fields_and_quoted_links() {
    let g = graph_of(&fixture("front-matter"));
    let page = |p: &str| g.page_by_path(p).unwrap_or_else(|| panic!("no `{p}`"));
    assert_eq!(
        page("titled.md").source.front.title.as_deref(),
        Some("A Titled Page")
    );
    assert_eq!(page("titled.md").source.front.tags, ["one", "two"]);
    assert!(page("plain.md").source.front.title.is_none());
    let wrong = &page("wrong-types.md").source.front;
    assert!(wrong.title.is_none() && wrong.tags.is_empty() && wrong.sidebar_position.is_none());
    assert_eq!(wrong.aliases, ["fine"]);
    assert_eq!(wrong.description.as_deref(), Some("42"));
    assert_eq!(target(&g, "plain.md", "[[titled]]"), "titled.md");
    assert_eq!(target(&g, "empty.md", "[[plain]]"), "plain.md");
    // Quoted values that are exactly one wiki link are links; the span is the link itself.
    assert_eq!(target(&g, "links.md", "[[plain]]"), "plain.md");
    assert_eq!(
        target(&g, "links.md", "[[titled#A Titled Page]]"),
        "titled.md#A Titled Page@5"
    );
    let (p, l) = find_link(&g, "links.md", "[[plain]]");
    let span = g.pages[p].source.links[l].span;
    assert_eq!((span.line, span.col), (3, 10));
    // `bare: [[plain]]` is a YAML list (reported), `note: "text [[plain]]"` is text.
    assert_eq!(link_targets(&g, "links.md"), ["plain", "titled"]);
}

/// A page with a BOM and one with CRLF line ends, each with one broken link on line 6.
fn write_bom_and_crlf_pages(dir: &TempDir) {
    dir.write(
        "bom.md",
        "\u{feff}---\ntitle: With a BOM\n---\n# Bom\n\nSee [[gone-bom]].\n",
    );
    dir.write(
        "crlf.md",
        "---\r\ntitle: With CRLF\r\n---\r\n# Crlf\r\n\r\ncaf\u{e9} [[gone-crlf]] x\r\n",
    );
}

#[test]
fn bom_and_crlf_are_accepted_with_unchanged_positions() {
    let dir = TempDir::new("bom-crlf");
    write_bom_and_crlf_pages(&dir);
    dir.write(
        "both.md",
        "\u{feff}---\r\ntitle: \"AML.T0042: Both At Once\"\r\n---\r\n# Both\r\n",
    );
    let g = graph_of(dir.path());
    assert_eq!(
        g.page_by_path("bom.md")
            .unwrap()
            .source
            .front
            .title
            .as_deref(),
        Some("With a BOM")
    );
    assert_eq!(
        g.page_by_path("crlf.md")
            .unwrap()
            .source
            .front
            .title
            .as_deref(),
        Some("With CRLF")
    );
    let both = g.page_by_path("both.md").unwrap();
    assert_eq!(both.title(), "AML.T0042: Both At Once");
    let run = check_json(dir.path(), &[]);
    assert_eq!(
        positions(&run.diagnostics()),
        ["broken-link bom.md:6:5", "broken-link crlf.md:6:6",]
    );
}

/// `check` leaves page texts on disk and reads again only the pages its report points into:
/// the lines shown are those of the files as loaded (BOM and CRLF handled as at load), and a
/// page changed since it was loaded shows no line rather than a wrong one.
#[test]
fn report_lines_come_from_pages_read_again_unless_changed() {
    let dir = TempDir::new("read-again");
    write_bom_and_crlf_pages(&dir);
    let root = dir.path().to_str().expect("UTF-8 path");
    let run = atlas_kb(&["check", "--root", root]);
    assert!(
        run.stdout.contains("\n6 | See [[gone-bom]].\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\n6 | caf\u{e9} [[gone-crlf]] x\n"),
        "{}",
        run.stdout
    );
    // That a page changed since the load shows no line: `check::report`'s unit tests.
}

// ---------------------------------------------------------------------------------------------
// Walking the root: unreadable files, symlinks, dot folders.

#[cfg(unix)]
#[test]
fn walk_skips_dot_folders_and_symlinks_out_of_the_root() {
    use std::os::unix::fs::symlink;
    let dir = TempDir::new("walk");
    let outside = dir.path().join("outside");
    let root = dir.path().join("vault");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "# Secret\n\n[[from-outside]]\n").unwrap();
    let write = |rel: &str, text: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "index.md",
        b"# Index\n\n[[notes/real]] and [[inside-link]]\n",
    );
    write("notes/real.md", b"# Real\n");
    for hidden in [".obsidian", ".git", ".trash"] {
        write(&format!("{hidden}/hidden.md"), b"[[hidden-broken]]\n");
    }
    write(".dotfile.md", b"[[dotfile-broken]]\n");
    symlink(outside.join("secret.md"), root.join("out-file.md")).unwrap();
    symlink(&outside, root.join("out-folder")).unwrap();
    symlink(root.join("notes/real.md"), root.join("inside-link.md")).unwrap();
    symlink("loop.md", root.join("loop.md")).unwrap();

    let g = graph_of(&root);
    let paths: Vec<&str> = g.pages.iter().map(|p| p.source.path.as_str()).collect();
    assert_eq!(paths, ["index.md", "inside-link.md", "notes/real.md"]);

    let run = check_json(&root, &[]);
    let found = run.diagnostics();
    assert_eq!(
        positions(&found),
        [
            "unreadable-file loop.md:1:1",
            "unreadable-file out-file.md:1:1",
            "unreadable-file out-folder:1:1",
        ]
    );
    assert!(found[0].message.starts_with("cannot read"), "{found:?}");
    for d in &found[1..] {
        assert_eq!(d.message, "symlink leads out of the content root; skipped");
        assert_eq!(
            d.help.as_deref(),
            Some("atlas-kb reads nothing outside the content root")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Report formats and exit codes.

#[test]
fn human_format_is_rustc_shaped() {
    let root = fixture("report");
    let run = atlas_kb(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr, "");
    let expected = "\
error[broken-link]: no page matches `guide/tactics/tactics`
  --> overview.md:12:5
   |
12 | - **[[guide/tactics/tactics|Tactics]]**: every adversary goal
   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: `guide/tactics/` is a folder of 2 pages; no page is named `tactics`

warning[table-pipe]: unescaped `|` in a wiki link inside a table splits the cell
 --> table.md:5:12
  |
5 | | Impact | [[guide/tactics/impact|Impact]] |
  |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: write the pipe as `\\|` inside tables

checked 4 pages: 1 error, 1 warning
       1  error    broken-link
       1  warning  table-pipe
";
    assert_eq!(run.stdout, expected);
}

#[test]
fn json_format_has_every_field_in_a_stable_order() {
    let root = fixture("report");
    let first = check_json(&root, &[]);
    assert_eq!(first.code, Some(1));
    // The whole document, so field names, field order and null helps are pinned.
    let expected = r#"[
  {
    "code": "broken-link",
    "severity": "error",
    "path": "overview.md",
    "line": 12,
    "column": 5,
    "end_line": 12,
    "end_column": 37,
    "message": "no page matches `guide/tactics/tactics`",
    "help": "`guide/tactics/` is a folder of 2 pages; no page is named `tactics`"
  },
  {
    "code": "table-pipe",
    "severity": "warning",
    "path": "table.md",
    "line": 5,
    "column": 12,
    "end_line": 5,
    "end_column": 42,
    "message": "unescaped `|` in a wiki link inside a table splits the cell",
    "help": "write the pipe as `\\|` inside tables"
  }
]
"#;
    assert_eq!(first.stdout, expected);
    assert_eq!(
        first.diagnostics(),
        [
            JsonDiagnostic {
                code: "broken-link".into(),
                severity: "error".into(),
                path: "overview.md".into(),
                line: 12,
                column: 5,
                end_line: 12,
                end_column: 37,
                message: "no page matches `guide/tactics/tactics`".into(),
                help: Some(
                    "`guide/tactics/` is a folder of 2 pages; no page is named `tactics`".into()
                ),
            },
            JsonDiagnostic {
                code: "table-pipe".into(),
                severity: "warning".into(),
                path: "table.md".into(),
                line: 5,
                column: 12,
                end_line: 5,
                end_column: 42,
                message: "unescaped `|` in a wiki link inside a table splits the cell".into(),
                help: Some("write the pipe as `\\|` inside tables".into()),
            },
        ]
    );
    // The summary goes to stderr so stdout stays one JSON document.
    assert!(
        first
            .stderr
            .starts_with("checked 4 pages: 1 error, 1 warning\n"),
        "{}",
        first.stderr
    );
    // Same input, same bytes.
    let second = check_json(&root, &[]);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn exit_0_when_nothing_is_at_error_level() {
    let run = check_json(&fixture("clean"), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(run.diagnostics().is_empty());
    // Warnings alone do not fail the run.
    let run = check_json(&fixture("clean"), &["--level", "orphan-page=warning"]);
    assert_eq!(run.code, Some(0));
    let found = run.diagnostics();
    assert_eq!(positions(&found), ["orphan-page lonely.md:1:1"]);
    assert_eq!(found[0].severity, "warning");
    assert_eq!(found[0].message, "no other page links here");
}

#[test]
fn exit_1_for_errors_and_for_warnings_under_deny_warnings() {
    let clean = fixture("clean");
    let run = check_json(
        &clean,
        &["--level", "orphan-page=warning", "--deny", "warnings"],
    );
    assert_eq!(run.code, Some(1));
    let run = check_json(&clean, &["--level", "orphan-page=error"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.diagnostics()[0].severity, "error");
    // --deny warnings with no warning at all still passes.
    let run = check_json(&clean, &["--deny", "warnings"]);
    assert_eq!(run.code, Some(0));
}

#[test]
fn exit_2_when_the_tool_cannot_do_its_job() {
    let clean = fixture("clean");
    let clean = clean.to_str().unwrap();
    let missing = fixture("no-such-fixture");
    let run = atlas_kb(&["check", "--root", missing.to_str().unwrap()]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with("error: cannot open content root"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");

    let file = fixture("clean/index.md");
    let run = atlas_kb(&["check", "--root", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("is not a folder"), "{}", run.stderr);

    for bad in ["orphan-page=loud", "no-such-code=error", "orphan-page"] {
        let run = atlas_kb(&["check", "--root", clean, "--level", bad]);
        assert_eq!(run.code, Some(2), "--level {bad}");
        assert!(run.stderr.contains("--level"), "{}", run.stderr);
    }
    let run = atlas_kb(&["check", "--root", clean, "--deny", "everything"]);
    assert_eq!(run.code, Some(2));
    let run = atlas_kb(&["check", "--root", clean, "--format", "xml"]);
    assert_eq!(run.code, Some(2));
}

// ---------------------------------------------------------------------------------------------
// The real vault beside the project.

#[test]
fn real_vault_ai_redteam_kb() {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpora/ai-redteam-kb"
    ));
    if !root.is_dir() {
        eprintln!(
            "skipped real_vault_ai_redteam_kb: {} does not exist",
            root.display()
        );
        return;
    }
    let run = check_json(root, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let found = run.diagnostics();
    assert_eq!(
        crate::support::counts_by_code(&found),
        BTreeMap::from([
            // 394 before the vocabulary knew `Procedure Examples` and labelled lines
            // (`- **Mitigated by**: [[x]]`): 15 false ones went, 20 real ones came.
            ("asymmetric-relation", 399),
            ("broken-anchor", 218),
            ("broken-link", 15),
            ("label-id-mismatch", 77),
            ("malformed-link", 4),
            ("missing-parent-page", 20),
            ("table-pipe", 102),
        ])
    );

    // Each of these was checked by reading the files.
    let expect = |at: &str, message: &str, help: Option<&str>| {
        let d = find(&found, at);
        assert_eq!(
            (d.message.as_str(), d.help.as_deref()),
            (message, help),
            "{at}"
        );
    };
    // Index links that name a folder twice: `tactics/tactics` is no page.
    expect(
        "broken-link frameworks/atlas/MITRE-ATLAS.md:18:5",
        "no page matches `frameworks/atlas/tactics/tactics`",
        Some("`frameworks/atlas/tactics/` is a folder of 16 pages; no page is named `tactics`"),
    );
    expect(
        "broken-link frameworks/atlas/MITRE-ATLAS.md:19:5",
        "no page matches `frameworks/atlas/techniques/techniques`",
        Some("`frameworks/atlas/techniques/` is a folder of 151 pages; no page is named `techniques`"),
    );
    expect(
        "broken-link frameworks/atlas/MITRE-ATLAS.md:29:10",
        "no page matches `frameworks/atlas/case-studies/case-studies`",
        Some("`frameworks/atlas/case-studies/` is a folder of 52 pages; no page is named `case-studies`"),
    );
    expect(
        "broken-link frameworks/atlas/examples.md:245:9",
        "no page matches `frameworks/atlas/tactics/tactics`",
        Some("`frameworks/atlas/tactics/` is a folder of 16 pages; no page is named `tactics`"),
    );
    // A template's placeholders and its `[[techniques/|...]]` folder link.
    expect(
        "broken-link _templates/TEMPLATE-control-page-format.md:21:5",
        "no page matches `{issue-slug}`",
        None,
    );
    expect(
        "broken-link _templates/TEMPLATE-control-page-format.md:25:1",
        "no page matches `techniques/`",
        Some("`techniques/` is a folder of 90 pages; a link must name one of them"),
    );
    // `<sup>[[7]](https://...)</sup>`: a footnote written as a wiki link, far into the line.
    expect(
        "broken-link frameworks/atlas/case-studies/bypassing-id-me-identity-verification.md:35:213",
        "no page matches `7`",
        None,
    );
    // `**trust-boundaries-overview|Trust Boundaries]]**`: the `[[` was lost.
    expect(
        "malformed-link README.md:31:5",
        "`]]` closes a wiki link that was never opened",
        Some("add the missing `[[` before the link target"),
    );
    // `source: [[sources/bibliography#...]]` unquoted in front matter.
    expect(
        "malformed-link mitigations/owasp-llm-mitigation-strategies.md:14:9",
        "unquoted wiki link in front matter is a YAML nested list, not a link",
        Some("quote it: \"[[sources/bibliography#AI-Native LLM Security']]\""),
    );
    // A GitHub slug in a wiki link: stripHeading keeps `-`, so it is no heading.
    expect(
        "broken-anchor frameworks/threat-modeling.md:90:44",
        "`techniques/prompt-injection` has no heading `indirect-prompt-injection`",
        Some("did you mean `#Indirect Prompt Injection`?"),
    );
    // Book titles appear in the bibliography's table, not as headings.
    expect(
        "broken-anchor case-studies/cloud-api-transfer-attack.md:150:5",
        "`sources/bibliography` has no heading `Red-Teaming AI`",
        None,
    );
    expect(
        "broken-anchor frameworks/threat-modeling.md:141:5",
        "`sources/bibliography` has no heading `Developer's Playbook for LLM Security`",
        None,
    );
    // The label names the parent technique; the link goes to a sub-technique.
    expect(
        "label-id-mismatch frameworks/atlas/mitigations/verify-ai-artifacts.md:28:3",
        "label names `AML.T0011` but the link goes to `AML.T0011.000` (`frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-AI-artifacts`)",
        Some("no page has `AML.T0011`"),
    );
    // No page has the ID `AML.T0011`; its sub-techniques' folder names the generated parent.
    expect(
        "missing-parent-page frameworks/atlas/techniques/execution/user-execution/user-execution-malicious-link.md:3:1",
        "no page has the parent technique `AML.T0011` of `AML.T0011.003`",
        Some("a page is generated at `frameworks/atlas/techniques/execution/user-execution.md`; write one with `title: \"AML.T0011: User Execution\"` to replace it"),
    );
    // Relations listed on one side only: a technique's Mitigations table, a mitigation's
    // Defends Against table, a case study's Procedure step.
    expect(
        "asymmetric-relation techniques/embedding-poisoning.md:59:5",
        "`techniques/embedding-poisoning` lists `mitigations/input-validation-transformation` under Mitigations, but `mitigations/input-validation-transformation` does not list it back",
        Some("add `[[techniques/embedding-poisoning]]` to the Techniques section of `mitigations/input-validation-transformation.md`"),
    );
    expect(
        "asymmetric-relation mitigations/cryptographic-model-verification.md:25:15",
        "`mitigations/cryptographic-model-verification` lists `techniques/supply-chain-model-poisoning` under Defends Against, but `techniques/supply-chain-model-poisoning` does not list it back",
        Some("add `[[mitigations/cryptographic-model-verification]]` to the Mitigations section of `techniques/supply-chain-model-poisoning.md`"),
    );
    expect(
        "asymmetric-relation frameworks/atlas/case-studies/virustotal-poisoning.md:30:16",
        "`frameworks/atlas/case-studies/virustotal-poisoning` lists `frameworks/atlas/techniques/ai-attack-staging/craft-adversarial-data/craft-adversarial-data-white-box-optimization` under Procedure, but `frameworks/atlas/techniques/ai-attack-staging/craft-adversarial-data/craft-adversarial-data-white-box-optimization` does not list it back",
        Some("add `[[frameworks/atlas/case-studies/virustotal-poisoning]]` to the Case Studies section of `frameworks/atlas/techniques/ai-attack-staging/craft-adversarial-data/craft-adversarial-data-white-box-optimization.md`"),
    );
    expect(
        "table-pipe frameworks/threat-modeling.md:71:32",
        "unescaped `|` in a wiki link inside a table splits the cell",
        Some("write the pipe as `\\|` inside tables"),
    );

    // And what must not be reported: the bibliography does have `### AI-Native LLM Security`,
    // and the `javascript:` links of the vault all sit in code.
    assert!(!found
        .iter()
        .any(|d| d.code == "broken-anchor" && d.message.contains("`AI-Native LLM Security")));
    assert!(!found.iter().any(|d| d.code == "unsafe-link"));

    // The human report of the DESIGN.md example, exactly.
    let human = atlas_kb(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(human.code, Some(1));
    let block = "\
error[broken-link]: no page matches `frameworks/atlas/tactics/tactics`
  --> frameworks/atlas/MITRE-ATLAS.md:18:5
   |
18 | - **[[frameworks/atlas/tactics/tactics|Tactics]]**: High-level adversary goals and objectives (16 tactics)
   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: `frameworks/atlas/tactics/` is a folder of 16 pages; no page is named `tactics`
";
    assert!(human.stdout.contains(block), "missing:\n{block}");
    assert!(human
        .stdout
        .contains("checked 561 pages: 237 errors, 598 warnings\n"));
}

/// Pages reach the graph in path order (byte order of their `/`-separated paths), however
/// the walk met them and whichever thread parsed them: `a-b.md` comes before `a/b.md`,
/// although the walk enters folder `a` first.
#[test]
fn pages_come_out_in_path_order() {
    let dir = TempDir::new("path-order");
    let mut written = Vec::new();
    for folder in ["a", "a-b", "b", "b/c", "z"] {
        for name in ["a.md", "a-b.md", "m.md", "z.md"] {
            let path = format!("{folder}/{name}");
            let file = dir.path().join(&path);
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("create folder");
            std::fs::write(&file, "# Page\n").expect("write page");
            written.push(path);
        }
    }
    written.push("a.md".to_string());
    std::fs::write(dir.path().join("a.md"), "# Page\n").expect("write page");
    written.sort();
    for root in [
        dir.path().to_path_buf(),
        crate::support::project().join("content"),
    ] {
        let graph = graph_of(&root);
        let paths: Vec<&str> = graph
            .pages
            .iter()
            .filter(|p| !p.generated)
            .map(|p| p.source.path.as_str())
            .collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted, "pages of {}", root.display());
        if root == dir.path() {
            assert_eq!(paths, written);
        }
    }
}

/// A vault of many folders loads whole under a low limit on open files: the walk holds
/// folder handles only within a share of the limit, and pages past it open by full path.
#[cfg(unix)]
#[test]
fn many_folders_load_whole_under_a_low_open_file_limit() {
    let dir = TempDir::new("open-file-limit");
    for i in 0..300 {
        let folder = dir.path().join(format!("d{i:03}/sub"));
        std::fs::create_dir_all(&folder).expect("create folder");
        let page = format!("# P{i}\n\nSee [[d{i:03}/sub/q]].\n");
        std::fs::write(dir.path().join(format!("d{i:03}/p.md")), page).expect("write page");
        let back = format!("# Q{i}\n\nBack to [[d{i:03}/p]].\n");
        std::fs::write(folder.join("q.md"), back).expect("write page");
    }
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 24 && exec \"$0\" check --root \"$1\" --format json")
        .arg(env!("CARGO_BIN_EXE_atlas-kb"))
        .arg(dir.path())
        .output()
        .expect("sh runs");
    let run = crate::support::Run {
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code(),
    };
    assert_eq!(run.diagnostics(), vec![], "{}", run.stderr);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("checked 600 pages"), "{}", run.stderr);
}

/// The shipped knowledge base: `check` reports nothing at all, and it covers what the
/// project promises (every tactic, 40+ techniques, 12+ mitigations, 6+ case studies with
/// procedures, and the seed page's relations).
#[test]
fn shipped_content_checks_clean_and_covers_every_tactic() {
    use atlas_kb::graph::{PageKind, RelationKind};
    let content = crate::support::project().join("content");
    let run = check_json(&content, &["--level", "orphan-page=off"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.diagnostics(), vec![]);

    let graph = load_graph(&content).expect("load content/");
    let count = |kind| graph.pages.iter().filter(|p| p.kind == kind).count();
    assert_eq!(count(PageKind::Tactic), 16);
    assert!(count(PageKind::Technique) + count(PageKind::SubTechnique) >= 40);
    assert!(count(PageKind::Mitigation) >= 12);
    assert!(count(PageKind::CaseStudy) >= 6);
    for (i, page) in graph.pages.iter().enumerate() {
        if page.kind == PageKind::Tactic {
            let techniques = graph
                .relations_of(atlas_kb::graph::PageId(i))
                .filter(|r| r.kind == RelationKind::TechniqueTactic)
                .count();
            assert!(techniques > 0, "{} has no technique", page.title());
        }
        if page.kind == PageKind::CaseStudy {
            let steps = page
                .source
                .headings
                .iter()
                .filter(|h| h.text.starts_with("Step "))
                .count();
            assert!(steps > 0, "{} has no procedure", page.title());
        }
    }

    // AML.T0011.000 carries the seed page's relations.
    let seed = graph.by_id[&atlas_kb::graph::AtlasId::parse("AML.T0011.000").unwrap()];
    let mut related: Vec<String> = graph
        .relations_of(seed)
        .map(|r| graph.page(r.other).title().into_owned())
        .collect();
    related.sort();
    assert_eq!(
        related,
        [
            "AML.CS0027: Organization Confusion on Hugging Face",
            "AML.CS0031: Malicious Models on Hugging Face",
            "AML.M0011: Restrict Library Loading",
            "AML.M0013: Code Signing",
            "AML.M0014: Verify AI Artifacts",
            "AML.M0016: Vulnerability Scanning",
            "AML.M0018: User Training",
            "AML.M0023: AI Bill of Materials",
            "AML.TA0005: Execution",
        ]
    );
}
