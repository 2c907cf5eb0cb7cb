//! Whether a version is affected: OSV's evaluation algorithm, RustSec's patched/unaffected rule,
//! and an honest "cannot compare" when a version does not parse.
//!
//! OSV ranges are evaluated as the schema's pseudocode says: the events are sorted by version
//! (`introduced: "0"` before everything, `limit: "*"` after), then walked: `introduced ≤ v`
//! makes `v` affected, `fixed ≤ v` unaffected, `last_affected < v` unaffected; `limit` events
//! bound the range from above (`v` must be below one of them). Ties sort `introduced` first, so
//! `introduced: X, fixed: X` is an empty range.

use std::cmp::Ordering;
use std::fmt;

use crate::ecosystem::Ecosystem;
use crate::model::{Advisory, Affected, Event, RustSecVersions};
use crate::version::interval::Interval;
use crate::version::{Installed, Scheme, SchemeVersion};

/// The answer to "is this version affected?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The version is affected.
    Affected,
    /// The version is not affected.
    NotAffected,
    /// The question cannot be answered: the version (or one in the advisory) does not parse in
    /// the ecosystem, or palisade does not know how the ecosystem orders versions. Reported,
    /// never silently taken as "not affected".
    CannotCompare(CannotCompare),
}

/// Why a version could not be checked against an advisory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot compare {ecosystem} version {version:?}: {reason}")]
pub struct CannotCompare {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The installed version as given.
    pub version: String,
    /// What failed.
    pub reason: Reason,
}

/// What made a comparison impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The installed version is not valid in the named scheme (`SemVer`, `npm semver`,
    /// `PEP 440`).
    InvalidVersion(&'static str),
    /// A version or requirement in the advisory does not parse (as written there).
    InvalidAdvisoryVersion(String),
    /// The ecosystem's ordering is unknown, and the version is not in the exact list.
    UnsupportedEcosystem,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::InvalidVersion(scheme) => write!(f, "not a valid {scheme} version"),
            Reason::InvalidAdvisoryVersion(v) => {
                write!(f, "the advisory's version {v:?} is invalid")
            }
            Reason::UnsupportedEcosystem => {
                f.write_str("palisade cannot order this ecosystem's versions")
            }
        }
    }
}

impl Affected {
    /// Checks one version of this package against this entry.
    ///
    /// ```
    /// use palisade_advisory::{osv, Outcome};
    ///
    /// let json = r#"{"id": "GHSA-xxxx-xxxx-xxxx", "affected": [{
    ///     "package": {"ecosystem": "npm", "name": "left-pad"},
    ///     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}"#;
    /// let advisory = osv::parse_json(json, "example.json").unwrap();
    /// assert_eq!(advisory.affected[0].check("1.2.9"), Outcome::Affected);
    /// assert_eq!(advisory.affected[0].check("1.3.0"), Outcome::NotAffected);
    /// assert!(matches!(advisory.affected[0].check("one"), Outcome::CannotCompare(_)));
    /// ```
    pub fn check(&self, version: &str) -> Outcome {
        self.check_installed(&Installed::new(version))
    }

    pub(crate) fn check_installed(&self, installed: &Installed<'_>) -> Outcome {
        // Exact list first: it needs no ordering, so it answers even for unknown ecosystems.
        if self.versions.iter().any(|v| v == installed.text) {
            return Outcome::Affected;
        }
        let mut problem: Option<Reason> = None;
        if let Some(rustsec) = &self.rustsec {
            match rustsec_affects(installed, rustsec) {
                Ok(true) => return Outcome::Affected,
                Ok(false) => {}
                Err(reason) => problem = Some(reason),
            }
        }
        for range in &self.ranges {
            let result = match Scheme::for_range(&self.ecosystem, range.kind) {
                Some(Scheme::Semver) => range_affects::<semver::Version>(installed, &range.events),
                Some(Scheme::Npm) => {
                    range_affects::<nodejs_semver::Version>(installed, &range.events)
                }
                Some(Scheme::Pep440) => {
                    range_affects::<pep440_rs::Version>(installed, &range.events)
                }
                None => Err(Reason::UnsupportedEcosystem),
            };
            match result {
                Ok(true) => return Outcome::Affected,
                Ok(false) => {}
                Err(reason) => {
                    problem.get_or_insert(reason);
                }
            }
        }
        match problem {
            None => Outcome::NotAffected,
            Some(reason) => Outcome::CannotCompare(CannotCompare {
                ecosystem: self.ecosystem.clone(),
                version: installed.text.to_owned(),
                reason,
            }),
        }
    }
}

