//! `wanted` and `latest` under Cargo's rules: caret by default, `0.x` carets, comparator
//! lists, prereleases only when a comparator opts in, yanked versions never chosen.

mod common;

use common::{check, wanted_latest};
use palisade_lockfile::Ecosystem::CratesIo;
use palisade_update::{Jump, Status};

const VERSIONS: &[&str] = &[
    "0.1.0",
    "0.1.5",
    "0.2.0",
    "0.2.3",
    "1.0.0-beta.1",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.5",
    "1.1.0",
    "1.2.0!",
    "1.3.0-alpha.1",
    "2.0.0",
];

fn w(requirement: &str, current: &str) -> Option<String> {
    wanted_latest(CratesIo, requirement, current, VERSIONS, None).0
}

#[test]
fn requirements() {
    let cases = [
        // A bare version is a caret requirement; 1.2.0 is yanked, 1.3.0-alpha.1 not opted in.
        ("1", "1.0.0", Some("1.1.0")),
        ("1.0", "1.0.0", Some("1.1.0")),
        ("1.0.0", "1.0.0", Some("1.1.0")),
        ("^1.0.5", "1.0.5", Some("1.1.0")),
        ("=1.0.0", "1.0.0", Some("1.0.0")),
        ("~1.0.0", "1.0.0", Some("1.0.5")),
        ("~1", "1.0.0", Some("1.1.0")),
        (">=1.0, <1.1", "1.0.0", Some("1.0.5")),
        (">=0.1.5, <1", "0.1.5", Some("0.2.3")),
        ("1.0.*", "1.0.0", Some("1.0.5")),
        ("*", "1.0.0", Some("2.0.0")),
        ("", "1.0.0", Some("2.0.0")),
        // 0.x: the caret stops at the minor.
        ("0.1", "0.1.0", Some("0.1.5")),
        ("0.2.0", "0.2.0", Some("0.2.3")),
        // Prereleases: a comparator with a prerelease of the same version opts in.
        ("^1.0.0-beta.1", "1.0.0-beta.1", Some("1.1.0")),
        ("=1.0.0-beta.1", "1.0.0-beta.1", Some("1.0.0-beta.1")),
        ("~1.3.0-alpha.0", "1.0.0", Some("1.3.0-alpha.1")),
        ("3", "1.0.0", None),
    ];
    for (requirement, current, wanted) in cases {
        assert_eq!(
            w(requirement, current).as_deref(),
            wanted,
            "{requirement:?}"
        );
    }
}

#[test]
fn zero_zero_x_is_exact() {
    let versions = ["0.0.3", "0.0.4", "0.0.5"];
    let row = check(CratesIo, "0.0.3", "0.0.3", &versions, None);
    assert_eq!(row.wanted.as_deref(), Some("0.0.3"));
    assert_eq!(row.latest.as_deref(), Some("0.0.5"));
    assert_eq!((row.jump, row.wanted_jump), (Jump::Major, Jump::None));
    assert_eq!(row.status, Status::Outdated);
    assert!(!row.latest_allowed);
}

#[test]
fn latest_is_the_highest_stable_not_yanked() {
    let (_, latest) = wanted_latest(CratesIo, "1", "1.0.0", VERSIONS, None);
    assert_eq!(latest.as_deref(), Some("2.0.0"));
    // The highest is yanked: the one below is latest, and already installed.
    let row = check(CratesIo, "1", "1.0.0", &["0.9.0", "1.0.0", "1.1.0!"], None);
    assert_eq!(row.latest.as_deref(), Some("1.0.0"));
    assert_eq!(row.status, Status::UpToDate);
    // Only prereleases: the highest of them.
    let row = check(
        CratesIo,
        "0.1.0-alpha.1",
        "0.1.0-alpha.1",
        &["0.1.0-alpha.1", "0.1.0-alpha.2"],
        None,
    );
    assert_eq!(row.latest.as_deref(), Some("0.1.0-alpha.2"));
    assert_eq!(row.wanted.as_deref(), Some("0.1.0-alpha.2"));
    assert_eq!(row.jump, Jump::Patch);
    // All yanked.
    let row = check(CratesIo, "1", "1.0.0", &["1.0.0!", "1.0.1!"], None);
    assert_eq!(
        (row.status, row.wanted, row.latest),
        (Status::NoRelease, None, None)
    );
    // The npm tag field means nothing for crates.io.
    let (_, latest) = wanted_latest(CratesIo, "1", "1.0.0", &["1.0.0", "1.1.0"], Some("1.0.0"));
    assert_eq!(latest.as_deref(), Some("1.1.0"));
}

#[test]
fn a_yanked_locked_version_is_still_compared() {
    // Locked at the yanked 1.2.0: `^1.2` allows nothing else that is not yanked.
    let row = check(CratesIo, "1.2", "1.2.0", VERSIONS, None);
    assert_eq!(row.wanted, None);
    assert_eq!(row.latest.as_deref(), Some("2.0.0"));
    assert_eq!(row.status, Status::Outdated);
    // `^1` allows 1.1.0, below the locked version: no wanted jump.
    let row = check(CratesIo, "1", "1.2.0", VERSIONS, None);
    assert_eq!(row.wanted.as_deref(), Some("1.1.0"));
    assert_eq!(row.wanted_jump, Jump::None);
}

#[test]
fn jumps_follow_cargo_compatibility() {
    let row = check(CratesIo, "0.1", "0.1.0", VERSIONS, None);
    assert_eq!((row.wanted_jump, row.jump), (Jump::Patch, Jump::Major));
    let row = check(CratesIo, "1", "1.0.0", VERSIONS, None);
    assert_eq!((row.wanted_jump, row.jump), (Jump::Minor, Jump::Major));
    let row = check(CratesIo, "~1.0.0", "1.0.0", VERSIONS, None);
    assert_eq!(row.wanted_jump, Jump::Patch);
    // A prerelease installed ahead of stable.
    let row = check(CratesIo, "2.1.0-beta.1", "2.1.0-beta.1", VERSIONS, None);
    assert_eq!(row.status, Status::Ahead);
}
