//! The crate's one error type: bad input from the user (an ignore file, a `--fail-on` value,
//! a date), located where there is a file to point into.

use std::fmt;

/// What went wrong, broadly; the message says exactly what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The ignore file is not well-formed TOML.
    IgnoreSyntax,
    /// The ignore file is TOML but not a valid ignore list: an unknown key, a missing `id` or
    /// `reason`, a bad date.
    IgnoreInvalid,
    /// A `--fail-on` value that is not a severity.
    InvalidThreshold,
}

/// Bad input, with `file:line:column` when it came from a file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct AuditError {
    kind: ErrorKind,
    location: Option<(String, u32, u32)>,
    message: String,
}

impl AuditError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AuditError {
            kind,
            location: None,
            message: message.into(),
        }
    }

    /// The same error at a byte offset of `text`, the content of `file`.
    pub(crate) fn located(mut self, file: &str, text: &str, offset: usize) -> Self {
        let (line, column) = line_col(text, offset);
        self.location = Some((file.to_owned(), line, column));
        self
    }

    /// What went wrong, broadly.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file at fault, when the input came from one.
    pub fn file(&self) -> Option<&str> {
        self.location.as_ref().map(|(f, _, _)| f.as_str())
    }

    /// The 1-based line, when the input came from a file.
    pub fn line(&self) -> Option<u32> {
        self.location.as_ref().map(|&(_, l, _)| l)
    }

    /// The 1-based column in characters, when the input came from a file.
    pub fn column(&self) -> Option<u32> {
        self.location.as_ref().map(|&(_, _, c)| c)
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some((file, line, column)) => write!(f, "{file}:{line}:{column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// 1-based line and character column of a byte offset, as `u32`s (see
/// [`palisade_core::text::line_col`]).
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let (line, column) = palisade_core::text::line_col(text, offset);
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}
