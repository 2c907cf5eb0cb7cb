//! The Redis backend against a real `redis-server` (started here on a free loopback port,
//! without persistence, stopped on drop): two `RedisState`s play two guards.
//!
//! Needs `redis-server` on PATH (`scripts/lib/prereqs.sh` installs it).

use std::io::Read;
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_core::{Category, Timestamp};
use palisade_state::{BanRequest, BanSource, BookConfig, Offence, RedisConfig, RedisState, State};
use palisade_test_support::eventually;
use palisade_test_support::redis::RedisServer as Server;

fn config(url: &str, prefix: &str) -> RedisConfig {
    RedisConfig {
        prefix: prefix.into(),
        resync: Duration::from_secs(30),
        ..RedisConfig::new(url)
    }
}

fn guard(server: &Server, prefix: &str) -> RedisState {
    RedisState::start(
        config(&server.url(), prefix),
        BookConfig::default(),
        Timestamp::now(),
    )
    .expect("a RedisState")
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> palisade_state::IpNet {
    palisade_state::net::parse_target(s).unwrap()
}

fn banned(state: &RedisState, addr: &str) -> bool {
    state.check(ip(addr), Timestamp::now()).is_banned()
}

#[test]
fn a_ban_on_one_guard_is_enforced_on_the_other_within_a_second() {
    let server = Server::start();
    let a = guard(&server, "t1");
    let b = guard(&server, "t1");
    let now = Timestamp::now();
    let request = BanRequest::lasting(
        net("198.51.100.7"),
        BanSource::Manual,
        "seen in the logs",
        Duration::from_secs(600),
        now,
    );
    let ban = a.ban(request, now).unwrap();
    assert_eq!(ban.bans, 1);
    assert!(banned(&a, "198.51.100.7"), "applied locally at once");
    let started = Instant::now();
    assert!(eventually(Duration::from_secs(1), || banned(
        &b,
        "198.51.100.7"
    )));
    assert!(started.elapsed() < Duration::from_secs(1));
    let seen = b.get(net("198.51.100.7")).expect("the entry on B");
    assert_eq!(seen.reason, "seen in the logs");
    assert_eq!(seen.source, BanSource::Manual);
    assert_eq!(seen.expires_at, ban.expires_at);

    // A network ban covers its addresses on B too.
    a.ban(
        BanRequest::permanent(net("203.0.113.0/24"), BanSource::Import, "list"),
        now,
    )
    .unwrap();
    assert!(eventually(Duration::from_secs(1), || banned(
        &b,
        "203.0.113.99"
    )));

    // Unban on B lifts it on A.
    assert!(b.unban(net("198.51.100.7"), now).unwrap().is_some());
    assert!(!banned(&b, "198.51.100.7"));
    assert!(eventually(Duration::from_secs(1), || !banned(
        &a,
        "198.51.100.7"
    )));
    assert_eq!(b.unban(net("198.51.100.7"), now).unwrap(), None);

    // A re-ban while remembered counts as a repeat, whoever bans.
    let again = b
        .ban(
            BanRequest::permanent(net("203.0.113.0/24"), BanSource::Manual, "again"),
            now,
        )
        .unwrap();
    assert_eq!(again.bans, 2);
    assert_eq!(a.stats().outages, 0);
    assert!(a.health().connected && b.health().connected);
}

#[test]
fn prefixes_keep_deployments_apart() {
    let server = Server::start();
    let a = guard(&server, "blue");
    let b = guard(&server, "green");
    let now = Timestamp::now();
    a.ban(
        BanRequest::permanent(net("192.0.2.1"), BanSource::Manual, "blue only"),
        now,
    )
    .unwrap();
    let c = guard(&server, "blue");
    assert!(
        banned(&c, "192.0.2.1"),
        "a new guard loads the book at start"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(!banned(&b, "192.0.2.1"));
    assert!(b.list(now).is_empty());
}

#[test]
fn offences_split_across_guards_ban_once_at_the_single_guard_threshold() {
    let server = Server::start();
    let a = guard(&server, "t2");
    let b = guard(&server, "t2");
    let now = Timestamp::now();
    // Scanner hits weigh 50; the threshold is 100: one on A, one on B.
    let scan = Offence::new(ip("203.0.113.7"), Category::Scanner, "nikto");
    assert!(a.record(&scan, now).unwrap().is_none());
    assert!(!banned(&a, "203.0.113.7"));
    let ban = b.record(&scan, now).unwrap().expect("banned at 100");
    assert_eq!(ban.source, BanSource::Rule);
    assert_eq!(ban.expires_at, Some(Timestamp(now.0 + 15 * 60 * 1000)));
    assert!(eventually(Duration::from_secs(1), || banned(
        &a,
        "203.0.113.7"
    )));

    // Many offences at once from both guards and several threads: exactly one ban.
    let a = Arc::new(a);
    let b = Arc::new(b);
    let bans: usize = (0..4)
        .map(|i| {
            let state = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                let hit = Offence::new(ip("198.51.100.50"), Category::AuthFailure, "login");
                (0..10)
                    .filter(|_| state.record(&hit, Timestamp::now()).unwrap().is_some())
                    .count()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(
        bans, 1,
        "40 offences of 10 against a threshold of 100 ban once"
    );
    let entry = a
        .get(net("198.51.100.50"))
        .or_else(|| b.get(net("198.51.100.50")));
    assert_eq!(entry.map(|e| e.bans), Some(1));
}

#[test]
fn imports_and_lists_go_through_redis() {
    let server = Server::start();
    let a = guard(&server, "t3");
    let now = Timestamp::now();
    let requests = (1..=50)
        .map(|i| BanRequest::permanent(net(&format!("10.9.0.{i}")), BanSource::Import, "list"))
        .collect();
    let summary = a.import(requests, now).unwrap();
    assert_eq!(summary.added, 50);
    // A CLI-style one-shot connection sees all of them.
    let cli = RedisState::connect(
        config(&server.url(), "t3"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    assert_eq!(cli.list(now).len(), 50);
    assert_eq!(cli.pending(), 0);
    // Maintenance runs against Redis without disturbing anything.
    a.maintain(Timestamp::now()).unwrap();
    assert_eq!(a.list(now).len(), 50);
}

#[test]
fn a_dead_redis_leaves_the_local_copy_serving_and_writes_are_replayed() {
    let server = Server::start();
    let port = server.port;
    let url = server.url();
    let a = guard(&server, "t4");
    let b = guard(&server, "t4");
    let now = Timestamp::now();
    a.ban(
        BanRequest::permanent(net("192.0.2.10"), BanSource::Manual, "before"),
        now,
    )
    .unwrap();
    assert!(eventually(Duration::from_secs(1), || banned(
        &b,
        "192.0.2.10"
    )));

    server.stop();
    // Reads answer from the last-known book.
    assert!(banned(&a, "192.0.2.10") && banned(&b, "192.0.2.10"));
    // A write is applied locally at once and queued.
    let started = Instant::now();
    let ban = a
        .ban(
            BanRequest::permanent(net("192.0.2.20"), BanSource::Manual, "during"),
            Timestamp::now(),
        )
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(ban.bans, 1);
    assert!(banned(&a, "192.0.2.20"));
    // Offences are scored locally meanwhile (fail-open) and a resulting ban is queued too.
    let scan = Offence::new(ip("198.51.100.9"), Category::Scanner, "nikto");
    for _ in 0..2 {
        a.record(&scan, Timestamp::now()).unwrap();
    }
    assert!(banned(&a, "198.51.100.9"));
    // Many failures, one outage.
    for _ in 0..5 {
        let _ = a.unban(net("192.0.2.99"), Timestamp::now());
    }
    assert!(eventually(Duration::from_secs(2), || !a.health().connected));
    let health = a.health();
    assert_eq!(health.outages, 1, "{health:?}");
    assert!(health.pending >= 2, "{health:?}");
    assert_eq!(a.stats().outages, 1);
    assert!(!banned(&b, "192.0.2.20"));

    // Redis returns, empty (no persistence): A replays, B picks it up.
    let _server = Server::on(port);
    assert!(eventually(Duration::from_secs(5), || banned(
        &b,
        "192.0.2.20"
    ) && banned(
        &b,
        "198.51.100.9"
    )));
    assert!(eventually(Duration::from_secs(2), || a.health().connected
        && a.health().pending == 0));
    assert_eq!(a.health().outages, 1);
    let cli =
        RedisState::connect(config(&url, "t4"), BookConfig::default(), Timestamp::now()).unwrap();
    assert!(cli.get(net("192.0.2.20")).is_some());
}

#[test]
fn a_silent_redis_costs_at_most_the_timeout() {
    // Accepts, reads, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                while stream.read(&mut buf).is_ok_and(|n| n > 0) {}
            });
        }
    });
    let url = format!("redis://127.0.0.1:{port}/");
    let started = Instant::now();
    let strict = RedisState::connect(config(&url, "t5"), BookConfig::default(), Timestamp::now());
    assert!(strict.is_err());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let guard =
        RedisState::start(config(&url, "t5"), BookConfig::default(), Timestamp::now()).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    guard
        .ban(
            BanRequest::permanent(net("192.0.2.30"), BanSource::Manual, "x"),
            Timestamp::now(),
        )
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(banned(&guard, "192.0.2.30"));
    assert!(!guard.health().connected);
    assert_eq!(guard.pending(), 1);
}

#[test]
fn a_stalled_redis_times_out_a_write_in_flight() {
    let server = Server::start();
    let a = guard(&server, "t6");
    let now = Timestamp::now();
    // Warm the pool, then freeze the server: TCP still accepts, nothing answers.
    a.ban(
        BanRequest::permanent(net("192.0.2.40"), BanSource::Manual, "warm"),
        now,
    )
    .unwrap();
    server.signal("-STOP");
    let started = Instant::now();
    a.ban(
        BanRequest::permanent(net("192.0.2.41"), BanSource::Manual, "stalled"),
        Timestamp::now(),
    )
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(300), "{took:?}");
    assert!(banned(&a, "192.0.2.41"));
    assert!(!a.health().connected);
    // Requests after that do not wait at all.
    let started = Instant::now();
    let scan = Offence::new(ip("203.0.113.70"), Category::Scanner, "nikto");
    a.record(&scan, Timestamp::now()).unwrap();
    assert!(started.elapsed() < Duration::from_millis(20));
    server.signal("-CONT");
    assert!(eventually(Duration::from_secs(5), || a.health().connected
        && a.pending() == 0));
    let cli = RedisState::connect(
        config(&server.url(), "t6"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    assert!(cli.get(net("192.0.2.41")).is_some());
}

/// A Redis restarted without persistence comes back empty: the guards write their active
/// bans back rather than lifting them all, and a book emptied on purpose stays empty.
#[test]
fn a_redis_that_lost_the_book_gets_it_back_from_the_guards() {
    let server = Server::start();
    let port = server.port;
    let url = server.url();
    let (a, b) = (guard(&server, "lost"), guard(&server, "lost"));
    a.ban(
        BanRequest::permanent(net("203.0.113.77"), BanSource::Manual, "before"),
        Timestamp::now(),
    )
    .unwrap();
    a.ban(
        BanRequest::permanent(net("203.0.113.78"), BanSource::Manual, "lifted"),
        Timestamp::now(),
    )
    .unwrap();
    assert!(eventually(Duration::from_secs(1), || banned(
        &b,
        "203.0.113.77"
    ) && banned(
        &b,
        "203.0.113.78"
    )));
    // Lifted on purpose while Redis is up: gone everywhere, and it stays gone.
    a.unban(net("203.0.113.78"), Timestamp::now()).unwrap();
    assert!(eventually(Duration::from_secs(1), || !banned(
        &b,
        "203.0.113.78"
    )));

    server.stop();
    let _server = Server::on(port);
    assert!(eventually(Duration::from_secs(10), || {
        a.health().reseeds + b.health().reseeds >= 1 && a.health().connected && b.health().connected
    }));
    for g in [&a, &b] {
        assert!(banned(g, "203.0.113.77"), "still refused after the restart");
        assert!(!banned(g, "203.0.113.78"), "an unban is not undone");
    }
    let cli = RedisState::connect(
        config(&url, "lost"),
        BookConfig::default(),
        Timestamp::now(),
    )
    .unwrap();
    assert!(
        cli.get(net("203.0.113.77")).is_some(),
        "Redis has the book again"
    );
    assert!(cli.get(net("203.0.113.78")).is_none());
}
