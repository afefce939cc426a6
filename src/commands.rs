//! The command-line tool's commands as library functions over a [`Config`]: each loads the
//! content, builds the graph, does its job and prints its report (on stdout for `check`, on
//! stderr for the others). The [`Outcome`] says how the process should exit.

use crate::check::baseline::{identities, Baseline};
use crate::check::machine;
use crate::check::report::{self, Reporter};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::exit_codes::Outcome;
use crate::graph::Graph;
use crate::import::ImportOptions;
use crate::load::Texts;
use crate::syntax::terminal_safe;
use crate::timings::Timings;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A report that could not be written. When its reader went away (`atlas-kb check | head`)
/// the run still did its job, and its outcome stands; any other failure to write is one.
fn report_lost(e: std::io::Error, to: &'static str) -> Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(Error::io("cannot write report to", to, e))
    }
}

/// How `check` prints its diagnostics. For every format but `Human` the summary goes to
/// stderr, so that stdout holds only the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// rustc-shaped text with the source line of each problem.
    #[default]
    Human,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// GitHub Actions workflow commands, one per diagnostic.
    Github,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// A GitLab code quality report.
    Gitlab,
}

/// What `check` prints.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// The format of the diagnostics.
    pub format: ReportFormat,
    /// Print only the summary.
    pub quiet: bool,
    /// What is done with a baseline file.
    pub baseline: BaselineUse,
}

/// A baseline file's part in a `check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BaselineUse {
    /// None: every finding is reported.
    #[default]
    None,
    /// Report only findings the file does not hold; it must exist.
    Read(PathBuf),
    /// As `Read` when the file exists (set in the settings, it may not be written yet);
    /// else every finding is reported, with a note.
    ReadIfThere(PathBuf),
    /// Record every finding in the file.
    Write(PathBuf),
}

/// Diagnostics the human report reads source lines for at a time: a few tens of megabytes
/// of lines however large the report.
const REPORT_SLICE: usize = 1 << 17;

/// The human report of `diagnostics` about pages of `graph` that may have left their texts
/// on disk: the lines it shows are read again a slice of the report at a time.
fn report_human(
    graph: &Graph,
    root: &Path,
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    diagnostics.chunks(REPORT_SLICE).try_for_each(|slice| {
        let sources = report::ReadAgain::new(graph, root, slice);
        report::Human.report(&sources, slice, out)
    })
}

/// A graph and the content root it was read from (canonical).
pub(crate) struct Loaded {
    pub root: PathBuf,
    pub graph: Graph,
}

/// Reads the content of `config` into a graph, keeping what `texts` says of page texts.
pub(crate) fn load(config: &Config, texts: Texts, timings: &mut Timings) -> Result<Loaded> {
    let vocabulary = config.vocabulary.clone();
    let vault = crate::load::load(
        &config.content.root,
        &vocabulary,
        &config.content.exclude,
        config.build.allow_active_assets,
        texts,
    )?;
    timings.mark("load");
    let root = vault.root.clone();
    let graph = Graph::build(vault, vocabulary);
    timings.mark("graph");
    Ok(Loaded { root, graph })
}

