//! The black book's decisions through the in-memory backend: precedence, expiry, scoring,
//! and the lock-free snapshot checked against a naive model.

use std::net::IpAddr;
use std::time::Duration;

use palisade_core::{Category, Timestamp};
use palisade_state::{
    BanRequest, BanSource, BookConfig, IpNet, MemoryState, Offence, State, StateError, Verdict,
};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const MIN: i64 = 60_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    palisade_state::net::parse_target(s).unwrap()
}

fn at(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * MIN)
}

fn banned_by(state: &dyn State, addr: &str, now: Timestamp) -> Option<IpNet> {
    match state.check(ip(addr), now) {
        Verdict::Banned(info) => Some(info.target),
        Verdict::Allowed => None,
    }
}

#[test]
fn allowlist_wins_over_cidr_bans_v4_and_v6() {
    let config = BookConfig {
        allowlist: vec![net("192.0.2.10"), net("2001:db8:1::/48")],
        ..BookConfig::default()
    };
    let state = MemoryState::new(config).unwrap();
    for target in ["192.0.2.0/24", "2001:db8::/32"] {
        state
            .ban(
                BanRequest::permanent(net(target), BanSource::Manual, "abuse"),
                T0,
            )
            .unwrap();
    }
    assert_eq!(banned_by(&state, "192.0.2.10", T0), None);
    assert_eq!(banned_by(&state, "::ffff:192.0.2.10", T0), None);
    assert_eq!(
        banned_by(&state, "192.0.2.11", T0),
        Some(net("192.0.2.0/24"))
    );
    assert_eq!(
        banned_by(&state, "::ffff:192.0.2.11", T0),
        Some(net("192.0.2.0/24")),
        "IPv4-mapped IPv6 is the IPv4 client"
    );
    assert_eq!(banned_by(&state, "2001:db8:1::5", T0), None);
    assert_eq!(
        banned_by(&state, "2001:db8:2::5", T0),
        Some(net("2001:db8::/32"))
    );
    assert_eq!(banned_by(&state, "198.51.100.1", T0), None);
    assert!(state.is_allowlisted(ip("2001:db8:1:ffff::1")));

    // An allowlisted target cannot be banned; a wider net can, but the allowlist still wins.
    let err = state
        .ban(
            BanRequest::permanent(net("192.0.2.10"), BanSource::Manual, "x"),
            T0,
        )
        .unwrap_err();
    assert!(matches!(err, StateError::Allowlisted(_)), "{err}");
    // Scoring never bans it either.
    let offence = Offence::new(ip("192.0.2.10"), Category::BruteForce, "x");
    assert_eq!(state.record(&offence, T0).unwrap(), None);
}

#[test]
fn most_specific_active_ban_is_reported_and_expiry_is_exact() {
    let state = MemoryState::new(BookConfig::default()).unwrap();
    state
        .ban(
            BanRequest::permanent(net("10.0.0.0/8"), BanSource::Import, "list"),
            T0,
        )
        .unwrap();
    let short = state
        .ban(
            BanRequest::lasting(
                net("10.1.0.0/16"),
                BanSource::Manual,
                "x",
                Duration::from_secs(3600),
                T0,
            ),
            T0,
        )
        .unwrap();
    assert_eq!(short.expires_at, Some(at(60)));
    assert_eq!(
        banned_by(&state, "10.1.2.3", at(59)),
        Some(net("10.1.0.0/16"))
    );
    // At its expiry instant it is gone; the /8 still covers the address.
    assert_eq!(
        banned_by(&state, "10.1.2.3", at(60)),
        Some(net("10.0.0.0/8"))
    );
    state.unban(net("10.0.0.0/8"), at(61)).unwrap();
    assert_eq!(banned_by(&state, "10.1.2.3", at(61)), None);
    let listed: Vec<IpNet> = state.list(at(61)).into_iter().map(|b| b.target).collect();
    assert!(listed.is_empty(), "expired bans are not listed: {listed:?}");
}

