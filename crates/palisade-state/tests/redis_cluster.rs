//! Heartbeats and `cluster_status` against a real `redis-server` (started here on a free
//! loopback port, stopped on drop).
//!
//! Needs `redis-server` on PATH (`scripts/lib/prereqs.sh` installs it).

use std::net::TcpListener;
use std::time::Duration;

use palisade_core::Timestamp;
use palisade_state::{
    BookConfig, GuardBeat, GuardStatus, RedisConfig, RedisState, StateError, cluster_status,
};
use palisade_test_support::redis::RedisServer as Server;

fn config(url: &str, prefix: &str) -> RedisConfig {
    RedisConfig {
        prefix: prefix.into(),
        ..RedisConfig::new(url)
    }
}

fn beat(name: &str, at_ms: i64, requests: u64) -> GuardBeat {
    GuardBeat {
        name: name.into(),
        version: "0.1.0".into(),
        pid: 4242,
        listen: "127.0.0.1:8080".into(),
        started_ms: at_ms - 1_000,
        at_ms,
        interval_ms: 1_000,
        requests,
        blocked: 1,
        bans: 2,
        redis_connected: true,
        outages: 0,
        pending: 0,
    }
}

#[test]
fn beats_are_read_back_with_the_backend_health() {
    let server = Server::start();
    let state = RedisState::start(
        config(&server.url(), "c1"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    let now = Timestamp::now().0;
    state
        .heartbeat(&beat("web-a", now, 10), Duration::from_secs(10))
        .unwrap();
    state
        .heartbeat(&beat("web-b", now - 5_000, 3), Duration::from_secs(10))
        .unwrap();
    // The first beat of web-a is replaced by its second.
    state
        .heartbeat(&beat("web-a", now, 12), Duration::from_secs(10))
        .unwrap();
    // Expired at once: in the index, but its hash is gone.
    state
        .heartbeat(&beat("web-c", now - 60_000, 1), Duration::from_millis(1))
        .unwrap();
    // Another deployment on the same server is not listed.
    let other = RedisState::start(
        config(&server.url(), "c2"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    other
        .heartbeat(&beat("elsewhere", now, 1), Duration::from_secs(10))
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));

    let status = cluster_status(&config(&server.url(), "c1"), Timestamp(now)).unwrap();
    let names: Vec<&str> = status.guards.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["web-a", "web-b", "web-c"]);
    let a = &status.guards[0];
    assert_eq!(a.status, GuardStatus::Live);
    assert_eq!(a.beat, Some(beat("web-a", now, 12)));
    assert_eq!(a.last_seen_ms, now);
    assert_eq!(status.guards[1].status, GuardStatus::Stale);
    let c = &status.guards[2];
    assert_eq!((c.status, c.beat.as_ref()), (GuardStatus::Gone, None));
    assert_eq!(c.last_seen_ms, now - 60_000);

    let b = &status.backend;
    assert_eq!(b.address, format!("127.0.0.1:{}", server.port));
    assert!(
        b.server_version.as_deref().is_some_and(|v| !v.is_empty()),
        "{b:?}"
    );
    assert_eq!(b.role.as_deref(), Some("master"));
    assert!(b.connected_clients.is_some_and(|n| n >= 1), "{b:?}");
    assert!(b.used_memory_human.is_some(), "{b:?}");
    assert_eq!(b.pings, 20);
    assert!(b.ping_p50_us <= b.ping_max_us);
}

#[test]
fn guards_unseen_for_a_day_are_dropped_from_the_index() {
    let server = Server::start();
    let state = RedisState::start(
        config(&server.url(), "old"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    let now = Timestamp::now().0;
    let day = 24 * 3_600_000;
    state
        .heartbeat(&beat("ancient", now - day - 1, 0), Duration::from_millis(1))
        .unwrap();
    state
        .heartbeat(&beat("fresh", now, 0), Duration::from_secs(10))
        .unwrap();
    let status = cluster_status(&config(&server.url(), "old"), Timestamp(now)).unwrap();
    let names: Vec<&str> = status.guards.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["fresh"]);
}

#[test]
fn an_unreachable_server_is_an_error_without_the_password() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}/");
    let err = cluster_status(&config(&url, "x"), Timestamp::now()).unwrap_err();
    assert!(matches!(err, StateError::Redis(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");

    let empty =
        RedisState::start(config(&url, "x"), BookConfig::default(), Timestamp::now()).unwrap();
    // A nameless beat is refused before any round trip.
    let nameless = beat("", 0, 0);
    assert!(matches!(
        empty.heartbeat(&nameless, Duration::from_secs(1)),
        Err(StateError::Config(_))
    ));
    // Redis down: an error, never a panic.
    assert!(
        empty
            .heartbeat(&beat("a", 0, 0), Duration::from_secs(1))
            .is_err()
    );
}
