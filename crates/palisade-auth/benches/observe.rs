//! `CARGO_TARGET_DIR=/work/target-auth cargo bench -p palisade-auth --bench observe`
//!
//!
//! Last results (2 cores shared with other builds; release; default settings; 1000 users,
//! 2000 IPs, one success in four, 1 ms apart):
//!
//! ```text
//! observe     fastest       │ slowest       │ median        │ mean          │ samples │ iters
//! ├─ observe  3.484 µs      │ 68.46 µs      │ 7.365 µs      │ 8.765 µs      │ 100     │ 100
//! ╰─ risk     77.97 ns      │ 690.7 ns      │ 409 ns        │ 396.7 ns      │ 100     │ 1600
//! ```
//!
//! `observe` is dominated by allocations (decision strings, owned keys for the known-pair
//! look-up); ~130k observations/s on one core behind the monitor's Mutex.
fn main() {
    divan::main();
}

use std::net::IpAddr;

use divan::{Bencher, black_box};
use palisade_auth::{Attempt, Monitor, MonitorSettings, Outcome};
use palisade_core::Timestamp;

/// 4096 (attempt, outcome, ip) triples: 1000 users, 2000 IPs, one success in four.
fn traffic() -> Vec<(Attempt, Outcome, IpAddr)> {
    (0..4096u32)
        .map(|i| {
            let user = format!("user{}@example.com", (i * 7919) % 1000);
            let ip: IpAddr = format!(
                "10.{}.{}.{}",
                (i % 2000) / 65536,
                ((i % 2000) / 256) % 256,
                i % 256
            )
            .parse()
            .unwrap();
            let outcome = if i % 4 == 0 {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            (Attempt::reported("bench", user, None), outcome, ip)
        })
        .collect()
}

#[divan::bench]
fn observe(bencher: Bencher) {
    let traffic = traffic();
    let mut monitor = Monitor::new(MonitorSettings::default());
    let mut i = 0usize;
    bencher.bench_local(|| {
        let (a, o, ip) = &traffic[i % traffic.len()];
        i += 1;
        // 1 ms apart: windows fill and slide as in a busy login endpoint.
        black_box(monitor.observe(a, *o, *ip, Timestamp(i as i64)))
    });
}

#[divan::bench]
fn risk(bencher: Bencher) {
    let traffic = traffic();
    let mut monitor = Monitor::new(MonitorSettings::default());
    for (n, (a, o, ip)) in traffic.iter().enumerate() {
        monitor.observe(a, *o, *ip, Timestamp(n as i64));
    }
    let mut i = 0usize;
    bencher.bench_local(|| {
        let (a, _, ip) = &traffic[i % traffic.len()];
        i += 1;
        black_box(monitor.risk(&a.username, *ip, Timestamp(5000)))
    });
}
