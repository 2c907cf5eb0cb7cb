//! `CARGO_TARGET_DIR=/work/target-auth cargo bench -p palisade-auth --bench pwned_file`
//!
//! Generates a sorted 1M-line HIBP-format file (and its imported index) in a tempdir, then
//! times lookups of present and absent hashes. The file is in the page cache (warm).
//!
//! Last results (2 cores shared with other builds; release; 1M lines, 45 MB text, 24 MB index):
//!
//! ```text
//! pwned_file         fastest       │ slowest       │ median        │ mean          │ samples │ iters
//! ├─ lookup_absent                 │               │               │               │         │
//! │  ├─ index        2.052 µs      │ 15.01 µs      │ 3.369 µs      │ 3.593 µs      │ 100     │ 100
//! │  ╰─ text         13.15 µs      │ 87.82 µs      │ 20.46 µs      │ 22.25 µs      │ 100     │ 100
//! ╰─ lookup_present                │               │               │               │         │
//!    ├─ index        891.7 ns      │ 4.485 µs      │ 2.498 µs      │ 2.467 µs      │ 100     │ 100
//!    ╰─ text         10.81 µs      │ 84.29 µs      │ 17.5 µs       │ 19.09 µs      │ 100     │ 100
//! ```
//!
//! Text: ~20 positioned reads per lookup (log2 of the byte size); index: the fan-out table
//! leaves ~4 reads. The full HIBP corpus (~40 GB text) adds ~10 reads to text lookups and
//! ~10 to the index (14k records per fan-out bucket).
fn main() {
    divan::main();
}

use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use palisade_auth::PasswordHash;
use palisade_auth::pwned::{PwnedFile, import};
use sha1::{Digest, Sha1};

const LINES: usize = 1_000_000;

struct Corpus {
    _dir: tempfile::TempDir,
    text: PathBuf,
    index: PathBuf,
}

static CORPUS: LazyLock<Corpus> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hashes: Vec<[u8; 20]> = (0..LINES)
        .map(|i| Sha1::digest(i.to_le_bytes()).into())
        .collect();
    hashes.sort_unstable();
    let text = dir.path().join("pwned.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&text).expect("create"));
    for (i, h) in hashes.iter().enumerate() {
        write!(f, "{}:{}\r\n", hex::encode_upper(h), i % 5000 + 1).expect("write");
    }
    f.flush().expect("flush");
    drop(f);
    let index = dir.path().join("pwned.idx");
    import(&text, &index).expect("import");
    Corpus {
        _dir: dir,
        text,
        index,
    }
});

fn present(i: usize) -> PasswordHash {
    PasswordHash(Sha1::digest((i * 7 % LINES).to_le_bytes()).into())
}

fn absent(i: usize) -> PasswordHash {
    PasswordHash(Sha1::digest(format!("absent-{i}")).into())
}

#[divan::bench(args = ["text", "index"])]
fn lookup_present(bencher: Bencher, format: &str) {
    let path = if format == "text" {
        &CORPUS.text
    } else {
        &CORPUS.index
    };
    let file = PwnedFile::open(path).expect("open");
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        black_box(file.lookup(&present(i)).expect("lookup"))
    });
}

#[divan::bench(args = ["text", "index"])]
fn lookup_absent(bencher: Bencher, format: &str) {
    let path = if format == "text" {
        &CORPUS.text
    } else {
        &CORPUS.index
    };
    let file = PwnedFile::open(path).expect("open");
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        black_box(file.lookup(&absent(i)).expect("lookup"))
    });
}
