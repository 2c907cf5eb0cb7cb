//! What a stored source is called and what kind of source it was imported from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DbError;

/// The name a source is stored under (`rustsec`, `osv-npm`): re-importing under the same name
/// replaces it. Validated because it becomes a file name in the database directory: 1 to 64
/// characters of `a-z 0-9 . _ -`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceName(Box<str>);

const MAX_NAME: usize = 64;

impl SourceName {
    /// Validates a name.
    pub fn parse(name: &str) -> Result<SourceName, DbError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME
            && name.as_bytes()[0].is_ascii_alphanumeric()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if valid {
            Ok(SourceName(name.into()))
        } else {
            Err(DbError::InvalidName(name.to_owned()))
        }
    }

    /// A name made from free text (an ecosystem, a directory name): lower-cased, other
    /// characters turned into `-`, cut to 64 characters; `prefix` is put in front unless the
    /// text already starts with it.
    pub(crate) fn slug(prefix: &str, text: &str) -> SourceName {
        let mut slug: String = text
            .chars()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let trimmed = slug.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        slug = if trimmed.is_empty() {
            prefix.trim_end_matches('-').to_owned()
        } else if trimmed.starts_with(prefix.trim_end_matches('-')) {
            trimmed.to_owned()
        } else {
            format!("{prefix}{trimmed}")
        };
        slug.truncate(MAX_NAME);
        // Only ASCII was kept, so truncation is on a character boundary, and the first
        // character is the prefix's or an alphanumeric one.
        SourceName(slug.into())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SourceName {
    type Err = DbError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceName::parse(s)
    }
}

/// The kind of source a set of records was imported from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// A directory of OSV records (`*.json`, `*.yaml`, `*.yml`, searched recursively).
    OsvDir,
    /// An OSV archive, as osv.dev publishes one per ecosystem (`<Ecosystem>/all.zip`).
    OsvZip,
    /// A RustSec advisory-db checkout: `crates/<name>/RUSTSEC-*.md`, `rust/<name>/CVE-*.md`.
    #[serde(rename = "rustsec")]
    RustSec,
}

impl SourceKind {
    /// A short name for status output (`osv-dir`, `osv-zip`, `rustsec`).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::OsvDir => "osv-dir",
            SourceKind::OsvZip => "osv-zip",
            SourceKind::RustSec => "rustsec",
        }
    }

    /// Sources are merged in this order: RustSec first, so that its text and link lead an
    /// advisory it shares with OSV (what cargo-audit users expect to read), then OSV by name.
    pub(crate) fn merge_rank(self) -> u8 {
        match self {
            SourceKind::RustSec => 0,
            SourceKind::OsvDir | SourceKind::OsvZip => 1,
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        for good in ["rustsec", "osv-npm", "osv-crates.io", "a", "0_x"] {
            assert_eq!(SourceName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "-x", ".x", "Osv", "a/b", "a b", "..", &"a".repeat(65)] {
            assert!(SourceName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_are_written_as_they_are_shown() {
        for kind in [SourceKind::OsvDir, SourceKind::OsvZip, SourceKind::RustSec] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn slugs_are_valid_names() {
        assert_eq!(SourceName::slug("osv-", "PyPI").as_str(), "osv-pypi");
        assert_eq!(
            SourceName::slug("osv-", "crates.io").as_str(),
            "osv-crates.io"
        );
        assert_eq!(
            SourceName::slug("osv-", "Debian:12").as_str(),
            "osv-debian-12"
        );
        assert_eq!(SourceName::slug("osv-", "osv").as_str(), "osv");
        assert_eq!(SourceName::slug("osv-", "--").as_str(), "osv");
        assert_eq!(SourceName::slug("osv-", "tmp.X8/é").as_str(), "osv-tmp.x8");
        let long = SourceName::slug("osv-", &"x".repeat(100));
        assert!(SourceName::parse(long.as_str()).is_ok());
        for text in ["PyPI", "Debian:12", ".hidden", "é", "a..b"] {
            let slug = SourceName::slug("osv-", text);
            assert!(SourceName::parse(slug.as_str()).is_ok(), "{slug}");
        }
    }
}
