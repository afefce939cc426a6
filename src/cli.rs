//! The command line (clap derive), turned into the library's plain settings: the site
//! folder's `atlas-kb.toml` first, then the flags on top.

use atlas_kb::commands::ReportFormat;
use atlas_kb::{Code, Config, Severity};
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
    /// Write a commented atlas-kb.toml (and, in an empty folder, a starter page).
    Init(InitArgs),
    /// Build the site, serve it on this machine, and rebuild and reload open pages on
    /// every change.
    Serve(ServeArgs),
}

/// Where the site's settings are.
#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    /// The site folder: its atlas-kb.toml is read, its templates/ and static/ override the
    /// theme, and paths in the file start from it [default: the current folder].
    #[arg(long, value_name = "DIR")]
    pub site: Option<PathBuf>,
    /// Read the settings from this file instead of the site folder's atlas-kb.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The settings of a command that reads the content, and the flag that moves its root.
#[derive(Debug, clap::Args)]
pub struct SiteArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// The knowledge base folder (an Obsidian vault works as it is) [default: `root` in
    /// atlas-kb.toml, else content].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
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
    /// rustc-shaped text with the source line of each problem
    #[default]
    Human,
    /// one JSON array of objects
    Json,
    /// one JSON object per line
    Jsonl,
    /// GitHub Actions annotations (workflow commands)
    Github,
    /// a SARIF 2.1.0 log, for code scanning
    Sarif,
    /// a GitLab code quality report, for merge requests
    Gitlab,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// How the diagnostics are printed on stdout; with every format but human, the summary
    /// goes to stderr (the README describes each format).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print only the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Report and fail only on findings this baseline file does not hold [default:
    /// `baseline` in atlas-kb.toml, when that file exists].
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE as the baseline, and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    #[command(flatten)]
    pub levels: LevelArgs,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Where the site is written, replaced as a whole [default: `out` in atlas-kb.toml,
    /// else public].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Exit 1 when content errors are found (the site is still written).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub levels: LevelArgs,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// The address to listen on. Anything but a loopback address lets other machines see
    /// your pages.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The ATLAS.yaml data file.
    pub input: PathBuf,
    /// The folder to write pages into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite files that an earlier import did not write.
    #[arg(long)]
    pub force: bool,
    /// The settings whose vocabulary names the sections and folders written.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The site folder to set up (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

fn parse_level(s: &str) -> Result<(Code, Severity), String> {
    let (code, level) = s
        .split_once('=')
        .ok_or_else(|| format!("expected CODE=LEVEL, got `{s}`"))?;
    Ok((code.trim().parse()?, level.parse()?))
}

impl SettingsArgs {
    /// The site folder's settings.
    pub fn config(&self) -> atlas_kb::Result<Config> {
        let site = self.site.clone().unwrap_or_else(|| PathBuf::from("."));
        Config::load(&site, self.config.as_deref())
    }
}

impl SiteArgs {
    /// The site folder's settings with `--root` applied.
    pub fn config(&self) -> atlas_kb::Result<Config> {
        let mut config = self.settings.config()?;
        if let Some(root) = &self.root {
            config.content.root = root.clone();
        }
        Ok(config)
    }
}

impl LevelArgs {
    /// Applies `--deny` and `--level` over the file's `[check]`.
    pub fn apply(&self, config: &mut Config) {
        config.check.levels.extend(self.level.iter().copied());
        if self.deny.is_some() {
            config.check.deny_warnings = true;
        }
    }
}

impl From<Format> for ReportFormat {
    fn from(format: Format) -> ReportFormat {
        match format {
            Format::Human => ReportFormat::Human,
            Format::Json => ReportFormat::Json,
            Format::Jsonl => ReportFormat::Jsonl,
            Format::Github => ReportFormat::Github,
            Format::Sarif => ReportFormat::Sarif,
            Format::Gitlab => ReportFormat::Gitlab,
        }
    }
}
