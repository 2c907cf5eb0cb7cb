//! The in-memory advisory index: merged advisories, looked up by (ecosystem, package name).
//!
//! Built once from parsed records ([`Index::new`] merges them); then each lockfile package is
//! one hash lookup plus a check of that package's few entries.
//!
//! [`Index::to_bytes`] writes the cache palisade keeps: a directory (each package's entries,
//! each advisory's place) followed by every advisory encoded on its own, in postcard. A warm
//! `palisade audit` skips every parser, and [`Index::from_bytes_for`] decodes only the
//! advisories that name the lockfiles' packages — a few dozen of thousands — instead of all.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

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
pub const INDEX_FORMAT: u32 = 2;

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
    /// How many advisories the whole index holds (more than `advisories` after a partial
    /// read).
    total: usize,
    stats: MergeStats,
    by_package: HashMap<Ecosystem, HashMap<Box<str>, Vec<AdvisoryRef>, RandomState>, RandomState>,
    by_id: HashMap<Box<str>, u32, RandomState>,
}

/// One affected entry of one advisory: what a package lookup returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        let total = advisories.len();
        Index::from_part(advisories, total, stats)
    }

    /// Indexes some of an index's advisories (all of them when `total` is their number).
    fn from_part(advisories: Vec<Advisory>, total: usize, stats: MergeStats) -> Index {
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
            total,
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

    /// The advisories held, sorted by id: all of them, or after
    /// [`from_bytes_for`](Self::from_bytes_for) the ones that name the wanted packages.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// How many advisories the whole index has, including any a partial read left out.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether this holds every advisory (not a partial read).
    pub fn is_complete(&self) -> bool {
        self.advisories.len() == self.total
    }

    /// What merging did.
    pub fn stats(&self) -> MergeStats {
        self.stats
    }
}

/// The packages a partial read is for, by ecosystem and normalised name.
///
/// ```
/// use palisade_advisory::{Ecosystem, Wanted};
///
/// let mut wanted = Wanted::default();
/// wanted.insert(&Ecosystem::PyPI, "Django");
/// assert!(wanted.contains(&Ecosystem::PyPI, "django"));
/// assert!(!wanted.contains(&Ecosystem::Npm, "django"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Wanted {
    names: HashMap<Ecosystem, HashSet<Box<str>, RandomState>, RandomState>,
}

impl Wanted {
    /// Adds a package (its name is normalised as the ecosystem's lookups normalise it).
    pub fn insert(&mut self, ecosystem: &Ecosystem, name: &str) {
        let name = ecosystem.normalise_name(name);
        if let Some(names) = self.names.get_mut(ecosystem) {
            if !names.contains(&*name) {
                names.insert(name.into());
            }
        } else {
            self.names
                .entry(ecosystem.clone())
                .or_default()
                .insert(name.into());
        }
    }

    /// Whether the package was added.
    pub fn contains(&self, ecosystem: &Ecosystem, name: &str) -> bool {
        self.names
            .get(ecosystem)
            .is_some_and(|names| names.contains(&*ecosystem.normalise_name(name)))
    }
}

/// Why bytes are not an index [`Index::to_bytes`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Written by a palisade with another index layout.
    #[error("advisory index format {0} (this palisade reads {INDEX_FORMAT})")]
    Format(u32),
    /// Cut short, damaged, or not an index.
    #[error("advisory index does not decode: {0}")]
    Decode(String),
}

impl From<postcard::Error> for CodecError {
    fn from(e: postcard::Error) -> Self {
        CodecError::Decode(e.to_string())
    }
}

/// What precedes the advisories in [`Index::to_bytes`]. The format comes first and alone, so
/// that a reader can reject another layout before decoding anything else.
#[derive(Serialize, Deserialize)]
struct Directory<'a> {
    stats: MergeStats,
    /// Each (ecosystem, package) and its entries, sorted, with the names borrowed from the
    /// bytes when read.
    #[serde(borrow)]
    packages: Vec<(Ecosystem, &'a str, Vec<AdvisoryRef>)>,
    /// Where each advisory's bytes end, from the start of the advisories.
    ends: Vec<u32>,
}

impl Index {
    /// The cache encoding: the format number, a directory, then each advisory on its own.
    /// A partial index ([`from_bytes_for`](Self::from_bytes_for)) is refused: its cache would
    /// silently lack advisories.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        if !self.is_complete() {
            return Err(CodecError::Decode(
                "a partial index cannot be written as a cache".into(),
            ));
        }
        let mut blobs = Vec::with_capacity(self.advisories.len() * 512);
        let mut ends = Vec::with_capacity(self.advisories.len());
        for advisory in &self.advisories {
            blobs = postcard::to_extend(advisory, blobs)?;
            let end = u32::try_from(blobs.len())
                .map_err(|_| CodecError::Decode("index larger than 4 GiB".into()))?;
            ends.push(end);
        }
        let mut packages: Vec<(Ecosystem, &str, Vec<AdvisoryRef>)> = self
            .by_package
            .iter()
            .flat_map(|(ecosystem, names)| {
                names
                    .iter()
                    .map(|(name, refs)| (ecosystem.clone(), &**name, refs.clone()))
            })
            .collect();
        packages.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let directory = Directory {
            stats: self.stats,
            packages,
            ends,
        };
        let out = postcard::to_extend(&INDEX_FORMAT, Vec::with_capacity(blobs.len() + 65_536))?;
        let mut out = postcard::to_extend(&directory, out)?;
        out.extend_from_slice(&blobs);
        Ok(out)
    }

    /// Reads a whole index written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, CodecError> {
        decode(bytes, None)
    }

    /// Reads only the advisories with an entry for a `wanted` package: lookups of those
    /// packages answer exactly as on the whole index; other packages may miss advisories.
    /// [`total`](Self::total) still counts every advisory.
    pub fn from_bytes_for(bytes: &[u8], wanted: &Wanted) -> Result<Index, CodecError> {
        decode(bytes, Some(wanted))
    }
}

fn decode(bytes: &[u8], wanted: Option<&Wanted>) -> Result<Index, CodecError> {
    let (format, rest): (u32, _) = postcard::take_from_bytes(bytes)?;
    if format != INDEX_FORMAT {
        return Err(CodecError::Format(format));
    }
    let (directory, blobs): (Directory<'_>, _) = postcard::take_from_bytes(rest)?;
    let total = directory.ends.len();
    let chosen: Vec<usize> = match wanted {
        None => (0..total).collect(),
        Some(wanted) => {
            let mut chosen: Vec<usize> = directory
                .packages
                .iter()
                .filter(|(ecosystem, name, _)| {
                    wanted
                        .names
                        .get(ecosystem)
                        .is_some_and(|names| names.contains(*name))
                })
                .flat_map(|(_, _, refs)| refs.iter().map(|r| r.advisory()))
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            chosen
        }
    };
    let mut advisories = Vec::with_capacity(chosen.len());
    for a in chosen {
        let start = match a {
            0 => Some(0),
            _ => directory.ends.get(a - 1).map(|&s| s as usize),
        };
        let end = directory.ends.get(a).map(|&e| e as usize);
        let blob = match (start, end) {
            (Some(start), Some(end)) if start <= end => blobs.get(start..end),
            _ => None,
        }
        .ok_or_else(|| CodecError::Decode(format!("advisory {a} is out of bounds")))?;
        advisories.push(postcard::from_bytes::<Advisory>(blob)?);
    }
    Ok(Index::from_part(advisories, total, directory.stats))
}
