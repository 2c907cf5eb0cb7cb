//! The Redis backend behind Redis Sentinel, against real processes on free loopback ports:
//! a master, its replica and one sentinel (quorum 1, down after 1 s). The master is killed
//! while a thread keeps banning, scoring and checking; the sentinel promotes the replica,
//! and the guards must follow it without losing the book.
//!
//! Needs `redis-server` on PATH (`scripts/lib/prereqs.sh` installs it); the sentinel is
//! `redis-server --sentinel`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ::redis::{Client, Connection, RedisResult};
use palisade_core::{Category, Timestamp};
use palisade_state::{BanRequest, BanSource, BookConfig, Offence, RedisConfig, RedisState, State};
use palisade_test_support::eventually;
use palisade_test_support::redis::{RedisSentinel, RedisServer};

const PREFIX: &str = "failover";

fn sentinel_config(sentinel: &RedisSentinel) -> RedisConfig {
    RedisConfig {
        prefix: PREFIX.into(),
        // Loopback, but two cores shared with a build: leave room for a slow moment.
        timeout: Duration::from_millis(250),
        // Long, so a change seen by the second guard came through the channel.
        resync: Duration::from_secs(30),
        sentinels: vec![sentinel.addr()],
        master: Some(RedisSentinel::MASTER.into()),
        // With sentinels the URL's host is ignored: only its db/password/TLS count.
        ..RedisConfig::new("redis://sentinel-named-master/")
    }
}

