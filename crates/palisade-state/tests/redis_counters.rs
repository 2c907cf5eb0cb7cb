//! The decisions made on a request's path through Redis (async, on the state's I/O thread):
//! offences, shared rate limits and sliding-window counts, against a real `redis-server`;
//! two `RedisState`s play two guards.
//!
//! Needs `redis-server` on PATH (`scripts/lib/prereqs.sh` installs it).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_core::{Category, Timestamp};
use palisade_state::ratelimit::Quota;
use palisade_state::{BookConfig, Offence, RedisConfig, RedisState, State, Tally, WindowCount};
use palisade_test_support::redis::RedisServer as Server;

/// A guard with a generous timeout: these tests are about what is decided, and a loaded
/// test machine must not turn a slow answer into an outage (the fault tests use
/// [`guard_with_default_timeout`]).
fn guard(url: &str, prefix: &str) -> Arc<RedisState> {
    with_config(RedisConfig {
        prefix: prefix.into(),
        timeout: Duration::from_millis(500),
        ..RedisConfig::new(url)
    })
}

fn guard_with_default_timeout(url: &str, prefix: &str) -> Arc<RedisState> {
    with_config(RedisConfig {
        prefix: prefix.into(),
        ..RedisConfig::new(url)
    })
}

fn with_config(config: RedisConfig) -> Arc<RedisState> {
    Arc::new(
        RedisState::start(config, BookConfig::default(), Timestamp::now()).expect("a RedisState"),
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn count(name: &str, threshold: u32) -> WindowCount {
    WindowCount {
        name: name.into(),
        window: Duration::from_secs(60),
        threshold,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_shared_by_two_guards() {
    let server = Server::start();
    let (a, b) = (guard(&server.url(), "rl"), guard(&server.url(), "rl"));
    let quota = Quota::new("api", 6, Duration::from_secs(60), 6).unwrap();
    let client = ip("203.0.113.9");
    let mut allowed = 0;
    let mut first_refusal = None;
    for i in 0..10 {
        let g = if i % 2 == 0 { &a } else { &b };
        match g
            .rate_limit(&[&quota], client, 64)
            .await
            .expect("Redis answers")
        {
            None => allowed += 1,
            Some(r) if first_refusal.is_none() => first_refusal = Some((i, r)),
            Some(_) => {}
        }
    }
    // The burst of 6 is spent across both guards, not 6 on each.
    assert_eq!(allowed, 6);
    let (at, refusal) = first_refusal.expect("refused after the burst");
    assert_eq!(at, 6);
    assert_eq!(refusal.index, 0);
    assert!(
        refusal.retry_after > Duration::from_secs(5)
            && refusal.retry_after <= Duration::from_secs(10),
        "one request per 10 s: {refusal:?}"
    );
    assert!(refusal.reset >= refusal.retry_after);
    // Another client, and the same client on a second quota of its own, are untouched.
    assert_eq!(
        a.rate_limit(&[&quota], ip("203.0.113.10"), 64)
            .await
            .unwrap(),
        None
    );
    let login = Quota::new("login", 2, Duration::from_secs(60), 2).unwrap();
    assert_eq!(b.rate_limit(&[&login], client, 64).await.unwrap(), None);
    // Quotas are checked in order and the first refusal is reported with its index.
    let r = b.rate_limit(&[&login, &quota], client, 64).await.unwrap();
    assert_eq!(r.map(|r| r.index), Some(1));
    // IPv6 clients share their /64.
    let v6 = Quota::new("v6", 1, Duration::from_secs(60), 1).unwrap();
    assert_eq!(
        a.rate_limit(&[&v6], ip("2001:db8::1"), 64).await.unwrap(),
        None
    );
    assert!(
        b.rate_limit(&[&v6], ip("2001:db8::2"), 64)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_split_across_guards_reaches_its_threshold_once() {
    let server = Server::start();
    let (a, b) = (guard(&server.url(), "win"), guard(&server.url(), "win"));
    let mut seen: Vec<Tally> = Vec::new();
    for i in 0..14 {
        let g = if i % 2 == 0 { &a } else { &b };
        let t = g
            .tally(&[
                count("auth:ip:198.51.100.4", 10),
                count("auth:user:alice", 100),
            ])
            .await
            .expect("Redis answers");
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].count, i + 1, "the user count runs across both guards");
        seen.push(t[0]);
    }
    let counts: Vec<u32> = seen.iter().map(|t| t.count).collect();
    // Counted once across both guards; at most the threshold is kept.
    assert_eq!(counts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10]);
    let firsts: Vec<usize> = (0..seen.len()).filter(|&i| seen[i].first).collect();
    assert_eq!(firsts, [9], "exactly one guard acts, on the tenth failure");
    // A hostile, very long name makes a bounded key and still counts.
    let long = format!("auth:user:{}", "x".repeat(10_000));
    let t = a.tally(&[count(&long, 3)]).await.unwrap();
    assert_eq!(t[0].count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offences_recorded_concurrently_from_two_guards_ban_once() {
    let server = Server::start();
    let (a, b) = (guard(&server.url(), "rec"), guard(&server.url(), "rec"));
    let attacker = ip("192.0.2.77");
    // Scanner hits weigh 50, the threshold is 100: spread over 2 guards × 10 tasks.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let g = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let o = Offence::new(attacker, Category::Scanner, "probe");
            g.record_async(&o, Timestamp::now())
                .await
                .expect("recorded")
        }));
    }
    let mut bans = 0;
    for t in tasks {
        bans += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(bans, 1, "one ban for the total");
    assert!(a.check(attacker, Timestamp::now()).is_banned());
    let deadline = Instant::now() + Duration::from_secs(1);
    while !b.check(attacker, Timestamp::now()).is_banned() {
        assert!(
            Instant::now() < deadline,
            "the other guard sees the ban within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_costs_one_timeout_then_nothing_and_counts_fall_back() {
    let server = Server::start();
    let a = guard_with_default_timeout(&server.url(), "dead");
    let quota = Quota::new("api", 100, Duration::from_secs(60), 100).unwrap();
    assert!(a.rate_limit(&[&quota], ip("203.0.113.1"), 64).await.is_ok());
    drop(server);
    // The first call finds the outage (bounded by the 50 ms timeout, plus scheduling).
    let started = Instant::now();
    assert!(
        a.rate_limit(&[&quota], ip("203.0.113.1"), 64)
            .await
            .is_err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!a.health().connected);
    // Then every decision falls back at once, without trying.
    let started = Instant::now();
    for _ in 0..100 {
        assert!(a.tally(&[count("auth:ip:203.0.113.1", 10)]).await.is_err());
    }
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    // Offences are scored locally meanwhile (fail-open): two scanner hits still ban.
    let o = Offence::new(ip("203.0.113.1"), Category::Scanner, "probe");
    assert!(
        a.record_async(&o, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        a.record_async(&o, Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(a.health().outages, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_resume_when_redis_returns() {
    let server = Server::start();
    let port = server.port;
    let a = guard_with_default_timeout(&server.url(), "back");
    let quota = Quota::new("api", 1, Duration::from_secs(60), 1).unwrap();
    drop(server);
    assert!(
        a.rate_limit(&[&quota], ip("198.51.100.1"), 64)
            .await
            .is_err()
    );
    let _server = Server::on(port);
    // The background thread reconnects (backoff up to 2 s), replays, and clears the outage.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.health().connected {
        assert!(Instant::now() < deadline, "reconnected within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        a.rate_limit(&[&quota], ip("198.51.100.1"), 64)
            .await
            .unwrap(),
        None
    );
    assert!(
        a.rate_limit(&[&quota], ip("198.51.100.1"), 64)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_networks_and_report_links_are_shared() {
    let server = Server::start();
    let (a, b) = (guard(&server.url(), "known"), guard(&server.url(), "known"));
    let keep = Duration::from_secs(3600);
    let k = a
        .known_login("alice", "192.0.2.0/24", keep, 3)
        .await
        .unwrap();
    assert!(!k.user_known && !k.network_known, "a first login: {k:?}");
    let k = b
        .known_login("alice", "198.51.100.0/24", keep, 3)
        .await
        .unwrap();
    assert!(
        k.user_known && !k.network_known,
        "known user, new network on the other guard"
    );
    let k = a
        .known_login("alice", "198.51.100.0/24", keep, 3)
        .await
        .unwrap();
    assert!(
        k.user_known && k.network_known,
        "the network B saw is known on A"
    );
    // At most `cap` networks: the least recently used goes.
    for net in ["203.0.113.0/24", "10.1.0.0/24"] {
        a.known_login("alice", net, keep, 3).await.unwrap();
    }
    let k = b
        .known_login("alice", "192.0.2.0/24", keep, 3)
        .await
        .unwrap();
    assert!(
        !k.network_known,
        "the oldest network was dropped at the cap"
    );

    // A report link works once across guards, and forgets the reported network.
    let ttl = Duration::from_secs(60);
    assert!(
        a.redeem_once("00ff", ttl, "alice", "10.1.0.0/24")
            .await
            .unwrap()
    );
    assert!(
        !b.redeem_once("00ff", ttl, "alice", "10.1.0.0/24")
            .await
            .unwrap()
    );
    assert!(
        !a.redeem_once("00ff", ttl, "alice", "10.1.0.0/24")
            .await
            .unwrap()
    );
    let k = b
        .known_login("alice", "10.1.0.0/24", keep, 3)
        .await
        .unwrap();
    assert!(
        !k.network_known,
        "the reported network is no longer trusted"
    );
}

/// The setup the docs recommend: palisade's own ACL user, limited to its keys and channels.
/// Everything works through it; a wrong password is refused without the password in the
/// error, and the state still starts (serving from its local copy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acl_user_limited_to_palisade_keys_is_enough() {
    let server = Server::with_acl_user("s3cret-pw");
    let url = format!("redis://palisade:s3cret-pw@127.0.0.1:{}/", server.port);
    let (a, b) = (guard(&url, "acl"), guard(&url, "acl"));
    let quota = Quota::new("api", 1, Duration::from_secs(60), 1).unwrap();
    assert_eq!(
        a.rate_limit(&[&quota], ip("192.0.2.5"), 64).await.unwrap(),
        None
    );
    assert!(
        b.rate_limit(&[&quota], ip("192.0.2.5"), 64)
            .await
            .unwrap()
            .is_some()
    );
    a.tally(&[count("auth:ip:192.0.2.5", 10)]).await.unwrap();
    let o = Offence::new(ip("192.0.2.6"), Category::Scanner, "probe");
    a.record_async(&o, Timestamp::now()).await.unwrap();
    assert!(
        a.record_async(&o, Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    // The ban reaches the other guard through the channel the user may subscribe to.
    let deadline = Instant::now() + Duration::from_secs(1);
    while !b.check(ip("192.0.2.6"), Timestamp::now()).is_banned() {
        assert!(Instant::now() < deadline, "the ban reached B");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(a.health().connected && b.health().connected);
    assert_eq!(a.health().outages, 0);

    let wrong = format!("redis://palisade:not-it@127.0.0.1:{}/", server.port);
    let err = RedisState::connect(
        RedisConfig::new(wrong.as_str()),
        BookConfig::default(),
        Timestamp::now(),
    )
    .err()
    .expect("a wrong password is refused");
    assert!(!err.to_string().contains("not-it"), "{err}");
    let c = guard(&wrong, "acl");
    assert!(
        !c.health().connected,
        "started anyway, serving its local copy"
    );
    assert!(c.rate_limit(&[&quota], ip("192.0.2.7"), 64).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bans_made_from_a_runtime_are_shared_and_survive_an_outage() {
    let server = Server::start();
    let (a, b) = (
        guard_with_default_timeout(&server.url(), "ban"),
        guard(&server.url(), "ban"),
    );
    let request = |addr: &str| {
        palisade_state::BanRequest::permanent(
            palisade_state::net::parse_target(addr).unwrap(),
            palisade_state::BanSource::Rule,
            "brute force",
        )
    };
    let ban = a
        .ban_async(request("192.0.2.90"), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(ban.bans, 1);
    let deadline = Instant::now() + Duration::from_secs(1);
    while !b.check(ip("192.0.2.90"), Timestamp::now()).is_banned() {
        assert!(Instant::now() < deadline, "B sees A's ban within 1 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Redis gone: applied locally at once and queued for its return.
    drop(server);
    let started = Instant::now();
    let local = a
        .ban_async(request("192.0.2.91"), Timestamp::now())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(local.reason, "brute force");
    assert!(a.check(ip("192.0.2.91"), Timestamp::now()).is_banned());
    assert!(a.health().pending >= 1, "{:?}", a.health());
}
