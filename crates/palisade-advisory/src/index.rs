//! The in-memory advisory index: merged advisories, looked up by (ecosystem, package name).
//!
//! Built once from parsed records ([`Index::new`] merges them); then each lockfile package is
//! one hash lookup plus a check of that package's few entries. The index serialises with serde
//! (any format; postcard is what palisade's cache uses) as the merged advisories, and
//! deserialising rebuilds only the hash maps, so a warm `palisade audit` skips every parser.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ecosystem::Ecosystem;
use crate::fix;
use crate::id::AdvisoryId;
use crate::matching::{CannotCompare, Outcome};
use crate::merge::{self, MergeStats};
use crate::model::{Advisory, Affected, Kind};
use crate::severity::Severity;
use crate::version::Installed;

/// The version of the serialised index layout; a cache with another version is rejected on
/// load (and rebuilt by the caller) instead of being misread.
pub const INDEX_FORMAT: u32 = 1;

/// Merged advisories with lookups by package and by id.
///
/// ```
/// use palisade_advisory::{osv, Ecosystem, Index, Verdict};
///
/// let json = r#"{"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-1"],
///   "database_specific": {"severity": "HIGH"},
///   "affected": [{"package": {"ecosystem": "PyPI", "name": "Some_Pkg"},
///     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}"#;
/// let index = Index::new([osv::parse_json(json, "a.json").unwrap()]);
///
/// let findings = index.affected(&Ecosystem::PyPI, "some-pkg", "1.9");
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].id().as_str(), "GHSA-aaaa-bbbb-cccc");
/// assert_eq!(findings[0].fixed_in.as_deref(), Some("2.0"));
/// assert_eq!(findings[0].verdict, Verdict::Affected);
/// assert!(index.affected(&Ecosystem::PyPI, "some-pkg", "2.0").is_empty());
/// assert!(index.get("CVE-2099-1").is_some());
/// ```
#[derive(Debug, Clone)]
pub struct Index {
    advisories: Vec<Advisory>,
    stats: MergeStats,
    by_package: HashMap<Ecosystem, HashMap<Box<str>, Vec<AdvisoryRef>, RandomState>, RandomState>,
    by_id: HashMap<Box<str>, u32, RandomState>,
}

/// One affected entry of one advisory: what a package lookup returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdvisoryRef {
    advisory: u32,
    entry: u32,
}

impl AdvisoryRef {
    /// Position of the advisory in [`Index::advisories`].
    pub fn advisory(self) -> usize {
        self.advisory as usize
    }

    /// Position of the entry in that advisory's `affected`.
    pub fn entry(self) -> usize {
        self.entry as usize
    }
}

/// An advisory that applies to a package version.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding<'a> {
    /// The advisory (id, aliases, summary, severity, kind, links).
    pub advisory: &'a Advisory,
    /// Affected, or undecidable.
    pub verdict: Verdict,
    /// The lowest fixed version above the installed one, if the advisory names one.
    pub fixed_in: Option<String>,
}

/// How sure a finding is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The version is affected.
    Affected,
    /// The version could not be compared; reported so that nothing is silently skipped.
    CannotCompare(CannotCompare),
}

impl Finding<'_> {
    /// The advisory's id.
    pub fn id(&self) -> &AdvisoryId {
        &self.advisory.id
    }

    /// The advisory's other ids.
    pub fn aliases(&self) -> &[AdvisoryId] {
        &self.advisory.aliases
    }

    /// The advisory's rating, if known.
    pub fn severity(&self) -> Option<Severity> {
        self.advisory.severity
    }

    /// Vulnerability or informational.
    pub fn kind(&self) -> &Kind {
        &self.advisory.kind
    }

    /// Whether this is a warning (a RustSec informational advisory) rather than a
    /// vulnerability, as cargo-audit reports them.
    pub fn is_warning(&self) -> bool {
        self.advisory.kind.is_informational()
    }
}

impl Index {
    /// Merges `records` (dropping withdrawn ones, see [`merge`](crate::merge())) and indexes
    /// the result.
    pub fn new(records: impl IntoIterator<Item = Advisory>) -> Index {
        let (advisories, stats) = merge::merge(records);
        Index::from_merged(advisories, stats)
    }

