//! Pages that try to exhaust the tool: time, memory and output stay linear in the input.

use crate::support::{atlas_kb, TempDir};

/// The summary's diagnostic count: `checked N pages: E errors, W warnings`.
fn reported(summary: &str) -> usize {
    let line = summary
        .lines()
        .find(|l| l.starts_with("checked "))
        .unwrap_or_else(|| panic!("no summary in {summary}"));
    let count = |what: &str| -> usize {
        let before = line.split(what).next().unwrap_or("");
        before
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {what} count in `{line}`"))
    };
    count(" error") + count(" warning")
}

/// One page per payload: a 1 MB line of `[[`, a 1 MB line of `[`, a table row of 70,000
/// wiki links, a line of 200,000 broken links. Each checks (human report) and builds; the
/// report holds a bounded window of each line, so it grows with the diagnostics, not with
/// them times the line.
#[test]
fn huge_lines_check_and_build_with_linear_output() {
    let links: Vec<String> = (0..70_000).map(|i| format!("[[x{i}|y]]")).collect();
    let payloads = [
        ("brackets", format!("# A\n\n{}\n", "[[".repeat(500_000))),
        ("open", format!("# B\n\n{}\n", "[".repeat(1_000_000))),
        (
            "table",
            format!("# C\n\n| a | b |\n|---|---|\n| {} | z |\n", links.join(" ")),
        ),
        ("broken", format!("# D\n\n{}\n", "[[a]] ".repeat(200_000))),
    ];
    for (name, page) in payloads {
        let dir = TempDir::new(&format!("huge-{name}"));
        dir.write(&format!("kb/{name}.md"), &page);
        let root = dir.path().join("kb");
        let run = atlas_kb(&["check", "--root", root.to_str().unwrap()]);
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        let diagnostics = reported(&run.stdout);
        // Heading, place, a window of at most 160 characters (two bytes each here), carets,
        // help: well under a kilobyte each.
        assert!(
            run.stdout.len() < 1_000 * diagnostics + 1_000,
            "{name}: {} bytes for {diagnostics} diagnostics",
            run.stdout.len()
        );
        // SARIF and a baseline read the text under each span: one index per line, not one
        // count per diagnostic.
        let sarif = atlas_kb(&[
            "check",
            "--root",
            root.to_str().unwrap(),
            "--format",
            "sarif",
        ]);
        assert_eq!(sarif.code, Some(1), "{name}: {}", sarif.stderr);
        let baseline = dir.path().join("baseline.json");
        let written = atlas_kb(&[
            "check",
            "--root",
            root.to_str().unwrap(),
            "--write-baseline",
            baseline.to_str().unwrap(),
        ]);
        assert_eq!(written.code, Some(0), "{name}: {}", written.stderr);
        let out = dir.path().join("site");
        let build = crate::support::build_into(&root, &out);
        assert_eq!(build.code, Some(0), "{name}: {}", build.stderr);
        let html = std::fs::metadata(out.join(format!("{name}.html"))).expect("page built");
        assert!(
            html.len() < 30 * page.len() as u64,
            "{name}: {} bytes",
            html.len()
        );
    }
}

/// `atlas-kb check … | head`: the reader goes away while the report is written. The run
/// ends quietly with the exit code of what it found (1: errors), never a panic (101); the
/// same with stderr closed too, and for `build`, whose site is still written.
#[test]
fn a_closed_pipe_ends_the_run_quietly_with_its_exit_code() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new("closed-pipe");
    // 70,000 broken links in a table with bare pipes: megabytes of report, far more than
    // a pipe holds, so the writes meet the closed pipe.
    let links: Vec<String> = (0..70_000).map(|i| format!("[[x{i}|y]]")).collect();
    dir.write(
        "kb/table.md",
        format!("# T\n\n| a | b |\n|---|---|\n| {} | z |\n", links.join(" ")),
    );
    let root = dir.path().join("kb");
    let out = dir.path().join("site");
    let runs: [(&[&str], i32); 3] = [
        (&["check"], 1),
        (&["check", "--format", "json"], 1),
        (&["build", "--out", out.to_str().unwrap()], 0),
    ];
    for (args, expected) in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atlas-kb"))
            .args(args)
            .args(["--root", root.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("atlas-kb runs");
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().expect("atlas-kb ends");
        assert_eq!(status.code(), Some(expected), "{args:?}");
    }
    assert!(out.join("table.html").is_file());
}

