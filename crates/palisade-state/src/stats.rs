//! Counts the black book reports about itself and its operations.

use serde::Serialize;

/// The black book's own size accounting (for `/metrics` and the spray tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BookStats {
    /// Entries held (active bans plus expired ones still remembered).
    pub entries: usize,
    /// The cap on `entries`.
    pub max_entries: usize,
    /// Approximate heap bytes of entries, the master map and the published snapshot.
    pub bytes: usize,
    /// Entries evicted to stay under the cap.
    pub evictions: u64,
    /// Clients with a live offence score.
    pub scores: usize,
    /// The cap on `scores`.
    pub max_scores: usize,
    /// Approximate heap bytes of the score map.
    pub score_bytes: usize,
    /// Scores evicted to stay under the cap.
    pub score_evictions: u64,
    /// Times the shared store (Redis) became unreachable; always 0 for local backends.
    pub outages: u64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportSummary {
    /// New entries.
    pub added: usize,
    /// Entries replaced.
    pub updated: usize,
    /// Skipped: already expired.
    pub expired: usize,
    /// Skipped: on the allowlist.
    pub allowlisted: usize,
    /// Skipped: an active manual ban exists and wins over imported ones.
    pub kept_manual: usize,
}

/// What periodic maintenance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PurgeSummary {
    /// Entries left.
    pub entries: usize,
    /// Of those, expired ones kept for repeat-offence memory.
    pub expired: usize,
    /// Expired entries past `repeat_memory`, deleted.
    pub forgotten: usize,
    /// Offence scores that had decayed to nothing, dropped.
    pub stale_scores: usize,
}
