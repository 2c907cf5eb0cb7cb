//! The one error type of this crate: an advisory file that could not be read, with where.

use std::fmt;

/// A record that could not be parsed: which file (as the caller named it), where in it, and why.
///
/// Displayed as `name:line:column: message`, the shape editors and CI logs link to. Lines and
/// columns count from 1; a problem with the whole file points at 1:1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{line}:{column}: {kind}")]
pub struct ParseError {
    /// The display name the caller gave the text (usually its path).
    pub name: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in characters) of the problem.
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text is not well-formed JSON, YAML or TOML, or a field has the wrong shape; the
    /// message is the parser's.
    #[error("{0}")]
    Syntax(String),
    /// A RustSec advisory does not start with a ```` ```toml ```` front-matter block.
    #[error("no ```toml front matter at the start of the advisory")]
    NoFrontMatter,
    /// The ```` ```toml ```` block is never closed.
    #[error("the ```toml front matter is not closed by a ``` line")]
    UnclosedFrontMatter,
    /// A RustSec advisory has no `# Title` heading after its front matter.
    #[error("no `# title` heading after the front matter")]
    MissingTitle,
    /// An advisory id or alias is empty, too long, or has spaces or control characters.
    #[error("invalid advisory id {0:?}")]
    InvalidId(String),
    /// A `patched`/`unaffected` requirement that cargo-audit would also reject.
    #[error("invalid version requirement {requirement:?}: {reason}")]
    InvalidRequirement {
        /// The requirement as written.
        requirement: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A RustSec `cvss` vector that is not a valid CVSS v3.x/v4.0 vector.
    #[error("invalid CVSS vector {vector:?}: {reason}")]
    InvalidCvss {
        /// The vector as written.
        vector: String,
        /// The scorer's complaint.
        reason: String,
    },
}

impl ParseError {
    /// An error at a byte offset of `text` (clamped to its length).
    pub(crate) fn at_offset(name: &str, text: &str, offset: usize, kind: ParseErrorKind) -> Self {
        let (line, column) = line_column(text, offset);
        ParseError {
            name: name.to_owned(),
            line,
            column,
            kind,
        }
    }

    /// An error at a known line and column.
    pub(crate) fn at(name: &str, line: usize, column: usize, kind: ParseErrorKind) -> Self {
        ParseError {
            name: name.to_owned(),
            line: line.max(1),
            column: column.max(1),
            kind,
        }
    }
}

pub(crate) use palisade_core::text::line_col as line_column;

/// Shortens a parser's message to one line without its own location: some parsers append a
/// snippet of the input or " at line L, column C", which the `name:line:column` prefix
/// already says.
pub(crate) fn one_line(message: impl fmt::Display) -> String {
    let message = message.to_string();
    let first = message.lines().next().unwrap_or_default().trim();
    let without_location = first.rfind(" at line ").and_then(|at| {
        let rest = &first[at + " at line ".len()..];
        let is_location = rest
            .split([',', ' '])
            .filter(|w| !w.is_empty())
            .all(|w| w == "column" || w.bytes().all(|b| b.is_ascii_digit()));
        is_location.then(|| &first[..at])
    });
    without_location.unwrap_or(first).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_and_clamps() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 6), (2, 3)); // inside 'é': clamped back
        assert_eq!(line_column(text, 999), (3, 2));
    }

    #[test]
    fn messages_lose_their_own_location() {
        assert_eq!(
            one_line("expected x at line 3, column 14\n 3 | snippet"),
            "expected x"
        );
        assert_eq!(one_line("invalid type at line 2 column 5"), "invalid type");
        assert_eq!(one_line("tag at line endings"), "tag at line endings");
    }
}
