//! The keyed GCRA limiter and its decisions (with the values of `429` headers).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::bounded::{Aged, BoundedMap};
use crate::error::StateError;
use crate::net::client_net;

use super::gcra::{Quota, step};

/// The metric counting rate-limit keys dropped to stay under `max_keys`.
pub const RATELIMIT_EVICTIONS_METRIC: &str = "palisade_ratelimit_evictions_total";

/// Settings shared by all the limiter's policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Most (policy, client) keys held at once. Default 100 000 (about 5 MB).
    pub max_keys: usize,
    /// IPv6 clients are limited per `/ipv6_prefix`. Default 64.
    pub ipv6_prefix: u8,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            max_keys: 100_000,
            ipv6_prefix: 64,
        }
    }
}

/// One of the limiter's policies (the global one, or a route rule's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyId(u16);

struct Cell {
    /// Theoretical arrival time, ns since the limiter's start.
    tat: u64,
    /// Last request, ns since the limiter's start.
    seen: u64,
}

impl Aged for Cell {
    /// A refilled bucket is the same as no bucket.
    fn is_stale(&self, now: u64) -> bool {
        self.tat <= now
    }

    fn last_used(&self) -> u64 {
        self.seen
    }
}

/// GCRA limits keyed by (policy, client), in bounded memory.
pub struct RateLimiter {
    quotas: Vec<Quota>,
    keys: BoundedMap<(PolicyId, IpAddr), Cell>,
    start: Instant,
    ipv6_prefix: u8,
}

/// The size accounting of a [`RateLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct LimiterStats {
    /// Keys held.
    pub keys: usize,
    /// The most keys it will hold.
    pub max_keys: usize,
    /// Approximate heap bytes.
    pub bytes: usize,
    /// Keys evicted to stay under the cap.
    pub evictions: u64,
}

/// The answer for one request, with what a `429` and the IETF `RateLimit` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Go on (true) or answer `429` (false).
    pub allowed: bool,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Until the client's quota is fully restored.
    pub reset: Duration,
    /// When denied: until the next request will be allowed.
    pub retry_after: Option<Duration>,
    /// The policy that decided.
    pub quota: &'a Quota,
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_nanos().div_ceil(1_000_000_000) as u64
}

impl Decision<'_> {
    /// `Retry-After` in whole seconds (at least 1), when denied.
    pub fn retry_after_header(&self) -> Option<String> {
        self.retry_after.map(|d| ceil_secs(d).max(1).to_string())
    }

    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): `"name";q=burst;w=window`.
    pub fn policy_header(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.quota.name(),
            self.quota.burst(),
            ceil_secs(self.quota.window()).max(1)
        )
    }

    /// `RateLimit` (draft-ietf-httpapi-ratelimit-headers): `"name";r=remaining;t=reset`.
    pub fn ratelimit_header(&self) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.quota.name(),
            self.remaining,
            ceil_secs(self.reset)
        )
    }
}

impl RateLimiter {
    /// A limiter enforcing `quotas` (names unique, at most 65 535), with times counted from
    /// `start`.
    pub fn new(
        config: RateLimitConfig,
        quotas: impl IntoIterator<Item = Quota>,
        start: Instant,
    ) -> Result<Self, StateError> {
        let quotas: Vec<Quota> = quotas.into_iter().collect();
        if quotas.len() > usize::from(u16::MAX) {
            return Err(StateError::Config("too many rate limit policies".into()));
        }
        for (i, q) in quotas.iter().enumerate() {
            if quotas[..i].iter().any(|p| p.name() == q.name()) {
                return Err(StateError::Config(format!(
                    "rate limit `{}` is defined twice",
                    q.name()
                )));
            }
        }
        if config.max_keys == 0 || config.ipv6_prefix > 128 {
            return Err(StateError::Config(
                "rate limit max_keys must be at least 1 and ipv6_prefix at most 128".into(),
            ));
        }
        Ok(RateLimiter {
            keys: BoundedMap::new(config.max_keys, RATELIMIT_EVICTIONS_METRIC),
            quotas,
            start,
            ipv6_prefix: config.ipv6_prefix,
        })
    }

    /// The id of the policy named `name` (resolve once at start).
    pub fn policy_id(&self, name: &str) -> Option<PolicyId> {
        self.quotas
            .iter()
            .position(|q| q.name() == name)
            .and_then(|i| u16::try_from(i).ok())
            .map(PolicyId)
    }

    /// IPv6 clients are limited per this prefix length.
    pub fn ipv6_prefix(&self) -> u8 {
        self.ipv6_prefix
    }

    /// The quota behind an id.
    pub fn quota(&self, id: PolicyId) -> Option<&Quota> {
        self.quotas.get(usize::from(id.0))
    }

    fn ticks(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Counts one request from `ip` against policy `id` at `now`. An id from another limiter
    /// is allowed (and counted nowhere) rather than panicking on the request path.
    pub fn check(&self, id: PolicyId, ip: IpAddr, now: Instant) -> Decision<'_> {
        let Some(quota) = self.quota(id) else {
            return Decision {
                allowed: true,
                remaining: u32::MAX,
                reset: Duration::ZERO,
                retry_after: None,
                quota: &UNLIMITED,
            };
        };
        let key = (id, client_net(ip, self.ipv6_prefix).addr());
        let now = self.ticks(now);
        let s = self.keys.update(
            key,
            now,
            || Cell { tat: 0, seen: now },
            |cell| {
                let s = step(quota, cell.tat, now);
                cell.tat = s.tat;
                cell.seen = now;
                (s, true)
            },
        );
        Decision {
            allowed: s.allowed,
            remaining: s.remaining,
            reset: Duration::from_nanos(s.reset),
            retry_after: (!s.allowed).then(|| Duration::from_nanos(s.retry_after)),
            quota,
        }
    }

    /// Drops refilled buckets (periodic upkeep; eviction also does it when full).
    pub fn purge(&self, now: Instant) -> usize {
        self.keys.purge_stale(self.ticks(now))
    }

    /// Size accounting.
    pub fn stats(&self) -> LimiterStats {
        LimiterStats {
            keys: self.keys.len(),
            max_keys: self.keys.capacity(),
            bytes: self.keys.approx_bytes(),
            evictions: self.keys.evictions(),
        }
    }
}

static UNLIMITED: Quota = Quota::unlimited();
