//! The read side of the black book: an immutable snapshot the hot path reads without locks.
//!
//! Bans are kept in per-prefix-length hash maps keyed by the masked address, only for the
//! lengths present, longest first; a lookup masks the client address once per length. The
//! snapshot is a large `base` rebuilt now and then plus a small `delta` of recent changes
//! (with tombstones for removals) that is copied on each change: a ban takes effect at once
//! without copying 100k entries, and the delta is folded into a new base when it grows past
//! a bound proportional to √n (amortised cost per change stays small).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

use foldhash::fast::RandomState;
use ipnet::IpNet;
use palisade_core::Timestamp;

use super::entry::Entry;

/// An entry, or a tombstone (in the delta only) hiding the base's entry for the same network.
pub(crate) type Slot = Option<Arc<Entry>>;

pub(crate) trait Key: Copy + Eq + Hash {
    fn mask(self, len: u8) -> Self;
}

impl Key for u32 {
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - u32::from(len)))
        }
    }
}

impl Key for u128 {
    fn mask(self, len: u8) -> Self {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - u32::from(len)))
        }
    }
}

/// One address family: (prefix length, masked address → slot), longest prefix first.
#[derive(Clone)]
pub(crate) struct Family<K> {
    lens: Vec<(u8, HashMap<K, Slot, RandomState>)>,
}

impl<K> Default for Family<K> {
    fn default() -> Self {
        Family { lens: Vec::new() }
    }
}

impl<K: Key> Family<K> {
    fn insert(&mut self, len: u8, key: K, slot: Slot) {
        let i = match self.lens.iter().position(|(l, _)| *l <= len) {
            Some(i) if self.lens[i].0 == len => i,
            Some(i) => {
                self.lens.insert(i, (len, HashMap::default()));
                i
            }
            None => {
                self.lens.push((len, HashMap::default()));
                self.lens.len() - 1
            }
        };
        self.lens[i].1.insert(key.mask(len), slot);
    }

    fn exact(&self, len: u8, masked: K) -> Option<&Slot> {
        self.lens
            .iter()
            .find(|(l, _)| *l == len)
            .and_then(|(_, m)| m.get(&masked))
    }

    /// Every entry covering `key`, longest prefix first.
    fn matches(&self, key: K) -> impl Iterator<Item = (u8, K, &Slot)> {
        self.lens.iter().filter_map(move |(len, m)| {
            let k = key.mask(*len);
            m.get(&k).map(|s| (*len, k, s))
        })
    }

    fn len(&self) -> usize {
        self.lens.iter().map(|(_, m)| m.len()).sum()
    }

    fn bytes(&self) -> usize {
        let slot = std::mem::size_of::<(K, Slot)>() + 1;
        self.lens.iter().map(|(_, m)| m.capacity() * slot).sum()
    }
}

/// Both families.
#[derive(Clone, Default)]
pub(crate) struct Tables {
    v4: Family<u32>,
    v6: Family<u128>,
}

impl Tables {
    pub(crate) fn insert(&mut self, net: IpNet, slot: Slot) {
        match net {
            IpNet::V4(n) => self.v4.insert(n.prefix_len(), u32::from(n.addr()), slot),
            IpNet::V6(n) => self.v6.insert(n.prefix_len(), u128::from(n.addr()), slot),
        }
    }

    pub(crate) fn covers(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.matches(u32::from(a)).next().is_some(),
            IpAddr::V6(a) => self.v6.matches(u128::from(a)).next().is_some(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.v4.bytes() + self.v6.bytes()
    }
}

/// What readers see: allowlist, base, delta.
#[derive(Default)]
pub(crate) struct Snapshot {
    pub(crate) allow: Arc<Tables>,
    pub(crate) base: Arc<Tables>,
    pub(crate) delta: Tables,
}

impl Snapshot {
    /// The most specific active ban covering `ip` (already normalised), unless allowlisted.
    pub(crate) fn lookup(&self, ip: IpAddr, now: Timestamp) -> Option<&Arc<Entry>> {
        if self.allow.covers(ip) {
            return None;
        }
        match ip {
            IpAddr::V4(a) => find(&self.base.v4, &self.delta.v4, u32::from(a), now),
            IpAddr::V6(a) => find(&self.base.v6, &self.delta.v6, u128::from(a), now),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.base.bytes() + self.delta.bytes() + self.allow.bytes()
    }
}

fn find<'a, K: Key>(
    base: &'a Family<K>,
    delta: &'a Family<K>,
    key: K,
    now: Timestamp,
) -> Option<&'a Arc<Entry>> {
    // The delta is newer: its entries win, and its tombstones or expired re-bans hide the
    // base's entry for the same network.
    for (_, _, slot) in delta.matches(key) {
        if let Some(e) = slot
            && e.is_active(now)
        {
            return Some(e);
        }
    }
    base.matches(key).find_map(|(len, k, slot)| {
        slot.as_ref()
            .filter(|e| e.is_active(now) && delta.exact(len, k).is_none())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(0xC000_0201u32.mask(24), 0xC000_0200);
        assert_eq!(0xC000_0201u32.mask(32), 0xC000_0201);
        assert_eq!(0xC000_0201u32.mask(0), 0);
        assert_eq!(u128::MAX.mask(64), u128::MAX << 64);
        assert_eq!(u128::MAX.mask(128), u128::MAX);
    }
}
