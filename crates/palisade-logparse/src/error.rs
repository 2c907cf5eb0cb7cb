//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong building a parser (parsing a line never fails: it yields `None`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A custom pattern is not a valid regex for the `regex` crate.
    #[error("invalid regex {pattern:?}: {message}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// The regex crate's explanation.
        message: String,
    },
    /// A custom pattern has no `(?P<ip>…)` group, so it cannot name a client.
    #[error("pattern {pattern:?} has no named group `ip`")]
    MissingIpGroup {
        /// The pattern as given.
        pattern: String,
    },
    /// A custom parser was given no pattern at all.
    #[error("custom parser {name:?} has no pattern")]
    NoPattern {
        /// The parser's name.
        name: String,
    },
    /// A fail2ban filter file (or one it includes) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The loader's error.
        source: std::io::Error,
    },
    /// A fail2ban filter file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Filter {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the problem is not tied to one line).
        line: usize,
        /// What is wrong.
        message: String,
    },
}
