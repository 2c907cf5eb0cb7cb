//! Where lines come from: files (followed across rotation, offsets persisted) and the journal.
//!
//! Both sources are blocking and polled: the caller runs a loop that calls `poll` every so
//! often (a second is plenty for login monitoring), hands each line to a parser, and then calls
//! [`Offsets::save`] so that a restart resumes after the last line it processed. Saving *after*
//! processing is what makes the delivery exactly-once across restarts; saving less often only
//! means that a crash replays the lines since the last save.
//!
//! - [`FileFollower`]: one glob pattern, re-expanded on every poll; follows rename rotation
//!   (logrotate `create`), copy-and-truncate (`copytruncate`), deletion and restarts.
//! - [`JournalSource`]: a `journalctl -f -o json` child, restarted with backoff, cursor persisted.
//! - [`Offsets`]: the read positions of every source, one JSON file, saved atomically.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use std::sync::Arc;
//! use palisade_watch::source::{FileFollower, Offsets, Start};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let log = dir.path().join("auth.log");
//! std::fs::write(&log, "old line, already there at startup\n").unwrap();
//!
//! let offsets = Arc::new(Offsets::open(dir.path().join("offsets.json")).unwrap());
//! let mut follower = FileFollower::new(log.to_str().unwrap(), Start::End, offsets.clone()).unwrap();
//! std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"sshd[1]: hello\n").unwrap();
//!
//! let mut lines = Vec::new();
//! let stats = follower.poll(&mut |_path, line| lines.push(line.to_owned())).unwrap();
//! offsets.save().unwrap();
//! assert_eq!(lines, ["sshd[1]: hello"]);
//! assert_eq!(stats.lines, 1);
//! ```

mod file;
mod journal;
mod offsets;

use std::path::PathBuf;

pub use file::FileFollower;
pub use journal::{JournalBuilder, JournalSource};
pub use offsets::{FileOffset, Fingerprint, Offsets};

/// The longest line delivered, in bytes; longer lines are cut here and delivered once, so that
/// a writer cannot make palisade buffer without bound (or flood the parser with fragments).
pub const MAX_LINE: usize = 64 * 1024;

/// Where a source starts when it has no persisted position.
///
/// A persisted position (file offset or journal cursor) always wins over this: it is only the
/// rule for the first run, or for a source never seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Start {
    /// Only what is written from now on: the files present at startup are read from their end
    /// and the journal from its tail. Files that appear later are still read from their start.
    #[default]
    End,
    /// Everything already there too (the `--from-start` backfill).
    Beginning,
}

/// What one `poll` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollStats {
    /// Lines delivered.
    pub lines: u64,
    /// Bytes read (from files; for the journal, bytes of JSON received).
    pub bytes: u64,
    /// Rotations noticed (a file renamed away or replaced by a new file at its path).
    pub rotations: u64,
    /// Truncations noticed (copy-and-truncate rotation, or a file emptied or rewritten in place).
    pub truncations: u64,
    /// Failures that were logged and will be retried on the next poll (unreadable file, child
    /// process that could not be started…).
    pub errors: u64,
}

/// A failure of a log source: what could not be done, and on which path or program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file pattern is not a valid glob.
    #[error("invalid file pattern {pattern:?}: {source}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        source: glob::PatternError,
    },
    /// A file or directory operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `rename`…).
        action: &'static str,
        /// The file it was done to.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The offsets could not be encoded (should not happen: they are plain numbers and strings).
    #[error("cannot encode the offsets for {}: {source}", path.display())]
    Encode {
        /// The offsets file.
        path: PathBuf,
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// The journal reader program could not be started.
    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        /// The program (`journalctl` or the configured path).
        program: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A journal match starts with `-`: journalctl would take it for an option.
    #[error("invalid journal match {value:?}: matches look like FIELD=value or +")]
    InvalidMatch {
        /// The match as given.
        value: String,
    },
    /// A journal source was given an empty name (the name keys its cursor in the offsets).
    #[error("a journal source needs a non-empty name")]
    EmptyName,
}

impl SourceError {
    fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SourceError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