#[test]
fn bans_expire_and_are_forgotten_after_repeat_memory() {
    let state = MemoryState::new(BookConfig {
        repeat_memory: Duration::from_secs(24 * 3600),
        ..BookConfig::default()
    })
    .unwrap();
    state
        .ban(
            BanRequest::lasting(
                net("203.0.113.7"),
                BanSource::Manual,
                "x",
                Duration::from_secs(60),
                T0,
            ),
            T0,
        )
        .unwrap();
    assert!(state.check(ip("203.0.113.7"), T0).is_banned());
    assert!(!state.check(ip("203.0.113.7"), at(1)).is_banned());
    let purge = state.maintain(at(2)).unwrap();
    assert_eq!((purge.entries, purge.expired, purge.forgotten), (1, 1, 0));
    assert!(!state.check(ip("203.0.113.7"), at(2)).is_banned());
    let purge = state.maintain(at(1 + 24 * 60)).unwrap();
    assert_eq!((purge.entries, purge.forgotten), (0, 1));
    assert_eq!(state.get(net("203.0.113.7")), None);
}

#[test]
fn scores_decay_and_repeat_offenders_get_longer_bans() {
    let state = MemoryState::new(BookConfig::default()).unwrap();
    let attacker = ip("198.51.100.9");
    let probe = Offence::new(attacker, Category::MaliciousTraffic, "sqli"); // 25 each
    for _ in 0..3 {
        assert_eq!(state.record(&probe, T0).unwrap(), None);
    }
    // 75 halves to 37.5 in 10 minutes: two more are not enough, three are.
    assert_eq!(state.record(&probe, at(10)).unwrap(), None);
    assert_eq!(state.record(&probe, at(10)).unwrap(), None);
    let first = state.record(&probe, at(10)).unwrap().expect("ban");
    assert_eq!(first.source, BanSource::Rule);
    assert_eq!(first.reason, "sqli");
    assert_eq!(first.bans, 1);
    assert_eq!(first.expires_at, Some(at(10 + 15)));
    // While banned, offences do not score (the guard would not even see them).
    assert_eq!(state.record(&probe, at(11)).unwrap(), None);

    let brute = Offence::new(attacker, Category::BruteForce, "ssh");
    let second = state.record(&brute, at(30)).unwrap().expect("ban");
    assert_eq!(second.expires_at, Some(at(30 + 60)), "15 min x 4");
    assert_eq!(second.first_seen, at(10));
    let third = state.record(&brute, at(100)).unwrap().expect("ban");
    assert_eq!(third.expires_at, Some(at(100 + 240)));
    assert_eq!(third.bans, 3);

    // An explicit score overrides the kind's weight.
    let other = Offence::new(ip("198.51.100.10"), Category::AuthFailure, "x").with_score(100.0);
    assert!(state.record(&other, T0).unwrap().is_some());
}

#[test]
fn ipv6_clients_are_scored_and_banned_per_64() {
    let state = MemoryState::new(BookConfig::default()).unwrap();
    let a = Offence::new(ip("2001:db8:5:6::1"), Category::Scanner, "scan");
    let b = Offence::new(ip("2001:db8:5:6::ffff"), Category::Scanner, "scan");
    assert_eq!(state.record(&a, T0).unwrap(), None);
    let ban = state.record(&b, T0).unwrap().expect("same /64, 100 points");
    assert_eq!(ban.target, net("2001:db8:5:6::/64"));
    assert!(state.check(ip("2001:db8:5:6:7::8"), T0).is_banned());
    assert!(!state.check(ip("2001:db8:5:7::1"), T0).is_banned());
}

#[test]
fn refused_requests_are_counted_as_hits() {
    let state = MemoryState::new(BookConfig::default()).unwrap();
    state
        .ban(
            BanRequest::permanent(net("192.0.2.0/24"), BanSource::Manual, "x"),
            T0,
        )
        .unwrap();
    for m in 1..=3 {
        assert!(state.check(ip("192.0.2.44"), at(m)).is_banned());
    }
    let ban = state.get(net("192.0.2.0/24")).unwrap();
    assert_eq!((ban.hits, ban.last_seen), (3, at(3)));
    // A re-ban keeps the counters and first_seen.
    let again = state
        .ban(
            BanRequest::permanent(net("192.0.2.0/24"), BanSource::Manual, "again"),
            at(4),
        )
        .unwrap();
    assert_eq!((again.hits, again.first_seen, again.bans), (3, T0, 2));
}

