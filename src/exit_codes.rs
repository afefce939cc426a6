//! The process outcome, one place.

use std::process::ExitCode;

/// How a command ended, as the process's exit code says it: 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at error level (or, with `--deny warnings`, nothing at warning level either).
    Clean,
    /// Content problems were found.
    ContentErrors,
    /// The tool could not do its job: bad arguments, unreadable root, I/O.
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(match o {
            Outcome::Clean => 0,
            Outcome::ContentErrors => 1,
            Outcome::Failure => 2,
        })
    }
}