/// Every attribute of every page of a built site that can hold a URL holds a relative,
/// `http(s):` or `mailto:` one; no element but the theme's own script loads script; no
/// element has an event attribute. Returns what breaks that, as `page: what`.
pub fn active_content(site: &std::path::Path) -> Vec<String> {
    use scraper::{Html, Selector};
    const URL_ATTRIBUTES: &[&str] = &[
        "href",
        "src",
        "action",
        "formaction",
        "poster",
        "data",
        "cite",
        "background",
        "xlink:href",
        "srcset",
        "ping",
        "manifest",
        "icon",
    ];
    let all = Selector::parse("*").unwrap();
    let mut found = Vec::new();
    for (path, bytes) in crate::support::read_tree(site) {
        if !path.ends_with(".html") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let doc = Html::parse_document(&text);
        for element in doc.select(&all) {
            let element = element.value();
            for (name, value) in element.attrs() {
                let lower = name.to_ascii_lowercase();
                if lower.starts_with("on") {
                    found.push(format!("{path}: {name}={value:?}"));
                }
                let url_like = URL_ATTRIBUTES.contains(&lower.as_str())
                    || (lower == "content" && element.attr("http-equiv").is_some());
                let url = value.split_once("url=").map_or(value, |(_, u)| u);
                if url_like && !safe_url(url) {
                    found.push(format!("{path}: <{} {name}={value:?}>", element.name()));
                }
            }
            if element.name() == "script" {
                let theirs = element
                    .attr("src")
                    .is_some_and(|s| s.ends_with("_atlas/search.js"));
                if !theirs {
                    found.push(format!("{path}: a script element"));
                }
            }
            // The theme's search box is its one form.
            let theme_form = element.name() == "form" && element.attr("class") == Some("search");
            let embeds = matches!(
                element.name(),
                "iframe" | "object" | "embed" | "form" | "base"
            );
            if embeds && !theme_form {
                found.push(format!("{path}: <{}>", element.name()));
            }
        }
    }
    found
}

/// Relative, `http(s):` or `mailto:`, read as a browser reads the scheme. Written apart
/// from the library's classifier (as is this file's attribute list) on purpose: an oracle
/// that shares the code under test would share its mistakes.
fn safe_url(url: &str) -> bool {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match compact.split_once(':') {
        None => true,
        Some((scheme, _)) if scheme.contains(['/', '?', '#']) => true,
        Some((scheme, _)) => matches!(scheme, "http" | "https" | "mailto"),
    }
}

