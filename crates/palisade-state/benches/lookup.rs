//! Black book lookup (`State::check`, the guard's first phase) with 100k entries.
//!
//! `CARGO_TARGET_DIR=/work/target-state cargo bench -p palisade-state --bench lookup`
//!
//! The book: 60k exact IPv4, 10k exact IPv6, 30k CIDRs (IPv4 /16 /20 /24 /28 /30, IPv6 /48
//! /56 /64) and a 2-entry allowlist; every probe set is 1,024 distinct addresses, and each
//! figure below is per lookup (iteration median / 1,024).
//!
//! Results on the 2-core dev VM (load average ~6 from parallel builds), median per lookup
//! (target < 100 ns):
//! - hit_exact_v4: 27 ns
//! - hit_cidr_v4: 32 ns
//! - miss_v4: 28 ns (6 IPv4 prefix lengths + allowlist probed)
//! - hit_v6: 40 ns
//! - miss_v6: 29 ns
//! - mapped_v4_in_v6: 42 ns
//!
//! The book's own accounting for these 100k entries: ~20.8 MB (`BookStats::bytes`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use palisade_state::{BanRequest, BanSource, BookConfig, IpNet, MemoryState, State, Timestamp};

fn main() {
    divan::main();
}

const NOW: Timestamp = Timestamp(1_700_000_000_000);
const PROBES: usize = 1024;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 16
    }
}

struct Fixture {
    state: Box<dyn State>,
    exact_v4: Vec<IpAddr>,
    cidr_v4: Vec<IpAddr>,
    v6: Vec<IpAddr>,
}

static BOOK: LazyLock<Fixture> = LazyLock::new(|| {
    let config = BookConfig {
        max_entries: 200_000,
        allowlist: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        ..BookConfig::default()
    };
    let state = MemoryState::new(config).unwrap();
    let mut rng = Lcg(42);
    let mut requests = Vec::new();
    let mut exact_v4 = Vec::new();
    let mut cidr_v4 = Vec::new();
    let mut v6 = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |net: IpNet| {
        // Distinct targets only, so the book really holds 100k entries.
        let new = seen.insert(net);
        if new {
            requests.push(BanRequest::permanent(net, BanSource::Import, "bench"));
        }
        new
    };
    // IPv4 bans live in 10.0.0.0/8, IPv6 ones in 2001:db8::/32; misses probe elsewhere.
    while exact_v4.len() < 60_000 {
        let a = Ipv4Addr::from(0x0A00_0000 | (rng.next() as u32 & 0x00FF_FFFF));
        if push(IpNet::from(IpAddr::V4(a))) {
            exact_v4.push(IpAddr::V4(a));
        }
    }
    let mut i = 0;
    while cidr_v4.len() < 20_000 {
        i += 1;
        // A few /16s (each covers 1/256 of 10/8), most of them /24 to /30.
        let len = if i % 1000 == 0 {
            16
        } else {
            [20u8, 24, 24, 28, 30][i % 5]
        };
        let a = Ipv4Addr::from(0x0A00_0000 | (rng.next() as u32 & 0x00FF_FFFF));
        if push(IpNet::new(IpAddr::V4(a), len).unwrap().trunc()) {
            cidr_v4.push(IpAddr::V4(a));
        }
    }
    while v6.len() < 20_000 {
        i += 1;
        let a = Ipv6Addr::from(
            (0x2001_0db8u128 << 96)
                | (u128::from(rng.next()) << 32)
                | u128::from(rng.next() as u32),
        );
        let len = if i % 2 == 0 {
            128
        } else {
            [48u8, 56, 64][i % 3]
        };
        if push(IpNet::new(IpAddr::V6(a), len).unwrap().trunc()) {
            v6.push(IpAddr::V6(a));
        }
    }
    let summary = state.import(requests, NOW).unwrap();
    assert_eq!(summary.added, 100_000, "{summary:?}");
    assert_eq!(state.stats().entries, 100_000);
    eprintln!("book: {:?}", state.stats());
    exact_v4.truncate(PROBES);
    cidr_v4.truncate(PROBES);
    v6.truncate(PROBES);
    Fixture {
        state: Box::new(state),
        exact_v4,
        cidr_v4,
        v6,
    }
});

fn run(bencher: Bencher, probes: &[IpAddr], banned: bool) {
    let book = &*BOOK;
    for ip in probes {
        assert_eq!(book.state.check(*ip, NOW).is_banned(), banned, "{ip}");
    }
    bencher.counter(ItemsCount::new(probes.len())).bench(|| {
        for ip in probes {
            divan::black_box(book.state.check(divan::black_box(*ip), NOW));
        }
    });
}

#[divan::bench]
fn hit_exact_v4(bencher: Bencher) {
    run(bencher, &BOOK.exact_v4, true);
}

#[divan::bench]
fn hit_cidr_v4(bencher: Bencher) {
    run(bencher, &BOOK.cidr_v4, true);
}

#[divan::bench]
fn miss_v4(bencher: Bencher) {
    let probes: Vec<IpAddr> = (0..PROBES as u32)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0xC0A8_0000 + i * 61)))
        .collect();
    run(bencher, &probes, false);
}

#[divan::bench]
fn hit_v6(bencher: Bencher) {
    run(bencher, &BOOK.v6, true);
}

#[divan::bench]
fn miss_v6(bencher: Bencher) {
    let probes: Vec<IpAddr> = (0..PROBES as u128)
        .map(|i| IpAddr::V6(Ipv6Addr::from((0x2001_0db9u128 << 96) | (i << 64) | i)))
        .collect();
    run(bencher, &probes, false);
}

#[divan::bench]
fn mapped_v4_in_v6(bencher: Bencher) {
    let probes: Vec<IpAddr> = BOOK
        .exact_v4
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(a) => IpAddr::V6(a.to_ipv6_mapped()),
            v6 => *v6,
        })
        .collect();
    run(bencher, &probes, true);
}
