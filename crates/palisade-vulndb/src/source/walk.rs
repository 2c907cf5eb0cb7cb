//! Finding record files in a directory: OSV records anywhere below it, or RustSec's
//! `crates/<name>/RUSTSEC-*.md` and `rust/<name>/CVE-*.md` (files named by advisory id).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use palisade_advisory::rustsec::Collection;

use super::Format;
use crate::error::DbError;

/// Deeper than any advisory repository (GitHub's is `advisories/github-reviewed/YYYY/MM/ID/`);
/// the bound stops a pathological tree.
const MAX_DEPTH: usize = 16;

/// Record files found, sorted by path, and how many other files were passed over.
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub(super) files: Vec<(PathBuf, Format)>,
    pub(super) skipped: usize,
}

/// A RustSec advisory-db checkout has `crates/` or `rust/` with `<name>/<ID>.md` inside.
/// Recognised by that structure, not by name, so a checkout anywhere works; RustSec's `osv`
/// branch (`crates/RUSTSEC-*.json`) is an OSV directory.
pub(super) fn is_rustsec(dir: &Path) -> Result<bool, DbError> {
    for collection in ["crates", "rust"] {
        let Some(packages) = read_dir_if_present(&dir.join(collection))? else {
            continue;
        };
        for package in packages {
            let path = package.map_err(DbError::io(dir))?.path();
            if !path.is_dir() {
                continue;
            }
            let Some(files) = read_dir_if_present(&path)? else {
                continue;
            };
            for file in files {
                let file = file.map_err(DbError::io(&path))?;
                if is_rustsec_file(&file.file_name().to_string_lossy()) {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// An advisory file is named by its id: `RUSTSEC-2021-0001.md` in `crates/`, and
/// `CVE-2018-1000622.md` in `rust/` (toolchain advisories predate RustSec ids).
fn is_rustsec_file(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".md") else {
        return false;
    };
    let prefix = stem.split('-').next().unwrap_or_default();
    stem.len() > prefix.len()
        && !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Every advisory file (`<ID>.md`) under `crates/` and `rust/`; other files (a README, the
/// example advisory at the top) are not records.
pub(super) fn rustsec_files(dir: &Path) -> Result<Listing, DbError> {
    let mut listing = Listing::default();
    for (sub, collection) in [("crates", Collection::Crates), ("rust", Collection::Rust)] {
        let root = dir.join(sub);
        if root.is_dir() {
            walk(&root, 0, &mut listing, &|name| {
                is_rustsec_file(name).then_some(Format::RustSec(collection))
            })?;
        }
    }
    listing.files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listing)
}

/// Every `*.json`, `*.yaml` and `*.yml` below `dir`.
pub(super) fn osv_files(dir: &Path) -> Result<Listing, DbError> {
    let mut listing = Listing::default();
    walk(dir, 0, &mut listing, &Format::osv)?;
    listing.files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(listing)
}

/// Walks `dir`. Hidden entries (`.git`, `.github` with its workflow YAML) are not advisory
/// data and are passed over unseen. Symbolic links to files are followed; links to
/// directories are not, so a link cycle cannot loop.
fn walk(
    dir: &Path,
    depth: usize,
    listing: &mut Listing,
    select: &dyn Fn(&str) -> Option<Format>,
) -> Result<(), DbError> {
    let entries = fs::read_dir(dir).map_err(DbError::io(dir))?;
    for entry in entries {
        let entry = entry.map_err(DbError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type().map_err(DbError::io(&path))?;
        let is_file = if file_type.is_symlink() {
            fs::metadata(&path).is_ok_and(|m| m.is_file())
        } else {
            file_type.is_file()
        };
        if file_type.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, listing, select)?;
            }
        } else if is_file {
            match select(&name) {
                Some(format) => listing.files.push((path, format)),
                None => listing.skipped += 1,
            }
        }
    }
    Ok(())
}

fn read_dir_if_present(dir: &Path) -> Result<Option<fs::ReadDir>, DbError> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(None),
        Err(source) => Err(DbError::Io {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_files_are_named_by_id() {
        for name in [
            "RUSTSEC-2021-0001.md",
            "CVE-2018-1000622.md",
            "GHSA-abcd.md",
        ] {
            assert!(is_rustsec_file(name), "{name}");
        }
        for name in [
            "README.md",
            "EXAMPLE_ADVISORY.md",
            "RUSTSEC-1.json",
            "-x.md",
            "Cve-1.md",
        ] {
            assert!(!is_rustsec_file(name), "{name}");
        }
    }
}
