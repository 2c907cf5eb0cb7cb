//! One black book entry as shared by the master map and the snapshots: the ban as decided,
//! plus counters the hot path bumps without locks.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use palisade_core::Timestamp;

use crate::ban::{Ban, BanInfo};

pub(crate) struct Entry {
    /// The ban as decided; `hits` and `last_seen` here are the values at that time.
    pub(crate) ban: Ban,
    hits: AtomicU64,
    last_hit: AtomicI64,
    /// `hits` as last written to durable storage.
    flushed: AtomicU64,
}

impl Entry {
    pub(crate) fn new(ban: Ban) -> Self {
        Entry {
            hits: AtomicU64::new(ban.hits),
            last_hit: AtomicI64::new(ban.last_seen.0),
            flushed: AtomicU64::new(ban.hits),
            ban,
        }
    }

    pub(crate) fn is_active(&self, now: Timestamp) -> bool {
        self.ban.expires_at.is_none_or(|t| t > now)
    }

    /// Counts a refused request. Relaxed: counters for humans, not synchronisation.
    pub(crate) fn hit(&self, now: Timestamp) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.last_hit.fetch_max(now.0, Ordering::Relaxed);
    }

    pub(crate) fn info(&self) -> BanInfo {
        self.ban.info()
    }

    /// The ban with its current counters.
    pub(crate) fn current(&self) -> Ban {
        let mut ban = self.ban.clone();
        ban.hits = self.hits.load(Ordering::Relaxed);
        ban.last_seen = Timestamp(ban.last_seen.0.max(self.last_hit.load(Ordering::Relaxed)));
        ban
    }

    /// The current ban when its counters moved since the last call (for write-back).
    pub(crate) fn take_dirty(&self) -> Option<Ban> {
        let hits = self.hits.load(Ordering::Relaxed);
        (self.flushed.swap(hits, Ordering::Relaxed) != hits).then(|| self.current())
    }
}
