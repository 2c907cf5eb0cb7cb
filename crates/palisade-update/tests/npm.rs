//! `wanted` and `latest` under npm's rules: node-semver ranges, prereleases only when a range
//! opts in, `dist-tags.latest` preferred as npm-pick-manifest prefers it, deprecated versions
//! avoided.

mod common;

use common::{check, dep, no_advisories, wanted_latest};
use palisade_lockfile::Ecosystem::Npm;
use palisade_update::{Available, Jump, Published, Status, UpdateError, outdated};

const VERSIONS: &[&str] = &[
    "1.0.0",
    "1.1.0",
    "1.2.0",
    "1.2.1",
    "1.3.0-beta.1",
    "2.0.0",
    "2.1.0",
    "2.2.0-rc.1",
    "3.0.0-alpha.1",
];
const TAG: Option<&str> = Some("2.1.0");

fn w(requirement: &str, current: &str) -> Option<String> {
    wanted_latest(Npm, requirement, current, VERSIONS, TAG).0
}

#[test]
fn ranges() {
    let cases = [
        ("^1.0.0", "1.0.0", "1.2.1"),
        ("^1.1", "1.1.0", "1.2.1"),
        ("~1.2.0", "1.2.0", "1.2.1"),
        ("~1.1", "1.1.0", "1.1.0"),
        ("1.x", "1.0.0", "1.2.1"),
        ("1.1.x", "1.1.0", "1.1.0"),
        ("1", "1.0.0", "1.2.1"),
        (">=1.1.0 <2", "1.1.0", "1.2.1"),
        ("1.0.0 - 1.2.0", "1.0.0", "1.2.0"),
        ("^1.0.0 || ^2.0.0", "1.0.0", "2.1.0"),
        ("<1.2.0 || >=3", "1.0.0", "1.1.0"),
        ("1.2.0", "1.2.0", "1.2.0"),
        ("=1.1.0", "1.1.0", "1.1.0"),
        ("v1.2.0", "1.2.0", "1.2.0"),
    ];
    for (requirement, current, wanted) in cases {
        assert_eq!(
            w(requirement, current).as_deref(),
            Some(wanted),
            "{requirement}"
        );
    }
    assert_eq!(w("^4", "1.0.0"), None, "nothing allowed");
}

#[test]
fn star_empty_and_latest_take_the_latest_tag() {
    for requirement in ["*", "", "latest"] {
        let (wanted, latest) = wanted_latest(Npm, requirement, "1.0.0", VERSIONS, TAG);
        assert_eq!(wanted.as_deref(), Some("2.1.0"), "{requirement:?}");
        assert_eq!(latest.as_deref(), Some("2.1.0"));
    }
    // Without a tag, `*` still excludes prereleases, and `latest` means the highest stable.
    for requirement in ["*", "latest", "x"] {
        let (wanted, latest) = wanted_latest(Npm, requirement, "1.0.0", VERSIONS, None);
        assert_eq!(wanted.as_deref(), Some("2.1.0"), "{requirement}");
        assert_eq!(latest.as_deref(), Some("2.1.0"));
    }
    // A prerelease under the `latest` tag is what `*` installs.
    let row = check(
        Npm,
        "*",
        "1.0.0",
        &["1.0.0", "2.0.0-rc.1"],
        Some("2.0.0-rc.1"),
    );
    assert_eq!(row.wanted.as_deref(), Some("2.0.0-rc.1"));
    assert!(row.latest_allowed);
}

#[test]
fn prereleases_only_when_the_range_opts_in() {
    // `^1.0.0` does not match 1.3.0-beta.1; `^1.3.0-beta.0` does (same 1.3.0 tuple).
    assert_eq!(w("^1.2.0", "1.2.0").as_deref(), Some("1.2.1"));
    assert_eq!(w("^1.3.0-beta.0", "1.2.0").as_deref(), Some("1.3.0-beta.1"));
    assert_eq!(w("^2.2.0-rc.0", "2.1.0").as_deref(), Some("2.2.0-rc.1"));
    // `>=2.0.0` allows no prerelease of another tuple, so the tag (allowed) wins.
    assert_eq!(w(">=2.0.0", "2.0.0").as_deref(), Some("2.1.0"));
    // A prerelease range moves on to the release once it is out.
    let versions = ["3.0.0-rc.1", "3.0.0-rc.2", "3.0.0", "3.0.1", "3.1.0-beta.1"];
    let (wanted, latest) =
        wanted_latest(Npm, "^3.0.0-rc.1", "3.0.0-rc.1", &versions, Some("3.0.1"));
    assert_eq!(
        (wanted.as_deref(), latest.as_deref()),
        (Some("3.0.1"), Some("3.0.1"))
    );
    // Only prereleases and no tag: latest is the highest prerelease.
    let (_, latest) = wanted_latest(Npm, "^0.1.0-a", "0.1.0-a", &["0.1.0-a", "0.1.0-b"], None);
    assert_eq!(latest.as_deref(), Some("0.1.0-b"));
}