/// The payloads that got a live `javascript:` into pages before, and their kin: each is
/// text in the built site, or a safe link, and `check` reports the ones it can see.
#[test]
fn no_script_from_links_reaches_the_site() {
    let dir = TempDir::new("no-script-links");
    let page = "\
# Links that try to run script

[[target|`]] [a](javascript:alert(1)) `

<javascript:alert(2)>

[b][r] and [[[]]][r]

[r]: javascript:alert(3)

![i](javascript:alert(4))

| cell | other |
|---|---|
| [[target|b]] [c](javascript:alert(5)) | x |

[d](&#106;avascript:alert(6)) [e](<java\tscript:alert(7)>) [f](JAVASCRIPT:alert(8))
[g](data:text/html,<script>alert(9)</script>) [h](vbscript:alert(10)) [k](file:///etc/passwd)
<vbscript:alert(11)> ![j](data:image/svg+xml,<svg onload=alert(12)>)

[fine](https://example.org/) [mail](mailto:a@example.org) [[target]]
";
    dir.write("kb/links.md", page);
    dir.write("kb/target.md", "# Target\n");
    // A page whose name reads as a scheme, linked from the lists, search and backlinks.
    dir.write(
        "kb/javascript:alert(13).md",
        "# Named like a scheme\n\nSee [[links]].\n",
    );
    dir.write("kb/other.md", "# Other\n\n[[javascript:alert(13)]]\n");
    let root = dir.path().join("kb");
    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    assert_eq!(active_content(&out), Vec::<String>::new());
    let html = std::fs::read_to_string(out.join("links.html")).unwrap();
    // What remains of them is text.
    assert!(
        !html.to_ascii_lowercase().contains("=\"javascript"),
        "{html}"
    );
    assert!(html.contains("<p>javascript:alert(2)</p>"), "{html}");
    assert!(html.contains("href=\"https://example.org/\""));
    assert!(html.contains("href=\"mailto:a@example.org\""));
    let other = std::fs::read_to_string(out.join("other.html")).unwrap();
    assert!(
        other.contains("href=\"./javascript:alert(13).html\""),
        "{other}"
    );
    let docs = std::fs::read_to_string(out.join("_atlas/search/docs.js")).unwrap();
    assert!(
        docs.contains("[\"./javascript:alert(13).html\",\"Named like a scheme\",\"Note\"]"),
        "{docs}"
    );

    // `check` warns about each unsafe destination, where it is written (line 3's is inside
    // a code span that starts in the wiki link's label: text, not a link; line 19's image
    // has a space in its destination, so it is text and raw HTML).
    let run = crate::support::check_json(&root, &[]);
    let unsafe_links: Vec<(u32, u32)> = run
        .diagnostics()
        .iter()
        .filter(|d| d.code == "unsafe-link")
        .map(|d| (d.line, d.column))
        .collect();
    let expected = [
        (5, 1),
        (7, 1),
        (7, 18),
        (11, 1),
        (15, 16),
        (17, 1),
        (17, 31),
        (17, 59),
        (18, 1),
        (18, 47),
        (18, 71),
        (19, 1),
    ];
    assert_eq!(unsafe_links, expected, "{}", run.stdout);
}

/// Payloads everywhere else a page reaches the site: front matter, headings, relation
/// lists, step tables, footnotes, embeds of URLs, file and folder names. Every page the
/// build writes (lists, tags, redirects, search index included) is checked.
#[test]
fn no_script_from_front_matter_names_or_relations_reaches_the_site() {
    let dir = TempDir::new("no-script-elsewhere");
    dir.write("kb/techniques/t.md", r##"---
title: "AML.T0001: <script>alert('title')</script>"
id: "AML.T0001\"><svg onload=alert(1)>"
description: "</title><script>alert('desc')</script>"
tags: ["<img src=x onerror=alert('tag')>", "type/technique", "javascript:alert(1)"]
aliases: ["\"><script>alert('alias')</script>", "javascript:alert(2)"]
maturity: "<b onmouseover=alert(3)>x</b>"
created: "javascript:alert(4)"
url: "javascript:alert(5)"
tactics: ["[[javascript:alert(6)]]"]
---

# AML.T0001: <img src=x onerror=alert('h1')>

## <a href="javascript:alert(7)">Heading</a> <img src=x onerror=alert(8)>

Text ^<img-src=x>

## Mitigations

- [[mitigations/m|AML.M0001: <script>alert(9)</script>]] — "><svg/onload=alert(10)>
- [[javascript:alert(11)|AML.M0002: x]]

## Case Studies

| Step | Technique | Description |
|---|---|---|
| 1 | [[techniques/t\|<svg onload=alert(12)>]] | <img src=x onerror=alert(13)> |

See [[#<script>alert(14)</script>]] and [[t#^<img>]] and [[t#Heading]] and [^<script>].

[^<script>]: <iframe src=javascript:alert(15)>

![[https://evil.example/x.svg]] ![[javascript:alert(16)]] ![[data:image/svg+xml,<svg onload=alert(17)>]]
![x](//evil.example/pixel.png) [y](//evil.example) [z](\\evil.example\share)
<a href="  javascript:alert(18)">a</a> <a href="java&#x0A;script:alert(19)">b</a>
<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(20)">c</a>
<img src="x" srcset="javascript:alert(21) 1x"> <video poster=javascript:alert(22)></video>
<math><mtext><table><mglyph><style><img src=x onerror=alert(23)></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=alert(24)>"></noscript>
<svg><a xlink:href="javascript:alert(25)"><text>x</text></a></svg>
<details open ontoggle=alert(26)><summary>s</summary></details>
<meta http-equiv="refresh" content="0;url=javascript:alert(27)">
<base href="javascript:alert(28)//">
<object data="javascript:alert(29)"></object>
<a href="x" style="background:url(javascript:alert(30))">s</a>
<div style="x:expression(alert(31))">e</div>
<form action="javascript:alert(32)"><button formaction="javascript:alert(33)">b</button></form>
<table background="javascript:alert(34)"><tr><td>t</td></tr></table>
<a href="https://example.org" target="_blank">ok</a>
"##);
    dir.write(
        "kb/mitigations/m.md",
        r##"---
title: "AML.M0001: <script>alert('m')</script>"
---

# AML.M0001: Mit

## Techniques

- [[techniques/t|AML.T0001: x]] — </li><script>alert(35)</script>
"##,
    );
    dir.write(
        "kb/case-studies/cs.md",
        r##"---
title: "AML.CS0001: <svg onload=alert(37)>"
---
# AML.CS0001: CS

## Procedure

| Step | Tactic | Technique | Description |
|---|---|---|---|
| 1 | <script>alert(38)</script> | [[techniques/t\|AML.T0001]] | <img src=x onerror=alert(39)> |
"##,
    );
    dir.write(
        "kb/\"><img src=x onerror=alert(1)>/note<script>.md",
        "# Note \"><script>alert(36)</script>\n\n[[t]] [[m]]\n",
    );
    let root = dir.path().join("kb");
    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    assert_eq!(active_content(&out), Vec::<String>::new());
    let page = std::fs::read_to_string(out.join("techniques/t.html")).unwrap();
    for shown in [
        "<title>AML.T0001: &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; · ",
        // A backslash path would be read by browsers as `//evil.example`: it is no URL.
        r#"<span class="broken-link" title="no page matches `\evil.example\share`">z</span>"#,
        r#"<span class="broken-link" title="no page matches `javascript:alert(16)`">javascript:alert(16)</span>"#,
    ] {
        assert!(page.contains(shown), "`{shown}` is missing:\n{page}");
    }
    let notes = std::fs::read_to_string(out.join("list/notes.html")).unwrap();
    assert!(
        notes.contains(
            r#"<a href="../%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E/note%3Cscript%3E.html">Note &quot;&gt;&lt;script&gt;alert(36)&lt;/script&gt;</a>"#
        ),
        "{notes}"
    );
}

/// Raw HTML that tries to run script, load something or submit something: what is left is
/// the notes markup the allowlist keeps, and wiki links inside raw HTML are links.
#[test]
fn no_script_from_raw_html_reaches_the_site() {
    let dir = TempDir::new("no-script-html");
    let page = r#"# Raw HTML

<details open ontoggle="alert(1)"><summary>More [[target]]</summary>

Markdown *inside* a details block.

</details>

<img src=x onerror="alert(2)"> <svg onload="alert(3)"><circle/></svg>
<a href="jav&#x09;ascript:alert(4)">a</a> <a href="&#106;avascript:alert(5)">b</a>
<iframe src="https://example.org"></iframe><object data="x.swf"></object><embed src="x">
<base href="javascript:alert(6)//"><meta http-equiv="refresh" content="0;url=javascript:alert(7)">
<form action="javascript:alert(8)"><button formaction="javascript:alert(9)">go</button></form>
<style>@import 'javascript:alert(10)';</style><div style="background:url(javascript:alert(11))">d</div>
<math><mtext><table><mglyph><style><img src=x onerror=alert(12)></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=alert(13)>"></noscript>
<!--<script>alert(14)</script>--><script>alert(15)</script>
<img src="https://example.org/pixel.png?secret" alt="pixel"><img src="diagram.png" alt="ours">
<table><tr><td style="text-align: right">cell</td></tr></table> <kbd>Ctrl</kbd> x<sub>2</sub>
"#;
    dir.write("kb/html.md", page);
    dir.write("kb/target.md", "# Target\n");
    dir.write("kb/diagram.png", "png");
    let root = dir.path().join("kb");
    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    assert_eq!(active_content(&out), Vec::<String>::new());
    let html = std::fs::read_to_string(out.join("html.html")).unwrap();
    // The page's body (its head holds the theme's own script).
    let body = html
        .split_once("<div class=\"body\">")
        .map_or("", |(_, b)| b);
    let lower = body.to_ascii_lowercase();
    // Script and style tags are shown as text, never as elements; event attributes are
    // checked by `active_content` (as text, `onerror=` is harmless).
    for gone in [
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<style",
        "<img src=\"https://",
    ] {
        assert!(!lower.contains(gone), "`{gone}` survived:\n{html}");
    }
    for kept in [
        "<details open=\"\"><summary>More <a class=\"wikilink\" href=\"target.html\">target</a></summary>",
        "<p>Markdown <em>inside</em> a details block.</p>",
        "<img src=\"diagram.png\" alt=\"ours\">",
        // A remote image is a link to it: opening the page fetches nothing.
        "<a class=\"remote-image\" href=\"https://example.org/pixel.png?secret\">pixel</a>",
        "<td style=\"text-align: right\">cell</td>",
        "<kbd>Ctrl</kbd> x<sub>2</sub>",
    ] {
        assert!(html.contains(kept), "`{kept}` is missing:\n{html}");
    }
}

/// A build killed at each step of writing the site (`ATLAS_KB_STOP_AT`, read by debug builds
/// only, aborts the process there as `kill -9` would) leaves the output folder holding the
/// whole previous site or the whole new one; the next build removes what it left beside
/// the target and writes the same site as a fresh build.
#[test]
fn a_build_killed_at_any_step_leaves_a_whole_site() {
    use crate::support::{copy_fixture, read_tree};
    use std::process::Command;
    for step in [
        "writing", "written", "linked", "marked", "swapped", "removed",
    ] {
        let (dir, vault) = copy_fixture("site-basic");
        let out = dir.path().join("out");
        let build = |out: &std::path::Path, stop: Option<&str>| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_atlas-kb"));
            command.args([
                "build",
                "--root",
                vault.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            if let Some(step) = stop {
                command.env("ATLAS_KB_STOP_AT", step);
            }
            command.output().expect("atlas-kb runs").status
        };
        assert!(build(&out, None).success());
        let previous = read_tree(&out);
        let note = vault.join("notes/overview.md");
        let text = std::fs::read_to_string(&note).unwrap();
        std::fs::write(
            &note,
            format!("{text}\nA line the killed build was adding.\n"),
        )
        .unwrap();
        let fresh = dir.path().join("fresh");
        assert!(build(&fresh, None).success());
        let next = read_tree(&fresh);

        let killed = build(&out, Some(step));
        assert_eq!(killed.code(), None, "{step}: the build was to be stopped");
        let left = read_tree(&out);
        assert!(
            left == previous || left == next,
            "{step}: the output is neither the previous site nor the new one"
        );
        let expected = if matches!(step, "swapped" | "removed") {
            &next
        } else {
            &previous
        };
        assert!(
            &left == expected,
            "{step}: not the site expected at this step"
        );

        assert!(build(&out, None).success(), "{step}: the next build");
        assert!(read_tree(&out) == next, "{step}: the next build's site");
        let mut beside: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        beside.sort();
        assert_eq!(beside, ["fresh", "out", "vault"], "{step}: leftovers");
    }
}

/// `--out` through a symlink to the content root (or to a folder inside it) is refused like
/// the content root itself.
#[cfg(unix)]
#[test]
fn an_output_folder_through_a_symlink_into_the_content_is_refused() {
    let (dir, vault) = crate::support::copy_fixture("site-basic");
    std::os::unix::fs::symlink(&vault, dir.path().join("vault-link")).unwrap();
    std::os::unix::fs::symlink(vault.join("notes"), dir.path().join("notes-link")).unwrap();
    for out in ["vault-link/site", "notes-link/../site", "vault-link"] {
        let out = dir.path().join(out);
        let run = crate::support::build_into(&vault, &out);
        assert_eq!(run.code, Some(2), "{}: {}", out.display(), run.stderr);
        assert!(
            run.stderr.contains("refusing to write to"),
            "{}",
            run.stderr
        );
    }
    assert!(!vault.join("site").exists());
}

/// Content cannot replace the theme's files or a page the build generates: such files are
/// not published, and `check` names each.
#[test]
fn content_cannot_replace_the_theme_or_generated_pages() {
    let dir = TempDir::new("reserved");
    dir.write("kb/_atlas/search.js", "alert('from the vault')");
    dir.write("kb/_atlas/style.css", "body { display: none }");
    dir.write("kb/matrix.md", "# Not the matrix\n");
    dir.write("kb/list/techniques.md", "# Not the list\n");
    dir.write(
        "kb/page.md",
        "---\ntitle: \"AML.T0010: Page\"\n---\n# Page\n",
    );
    // Navigator layers: the knowledge base's, and a mitigation's (a content file beside it
    // in `navigator/` that is no layer's is published).
    dir.write("kb/navigator.json", "{\"from\": \"the vault\"}");
    dir.write(
        "kb/guard.md",
        "---\ntitle: \"AML.M0001: Guard\"\n---\n# Guard\n\n## Techniques\n\n- [[page|AML.T0010: Page]]\n",
    );
    dir.write(
        "kb/page.md",
        "---\ntitle: \"AML.T0010: Page\"\n---\n# Page\n\n## Mitigations\n\n- [[guard|AML.M0001: Guard]]\n",
    );
    dir.write("kb/navigator/guard.json", "{\"from\": \"the vault\"}");
    dir.write("kb/navigator/notes.json", "{\"kept\": true}");
    let root = dir.path().join("kb");
    let out = dir.path().join("site");
    let run = crate::support::check_json(&root, &[]);
    assert_eq!(
        crate::support::positions(&run.diagnostics()),
        [
            // A script is not published anyway: it can run when opened.
            "active-asset _atlas/search.js:1:1",
            "reserved-path _atlas/style.css:1:1",
            "reserved-path list/techniques.md:1:1",
            "reserved-path matrix.md:1:1",
            "reserved-path navigator.json:1:1",
            "reserved-path navigator/guard.json:1:1",
        ]
    );
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    let script = std::fs::read_to_string(out.join("_atlas/search.js")).unwrap();
    assert!(!script.contains("from the vault") && script.contains("atlasSearchData"));
    let style = std::fs::read_to_string(out.join("_atlas/style.css")).unwrap();
    assert!(!style.contains("display: none }"));
    let matrix = std::fs::read_to_string(out.join("matrix.html")).unwrap();
    assert!(!matrix.contains("Not the matrix"));
    for (layer, names) in [
        ("navigator.json", "\"atlas-atlas\""),
        ("navigator/guard.json", "\"AML.T0010\""),
    ] {
        let json = std::fs::read_to_string(out.join(layer)).unwrap();
        assert!(
            !json.contains("the vault") && json.contains(names),
            "{layer}"
        );
    }
    let kept = std::fs::read_to_string(out.join("navigator/notes.json")).unwrap();
    assert_eq!(kept, "{\"kept\": true}");
}

/// Attachments that can run script when opened are not published (links to them are
/// broken links that say why) unless the settings allow them; a FIFO is a warning and
/// never read; an attachment that cannot be read is reported and left out of the build.
#[test]
fn active_unreadable_and_special_attachments() {
    let dir = TempDir::new("attachments");
    dir.write(
        "kb/page.md",
        "# Page\n\n[a](a.html) [[bad.svg]] ![[good.svg]] [s](s.js)\n",
    );
    dir.write("kb/a.html", "<script>alert(1)</script>");
    dir.write("kb/s.js", "alert(2)");
    dir.write(
        "kb/bad.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(3)</script></svg>",
    );
    dir.write(
        "kb/good.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\" height=\"1\"/></svg>",
    );
    let fifo = dir.path().join("kb/pipe.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let root = dir.path().join("kb");
    let run = crate::support::check_json(&root, &[]);
    let found: Vec<(String, String)> = run
        .diagnostics()
        .iter()
        .map(|d| (d.at(), d.severity.clone()))
        .collect();
    let at = |s: &str, level: &str| (s.to_string(), level.to_string());
    assert_eq!(
        found,
        [
            at("active-asset a.html:1:1", "warning"),
            at("active-asset bad.svg:1:1", "warning"),
            at("broken-link page.md:3:1", "error"),
            at("broken-link page.md:3:13", "error"),
            at("broken-link page.md:3:39", "error"),
            at("unreadable-file pipe.fifo:1:1", "warning"),
            at("active-asset s.js:1:1", "warning"),
        ]
    );
    let help = run.diagnostics()[2].help.clone().unwrap_or_default();
    assert!(
        help.starts_with("`a.html` is not published: a browser runs the script"),
        "{help}"
    );

    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    for (file, published) in [
        ("a.html", false),
        ("s.js", false),
        ("bad.svg", false),
        ("good.svg", true),
        ("pipe.fifo", false),
    ] {
        assert_eq!(out.join(file).exists(), published, "{file}");
    }

    // Allowed by the settings: published, and still named.
    dir.write(
        "atlas-kb.toml",
        "[content]\nroot = \"kb\"\n[build]\nallow_active_assets = true\n",
    );
    let run = crate::support::atlas_kb_in(dir.path(), &["check", "--format", "json"]);
    let active: Vec<String> = run
        .diagnostics()
        .iter()
        .filter(|d| d.code == "active-asset")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(active.len(), 3);
    assert!(active[0].ends_with("it is published because `allow_active_assets` is set"));
    let built = crate::support::atlas_kb_in(dir.path(), &["build"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    assert!(dir.path().join("public/bad.svg").is_file());

    // A file that cannot be read (where permissions bind: not for root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.write("kb/locked.png", "png");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::File::open(&locked).is_err() {
            let run = crate::support::check_json(&root, &[]);
            assert!(run
                .diagnostics()
                .iter()
                .any(|d| d.at() == "unreadable-file locked.png:1:1"));
            let out = dir.path().join("site2");
            let build = crate::support::build_into(&root, &out);
            assert_eq!(build.code, Some(0), "{}", build.stderr);
            assert!(!out.join("locked.png").exists());
        } else {
            eprintln!("skipped the unreadable attachment: permissions do not bind this user");
        }
    }
}

/// Two pages whose names differ only in case: every link that could mean either is an
/// `ambiguous-link` warning, and takes the one spelt as written, else the first by path.
/// (Written at test time: such a pair cannot be checked out on Windows or macOS.)
#[test]
fn pages_differing_only_in_case_make_links_ambiguous() {
    let dir = TempDir::new("case-twins");
    dir.write("kb/Same.md", "# Upper\n");
    dir.write("kb/same.md", "# Lower\n");
    dir.write("kb/notes/Deep.md", "# Upper\n");
    dir.write("kb/notes/deep.md", "# Lower\n");
    dir.write(
        "kb/page.md",
        "[[same]] [[Same]] [[SAME]] [x](same.md) [[deep]] [[other]]\n",
    );
    dir.write("kb/other.md", "# Other\n");
    let root = dir.path().join("kb");
    let run = crate::support::check_json(&root, &[]);
    let found: Vec<(String, String, String)> = run
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.at(),
                d.message.clone(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect();
    let twins = |at: &str, took: &str, written: &str, pair: &str| {
        (
            format!("ambiguous-link page.md:1:{at}"),
            format!("`{written}` matches 2 pages equally; took `{took}`"),
            format!(
                "{pair} differ only in letter case, which links (and Windows and macOS) do not \
                 tell apart; rename one"
            ),
        )
    };
    assert_eq!(
        found,
        [
            twins("1", "same.md", "same", "same.md and Same.md"),
            twins("10", "Same.md", "Same", "Same.md and same.md"),
            twins("19", "Same.md", "SAME", "Same.md and same.md"),
            twins("28", "same.md", "same.md", "same.md and Same.md"),
            twins(
                "41",
                "notes/deep.md",
                "deep",
                "notes/deep.md and notes/Deep.md"
            ),
        ]
    );
    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    let page = std::fs::read_to_string(out.join("page.html")).unwrap();
    assert!(page.contains("href=\"same.html\""), "{page}");
    assert!(page.contains("href=\"Same.html\""), "{page}");
}

/// Control characters (but tab and newline) never reach the site, and reach the terminal
/// only escaped: a file name or a line holding `ESC [31m` cannot recolour or retitle it.
#[test]
fn control_characters_are_removed_from_pages_and_escaped_for_terminals() {
    let dir = TempDir::new("controls");
    dir.write(
        "kb/page.md",
        "---\ntitle: \"Bell\\a and \\x1b[2J clear\"\n---\n# Head\u{1}ing\n\nNUL:\0. \
         Escape:\u{1b}]0;title\u{7}. C1:\u{85}\u{9b}31m. DEL:\u{7f}. Lone\rreturn.\n\n\
         \u{1b}[31m [[gone]] and\ttab\n",
    );
    dir.write("kb/evil\u{1b}[31mred.md", "[[also gone]]\n");
    let root = dir.path().join("kb");
    let human = atlas_kb(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(human.code, Some(1));
    assert!(!human.stdout.contains('\u{1b}'), "{}", human.stdout);
    let report: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(
        report[..6],
        [
            "error[broken-link]: no page matches `also gone`",
            " --> evil\\u{1b}[31mred.md:1:1",
            "  |",
            "1 | [[also gone]]",
            "  | ^^^^^^^^^^^^^",
            "",
        ]
    );
    assert_eq!(
        report[6..10],
        [
            "error[broken-link]: no page matches `gone`",
            " --> page.md:8:7",
            "  |",
            "8 | \\u{1b}[31m [[gone]] and tab",
        ],
        "{}",
        human.stdout
    );
    // The carets stay under the link, past the escape.
    assert_eq!(report[10], "  |            ^^^^^^^^");

    let out = dir.path().join("site");
    let build = crate::support::build_into(&root, &out);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    assert!(!build.stderr.contains('\u{1b}'), "{}", build.stderr);
    let published = walk_files(&out)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html" || e == "js"));
    for file in published {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let control = text
            .chars()
            .find(|c| c.is_control() && *c != '\t' && *c != '\n');
        assert_eq!(control, None, "{}", file.display());
    }
    let page = std::fs::read_to_string(out.join("page.html")).unwrap();
    assert!(page.contains("<title>Bell and [2J clear"), "{page}");
    assert!(
        page.contains("NUL:. Escape:]0;title. C1:31m. DEL:. Lone\nreturn."),
        "{page}"
    );
    let search = crate::support::search_data(&out);
    assert!(search.contains(",\"Bell and [2J clear\","), "{search}");
    assert!(!search.contains("\\u00"), "{search}");
    // The odd file is published under its own name, and linked percent-encoded.
    assert!(out.join("evil\u{1b}[31mred.html").is_file());
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}
