//! Thin binary: parse arguments, call the library, map the outcome to an exit code.

use atlas_kb::cli::{Cli, Command, Format};
use atlas_kb::exit_codes::Outcome;
use atlas_kb::{app, Error};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Outcome::Failure
            } else {
                Outcome::Clean
            }
            .into();
        }
    };
    let result: Result<Outcome, Error> = match cli.command {
        Command::Check(args) => app::check(
            &args.root.root,
            &args.levels.rules(),
            matches!(args.format, Format::Json),
        ),
        Command::Build(args) => app::build(&args),
        Command::Import(args) => app::import(&args),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Failure.into()
        }
    }
}

/// jemalloc rather than glibc's malloc. Rendering makes and drops millions of small values
/// (tera contexts, escaped strings), and once a 100k-page vault is loaded, glibc serves them
/// from bins scattered across a heap of a gigabyte: at 100k pages its malloc took 15 times
/// the time it took at 10k, for 10 times the pages. BENCHMARKS.md has the figures.
///
/// Its defaults are kept. Huge pages (`thp:always`) made a build ~7% faster while memory was
/// free, but once the page cache had filled it, faults stalled in compaction: a 100k rebuild
/// took ~1,700 stalls and 2-3 s more system time.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
