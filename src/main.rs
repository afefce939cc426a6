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
