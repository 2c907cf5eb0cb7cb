//! The latency a Redis-backed decision adds to a request: each decision the guard makes
//! through Redis (an offence's score, a shared rate limit, the login counts of a failure),
//! timed call by call against a `redis-server` on loopback, next to the same decision made
//! in memory. Sequential (one request at a time: the round trip itself) and with 32
//! concurrent callers on a 2-thread runtime (a guard under load: the calls share one
//! multiplexed connection).
//!
//! `cargo bench -p palisade-state --bench redis_decisions` (needs `redis-server` on PATH).
//! Percentiles rather than a mean, because the target is a p99.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_core::{Category, Timestamp};
use palisade_state::ratelimit::{Quota, RateLimitConfig, RateLimiter};
use palisade_state::{
    BookConfig, MemoryState, Offence, RedisConfig, RedisState, State, WindowCount,
};
use palisade_test_support::redis::RedisServer;

const SEQUENTIAL: u32 = 20_000;
const TASKS: u32 = 32;
const PER_TASK: u32 = 1_000;

fn client(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i & 0x00ff_ffff)))
}

/// `(p50, p99, p99.9)` in µs.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99), at(0.999))
}

fn report(name: &str, samples: Vec<Duration>, wall: Duration) {
    let n = samples.len();
    let (p50, p99, p999) = percentiles(samples);
    println!(
        "  {name:<44} {:>8.0}/s   p50 {p50:>7.1} µs   p99 {p99:>7.1} µs   p99.9 {p999:>7.1} µs",
        n as f64 / wall.as_secs_f64()
    );
}

/// One decision per call, `SEQUENTIAL` times, then `TASKS` callers at once.
async fn measure<F, Fut>(name: &str, decide: F)
where
    F: Fn(u32) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut samples = Vec::with_capacity(SEQUENTIAL as usize);
    let wall = Instant::now();
    for i in 0..SEQUENTIAL {
        let t = Instant::now();
        decide(i).await;
        samples.push(t.elapsed());
    }
    report(&format!("{name}, one at a time"), samples, wall.elapsed());

    let wall = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let decide = decide.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(PER_TASK as usize);
            for i in 0..PER_TASK {
                let t = Instant::now();
                decide(1_000_000 + task * PER_TASK + i).await;
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.expect("a task"));
    }
    report(&format!("{name}, {TASKS} at once"), samples, wall.elapsed());
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    let server = RedisServer::start();
    let redis = Arc::new(
        RedisState::start(
            RedisConfig::new(server.url()),
            BookConfig::default(),
            Timestamp::now(),
        )
        .expect("a RedisState"),
    );
    let memory = Arc::new(MemoryState::new(BookConfig::default()).expect("a book"));
    let quota =
        Arc::new(Quota::new("bench", 1_000_000, Duration::from_secs(1), 1_000_000).unwrap());
    let limiter = Arc::new(
        RateLimiter::new(
            RateLimitConfig::default(),
            [(*quota).clone()],
            Instant::now(),
        )
        .unwrap(),
    );
    let policy = limiter.policy_id("bench").unwrap();
    // Warm-up: connection, scripts loaded.
    for i in 0..1_000 {
        let _ = redis.rate_limit(&[&quota], client(i), 64).await;
    }
    println!(
        "palisade redis_decisions: redis-server on 127.0.0.1, 50 ms timeout; times per decision"
    );

    println!("rate limit (GCRA):");
    {
        let limiter = limiter.clone();
        measure("in memory (one guard)", move |i| {
            let limiter = limiter.clone();
            async move {
                assert!(limiter.check(policy, client(i), Instant::now()).allowed);
            }
        })
        .await;
    }
    {
        let (redis, quota) = (redis.clone(), quota.clone());
        measure("Redis EVALSHA (shared)", move |i| {
            let (redis, quota) = (redis.clone(), quota.clone());
            async move {
                let r = redis.rate_limit(&[&quota], client(i), 64).await;
                assert!(matches!(r, Ok(None)), "{r:?}");
            }
        })
        .await;
    }

    println!("offence (decaying score, ban at threshold):");
    {
        let memory = memory.clone();
        measure("in memory (one guard)", move |i| {
            let memory = memory.clone();
            async move {
                let o = Offence::new(client(i), Category::SensitiveFileProbe, "bench");
                memory.record_async(&o, Timestamp::now()).await.unwrap();
            }
        })
        .await;
    }
    {
        let redis = redis.clone();
        measure("Redis EVALSHA (shared)", move |i| {
            let redis = redis.clone();
            async move {
                let o = Offence::new(client(i), Category::SensitiveFileProbe, "bench");
                redis.record_async(&o, Timestamp::now()).await.unwrap();
            }
        })
        .await;
    }

    println!("failed login (ip, prefix and user windows):");
    {
        let redis = redis.clone();
        measure("Redis EVALSHA (shared)", move |i| {
            let redis = redis.clone();
            async move {
                let ip = client(i);
                let counts = [
                    WindowCount {
                        name: format!("auth:ip:{ip}"),
                        window: Duration::from_secs(300),
                        threshold: 10,
                    },
                    WindowCount {
                        name: format!("auth:net:{}", i >> 8),
                        window: Duration::from_secs(600),
                        threshold: 50,
                    },
                    WindowCount {
                        name: format!("auth:user:user{}", i % 5000),
                        window: Duration::from_secs(900),
                        threshold: 20,
                    },
                ];
                redis.tally(&counts).await.unwrap();
            }
        })
        .await;
    }
    let health = redis.health();
    println!("outages during the run: {}", health.outages);
}
