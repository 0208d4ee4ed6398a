//! The crate's error type: every variant that concerns a file names its path, so that the binary can
//! print a message a user can act on ("missing …/steps.csv") and exit with code 2.

use std::path::{Path, PathBuf};

/// Errors of reading, analysing and plotting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file that must exist does not.
    #[error("{}: not found ({what})", path.display())]
    Missing {
        /// The path looked for.
        path: PathBuf,
        /// What it should have been.
        what: String,
    },
    /// A file exists but its content is not what was expected.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A column, metric or parameter that was asked for does not exist.
    #[error("{message}")]
    Unknown {
        /// What was asked for and what exists.
        message: String,
    },
    /// Not enough data for the requested analysis.
    #[error("{0}")]
    NoData(String),
    /// Drawing failed (a backend error; should not happen with the embedded font).
    #[error("drawing {chart}: {message}")]
    Plot {
        /// The chart's id.
        chart: String,
        /// The backend's message.
        message: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        if source.kind() == std::io::ErrorKind::NotFound {
            return Error::Missing {
                path: path.to_path_buf(),
                what: "no such file or folder".into(),
            };
        }
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A format error in `path`.
    pub fn format(path: &Path, message: impl Into<String>) -> Error {
        Error::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
