//! Thin binary: parse arguments, read the site's settings, call the library, map the outcome
//! to an exit code.

mod cli;

use atlas_kb::{commands, terminal_safe, Error, ImportOptions, Outcome};
use clap::Parser;
use cli::{Cli, Command};
use std::io::Write;
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
    // Written without `eprintln!`, which panics when stderr is a closed pipe.
    let mut stderr = std::io::stderr();
    match run(cli.command) {
        Ok(outcome) => outcome.into(),
        // The settings file's problems come each with its place, rustc-style.
        Err(Error::Config(problems)) => {
            let _ = writeln!(stderr, "{}", terminal_safe(&problems.to_string()));
            Outcome::Failure.into()
        }
        Err(e) => {
            let _ = writeln!(stderr, "error: {}", terminal_safe(&e.to_string()));
            Outcome::Failure.into()
        }
    }
}

fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Check(args) => {
            let mut config = args.site.config()?;
            args.levels.apply(&mut config);
            let baseline = match (args.write_baseline, args.baseline) {
                (Some(file), _) => commands::BaselineUse::Write(file),
                (None, Some(file)) => commands::BaselineUse::Read(file),
                (None, None) => match config.check.baseline.clone() {
                    Some(file) => commands::BaselineUse::ReadIfThere(file),
                    None => commands::BaselineUse::None,
                },
            };
            let report = commands::CheckReport {
                format: args.format.into(),
                quiet: args.quiet,
                baseline,
            };
            commands::check(&config, &report)
        }
        Command::Build(args) => {
            let mut config = args.site.config()?;
            args.levels.apply(&mut config);
            if let Some(out) = args.out {
                config.build.out = out;
            }
            commands::build(&config, args.strict)
        }
        Command::Import(args) => {
            let config = args.settings.config()?;
            let options = ImportOptions {
                input: args.input,
                out: args.out,
                force: args.force,
            };
            commands::import(&config, &options)
        }
        Command::Init(args) => commands::init(&args.dir),
        Command::Serve(args) => serve(args),
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

/// `atlas-kb serve`: the site is built into a private folder under the system's temporary
/// folder, removed when the server stops (Ctrl-C).
fn serve(args: cli::ServeArgs) -> Result<Outcome, Error> {
    let private = std::env::temp_dir().join(format!("atlas-kb-serve-{}", std::process::id()));
    let options = atlas_kb::serve::ServeOptions {
        bind: args.bind,
        port: args.port,
        out: private.join("site"),
    };
    let site = args.site;
    let open = args.open;
    let served = atlas_kb::serve::serve(
        move || site.config(),
        &options,
        |address| {
            let url = format!("http://{address}/");
            let _ = writeln!(std::io::stderr(), "serving {url} (Ctrl-C to stop)");
            if open {
                if let Err(e) = opener::open(&url) {
                    let _ = writeln!(std::io::stderr(), "could not open a browser: {e}");
                }
            }
        },
    );
    let _ = std::fs::remove_dir_all(&private);
    served.map(|()| Outcome::Clean)
}
