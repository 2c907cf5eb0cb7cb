//! `CARGO_TARGET_DIR=/work/target-lock cargo bench -p palisade-lockfile --bench parse`
//!
//! Parses generated lockfiles of 3,200 packages (deterministic; built once, outside the timed
//! part): a Cargo.lock v4 (one name in ten locked at two versions, so dependency strings
//! carry versions), a package-lock.json v3 (one package in five with a nested duplicate) and a
//! pnpm-lock.yaml v9 — each package depending on three others.
//!
//! Last results (2 cores shared with other builds; release):
//!
//! ```text
//! parse                 fastest       │ slowest       │ median        │ mean          │ samples │ iters
//! ├─ cargo_lock         5.235 ms      │ 8.619 ms      │ 6.217 ms      │ 6.372 ms      │ 100     │ 100
//! │                     173.6 MB/s    │ 105.4 MB/s    │ 146.2 MB/s    │ 142.6 MB/s    │         │
//! ├─ package_lock_json  9.912 ms      │ 23.15 ms      │ 15.39 ms      │ 14.88 ms      │ 100     │ 100
//! │                     100.1 MB/s    │ 42.86 MB/s    │ 64.48 MB/s    │ 66.65 MB/s    │         │
//! ╰─ pnpm_lock_yaml     43.5 ms       │ 73.89 ms      │ 50.66 ms      │ 53.04 ms      │ 100     │ 100
//!                       18.13 MB/s    │ 10.67 MB/s    │ 15.57 MB/s    │ 14.87 MB/s    │         │
//! ```
//!
//! Inputs: Cargo.lock 0.91 MB (3,521 entries), package-lock.json 0.99 MB (3,839 entries),
//! pnpm-lock.yaml 0.79 MB. Cargo.lock takes the line-by-line path for cargo's own layout (was
//! 15.3 ms through the toml crate); the rest is the graph and the per-package strings, then
//! freeing them (included here; the CLI exits instead). JSON and YAML go through serde_json
//! and serde-saphyr with serde_path_to_error for located messages.
fn main() {
    divan::main();
}

use std::fmt::Write;
use std::sync::LazyLock;

use divan::{Bencher, black_box};

const PACKAGES: usize = 3_200;

/// The three dependencies of package `i`: earlier packages, so the graph is deep and shared.
fn deps(i: usize) -> [usize; 3] {
    [i / 2, i / 3, i.saturating_sub(7)]
}

static CARGO_LOCK: LazyLock<String> = LazyLock::new(|| {
    let mut s = String::from("version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    s.push_str("dependencies = [\n");
    for i in (0..PACKAGES).step_by(50) {
        let _ = writeln!(s, " \"crate-{i}{}\",", dup_suffix(i));
    }
    s.push_str("]\n");
    for i in 0..PACKAGES {
        for version in versions(i) {
            let _ = write!(
                s,
                "\n[[package]]\nname = \"crate-{i}\"\nversion = \"{version}\"\n\
                 source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
                 checksum = \"{:064x}\"\n",
                i * 31 + 7
            );
            if i > 0 {
                s.push_str("dependencies = [\n");
                let mut d = deps(i).to_vec();
                d.sort_unstable();
                d.dedup();
                for j in d {
                    let _ = writeln!(s, " \"crate-{j}{}\",", dup_suffix(j));
                }
                s.push_str("]\n");
            }
        }
    }
    s
});

/// One crate in ten is locked at two versions.
fn versions(i: usize) -> Vec<String> {
    let mut v = vec![format!("1.{}.0", i % 13)];
    if i.is_multiple_of(10) {
        v.push(format!("2.{}.0", i % 5));
    }
    v
}

/// A dependency on a crate locked twice must name the version.
fn dup_suffix(i: usize) -> String {
    if i.is_multiple_of(10) {
        format!(" 1.{}.0", i % 13)
    } else {
        String::new()
    }
}

static PACKAGE_LOCK: LazyLock<String> = LazyLock::new(|| {
    let mut s = String::from(
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \
         \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"app\",\n      \
         \"dependencies\": {\n",
    );
    let direct: Vec<usize> = (0..PACKAGES).step_by(50).collect();
    for (n, i) in direct.iter().enumerate() {
        let comma = if n + 1 < direct.len() { "," } else { "" };
        let _ = writeln!(s, "        \"pkg-{i}\": \"^1.0.0\"{comma}");
    }
    s.push_str("      }\n    }");
    for i in 0..PACKAGES {
        let _ = write!(
            s,
            ",\n    \"node_modules/pkg-{i}\": {{\n      \"version\": \"1.{}.0\",\n      \
             \"integrity\": \"sha512-{:086x}==\",\n      \"license\": \"MIT\"",
            i % 13,
            i
        );
        if i > 0 {
            s.push_str(",\n      \"dependencies\": {");
            let mut d = deps(i).to_vec();
            d.sort_unstable();
            d.dedup();
            let parts: Vec<String> = d
                .iter()
                .map(|j| format!("\"pkg-{j}\": \"^1.0.0\""))
                .collect();
            s.push_str(&parts.join(", "));
            s.push('}');
        }
        s.push_str("\n    }");
        // A nested copy at another version: what npm writes when ranges conflict.
        if i.is_multiple_of(5) && i > 0 {
            let j = i / 2;
            let _ = write!(
                s,
                ",\n    \"node_modules/pkg-{i}/node_modules/pkg-{j}\": {{\n      \"version\": \"0.{}.0\"\n    }}",
                j % 7
            );
        }
    }
    s.push_str("\n  }\n}\n");
    s
});

static PNPM_LOCK: LazyLock<String> = LazyLock::new(|| {
    let mut s = String::from("lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n");
    for i in (0..PACKAGES).step_by(50) {
        let _ = writeln!(
            s,
            "      pkg-{i}:\n        specifier: ^1.0.0\n        version: 1.{}.0",
            i % 13
        );
    }
    s.push_str("\npackages:\n\n");
    for i in 0..PACKAGES {
        let _ = writeln!(
            s,
            "  pkg-{i}@1.{}.0:\n    resolution: {{integrity: sha512-{:086x}==}}\n",
            i % 13,
            i
        );
    }
    s.push_str("snapshots:\n\n");
    for i in 0..PACKAGES {
        let _ = writeln!(s, "  pkg-{i}@1.{}.0:", i % 13);
        if i == 0 {
            s.push_str("    {}\n");
            continue;
        }
        s.push_str("    dependencies:\n");
        let mut d = deps(i).to_vec();
        d.sort_unstable();
        d.dedup();
        for j in d {
            let _ = writeln!(s, "      pkg-{j}: 1.{}.0", j % 13);
        }
        s.push('\n');
    }
    s
});

fn run(bencher: Bencher, name: &str, text: &'static str, at_least: usize) {
    let count = palisade_lockfile::parse(name, text).unwrap().packages.len();
    assert!(count >= at_least, "{name}: {count} packages");
    bencher
        .counter(divan::counter::BytesCount::of_str(text))
        .bench(|| palisade_lockfile::parse(black_box(name), black_box(text)).unwrap());
}

#[divan::bench]
fn cargo_lock(bencher: Bencher) {
    run(bencher, "Cargo.lock", &CARGO_LOCK, PACKAGES);
}

#[divan::bench]
fn package_lock_json(bencher: Bencher) {
    run(bencher, "package-lock.json", &PACKAGE_LOCK, PACKAGES);
}

#[divan::bench]
fn pnpm_lock_yaml(bencher: Bencher) {
    run(bencher, "pnpm-lock.yaml", &PNPM_LOCK, PACKAGES);
}
