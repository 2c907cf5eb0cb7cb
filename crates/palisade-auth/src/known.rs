//! The (user, IP prefix) pairs seen in successful logins: bounded in memory, exported as plain
//! data for whoever persists them.

use std::collections::HashMap;
use std::num::NonZeroUsize;

use ipnet::IpNet;
use lru::LruCache;
use palisade_core::Timestamp;
use serde::{Deserialize, Serialize};

/// One known pair, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPair {
    /// The normalised username.
    pub user: String,
    /// The prefix (`203.0.113.0/24`, `2001:db8::/64`).
    pub prefix: IpNet,
    /// When a login last succeeded from it.
    pub last_seen: Timestamp,
}

/// Known pairs, least recently seen evicted first. Also counts pairs per user, to tell a
/// user's first login from a login from a new place.
#[derive(Debug)]
pub(crate) struct KnownPairs {
    pairs: LruCache<(String, IpNet), i64>,
    per_user: HashMap<String, u32>,
    /// Pairs learnt since the last [`drain_learned`](Self::drain_learned), bounded.
    learned: Vec<KnownPair>,
    learned_cap: usize,
    learned_dropped: u64,
}

impl KnownPairs {
    pub(crate) fn new(cap: NonZeroUsize) -> Self {
        KnownPairs {
            pairs: LruCache::new(cap),
            per_user: HashMap::new(),
            learned: Vec::new(),
            learned_cap: cap.get().min(65_536),
            learned_dropped: 0,
        }
    }

    pub(crate) fn contains(&self, user: &str, prefix: IpNet) -> bool {
        // `peek`: asking must not refresh (only a success does).
        self.pairs.peek(&(user.to_owned(), prefix)).is_some()
    }

    pub(crate) fn user_known(&self, user: &str) -> bool {
        self.per_user.contains_key(user)
    }

    /// Records a success; true when the pair is new.
    pub(crate) fn record(&mut self, user: &str, prefix: IpNet, now: i64, note: bool) -> bool {
        let key = (user.to_owned(), prefix);
        if let Some(seen) = self.pairs.get_mut(&key) {
            *seen = now;
            return false;
        }
        if let Some(((old_user, _), _)) = self.pairs.push(key, now) {
            self.forget_one(&old_user);
        }
        *self.per_user.entry(user.to_owned()).or_insert(0) += 1;
        if note {
            if self.learned.len() < self.learned_cap {
                self.learned.push(KnownPair {
                    user: user.to_owned(),
                    prefix,
                    last_seen: Timestamp(now),
                });
            } else {
                self.learned_dropped += 1;
            }
        }
        true
    }

    pub(crate) fn remove(&mut self, user: &str, prefix: IpNet) -> bool {
        let removed = self.pairs.pop(&(user.to_owned(), prefix)).is_some();
        if removed {
            self.forget_one(user);
        }
        removed
    }

    fn forget_one(&mut self, user: &str) {
        if let Some(n) = self.per_user.get_mut(user) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(user);
            }
        }
    }

    pub(crate) fn export(&self) -> Vec<KnownPair> {
        // Oldest first, so importing in order restores the same recency.
        let mut out: Vec<KnownPair> = self
            .pairs
            .iter()
            .map(|((user, prefix), seen)| KnownPair {
                user: user.clone(),
                prefix: *prefix,
                last_seen: Timestamp(*seen),
            })
            .collect();
        out.reverse();
        out
    }

    pub(crate) fn import(&mut self, pairs: impl IntoIterator<Item = KnownPair>) {
        for p in pairs {
            self.record(&p.user, p.prefix.trunc(), p.last_seen.0, false);
        }
    }

    pub(crate) fn drain_learned(&mut self) -> (Vec<KnownPair>, u64) {
        let dropped = std::mem::take(&mut self.learned_dropped);
        (std::mem::take(&mut self.learned), dropped)
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn users(&self) -> usize {
        self.per_user.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        let pair = size_of::<(String, IpNet)>() + size_of::<i64>() + 32;
        self.pairs
            .iter()
            .map(|((u, _), _)| pair + u.capacity())
            .sum::<usize>()
            + self
                .per_user
                .keys()
                .map(|u| u.capacity() + size_of::<(String, u32)>() + 8)
                .sum::<usize>()
    }
}
