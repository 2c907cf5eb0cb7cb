//! A sharded map with a hard cap on its number of keys, for per-client state that an attacker
//! can make grow (scores, rate-limit cells).
//!
//! Each shard holds at most `cap / shards` keys. Inserting into a full shard sweeps it: stale
//! entries (ones whose state equals "absent", such as a refilled rate-limit bucket) go first;
//! if that frees too little, the least recently used go until the shard is at 7/8 of its cap.
//! Sweeping a batch makes the cost amortised O(1) per insert, and every removal is counted in
//! `metric` so operators see when the cap is too small.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use foldhash::fast::RandomState;

/// What a bounded map needs to know about its values to evict well.
pub(crate) trait Aged {
    /// True when dropping the entry changes nothing (its state is the same as a fresh one).
    fn is_stale(&self, now: u64) -> bool;
    /// When the entry was last used, in the map's own ticks (larger is more recent).
    fn last_used(&self) -> u64;
}

pub(crate) struct BoundedMap<K, V> {
    shards: Box<[Mutex<HashMap<K, V, RandomState>>]>,
    shard_cap: usize,
    pick: RandomState,
    evictions: AtomicU64,
    metric: &'static str,
}

impl<K: Hash + Eq + Copy, V: Aged> BoundedMap<K, V> {
    /// A map of at most `cap` keys (`cap` ≥ 1); evictions are counted in `metric`.
    pub(crate) fn new(cap: usize, metric: &'static str) -> Self {
        let cap = cap.max(1);
        // Enough shards to keep lock contention low, few enough that each has room to sweep.
        let want = (cap / 1024).clamp(1, 16);
        let n = 1usize << (usize::BITS - 1 - want.leading_zeros());
        let shard_cap = cap / n;
        BoundedMap {
            shards: (0..n)
                .map(|_| Mutex::new(HashMap::with_hasher(RandomState::default())))
                .collect(),
            shard_cap,
            pick: RandomState::default(),
            evictions: AtomicU64::new(0),
            metric,
        }
    }

    fn shard(&self, key: &K) -> MutexGuard<'_, HashMap<K, V, RandomState>> {
        let i = (self.pick.hash_one(key) >> 32) as usize & (self.shards.len() - 1);
        // A panic while holding a shard leaves plain data behind: keep using it.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the entry for `key` (made by `init` when missing, sweeping a full shard
    /// first). `f` returns its result and whether to keep the entry.
    pub(crate) fn update<R>(
        &self,
        key: K,
        now: u64,
        init: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> (R, bool),
    ) -> R {
        let mut shard = self.shard(&key);
        if let Some(v) = shard.get_mut(&key) {
            let (r, keep) = f(v);
            if !keep {
                shard.remove(&key);
            }
            return r;
        }
        if shard.len() >= self.shard_cap {
            let evicted = sweep(&mut shard, self.shard_cap, now);
            self.evictions.fetch_add(evicted, Ordering::Relaxed);
            metrics::counter!(self.metric).increment(evicted);
        }
        let mut v = init();
        let (r, keep) = f(&mut v);
        if keep {
            shard.insert(key, v);
        }
        r
    }

    /// Reads the entry for `key`, if any.
    #[cfg(test)]
    pub(crate) fn get<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.shard(key).get(key).map(f)
    }

    /// Drops the entry for `key`.
    pub(crate) fn remove(&self, key: &K) {
        self.shard(key).remove(key);
    }

    /// Keys held now.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// The most keys it will ever hold (≤ the configured cap).
    pub(crate) fn capacity(&self) -> usize {
        self.shard_cap * self.shards.len()
    }

    /// Approximate heap bytes: the tables' allocated slots (key, value and a control byte).
    pub(crate) fn approx_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(K, V)>() + 1;
        self.shards
            .iter()
            .map(|s| lock(s).capacity() * slot)
            .sum::<usize>()
            + std::mem::size_of::<Self>()
    }

    /// Entries removed to stay under the cap since creation.
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Drops every stale entry (periodic maintenance); returns how many.
    pub(crate) fn purge_stale(&self, now: u64) -> usize {
        let mut removed = 0;
        for s in self.shards.iter() {
            let mut s = lock(s);
            let before = s.len();
            s.retain(|_, v| !v.is_stale(now));
            removed += before - s.len();
        }
        removed
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes room in a full shard; returns how many entries went.
fn sweep<K: Hash + Eq, V: Aged>(
    shard: &mut HashMap<K, V, RandomState>,
    cap: usize,
    now: u64,
) -> u64 {
    let before = shard.len();
    shard.retain(|_, v| !v.is_stale(now));
    let low_water = cap - cap.div_ceil(8);
    if shard.len() > low_water {
        let excess = shard.len() - low_water;
        let mut ages: Vec<u64> = shard.values().map(Aged::last_used).collect();
        let (_, cut, _) = ages.select_nth_unstable(excess - 1);
        let cut = *cut;
        // Ties at the cut may take a few more than `excess`: fine, never fewer.
        shard.retain(|_, v| v.last_used() > cut);
    }
    (before - shard.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cell(u64);
    impl Aged for Cell {
        fn is_stale(&self, now: u64) -> bool {
            self.0 + 100 < now
        }
        fn last_used(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn stays_under_cap_and_evicts_stale_then_oldest() {
        let m: BoundedMap<u32, Cell> = BoundedMap::new(10, "test_evictions_total");
        assert_eq!(m.capacity(), 10);
        for k in 0..10u32 {
            m.update(k, u64::from(k), || Cell(u64::from(k)), |_| ((), true));
        }
        assert_eq!(m.len(), 10);
        // At 105, key 0..=4 are stale.
        m.update(100, 105, || Cell(105), |_| ((), true));
        assert!(m.len() <= 10);
        assert!(m.get(&0, |_| ()).is_none());
        assert!(m.get(&9, |_| ()).is_some());
        assert_eq!(m.evictions(), 5);
        // Nothing stale: the oldest go.
        for k in 200..1000u32 {
            m.update(k, 106, || Cell(u64::from(k)), |_| ((), true));
            assert!(m.len() <= m.capacity());
        }
        assert!(m.get(&999, |_| ()).is_some());
    }
}
