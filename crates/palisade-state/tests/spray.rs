//! Spraying a million distinct addresses keeps every per-client structure under its cap,
//! asserted on each structure's own accounting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use palisade_core::{Category, Timestamp};
use palisade_state::ratelimit::{
    ConnLimitConfig, ConnLimiter, ConnRefused, Quota, RateLimitConfig, RateLimiter,
};
use palisade_state::{BookConfig, MemoryState, Offence, ScoreConfig, State};

const SPRAY: u32 = 1_000_000;
const CAP: usize = 10_000;

fn v4(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0B00_0000u32.wrapping_add(i)))
}

fn v6(i: u32) -> IpAddr {
    // A different /64 for each i.
    IpAddr::V6(Ipv6Addr::from(
        (0x2001_0db8u128 << 96) | (u128::from(i) << 64) | 1,
    ))
}

#[test]
fn rate_limiter_stays_under_its_key_cap() {
    let start = Instant::now();
    let quotas = [
        Quota::new("global", 10, Duration::from_secs(1), 20).unwrap(),
        Quota::new("login", 5, Duration::from_secs(60), 5).unwrap(),
    ];
    let limiter = RateLimiter::new(
        RateLimitConfig {
            max_keys: CAP,
            ipv6_prefix: 64,
        },
        quotas,
        start,
    )
    .unwrap();
    let global = limiter.policy_id("global").unwrap();
    let login = limiter.policy_id("login").unwrap();
    for i in 0..SPRAY {
        // All within one millisecond: no bucket refills, so eviction must take the oldest.
        let now = start + Duration::from_nanos(u64::from(i));
        let ip = if i % 2 == 0 { v4(i) } else { v6(i) };
        assert!(limiter.check(global, ip, now).allowed);
        if i % 4 == 0 {
            limiter.check(login, ip, now);
        }
    }
    let stats = limiter.stats();
    assert!(stats.max_keys <= CAP, "{stats:?}");
    assert!(stats.keys <= stats.max_keys, "{stats:?}");
    assert!(stats.keys >= CAP / 2, "{stats:?}");
    assert!(
        stats.evictions >= u64::from(SPRAY) + 250_000 - CAP as u64,
        "{stats:?}"
    );
    // About 40 bytes a key; churned tables may hold up to 4x their length in slots.
    assert!(stats.bytes <= CAP * 200, "{stats:?}");
    // A client limited just now is still limited after the spray (it is among the newest).
    let me = v4(u32::MAX - 5);
    let now = start + Duration::from_millis(2);
    for _ in 0..20 {
        assert!(limiter.check(global, me, now).allowed);
    }
    assert!(!limiter.check(global, me, now).allowed);
}

#[test]
fn offence_scores_stay_under_their_cap() {
    let state = MemoryState::new(BookConfig {
        scoring: ScoreConfig {
            max_tracked: CAP,
            ..ScoreConfig::default()
        },
        ..BookConfig::default()
    })
    .unwrap();
    let t0 = Timestamp(1_700_000_000_000);
    for i in 0..SPRAY {
        let ip = if i % 2 == 0 { v4(i) } else { v6(i) };
        let offence = Offence::new(ip, Category::AuthFailure, "bad password");
        assert!(state.record(&offence, t0).unwrap().is_none());
    }
    let stats = state.stats();
    assert!(
        stats.scores <= stats.max_scores && stats.max_scores <= CAP,
        "{stats:?}"
    );
    assert!(
        stats.score_evictions >= u64::from(SPRAY) - CAP as u64,
        "{stats:?}"
    );
    // About 50 bytes a score; hash tables churned by deletions may hold up to 4x their
    // length in slots (tombstones make them grow once, never without bound).
    assert!(stats.score_bytes <= CAP * 200, "{stats:?}");
    assert_eq!(stats.entries, 0);
}

#[test]
fn automatic_bans_stay_under_the_book_cap() {
    // Every sprayed address earns a ban at once (brute force = the threshold): the book
    // evicts the bans closest to expiry. Fewer addresses than the other sprays, since every
    // one of them is a ban (and a snapshot change).
    let cap = 5_000;
    let state = MemoryState::new(BookConfig {
        max_entries: cap,
        ..BookConfig::default()
    })
    .unwrap();
    let t0 = Timestamp(1_700_000_000_000);
    for i in 0..100_000 {
        let offence = Offence::new(v4(i), Category::BruteForce, "ssh");
        assert!(
            state
                .record(&offence, Timestamp(t0.0 + i64::from(i)))
                .unwrap()
                .is_some()
        );
    }
    let stats = state.stats();
    assert!(stats.entries <= cap, "{stats:?}");
    assert!(stats.evictions >= 95_000, "{stats:?}");
    // Entries, master map and snapshot: a few hundred bytes per ban.
    assert!(stats.bytes <= cap * 1024, "{stats:?}");
    // The newest bans are in force.
    assert!(
        state
            .check(v4(99_999), Timestamp(t0.0 + 200_000))
            .is_banned()
    );
}

#[test]
fn connection_table_is_bounded_and_released() {
    let limiter = ConnLimiter::new(ConnLimitConfig {
        max_per_ip: 4,
        max_tracked: CAP,
        ipv6_prefix: 64,
    });
    let mut guards = Vec::new();
    let mut refused = 0;
    for i in 0..SPRAY {
        match limiter.acquire(v4(i)) {
            Ok(g) => guards.push(g),
            Err(ConnRefused::TableFull { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
        if guards.len() > CAP / 2 {
            guards.clear(); // half the clients disconnect
        }
    }
    assert!(limiter.len() <= limiter.capacity() && limiter.capacity() <= CAP);
    assert!(limiter.approx_bytes() <= CAP * 64);
    assert_eq!(refused, 0, "clients that left made room");
    guards.clear();
    assert!(limiter.is_empty());
}
