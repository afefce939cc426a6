//! `atlas-kb check --write-baseline` and `--baseline`: a whole cycle of a team adopting
//! `check` on a vault with findings, and the `[check] baseline` setting.

use crate::support::{atlas_kb_in, TempDir};

const PAGE: &str = "# Page\n\nIntro.\n\n- [[gone]]\n- [[gone]]\n- [[also-gone]]\n";

#[test]
fn a_baseline_cycle_reports_only_what_is_new() {
    let dir = TempDir::new("baseline-cycle");
    dir.write("kb/page.md", PAGE);
    dir.write("kb/other.md", "# Other\n\n[[page]] [[elsewhere]]\n");
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--root", "kb"];
        all.extend_from_slice(args);
        atlas_kb_in(dir.path(), &all)
    };

    // Write: every finding is recorded, sorted, one per line, and the run passes.
    let written = check(&["--write-baseline", "baseline.json"]);
    assert_eq!(written.code, Some(0), "{}", written.stderr);
    assert!(
        written
            .stderr
            .ends_with("wrote 4 findings to baseline `baseline.json`\n"),
        "{}",
        written.stderr
    );
    let file = std::fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert_eq!(
        file,
        r#"{"atlas-kb-baseline": 1, "findings": [
{"path":"other.md","code":"broken-link","text":"[[elsewhere]]","occurrence":0},
{"path":"page.md","code":"broken-link","text":"[[also-gone]]","occurrence":0},
{"path":"page.md","code":"broken-link","text":"[[gone]]","occurrence":0},
{"path":"page.md","code":"broken-link","text":"[[gone]]","occurrence":1}
]}
"#
    );
    let clean = check(&["--baseline", "baseline.json"]);
    assert_eq!(clean.code, Some(0), "{}", clean.stdout);
    assert_eq!(
        clean.stdout,
        "checked 2 pages: 0 errors, 0 warnings\n\
         baseline: 4 findings matched and not reported; 0 entries fixed since\n"
    );

    // Edit lines above the findings, and the findings' own lines around them: still known.
    dir.write(
        "kb/page.md",
        PAGE.replace("Intro.", "A longer intro,\n\nover two paragraphs.")
            .replace("- [[also-gone]]", "- see [[also-gone]] (to be written)"),
    );
    let edited = check(&["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!((edited.code, edited.stdout.as_str()), (Some(0), "[]\n"));

    // A new broken link is reported, and fails the run; one fixed entry is counted.
    dir.write(
        "kb/other.md",
        "# Other\n\n[[page]] [[elsewhere]] [[new-one]]\n",
    );
    let page = std::fs::read_to_string(dir.path().join("kb/page.md")).unwrap();
    dir.write("kb/page.md", page.replacen("- [[gone]]\n", "", 1));
    let new = check(&["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(new.code, Some(1), "{}", new.stderr);
    let found: Vec<String> = new.diagnostics().iter().map(|d| d.at()).collect();
    assert_eq!(found, ["broken-link other.md:3:24"]);
    assert_eq!(
        new.stderr,
        "checked 2 pages: 1 error, 0 warnings\n       1  error    broken-link\n\
         baseline: 3 findings matched and not reported; 1 entry fixed since \
         (`--write-baseline` rewrites the file without them)\n"
    );

    // Rewritten, the baseline shrinks by the fixed entry and grows by the accepted new one.
    let rewritten = check(&["--write-baseline", "baseline.json"]);
    assert_eq!(rewritten.code, Some(0));
    let file = std::fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert!(file.contains(r#""text":"[[new-one]]""#), "{file}");
    assert_eq!(file.matches(r#""text":"[[gone]]""#).count(), 1, "{file}");
}

#[test]
fn the_settings_name_a_baseline_used_once_it_exists() {
    let dir = TempDir::new("baseline-settings");
    dir.write(
        "atlas-kb.toml",
        "[check]\nbaseline = \"ci/baseline.json\"\n",
    );
    dir.write("content/page.md", "# Page\n\n[[gone]]\n");
    let before = atlas_kb_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(before.code, Some(1));
    assert!(
        before.stderr.starts_with(
            "note: baseline `./ci/baseline.json` does not exist yet; every finding is reported\n"
        ),
        "{}",
        before.stderr
    );
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    let written = atlas_kb_in(
        dir.path(),
        &["check", "--write-baseline", "ci/baseline.json"],
    );
    assert_eq!(written.code, Some(0), "{}", written.stderr);
    let after = atlas_kb_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!((after.code, after.stdout.as_str()), (Some(0), "[]\n"));
}

#[test]
fn a_file_that_is_not_a_baseline_stops_the_run() {
    let dir = TempDir::new("baseline-bad");
    dir.write("kb/page.md", "# Page\n");
    dir.write("notes.json", "{\"findings\": 3}\n");
    let run = atlas_kb_in(
        dir.path(),
        &["check", "--root", "kb", "--baseline", "notes.json"],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with(
            "error: `notes.json` is not a baseline that `atlas-kb check --write-baseline` writes: "
        ),
        "{}",
        run.stderr
    );
    let missing = atlas_kb_in(
        dir.path(),
        &["check", "--root", "kb", "--baseline", "no.json"],
    );
    assert_eq!(missing.code, Some(2));
}
