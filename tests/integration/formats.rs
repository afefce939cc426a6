//! `atlas-kb check --format jsonl | github | sarif | gitlab` and `--quiet`: each pinned byte
//! for byte on the `report` fixture, SARIF validated against the official schema, GitHub's
//! workflow commands read back by a parser of their syntax, and GitLab's report held to what
//! GitLab reads.

use crate::support::{assert_snapshot, atlas_kb, atlas_kb_in, fixture, shared, TempDir};

const SUMMARY: &str = "checked 4 pages: 1 error, 1 warning
       1  error    broken-link
       1  warning  table-pipe
";

fn check_report(format: &str) -> crate::support::Run {
    let root = fixture("report");
    atlas_kb(&[
        "check",
        "--root",
        root.to_str().unwrap(),
        "--format",
        format,
    ])
}

#[test]
fn each_format_is_pinned_on_the_report_fixture() {
    for (format, snapshot) in [
        ("jsonl", "report.jsonl"),
        ("github", "report.github.txt"),
        ("sarif", "report.sarif.json"),
        ("gitlab", "report.gitlab.json"),
    ] {
        let run = check_report(format);
        assert_eq!(run.code, Some(1), "{format}: {}", run.stderr);
        // stdout holds the report alone; the summary goes to stderr.
        assert_eq!(run.stderr, SUMMARY, "{format}");
        assert_snapshot(snapshot, &run.stdout);
        // Same input, same bytes.
        assert_eq!(check_report(format).stdout, run.stdout, "{format}");
    }
}

#[test]
fn quiet_prints_only_the_summary() {
    let root = fixture("report");
    let root = root.to_str().unwrap();
    let human = atlas_kb(&["check", "--root", root, "--quiet"]);
    assert_eq!((human.code, human.stdout.as_str()), (Some(1), SUMMARY));
    let sarif = atlas_kb(&["check", "--root", root, "--format", "sarif", "-q"]);
    assert_eq!(
        (sarif.stdout.as_str(), sarif.stderr.as_str()),
        ("", SUMMARY)
    );
}

/// A vault whose file names hold what workflow commands and URIs must escape.
fn awkward_vault() -> TempDir {
    let dir = TempDir::new("formats-awkward");
    dir.write("kb/a, b: 50%.md", "# A\n\n[[nowhere]] and [[nowhere]]\n");
    dir.write("kb/line\nbreak.md", "# B\n\n[[also, nowhere: 100%]]\n");
    dir.write(
        "kb/café/ü.md",
        "# C\n\n| x | y |\n|---|---|\n| [[a, b: 50%|A]] | z |\n",
    );
    dir
}

/// One parsed workflow command: (command, properties, message), unescaped as the runner does.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape = |s: &str| {
        s.replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line.strip_prefix("::").expect("a command starts with ::");
    let (head, message) = rest.split_once("::").expect("a command has a message");
    let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').expect("a property is key=value");
            // A raw `:` or `,` in a value would have ended it early or split it.
            assert!(!v.contains(':'), "unescaped `:` in {line}");
            (k.to_string(), unescape(v))
        })
        .collect();
    (command.to_string(), properties, unescape(message))
}

