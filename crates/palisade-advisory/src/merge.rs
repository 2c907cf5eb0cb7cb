//! One vulnerability, reported once: records from several databases that share an id or alias
//! are merged, and withdrawn records are dropped.
//!
//! Records are grouped transitively by shared ids (a record's own id and its `aliases`;
//! `related` ids are distinct issues and never merge), with one exception: two records whose
//! own ids come from the same database and differ are not put in one group through a third id
//! they share (one naming the other's id directly still merges). A database that issued two
//! ids meant two advisories — RustSec files one per crate for a GitHub advisory that
//! covers several (`age` and `rage` share `GHSA-4fg7-vxc8-qx5w`), and an "unmaintained" notice
//! may carry the aliases of the vulnerability that prompted it — and merging them would report
//! one crate under the other's id or lose the notice. Withdrawn records are dropped *before*
//! grouping, so a withdrawn duplicate cannot bridge two live advisories. In a group:
//!
//! - the id is the best-ranked record id: RUSTSEC/PYSEC, then GHSA, then others, CVE last
//!   (what users of cargo-audit, pip-audit and npm look up); ties go to the earlier record;
//! - every other id becomes an alias; the text, link and dates come from that record, with
//!   gaps filled from the others (published: earliest, modified: latest);
//! - the severity is the highest any record gives (`--fail-on` must not under-report), with
//!   the CVSS vector behind it;
//! - it is a vulnerability if any record says so, else keeps the leading record's informational
//!   kind;
//! - `affected` is the union of the entries (exact duplicates removed). Entries are checked
//!   one by one, so a version is affected if any source says so.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::id::AdvisoryId;
use crate::model::{Advisory, Kind};

/// What merging did, for a report's "loaded N advisories" line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeStats {
    /// Records given.
    pub records: usize,
    /// Records dropped because they were withdrawn.
    pub withdrawn: usize,
    /// Records folded into another record of the same issue.
    pub merged: usize,
    /// Advisories after merging.
    pub advisories: usize,
}

/// Drops withdrawn records and merges the rest by shared ids; the result is sorted by id.
pub fn merge(records: impl IntoIterator<Item = Advisory>) -> (Vec<Advisory>, MergeStats) {
    let mut stats = MergeStats::default();
    let mut live = Vec::new();
    for record in records {
        stats.records += 1;
        if record.withdrawn.is_some() {
            stats.withdrawn += 1;
        } else {
            live.push(record);
        }
    }

    let mut sets = DisjointSets::new(live.iter().map(|r| r.id.clone()));
    let mut first_with: HashMap<&str, usize> = HashMap::new();
    for (i, record) in live.iter().enumerate() {
        for id in std::iter::once(&record.id).chain(&record.aliases) {
            match first_with.get(id.as_str()) {
                // A record naming another's own id states they are the same issue, even
                // within one database (GitHub aliases duplicate GHSAs); a shared third id
                // only suggests it.
                Some(&j) => sets.union(i, j, *id == record.id || *id == live[j].id),
                None => {
                    first_with.insert(id.as_str(), i);
                }
            }
        }
    }
    drop(first_with);

    let mut groups: Vec<Vec<Advisory>> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let roots: Vec<usize> = (0..live.len()).map(|i| sets.find(i)).collect();
    for (record, root) in live.into_iter().zip(roots) {
        let group = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(record);
    }

    let mut merged: Vec<Advisory> = groups
        .into_iter()
        .map(|group| {
            stats.merged += group.len() - 1;
            fold(group)
        })
        .collect();
    merged.sort_by(|a, b| a.id.cmp(&b.id));
    stats.advisories = merged.len();
    (merged, stats)
}

/// Merges one group of records of the same issue (see the module docs for the rules).
fn fold(mut group: Vec<Advisory>) -> Advisory {
    // Groups are never empty: each starts with the record that created it.
    if group.len() == 1 {
        return group.remove(0);
    }
    let primary = (0..group.len())
        .min_by_key(|&i| (group[i].id.display_rank(), i))
        .unwrap_or(0);
    let mut base = group.remove(primary);

    let best_rated = std::iter::once(&base)
        .chain(&group)
        .max_by(|a, b| {
            let score = |x: &Advisory| x.cvss.as_ref().map_or(-1.0, |c| c.score);
            a.severity
                .cmp(&b.severity)
                .then(score(a).total_cmp(&score(b)))
        })
        .map(|a| (a.severity, a.cvss.clone()));
    if let Some((severity, cvss)) = best_rated {
        base.severity = severity;
        base.cvss = cvss;
    }

    let mut ids: Vec<AdvisoryId> = Vec::new();
    for other in group {
        ids.push(other.id);
        ids.extend(other.aliases);
        base.related.extend(other.related);
        fill(&mut base.summary, other.summary);
        fill(&mut base.details, other.details);
        base.url = base.url.or(other.url);
        base.published = min_option(base.published, other.published);
        base.modified = base.modified.max(other.modified);
        if other.kind == Kind::Vulnerability {
            base.kind = Kind::Vulnerability;
        }
        for entry in other.affected {
            if !base.affected.contains(&entry) {
                base.affected.push(entry);
            }
        }
        for reference in other.references {
            if !base.references.contains(&reference) {
                base.references.push(reference);
            }
        }
    }
    base.aliases.extend(ids);
    base.aliases.retain(|id| id != &base.id);
    base.aliases.sort();
    base.aliases.dedup();
    base.related
        .retain(|id| id != &base.id && !base.aliases.contains(id));
    base.related.sort();
    base.related.dedup();
    base
}

fn fill(text: &mut String, other: String) {
    if text.is_empty() {
        *text = other;
    }
}

fn min_option(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Union–find over record indices, with path halving; each root keeps its group's record ids
/// so a union that would join two ids of one database can be refused.
struct DisjointSets {
    parent: Vec<usize>,
    own_ids: Vec<Vec<AdvisoryId>>,
}

impl DisjointSets {
    fn new(ids: impl Iterator<Item = AdvisoryId>) -> Self {
        let own_ids: Vec<Vec<AdvisoryId>> = ids.map(|id| vec![id]).collect();
        DisjointSets {
            parent: (0..own_ids.len()).collect(),
            own_ids,
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize, direct: bool) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let conflict = !direct
            && self.own_ids[a].iter().any(|x| {
                self.own_ids[b]
                    .iter()
                    .any(|y| x != y && x.prefix() == y.prefix())
            });
        if conflict {
            return;
        }
        // The earlier record's root survives, so group order follows input order.
        let (root, child) = (a.min(b), a.max(b));
        self.parent[child] = root;
        let moved = std::mem::take(&mut self.own_ids[child]);
        self.own_ids[root].extend(moved);
    }
}
