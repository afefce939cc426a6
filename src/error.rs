//! Fatal errors: the tool could not do its job (exit code 2). Content problems are
//! [`crate::diagnostic::Diagnostic`]s instead.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("content root `{0}` is not a folder")]
    NotAFolder(PathBuf),
    #[error("template error: {0}")]
    Template(String),
    #[error("refusing to write to `{path}`: {reason}")]
    UnsafeOutput { path: PathBuf, reason: String },
    #[error("{0}")]
    Import(String),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
