//! atlas-kb: load a folder of MITRE ATLAS pages (markdown with YAML front matter) into a
//! linked graph, then check it, render it as a static site, or import the official data.
//!
//! Data flows one way: [`load`] reads and parses each page alone, [`graph::Graph::build`]
//! indexes them and resolves every link once, and [`check`] and the renderer read the graph.

pub mod app;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod error;
pub mod exit_codes;
pub mod graph;
pub mod import;
pub mod load;
pub mod render;
pub mod source;
pub mod timings;
pub mod vocabulary;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use error::{Error, Result};
