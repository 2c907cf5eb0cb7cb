//! `cargo bench -p palisade-advisory --bench match`
//!
//! Index of the shared data (RustSec TOML + OSV crates/npm/PyPI: 2,956 records → 1,737
//! advisories; postcard cache 1,441 KiB). 2026-11-28, release, 2 cores, load ~1.6:
//!
//! ```text
//! match                      fastest       │ slowest       │ median        │ mean          │ samples │ iters
//! ├─ affected_3000_django    109.3 ms      │ 141.9 ms      │ 111.7 ms      │ 112.3 ms      │ 100     │ 100
//! ├─ affected_3000_hot       1.952 ms      │ 3.077 ms      │ 2.059 ms      │ 2.091 ms      │ 100     │ 100
//! ├─ affected_3000_lockfile  175.3 µs      │ 241.3 µs      │ 180.8 µs      │ 184.8 µs      │ 100     │ 100
//! ├─ build_index             3.739 ms      │ 8.88 ms       │ 4.195 ms      │ 4.613 ms      │ 20      │ 20
//! ├─ load_cache              3.177 ms      │ 5.418 ms      │ 3.246 ms      │ 3.354 ms      │ 100     │ 100
//! ├─ parse_all_records       48.65 ms      │ 53.3 ms       │ 49.51 ms      │ 49.92 ms      │ 10      │ 10
//! ╰─ warm_audit_3000         6.557 ms      │ 6.996 ms      │ 6.65 ms       │ 6.658 ms      │ 100     │ 100
//! ```
//!
//! A warm audit of 3,000 packages that all have advisories (cache load + lookups) takes 6.7 ms
//! of the 30 ms budget; a realistic lockfile's lookups 0.18 ms. The cost per lookup grows with
//! the package's advisories: django's 116 cost 37 µs per lookup (`affected_3000_django`), and
//! the cache load grows with the database (~1.9 µs per advisory), which is what to watch when
//! the full osv.dev exports arrive.
use std::hint::black_box;
use std::path::Path;
use std::sync::LazyLock;

use divan::Bencher;
use palisade_advisory::{Advisory, Ecosystem, Event, Index, osv, rustsec};

fn main() {
    eprintln!(
        "{} advisories from {} records; postcard cache {} KiB",
        INDEX.advisories().len(),
        RECORDS.len(),
        CACHE.len() / 1024
    );
    divan::main();
}

