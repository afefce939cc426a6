//! `atlas-kb.toml`: its problems at their lines and columns, flags over the file, `[site]` in
//! every page, `exclude`, and `atlas-kb init`.

use crate::site::Site;
use crate::support::{assert_snapshot, atlas_kb_in, copy_fixture, positions, shared, TempDir};
use atlas_kb::vocabulary::{PageKind, RelationKind, Vocabulary};
use atlas_kb::{Code, Config};
use scraper::Selector;
use std::collections::BTreeMap;

/// Every kind of mistake, each at its place, all in one report; the run does nothing and
/// exits 2, whatever the command.
#[test]
fn settings_problems_are_reported_at_their_places() {
    let (_dir, site) = copy_fixture("settings/problems");
    let run = atlas_kb_in(&site, &["check"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert_snapshot("settings-problems.txt", &run.stderr);

    let build = atlas_kb_in(&site, &["build"]);
    assert_eq!((build.code, build.stderr), (Some(2), run.stderr));
    assert!(!site.join("public").exists(), "nothing was built");
}

#[test]
fn a_settings_file_that_is_no_toml_or_is_missing() {
    let dir = TempDir::new("settings-syntax");
    dir.write("atlas-kb.toml", "[site]\ntitle = \"unclosed\n");
    let run = atlas_kb_in(dir.path(), &["check"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "\
error: not valid TOML: invalid basic string, expected `\"`
 --> atlas-kb.toml:2:18
  |
2 | title = \"unclosed
  |                  ^

atlas-kb.toml: 1 problem in the settings; nothing was done
"
    );

    let missing = atlas_kb_in(dir.path(), &["check", "--config", "other.toml"]);
    assert_eq!(missing.code, Some(2));
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read settings file `other.toml`: "),
        "{}",
        missing.stderr
    );
}

/// A site whose settings move the content root and the output, set levels and a title.
fn site_with_settings() -> TempDir {
    let dir = TempDir::new("settings-flags");
    dir.write(
        "atlas-kb.toml",
        "\
[site]
title = \"Red Team Notes\"

[content]
root = \"kb\"

[build]
out = \"site\"

[check.levels]
orphan-page = \"warning\"
",
    );
    dir.write("kb/a.md", "# A\n\nSee [[b]].\n");
    dir.write("kb/b.md", "# B\n");
    dir.write("other/c.md", "# C\n\nSee [[nothing]].\n");
    dir
}

#[test]
fn the_file_sets_what_flags_do_not_override() {
    let dir = site_with_settings();
    let site = dir.path();
    let run = atlas_kb_in(site, &["check", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // `root` and the level of orphan-page come from the file.
    assert_eq!(positions(&run.diagnostics()), ["orphan-page a.md:1:1"]);

    // Flags win: another root, another level, warnings denied.
    let run = atlas_kb_in(
        site,
        &[
            "check",
            "--format",
            "json",
            "--root",
            "other",
            "--level",
            "orphan-page=off",
        ],
    );
    assert_eq!(positions(&run.diagnostics()), ["broken-link c.md:3:5"]);
    let denied = atlas_kb_in(site, &["check", "--deny", "warnings"]);
    assert_eq!(denied.code, Some(1));

    // `out` from the file, `--out` over it; `--site` reads another folder's settings.
    let built = atlas_kb_in(site, &["build"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    assert!(site.join("site/a.html").is_file());
    let elsewhere = dir.path().join("elsewhere");
    let run = atlas_kb_in(
        &std::env::temp_dir(),
        &[
            "build",
            "--site",
            site.to_str().unwrap(),
            "--out",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(elsewhere.join("b.html").is_file());
    let page = std::fs::read_to_string(elsewhere.join("b.html")).unwrap();
    assert!(page.contains("<title>B · Red Team Notes</title>"), "{page}");
}

/// Without a settings file everything has its default: `content/` into `public/`, the
/// built-in vocabulary, default levels.
#[test]
fn no_settings_file_means_the_defaults() {
    let dir = TempDir::new("settings-none");
    let config = Config::load(dir.path(), None).expect("defaults");
    assert_eq!(config.file, None);
    assert_eq!(config.content.root, dir.path().join("content"));
    assert_eq!(config.build.out, dir.path().join("public"));
    assert_eq!(config.site, atlas_kb::config::SiteSettings::default());
    assert!(config.check.levels.is_empty() && !config.check.deny_warnings);
    assert!(config.content.exclude.is_empty());
}

/// `[site]` reaches every page: the title in the header and `<title>`, the language, the
/// description, and with `base_url` a canonical address on pages and redirects and
/// absolute links in 404.html; the markup escapes what the values hold.
#[test]
fn site_settings_reach_every_page() {
    let dir = TempDir::new("settings-site");
    dir.write(
        "atlas-kb.toml",
        "\
[site]
title = \"Red <Team> & Notes\"
description = \"What we learned, \\\"quoted\\\".\"
base_url = \"https://example.org/kb/\"
language = \"fr-CA\"
",
    );
    dir.write(
        "content/notes/a b.md",
        "---\ntitle: \"AML.T0010: Supply Chain\"\n---\n# Supply chain\n",
    );
    let run = atlas_kb_in(dir.path(), &["build"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let site = Site::read(&dir.path().join("public"));
    let select = |page: &str, selector: &str, attr: Option<&str>| -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        site.page(page)
            .select(&sel)
            .map(|e| match attr {
                Some(a) => e.value().attr(a).unwrap_or("").to_string(),
                None => e.text().collect(),
            })
            .collect()
    };
    let page = "notes/a b.html";
    assert_eq!(
        select(page, "title", None),
        ["AML.T0010: Supply Chain · Red <Team> & Notes"]
    );
    assert_eq!(select(page, ".brand-title", None), ["Red <Team> & Notes"]);
    assert_eq!(select(page, "html", Some("lang")), ["fr-CA"]);
    assert_eq!(
        select(page, "meta[name=description]", Some("content")),
        ["What we learned, \"quoted\"."]
    );
    assert_eq!(
        select(page, "link[rel=canonical]", Some("href")),
        ["https://example.org/kb/notes/a%20b.html"]
    );
    assert_eq!(
        select(
            "techniques/AML.T0010.html",
            "link[rel=canonical]",
            Some("href")
        ),
        ["https://example.org/kb/notes/a%20b.html"]
    );
    assert_eq!(
        select("404.html", "link[rel=stylesheet]", Some("href")),
        ["https://example.org/kb/_atlas/style.css"]
    );
    // A home page without its own `index.md` is titled by the site, once.
    assert_eq!(select("index.html", "h1", None), ["Red <Team> & Notes"]);
    assert_eq!(select("index.html", "title", None), ["Red <Team> & Notes"]);
    let raw = String::from_utf8_lossy(&site.files[page]);
    assert!(
        raw.contains("Red &lt;Team&gt; &amp; Notes"),
        "escaped in the markup"
    );

    // Without base_url: no canonical link, and 404.html links relatively, as every page
    // does, so that it is styled and its links work opened from the folder (`file://`) and
    // served at the site's root.
    let plain = TempDir::new("settings-site-plain");
    plain.write("content/a.md", "# A\n");
    let run = atlas_kb_in(plain.path(), &["build"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let built = Site::read(&plain.path().join("public"));
    let canonical = Selector::parse("link[rel=canonical]").unwrap();
    assert_eq!(built.page("a.html").select(&canonical).count(), 0);
    let not_found = |selector: &str, attribute: &str| {
        let selector = Selector::parse(selector).unwrap();
        built
            .page("404.html")
            .select(&selector)
            .filter_map(|e| e.value().attr(attribute).map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        not_found("link[rel=stylesheet]", "href"),
        ["_atlas/style.css"]
    );
    let links = not_found("a[href]", "href");
    assert!(links.contains(&"matrix.html".to_string()), "{links:?}");
    assert!(links.iter().all(|l| !l.starts_with('/')), "{links:?}");
    assert_eq!(built.dead_links(), Vec::<(String, String, &str)>::new());
    let a = String::from_utf8_lossy(&built.files["a.html"]).into_owned();
    assert!(
        a.contains("<html lang=\"en\">") && a.contains("<title>A · ATLAS knowledge base</title>")
    );
}

/// Excluded files are not checked, not built and not link targets: a link into one is a
/// broken link that says why.
#[test]
fn excluded_files_are_neither_pages_nor_targets() {
    let (_dir, site) = copy_fixture("exclude");
    let run = atlas_kb_in(&site, &["check", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let found = run.diagnostics();
    let help: Vec<(String, Option<String>)> =
        found.iter().map(|d| (d.at(), d.help.clone())).collect();
    let excluded = |path: &str| {
        Some(format!(
            "`{path}` is excluded by the `exclude` setting in `atlas-kb.toml`"
        ))
    };
    assert_eq!(
        help,
        [
            (
                "broken-link index.md:5:46".to_string(),
                excluded("_templates/technique-template.md")
            ),
            (
                "broken-link index.md:6:1".to_string(),
                excluded("notes/drafts/Draft Idea.md")
            ),
            (
                "broken-link index.md:6:20".to_string(),
                excluded("scratch.tmp")
            ),
        ]
    );
    assert!(
        run.stderr.starts_with("checked 2 pages: 3 errors"),
        "{}",
        run.stderr
    );

    let build = atlas_kb_in(&site, &["build"]);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    let files: Vec<String> = crate::support::read_tree(&site.join("public"))
        .into_keys()
        .filter(|f| !f.starts_with("_atlas/") && !f.starts_with("list/") && !f.starts_with("tags/"))
        .collect();
    assert_eq!(
        files,
        [
            ".atlas-kb-build",
            "404.html",
            "img/diagram.svg",
            "index.html",
            "matrix.html",
            "navigator.json",
            // The folder page of `notes/`; the excluded `notes/drafts/` gets none.
            "notes/index.html",
            "notes/overview.html",
        ]
    );
    let search = crate::support::search_data(&site.join("public"));
    assert!(
        !search.contains("template") && !search.contains("Draft"),
        "{search}"
    );
}

/// The real vault with its `_templates/` excluded: the template placeholders' broken links
/// are gone, and nothing else changes.
#[test]
fn real_vault_with_templates_excluded() {
    let Some(vault) = shared(
        "corpora/ai-redteam-kb",
        "real_vault_with_templates_excluded",
    ) else {
        return;
    };
    let dir = TempDir::new("settings-real-vault");
    let root = vault.canonicalize().unwrap();
    dir.write(
        "atlas-kb.toml",
        format!(
            "[content]\nroot = \"{}\"\nexclude = [\"_templates/**\"]\n",
            root.display().to_string().replace('\\', "\\\\")
        ),
    );
    let run = atlas_kb_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let found = run.diagnostics();
    assert_eq!(
        crate::support::counts_by_code(&found),
        BTreeMap::from([
            ("asymmetric-relation", 399),
            ("broken-anchor", 218),
            // 15 without the exclusion: the templates' 7 are gone.
            ("broken-link", 8),
            ("label-id-mismatch", 77),
            ("malformed-link", 4),
            ("missing-parent-page", 20),
            ("table-pipe", 102),
        ])
    );
    assert!(!found.iter().any(|d| d.path.starts_with("_templates/")));
    let build = atlas_kb_in(dir.path(), &["build"]);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    let site = crate::support::read_tree(&dir.path().join("public"));
    assert!(site.contains_key("frameworks/atlas/MITRE-ATLAS.html"));
    assert!(!site.keys().any(|path| path.starts_with("_templates/")));
    assert!(
        run.stderr
            .starts_with("checked 559 pages: 230 errors, 598 warnings"),
        "{}",
        run.stderr
    );
}

/// `init` writes every key with its default; the file reads back as the defaults, and the
/// starter content checks clean. It never overwrites, and in a folder that has files it
/// writes only the settings.
#[test]
fn init_writes_every_key_and_a_clean_starter() {
    let dir = TempDir::new("init");
    let site = dir.path().join("new-site");
    let run = atlas_kb_in(dir.path(), &["init", "new-site"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "wrote new-site/atlas-kb.toml\nwrote new-site/content/index.md\nwrote new-site/content/first-steps.md\n"
    );
    let text = std::fs::read_to_string(site.join("atlas-kb.toml")).unwrap();

    // Every key is there, each after one comment line.
    let mut keys = Vec::new();
    let mut previous = "";
    for line in text.lines() {
        if let Some((key, _)) = line.split_once(" = ") {
            assert!(previous.starts_with("# "), "`{line}` has no comment line");
            keys.push(key.to_string());
        }
        previous = line;
    }
    for key in [
        "title",
        "description",
        "base_url",
        "language",
        "root",
        "exclude",
        "out",
        "deny_warnings",
    ] {
        assert!(keys.iter().any(|k| k == key), "no `{key}` in:\n{text}");
    }
    for code in Code::ALL {
        assert!(
            keys.iter().any(|k| k == code.as_str()),
            "no level for {code}"
        );
    }
    for section in [
        "technique_sections",
        "tactic_sections",
        "mitigation_sections",
        "case_study_sections",
        "step_sections",
        "id_keys",
        "parent_keys",
        "step_key",
        "section",
    ] {
        assert!(keys.iter().any(|k| k == section), "no `{section}`");
    }

    // The README shows this same file.
    let readme = std::fs::read_to_string(crate::support::project().join("README.md")).unwrap();
    let shown = readme
        .split_once("as `atlas-kb init` writes it")
        .and_then(|(_, rest)| rest.split_once("```toml\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("the README's Configuration section shows the whole file");
    assert_eq!(shown, text, "README.md shows another file than init writes");

    // It reads back as the defaults.
    let config = Config::load(&site, None).expect("the written file parses");
    let defaults = Config::defaults_in(&site);
    assert_eq!(config.site, defaults.site);
    assert_eq!(config.content.root, defaults.content.root);
    assert_eq!(config.build.out, defaults.build.out);
    assert!(config.content.exclude.is_empty());
    let mut levels = config.check.levels.clone();
    levels.sort();
    let mut defaults: Vec<_> = Code::ALL
        .iter()
        .map(|c| (*c, c.default_severity()))
        .collect();
    defaults.sort();
    assert_eq!(levels, defaults);
    let builtin = Vocabulary::default();
    for kind in PageKind::ALL {
        assert_eq!(config.vocabulary.kind(kind), builtin.kind(kind));
    }
    for relation in RelationKind::ALL {
        assert_eq!(
            config.vocabulary.relation(relation),
            builtin.relation(relation)
        );
    }
    assert_eq!(config.vocabulary.metadata(), builtin.metadata());

    let check = atlas_kb_in(
        &site,
        &[
            "check",
            "--format",
            "json",
            "--level",
            "orphan-page=warning",
        ],
    );
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    assert_eq!(check.diagnostics(), vec![]);
    let build = atlas_kb_in(&site, &["build"]);
    assert_eq!(build.code, Some(0), "{}", build.stderr);

    // Never overwrites: a second init changes nothing and says which file is in the way.
    let again = atlas_kb_in(&site, &["init"]);
    assert_eq!(again.code, Some(2));
    assert_eq!(
        again.stderr,
        "error: `atlas-kb.toml` exists already; init changes nothing (remove it or edit it)\n"
    );
    assert_eq!(
        std::fs::read_to_string(site.join("atlas-kb.toml")).unwrap(),
        text
    );

    // A folder with files gets the settings only.
    let vault = dir.path().join("vault");
    std::fs::create_dir_all(vault.join("notes")).unwrap();
    std::fs::write(vault.join("notes/x.md"), "# X\n").unwrap();
    let run = atlas_kb_in(&vault, &["init"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "wrote atlas-kb.toml\n");
    assert!(!vault.join("content").exists());
}
