//! Built sites in a real browser: Debian's `chromium`, driven by the scripts in `tests/browser/`
//! (through the npm package `playwright-core`), opens pages from file:// and reports what it
//! saw as JSON; these tests state what that must be.
//!
//! They need `node`, `/usr/bin/chromium` (or the browser named by `CHROMIUM`) and
//! `tests/browser/node_modules`: `.ci/run` installs them. Where one is missing the tests fail,
//! saying so, unless `ATLAS_KB_SKIP_BROWSER=1` is set.

use crate::build::build;
use crate::support::{copy_fixture, fixture, project, TempDir};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser the scripts launch (`tests/browser/lib.js` reads the same variable).
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// `false` (after saying so) where `ATLAS_KB_SKIP_BROWSER=1`; otherwise panics unless node,
/// chromium and playwright-core are all there.
fn browser_ready(test: &str) -> bool {
    if std::env::var("ATLAS_KB_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("skipped {test}: ATLAS_KB_SKIP_BROWSER=1");
        return false;
    }
    let mut missing = Vec::new();
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("`node` (not on PATH)".to_string());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        missing.push(format!("chromium (no file {})", chromium.display()));
    }
    let playwright = project().join("tests/browser/node_modules/playwright-core/package.json");
    if !playwright.is_file() {
        missing.push("tests/browser/node_modules/playwright-core".to_string());
    }
    assert!(
        missing.is_empty(),
        "{test} needs a browser to run in, but these are missing: {}.\n\
         Run `.ci/run` (it installs chromium and the npm packages), or `npm install` in \
         tests/browser; set ATLAS_KB_SKIP_BROWSER=1 to skip the browser tests.",
        missing.join(", ")
    );
    true
}

/// Builds the vault at `root`, runs `node tests/browser/<script>.js <built site>` and returns
/// the JSON object it printed; `None` where the browser tests are skipped.
fn observe(test: &str, root: &Path, script: &str) -> Option<Value> {
    observe_with(test, root, script, &[])
}

/// [`observe`], with more arguments for the script after the site's folder.
fn observe_with(test: &str, root: &Path, script: &str, args: &[&str]) -> Option<Value> {
    if !browser_ready(test) {
        return None;
    }
    let tmp = TempDir::new(&format!("browser-{test}"));
    let out = tmp.path().join("out");
    build(root, &out);
    let mut all = vec![out.to_str().expect("a UTF-8 temp path")];
    all.extend(args);
    Some(run_script(script, &all))
}

/// `node tests/browser/<script>.js ARGS...`: the JSON object it printed, after asserting
/// that no script failed and nothing was asked for off the site.
fn run_script(script: &str, args: &[&str]) -> Value {
    let script_path = project().join("tests/browser").join(format!("{script}.js"));
    let output = Command::new("node")
        .arg(&script_path)
        .args(args)
        .current_dir(project())
        // Playwright's logs, plain in a test failure.
        .env("FORCE_COLOR", "0")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stderr}{stdout}",
        script_path.display(),
        output.status
    );
    let seen: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{script}.js did not print one JSON object ({e}):\n{stdout}\nstderr:\n{stderr}")
    });
    // Whatever the test looks at: no script failed, and the site asked for nothing online.
    assert_eq!(seen["errors"], json!([]), "script errors in the browser");
    assert_eq!(seen["offsite"], json!([]), "requests off the site");
    seen
}

#[test]
fn folded_callout_opens_on_click() {
    let test = "folded_callout_opens_on_click";
    let Some(seen) = observe(test, &fixture("obsidian"), "callouts") else {
        return;
    };
    assert_eq!(
        seen,
        json!({
            // `> [!faq]- Folded by default`: closed, its text hidden until its title is clicked.
            "folded_title": "Folded by default",
            "folded_open_on_load": false,
            "folded_text_visible_on_load": false,
            "folded_open_after_click": true,
            "folded_text_visible_after_click": true,
            // `> [!playbook-step]+ A custom type, open`: open from the start, nested callout shown.
            "open_title": "A custom type, open",
            "open_open_on_load": true,
            "open_nested_text_visible_on_load": true,
            "errors": [],
            "offsite": [],
        })
    );
}