impl Advisory {
    /// Checks a package version against every entry of this advisory for that package:
    /// affected if any entry says so, else "cannot compare" if any entry could not tell.
    pub fn check(&self, ecosystem: &Ecosystem, package: &str, version: &str) -> Outcome {
        let package = ecosystem.normalise_name(package);
        let installed = Installed::new(version);
        combine(
            self.affected
                .iter()
                .filter(|a| &a.ecosystem == ecosystem && a.package == package)
                .map(|a| a.check_installed(&installed)),
        )
    }
}

/// Affected wins over cannot-compare, which wins over not-affected.
pub(crate) fn combine(outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let mut result = Outcome::NotAffected;
    for outcome in outcomes {
        match outcome {
            Outcome::Affected => return Outcome::Affected,
            Outcome::CannotCompare(c) if result == Outcome::NotAffected => {
                result = Outcome::CannotCompare(c);
            }
            _ => {}
        }
    }
    result
}

/// cargo-audit's rule: affected unless an `unaffected` or `patched` interval holds the version.
fn rustsec_affects(installed: &Installed<'_>, versions: &RustSecVersions) -> Result<bool, Reason> {
    let version = semver::Version::installed(installed)
        .ok_or(Reason::InvalidVersion(Scheme::Semver.describe()))?;
    for requirement in versions.unaffected.iter().chain(&versions.patched) {
        let interval = Interval::from_requirement(requirement)
            .map_err(|_| Reason::InvalidAdvisoryVersion(requirement.clone()))?;
        if interval.contains(version) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A parsed event position: `introduced: "0"` is below every version, `limit: "*"` above.
enum Point<V> {
    Zero,
    At(V),
    Infinity,
}

impl<V: SchemeVersion> Point<V> {
    fn parse(event: &Event) -> Result<Point<V>, Reason> {
        match event {
            Event::Introduced(v) if v.trim() == "0" => Ok(Point::Zero),
            Event::Limit(v) if v.trim() == "*" => Ok(Point::Infinity),
            other => V::parse_version(other.version())
                .map(Point::At)
                .ok_or_else(|| Reason::InvalidAdvisoryVersion(other.version().to_owned())),
        }
    }

    fn cmp_point(&self, other: &Point<V>) -> Ordering {
        match (self, other) {
            (Point::At(a), Point::At(b)) => a.compare(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    /// Where `version` stands relative to this point.
    fn version_cmp(&self, version: &V) -> Ordering {
        match self {
            Point::Zero => Ordering::Greater,
            Point::At(p) => version.compare(p),
            Point::Infinity => Ordering::Less,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Point::Zero => 0,
            Point::At(_) => 1,
            Point::Infinity => 2,
        }
    }
}

/// Tie order: `introduced` before the events that end a range.
fn event_rank(event: &Event) -> u8 {
    match event {
        Event::Introduced(_) => 0,
        Event::LastAffected(_) => 1,
        Event::Fixed(_) => 2,
        Event::Limit(_) => 3,
    }
}

/// OSV's `IncludedInRanges` for one range, in the ordering `V`.
fn range_affects<V: SchemeVersion>(
    installed: &Installed<'_>,
    events: &[Event],
) -> Result<bool, Reason> {
    let mut points = Vec::with_capacity(events.len());
    for event in events {
        points.push((Point::<V>::parse(event)?, event));
    }
    let version = V::installed(installed).ok_or(Reason::InvalidVersion(V::SCHEME.describe()))?;

    let limits: Vec<_> = points
        .iter()
        .filter(|(_, e)| matches!(e, Event::Limit(_)))
        .collect();
    let below_a_limit = limits.is_empty()
        || limits
            .iter()
            .any(|(p, _)| p.version_cmp(version) == Ordering::Less);
    if !below_a_limit {
        return Ok(false);
    }

    points.sort_by(|(a, ea), (b, eb)| a.cmp_point(b).then(event_rank(ea).cmp(&event_rank(eb))));
    let mut affected = false;
    for (point, event) in &points {
        let position = point.version_cmp(version);
        match event {
            Event::Introduced(_) if position != Ordering::Less => affected = true,
            Event::Fixed(_) if position != Ordering::Less => affected = false,
            Event::LastAffected(_) if position == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}
