//! Thin binary: parse arguments, call the library, map the outcome to an exit code.

use atlas_kb::cli::{Cli, Command, Format};
use atlas_kb::exit_codes::Outcome;
use atlas_kb::{app, Error};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
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

/// glibc grows each thread's heap by the pages one request needs, one `mprotect` call each
/// time: over 100k calls while a large vault loads. Growing 64 MiB at a time makes that a few
/// dozen; the memory is only reserved, and pages are used (and counted) as they are touched.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
