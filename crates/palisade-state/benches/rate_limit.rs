//! Rate limiter check (`RateLimiter::check`, the guard's second phase).
//!
//! `CARGO_TARGET_DIR=/work/target-state cargo bench -p palisade-state --bench rate_limit`
//!
//! Results on the 2-core dev VM (load average ~6 from parallel builds), median per check:
//! - one_client: 18 ns
//! - many_clients (10k known clients, cap 100k): 22-44 ns (noisy)
//! - spray (a new client every check, cap 10k, so the eviction path): 32 ns amortised

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use divan::Bencher;
use divan::counter::ItemsCount;
use palisade_state::ratelimit::{Quota, RateLimitConfig, RateLimiter};

fn main() {
    divan::main();
}

fn limiter(max_keys: usize) -> (RateLimiter, Instant) {
    let start = Instant::now();
    let quota = Quota::new("global", 100, Duration::from_secs(1), 50).unwrap();
    let limiter = RateLimiter::new(
        RateLimitConfig {
            max_keys,
            ipv6_prefix: 64,
        },
        [quota],
        start,
    )
    .unwrap();
    (limiter, start)
}

#[divan::bench]
fn one_client(bencher: Bencher) {
    let (limiter, start) = limiter(100_000);
    let id = limiter.policy_id("global").unwrap();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let now = start + Duration::from_secs(1);
    bencher.bench_local(|| divan::black_box(limiter.check(id, divan::black_box(ip), now).allowed));
}

#[divan::bench]
fn many_clients(bencher: Bencher) {
    let (limiter, start) = limiter(100_000);
    let id = limiter.policy_id("global").unwrap();
    let ips: Vec<IpAddr> = (0..10_000u32)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + i * 7)))
        .collect();
    let now = start + Duration::from_secs(1);
    bencher.counter(ItemsCount::new(ips.len())).bench_local(|| {
        for ip in &ips {
            divan::black_box(limiter.check(id, *ip, now).allowed);
        }
    });
}

#[divan::bench]
fn spray(bencher: Bencher) {
    let (limiter, start) = limiter(10_000);
    let id = limiter.policy_id("global").unwrap();
    let next = Cell::new(0u32);
    let now = start + Duration::from_secs(1);
    bencher.counter(ItemsCount::new(1024usize)).bench_local(|| {
        for _ in 0..1024 {
            let i = next.get().wrapping_add(1);
            next.set(i);
            divan::black_box(
                limiter
                    .check(id, IpAddr::V4(Ipv4Addr::from(i)), now)
                    .allowed,
            );
        }
    });
    assert!(limiter.stats().keys <= 10_000);
}
