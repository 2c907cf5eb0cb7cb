//! Loading the index: the cache when it is current; otherwise a rebuild from the stored
//! sources — after a format change, damage, a lost catalogue, or another process's import —
//! and never a panic or a silently empty index.

mod common;

use std::fs;
use std::path::Path;

use common::{copy_files, data, shared_copy, some_files};
use palisade_advisory::Ecosystem;
use palisade_vulndb::{CacheMiss, Database, DbError, SourceName, decode_index};

fn load_twice(dir: &Path) -> CacheMiss {
    let db = Database::open(dir).unwrap();
    let loaded = db.load().unwrap();
    let rebuilt = loaded.rebuilt.expect("the cache should have been rebuilt");
    assert!(rebuilt.not_saved.is_none(), "{:?}", rebuilt.not_saved);
    assert_eq!(loaded.index.stats().advisories, 1757);
    assert!(
        !loaded
            .index
            .affected(&Ecosystem::CratesIo, "smallvec", "0.6.2")
            .is_empty()
    );
    // The rebuilt cache was saved and is used next time.
    let again = Database::open(dir).unwrap().load().unwrap();
    assert!(again.rebuilt.is_none(), "{:?}", again.rebuilt);
    assert_eq!(again.index.advisories(), loaded.index.advisories());
    rebuilt.reason
}

#[test]
fn a_current_cache_is_used_as_is() {
    let (_tmp, dir) = shared_copy();
    let loaded = Database::open(&dir).unwrap().load().unwrap();
    assert!(loaded.rebuilt.is_none());
    let bytes = fs::read(dir.join("index.postcard")).unwrap();
    assert_eq!(
        decode_index(&bytes).unwrap().advisories(),
        loaded.index.advisories()
    );
}

#[test]
fn a_cache_of_another_layout_is_rebuilt() {
    let (_tmp, dir) = shared_copy();
    let path = dir.join("index.postcard");
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        decode_index(&bytes),
        Err(CacheMiss::OtherFormat(_))
    ));
    assert!(matches!(load_twice(&dir), CacheMiss::OtherFormat(_)));
}

#[test]
fn a_damaged_cache_is_rebuilt_not_misread() {
    let (_tmp, dir) = shared_copy();
    let path = dir.join("index.postcard");
    let good = fs::read(&path).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x20;
    let damaged: [(&str, Vec<u8>); 5] = [
        ("flipped", flipped),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("header only", good[..16].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"hello, world".repeat(1000)),
    ];
    for (what, bytes) in damaged {
        fs::write(&path, &bytes).unwrap();
        assert!(
            matches!(decode_index(&bytes), Err(CacheMiss::Unreadable(_))),
            "{what}"
        );
        assert!(
            matches!(load_twice(&dir), CacheMiss::Unreadable(_)),
            "{what}"
        );
    }
}

#[test]
fn a_missing_cache_is_rebuilt() {
    let (_tmp, dir) = shared_copy();
    fs::remove_file(dir.join("index.postcard")).unwrap();
    assert_eq!(load_twice(&dir), CacheMiss::Missing);
}

#[test]
fn a_lost_or_damaged_catalogue_is_recovered_from_the_sources() {
    let (_tmp, dir) = shared_copy();
    let before = Database::open(&dir).unwrap().status();
    for damage in ["", "{\"layout\": 1, \"sources\": 5}", "\u{0}\u{1}"] {
        fs::write(dir.join("meta.json"), damage).unwrap();
        let db = Database::open(&dir).unwrap();
        assert_eq!(db.status().sources, before.sources);
        // The cache still matches the recovered sources.
        assert!(db.load().unwrap().rebuilt.is_none());
    }
    fs::remove_file(dir.join("meta.json")).unwrap();
    let db = Database::open(&dir).unwrap();
    assert_eq!(db.status().sources, before.sources);
}

#[test]
fn another_process_import_is_seen_without_a_needless_rebuild() {
    let (_tmp, dir) = shared_copy();
    let early = Database::open(&dir).unwrap();
    let mut other = Database::open(&dir).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("GHSA-late-late-late.json"),
        r#"{"id": "GHSA-late-late-late", "modified": "2026-08-22T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Go", "name": "example.com/late"},
              "versions": ["1.0.0"]}]}"#,
    )
    .unwrap();
    other.import(tmp.path()).unwrap();

    // `early` still describes the old sources; the cache is the other process's, for the
    // new ones: it is used, and it has the new advisory.
    assert_eq!(early.status().sources.len(), 4);
    let loaded = early.load().unwrap();
    assert!(loaded.rebuilt.is_none(), "{:?}", loaded.rebuilt);
    assert!(loaded.index.get("GHSA-late-late-late").is_some());
}