fn guard(config: RedisConfig) -> RedisState {
    RedisState::start(config, BookConfig::default(), Timestamp::now()).expect("a RedisState")
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

fn ban(state: &RedisState, addr: &str) {
    state
        .ban(
            BanRequest::permanent(net(addr), BanSource::Manual, "sentinel test"),
            Timestamp::now(),
        )
        .expect("a ban is answered, Redis or not");
}

/// A plain connection to 127.0.0.1:`port`; an error while a node is busy failing over.
fn connect(port: u16) -> RedisResult<Connection> {
    let client = Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let conn = client.get_connection_with_timeout(Duration::from_secs(1))?;
    conn.set_read_timeout(Some(Duration::from_secs(3)))?;
    Ok(conn)
}

/// The ban entry for `addr` exists on the server at `port` (read directly, not through
/// palisade).
fn stored_on(port: u16, addr: &str) -> bool {
    let key = format!("palisade:{{{PREFIX}}}:ban:{}", net(addr));
    connect(port)
        .and_then(|mut c| ::redis::cmd("EXISTS").arg(key).query::<bool>(&mut c))
        .unwrap_or(false)
}

/// The port the sentinel names as the master now.
fn named_master(sentinel: &RedisSentinel) -> Option<u16> {
    connect(sentinel.server.port)
        .and_then(|mut c| {
            ::redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(RedisSentinel::MASTER)
                .query::<Option<(String, u16)>>(&mut c)
        })
        .ok()
        .flatten()
        .map(|(_, port)| port)
}

#[test]
fn the_guards_follow_a_failover_and_keep_the_book() {
    let master = RedisServer::start();
    let replica = RedisServer::replica_of(master.port);
    let sentinel = RedisSentinel::watching(master.port);
    // The sentinel can only promote a replica it has found (through INFO on the master).
    assert!(
        eventually(Duration::from_secs(10), || {
            connect(sentinel.server.port)
                .and_then(|mut c| {
                    ::redis::cmd("SENTINEL")
                        .arg("replicas")
                        .arg(RedisSentinel::MASTER)
                        .query::<Vec<HashMap<String, String>>>(&mut c)
                })
                .is_ok_and(|r| {
                    r.iter().any(|r| {
                        r.get("port") == Some(&replica.port.to_string())
                            && r.get("flags").is_some_and(|f| f == "slave")
                            && r.get("master-link-status").is_some_and(|s| s == "ok")
                    })
                })
        }),
        "the sentinel did not find the replica"
    );

    let a = Arc::new(guard(sentinel_config(&sentinel)));
    let b = guard(sentinel_config(&sentinel));
    assert!(a.health().connected && b.health().connected);

    ban(&a, "192.0.2.1");
    assert!(banned(&a, "192.0.2.1"));
    assert!(stored_on(master.port, "192.0.2.1"), "written to the master");
    assert!(eventually(Duration::from_secs(2), || banned(
        &b,
        "192.0.2.1"
    )));
    // Replication is asynchronous: make sure the ban reached the replica before the
    // master dies, or losing it would be Redis's doing, not ours.
    let acked: i64 = ::redis::cmd("WAIT")
        .arg(1)
        .arg(2000)
        .query(&mut connect(master.port).unwrap())
        .unwrap();
    assert_eq!(acked, 1);

    // Traffic during the failover: every call must answer, and the old ban must hold.
    let stop = Arc::new(AtomicBool::new(false));
    let lapses = Arc::new(AtomicU64::new(0));
    let traffic = {
        let (a, stop, lapses) = (a.clone(), stop.clone(), lapses.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Acquire) {
                i += 1;
                ban(&a, &format!("198.51.100.{}", i % 250));
                let hit = Offence::new(
                    ip(&format!("203.0.113.{}", i % 250)),
                    Category::Scanner,
                    "probe",
                );
                a.record(&hit, Timestamp::now()).expect("record answers");
                if !banned(&a, "192.0.2.1") {
                    lapses.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            i
        })
    };

    let failover = Instant::now();
    let old_port = master.port;
    master.stop();
    assert!(
        eventually(Duration::from_secs(20), || named_master(&sentinel)
            == Some(replica.port)),
        "the sentinel did not promote the replica"
    );
    assert!(banned(&b, "192.0.2.1"), "B kept the last-known book");

    // A ban made after the failover lands on the new master (queued, then replayed, if A
    // has not reconnected yet).
    ban(&a, "192.0.2.99");
    assert!(
        eventually(Duration::from_secs(20), || stored_on(
            replica.port,
            "192.0.2.99"
        )),
        "the ban did not reach the new master"
    );
    assert!(stored_on(replica.port, "192.0.2.1"), "the old ban survived");
    assert!(eventually(Duration::from_secs(10), || a.health().connected
        && b.health().connected));

    // B resubscribed to the new master: a change reaches it through the channel.
    ban(&a, "192.0.2.100");
    assert!(
        eventually(Duration::from_secs(3), || banned(&b, "192.0.2.100")),
        "B did not hear the new master"
    );
    assert!(stored_on(replica.port, "192.0.2.100"));

    stop.store(true, Ordering::Release);
    let calls = traffic.join().expect("the traffic thread did not panic");
    assert!(calls > 10, "traffic ran ({calls} rounds)");
    assert_eq!(
        lapses.load(Ordering::Relaxed),
        0,
        "the old ban held throughout"
    );
    assert!(banned(&a, "192.0.2.1") && banned(&b, "192.0.2.1"));
    assert!(a.health().outages >= 1, "A noticed the master die");
    assert!(a.pending() == 0, "the queue was replayed");
    eprintln!(
        "failover from :{old_port} to :{} followed in {:?}",
        replica.port,
        failover.elapsed()
    );
}

#[test]
fn a_write_refused_by_a_replica_counts_as_an_outage() {
    let master = RedisServer::start();
    let replica = RedisServer::replica_of(master.port);
    // Direct mode, pointed at the replica: what a guard holding a connection to a demoted
    // master sees. The write is queued (and the master looked up again), not refused.
    let state = guard(RedisConfig {
        prefix: PREFIX.into(),
        timeout: Duration::from_millis(250),
        ..RedisConfig::new(replica.url())
    });
    ban(&state, "192.0.2.7");
    assert!(banned(&state, "192.0.2.7"), "applied locally");
    let health = state.health();
    assert!(!health.connected, "{health:?}");
    assert!(state.pending() >= 1 || health.outages >= 1, "{health:?}");
}
