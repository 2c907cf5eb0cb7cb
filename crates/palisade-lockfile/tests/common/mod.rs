//! Fixture loading shared by the integration tests.
#![allow(dead_code)] // each test binary uses part of it

use std::path::PathBuf;

use palisade_lockfile::{Lockfile, Package, kind_of, parse_with_manifest};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read(scenario: &str, file: &str) -> String {
    let path = fixture_dir().join(scenario).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses `tests/fixtures/<scenario>/<file>`, with the manifest beside it when there is one
/// and `with_manifest` is set.
pub fn load_with(scenario: &str, file: &str, with_manifest: bool) -> Lockfile {
    let text = read(scenario, file);
    let manifest = kind_of(file)
        .and_then(|k| k.manifest())
        .filter(|_| with_manifest)
        .and_then(|m| std::fs::read_to_string(fixture_dir().join(scenario).join(m)).ok());
    parse_with_manifest(file, &text, manifest.as_deref())
        .unwrap_or_else(|e| panic!("{scenario}/{file}: {e}"))
}

pub fn load(scenario: &str, file: &str) -> Lockfile {
    load_with(scenario, file, true)
}

pub fn ids(lockfile: &Lockfile) -> Vec<String> {
    lockfile.packages.iter().map(Package::id).collect()
}

/// The package `name@version` (or `name` for a versionless one).
pub fn pkg<'a>(lockfile: &'a Lockfile, id: &str) -> &'a Package {
    lockfile
        .packages
        .iter()
        .find(|p| p.id() == id)
        .unwrap_or_else(|| panic!("{id} not in {:?}", ids(lockfile)))
}