#[test]
fn contents_follow_the_reading_position() {
    let test = "contents_follow_the_reading_position";
    // The fixture's note is shorter than a window, so no heading could reach the top: give
    // its last section enough text to scroll.
    let (_tmp, vault) = copy_fixture("obsidian");
    let note = vault.join("notes/long-note.md");
    let mut text = std::fs::read_to_string(&note).expect("read long-note.md");
    for i in 1..=40 {
        text.push_str(&format!("\nParagraph {i} of text long enough to scroll.\n"));
    }
    std::fs::write(&note, text).expect("write long-note.md");

    let Some(mut seen) = observe(test, &vault, "contents") else {
        return;
    };
    // After `scrollIntoView()` the heading sits at the top, below the header's room
    // (`scroll-padding-top`), above the line the contents marker reads (96px).
    let top = seen["wide"]
        .as_object_mut()
        .and_then(|wide| wide.remove("heading_top_after_scroll"))
        .and_then(|top| top.as_i64())
        .expect("heading_top_after_scroll");
    assert!(
        (0..=96).contains(&top),
        "heading #overview-1 is {top}px from the top after scrollIntoView(): {seen:#}"
    );
    let entries = [
        "Overview",
        "The payload and its target",
        "Overview",
        "Two headings are not enough for contents elsewhere",
    ];
    assert_eq!(
        seen,
        json!({
            // 1400x900: the contents are beside the text, and mark the section read, which is
            // the second "Overview" (the first has the same text but not the same link).
            "wide": {
                "toc_wide_visible": true,
                "toc_narrow_visible": false,
                "current": [
                    { "text": "Overview", "href": "#overview-1", "aria_current": "location" },
                ],
            },
            // 390x800: folded above the text, and opened by a tap on "On this page".
            "narrow": {
                "summary_text": "On this page",
                "summary_visible": true,
                "list_visible_before_click": false,
                "toc_wide_visible": false,
                "list_visible_after_click": true,
                "entries_after_click": entries,
            },
            "errors": [],
            "offsite": [],
        })
    );
}

#[test]
fn matrix_filters_and_expands() {
    let test = "matrix_filters_and_expands";
    let Some(seen) = observe(test, &fixture("site-basic"), "matrix") else {
        return;
    };
    let details = seen["details"].as_u64().expect("details count");
    assert!(details > 0, "the matrix has no <details>: {seen:#}");
    assert_eq!(seen["open_after_expand"], json!(details), "{seen:#}");
    assert_eq!(
        seen,
        json!({
            // The buttons are hidden in the HTML: shown, the script ran.
            "buttons_visible": true,
            // Poison Training Data's sub-technique list, closed at first.
            "details": 1,
            "open_on_load": 0,
            "shown_on_load": { "technique": true, "sub": false },
            "open_after_expand": 1,
            "shown_after_expand": { "technique": true, "sub": true },
            // Unticking "not given" hides Label Flipping (no maturity), not its parent...
            "shown_without_not_given": { "technique": true, "sub": false },
            // ...and unticking "realized" hides Poison Training Data with its list.
            "shown_without_realized": { "technique": false, "sub": false },
            "open_after_collapse": 0,
            "shown_after_collapse": { "technique": true, "sub": false },
            "errors": [],
            "offsite": [],
        })
    );
}

/// The titles of a query's results, in the order shown.
fn titles(results: &Value) -> Vec<&str> {
    results["results"]
        .as_array()
        .expect("a list of results")
        .iter()
        .map(|r| r["title"].as_str().expect("a title"))
        .collect()
}

