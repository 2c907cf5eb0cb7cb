//! OSV records (schema 1.x) from JSON (osv.dev, GitHub, RustSec's export) and YAML (PyPA).
//!
//! Read: `id`, `aliases`, `related`, `summary`, `details`, `published`, `modified`,
//! `withdrawn`, `severity[]` (CVSS_V3/CVSS_V4, top-level and per package), `references`,
//! `database_specific.severity` (GitHub's label), and per `affected[]` entry: the package,
//! `SEMVER`/`ECOSYSTEM` ranges, `versions`, RustSec's `database_specific.informational` and
//! `ecosystem_specific.affects` (functions, os, arch), GitHub's
//! `ecosystem_specific.affected_functions`. `GIT` ranges are dropped (they need the repository);
//! unknown fields are ignored.
//!
//! Rejected, with a located [`ParseError`]: malformed JSON/YAML, invalid ids, unknown range
//! types, `SEMVER`/`ECOSYSTEM` ranges without an `introduced` event, and events with none or
//! several of the four event kinds.

mod convert;
mod wire;

use crate::error::{self, ParseError, ParseErrorKind};
use crate::model::Advisory;

/// Parses one OSV record from JSON. `name` is how errors name the text (usually its path).
pub fn parse_json(text: &str, name: &str) -> Result<Advisory, ParseError> {
    let raw: wire::RawRecord = serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; the location goes in front instead.
        ParseError::at(
            name,
            e.line(),
            e.column(),
            ParseErrorKind::Syntax(error::one_line(&e)),
        )
    })?;
    Ok(convert::advisory(raw))
}

/// Parses one OSV record from YAML (PyPA's advisory-database format), with serde-saphyr: a pure
/// Rust parser with budgets against alias bombs and located errors.
pub fn parse_yaml(text: &str, name: &str) -> Result<Advisory, ParseError> {
    let raw: wire::RawRecord = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        ParseError::at(
            name,
            line,
            column,
            ParseErrorKind::Syntax(error::one_line(e.without_snippet())),
        )
    })?;
    Ok(convert::advisory(raw))
}