    /// Indexes advisories that are already merged (a loaded cache).
    fn from_merged(advisories: Vec<Advisory>, stats: MergeStats) -> Index {
        let mut by_package: HashMap<Ecosystem, HashMap<Box<str>, Vec<AdvisoryRef>, _>, _> =
            HashMap::default();
        let mut by_id: HashMap<Box<str>, u32, _> = HashMap::default();
        // Positions fit u32: an index of four billion advisories would not fit in memory.
        for (a, advisory) in advisories.iter().enumerate() {
            let a = a as u32;
            for id in std::iter::once(&advisory.id).chain(&advisory.aliases) {
                by_id.entry(id.as_str().into()).or_insert(a);
            }
            for (e, entry) in advisory.affected.iter().enumerate() {
                by_package
                    .entry(entry.ecosystem.clone())
                    .or_default()
                    .entry(entry.package.as_str().into())
                    .or_default()
                    .push(AdvisoryRef {
                        advisory: a,
                        entry: e as u32,
                    });
            }
        }
        Index {
            advisories,
            stats,
            by_package,
            by_id,
        }
    }

    /// The entries that name this package (the name is normalised first), grouped by advisory
    /// in index order.
    pub fn lookup(&self, ecosystem: &Ecosystem, name: &str) -> &[AdvisoryRef] {
        let name = ecosystem.normalise_name(name);
        self.by_package
            .get(ecosystem)
            .and_then(|packages| packages.get(&*name))
            .map_or(&[], Vec::as_slice)
    }

    /// Every advisory that applies to this package version: affected ones, and ones that could
    /// not be compared. Informational advisories are included (see [`Finding::is_warning`]).
    pub fn affected(&self, ecosystem: &Ecosystem, name: &str, version: &str) -> Vec<Finding<'_>> {
        let refs = self.lookup(ecosystem, name);
        let installed = Installed::new(version);
        let mut findings = Vec::new();
        for group in refs.chunk_by(|a, b| a.advisory == b.advisory) {
            let advisory = &self.advisories[group[0].advisory()];
            let entries: Vec<&Affected> = group
                .iter()
                .map(|r| &advisory.affected[r.entry()])
                .collect();
            let outcome =
                crate::matching::combine(entries.iter().map(|e| e.check_installed(&installed)));
            let verdict = match outcome {
                Outcome::NotAffected => continue,
                Outcome::Affected => Verdict::Affected,
                Outcome::CannotCompare(why) => Verdict::CannotCompare(why),
            };
            let fixed_in = match verdict {
                Verdict::Affected => fix::fixed_in(&entries, &installed),
                Verdict::CannotCompare(_) => None,
            };
            findings.push(Finding {
                advisory,
                verdict,
                fixed_in,
            });
        }
        findings
    }

    /// The advisory with this id or alias.
    pub fn get(&self, id: &str) -> Option<&Advisory> {
        self.by_id.get(id).map(|&a| &self.advisories[a as usize])
    }

    /// The advisory and entry a lookup returned.
    pub fn resolve(&self, r: AdvisoryRef) -> (&Advisory, &Affected) {
        let advisory = &self.advisories[r.advisory()];
        (advisory, &advisory.affected[r.entry()])
    }

    /// All advisories, sorted by id.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// What merging did.
    pub fn stats(&self) -> MergeStats {
        self.stats
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    stats: MergeStats,
    advisories: &'a [Advisory],
}

#[derive(Deserialize)]
struct Stored {
    format: u32,
    stats: MergeStats,
    advisories: Vec<Advisory>,
}

impl Serialize for Index {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredRef {
            format: INDEX_FORMAT,
            stats: self.stats,
            advisories: &self.advisories,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Index {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        if stored.format != INDEX_FORMAT {
            return Err(serde::de::Error::custom(format!(
                "advisory index format {} (this palisade reads {INDEX_FORMAT})",
                stored.format
            )));
        }
        Ok(Index::from_merged(stored.advisories, stored.stats))
    }
}
