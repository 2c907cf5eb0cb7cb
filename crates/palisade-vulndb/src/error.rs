//! The crate's one error type, and the per-record problems an import reports as data.

use std::fmt;
use std::path::PathBuf;

use palisade_advisory::{ParseError, ParseErrorKind};

/// A failure of the advisory database or the OSV client. Each variant says which side failed:
/// the database's own files (internal), the source being imported, or the OSV API (upstream).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// Reading or writing a file failed (the database's own files, or a source's).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The path given to import is neither an OSV directory, an OSV `.zip` nor a RustSec
    /// advisory-db checkout.
    #[error(
        "{}: not an advisory source (expected a directory of OSV records, an OSV all.zip, \
         or a RustSec advisory-db checkout with crates/ or rust/)",
        path.display()
    )]
    UnrecognisedSource {
        /// The path given.
        path: PathBuf,
    },
    /// A zip archive could not be read (not its records: the archive itself).
    #[error("{}: {message}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What the zip reader said.
        message: String,
    },
    /// The source has no record that parses; nothing was imported.
    #[error(
        "{}: no valid advisory record ({failed} files failed{})",
        path.display(),
        first_error(errors)
    )]
    NoRecords {
        /// The source.
        path: PathBuf,
        /// How many record files failed.
        failed: usize,
        /// The first of their errors (at most [`MAX_REPORTED_ERRORS`](crate::MAX_REPORTED_ERRORS)).
        errors: Vec<RecordError>,
    },
    /// A stored source cannot be read (corrupt, or written by another palisade version) and
    /// its origin is gone, so it cannot be re-imported automatically.
    #[error(
        "advisory source {name:?} ({}): {reason}; re-import it with `palisade audit db import {}`",
        path.display(),
        origin.display()
    )]
    SourceUnreadable {
        /// The source's name.
        name: String,
        /// Its file in the database.
        path: PathBuf,
        /// Where it was imported from.
        origin: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
    /// Nothing has been imported, so there is nothing to audit against. An empty index would
    /// report every lockfile clean; this is an error instead.
    #[error(
        "no advisory data in {} (import some with `palisade audit db import PATH`)",
        dir.display()
    )]
    Empty {
        /// The database directory.
        dir: PathBuf,
    },
    /// A source name that is not 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    #[error("invalid source name {0:?} (1-64 of a-z 0-9 . _ -, starting with a letter or digit)")]
    InvalidName(String),
    /// No source of that name is stored.
    #[error("no advisory source named {0:?}")]
    UnknownSource(String),
    /// The OSV API failed or answered something else (upstream side).
    #[error("OSV API {url}: {message}")]
    Upstream {
        /// The request's URL.
        url: String,
        /// What went wrong (status and body, timeout, connection, malformed answer).
        message: String,
    },
    /// The OSV client was given an unusable base URL.
    #[error("OSV API base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The blocking OSV client was called on a thread that runs an async runtime (it would
    /// block that runtime; use `spawn_blocking`).
    #[error("the OSV client blocks: call it outside an async runtime (e.g. in spawn_blocking)")]
    InsideAsyncRuntime,
}

fn first_error(errors: &[RecordError]) -> String {
    errors
        .first()
        .map(|e| format!("; first: {e}"))
        .unwrap_or_default()
}

impl DbError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DbError {
        let path = path.into();
        move |source| DbError::Io { path, source }
    }
}

/// One record file an import could not use. Data, not an error: the rest of the source is
/// still imported.
///
/// Displayed as `file:line:column: message`. Problems with a whole file (unreadable, too
/// large) point at 1:1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The file: its path, or `archive.zip!/entry` inside an archive.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub kind: RecordErrorKind,
}

/// Why a record file was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordErrorKind {
    /// The record does not parse (see [`ParseErrorKind`]).
    Parse(ParseErrorKind),
    /// The file could not be read, or is not UTF-8.
    Read(String),
    /// The file is larger than [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

impl RecordError {
    pub(crate) fn whole_file(file: String, kind: RecordErrorKind) -> RecordError {
        RecordError {
            file,
            line: 1,
            column: 1,
            kind,
        }
    }
}

impl From<ParseError> for RecordError {
    fn from(e: ParseError) -> RecordError {
        RecordError {
            file: e.name,
            line: e.line,
            column: e.column,
            kind: RecordErrorKind::Parse(e.kind),
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        match &self.kind {
            RecordErrorKind::Parse(kind) => write!(f, "{kind}"),
            RecordErrorKind::Read(message) => f.write_str(message),
            RecordErrorKind::TooLarge { limit } => {
                write!(f, "record larger than {limit} bytes; skipped")
            }
        }
    }
}

impl std::error::Error for RecordError {}
