//! Breached passwords, the Have I Been Pwned "Pwned Passwords" way.
//!
//! The password is SHA-1'd in memory ([`Password::sha1`](crate::Password::sha1)) and the hash
//! looked up in a local file ([`PwnedFile`], searched on disk) and/or a k-anonymity range API
//! ([`RangeClient`], only the first five hex digits are sent).
//!
//! # Security
//!
//! Neither the password nor its full hash is stored, logged or sent anywhere: the range API
//! sees five hex digits, asked with padding so the answer's size says nothing either.

mod file;
mod range;

use std::path::PathBuf;
use std::sync::Arc;

pub use file::{ImportStats, PwnedFile, import};
pub use range::{Range, RangeCache, RangeClient, find, parse_range};

use crate::secret::PasswordHash;

/// A failure of the breached-password check itself (never "the password is breached").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PwnedError {
    /// Reading or writing a local file failed (internal side).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A local file is not in the expected format (internal side).
    #[error("{}:{line}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: not tied to one line).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The range API failed or answered something else (upstream side).
    #[error("pwned passwords API: {0}")]
    Upstream(String),
}

/// The configured sources together: the local file first (no network), then the API.
#[derive(Debug, Clone, Default)]
pub struct Pwned {
    /// The local file.
    pub file: Option<Arc<PwnedFile>>,
    /// The range API.
    pub api: Option<Arc<RangeClient>>,
}

impl Pwned {
    /// True when at least one source is configured.
    pub fn is_enabled(&self) -> bool {
        self.file.is_some() || self.api.is_some()
    }

    /// The breach count (`None`: not found in any source). The file part is blocking I/O
    /// (a few small reads); the guard may run this inside `spawn_blocking` for a cold disk.
    /// When the file errs and an API is configured, the API still answers.
    pub async fn check(&self, hash: &PasswordHash) -> Result<Option<u64>, PwnedError> {
        let mut first_err = None;
        if let Some(file) = &self.file {
            match file.lookup(hash) {
                Ok(Some(n)) => return Ok(Some(n)),
                Ok(None) => {}
                Err(e) => first_err = Some(e),
            }
        }
        if let Some(api) = &self.api {
            return api.lookup(hash).await;
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }
}
