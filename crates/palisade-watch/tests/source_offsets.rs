//! The offsets store: round trip, writes only when changed, atomic, corrupt files moved aside.

use std::fs;
use std::path::Path;

use palisade_watch::source::{FileOffset, Fingerprint, Offsets};

fn sample() -> FileOffset {
    FileOffset {
        dev: 2049,
        ino: 131_075,
        offset: 4096,
        fingerprint: Fingerprint::of(b"Jan  1 00:00:01 host sshd[1]: Server listening"),
    }
}

#[test]
fn a_missing_file_is_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let offsets = Offsets::open(dir.path().join("offsets.json")).unwrap();
    assert_eq!(offsets.file(Path::new("/var/log/auth.log")), None);
    assert!(!offsets.is_dirty());
    offsets.save().unwrap();
    assert!(
        !dir.path().join("offsets.json").exists(),
        "nothing to save, nothing written"
    );
}

#[test]
fn positions_survive_a_save_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offsets.json");
    let offsets = Offsets::open(&path).unwrap();
    offsets.set_file(Path::new("/var/log/auth.log"), sample());
    offsets.set_journal_cursor("ssh", "s=1;i=2");
    assert!(offsets.is_dirty());
    offsets.save().unwrap();
    assert!(!offsets.is_dirty());

    let again = Offsets::open(&path).unwrap();
    assert_eq!(again.file(Path::new("/var/log/auth.log")), Some(sample()));
    assert_eq!(again.journal_cursor("ssh").as_deref(), Some("s=1;i=2"));
    assert_eq!(again.file_paths(), [Path::new("/var/log/auth.log")]);
    let json = fs::read_to_string(&path).unwrap();
    assert!(json.contains("\"journal:ssh\""), "{json}");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["offsets.json"], "no temporary file left behind");
}

#[test]
fn save_writes_only_when_something_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offsets.json");
    let offsets = Offsets::open(&path).unwrap();
    offsets.set_file(Path::new("/a.log"), sample());
    offsets.save().unwrap();
    // A marker the next save would overwrite, if it wrote.
    fs::write(&path, "marker").unwrap();
    offsets.set_file(Path::new("/a.log"), sample());
    assert!(
        !offsets.is_dirty(),
        "setting the same position changes nothing"
    );
    offsets.save().unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "marker");
    offsets.forget_file(Path::new("/a.log"));
    offsets.save().unwrap();
    assert_ne!(fs::read_to_string(&path).unwrap(), "marker");
}

#[test]
fn a_corrupt_file_is_moved_aside_and_the_store_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offsets.json");
    for corrupt in [
        "{\"version\":1,\"sources\":{\"/a\":{\"fi",
        "{\"version\":99,\"sources\":{}}",
    ] {
        fs::write(&path, corrupt).unwrap();
        let offsets = Offsets::open(&path).unwrap();
        assert!(offsets.file_paths().is_empty());
        assert_eq!(
            fs::read_to_string(dir.path().join("offsets.json.corrupt")).unwrap(),
            corrupt
        );
        assert!(!path.exists());
    }
}

#[test]
fn the_in_memory_store_never_writes() {
    let offsets = Offsets::in_memory();
    offsets.set_journal_cursor("ssh", "c");
    offsets.save().unwrap();
    assert_eq!(offsets.path(), None);
    assert_eq!(offsets.journal_cursor("ssh").as_deref(), Some("c"));
}
