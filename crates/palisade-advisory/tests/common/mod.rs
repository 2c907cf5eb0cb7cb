//! The shared reference data (read-only, beside the repository): OSV records for crates.io,
//! PyPI and npm, and a RustSec advisory-db snapshot. The crate does no I/O; its tests do.
#![allow(dead_code)] // each test binary uses part of this

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use palisade_advisory::{Advisory, Index, osv, rustsec};

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// Files under `dir` ending in `ext`, sorted, recursively.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn load(
    paths: Vec<PathBuf>,
    parse: impl Fn(&str, &str) -> Result<Advisory, palisade_advisory::ParseError>,
) -> Vec<Advisory> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        match parse(&text, &path.display().to_string()) {
            Ok(a) => out.push(a),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "{} records failed:\n{}",
        errors.len(),
        errors.join("\n")
    );
    out
}

pub struct Data {
    pub osv_crates: Vec<Advisory>,
    pub osv_pypi: Vec<Advisory>,
    pub osv_npm: Vec<Advisory>,
    pub rustsec_crates: Vec<Advisory>,
    pub rustsec_rust: Vec<Advisory>,
}

impl Data {
    /// Every record, RustSec TOML first (so its text and link lead a merged advisory).
    pub fn all(&self) -> Vec<Advisory> {
        [
            &self.rustsec_crates,
            &self.rustsec_rust,
            &self.osv_crates,
            &self.osv_pypi,
            &self.osv_npm,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

pub static DATA: LazyLock<Data> = LazyLock::new(|| {
    let data = data_dir();
    let db = data.join("rustsec-advisory-db");
    Data {
        osv_crates: load(files(&data.join("osv/crates"), "json"), osv::parse_json),
        osv_pypi: load(files(&data.join("osv/pypi"), "yaml"), osv::parse_yaml),
        osv_npm: load(files(&data.join("osv/npm"), "json"), osv::parse_json),
        rustsec_crates: load(files(&db.join("crates"), "md"), |t, n| {
            rustsec::parse(t, n, rustsec::Collection::Crates)
        }),
        rustsec_rust: load(files(&db.join("rust"), "md"), |t, n| {
            rustsec::parse(t, n, rustsec::Collection::Rust)
        }),
    }
});

pub static INDEX: LazyLock<Index> = LazyLock::new(|| Index::new(DATA.all()));

/// The parsed record with this id from a list.
pub fn record<'a>(list: &'a [Advisory], id: &str) -> &'a Advisory {
    list.iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("no record {id}"))
}