#[test]
fn search_finds_any_word_of_the_imported_release() {
    let test = "search_finds_any_word_of_the_imported_release";
    let Some(yaml) = crate::support::shared("corpora/atlas-data/ATLAS.yaml", test) else {
        return;
    };
    let tmp = TempDir::new("browser-search-import");
    let pages = tmp.path().join("kb");
    atlas_kb::import_pages(
        &atlas_kb::ImportOptions {
            input: yaml,
            out: pages.clone(),
            force: false,
        },
        &atlas_kb::vocabulary::Vocabulary::default(),
    )
    .expect("import");
    let queries = r#"["Picklescan","code signing","AML.T0011","t0011","zzqx"]"#;
    let Some(seen) = observe_with(test, &pages, "search", &[queries]) else {
        return;
    };

    // A word met once, deep in a case study's text: found, shown in its sentence, marked.
    assert_eq!(
        seen["Picklescan"],
        json!({
            "status": "1 result",
            "results": [{
                "title": "AML.CS0031: Malicious Models on Hugging Face",
                "href": "frameworks/atlas/case-studies/malicious-models-on-hugging-face.html",
                "snippet": "…on the victim's system. Hugging Face uses Picklescan to scan models \
                    for malicious code, however these models were not flagged as malicious. \
                    The researchers discovered tha…",
                "marked": ["Picklescan"],
            }],
            "message": [],
        })
    );

    // Two words: the page titled with both first, then pages with both in their text; a
    // match in a section links to it and names it.
    let code_signing = &seen["code signing"];
    assert_eq!(code_signing["status"], "9 results");
    assert_eq!(
        titles(code_signing),
        [
            "AML.M0013: Code Signing",
            "AML.T0010.003: Model",
            "AML.T0010.001: AI Software",
            "AML.T0018.002: Embed Malware",
            "AML.T0018.000: Poison AI Model",
            "AML.T0011.001: Malicious Package",
            "AML.T0011.000: Unsafe AI Artifacts",
            "AML.T0018: Manipulate AI Model",
            "AML.T0018.001: Modify AI Model Architecture",
        ]
    );
    assert_eq!(
        code_signing["results"][0]["marked"],
        json!(["Code", "Signing", "code", "code"])
    );
    assert_eq!(
        code_signing["results"][2],
        json!({
            "title": "AML.T0010.001: AI Software",
            "href": "frameworks/atlas/techniques/initial-access/ai-supply-chain-compromise/\
                ai-supply-chain-compromise-ai-software.html#mitigations-2",
            "snippet": "Mitigations (2) …in tool for one model or family. AML.M0013: Code \
                Signing — Enforce properly signed drivers and ML software…",
            "marked": ["Code", "Signing"],
        })
    );

    // An ID: the technique, then its sub-techniques, then the pages that mention it; typed
    // without its `AML.` prefix, the same.
    let by_id = &seen["AML.T0011"];
    assert_eq!(by_id["status"], "21 results");
    assert_eq!(
        by_id["message"],
        json!(["Showing 20 of 21 matches; add words to narrow."])
    );
    assert_eq!(
        titles(by_id)[..7],
        [
            "AML.T0011: User Execution",
            "AML.T0011.000: Unsafe AI Artifacts",
            "AML.T0011.001: Malicious Package",
            "AML.T0011.002: Poisoned AI Agent Tool",
            "AML.T0011.003: Malicious Link",
            "AML.TA0005: Execution",
            "AML.M0018: User Training",
        ]
    );
    assert_eq!(by_id["results"][0]["marked"], json!(["AML.T0011"]));
    assert_eq!(titles(&seen["t0011"]), titles(by_id));
    assert_eq!(seen["t0011"]["results"][0]["marked"], json!(["T0011"]));

    assert_eq!(
        seen["zzqx"],
        json!({
            "status": "No results",
            "results": [],
            "message": ["No page matches “zzqx”."],
        })
    );
}

#[test]
fn links_preview_their_page_or_section_on_hover() {
    let test = "links_preview_their_page_or_section_on_hover";
    let Some(seen) = observe(test, &fixture("obsidian"), "preview") else {
        return;
    };
    assert_eq!(
        seen,
        json!({
            // `[[target|the target]]`: the page's title, kind and first paragraph.
            "page": {
                "title": "Target",
                "kind": "Note",
                "section": null,
                "text": "The page other notes link to.",
                "described_link": "the target",
            },
            // `[[guide#Second part|…]]`: the section's heading and first paragraph.
            "section": {
                "title": "Guide",
                "kind": "Note",
                "section": "Second part",
                "text": "The key point is here.",
                "described_link": "a section of the guide",
            },
            // A link off the site has nothing to preview.
            "outside": null,
            "hidden_after_leaving": true,
            // A touch screen has no hover: a tap follows the link, no card appears.
            "touch": null,
            "touch_errors": [],
            "errors": [],
            "offsite": [],
        })
    );
}

#[test]
fn a_served_page_shows_an_edit_by_itself() {
    let test = "a_served_page_shows_an_edit_by_itself";
    if !browser_ready(test) {
        return;
    }
    let (tmp, vault) = copy_fixture("obsidian");
    let address = crate::serve::start(&vault, tmp.path().join("served"));
    let note = vault.join("notes/target.md");
    let seen = run_script(
        "serve",
        &[
            &format!("http://{address}/"),
            note.to_str().expect("a UTF-8 temp path"),
        ],
    );
    assert_eq!(
        seen,
        json!({
            "shown_before": false,
            "shown_after": true,
            "notice": ["notes/target.md:8:40: error[broken-link]: no page matches `nowhere`"],
            "notice_after_dismiss": 0,
            "errors": [],
            "offsite": [],
        })
    );
}