/// `atlas-kb check`: every content problem, reported in `format` on stdout with a summary.
/// [`Outcome::ContentErrors`] when any is at error level (or at warning level with
/// `deny_warnings`).
pub fn check(config: &Config, report: &CheckReport) -> Result<Outcome> {
    let mut timings = Timings::start();
    // A check needs no page text but the lines its report shows.
    let Loaded { root, graph } = load(config, Texts::LinksOnly, &mut timings)?;
    let rules = config.rules();
    let mut diagnostics = crate::check::check(&graph, &rules);
    timings.mark("check");
    let baseline_file = match &report.baseline {
        BaselineUse::ReadIfThere(file) if !file.exists() => {
            // Not a failure: a closed stderr costs the note only.
            let _ = writeln!(
                std::io::stderr(),
                "note: baseline `{}` does not exist yet; every finding is reported",
                terminal_safe(&file.display().to_string())
            );
            None
        }
        BaselineUse::Read(file) | BaselineUse::ReadIfThere(file) => Some(Baseline::read(file)?),
        BaselineUse::Write(_) | BaselineUse::None => None,
    };
    // Only the human report, SARIF's fingerprints and baselines read source text. A baseline
    // needs every line at once; the others read them a slice of the report at a time (below),
    // holding only the lines of that slice.
    let reads_lines = report.baseline != BaselineUse::None;
    let sources = reads_lines.then(|| report::ReadAgain::new(&graph, &root, &diagnostics));
    let sources: &dyn report::Sources = match &sources {
        Some(read) => read,
        None => &graph,
    };
    let pages = graph.pages.iter().filter(|p| !p.generated).count();
    if let BaselineUse::Write(file) = &report.baseline {
        let found = identities(sources, &diagnostics);
        Baseline::write(file, &found)?;
        let mut err = std::io::stderr();
        let written = report::summary(&diagnostics, pages, &mut err).and_then(|_| {
            writeln!(
                err,
                "wrote {} {} to baseline `{}`",
                found.len(),
                report::plural(found.len(), "finding", "findings"),
                terminal_safe(&file.display().to_string())
            )
        });
        written.map_or_else(|e| report_lost(e, "stderr"), Ok)?;
        std::mem::forget(graph);
        return Ok(Outcome::Clean);
    }
    let matched = baseline_file.map(|baseline| {
        let found = identities(sources, &diagnostics);
        baseline.filter(&mut diagnostics, found)
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // SARIF's and GitLab's fingerprints: without a baseline's lines at hand, worked out a
    // slice at a time.
    let fingerprints = || {
        (!reads_lines && !report.quiet).then(|| {
            let mut fingerprints = machine::Fingerprints::default();
            for slice in diagnostics.chunks(REPORT_SLICE) {
                let sources = report::ReadAgain::new(&graph, &root, slice);
                fingerprints.add(&sources, slice);
            }
            fingerprints.into_hashes()
        })
    };
    let reporter: Box<dyn Reporter> = match report.format {
        ReportFormat::Human => Box::new(report::Human),
        ReportFormat::Json => Box::new(machine::Json),
        ReportFormat::Jsonl => Box::new(machine::Jsonl),
        ReportFormat::Github => Box::new(machine::Github {
            prefix: path_prefix(&root),
        }),
        ReportFormat::Sarif => Box::new(machine::Sarif {
            prefix: path_prefix(&root),
            fingerprints: fingerprints(),
        }),
        ReportFormat::Gitlab => Box::new(machine::Gitlab {
            prefix: path_prefix(&root),
            fingerprints: fingerprints(),
        }),
    };
    let read_in_slices = !reads_lines && report.format == ReportFormat::Human;
    let written = if report.quiet {
        Ok(())
    } else if read_in_slices {
        report_human(&graph, &root, &diagnostics, &mut out)
    } else {
        reporter.report(sources, &diagnostics, &mut out)
    };
    let written = written.and_then(|_| {
        let mut err = std::io::stderr();
        let summary_to: &mut dyn Write = if report.format == ReportFormat::Human {
            &mut out
        } else {
            &mut err
        };
        report::summary(&diagnostics, pages, summary_to)?;
        if let Some(matched) = matched {
            report::baseline_summary(matched, summary_to)?;
        }
        Ok(())
    });
    written
        .and(out.flush())
        .map_or_else(|e| report_lost(e, "stdout"), Ok)?;
    timings.mark("report");
    let outcome = if rules.fails(&diagnostics) {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    };
    // The process ends here: handing the graph's many small allocations back one by one
    // would only delay the exit.
    std::mem::forget(graph);
    Ok(outcome)
}

/// What makes a path relative to the content root (canonical) relative to the root of the
/// git work tree holding it, or else to the current folder: `docs/kb/`, `../vault/`, or
/// nothing. CI systems place annotations by paths from the repository root.
fn path_prefix(root: &Path) -> String {
    let base = root
        .ancestors()
        .find(|folder| folder.join(".git").exists())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok()?.canonicalize().ok());
    let Some(base) = base else {
        return String::new();
    };
    let mut prefix = String::new();
    let mut shared = base.as_path();
    let below = loop {
        if let Ok(below) = root.strip_prefix(shared) {
            break below;
        }
        match shared.parent() {
            Some(parent) => {
                prefix.push_str("../");
                shared = parent;
            }
            None => return String::new(),
        }
    };
    for part in below.components() {
        prefix.push_str(&part.as_os_str().to_string_lossy());
        prefix.push('/');
    }
    prefix
}

/// `atlas-kb build`: renders the site into `config.build.out`. Content problems are reported
/// as `check` would, on stderr, and make the outcome [`Outcome::ContentErrors`] only when
/// `strict`.
pub fn build(config: &Config, strict: bool) -> Result<Outcome> {
    let built = build_site(config, strict, Told::Everything, false)?;
    // As in `check`: the process ends here.
    std::mem::forget(built.graph);
    Ok(built.outcome)
}

/// `path:line:col: level[code]: message`, safe for a terminal.
pub(crate) fn one_line(d: &Diagnostic) -> String {
    terminal_safe(&format!(
        "{}:{}:{}: {}[{}]: {}",
        d.path,
        d.span.line,
        d.span.col,
        d.severity,
        d.code,
        d.message()
    ))
    .into_owned()
}

/// What [`build_site`] reports of the content's diagnostics.
pub(crate) enum Told<'a> {
    /// All of them, as `check` shows them.
    Everything,
    /// All of them the first time (while this holds `None`); after that only those that are
    /// new and those that were fixed since the last build, one line each. Holds the last
    /// build's diagnostics.
    Changes(&'a mut Option<Vec<Diagnostic>>),
}

/// One line for each diagnostic of `now` not in `before` (`new:`) and of `before` not in
/// `now` (`fixed:`).
pub(crate) fn tell_changes(
    before: &[Diagnostic],
    now: &[Diagnostic],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let lines = |all: &[Diagnostic]| all.iter().map(one_line).collect::<BTreeSet<_>>();
    let (now, before) = (lines(now), lines(before));
    let new = now.difference(&before).map(|d| ("new", d));
    let fixed = before.difference(&now).map(|d| ("fixed", d));
    new.chain(fixed)
        .try_for_each(|(what, d)| writeln!(out, "{what}: {d}"))
}

/// What [`build_site`] built.
pub(crate) struct Built {
    pub outcome: Outcome,
    pub graph: Graph,
    /// The content root, canonical.
    pub root: PathBuf,
    /// When asked for: what it takes to change the site a page at a time.
    pub live: Option<crate::render::LiveSite>,
}

/// [`build`], returning the graph too, for a caller that goes on (`serve`), and when `live`,
/// what it takes to change the site a page at a time.
pub(crate) fn build_site(config: &Config, strict: bool, told: Told, live: bool) -> Result<Built> {
    let started = std::time::Instant::now();
    let mut timings = Timings::start();
    // Pages are read again as they are rendered and reported: holding every text from the
    // load to the end was a third of a large build's memory.
    let Loaded { root, graph } = load(config, Texts::LinksOnly, &mut timings)?;
    let rules = config.rules();
    let diagnostics = crate::check::check(&graph, &rules);
    timings.mark("check");
    // Reported before rendering, and only their counts kept: a million diagnostics held
    // through the rendering were a tenth of its memory.
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let reported = match told {
        Told::Changes(Some(last)) => {
            let told = tell_changes(last, &diagnostics, &mut err);
            last.clone_from(&diagnostics);
            told
        }
        Told::Changes(last) => {
            *last = Some(diagnostics.clone());
            report_human(&graph, &root, &diagnostics, &mut err)
        }
        Told::Everything => report_human(&graph, &root, &diagnostics, &mut err),
    };
    reported.map_or_else(|e| report_lost(e, "stderr"), Ok)?;
    let counts = report::Counts::of(&diagnostics);
    let fails = rules.fails(&diagnostics);
    drop(diagnostics);
    timings.mark("report");
    let options = crate::render::BuildOptions {
        live,
        out: &config.build.out,
        root: &root,
        theme_dir: Some(&config.site_dir),
        site: &config.site,
    };
    let built = crate::render::build(&graph, &options, &mut timings)?;
    let pages = graph.pages.iter().filter(|p| !p.generated).count();
    let reported = counts.write(pages, &mut err).and_then(|_| {
        for path in &built.shadowed {
            writeln!(
                err,
                "note: a content page has the output path `{}`; the generated page was \
                 left out",
                terminal_safe(path)
            )?;
        }
        writeln!(
            err,
            "built {} pages ({} files) into {} in {:.2}s",
            built.pages,
            built.files,
            terminal_safe(&config.build.out.display().to_string()),
            started.elapsed().as_secs_f64()
        )
    });
    reported.map_or_else(|e| report_lost(e, "stderr"), Ok)?;
    let outcome = if strict && fails {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    };
    Ok(Built {
        outcome,
        graph,
        root,
        live: built.live,
    })
}

/// `atlas-kb import`: writes pages from ATLAS.yaml in the words of the site's vocabulary and
/// says what it wrote, by kind. Problems with single objects are reported like content
/// diagnostics and make the outcome [`Outcome::ContentErrors`]; the rest is still written.
pub fn import(config: &Config, options: &ImportOptions) -> Result<Outcome> {
    let imported = crate::import::import(options, &config.vocabulary)?;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let text = std::fs::read_to_string(&options.input).unwrap_or_default();
    let file = options.input.display().to_string();
    let sources = report::SingleFile {
        path: &file,
        lines: crate::source::LineIndex::new(&text),
        text: &text,
    };
    let written = report::Human
        .report(&sources, &imported.diagnostics, &mut err)
        .and_then(|_| {
            writeln!(
                err,
                "imported {} pages into {}:",
                imported.written.len(),
                terminal_safe(&options.out.display().to_string())
            )?;
            for (kind, count) in &imported.counts {
                let plural = config.vocabulary.kind(*kind).plural.to_lowercase();
                writeln!(err, "  {count:>5}  {plural}")?;
            }
            Ok(())
        });
    written.map_or_else(|e| report_lost(e, "stderr"), Ok)?;
    let failed = imported
        .diagnostics
        .iter()
        .any(|d| d.severity == crate::Severity::Error);
    Ok(if failed {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    })
}

/// `atlas-kb init`: writes a commented `atlas-kb.toml` into `dir` (created if missing), and a
/// starter page when the folder was empty. Refuses, changing nothing, when a file it would
/// write is there already.
pub fn init(dir: &Path) -> Result<Outcome> {
    let report = crate::init::init(dir)?;
    let mut err = std::io::stderr().lock();
    let said = report
        .written
        .iter()
        .try_for_each(|path| writeln!(err, "wrote {}", terminal_safe(&path.display().to_string())));
    said.map_or_else(|e| report_lost(e, "stderr"), Ok)?;
    Ok(Outcome::Clean)
}
