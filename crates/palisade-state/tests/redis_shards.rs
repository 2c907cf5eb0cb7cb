//! The Redis backend on a real Redis Cluster (three masters, a replica each, on loopback):
//! two states share the black book and counters through the master of their hash tag's
//! slot, and follow it when it fails over to its replica.
//!
//! Needs `redis-server` and `redis-cli` on PATH (`scripts/lib/prereqs.sh` installs them).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use palisade_core::{Category, Timestamp};
use palisade_state::net::parse_target;
use palisade_state::ratelimit::Quota;
use palisade_state::{BanRequest, BanSource, BookConfig, Offence, RedisConfig, RedisState, State};
use palisade_test_support::eventually;
use palisade_test_support::redis::RedisCluster;

const PREFIX: &str = "shop";

fn state(cluster: &RedisCluster) -> Arc<RedisState> {
    let config = RedisConfig {
        prefix: PREFIX.into(),
        cluster: cluster.seeds(),
        timeout: Duration::from_millis(500),
        ..RedisConfig::new("redis://seed-named-node/")
    };
    Arc::new(RedisState::start(config, BookConfig::default(), Timestamp::now()).expect("a state"))
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ban(state: &RedisState, addr: &str) {
    state
        .ban(
            BanRequest::permanent(
                parse_target(addr).unwrap(),
                BanSource::Manual,
                "cluster test",
            ),
            Timestamp::now(),
        )
        .expect("a ban is answered");
}

fn banned(state: &RedisState, addr: &str) -> bool {
    state.check(ip(addr), Timestamp::now()).is_banned()
}

/// The port of the master that holds `key` (the node where the slot has keys).
fn owner(cluster: &RedisCluster, key: &str) -> Option<u16> {
    let slot = cluster.cli(cluster.nodes[0].port, &["cluster", "keyslot", key]);
    let slot = slot.trim();
    cluster.nodes.iter().map(|n| n.port).find(|&p| {
        cluster.cli(p, &["role"]).starts_with("master")
            && cluster
                .cli(p, &["cluster", "countkeysinslot", slot])
                .trim()
                .parse::<u64>()
                .is_ok_and(|n| n > 0)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_guards_share_state_on_a_cluster_and_follow_a_failover() {
    let mut cluster = RedisCluster::start();
    let (a, b) = (state(&cluster), state(&cluster));
    assert!(a.health().connected, "{:?}", a.health());

    // The black book: a ban on A reaches B through pub/sub, which the cluster broadcasts.
    ban(&a, "203.0.113.1");
    assert!(eventually(Duration::from_secs(1), || banned(
        &b,
        "203.0.113.1"
    )));
    // Scripts over several keys work: they share the hash tag's slot.
    let quota = Quota::new("api", 2, Duration::from_secs(60), 2).unwrap();
    let client = ip("198.51.100.9");
    assert_eq!(a.rate_limit(&[&quota], client, 64).await.unwrap(), None);
    assert_eq!(b.rate_limit(&[&quota], client, 64).await.unwrap(), None);
    assert!(a.rate_limit(&[&quota], client, 64).await.unwrap().is_some());
    let o = Offence::new(ip("192.0.2.50"), Category::Scanner, "probe");
    assert!(
        a.record_async(&o, Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        b.record_async(&o, Timestamp::now())
            .await
            .unwrap()
            .is_some(),
        "one total"
    );

    // Fail over the master of palisade's slot while a thread keeps using the state.
    let master = owner(&cluster, &format!("palisade:{{{PREFIX}}}:bans")).expect("an owner");
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicU64::new(0));
    let traffic = {
        let (a, stop, calls) = (a.clone(), stop.clone(), calls.clone());
        std::thread::spawn(move || {
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let o = Offence::new(
                    IpAddr::from([10, 9, (i >> 8) as u8, i as u8]),
                    Category::SensitiveFileProbe,
                    "during failover",
                );
                let _ = a.record(&o, Timestamp::now());
                assert!(
                    banned(&a, "203.0.113.1"),
                    "the last-known book keeps answering"
                );
                calls.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    // Replicated before the master goes (replication is asynchronous).
    cluster.cli(master, &["wait", "1", "2000"]);
    let i = cluster.nodes.iter().position(|n| n.port == master).unwrap();
    cluster.nodes.remove(i).stop();
    // The replica is promoted after the 1 s node timeout; the states find it on their own.
    let moved = Instant::now();
    let new_owner = loop {
        if let Some(p) = owner(&cluster, &format!("palisade:{{{PREFIX}}}:bans")) {
            break p;
        }
        assert!(
            moved.elapsed() < Duration::from_secs(20),
            "no replica took over:\n{}",
            cluster.cli(cluster.nodes[0].port, &["cluster", "nodes"])
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_ne!(new_owner, master);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        ban(&a, "203.0.113.2");
        if eventually(Duration::from_millis(500), || banned(&b, "203.0.113.2")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never saw a ban made after the failover"
        );
    }
    stop.store(true, Ordering::Relaxed);
    traffic.join().expect("no panic during the failover");
    assert!(calls.load(Ordering::Relaxed) > 10);
    // The ban made before the failover is still in the (replicated) book on the new master.
    let stored = cluster.cli(
        new_owner,
        &[
            "exists",
            &format!("palisade:{{{PREFIX}}}:ban:203.0.113.1/32"),
        ],
    );
    assert_eq!(stored.trim(), "1", "the old ban is on the new master");
    assert!(
        a.health().outages >= 1,
        "the failover was seen: {:?}",
        a.health()
    );
}
