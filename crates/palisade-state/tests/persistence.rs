//! The SQLite backend: bans, counters and repeat-offence memory survive a restart.

use std::net::IpAddr;
use std::time::Duration;

use palisade_core::{Category, Timestamp};
use palisade_state::{BanRequest, BanSource, BookConfig, Offence, SqliteState, State};

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn at(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * 60_000)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn bans_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/state.db");
    let net = |s: &str| palisade_state::net::parse_target(s).unwrap();
    {
        let state = SqliteState::open(&path, BookConfig::default(), T0).unwrap();
        state
            .ban(
                BanRequest::permanent(net("192.0.2.0/24"), BanSource::Manual, "abuse, again"),
                T0,
            )
            .unwrap();
        state
            .ban(
                BanRequest::lasting(
                    net("2001:db8::/32"),
                    BanSource::Report,
                    "peer",
                    Duration::from_secs(3600),
                    T0,
                ),
                T0,
            )
            .unwrap();
        state
            .ban(
                BanRequest::permanent(net("198.51.100.1"), BanSource::Manual, "gone"),
                T0,
            )
            .unwrap();
        state.unban(net("198.51.100.1"), T0).unwrap();
        let offence = Offence::new(ip("203.0.113.7"), Category::BruteForce, "ssh");
        assert!(state.record(&offence, T0).unwrap().is_some());
        for _ in 0..5 {
            assert!(state.check(ip("192.0.2.9"), at(1)).is_banned());
        }
        // Hit counters are written back by maintenance.
        state.maintain(at(2)).unwrap();
    }
    let state = SqliteState::open(&path, BookConfig::default(), at(3)).unwrap();
    assert!(state.check(ip("192.0.2.200"), at(3)).is_banned());
    assert!(state.check(ip("2001:db8:ffff::1"), at(3)).is_banned());
    assert!(state.check(ip("203.0.113.7"), at(3)).is_banned());
    assert!(!state.check(ip("198.51.100.1"), at(3)).is_banned());
    let kept = state.get(net("192.0.2.0/24")).unwrap();
    assert_eq!(kept.reason, "abuse, again");
    assert_eq!(kept.source, BanSource::Manual);
    assert_eq!(kept.hits, 6, "5 before the restart, 1 after");
    assert_eq!(kept.expires_at, None);
    assert_eq!(state.list(at(3)).len(), 3);
    // The report ban expires on schedule after the restart too.
    assert!(!state.check(ip("2001:db8::1"), at(60)).is_banned());

    // Repeat-offence memory survives as well: the second automatic ban is 4x longer.
    let offence = Offence::new(ip("203.0.113.7"), Category::BruteForce, "ssh");
    let second = state.record(&offence, at(20)).unwrap().expect("ban");
    assert_eq!(second.bans, 2);
    assert_eq!(second.expires_at, Some(at(20 + 60)));
    drop(state);
    let state = SqliteState::open(&path, BookConfig::default(), at(21)).unwrap();
    assert_eq!(state.get(net("203.0.113.7")).unwrap().bans, 2);
}

#[test]
fn imports_and_forgetting_are_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let config = BookConfig {
        repeat_memory: Duration::from_secs(3600),
        ..BookConfig::default()
    };
    {
        let state = SqliteState::open(&path, config.clone(), T0).unwrap();
        let text = "192.0.2.1\n192.0.2.2 192.0.2.0/30\n";
        let defaults = palisade_state::exchange::ImportDefaults {
            expires_at: Some(at(10)),
            ..Default::default()
        };
        let requests = palisade_state::exchange::parse(
            text,
            palisade_state::exchange::Format::Plain,
            &defaults,
        )
        .unwrap();
        assert_eq!(state.import(requests, T0).unwrap().added, 3);
        // Expired at 10, forgotten at 70.
        assert_eq!(state.maintain(at(71)).unwrap().forgotten, 3);
    }
    let state = SqliteState::open(&path, config, at(72)).unwrap();
    assert_eq!(state.stats().entries, 0);
}

#[test]
fn a_guard_picks_up_changes_another_process_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bb.db");
    let now = T0;
    let guard = SqliteState::open(&path, BookConfig::default(), now).unwrap();
    assert!(
        !guard.reload_if_changed(now).unwrap(),
        "nothing changed yet"
    );
    let ip: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    {
        let cli = SqliteState::open(&path, BookConfig::default(), now).unwrap();
        cli.ban(
            BanRequest::permanent(ip.into(), BanSource::Manual, "by hand"),
            now,
        )
        .unwrap();
    }
    assert!(!guard.check(ip, now).is_banned());
    assert!(guard.reload_if_changed(now).unwrap());
    assert!(guard.check(ip, now).is_banned());
    assert!(
        !guard.reload_if_changed(now).unwrap(),
        "its own view is current"
    );
    // Its own writes do not count as foreign changes, and survive the next reload.
    let other: std::net::IpAddr = "198.51.100.1".parse().unwrap();
    guard
        .ban(
            BanRequest::permanent(other.into(), BanSource::Manual, "x"),
            now,
        )
        .unwrap();
    assert!(!guard.reload_if_changed(now).unwrap());
    {
        let cli = SqliteState::open(&path, BookConfig::default(), now).unwrap();
        cli.unban(ip.into(), now).unwrap();
    }
    assert!(guard.reload_if_changed(now).unwrap());
    assert!(!guard.check(ip, now).is_banned());
    assert!(guard.check(other, now).is_banned());
}
