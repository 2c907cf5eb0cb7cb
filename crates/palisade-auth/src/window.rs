//! Sliding windows with a fixed memory bound each, and IP prefixes.

use std::collections::VecDeque;
use std::net::IpAddr;

use ipnet::IpNet;

/// The prefix an address belongs to (`/24` IPv4, `/64` IPv6 by default). IPv4-mapped IPv6
/// addresses count as IPv4, so `::ffff:203.0.113.7` and `203.0.113.7` are one source.
pub fn prefix_of(ip: IpAddr, v4_len: u8, v6_len: u8) -> IpNet {
    let ip = ip.to_canonical();
    let len = if ip.is_ipv4() { v4_len } else { v6_len };
    // Lengths are validated (≤ 32 / ≤ 128), so `new` cannot fail; fall back to the host.
    IpNet::new(ip, len).map_or_else(|_| IpNet::from(ip), |n| n.trunc())
}

/// The last `cap` event times: enough to tell whether `cap` (or fewer) events fell within a
/// window, in O(cap) memory whatever the rate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recent {
    times: VecDeque<i64>,
}

impl Recent {
    pub(crate) fn push(&mut self, now: i64, cap: usize) {
        if self.times.len() >= cap.max(1) {
            self.times.pop_front();
        }
        self.times.push_back(now);
    }

    /// Events within `(now - window, now]`, at most the cap.
    pub(crate) fn count(&self, now: i64, window: i64) -> usize {
        let since = now - window;
        self.times.iter().rev().take_while(|t| **t > since).count()
    }

    pub(crate) fn clear(&mut self) {
        self.times.clear();
    }

    pub(crate) fn bytes(&self) -> usize {
        self.times.capacity() * size_of::<i64>()
    }
}

/// Distinct keys seen within a window (usernames per IP, IPs per username), at most `cap`.
#[derive(Debug, Clone)]
pub(crate) struct Distinct<K> {
    seen: Vec<(K, i64)>,
}

impl<K> Default for Distinct<K> {
    fn default() -> Self {
        Distinct { seen: Vec::new() }
    }
}

impl<K: PartialEq> Distinct<K> {
    /// Records `key` at `now`, forgetting keys older than the window, then the oldest key when
    /// full.
    pub(crate) fn touch(&mut self, key: K, now: i64, window: i64, cap: usize) {
        let since = now - window;
        self.seen.retain(|(_, t)| *t > since);
        if let Some(entry) = self.seen.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = now;
            return;
        }
        if self.seen.len() >= cap.max(1) {
            let oldest = self
                .seen
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, t))| *t)
                .map_or(0, |(i, _)| i);
            self.seen.swap_remove(oldest);
        }
        self.seen.push((key, now));
    }

    pub(crate) fn count(&self, now: i64, window: i64) -> usize {
        let since = now - window;
        self.seen.iter().filter(|(_, t)| *t > since).count()
    }

    pub(crate) fn keys(&self, now: i64, window: i64) -> impl Iterator<Item = &K> {
        let since = now - window;
        self.seen
            .iter()
            .filter(move |(_, t)| *t > since)
            .map(|(k, _)| k)
    }

    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// Attempts and failures over a window, in a ring of fixed buckets (the global ratio).
#[derive(Debug, Clone)]
pub(crate) struct Buckets {
    width: i64,
    /// (bucket start, attempts, failures)
    ring: Vec<(i64, u32, u32)>,
}

impl Buckets {
    pub(crate) fn new(window: i64, count: usize) -> Self {
        let count = count.max(1);
        Buckets {
            width: (window / count as i64).max(1),
            ring: vec![(i64::MIN, 0, 0); count],
        }
    }

    pub(crate) fn add(&mut self, now: i64, failed: bool) {
        let start = now.div_euclid(self.width) * self.width;
        let slot = (now.div_euclid(self.width)).rem_euclid(self.ring.len() as i64) as usize;
        let b = &mut self.ring[slot];
        if b.0 != start {
            *b = (start, 0, 0);
        }
        b.1 = b.1.saturating_add(1);
        if failed {
            b.2 = b.2.saturating_add(1);
        }
    }

    /// (attempts, failures) within the window ending at `now`.
    pub(crate) fn totals(&self, now: i64) -> (u32, u32) {
        let span = self.width * self.ring.len() as i64;
        let since = now.div_euclid(self.width) * self.width - span + self.width;
        self.ring
            .iter()
            .filter(|b| b.0 >= since && b.0 <= now)
            .fold((0u32, 0u32), |(a, f), b| {
                (a.saturating_add(b.1), f.saturating_add(b.2))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p = prefix_of("203.0.113.77".parse().unwrap(), 24, 64);
        assert_eq!(p.to_string(), "203.0.113.0/24");
        let mapped = prefix_of("::ffff:203.0.113.9".parse().unwrap(), 24, 64);
        assert_eq!(mapped, p);
        let v6 = prefix_of("2001:db8:1:2:3:4:5:6".parse().unwrap(), 24, 64);
        assert_eq!(v6.to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn recent_counts_within_window() {
        let mut r = Recent::default();
        for t in 0..20 {
            r.push(t * 10, 5);
        }
        assert_eq!(r.count(190, 1000), 5); // capped
        assert_eq!(r.count(190, 25), 3); // 170, 180, 190
        assert_eq!(r.count(10_000, 25), 0);
    }

    #[test]
    fn distinct_forgets_old_and_caps() {
        let mut d = Distinct::default();
        d.touch("a", 0, 100, 3);
        d.touch("b", 10, 100, 3);
        d.touch("a", 20, 100, 3);
        assert_eq!(d.count(20, 100), 2);
        d.touch("c", 30, 100, 3);
        d.touch("d", 40, 100, 3); // evicts b (oldest)
        assert_eq!(d.keys(40, 100).copied().collect::<Vec<_>>().len(), 3);
        assert!(!d.keys(40, 100).any(|k| *k == "b"));
        assert_eq!(d.count(125, 100), 2); // a@20 gone
    }

    #[test]
    fn buckets_slide() {
        let mut b = Buckets::new(100, 10);
        for t in 0..50 {
            b.add(t, t % 2 == 0);
        }
        assert_eq!(b.totals(49), (50, 25));
        assert_eq!(b.totals(140), (0, 0));
        b.add(140, true);
        assert_eq!(b.totals(140), (1, 1));
    }
}
