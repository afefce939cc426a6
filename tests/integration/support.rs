//! Small helpers shared by the integration tests: run the built binary, read its JSON report,
//! copy a fixture vault into a throw-away folder, read a folder tree, and find the real
//! corpora beside the project.

#![allow(dead_code)]

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What one run of the binary printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// `None` if the process was killed by a signal (a crash, never an answer).
    pub code: Option<i32>,
}

impl Run {
    /// The `--format json` report on stdout.
    pub fn diagnostics(&self) -> Vec<JsonDiagnostic> {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `atlas-kb` with `args` in the project folder.
pub fn atlas_kb(args: &[&str]) -> Run {
    atlas_kb_in(project(), args)
}

/// Runs `atlas-kb` with `args` in folder `cwd`.
pub fn atlas_kb_in(cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_atlas-kb"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the atlas-kb binary runs");
    let run = Run {
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        code: output.status.code(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "atlas-kb panicked:\n{}",
        run.stderr
    );
    run
}

/// `atlas-kb check --root <root> --format json <extra...>`.
pub fn check_json(root: &Path, extra: &[&str]) -> Run {
    let root = root.to_str().expect("UTF-8 path");
    let mut args = vec!["check", "--root", root, "--format", "json"];
    args.extend_from_slice(extra);
    atlas_kb(&args)
}

/// Runs `atlas-kb build --root root --out out`.
pub fn build_into(root: &Path, out: &Path) -> Run {
    atlas_kb(&[
        "build",
        "--root",
        root.to_str().expect("UTF-8 path"),
        "--out",
        out.to_str().expect("UTF-8 path"),
    ])
}

/// One diagnostic of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonDiagnostic {
    pub code: String,
    pub severity: String,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// `code path:line:col`, the compact form most assertions compare.
    pub fn at(&self) -> String {
        format!("{} {}:{}:{}", self.code, self.path, self.line, self.column)
    }
}

/// The `at()` form of every diagnostic, in report order.
pub fn positions(diagnostics: &[JsonDiagnostic]) -> Vec<String> {
    diagnostics.iter().map(JsonDiagnostic::at).collect()
}

/// A folder under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        // One folder, whatever the label holds (`settings/problems`), so drop removes it all.
        let label = label.replace('/', "-");
        let path =
            std::env::temp_dir().join(format!("atlas-kb-test-{}-{n}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `rel` (creating folders) and returns the full path.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, bytes).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh temp folder holding a copy of fixture `name` (in a subfolder `vault`, so tests can
/// put things beside the vault too).
pub fn copy_fixture(name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(name);
    let vault = dir.path().join("vault");
    copy_tree(&fixture(name), &vault);
    (dir, vault)
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read fixture folder") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The project folder.
pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `../shared`, or `None` (saying the test is skipped) where it is absent.
pub fn shared(rel: &str, test: &str) -> Option<PathBuf> {
    let path = project().join("../shared").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped {test}: ../shared/{rel} not found");
        None
    }
}

/// Every file under `root`, by `/`-separated relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(rel, std::fs::read(&path).expect("read a file"));
            }
        }
    }
    files
}

/// All the search data of the site built in `site`: its files, in path order, one after
/// another.
pub fn search_data(site: &Path) -> String {
    read_tree(&site.join("_atlas/search"))
        .into_values()
        .map(|bytes| String::from_utf8(bytes).expect("search data is UTF-8"))
        .collect()
}

/// The graph of content root `root`, read with default settings.
pub fn load_graph(root: &Path) -> atlas_kb::Result<atlas_kb::graph::Graph> {
    let mut config = atlas_kb::Config::default();
    config.content.root = root.to_path_buf();
    atlas_kb::load_graph(&config)
}

/// Compares `actual` with the snapshot file `tests/snapshots/<name>`; with
/// `UPDATE_SNAPSHOTS=1` in the environment, writes it instead (then review the diff).
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = project().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read snapshot {}: {e}", path.display()));
    assert!(
        expected == actual,
        "{} differs from the output (UPDATE_SNAPSHOTS=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// How many diagnostics of each code.
pub fn counts_by_code(diagnostics: &[JsonDiagnostic]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for d in diagnostics {
        *counts.entry(d.code.as_str()).or_default() += 1;
    }
    counts
}

/// A relation as the tests compare it: (technique page, other page, listed by the technique,
/// listed by the other page, use text).
pub type Edge = (String, String, bool, bool, Option<String>);

/// Every relation of `graph`, in its order.
pub fn relation_edges(graph: &atlas_kb::graph::Graph) -> Vec<Edge> {
    let path = |id: atlas_kb::graph::PageId| graph.pages[id.0].source.path.clone();
    graph
        .relations
        .iter()
        .map(|r| {
            (
                path(r.technique),
                path(r.other),
                r.from_technique.is_some(),
                r.from_other.is_some(),
                graph.relation_note(r).map(str::to_string),
            )
        })
        .collect()
}