#[test]
fn an_interrupted_import_leaves_an_out_of_date_cache_that_is_rebuilt() {
    let (_tmp, dir) = shared_copy();
    // A catalogue describing other sources than the cache's (as after a crash between
    // writing meta.json and the cache): the load rebuilds.
    let meta = fs::read_to_string(dir.join("meta.json")).unwrap();
    let changed = meta.replacen("\"failed\": 0", "\"failed\": 7", 1);
    assert_ne!(meta, changed);
    fs::write(dir.join("meta.json"), changed).unwrap();
    assert_eq!(load_twice(&dir), CacheMiss::OutOfDate);
}

#[test]
fn a_damaged_source_is_imported_again_from_its_origin() {
    let (_tmp, dir) = shared_copy();
    let source = dir.join("sources/osv-npm.postcard");
    let mut bytes = fs::read(&source).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&source, &bytes).unwrap();
    fs::remove_file(dir.join("index.postcard")).unwrap();
    assert_eq!(load_twice(&dir), CacheMiss::Missing);
    // The file was written again, whole.
    assert_ne!(fs::read(&source).unwrap(), bytes);
}

#[test]
fn a_damaged_source_whose_origin_is_gone_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("npm-copy");
    copy_files(&some_files("osv/npm", "json", 5), &origin);
    let dir = tmp.path().join("db");
    let mut db = Database::open(&dir).unwrap();
    db.import(&origin).unwrap();
    db.import(&data().join("osv/pypi")).unwrap();
    fs::remove_dir_all(&origin).unwrap();
    let source = dir.join("sources/osv-npm.postcard");
    fs::write(&source, b"PSDVSRC\0 damaged").unwrap();
    fs::remove_file(dir.join("index.postcard")).unwrap();

    let error = Database::open(&dir).unwrap().load().unwrap_err();
    let DbError::SourceUnreadable { name, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(name, "osv-npm");
    let message = error.to_string();
    assert!(
        message.contains("re-import it with `palisade audit db import"),
        "{message}"
    );
    assert!(message.contains("npm-copy"), "{message}");

    // Removing it makes the database usable again.
    db.remove(&SourceName::parse("osv-npm").unwrap()).unwrap();
    assert_eq!(db.load_index().unwrap().stats().records, 377);
}

#[test]
fn an_empty_database_is_an_error_not_an_empty_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("never-created");
    let db = Database::open(&dir).unwrap();
    assert!(db.status().is_empty());
    assert!(db.status().stale(std::time::Duration::from_secs(3600)));
    let error = db.load_index().unwrap_err();
    assert!(matches!(error, DbError::Empty { .. }), "{error:?}");
    assert!(error.to_string().contains("palisade audit db import"));
    assert!(!dir.exists(), "open and load must not create the directory");

    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    assert!(matches!(Database::open(&file), Err(DbError::Io { .. })));
}

#[test]
fn removing_sources_rebuilds_without_them() {
    let (_tmp, dir) = shared_copy();
    let mut db = Database::open(&dir).unwrap();
    db.remove(&SourceName::parse("osv-npm").unwrap()).unwrap();
    assert_eq!(db.status().sources.len(), 3);
    let index = Database::open(&dir).unwrap().load().unwrap();
    assert!(index.rebuilt.is_none());
    assert!(
        index
            .index
            .affected(&Ecosystem::Npm, "qs", "6.5.2")
            .is_empty()
    );

    let unknown = db.remove(&SourceName::parse("nope").unwrap()).unwrap_err();
    assert!(matches!(unknown, DbError::UnknownSource(_)), "{unknown:?}");

    for name in ["rustsec", "osv-crates.io", "osv-pypi"] {
        db.remove(&SourceName::parse(name).unwrap()).unwrap();
    }
    assert!(db.status().is_empty());
    assert!(!dir.join("index.postcard").exists());
    assert!(matches!(
        Database::open(&dir).unwrap().load_index(),
        Err(DbError::Empty { .. })
    ));
}
