//! The crate's error type.

use std::path::PathBuf;

/// Why an update could not be tried (a failing test is an outcome, not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The project is not inside a git work tree, or git is missing.
    #[error("{dir}: not in a git repository (palisade update works on a commit): {message}")]
    NotARepository {
        /// The project directory.
        dir: PathBuf,
        /// What git said.
        message: String,
    },
    /// A git command failed.
    #[error("git {args}: {message}")]
    Git {
        /// The arguments.
        args: String,
        /// Its output.
        message: String,
    },
    /// A program could not be started.
    #[error("cannot run {command}: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// Another I/O failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The branch an update would get exists already.
    #[error("branch {0} exists already: delete it or merge it first")]
    BranchExists(String),
    /// Cancelled (SIGINT): the running command was killed and the worktree removed.
    #[error("cancelled")]
    Cancelled,
}

impl UpdateError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        UpdateError::Io {
            what: what.into(),
            source,
        }
    }
}
