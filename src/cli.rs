//! Command-line arguments (clap derive), converted to plain settings at the boundary.

use crate::check::Rules;
use crate::diagnostic::{Code, Severity};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "atlas-kb",
    version,
    about = "Check, build and import MITRE ATLAS knowledge bases"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every link, anchor, ID and relation; exit 1 if any error is found.
    Check(CheckArgs),
    /// Render the knowledge base as a static site.
    Build(BuildArgs),
    /// Write pages from the official ATLAS.yaml data file.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct RootArg {
    /// The knowledge base folder (an Obsidian vault works as it is).
    #[arg(long, default_value = "content")]
    pub root: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct LevelArgs {
    /// `--deny warnings` makes warnings fail the run.
    #[arg(long, value_name = "warnings")]
    pub deny: Option<DenyWhat>,
    /// Set a code's level, e.g. `--level orphan-page=warning` (error, warning or off).
    #[arg(long, value_name = "CODE=LEVEL", value_parser = parse_level)]
    pub level: Vec<(Code, Severity)>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DenyWhat {
    Warnings,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub root: RootArg,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    #[command(flatten)]
    pub levels: LevelArgs,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Where the site is written (replaced as a whole).
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Exit 1 when content errors are found (the site is still written).
    #[arg(long)]
    pub strict: bool,
    /// Folder whose `templates/` and `static/` files override the built-in theme, file by
    /// file [default: the current folder].
    #[arg(long)]
    pub site: Option<PathBuf>,
    #[command(flatten)]
    pub levels: LevelArgs,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The ATLAS.yaml data file.
    pub input: PathBuf,
    /// The folder to write pages into.
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite files that an earlier import did not write.
    #[arg(long)]
    pub force: bool,
}

fn parse_level(s: &str) -> Result<(Code, Severity), String> {
    let (code, level) = s
        .split_once('=')
        .ok_or_else(|| format!("expected CODE=LEVEL, got `{s}`"))?;
    let code: Code = code.trim().parse()?;
    let severity = match level.trim() {
        "error" => Severity::Error,
        "warning" | "warn" => Severity::Warning,
        "off" | "allow" => Severity::Off,
        other => return Err(format!("unknown level `{other}` (error, warning or off)")),
    };
    Ok((code, severity))
}

impl LevelArgs {
    pub fn rules(&self) -> Rules {
        let mut rules = Rules::default();
        for &(code, severity) in &self.level {
            rules.set(code, severity);
        }
        rules.deny_warnings = self.deny.is_some();
        rules
    }
}
