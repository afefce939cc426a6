//! The commands, as library functions the binary calls: each loads, builds the graph, and
//! reports. Printing lives here so `main` stays a dispatcher.

use crate::check::report::{self, Reporter};
use crate::check::{self as checker, Rules};
use crate::cli::{BuildArgs, ImportArgs};
use crate::error::Result;
use crate::exit_codes::Outcome;
use crate::graph::Graph;
use crate::load::Texts;
use crate::timings::Timings;
use std::io::Write;
use std::path::Path;

/// Loads `root` into a graph.
pub fn load_graph(root: &Path) -> Result<Graph> {
    load_graph_timed(root, Texts::Keep, &mut Timings::start())
}

fn load_graph_timed(root: &Path, texts: Texts, timings: &mut Timings) -> Result<Graph> {
    let vocabulary = crate::vocabulary::Vocabulary::default();
    let vault = crate::load::load(root, &vocabulary, texts)?;
    timings.mark("load");
    let graph = Graph::build(vault, vocabulary);
    timings.mark("graph");
    Ok(graph)
}

pub fn check(root: &Path, rules: &Rules, json: bool) -> Result<Outcome> {
    let mut timings = Timings::start();
    // A check needs no page text but the lines its report shows.
    let graph = load_graph_timed(root, Texts::LinksOnly, &mut timings)?;
    let diagnostics = checker::check(&graph, rules);
    timings.mark("check");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        report::Json.report(&graph, &diagnostics, &mut out)
    } else {
        let sources = report::ReadAgain::new(&graph, &diagnostics);
        report::Human.report(&sources, &diagnostics, &mut out)
    };
    let pages = graph.pages.iter().filter(|p| !p.generated).count();
    let summary = if json {
        report::summary(&diagnostics, pages, &mut std::io::stderr())
    } else {
        report::summary(&diagnostics, pages, &mut out)
    };
    written
        .and(summary)
        .and(out.flush())
        .map_err(|e| crate::Error::io("cannot write report to", "stdout", e))?;
    timings.mark("report");
    let outcome = if rules.fails(&diagnostics) {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    };
    // As in `build`: the process ends here, so the graph is not freed piece by piece.
    std::mem::forget(graph);
    Ok(outcome)
}

/// Renders the site; content problems are reported as `check` would, on stderr, and fail the
/// run only with `--strict`.
pub fn build(args: &BuildArgs) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let mut timings = Timings::start();
    let graph = load_graph_timed(&args.root.root, Texts::Keep, &mut timings)?;
    let rules = args.levels.rules();
    let diagnostics = checker::check(&graph, &rules);
    timings.mark("check");
    let site = std::path::Path::new(".");
    let opts = crate::render::BuildOptions {
        out: &args.out,
        site: Some(args.site.as_deref().unwrap_or(site)),
    };
    let built = crate::render::build(&graph, &opts, &mut timings)?;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let pages = graph.pages.iter().filter(|p| !p.generated).count();
    let reported = report::Human
        .report(&graph, &diagnostics, &mut err)
        .and_then(|_| report::summary(&diagnostics, pages, &mut err))
        .and_then(|_| {
            for path in &built.shadowed {
                writeln!(err, "note: a content page has the output path `{path}`; the generated page was left out")?;
            }
            writeln!(
                err,
                "built {} pages ({} files) into {} in {:.2}s",
                built.pages,
                built.files,
                args.out.display(),
                started.elapsed().as_secs_f64()
            )
        });
    reported.map_err(|e| crate::Error::io("cannot write report to", "stderr", e))?;
    timings.mark("report");
    let outcome = if args.strict && rules.fails(&diagnostics) {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    };
    // The process ends here: handing the graph's many small allocations back one by one
    // would only delay the exit.
    std::mem::forget(graph);
    Ok(outcome)
}

/// Writes pages from ATLAS.yaml and says what it wrote, by kind. Problems with single objects
/// are reported like content diagnostics and make the exit code 1; the rest is still written.
pub fn import(args: &ImportArgs) -> Result<Outcome> {
    let opts = crate::import::ImportOptions {
        input: args.input.clone(),
        out: args.out.clone(),
        force: args.force,
    };
    let imported = crate::import::import(&opts, &crate::vocabulary::Vocabulary::default())?;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let text = std::fs::read_to_string(&args.input).unwrap_or_default();
    let file = args.input.display().to_string();
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
                args.out.display()
            )?;
            let vocabulary = crate::vocabulary::Vocabulary::default();
            for (kind, count) in &imported.counts {
                let plural = vocabulary.kind(*kind).plural.to_lowercase();
                writeln!(err, "  {count:>5}  {plural}")?;
            }
            Ok(())
        });
    written.map_err(|e| crate::Error::io("cannot write report to", "stderr", e))?;
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