#[test]
fn the_latest_tag_wins_inside_the_range_even_when_lower() {
    // 3.2.0 is a later backport; `latest` still points at 3.1.0, and npm installs that for
    // `^3.0.0` (npm-pick-manifest prefers the tag when the range allows it).
    let versions = ["3.0.0", "3.1.0", "3.2.0", "4.0.0-rc.1"];
    let row = check(Npm, "^3.0.0", "3.0.0", &versions, Some("3.1.0"));
    assert_eq!(row.wanted.as_deref(), Some("3.1.0"));
    assert_eq!(row.latest.as_deref(), Some("3.1.0"));

    // dist-tags.latest lower than the highest version: 5.0.0 went out under another tag.
    let versions = ["4.0.0", "4.1.0", "5.0.0"];
    let row = check(Npm, "^4.0.0", "4.0.0", &versions, Some("4.1.0"));
    assert_eq!(
        (row.wanted.as_deref(), row.latest.as_deref()),
        (Some("4.1.0"), Some("4.1.0"))
    );
    assert_eq!(row.jump, Jump::Minor);
    // Installed from that other tag: ahead of latest, not outdated.
    let row = check(Npm, "^5.0.0", "5.0.0", &versions, Some("4.1.0"));
    assert_eq!(row.status, Status::Ahead);
    assert!(!row.is_outdated());
    assert_eq!(row.jump, Jump::None);

    // A range outside the tag gets its own highest version, which may be above `latest`.
    let versions = ["1.5.0", "2.0.0", "2.1.0"];
    let row = check(Npm, "^2.0.0", "2.0.0", &versions, Some("1.5.0"));
    assert_eq!(row.wanted.as_deref(), Some("2.1.0"));
    assert_eq!(row.latest.as_deref(), Some("1.5.0"));
    assert_eq!(row.status, Status::Outdated, "wanted is higher");
    assert_eq!((row.jump, row.wanted_jump), (Jump::None, Jump::Minor));
}

#[test]
fn deprecated_versions_are_avoided() {
    // 1.2.1 deprecated: ^1 wants 1.2.0.
    let versions = ["1.0.0", "1.2.0", "1.2.1!", "2.0.0"];
    assert_eq!(
        wanted_latest(Npm, "^1.0.0", "1.0.0", &versions, Some("2.0.0"))
            .0
            .as_deref(),
        Some("1.2.0")
    );
    // Everything allowed is deprecated: npm still installs the highest.
    let versions = ["1.0.0!", "1.1.0!", "2.0.0"];
    assert_eq!(
        wanted_latest(Npm, "^1.0.0", "1.0.0", &versions, Some("2.0.0"))
            .0
            .as_deref(),
        Some("1.1.0")
    );
    // A deprecated `latest` tag is not installed for `*`, but stays `latest`.
    let versions = ["1.0.0", "1.1.0", "1.2.0!"];
    let (wanted, latest) = wanted_latest(Npm, "*", "1.0.0", &versions, Some("1.2.0"));
    assert_eq!(
        (wanted.as_deref(), latest.as_deref()),
        (Some("1.1.0"), Some("1.2.0"))
    );
}

#[test]
fn status_jumps_and_the_requirement() {
    let row = check(Npm, "^1.0.0", "1.0.0", VERSIONS, TAG);
    assert_eq!(row.status, Status::Outdated);
    assert_eq!((row.jump, row.wanted_jump), (Jump::Major, Jump::Minor));
    assert!(!row.latest_allowed);
    let row = check(Npm, "^2.0.0", "2.0.0", VERSIONS, TAG);
    assert!(row.latest_allowed);
    assert_eq!(row.jump, Jump::Minor);
    // Up to date: listed only with --all.
    let row = check(Npm, "^2.0.0", "2.1.0", VERSIONS, TAG);
    assert_eq!(row.status, Status::UpToDate);
    assert_eq!((row.jump, row.wanted_jump), (Jump::None, Jump::None));
    // ^0.x: a minor bump is breaking.
    let row = check(
        Npm,
        "^0.3.1",
        "0.3.1",
        &["0.3.1", "0.3.4", "0.4.0"],
        Some("0.4.0"),
    );
    assert_eq!(row.wanted.as_deref(), Some("0.3.4"));
    assert_eq!((row.jump, row.wanted_jump), (Jump::Major, Jump::Patch));
}

#[test]
fn odd_registry_data_and_bad_requirements() {
    // Unparseable versions are skipped, an unparseable tag ignored.
    let row = check(
        Npm,
        "^1.0.0",
        "1.0.0",
        &["banana", "1.0.0", "1.0.1"],
        Some("not-a-version"),
    );
    assert_eq!(
        (row.wanted.as_deref(), row.latest.as_deref()),
        (Some("1.0.1"), Some("1.0.1"))
    );
    // Nothing published at all.
    let row = check(Npm, "^1.0.0", "1.0.0", &[], None);
    assert_eq!(
        (row.status, row.wanted, row.latest),
        (Status::NoRelease, None, None)
    );

    let index = no_advisories();
    let run = |requirement: &str, current: &str| {
        outdated(
            &dep(Npm, "pkg", requirement, current),
            &Available {
                versions: vec![Published::new("1.0.0")],
                latest_tag: None,
            },
            &index,
        )
    };
    assert_eq!(
        run("next", "1.0.0"),
        Err(UpdateError::UnknownDistTag {
            name: "pkg".into(),
            tag: "next".into()
        })
    );
    assert!(matches!(
        run(">= what ever !!", "1.0.0"),
        Err(UpdateError::InvalidRequirement { .. })
    ));
    let err = run("^1", "one").unwrap_err();
    assert_eq!(err.to_string(), "pkg: invalid npm version \"one\"");
}
