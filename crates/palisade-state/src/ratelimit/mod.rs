//! Rate limiting: GCRA per client and per (rule, client), and a connection limit per client.
//!
//! GCRA (the generic cell rate algorithm) keeps one number per key — the theoretical arrival
//! time — so a key costs a few dozen bytes, and it allows `burst` requests at once, then one
//! every `period / rate`. Keys live in a bounded, sharded map: a key whose bucket
//! has refilled is *stale* (dropping it changes nothing) and goes first when the map is full;
//! then the least recently used. Evictions are counted in
//! `palisade_ratelimit_evictions_total`. Memory therefore stays under `max_keys` whatever
//! number of addresses an attacker sprays.
//!
//! # Example
//!
//! ```
//! use std::net::IpAddr;
//! use std::time::{Duration, Instant};
//! use palisade_state::ratelimit::{Quota, RateLimitConfig, RateLimiter};
//!
//! let start = Instant::now();
//! let quota = Quota::new("global", 10, Duration::from_secs(1), 2).unwrap();
//! let limiter = RateLimiter::new(RateLimitConfig::default(), [quota], start).unwrap();
//! let global = limiter.policy_id("global").unwrap();
//! let ip: IpAddr = "203.0.113.7".parse().unwrap();
//!
//! assert!(limiter.check(global, ip, start).allowed);
//! assert!(limiter.check(global, ip, start).allowed);
//! let third = limiter.check(global, ip, start);
//! assert!(!third.allowed);
//! assert_eq!(third.retry_after_header().as_deref(), Some("1"));
//! assert_eq!(third.policy_header(), "\"global\";q=2;w=1");
//! assert_eq!(third.ratelimit_header(), "\"global\";r=0;t=1");
//! // 100 ms later one more request is allowed.
//! assert!(limiter.check(global, ip, start + Duration::from_millis(100)).allowed);
//! ```

mod conn;
mod gcra;
mod limiter;

pub use conn::{CONN_REFUSED_METRIC, ConnGuard, ConnLimitConfig, ConnLimiter, ConnRefused};
pub use gcra::Quota;
pub use limiter::{
    Decision, LimiterStats, PolicyId, RATELIMIT_EVICTIONS_METRIC, RateLimitConfig, RateLimiter,
};
