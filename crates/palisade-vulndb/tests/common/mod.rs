//! Shared test helpers: the shared reference data (read-only, beside the repository), a
//! database with all of it imported (built once per test binary), and temporary copies.
#![allow(dead_code)] // each test binary uses part of this

pub mod osv_server;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use palisade_vulndb::Database;
use tempfile::TempDir;

/// `/work/shared/data`: OSV records (crates, npm, pypi) and a RustSec advisory-db snapshot.
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The four shared sources, in the order they are imported.
pub const SHARED_SOURCES: [&str; 4] = ["rustsec-advisory-db", "osv/crates", "osv/pypi", "osv/npm"];

/// A database with the four shared sources imported; never mutated (tests copy it).
pub static SHARED: LazyLock<(TempDir, PathBuf)> = LazyLock::new(|| {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut db = Database::open(&dir).unwrap();
    for source in SHARED_SOURCES {
        let report = db.import(&data().join(source)).unwrap();
        assert_eq!(report.failed, 0, "{source}: {:?}", report.errors);
    }
    (tmp, dir)
});

/// A private copy of [`SHARED`] to change.
pub fn shared_copy() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    copy_dir(&SHARED.1, &dir);
    (tmp, dir)
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The first `n` files (sorted) of a shared data directory ending in `ext`.
pub fn some_files(dir: &str, ext: &str, n: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(data().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files.truncate(n);
    files
}

/// Copies files into `to`.
pub fn copy_files(files: &[PathBuf], to: &Path) {
    fs::create_dir_all(to).unwrap();
    for file in files {
        fs::copy(file, to.join(file.file_name().unwrap())).unwrap();
    }
}
