//! The index round-trips through its cache encoding unchanged, whole or in part.

mod common;

use common::INDEX;
use palisade_advisory::{CodecError, Ecosystem, INDEX_FORMAT, Index, Wanted};

const SAMPLES: [(Ecosystem, &str, &str); 3] = [
    (Ecosystem::CratesIo, "smallvec", "0.6.2"),
    (Ecosystem::Npm, "qs", "6.5.2"),
    (Ecosystem::PyPI, "Django", "3.1.5"),
];

#[test]
fn index_round_trips_through_the_cache_encoding() {
    let bytes = INDEX.to_bytes().unwrap();
    // The whole shared data set (1,757 advisories) stays small: details are cut short.
    assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
    let loaded = Index::from_bytes(&bytes).unwrap();
    assert_eq!(loaded.advisories(), INDEX.advisories());
    assert_eq!(loaded.stats(), INDEX.stats());
    assert!(loaded.is_complete());
    for (ecosystem, name, version) in SAMPLES {
        assert_eq!(
            loaded.affected(&ecosystem, name, version),
            INDEX.affected(&ecosystem, name, version)
        );
        assert!(!loaded.affected(&ecosystem, name, version).is_empty());
    }
    assert!(loaded.get("CVE-2020-36212").is_some());
    // Deterministic: the same index gives the same bytes.
    assert_eq!(loaded.to_bytes().unwrap(), bytes);
}

#[test]
fn a_partial_read_answers_the_wanted_packages_exactly() {
    let bytes = INDEX.to_bytes().unwrap();
    let mut wanted = Wanted::default();
    for (ecosystem, name, _) in &SAMPLES {
        wanted.insert(ecosystem, name);
    }
    wanted.insert(&Ecosystem::Npm, "no-such-package-anywhere");
    let part = Index::from_bytes_for(&bytes, &wanted).unwrap();
    assert!(!part.is_complete());
    assert_eq!(part.total(), INDEX.advisories().len());
    assert!(part.advisories().len() < INDEX.advisories().len() / 10);
    assert_eq!(part.stats(), INDEX.stats());
    for (ecosystem, name, version) in SAMPLES {
        assert_eq!(
            part.affected(&ecosystem, name, version),
            INDEX.affected(&ecosystem, name, version)
        );
        assert_eq!(
            part.lookup(&ecosystem, name).len(),
            INDEX.lookup(&ecosystem, name).len()
        );
    }
    // An unwanted package is simply not loaded.
    assert!(
        part.affected(&Ecosystem::Npm, "lodash", "4.17.0")
            .is_empty()
    );
    assert!(
        !INDEX
            .affected(&Ecosystem::Npm, "lodash", "4.17.0")
            .is_empty()
    );
    // A partial index is never written back as a cache.
    assert!(part.to_bytes().is_err());
    let none = Index::from_bytes_for(&bytes, &Wanted::default()).unwrap();
    assert!(none.advisories().is_empty());
}

#[test]
fn another_format_or_damage_is_an_error_not_a_panic() {
    let mut bytes = Index::new([]).to_bytes().unwrap();
    // The format number is the first varint.
    assert_eq!(bytes[0] as u32, INDEX_FORMAT);
    bytes[0] = 99;
    assert_eq!(
        Index::from_bytes(&bytes).unwrap_err(),
        CodecError::Format(99)
    );

    let whole = INDEX.to_bytes().unwrap();
    for cut in [1, 2, 100, whole.len() / 2, whole.len() - 1] {
        assert!(Index::from_bytes(&whole[..cut]).is_err(), "cut at {cut}");
    }
}
