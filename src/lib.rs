//! atlas-kb: load a folder of MITRE ATLAS pages (markdown with YAML front matter, often an
//! Obsidian vault) into a linked graph, then check it, render it as a static site, or import
//! the official ATLAS data as pages.
//!
//! Data flows one way: the content is read and each page parsed alone, the
//! [`graph::Graph`] is built once (every page indexed, every link resolved), and checking and
//! rendering only read it. Every entry point takes plain settings, a [`Config`] (read from `atlas-kb.toml` by
//! [`Config::load`], or built by hand):
//!
//! ```no_run
//! let config = atlas_kb::Config::load(std::path::Path::new("."), None)?;
//! let graph = atlas_kb::load_graph(&config)?;
//! for diagnostic in atlas_kb::diagnose(&graph, &config.rules()) {
//!     println!("{}:{}:{}: {}", diagnostic.path, diagnostic.span.line, diagnostic.span.col, diagnostic.message());
//! }
//! # Ok::<(), atlas_kb::Error>(())
//! ```
//!
//! [`commands`] runs the command-line tool's commands with their reports.

#![warn(missing_docs)]

mod check;
pub mod commands;
pub mod config;
mod diagnostic;
mod error;
mod exit_codes;
pub mod graph;
mod import;
mod init;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod invariants;
#[cfg(all(test, not(fuzzing)))]
mod invariants;
mod layout;
mod load;
mod render;
pub mod serve;
mod source;
mod syntax;
mod timings;
pub mod vocabulary;

pub use check::Rules;
pub use config::Config;
pub use diagnostic::{Code, Diagnostic, Severity};
pub use error::{Error, Result};
pub use exit_codes::Outcome;
pub use import::{ImportOptions, ImportReport};
pub use init::InitReport;
pub use source::{LineIndex, Span};
pub use syntax::{github_slug, terminal_safe};

/// Reads the content root of `config` into a graph: every page parsed, every link resolved.
pub fn load_graph(config: &Config) -> Result<graph::Graph> {
    Ok(commands::load(config, load::Texts::Keep, &mut timings::Timings::start())?.graph)
}

/// Every content problem in `graph`, at the levels `rules` give, in a stable order.
pub fn diagnose(graph: &graph::Graph, rules: &Rules) -> Vec<Diagnostic> {
    check::check(graph, rules)
}

/// Writes pages from the `ATLAS.yaml` of `options.input` into `options.out`, in the words of
/// `vocabulary`. Problems with single objects are diagnostics in the report; a file that is
/// not ATLAS data, or a file in the way that import did not write, is an error.
pub fn import_pages(
    options: &ImportOptions,
    vocabulary: &vocabulary::Vocabulary,
) -> Result<ImportReport> {
    import::import(options, vocabulary)
}
