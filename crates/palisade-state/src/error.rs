//! The crate's one error type: each variant says which side failed (the database, the input,
//! or a refusal by the black book itself).

use std::path::{Path, PathBuf};

use ipnet::IpNet;

/// A black book operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The SQLite database refused. The in-memory state may already hold the change: it is in
    /// force now but may not survive a restart.
    #[error("black book database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The Redis server failed or refused a command (not an outage: those are absorbed by
    /// the local copy and a replay queue). The local copy may already hold the change.
    #[error("black book on Redis: {0}")]
    Redis(#[source] ::redis::RedisError),
    /// A file or directory could not be created.
    #[error("black book database {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The target is on the allowlist, which is never banned.
    #[error("{0} is on the allowlist and cannot be banned")]
    Allowlisted(IpNet),
    /// The black book is at its cap and holds only manual bans, which are never evicted.
    #[error("the black book is full ({0} entries, all manual); raise its cap or unban some")]
    Full(usize),
    /// An import file could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The configuration is not usable.
    #[error("invalid black book configuration: {0}")]
    Config(String),
}

impl StateError {
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        StateError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }
}

/// An import file had a bad line. Lines count from 1, as editors show them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The 1-based line number (0 for a whole-document JSON error without a position).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}
