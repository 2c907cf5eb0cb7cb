//! Open connections per client: a counter per key, taken on accept and given back when the
//! returned guard drops.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use foldhash::fast::RandomState;

use crate::net::client_net;

/// The metric counting connections refused because the table of clients was full.
pub const CONN_REFUSED_METRIC: &str = "palisade_connlimit_table_full_total";

/// Connection limit settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimitConfig {
    /// Most open connections per client. Default 128 (browsers open 6 per host; offices
    /// behind one NAT address need many more).
    pub max_per_ip: u32,
    /// Most clients tracked at once. Only clients with an open connection are held, so this
    /// bounds concurrent distinct clients; when full, new clients are refused (the table
    /// cannot forget a client without breaking its count). Default 100 000.
    pub max_tracked: usize,
    /// IPv6 clients are counted per `/ipv6_prefix`. Default 64.
    pub ipv6_prefix: u8,
}

impl Default for ConnLimitConfig {
    fn default() -> Self {
        ConnLimitConfig {
            max_per_ip: 128,
            max_tracked: 100_000,
            ipv6_prefix: 64,
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConnRefused {
    /// The client already has `limit` connections open.
    #[error("client has {limit} connections open already")]
    PerIp {
        /// The configured limit.
        limit: u32,
    },
    /// `tracked` clients have connections open, the most the table holds.
    #[error("connection table full ({tracked} clients)")]
    TableFull {
        /// Clients tracked.
        tracked: usize,
    },
}

struct Inner {
    shards: Box<[Mutex<HashMap<IpAddr, u32, RandomState>>]>,
    shard_cap: usize,
    pick: RandomState,
    config: ConnLimitConfig,
}

impl Inner {
    fn shard(&self, key: &IpAddr) -> MutexGuard<'_, HashMap<IpAddr, u32, RandomState>> {
        let i = (self.pick.hash_one(key) >> 32) as usize & (self.shards.len() - 1);
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counts open connections per client, in bounded memory.
#[derive(Clone)]
pub struct ConnLimiter {
    inner: Arc<Inner>,
}

/// One open connection; dropping it gives the slot back.
pub struct ConnGuard {
    inner: Arc<Inner>,
    key: IpAddr,
}

impl std::fmt::Debug for ConnGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnGuard").field("key", &self.key).finish()
    }
}

impl ConnLimiter {
    /// A limiter with these settings (zero values are raised to 1).
    pub fn new(config: ConnLimitConfig) -> Self {
        let cap = config.max_tracked.max(1);
        let want = (cap / 1024).clamp(1, 16);
        let n = 1usize << (usize::BITS - 1 - want.leading_zeros());
        ConnLimiter {
            inner: Arc::new(Inner {
                shards: (0..n).map(|_| Mutex::new(HashMap::default())).collect(),
                shard_cap: cap / n,
                pick: RandomState::default(),
                config: ConnLimitConfig {
                    max_per_ip: config.max_per_ip.max(1),
                    max_tracked: cap,
                    ipv6_prefix: config.ipv6_prefix.min(128),
                },
            }),
        }
    }

    /// Takes a connection slot for `ip`.
    pub fn acquire(&self, ip: IpAddr) -> Result<ConnGuard, ConnRefused> {
        let inner = &self.inner;
        let key = client_net(ip, inner.config.ipv6_prefix).addr();
        let mut shard = inner.shard(&key);
        if let Some(n) = shard.get_mut(&key) {
            if *n >= inner.config.max_per_ip {
                return Err(ConnRefused::PerIp {
                    limit: inner.config.max_per_ip,
                });
            }
            *n += 1;
        } else {
            if shard.len() >= inner.shard_cap {
                drop(shard);
                metrics::counter!(CONN_REFUSED_METRIC).increment(1);
                return Err(ConnRefused::TableFull {
                    tracked: self.len(),
                });
            }
            shard.insert(key, 1);
        }
        Ok(ConnGuard {
            inner: inner.clone(),
            key,
        })
    }

    /// Connections `ip` has open.
    pub fn open(&self, ip: IpAddr) -> u32 {
        let key = client_net(ip, self.inner.config.ipv6_prefix).addr();
        self.inner.shard(&key).get(&key).copied().unwrap_or(0)
    }

    /// Clients with a connection open.
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    /// True when no client has a connection open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most clients tracked at once.
    pub fn capacity(&self) -> usize {
        self.inner.shard_cap * self.inner.shards.len()
    }

    /// Approximate heap bytes.
    pub fn approx_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(IpAddr, u32)>() + 1;
        self.inner
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).capacity() * slot)
            .sum()
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut shard = self.inner.shard(&self.key);
        if let Some(n) = shard.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                shard.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client_and_releases_on_drop() {
        let l = ConnLimiter::new(ConnLimitConfig {
            max_per_ip: 2,
            max_tracked: 2,
            ipv6_prefix: 64,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let g1 = l.acquire(a).unwrap();
        let g2 = l.acquire(a).unwrap();
        assert_eq!(l.acquire(a).unwrap_err(), ConnRefused::PerIp { limit: 2 });
        drop(g1);
        let g3 = l.acquire(a).unwrap();
        assert_eq!(l.open(a), 2);
        let b = l.acquire("192.0.2.2".parse().unwrap()).unwrap();
        assert!(matches!(
            l.acquire("192.0.2.3".parse().unwrap()),
            Err(ConnRefused::TableFull { .. })
        ));
        // Same /64: one client.
        drop((g2, g3, b));
        assert!(l.is_empty());
        let _x = l.acquire("2001:db8::1".parse().unwrap()).unwrap();
        assert_eq!(l.open("2001:db8::2".parse().unwrap()), 1);
    }
}