#[test]
fn github_commands_read_back_as_each_diagnostic() {
    let dir = awkward_vault();
    let run = atlas_kb_in(dir.path(), &["check", "--root", "kb", "--format", "github"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let commands: Vec<_> = run.stdout.lines().map(parse_command).collect();
    let json = atlas_kb_in(dir.path(), &["check", "--root", "kb", "--format", "json"]);
    let diagnostics = json.diagnostics();
    assert_eq!(commands.len(), diagnostics.len(), "{}", run.stdout);
    assert!(diagnostics.len() >= 4, "{}", json.stdout);
    for ((command, properties, message), d) in commands.iter().zip(&diagnostics) {
        assert_eq!(command, &d.severity);
        let expected = [
            ("file", format!("kb/{}", d.path)),
            ("line", d.line.to_string()),
            ("col", d.column.to_string()),
            ("endLine", d.end_line.to_string()),
            ("endColumn", d.end_column.to_string()),
            ("title", d.code.clone()),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(properties, &expected);
        let with_help = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        assert_eq!(message, &with_help);
    }
}

/// Paths in annotations are relative to the git work tree's root when the content root is
/// inside one, wherever `check` runs from.
#[test]
fn github_paths_start_at_the_repository_root() {
    let dir = TempDir::new("formats-git");
    dir.write("repo/.git/HEAD", "ref: refs/heads/main\n");
    dir.write("repo/docs/kb/page.md", "# Page\n\n[[nowhere]]\n");
    let run = atlas_kb_in(
        &dir.path().join("repo/docs"),
        &["check", "--root", "kb", "--format", "github"],
    );
    assert_eq!(
        run.stdout,
        "::error file=docs/kb/page.md,line=3,col=1,endLine=3,endColumn=11,title=broken-link::no page matches `nowhere`\n"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = shared(
        "schemas/sarif-schema-2.1.0.json",
        "sarif_validates_against_the_official_schema",
    ) else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the schema compiles");
    let dir = awkward_vault();
    let awkward = atlas_kb_in(dir.path(), &["check", "--root", "kb", "--format", "sarif"]);
    let clean = atlas_kb(&[
        "check",
        "--root",
        fixture("clean").to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    for run in [check_report("sarif"), awkward, clean] {
        let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", run.stdout);
    }
}

/// GitLab reads a report as an array of findings, each with a description, a check name, a
/// severity of its scale, a path from the repository root with a first line, and a
/// fingerprint of its own (GitLab shows one finding per fingerprint). Checked on awkward file
/// names, two findings on the same text, and a content root below the repository's.
#[test]
fn gitlab_findings_have_what_gitlab_reads() {
    let dir = awkward_vault();
    dir.write("repo/.git/HEAD", "ref: refs/heads/main\n");
    dir.write("repo/docs/kb/page.md", "# Page\n\n[[gone]]\n\n[[gone]]\n");
    let awkward = atlas_kb_in(dir.path(), &["check", "--root", "kb", "--format", "gitlab"]);
    let nested = atlas_kb_in(
        &dir.path().join("repo/docs"),
        &["check", "--root", "kb", "--format", "gitlab"],
    );
    let mut paths = Vec::new();
    for run in [&awkward, &nested] {
        let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        let findings = report.as_array().expect("an array");
        let mut fingerprints = std::collections::HashSet::new();
        for f in findings {
            assert!(!f["description"].as_str().unwrap().is_empty());
            let check = f["check_name"].as_str().unwrap();
            assert!(matches!(check, "broken-link" | "table-pipe"), "{check}");
            assert!(["minor", "major"].contains(&f["severity"].as_str().unwrap()));
            assert!(f["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
            assert!(fingerprints.insert(f["fingerprint"].as_str().unwrap().to_string()));
            paths.push(f["location"]["path"].as_str().unwrap().to_string());
        }
        assert_eq!(fingerprints.len(), findings.len());
    }
    assert!(
        paths.contains(&"kb/line\nbreak.md".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&"kb/a, b: 50%.md".to_string()), "{paths:?}");
    let nested: serde_json::Value = serde_json::from_str(&nested.stdout).unwrap();
    assert_eq!(nested[0]["location"]["path"], "docs/kb/page.md");
    assert_eq!(nested[1]["location"]["lines"]["begin"], 5);
}

/// A finding keeps its fingerprint when lines above it move, and two findings on the same
/// text keep theirs apart.
#[test]
fn sarif_fingerprints_survive_edits_above() {
    let dir = TempDir::new("formats-fingerprints");
    dir.write("kb/page.md", "# Page\n\n[[gone]]\n\n[[gone]]\n");
    let fingerprints = |dir: &TempDir| -> Vec<(String, u64)> {
        let run = atlas_kb_in(dir.path(), &["check", "--root", "kb", "--format", "sarif"]);
        let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["atlasKb/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let before = fingerprints(&dir);
    dir.write(
        "kb/page.md",
        "# Page\n\nA new paragraph.\n\nAnd another.\n\n[[gone]]\n\n[[gone]]\n",
    );
    let after = fingerprints(&dir);
    assert_eq!(before.len(), 2);
    assert_ne!(before[0].0, before[1].0);
    let lines = |v: &[(String, u64)]| v.iter().map(|(_, l)| *l).collect::<Vec<_>>();
    assert_eq!((lines(&before), lines(&after)), (vec![3, 5], vec![7, 9]));
    let prints = |v: &[(String, u64)]| v.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    assert_eq!(prints(&before), prints(&after));
}

/// The pre-commit hook the repository offers runs a command that exists.
#[test]
fn the_pre_commit_hook_runs_check() {
    let text = std::fs::read_to_string(crate::support::project().join(".pre-commit-hooks.yaml"))
        .expect("the repository offers a pre-commit hook");
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("the hooks are YAML");
    let hook = &hooks[0];
    assert_eq!(hook["id"].as_str(), Some("atlas-kb-check"));
    assert_eq!(hook["language"].as_str(), Some("rust"));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split(' ').collect();
    assert_eq!(entry[0], "atlas-kb");
    let help = atlas_kb(&[entry[1], "--help"]);
    assert_eq!(help.code, Some(0), "{}", help.stderr);
}
