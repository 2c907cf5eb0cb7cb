//! Which advisories an update leaves behind, looked up in `palisade_advisory`'s index.

use std::collections::HashSet;

use palisade_advisory::{AdvisoryId, Index, Severity, Verdict};
use palisade_lockfile::Ecosystem;

/// An advisory, summarised for update reports and commit messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    /// The id it is reported under (`RUSTSEC-…`, `GHSA-…`).
    pub id: AdvisoryId,
    /// Its other ids (CVE, GHSA, …).
    pub aliases: Vec<AdvisoryId>,
    /// Its rating, when the database gives one.
    pub severity: Option<Severity>,
    /// A RustSec informational advisory (unmaintained, unsound, …) rather than a
    /// vulnerability.
    pub informational: bool,
}

impl Fix {
    /// How urgent fixing it is, for ordering: vulnerabilities by severity, an unrated one just
    /// below `Moderate` (nobody has rated it, nor called it minor), then `Low`, then a 0.0
    /// rating; informational advisories last.
    pub(crate) fn urgency(&self) -> u8 {
        if self.informational {
            return 0;
        }
        match self.severity {
            Some(Severity::Critical) => 6,
            Some(Severity::High) => 5,
            Some(Severity::Moderate) => 4,
            None => 3,
            Some(Severity::Low) => 2,
            Some(Severity::None) => 1,
        }
    }

    /// `RUSTSEC-2024-0001/CVE-2024-1234 (high)`: every id, then the rating.
    pub fn label(&self) -> String {
        let mut label = self.id.to_string();
        for alias in &self.aliases {
            label.push('/');
            label.push_str(alias.as_str());
        }
        let rating = match (self.informational, self.severity) {
            (true, _) => "informational",
            (false, Some(severity)) => severity.as_str(),
            (false, None) => "severity unknown",
        };
        label.push_str(" (");
        label.push_str(rating);
        label.push(')');
        label
    }
}

/// The advisories affecting `current`, split into those `target` no longer has and those it
/// still has (all of them when there is no target). Worst first, then by id.
pub(crate) fn split_fixes(
    index: &Index,
    ecosystem: Ecosystem,
    name: &str,
    current: &str,
    target: Option<&str>,
) -> (Vec<Fix>, Vec<Fix>) {
    let eco = advisory_ecosystem(ecosystem);
    let now: Vec<Fix> = index
        .affected(&eco, name, current)
        .iter()
        .filter(|f| f.verdict == Verdict::Affected)
        .map(|f| Fix {
            id: f.id().clone(),
            aliases: f.aliases().to_vec(),
            severity: f.severity(),
            informational: f.is_warning(),
        })
        .collect();
    // Any finding on the target, affected or undecidable, keeps the advisory unfixed.
    let still: HashSet<AdvisoryId> = match target {
        Some(target) => index
            .affected(&eco, name, target)
            .iter()
            .map(|f| f.id().clone())
            .collect(),
        None => now.iter().map(|f| f.id.clone()).collect(),
    };
    let (mut unfixed, mut fixed): (Vec<Fix>, Vec<Fix>) =
        now.into_iter().partition(|f| still.contains(&f.id));
    for list in [&mut fixed, &mut unfixed] {
        list.sort_by(|a, b| b.urgency().cmp(&a.urgency()).then_with(|| a.id.cmp(&b.id)));
    }
    (fixed, unfixed)
}

pub(crate) fn advisory_ecosystem(ecosystem: Ecosystem) -> palisade_advisory::Ecosystem {
    palisade_advisory::Ecosystem::from_osv(ecosystem.as_str())
}
