//! The benchmark corpus (`examples/gen_corpus.rs`) is only worth measuring if `check` reads it
//! as intended: every diagnostic must be one of the broken links the generator planted, at the
//! position it recorded, and every planted link must be reported. No relation, label, anchor,
//! parent or ID diagnostic may appear, since the generator writes all of those correctly.

#[path = "../support/gen_corpus.rs"]
mod gen_corpus;

use gen_corpus::{generate, Options, Planted};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir =
            std::env::temp_dir().join(format!("atlas-kb-it-{name}-{}-{nanos}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options(hugo: bool) -> Options {
    Options {
        pages: 300,
        seed: 7,
        hugo,
    }
}

/// Every file under `root`, by `/`-separated relative path.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.insert(rel.join("/"), fs::read(&path).expect("read a file"));
            }
        }
    }
    files
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

    let output = Command::new(env!("CARGO_BIN_EXE_atlas-kb"))
        .args(["check", "--format", "json", "--root"])
        .arg(&dir.0)
        .output()
        .expect("run atlas-kb check");
    assert_eq!(
        output.status.code(),
        Some(1),
        "broken links are errors; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let diagnostics: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("check --format json prints a JSON array");

    let mut reported: Vec<Planted> = Vec::new();
    let mut unexpected = Vec::new();
    for d in &diagnostics {
        let message = d["message"].as_str().unwrap_or_default();
        let target = message
            .strip_prefix("no page matches `")
            .and_then(|m| m.strip_suffix('`'));
        match (d["code"].as_str(), target) {
            (Some("broken-link"), Some(target)) => reported.push(Planted {
                path: d["path"].as_str().unwrap_or_default().to_string(),
                line: d["line"].as_u64().unwrap_or_default() as usize,
                column: d["column"].as_u64().unwrap_or_default() as usize,
                target: target.to_string(),
            }),
            _ => unexpected.push(d.to_string()),
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
