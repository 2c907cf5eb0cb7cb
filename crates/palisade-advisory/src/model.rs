//! The advisory model every source is parsed into: what is affected, how badly, and how to tell.
//!
//! These are domain types, apart from the OSV and RustSec wire structs. They derive serde for the
//! index cache and use no `skip_serializing_if`, `flatten` or untagged enums, so compact
//! non-self-describing formats (postcard) work.

use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::id::AdvisoryId;
use crate::severity::{Cvss, Severity};

/// The most bytes of `details` kept. The index is loaded on every `palisade audit`; the full
/// text of thousands of advisories would dominate its size and load time, while a report needs
/// the summary, the first paragraph and a link.
pub const MAX_DETAILS: usize = 600;

/// One advisory: a vulnerability or an informational notice, and the package versions it
/// affects. After [merging](mod@crate::merge) one advisory stands for every database's record of
/// the same issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The id it is reported under (see [`merge`](mod@crate::merge) for which one wins).
    pub id: AdvisoryId,
    /// Other ids of the same issue (CVE, GHSA, RUSTSEC, PYSEC), sorted, without `id`.
    pub aliases: Vec<AdvisoryId>,
    /// Ids of related but distinct issues; never merged on.
    pub related: Vec<AdvisoryId>,
    /// One line (from OSV `summary`, or the first sentence of the details, or RustSec's title).
    pub summary: String,
    /// The first paragraph of the details, at most [`MAX_DETAILS`] bytes.
    pub details: String,
    /// Publication date or time (RFC 3339 as the source wrote it).
    pub published: Option<String>,
    /// Last modification (RFC 3339); RustSec's TOML has none.
    pub modified: Option<String>,
    /// When the advisory was withdrawn. Withdrawn advisories are dropped by the index.
    pub withdrawn: Option<String>,
    /// The rating: from the CVSS vector when there is one, else the database's label; `None`
    /// when the source gives neither (many RustSec advisories).
    pub severity: Option<Severity>,
    /// The CVSS vector the rating came from.
    pub cvss: Option<Cvss>,
    /// Vulnerability, or one of RustSec's informational kinds.
    pub kind: Kind,
    /// Packages and versions affected.
    pub affected: Vec<Affected>,
    /// The main link (RustSec `url`, else the first `ADVISORY`/`WEB` reference).
    pub url: Option<String>,
    /// Every reference URL, in source order, without duplicates.
    pub references: Vec<String>,
}

/// What an advisory reports.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A security vulnerability: counts towards findings and `--fail-on`.
    Vulnerability,
    /// A RustSec informational advisory: reported as a warning, as cargo-audit does.
    Informational(Informational),
}

impl Kind {
    /// Whether this is a warning rather than a vulnerability.
    pub fn is_informational(&self) -> bool {
        matches!(self, Kind::Informational(_))
    }
}

/// RustSec's informational kinds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Informational {
    /// The crate is no longer maintained.
    Unmaintained,
    /// The crate's safe API allows undefined behaviour.
    Unsound,
    /// Anything else worth knowing (e.g. a crate moved).
    Notice,
    /// A kind this version of palisade does not know, as written.
    Other(String),
}

impl Informational {
    /// From RustSec's `informational` value.
    pub fn from_name(name: &str) -> Informational {
        match name.trim() {
            "unmaintained" => Informational::Unmaintained,
            "unsound" => Informational::Unsound,
            "notice" => Informational::Notice,
            other => Informational::Other(other.to_owned()),
        }
    }

    /// RustSec's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            Informational::Unmaintained => "unmaintained",
            Informational::Unsound => "unsound",
            Informational::Notice => "notice",
            Informational::Other(other) => other,
        }
    }
}

/// One affected package and which of its versions are affected.
///
/// A version is affected when it is listed in `versions`, or lies in one of `ranges` (OSV's
/// algorithm), or — for RustSec TOML advisories, which carry `rustsec` — when no `patched` or
/// `unaffected` requirement covers it. See [`Affected::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name, [normalised](Ecosystem::normalise_name).
    pub package: String,
    /// OSV `SEMVER` and `ECOSYSTEM` ranges (`GIT` ranges are dropped: they need the repository).
    pub ranges: Vec<Range>,
    /// Exactly listed affected versions, compared as strings (OSV's `versions`).
    pub versions: Vec<String>,
    /// RustSec's `[versions]` table, when the record came from RustSec's TOML.
    pub rustsec: Option<RustSecVersions>,
    /// Affected functions (`crate::path::fn`), when the source names them.
    pub functions: Vec<String>,
    /// Operating systems the issue is limited to (RustSec `affected.os`); empty means all.
    pub os: Vec<String>,
    /// CPU architectures the issue is limited to (RustSec `affected.arch`); empty means all.
    pub arch: Vec<String>,
}

/// RustSec's `[versions]`: Cargo-style requirements for versions that are not affected.
///
/// cargo-audit's rule: a version is affected unless it lies in the interval of some `patched`
/// or `unaffected` requirement. Requirements are read as intervals ordered by SemVer
/// precedence, so `>= 1.2.0` covers `1.3.0-alpha` even though Cargo's `VersionReq` would not
/// match a prerelease there. Parsing checks every requirement is one cargo-audit accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RustSecVersions {
    /// Requirements for versions carrying the fix (`[">= 1.2.0"]`); empty when unfixed.
    pub patched: Vec<String>,
    /// Requirements for versions never affected (`["< 0.3.0"]`).
    pub unaffected: Vec<String>,
}

/// An OSV range: events on one version ordering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// Which ordering the event versions use.
    pub kind: RangeKind,
    /// The events, as written (evaluation sorts them).
    pub events: Vec<Event>,
}

/// OSV range types palisade can evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeKind {
    /// SemVer 2.0 precedence.
    Semver,
    /// The ecosystem's own ordering (node-semver, Cargo's SemVer, PEP 440).
    Ecosystem,
}

/// An OSV range event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// Versions from here on are affected; `"0"` means from the very first.
    Introduced(String),
    /// Versions from here on are fixed.
    Fixed(String),
    /// The last affected version (inclusive); later ones are taken as fixed.
    LastAffected(String),
    /// Only versions below a limit are in the range; `"*"` means no limit.
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// The first paragraph of Markdown details (headings skipped), at most [`MAX_DETAILS`] bytes,
/// cut on a character boundary with an ellipsis.
pub(crate) fn short_details(details: &str) -> String {
    let paragraph = details
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or_default();
    truncate(paragraph, MAX_DETAILS)
}

/// A one-line summary from details, for sources without one (PyPA's records): the first
/// sentence, at most 160 bytes.
pub(crate) fn summary_from_details(details: &str) -> String {
    let paragraph = short_details(details);
    let flat: String = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match flat.find(". ") {
        Some(end) => &flat[..=end],
        None => &flat,
    };
    truncate(sentence, 160)
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_keep_the_first_paragraph() {
        assert_eq!(
            short_details("### Impact\n\nBad thing.\n\nMore."),
            "Bad thing."
        );
        let long = "é".repeat(MAX_DETAILS);
        let short = short_details(&long);
        assert!(short.len() <= MAX_DETAILS && short.ends_with('…'));
        assert_eq!(
            summary_from_details("In Django 2.2 before 2.2.18, x. Then y."),
            "In Django 2.2 before 2.2.18, x."
        );
    }
}
