//! Fix advice: the lowest version above the installed one that an advisory calls fixed.

use crate::ecosystem::Ecosystem;
use crate::matching::Outcome;
use crate::model::{Advisory, Affected, Event, RangeKind};
use crate::version::interval::Interval;
use crate::version::{Installed, Scheme, SchemeVersion};

impl Advisory {
    /// Fix advice: the lowest version above `version` that this advisory calls fixed for the
    /// package, or `None` when it names none (unfixed, or only `last_affected` known).
    /// [`Index::affected`](crate::Index::affected) fills [`Finding::fixed_in`](crate::Finding)
    /// the same way.
    ///
    /// ```
    /// use palisade_advisory::{osv, Ecosystem};
    ///
    /// let json = r#"{"id": "GHSA-aaaa-aaaa-aaaa", "affected": [{
    ///     "package": {"ecosystem": "npm", "name": "p"},
    ///     "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.5"},
    ///                                              {"introduced": "2.0.0"}, {"fixed": "2.1.0"}]}]}]}"#;
    /// let advisory = osv::parse_json(json, "a.json").unwrap();
    /// assert_eq!(advisory.fixed_in(&Ecosystem::Npm, "p", "2.0.3").as_deref(), Some("2.1.0"));
    /// assert_eq!(advisory.fixed_in(&Ecosystem::Npm, "p", "3.0.0"), None);
    /// ```
    pub fn fixed_in(&self, ecosystem: &Ecosystem, package: &str, version: &str) -> Option<String> {
        let package = ecosystem.normalise_name(package);
        let entries: Vec<&Affected> = self
            .affected
            .iter()
            .filter(|a| &a.ecosystem == ecosystem && a.package == package)
            .collect();
        fixed_in(&entries, &Installed::new(version))
    }
}

/// The lowest version greater than `installed` that the advisory names as fixed (an OSV
/// `fixed` event, or the start of a RustSec `patched` interval) and that none of `entries`
/// (one package's entries in one advisory) calls affected. `None` when there is no fix yet,
/// or the versions cannot be ordered.
///
/// The re-check matters when ranges overlap or a later range reopens the issue: a `fixed`
/// version of one range can lie inside another, and is then no fix.
pub(crate) fn fixed_in(entries: &[&Affected], installed: &Installed<'_>) -> Option<String> {
    let first = entries.first()?;
    // RustSec entries are SemVer whatever their ranges say; otherwise the ecosystem decides.
    let kind = first
        .ranges
        .first()
        .map_or(RangeKind::Ecosystem, |r| r.kind);
    let scheme = if first.rustsec.is_some() {
        Scheme::Semver
    } else {
        Scheme::for_range(&first.ecosystem, kind)?
    };
    match scheme {
        Scheme::Semver => lowest_fix::<semver::Version>(entries, installed),
        Scheme::Npm => lowest_fix::<nodejs_semver::Version>(entries, installed),
        Scheme::Pep440 => lowest_fix::<pep440_rs::Version>(entries, installed),
    }
}

fn lowest_fix<V: SchemeVersion>(
    entries: &[&Affected],
    installed: &Installed<'_>,
) -> Option<String> {
    let current = V::installed(installed)?;
    let mut candidates: Vec<(V, String)> = Vec::new();
    for entry in entries {
        let fixed_events = entry
            .ranges
            .iter()
            .flat_map(|r| &r.events)
            .filter_map(|e| match e {
                Event::Fixed(v) => Some(v.clone()),
                _ => None,
            });
        let patched_starts = entry
            .rustsec
            .iter()
            .flat_map(|r| &r.patched)
            .filter_map(|req| Interval::from_requirement(req).ok()?.lowest_release())
            .map(|v| v.to_string());
        for text in fixed_events.chain(patched_starts) {
            if let Some(v) = V::parse_version(&text)
                && v.compare(current).is_gt()
            {
                candidates.push((v, text));
            }
        }
    }
    candidates.sort_by(|(a, _), (b, _)| a.compare(b));
    candidates.into_iter().map(|(_, text)| text).find(|text| {
        let candidate = Installed::new(text);
        entries
            .iter()
            .all(|e| !matches!(e.check_installed(&candidate), Outcome::Affected))
    })
}
