//! The commands, as library functions the binary calls: each loads, builds the graph, and
//! reports. Printing lives here so `main` stays a dispatcher.

use crate::check::report::{self, Reporter};
use crate::check::{self as checker, Rules};
use crate::cli::{BuildArgs, ImportArgs};
use crate::error::Result;
use crate::exit_codes::Outcome;
use crate::graph::Graph;
use std::io::Write;
use std::path::Path;

/// Loads `root` into a graph.
pub fn load_graph(root: &Path) -> Result<Graph> {
    Ok(Graph::build(crate::load::load(root)?))
}

pub fn check(root: &Path, rules: &Rules, json: bool) -> Result<Outcome> {
    let graph = load_graph(root)?;
    let diagnostics = checker::check(&graph, rules);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if json {
        report::Json.report(&graph, &diagnostics, &mut out)
    } else {
        report::Human.report(&graph, &diagnostics, &mut out)
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
    Ok(if rules.fails(&diagnostics) {
        Outcome::ContentErrors
    } else {
        Outcome::Clean
    })
}

pub fn build(_args: &BuildArgs) -> Result<Outcome> {
    Err(crate::Error::Usage("build is not written yet".into()))
}

pub fn import(_args: &ImportArgs) -> Result<Outcome> {
    Err(crate::Error::Usage("import is not wired yet".into()))
}
