//! Advisory identifiers (`RUSTSEC-2021-0001`, `GHSA-…`, `CVE-…`, `PYSEC-…`) as a validated type.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest id accepted. Real ids are under 40 characters; the bound keeps a hostile
/// database from making every finding carry a megabyte-long name.
pub const MAX_ID_LEN: usize = 128;

/// An advisory id or alias: 1 to [`MAX_ID_LEN`] printable ASCII characters, no spaces.
///
/// Ids are compared exactly (databases spell them consistently, and `GHSA` ids are lower-case
/// after their prefix by design).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AdvisoryId(Box<str>);

impl AdvisoryId {
    /// Validates an id; `None` when it is empty, too long, or has spaces or control characters.
    pub fn parse(id: &str) -> Option<AdvisoryId> {
        let valid =
            !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| AdvisoryId(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The database prefix: the text before the first `-` (`RUSTSEC`, `GHSA`, `CVE`, `PYSEC`).
    pub fn prefix(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// Which id names a merged advisory: an ecosystem's own database first (what `cargo audit`
    /// and `pip-audit` users look up), then GitHub's, then any other, and CVE last because a
    /// CVE often spans several ecosystems' advisories. Lower ranks win.
    pub(crate) fn display_rank(&self) -> u8 {
        match self.prefix() {
            "RUSTSEC" | "PYSEC" => 0,
            "GHSA" => 1,
            "CVE" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for AdvisoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AdvisoryId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AdvisoryId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for AdvisoryId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl TryFrom<String> for AdvisoryId {
    type Error = String;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        AdvisoryId::parse(&id).ok_or_else(|| format!("invalid advisory id {id:?}"))
    }
}

impl From<AdvisoryId> for String {
    fn from(id: AdvisoryId) -> String {
        id.0.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_ranks() {
        assert!(AdvisoryId::parse("").is_none());
        assert!(AdvisoryId::parse("CVE 2020").is_none());
        assert!(AdvisoryId::parse(&"A".repeat(MAX_ID_LEN + 1)).is_none());
        let rustsec = AdvisoryId::parse("RUSTSEC-2020-0001").unwrap();
        let cve = AdvisoryId::parse("CVE-2020-1").unwrap();
        assert_eq!(rustsec.prefix(), "RUSTSEC");
        assert!(rustsec.display_rank() < cve.display_rank());
        assert_eq!(rustsec, "RUSTSEC-2020-0001");
    }
}
