//! Fatal errors: the tool could not do its job (exit code 2). Content problems are
//! [`crate::diagnostic::Diagnostic`]s instead.

use std::path::PathBuf;

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{action} `{path}`: {source}")]
    Io {
        /// What was being done (`cannot read`).
        action: &'static str,
        /// To which file or folder.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The content root is a file, not a folder.
    #[error("content root `{0}` is not a folder")]
    NotAFolder(PathBuf),
    /// A theme template that does not compile or render.
    #[error("template error: {0}")]
    Template(String),
    /// An output folder the tool will not replace.
    #[error("refusing to write to `{path}`: {reason}")]
    UnsafeOutput {
        /// The folder.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// An input that is not ATLAS data, or files in the way of an import.
    #[error("{0}")]
    Import(String),
    /// A request that cannot be carried out as asked.
    #[error("{0}")]
    Usage(String),
    /// A page that changed on disk after it was loaded, so what was checked is not what
    /// would be rendered.
    #[error("`{0}` changed while it was being read; run again")]
    Changed(PathBuf),
    /// A settings file with problems; its display lists each at its line and column.
    #[error("{0}")]
    Config(crate::config::ConfigError),
}

impl Error {
    /// An [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// A result whose error is the tool's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
