//! The benchmark corpus (`examples/gen_corpus.rs`) is only worth measuring if `check` reads it
//! as intended: every diagnostic must be one of the broken links the generator planted, at the
//! position it recorded, and every planted link must be reported. No relation, label, anchor,
//! parent or ID diagnostic may appear, since the generator writes all of those correctly.

#[path = "../support/gen_corpus.rs"]
mod gen_corpus;

use crate::support::{check_json, read_tree, TempDir};
use gen_corpus::{generate, Options, Planted};

fn options(hugo: bool) -> Options {
    Options {
        pages: 300,
        seed: 7,
        hugo,
        one_sided: 0,
    }
}

#[test]
fn check_reports_exactly_the_planted_broken_links() {
    let dir = TempDir::new("bench-corpus");
    let corpus = generate(&options(false), &dir.0).expect("generate the corpus");
    assert_eq!(corpus.pages(), 300);
    assert!(
        corpus.planted.len() >= 10,
        "expected about 1% of {} links planted, got {}",
        corpus.links,
        corpus.planted.len()
    );

    let run = check_json(&dir.0, &[]);
    assert_eq!(run.code, Some(1), "broken links are errors: {}", run.stderr);

    let mut reported: Vec<Planted> = Vec::new();
    let mut unexpected = Vec::new();
    for d in run.diagnostics() {
        let target = d
            .message
            .strip_prefix("no page matches `")
            .and_then(|m| m.strip_suffix('`'));
        match target {
            Some(target) if d.code == "broken-link" && d.severity == "error" => {
                reported.push(Planted {
                    path: d.path.clone(),
                    line: d.line as usize,
                    column: d.column as usize,
                    target: target.to_string(),
                })
            }
            _ => unexpected.push(format!("{} {}", d.at(), d.message)),
        }
    }
    assert!(
        unexpected.is_empty(),
        "diagnostics the generator did not plant:\n{}",
        unexpected.join("\n")
    );
    let mut planted = corpus.planted.clone();
    planted.sort();
    reported.sort();
    let missed: Vec<_> = planted.iter().filter(|p| !reported.contains(p)).collect();
    let extra: Vec<_> = reported.iter().filter(|r| !planted.contains(r)).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "planted but not reported: {missed:#?}\nreported but not planted: {extra:#?}"
    );
}

#[test]
fn same_arguments_write_the_same_bytes() {
    let a = TempDir::new("bench-corpus-a");
    let b = TempDir::new("bench-corpus-b");
    let first = generate(&options(false), &a.0).expect("generate");
    let second = generate(&options(false), &b.0).expect("generate again");
    assert_eq!(first.planted, second.planted);
    assert!(read_tree(&a.0) == read_tree(&b.0), "two runs differ");

    let c = TempDir::new("bench-corpus-c");
    let other_seed = Options {
        seed: 8,
        ..options(false)
    };
    generate(&other_seed, &c.0).expect("generate with another seed");
    assert!(
        read_tree(&a.0) != read_tree(&c.0),
        "the seed changes nothing"
    );
}

#[test]
fn hugo_variant_has_the_same_pages_with_markdown_links() {
    let vault = TempDir::new("bench-corpus-vault");
    let site = TempDir::new("bench-corpus-hugo");
    let plain = generate(&options(false), &vault.0).expect("generate the vault");
    let hugo = generate(&options(true), &site.0).expect("generate the Hugo site");
    for file in [
        "hugo.toml",
        "layouts/_default/baseof.html",
        "layouts/_default/single.html",
        "layouts/_default/list.html",
    ] {
        assert!(site.0.join(file).is_file(), "missing {file}");
    }
    let pages = read_tree(&vault.0);
    let hugo_pages = read_tree(&site.0.join("content"));
    assert!(
        pages.keys().eq(hugo_pages.keys()),
        "the Hugo site has other pages"
    );
    assert_eq!(plain.links, hugo.links);
    assert_eq!(plain.planted.len(), hugo.planted.len());
    for (path, bytes) in &hugo_pages {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("[["), "{path} still has a wiki link");
    }
}

/// `--one-sided K`: each technique, mitigation and tactic lists K more pages that do not list
/// it back, and `check` reports exactly those, beside the planted broken links.
#[test]
fn one_sided_relations_are_reported_one_each() {
    let sided = TempDir::new("bench-corpus-one-sided");
    let options = Options {
        one_sided: 3,
        ..options(false)
    };
    let corpus = generate(&options, &sided.0).expect("generate with one-sided relations");
    let diagnostics = check_json(&sided.0, &[]).diagnostics();
    let (asymmetric, rest): (Vec<_>, Vec<_>) = diagnostics
        .into_iter()
        .partition(|d| d.code == "asymmetric-relation");
    let listing = corpus.techniques + corpus.sub_techniques + corpus.mitigations + corpus.tactics;
    assert_eq!(asymmetric.len(), 3 * listing);
    let mut per_page = std::collections::BTreeMap::new();
    for d in &asymmetric {
        *per_page.entry(d.path.as_str()).or_insert(0) += 1;
    }
    assert!(per_page.values().all(|&n| n == 3), "{per_page:?}");
    let broken = rest.iter().filter(|d| d.code == "broken-link").count();
    assert_eq!(
        (broken, rest.len()),
        (corpus.planted.len(), corpus.planted.len())
    );
}
