//! The crate's errors: each says which side failed (the store, a sink, the config).

use std::path::{Path, PathBuf};

/// The event store could not be opened or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused.
    #[error("event store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A file or directory could not be created or read.
    #[error("event store {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The CLI was pointed at a database that does not exist.
    #[error("no event store at {0} (is `[events] database` right? the guard creates it on start)")]
    Missing(PathBuf),
}

impl StoreError {
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        StoreError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// A delivery failed. `delivered` items at the front of the batch did get through, so the
/// worker moves its cursor past them and retries only the rest: nothing is sent twice.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// Items at the front of the batch that were delivered before the failure.
    pub delivered: usize,
    /// What went wrong (no secrets: sinks never put credentials in it).
    pub message: String,
    /// False when retrying cannot help (e.g. the receiver refused the payload): the item is
    /// skipped after logging instead of blocking the queue forever.
    pub retryable: bool,
}

impl SinkError {
    /// A failure worth retrying (connection refused, timeout, 5xx).
    pub fn retry(delivered: usize, message: impl Into<String>) -> Self {
        SinkError {
            delivered,
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure retrying won't fix (4xx other than 408/429, a payload the receiver refuses).
    pub fn permanent(delivered: usize, message: impl Into<String>) -> Self {
        SinkError {
            delivered,
            message: message.into(),
            retryable: false,
        }
    }
}