#[test]
fn imports_keep_manual_bans_and_skip_expired_and_allowlisted() {
    let state = MemoryState::new(BookConfig {
        allowlist: vec![net("127.0.0.0/8")],
        ..BookConfig::default()
    })
    .unwrap();
    state
        .ban(
            BanRequest::permanent(net("192.0.2.1"), BanSource::Manual, "mine"),
            T0,
        )
        .unwrap();
    let requests = vec![
        BanRequest::permanent(net("192.0.2.1"), BanSource::Import, "theirs").until(Some(at(5))),
        BanRequest::permanent(net("192.0.2.2"), BanSource::Import, "theirs"),
        BanRequest::permanent(net("192.0.2.3"), BanSource::Import, "old").until(Some(at(-1))),
        BanRequest::permanent(net("127.0.0.1"), BanSource::Import, "oops"),
    ];
    let summary = state.import(requests, T0).unwrap();
    assert_eq!(
        (
            summary.added,
            summary.kept_manual,
            summary.expired,
            summary.allowlisted
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(state.get(net("192.0.2.1")).unwrap().reason, "mine");
    assert!(state.check(ip("192.0.2.2"), T0).is_banned());
}

#[test]
fn full_book_evicts_expired_then_automatic_never_manual() {
    let state = MemoryState::new(BookConfig {
        max_entries: 32,
        ..BookConfig::default()
    })
    .unwrap();
    for i in 0..16 {
        state
            .ban(
                BanRequest::permanent(net(&format!("10.0.0.{i}")), BanSource::Manual, "m"),
                T0,
            )
            .unwrap();
    }
    for i in 0..1000 {
        let o = Offence::new(
            ip(&format!("10.1.{}.{}", i / 256, i % 256)),
            Category::BruteForce,
            "b",
        );
        assert!(state.record(&o, at(i)).unwrap().is_some());
        assert!(state.stats().entries <= 32);
    }
    assert!(state.stats().evictions > 900);
    for i in 0..16 {
        assert!(
            state
                .check(ip(&format!("10.0.0.{i}")), at(1000))
                .is_banned()
        );
    }
    // Only manual bans: a new one cannot be made room for.
    let state = MemoryState::new(BookConfig {
        max_entries: 4,
        ..BookConfig::default()
    })
    .unwrap();
    for i in 0..4 {
        state
            .ban(
                BanRequest::permanent(net(&format!("10.0.0.{i}")), BanSource::Manual, "m"),
                T0,
            )
            .unwrap();
    }
    let err = state
        .ban(
            BanRequest::permanent(net("10.0.0.9"), BanSource::Manual, "m"),
            T0,
        )
        .unwrap_err();
    assert!(matches!(err, StateError::Full(4)), "{err}");
}

/// A tiny deterministic generator (no dependency for one test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn snapshot_with_delta_and_rebuilds_matches_a_naive_model() {
    let state = MemoryState::new(BookConfig {
        allowlist: vec![net("10.9.0.0/16")],
        ..BookConfig::default()
    })
    .unwrap();
    let mut model: Vec<(IpNet, Option<Timestamp>)> = Vec::new();
    let mut rng = Lcg(7);
    let prefixes = [8u8, 12, 16, 20, 24, 28, 30, 32];
    for step in 0..3000i64 {
        let now = at(step);
        let addr = std::net::Ipv4Addr::from(0x0A00_0000 | (rng.next() as u32 & 0x00FF_FFFF));
        let len = prefixes[rng.next() as usize % prefixes.len()];
        let target = IpNet::new(IpAddr::V4(addr), len).unwrap().trunc();
        if rng.next().is_multiple_of(4) {
            state.unban(target, now).unwrap();
            model.retain(|(n, _)| *n != target);
        } else if !net("10.9.0.0/16").contains(&target) {
            let ttl = Duration::from_secs(60 * (1 + rng.next() % 50));
            state
                .ban(
                    BanRequest::lasting(target, BanSource::Manual, "r", ttl, now),
                    now,
                )
                .unwrap();
            model.retain(|(n, _)| *n != target);
            model.push((target, Some(Timestamp(now.0 + ttl.as_millis() as i64))));
        }
        if step % 500 == 0 {
            state.maintain(now).unwrap();
        }
        for _ in 0..20 {
            let probe = std::net::Ipv4Addr::from(0x0A00_0000 | (rng.next() as u32 & 0x00FF_FFFF));
            let probe = IpAddr::V4(probe);
            let expect = !net("10.9.0.0/16").contains(&probe)
                && model
                    .iter()
                    .any(|(n, exp)| n.contains(&probe) && exp.is_none_or(|e| e > now));
            assert_eq!(
                state.check(probe, now).is_banned(),
                expect,
                "step {step}, probe {probe}"
            );
        }
    }
}