fn read_all() -> Vec<(u8, String)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let mut out = Vec::new();
    let mut push_dir = |dir: &Path, ext: &str, kind: u8| {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == ext) {
                    out.push((kind, std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
    };
    push_dir(&data.join("rustsec-advisory-db/crates"), "md", 2);
    push_dir(&data.join("osv/crates"), "json", 0);
    push_dir(&data.join("osv/npm"), "json", 0);
    push_dir(&data.join("osv/pypi"), "yaml", 1);
    out
}

static FILES: LazyLock<Vec<(u8, String)>> = LazyLock::new(read_all);

fn parse_all(files: &[(u8, String)]) -> Vec<Advisory> {
    files
        .iter()
        .map(|(kind, text)| match kind {
            0 => osv::parse_json(text, "x").unwrap(),
            1 => osv::parse_yaml(text, "x").unwrap(),
            _ => rustsec::parse(text, "x", rustsec::Collection::Crates).unwrap(),
        })
        .collect()
}

static RECORDS: LazyLock<Vec<Advisory>> = LazyLock::new(|| parse_all(&FILES));
static INDEX: LazyLock<Index> = LazyLock::new(|| Index::new(RECORDS.clone()));
static CACHE: LazyLock<Vec<u8>> = LazyLock::new(|| INDEX.to_bytes().unwrap());

/// One query per package that has advisories (every ecosystem), at one of its advisories'
/// boundary versions, repeated in turn up to 3,000: a lockfile where every package is
/// vulnerable-looking, so every lookup checks ranges.
static HOT: LazyLock<Vec<(Ecosystem, String, String)>> = LazyLock::new(|| {
    let mut seen = std::collections::HashSet::new();
    let mut distinct = Vec::new();
    for advisory in INDEX.advisories() {
        for entry in &advisory.affected {
            if !seen.insert((entry.ecosystem.clone(), entry.package.clone())) {
                continue;
            }
            let version = entry
                .ranges
                .iter()
                .flat_map(|r| &r.events)
                .find_map(|e| match e {
                    Event::Fixed(v) | Event::LastAffected(v) => Some(v.clone()),
                    Event::Introduced(v) if v != "0" => Some(v.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "1.0.0".to_owned());
            distinct.push((entry.ecosystem.clone(), entry.package.clone(), version));
        }
    }
    distinct.iter().cycle().take(3000).cloned().collect()
});

/// A realistic lockfile: 3,000 packages, one in twenty with advisories.
static LOCKFILE: LazyLock<Vec<(Ecosystem, String, String)>> = LazyLock::new(|| {
    (0..3000)
        .map(|i| {
            if i % 20 == 0 {
                HOT[i].clone()
            } else {
                let ecosystem =
                    [Ecosystem::Npm, Ecosystem::CratesIo, Ecosystem::PyPI][i % 3].clone();
                (
                    ecosystem,
                    format!("package-{i}"),
                    format!("1.{}.{}", i % 7, i % 13),
                )
            }
        })
        .collect()
});

fn audit(index: &Index, queries: &[(Ecosystem, String, String)]) -> usize {
    queries
        .iter()
        .map(|(e, n, v)| index.affected(e, n, v).len())
        .sum()
}

/// 3,000 `affected()` calls, every package with advisories.
#[divan::bench]
fn affected_3000_hot(bencher: Bencher) {
    let (index, queries) = (&*INDEX, &*HOT);
    bencher.bench(|| audit(black_box(index), black_box(queries)));
}

/// 3,000 `affected()` calls, a realistic mix (5% with advisories).
#[divan::bench]
fn affected_3000_lockfile(bencher: Bencher) {
    let (index, queries) = (&*INDEX, &*LOCKFILE);
    bencher.bench(|| audit(black_box(index), black_box(queries)));
}

/// 3,000 `affected()` calls for the package with the most advisories (django, 116 PYSEC
/// records with long `versions` lists): the worst case per lookup.
#[divan::bench]
fn affected_3000_django(bencher: Bencher) {
    let index = &*INDEX;
    let queries: Vec<_> = (0..3000)
        .map(|i| {
            (
                Ecosystem::PyPI,
                "django".to_owned(),
                format!("{}.{}.{}", 1 + i % 4, i % 12, i % 20),
            )
        })
        .collect();
    bencher.bench(|| audit(black_box(index), black_box(&queries)));
}

/// Warm start: load the postcard cache of the whole index.
#[divan::bench]
fn load_cache(bencher: Bencher) {
    let bytes = &*CACHE;
    bencher.bench(|| Index::from_bytes(black_box(bytes)).unwrap());
}

/// Warm audit end to end (minus file reads): load the cache, then 3,000 hot lookups.
#[divan::bench]
fn warm_audit_3000(bencher: Bencher) {
    let (bytes, queries) = (&*CACHE, &*HOT);
    bencher.bench(|| {
        let index = Index::from_bytes(black_box(bytes)).unwrap();
        audit(&index, queries)
    });
}

/// Cold start: merge and index the parsed records.
#[divan::bench(sample_count = 20)]
fn build_index(bencher: Bencher) {
    bencher
        .with_inputs(|| RECORDS.clone())
        .bench_values(Index::new);
}

/// Cold start: parse every shared record (2,956 files of JSON, YAML and TOML).
#[divan::bench(sample_count = 10)]
fn parse_all_records(bencher: Bencher) {
    let files = &*FILES;
    bencher.bench(|| parse_all(black_box(files)));
}
