//! `atlas-kb build`: the site on disk, read as a browser would.

use crate::site::Site;
use crate::support::{
    atlas_kb, atlas_kb_in, check_json, copy_fixture, fixture, project, read_tree, shared, TempDir,
};
use std::fs;

pub fn build(root: &std::path::Path, out: &std::path::Path) -> Site {
    let run = atlas_kb(&[
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "build failed: {}", run.stderr);
    Site::read(out)
}

#[test]
fn fixture_site_links_land_on_files_and_ids() {
    let tmp = TempDir::new("site-basic");
    let out = tmp.path().join("out");
    let site = build(&fixture("site-basic"), &out);
    assert_eq!(site.dead_links(), Vec::<(String, String, &str)>::new());

    let page = "notes/overview.html";
    let wiki = site.links(page, "article a.wikilink");
    let expect = [
        (
            "../techniques/poison/poison-training-data.html",
            "poison-training-data",
        ),
        ("#details", "Details"),
        ("#^key-fact", "^key-fact"),
        ("#^key-fact", "^Key-Fact"),
        (
            "../techniques/poison/poison-training-data.html#why-it-works",
            "poison-training-data › Mitigations (1) › Why it works",
        ),
        (
            "../techniques/poison/poison-training-data.html",
            "Poison training data",
        ),
        ("#details", "Back to the details"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(h, t)| (h.to_string(), t.to_string()))
        .collect();
    assert_eq!(wiki, expect);

    let html = String::from_utf8_lossy(&site.files[page]).into_owned();
    // A paragraph of one wiki link is still a paragraph.
    assert!(
        html.contains(r##"<p><a class="wikilink" href="#details">Back to the details</a></p>"##)
    );
    // Markdown links are rewritten to the page, external ones kept, unsafe ones dropped.
    assert!(html.contains(r#"<a href="../techniques/poison/poison-training-data.html#why-it-works">a markdown link</a>"#));
    assert!(html.contains(r#"<a href="https://example.org/atlas">outside link</a>"#));
    assert!(!html.contains("javascript:"), "an unsafe link survived");
    assert!(html.contains("unsafe one"));
    // Raw HTML: harmless tags stay; a script tag is shown as text (an unclosed one would
    // otherwise swallow the rest of the page).
    assert!(html.contains("<sup>kept</sup>"));
    assert!(html.contains("&lt;script&gt;alert"));
    assert!(!html.contains("<script>alert"));
    // A remote image would be fetched by every reader (leaking what its URL carries): it is
    // a link instead.
    assert_eq!(site.network_resources(), Vec::<(String, String)>::new());
    assert_eq!(
        site.links(page, "a.remote-image"),
        vec![(
            "https://example.org/pixel.png?data=secret".to_string(),
            "a remote pixel".to_string()
        )]
    );
    // The embed of an image becomes an <img> of the copied file.
    assert!(html.contains(r#"<img src="../img/diagram.svg" alt="diagram.svg">"#));
    assert!(site.files.contains_key("img/diagram.svg"));
    // Repeated headings get distinct GitHub-style ids; the block marker is an element.
    assert!(html.contains(r#"<h2 id="details">"#) && html.contains(r#"<h2 id="details-1">"#));
    assert!(html.contains(r#"id="^key-fact""#));
    // GFM extensions: tables, task lists, strikethrough, footnotes.
    assert!(html.contains("<table>") && html.contains("<del>strike</del>"));
    assert!(html.contains(r#"type="checkbox""#) && html.contains("footnote-definition"));

    // Broken links are marked text, with check's message, never live links.
    assert_eq!(
        site.broken_links(),
        vec![
            (
                page.to_string(),
                "`techniques/poison/poison-training-data` has no heading `No Such Heading`"
                    .to_string()
            ),
            (
                page.to_string(),
                "no page matches `no-such-page`".to_string()
            ),
        ]
    );
}

#[test]
fn pages_show_relations_parents_and_backlinks() {
    let tmp = TempDir::new("site-rel");
    let site = build(&fixture("site-basic"), &tmp.path().join("out"));
    let technique = "techniques/poison/poison-training-data.html";
    // The body lists tactic and mitigation, and the sub-techniques table the sub-technique:
    // the related panel has nothing left to add. Backlinks leave out pages already shown.
    assert_eq!(site.links(technique, ".relations a"), vec![]);
    assert_eq!(
        site.links(technique, ".family a"),
        vec![(
            "poison-training-data-label-flip.html".to_string(),
            "Label Flipping".to_string()
        )]
    );
    let referenced = site.links(technique, ".backlinks a");
    assert_eq!(
        referenced,
        vec![
            ("../../index.html".to_string(), "Fixture home".to_string()),
            (
                "../../notes/overview.html".to_string(),
                "Overview".to_string()
            ),
        ]
    );
    // A sub-technique names its parent.
    let sub = site.links(
        "techniques/poison/poison-training-data-label-flip.html",
        ".page-kind a",
    );
    assert_eq!(
        sub,
        vec![(
            "poison-training-data.html".to_string(),
            "AML.T0020: Poison Training Data".to_string()
        )]
    );
    // ATLAS routes are redirects to the page.
    let redirect = String::from_utf8_lossy(&site.files["techniques/AML.T0020.html"]).into_owned();
    assert!(
        redirect.contains(r#"url=poison/poison-training-data.html""#),
        "{redirect}"
    );
    for route in [
        "tactics/AML.TA0006.html",
        "mitigations/AML.M0007.html",
        "techniques/AML.T0020.001.html",
    ] {
        assert!(site.files.contains_key(route), "missing route {route}");
    }
    // The home page holds the root index.md, with its route link resolved.
    let home = site.links("index.html", ".body a");
    assert!(
        home.contains(&(
            "techniques/poison/poison-training-data.html".to_string(),
            "poisoning technique".to_string()
        )),
        "{home:?}"
    );
    // Lists, tags, matrix, 404 and the search index exist.
    for file in [
        "matrix.html",
        "list/techniques.html",
        "list/notes.html",
        "tags/index.html",
        "tags/guide.html",
        "tags/type-note.html",
        "404.html",
        "_atlas/search/docs.js",
        "_atlas/search/t/0.js",
        "_atlas/search/p/0.js",
        "_atlas/style.css",
        "_atlas/search.js",
    ] {
        assert!(site.files.contains_key(file), "missing {file}");
    }
    // Each technique in the matrix shows its ID and maturity under its name, and its
    // sub-techniques fold under it.
    let matrix = site.links("matrix.html", ".matrix a");
    assert_eq!(
        matrix.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        [
            "Persistence",
            "Poison Training Data AML.T0020 realized",
            "Label Flipping AML.T0020.001"
        ]
    );
    assert_eq!(
        site.links("matrix.html", ".matrix details .subs a"),
        vec![(
            "techniques/poison/poison-training-data-label-flip.html".to_string(),
            "Label Flipping AML.T0020.001".to_string()
        )]
    );
    // The header reaches every list, sub-techniques and notes included.
    assert_eq!(
        site.links("matrix.html", ".site-nav a"),
        [
            ("matrix.html", "Matrix"),
            ("list/tactics.html", "Tactics"),
            ("list/techniques.html", "Techniques"),
            ("list/sub-techniques.html", "Sub-techniques"),
            ("list/mitigations.html", "Mitigations"),
            ("list/case-studies.html", "Case Studies"),
            ("list/notes.html", "Notes"),
            ("tags/index.html", "Tags"),
        ]
        .map(|(href, text)| (href.to_string(), text.to_string()))
    );
}

#[test]
fn shipped_content_builds_with_every_link_alive() {
    let tmp = TempDir::new("content");
    let out = tmp.path().join("public");
    let site = build(&project().join("content"), &out);
    assert_eq!(site.dead_links(), Vec::<(String, String, &str)>::new());
    assert_eq!(site.broken_links(), Vec::<(String, String)>::new());
    let unsafe_artifacts = "frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.html";
    let links = site.links(unsafe_artifacts, ".body a");
    for expected in [
        "../../../tactics/execution.html",
        "../../../mitigations/code-signing.html",
        "../../../case-studies/malicious-models-on-hugging-face.html",
        "../../initial-access/ai-supply-chain-compromise.html",
    ] {
        assert!(
            links.iter().any(|(h, _)| h == expected),
            "{unsafe_artifacts} lacks a link to {expected}: {links:?}"
        );
    }
    let docs = String::from_utf8_lossy(&site.files["_atlas/search/docs.js"]).into_owned();
    assert!(docs.starts_with(r#"atlasSearchData("docs",0,{"shards":"#));
    assert!(docs.contains(
        r#"["frameworks/atlas/techniques/execution/user-execution/user-execution-unsafe-ai-artifacts.html","AML.T0011.000: Unsafe AI Artifacts","Sub-technique"]"#
    ));
    // No page pulls anything from the network.
    assert_eq!(site.network_resources(), Vec::<(String, String)>::new());
}

#[test]
fn two_builds_give_identical_bytes() {
    let tmp = TempDir::new("determinism");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&project().join("content"), &a);
    build(&project().join("content"), &b);
    assert_same_files(&b, &a);
}

/// The same files with the same bytes in both folders.
fn assert_same_files(actual: &std::path::Path, expected: &std::path::Path) {
    let (actual, expected) = (read_tree(actual), read_tree(expected));
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &expected {
        assert!(bytes == &actual[path], "{path} differs");
    }
}

#[test]
fn rebuild_reuses_unchanged_files_and_equals_a_fresh_build() {
    use std::os::unix::fs::MetadataExt;
    let (tmp, vault) = copy_fixture("site-basic");
    let out = tmp.path().join("out");
    build(&vault, &out);
    let inode = |rel: &str| fs::metadata(out.join(rel)).unwrap().ino();
    let (asset, page, changed) = (
        inode("img/diagram.svg"),
        inode("mitigations/sanitize.html"),
        inode("notes/overview.html"),
    );
    let note = vault.join("notes/overview.md");
    let text = fs::read_to_string(&note).unwrap();
    fs::write(&note, format!("{text}\nA line added before the rebuild.\n")).unwrap();

    build(&vault, &out);
    // Files whose bytes did not change are the previous build's files, linked, not rewritten.
    assert_eq!(inode("img/diagram.svg"), asset);
    assert_eq!(inode("mitigations/sanitize.html"), page);
    assert_ne!(inode("notes/overview.html"), changed);
    let html = fs::read_to_string(out.join("notes/overview.html")).unwrap();
    assert!(html.contains("A line added before the rebuild."));
    // The result is exactly what a build into a fresh folder writes.
    let fresh = tmp.path().join("fresh");
    build(&vault, &fresh);
    assert_same_files(&out, &fresh);
    // Nothing is left beside the output: no staging folder, no previous build.
    let mut beside: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["fresh", "out", "vault"]);
}

#[test]
fn rebuild_keeps_nothing_added_to_the_output_or_removed_from_the_content() {
    use std::os::unix::fs::MetadataExt;
    let (tmp, vault) = copy_fixture("site-basic");
    let scratch = vault.join("notes/scratch.md");
    fs::write(
        &scratch,
        "# Scratch\n\nA page that goes before the rebuild.\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    build(&vault, &out);
    assert!(out.join("notes/scratch.html").is_file());
    let inode = |rel: &str| fs::metadata(out.join(rel)).unwrap().ino();
    let (asset, note) = (inode("img/diagram.svg"), inode("notes/overview.html"));
    // Added by hand: a file beside the build's own, an empty folder, a file further down.
    fs::write(out.join("img/mine.txt"), "mine").unwrap();
    fs::create_dir(out.join("img/empty")).unwrap();
    fs::create_dir(out.join("techniques/own")).unwrap();
    fs::write(out.join("techniques/own/page.html"), "own").unwrap();
    // Removed from the content: the other page in its folder stays the same.
    fs::remove_file(&scratch).unwrap();

    build(&vault, &out);
    for gone in [
        "img/mine.txt",
        "img/empty",
        "techniques/own",
        "notes/scratch.html",
    ] {
        assert!(!out.join(gone).exists(), "{gone} is still in the output");
    }
    // The files that stayed the same are still kept, each on its own.
    assert_eq!(inode("img/diagram.svg"), asset);
    assert_eq!(inode("notes/overview.html"), note);
    let fresh = tmp.path().join("fresh");
    build(&vault, &fresh);
    assert_same_files(&out, &fresh);
}

#[test]
fn rebuild_trusts_the_marker_only_for_files_unchanged_since() {
    use std::os::unix::fs::MetadataExt;
    let (tmp, vault) = copy_fixture("site-basic");
    let out = tmp.path().join("out");
    build(&vault, &out);
    let marker = fs::read_to_string(out.join(".atlas-kb-build")).unwrap();
    let listed: Vec<&str> = marker.lines().skip(1).collect();
    assert!(listed.iter().any(|l| l.ends_with(" notes/overview.html")));
    assert!(listed.iter().any(|l| l.ends_with(" img/diagram.svg")));
    let mut sorted = listed.clone();
    sorted.sort_by_key(|l| l.splitn(3, ' ').nth(2).map(str::to_string));
    assert_eq!(listed, sorted, "the list is sorted by path");

    // A page edited by hand in the output, at the same size: the next build puts it right.
    let edited = out.join("mitigations/sanitize.html");
    let original = fs::read(&edited).unwrap();
    let mut changed = original.clone();
    let at = changed.iter().position(|&b| b == b'<').unwrap() + 1;
    changed[at] = if changed[at] == b'x' { b'y' } else { b'x' };
    fs::write(&edited, &changed).unwrap();
    build(&vault, &out);
    assert_eq!(fs::read(&edited).unwrap(), original);

    // For an untouched file, the list decides: one whose listed digest is not that of the
    // new bytes is written anew even though the bytes on disk are the same.
    let inode = |rel: &str| fs::metadata(out.join(rel)).unwrap().ino();
    let (kept, relisted) = (inode("img/diagram.svg"), inode("notes/overview.html"));
    let marker = fs::read_to_string(out.join(".atlas-kb-build")).unwrap();
    let wrong: String = marker
        .lines()
        .map(|l| match l.strip_suffix(" notes/overview.html") {
            Some(rest) => format!("{}{} notes/overview.html\n", "0".repeat(32), &rest[32..]),
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(wrong, marker);
    // The list speaks only for files older than the marker by at least one tick of the file
    // system's clock, and the build's last step changes some files' status.
    std::thread::sleep(std::time::Duration::from_millis(50));
    fs::write(out.join(".atlas-kb-build"), wrong).unwrap();
    build(&vault, &out);
    assert_eq!(inode("img/diagram.svg"), kept);
    assert_ne!(inode("notes/overview.html"), relisted);
}

#[test]
fn site_templates_and_static_files_override_the_built_ins() {
    let tmp = TempDir::new("override");
    let site_dir = tmp.path().join("site");
    fs::create_dir_all(site_dir.join("templates")).unwrap();
    fs::create_dir_all(site_dir.join("static")).unwrap();
    fs::write(
        site_dir.join("templates/404.html"),
        "custom not-found {{ root }}",
    )
    .unwrap();
    // The matrix's columns reach a template as values it may show in any order, any
    // number of times.
    fs::write(
        site_dir.join("templates/matrix.html"),
        "n={{ columns | length }} {{ columns[0] | safe }}|{{ columns[0] | safe }}",
    )
    .unwrap();
    fs::write(site_dir.join("static/style.css"), "body { color: teal }").unwrap();
    fs::write(site_dir.join("static/extra.txt"), "extra").unwrap();
    let out = tmp.path().join("out");
    let root = fixture("site-basic");
    let run = atlas_kb_in(
        &site_dir,
        &[
            "build",
            "--root",
            root.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let files = read_tree(&out);
    // At the site's root, `root` is empty: links from there are relative as they are.
    assert_eq!(files["404.html"], b"custom not-found ");
    assert_eq!(files["_atlas/style.css"], b"body { color: teal }");
    assert_eq!(files["_atlas/extra.txt"], b"extra");
    let matrix = String::from_utf8_lossy(&files["matrix.html"]).into_owned();
    let (first, second) = matrix
        .strip_prefix("n=1 ")
        .unwrap()
        .split_once('|')
        .unwrap();
    assert_eq!(first, second);
    assert!(
        first.contains("Persistence") && first.contains("Poison Training Data"),
        "{first}"
    );
    // Templates not overridden are still the built-ins.
    assert!(String::from_utf8_lossy(&files["list/techniques.html"]).contains("class=\"list\""));
}

#[test]
fn unsafe_output_folders_are_refused_and_nothing_is_deleted() {
    let (tmp, vault) = copy_fixture("site-basic");
    let foreign = tmp.path().join("foreign");
    fs::create_dir_all(&foreign).unwrap();
    fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let v = vault.to_str().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (v.to_string(), "inside the content root"),
        (format!("{v}/public"), "inside the content root"),
        (
            tmp.path().to_str().unwrap().to_string(),
            "holds the content root",
        ),
        (
            foreign.to_str().unwrap().to_string(),
            "not written by atlas-kb build",
        ),
        ("/".to_string(), "file system root"),
        (".".to_string(), "holds the current (project) folder"),
    ];
    let cwd = tmp.path().join("cwd");
    fs::create_dir_all(&cwd).unwrap();
    fs::write(cwd.join("Cargo.toml"), "[package]").unwrap();
    let before = read_tree(tmp.path());
    for (out, reason) in &cases {
        let run = atlas_kb_in(&cwd, &["build", "--root", v, "--out", out]);
        assert_eq!(
            run.code,
            Some(2),
            "--out {out} was not refused: {}",
            run.stderr
        );
        assert!(run.stderr.contains(reason), "--out {out}: {}", run.stderr);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let run = atlas_kb_in(
            &cwd,
            &["build", "--root", v, "--out", home.to_str().unwrap()],
        );
        assert_eq!(run.code, Some(2), "$HOME was not refused: {}", run.stderr);
    }
    assert_eq!(
        read_tree(tmp.path()),
        before,
        "a refused build changed files"
    );

    // A folder an earlier build marked is replaced as a whole.
    let out = tmp.path().join("site");
    build(&vault, &out);
    fs::write(out.join("stale.html"), "old").unwrap();
    build(&vault, &out);
    assert!(!out.join("stale.html").exists());
    assert!(out.join("index.html").exists());
}

#[test]
fn strict_build_fails_on_content_errors_but_still_writes() {
    let tmp = TempDir::new("strict");
    let out = tmp.path().join("out");
    let root = fixture("site-basic");
    let args = [
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let lenient = atlas_kb(&args);
    assert_eq!(lenient.code, Some(0));
    assert!(lenient
        .stderr
        .contains("error[broken-link]: no page matches `no-such-page`"));
    let strict = atlas_kb(&[&args[..], &["--strict"]].concat());
    assert_eq!(strict.code, Some(1));
    assert!(out.join("notes/overview.html").exists());
}

#[test]
fn real_vault_builds_and_broken_links_match_check() {
    let Some(vault) = shared(
        "corpora/ai-redteam-kb",
        "real_vault_builds_and_broken_links_match_check",
    ) else {
        return;
    };
    let tmp = TempDir::new("vault");
    let out = tmp.path().join("site");
    let site = build(&vault, &out);
    let pages = site.files.keys().filter(|p| p.ends_with(".html")).count();
    let markdown = read_tree(&vault)
        .keys()
        .filter(|p| p.ends_with(".md") && !p.starts_with('.'))
        .count();
    assert_eq!(markdown, 561);
    // Every page (561), the 20 generated parents, and the generated index pages.
    let content_pages = site
        .files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .filter(|p| {
            vault
                .join(p.trim_end_matches(".html").to_string() + ".md")
                .exists()
        })
        .count();
    assert_eq!(content_pages, 561, "of {pages} html files");
    assert_eq!(site.dead_links(), Vec::<(String, String, &str)>::new());
    assert_eq!(site.network_resources(), Vec::<(String, String)>::new());

    let reported = check_json(&vault, &[]).diagnostics();
    let mut expected: Vec<(String, String)> = reported
        .iter()
        .filter(|d| {
            matches!(
                d.code.as_str(),
                "broken-link" | "broken-anchor" | "unknown-id"
            ) || (d.code == "malformed-link" && d.message.contains("route"))
        })
        .map(|d| {
            let html = format!("{}.html", d.path.trim_end_matches(".md"));
            (html, d.message.clone())
        })
        .collect();
    expected.sort();
    assert_eq!(site.broken_links(), expected);
}

/// Each folder in a breadcrumb links to a page listing that folder: a generated one, or the
/// folder's own `index.md`; a folder whose index the build writes for something else (the
/// tags' index) stays unlinked, and nothing replaces the generated page.
#[test]
fn breadcrumbs_link_folder_pages() {
    let tmp = TempDir::new("folders");
    let site = build(&fixture("site-basic"), &tmp.path().join("out"));
    let sub = "techniques/poison/poison-training-data-label-flip.html";
    assert_eq!(
        site.links(sub, ".breadcrumb a"),
        [
            ("../../index.html", "Home"),
            ("../index.html", "techniques"),
            ("index.html", "poison"),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    assert_eq!(
        site.links("techniques/index.html", ".folder-list a"),
        vec![("poison/index.html".to_string(), "poison/".to_string())]
    );
    assert_eq!(
        site.texts("techniques/index.html", ".folder-list li"),
        ["poison/ 2 pages"]
    );
    assert_eq!(
        site.links("techniques/poison/index.html", "table.list a"),
        [
            ("poison-training-data.html", "Poison Training Data"),
            ("poison-training-data-label-flip.html", "Label Flipping"),
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    assert_eq!(
        site.links("techniques/poison/index.html", ".breadcrumb a"),
        [
            ("../../index.html", "Home"),
            ("../index.html", "techniques")
        ]
        .map(|(h, t)| (h.to_string(), t.to_string()))
    );

    let dir = TempDir::new("folder-index");
    dir.write(
        "kb/guides/index.md",
        "# Guides\n\nThe team's own guide index.\n",
    );
    dir.write("kb/guides/first.md", "# First\n");
    dir.write("kb/tags/about-tags.md", "# About tags\n");
    // Folders that differ only in case would share one page: the first keeps it.
    dir.write("kb/team/Notes/x.md", "# X\n");
    dir.write("kb/team/notes/y.md", "# Y\n");
    let site = build(&dir.path().join("kb"), &dir.path().join("out"));
    assert_eq!(
        site.links("guides/first.html", ".breadcrumb a"),
        [("../index.html", "Home"), ("index.html", "guides")]
            .map(|(h, t)| (h.to_string(), t.to_string()))
    );
    assert!(site.files.contains_key("guides/index.html"));
    assert_eq!(site.texts("guides/index.html", "h1"), ["Guides"]);
    assert_eq!(
        site.links("tags/about-tags.html", ".breadcrumb a"),
        vec![("../index.html".to_string(), "Home".to_string())]
    );
    assert_eq!(site.texts("tags/index.html", "h1"), ["Tags"]);
    assert_eq!(
        site.texts("team/index.html", ".folder-list li"),
        ["Notes/ 1 page", "notes/ 1 page"]
    );
    assert_eq!(
        site.links("team/index.html", ".folder-list a"),
        vec![("Notes/index.html".to_string(), "Notes/".to_string())]
    );
}
