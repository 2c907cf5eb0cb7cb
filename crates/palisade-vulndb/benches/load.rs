//! `cargo bench -p palisade-vulndb --bench load`
//!
//! The database with every shared source imported (RustSec TOML + OSV crates/npm/PyPI: 4
//! sources, 2,976 records → 1,757 advisories; `index.postcard` 1,452 KiB). 2026-11-28,
//! release, 2 cores, load ~1.7 from other builds:
//!
//! ```text
//! load                                fastest       │ slowest       │ median        │ mean          │ samples │ iters
//! ├─ crc32_only                       25.72 µs      │ 54 µs         │ 25.75 µs      │ 26.51 µs      │ 100     │ 100
//! ├─ decode_warm                      3.247 ms      │ 3.872 ms      │ 3.403 ms      │ 3.436 ms      │ 100     │ 100
//! ├─ import_all_shared                109.6 ms      │ 130.5 ms      │ 127.7 ms      │ 124.3 ms      │ 5       │ 5
//! ├─ open_and_load                    3.394 ms      │ 5.858 ms      │ 3.568 ms      │ 3.701 ms      │ 100     │ 100
//! ├─ open_and_load_for_3000_packages  476.7 µs      │ 698.2 µs      │ 495.5 µs      │ 513.2 µs      │ 100     │ 100
//! ├─ read_and_decode                  3.379 ms      │ 5.719 ms      │ 3.615 ms      │ 3.816 ms      │ 100     │ 100
//! ╰─ rebuild_from_sources             12.76 ms      │ 14.94 ms      │ 13.52 ms      │ 13.63 ms      │ 10      │ 10
//! ```
//!
//! A whole load (`open_and_load`: meta.json, read, checksum, decode) is ~3.5 ms and grows with
//! the database (~2 µs per advisory). `palisade audit` does `open_and_load_for_3000_packages`
//! instead: the cache's directory, then only the advisories naming the lockfile's packages —
//! ~0.5 ms here, 7x less, and nearly flat in the database's size. The file read, framing and
//! checksum add ~0.2 ms (CRC-32 of the file: 26 µs). A rebuild (after an upgrade or damage:
//! decode the sources, merge, write with fsync) is ~13 ms; importing all four shared sources
//! into an empty database ~125 ms.
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use palisade_advisory::{Ecosystem, Index, Wanted};
use palisade_vulndb::{Database, decode_index};

fn main() {
    let index = DB.1.join("index.postcard");
    let bytes = std::fs::read(&index).unwrap();
    let db = Database::open(&DB.1).unwrap();
    let status = db.status();
    let stats = status.index.unwrap().stats;
    eprintln!(
        "{} sources, {} records -> {} advisories; index.postcard {} KiB",
        status.sources.len(),
        stats.records,
        stats.advisories,
        bytes.len() / 1024
    );
    divan::main();
}

/// A database with every shared source imported, in a temporary directory.
static DB: LazyLock<(tempfile::TempDir, PathBuf)> = LazyLock::new(|| {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("advisories");
    let mut db = Database::open(&dir).unwrap();
    for source in ["rustsec-advisory-db", "osv/crates", "osv/pypi", "osv/npm"] {
        db.import(&data.join(source)).unwrap();
    }
    (tmp, dir)
});

/// The audit's path: open (reads meta.json), read the cache, check it, decode it. The index
/// is returned so that divan drops it outside the timing, as every bench here does: freeing
/// it costs ~1.7 ms, which a CLI skips by exiting.
#[divan::bench(sample_count = 100)]
fn open_and_load() -> Index {
    let db = Database::open(&DB.1).unwrap();
    db.load_index().unwrap()
}

/// Reading the cache file and decoding it (no catalogue).
#[divan::bench(sample_count = 100)]
fn read_and_decode() -> Index {
    let bytes = std::fs::read(DB.1.join("index.postcard")).unwrap();
    decode_index(&bytes).unwrap()
}

/// Decoding from bytes already in memory (checksum + postcard + hash maps).
#[divan::bench(sample_count = 100)]
fn decode_warm(bencher: divan::Bencher) {
    let bytes = std::fs::read(DB.1.join("index.postcard")).unwrap();
    bencher.bench(|| black_box(decode_index(black_box(&bytes)).unwrap()));
}

/// What `palisade audit` does since reads became partial: open, read, check, and decode
/// only the advisories naming a lockfile's packages — here 3,000 names, one in ten of them
/// named by some advisory.
#[divan::bench(sample_count = 100)]
fn open_and_load_for_3000_packages(bencher: divan::Bencher) {
    let db = Database::open(&DB.1).unwrap();
    let whole = db.load_index().unwrap();
    let mut wanted = Wanted::default();
    let named: Vec<(Ecosystem, String)> = whole
        .advisories()
        .iter()
        .flat_map(|a| &a.affected)
        .map(|e| (e.ecosystem.clone(), e.package.clone()))
        .take(300)
        .collect();
    for (ecosystem, name) in &named {
        wanted.insert(ecosystem, name);
    }
    for i in 0..2_700 {
        wanted.insert(&Ecosystem::CratesIo, &format!("not-advised-{i}"));
    }
    bencher.bench(|| {
        let db = Database::open(&DB.1).unwrap();
        black_box(db.load_for(black_box(&wanted)).unwrap().index)
    });
}

/// For comparison: the checksum over the whole cache file.
#[divan::bench(sample_count = 100)]
fn crc32_only(bencher: divan::Bencher) {
    let bytes = std::fs::read(DB.1.join("index.postcard")).unwrap();
    bencher.bench(|| black_box(crc32fast::hash(black_box(&bytes))));
}

/// Importing every shared source into an empty database (parse in parallel, merge, write).
#[divan::bench(sample_count = 5)]
fn import_all_shared() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let tmp = tempfile::tempdir().unwrap();
    let mut db = Database::open(tmp.path()).unwrap();
    for source in ["rustsec-advisory-db", "osv/crates", "osv/pypi", "osv/npm"] {
        black_box(db.import(&data.join(source)).unwrap());
    }
}

/// A cache rebuild from the stored sources (after an upgrade or a damaged cache): decode
/// every source, merge, write the cache and the catalogue.
#[divan::bench(sample_count = 10)]
fn rebuild_from_sources(bencher: divan::Bencher) {
    let index = DB.1.join("index.postcard");
    bencher.bench(|| {
        std::fs::remove_file(&index).unwrap();
        let loaded = Database::open(&DB.1).unwrap().load().unwrap();
        assert!(loaded.rebuilt.is_some());
        black_box(loaded.index)
    });
}
