//! The index round-trips through postcard (the cache format a shell will use) unchanged.

mod common;

use common::INDEX;
use palisade_advisory::{Ecosystem, INDEX_FORMAT, Index};

#[test]
fn index_round_trips_through_postcard() {
    let bytes = postcard::to_allocvec(&*INDEX).unwrap();
    // The whole shared data set (1,757 advisories) stays small: details are cut short.
    assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
    let loaded: Index = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.advisories(), INDEX.advisories());
    assert_eq!(loaded.stats(), INDEX.stats());
    for (ecosystem, name, version) in [
        (Ecosystem::CratesIo, "smallvec", "0.6.2"),
        (Ecosystem::Npm, "qs", "6.5.2"),
        (Ecosystem::PyPI, "Django", "3.1.5"),
    ] {
        assert_eq!(
            loaded.affected(&ecosystem, name, version),
            INDEX.affected(&ecosystem, name, version)
        );
        assert!(!loaded.affected(&ecosystem, name, version).is_empty());
    }
    assert!(loaded.get("CVE-2020-36212").is_some());
}

#[test]
fn a_cache_of_another_format_is_rejected() {
    let empty = Index::new([]);
    let mut bytes = postcard::to_allocvec(&empty).unwrap();
    // The format number is the first varint.
    assert_eq!(bytes[0] as u32, INDEX_FORMAT);
    bytes[0] = 99;
    let err = postcard::from_bytes::<Index>(&bytes).unwrap_err();
    assert!(!err.to_string().is_empty());
}
