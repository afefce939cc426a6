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
        let out = dir.path().join("site");
        let build = atlas_kb(&[
            "build",
            "--root",
            root.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
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
