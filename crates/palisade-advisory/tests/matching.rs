//! Matching edge cases per ecosystem, on real advisories from the shared data.

mod common;

use common::INDEX;
use palisade_advisory::{Ecosystem, Index, Outcome, Reason, Requirement, Verdict};

/// The ids of the advisories affecting a package version (cannot-compare ones marked `?`).
fn ids(index: &Index, ecosystem: &Ecosystem, name: &str, version: &str) -> Vec<String> {
    index
        .affected(ecosystem, name, version)
        .iter()
        .map(|f| match f.verdict {
            Verdict::Affected => f.id().to_string(),
            Verdict::CannotCompare(_) => format!("?{}", f.id()),
        })
        .collect()
}

fn affects(ecosystem: &Ecosystem, name: &str, version: &str, id: &str) -> bool {
    ids(&INDEX, ecosystem, name, version)
        .iter()
        .any(|i| i == id)
}

fn fixed_in(ecosystem: &Ecosystem, name: &str, version: &str, id: &str) -> Option<String> {
    INDEX
        .affected(ecosystem, name, version)
        .into_iter()
        .find(|f| f.id().as_str() == id)
        .and_then(|f| f.fixed_in)
}

// ---- crates.io: cargo-audit's patched/unaffected rule --------------------------------------

#[test]
fn crates_comma_lists_and_unaffected() {
    // RUSTSEC-2020-0019 tokio-rustls: patched [">= 0.12.3, < 0.13.0", ">= 0.13.1"],
    // unaffected ["< 0.12"].
    let c = Ecosystem::CratesIo;
    let id = "RUSTSEC-2020-0019";
    for (version, expected) in [
        ("0.11.9", false),
        ("0.12.0", true),
        ("0.12.2", true),
        ("0.12.3", false),
        ("0.12.99", false),
        ("0.13.0", true),
        ("0.13.1", false),
        ("0.14.0", false),
    ] {
        assert_eq!(
            affects(&c, "tokio-rustls", version, id),
            expected,
            "{version}"
        );
    }
    assert_eq!(
        fixed_in(&c, "tokio-rustls", "0.12.0", id).as_deref(),
        Some("0.12.3")
    );
    assert_eq!(
        fixed_in(&c, "tokio-rustls", "0.13.0", id).as_deref(),
        Some("0.13.1")
    );
}

#[test]
fn crates_zero_major_carets() {
    // RUSTSEC-2018-0003 smallvec: patched [">= 0.6.3", "^0.3.4", "^0.4.5", "^0.5.1"],
    // unaffected ["< 0.3.2"]. `^0.3.4` stops before 0.4.0: each 0.x minor is its own series.
    let c = Ecosystem::CratesIo;
    let id = "RUSTSEC-2018-0003";
    for (version, expected) in [
        ("0.3.1", false),
        ("0.3.3", true),
        ("0.3.4", false),
        ("0.3.99", false),
        ("0.4.0", true),
        ("0.4.5", false),
        ("0.5.0", true),
        ("0.5.1", false),
        ("0.6.2", true),
        ("0.6.3", false),
        ("1.13.2", false),
    ] {
        assert_eq!(affects(&c, "smallvec", version, id), expected, "{version}");
    }
    assert_eq!(
        fixed_in(&c, "smallvec", "0.4.0", id).as_deref(),
        Some("0.4.5")
    );
    assert_eq!(
        fixed_in(&c, "smallvec", "0.3.3", id).as_deref(),
        Some("0.3.4")
    );
}

#[test]
fn crates_prereleases_follow_precedence_like_cargo_audit() {
    // RUSTSEC-2022-0069 hyper-staticfile: patched ["^0.9.2", ">= 0.10.0-alpha.2"].
    let c = Ecosystem::CratesIo;
    let id = "RUSTSEC-2022-0069";
    assert!(affects(&c, "hyper-staticfile", "0.10.0-alpha.1", id));
    assert!(!affects(&c, "hyper-staticfile", "0.10.0-alpha.2", id));
    assert!(!affects(&c, "hyper-staticfile", "0.10.0", id));
    assert!(affects(&c, "hyper-staticfile", "0.9.1", id));
    assert!(!affects(&c, "hyper-staticfile", "0.9.2", id));
    // A prerelease inside a patched interval is patched (Cargo's VersionReq would say no match).
    assert!(!affects(
        &c,
        "tokio-rustls",
        "0.12.4-alpha.1",
        "RUSTSEC-2020-0019"
    ));
    // ...and one below the patched start is affected.
    assert!(affects(
        &c,
        "tokio-rustls",
        "0.12.3-rc.1",
        "RUSTSEC-2020-0019"
    ));
    assert_eq!(
        fixed_in(&c, "hyper-staticfile", "0.10.0-alpha.1", id).as_deref(),
        Some("0.10.0-alpha.2")
    );
}

#[test]
fn crates_unparseable_version_cannot_be_compared() {
    let found = ids(&INDEX, &Ecosystem::CratesIo, "smallvec", "1.0");
    assert!(
        !found.is_empty() && found.iter().all(|id| id.starts_with('?')),
        "{found:?}"
    );
    let finding = INDEX
        .affected(&Ecosystem::CratesIo, "smallvec", "1.0")
        .remove(0);
    let Verdict::CannotCompare(why) = finding.verdict else {
        unreachable!()
    };
    assert_eq!(why.reason, Reason::InvalidVersion("SemVer"));
    assert!(
        why.to_string().contains("not a valid SemVer version"),
        "{why}"
    );
}

#[test]
fn cargo_requirements_keep_cargos_own_rules() {
    let c = Ecosystem::CratesIo;
    let caret = Requirement::parse(&c, "^0.2.3").unwrap();
    assert!(caret.matches("0.2.9").unwrap());
    assert!(!caret.matches("0.3.0").unwrap());
    let list = Requirement::parse(&c, ">= 1.2, < 1.5").unwrap();
    assert!(list.matches("1.4.7").unwrap());
    assert!(!list.matches("1.5.0").unwrap());
    // Cargo's VersionReq: a prerelease only matches a comparator with the same tuple.
    assert!(!list.matches("1.4.0-beta").unwrap());
    assert!(
        Requirement::parse(&c, ">= 1.2.0-beta, < 2")
            .unwrap()
            .matches("1.2.0-rc")
            .unwrap()
    );
    assert!(list.matches("1.4").is_err());
    assert!(Requirement::parse(&c, ">= banana").is_err());
}

// ---- npm: node-semver ordering; prereleases; last_affected; several entries ----------------

#[test]
fn npm_prerelease_events() {
    let n = Ecosystem::Npm;
    // GHSA-jj78-5fmv-mv28 express: SEMVER [3.4.5, 4.0.0-rc1).
    let id = "GHSA-jj78-5fmv-mv28";
    assert!(!affects(&n, "express", "3.4.4", id));
    assert!(affects(&n, "express", "3.4.5", id));
    assert!(affects(&n, "express", "4.0.0-beta.3", id)); // beta < rc1
    assert!(!affects(&n, "express", "4.0.0-rc1", id));
    assert!(!affects(&n, "express", "4.0.0-rc2", id));
    assert!(!affects(&n, "express", "4.0.0", id));
    // GHSA-qw6h-vgh9-j6wx express: [5.0.0-alpha.1, 5.0.0).
    let id = "GHSA-qw6h-vgh9-j6wx";
    assert!(!affects(&n, "express", "5.0.0-alpha.0", id));
    assert!(affects(&n, "express", "5.0.0-beta.3", id));
    assert!(!affects(&n, "express", "5.0.0", id));
}

#[test]
fn npm_last_affected_is_inclusive() {
    let n = Ecosystem::Npm;
    // GHSA-p6mc-m468-83gw: lodash.set [3.7.0, last_affected 4.3.2]; lodash [3.7.0, 4.17.19).
    let id = "GHSA-p6mc-m468-83gw";
    assert!(!affects(&n, "lodash.set", "3.6.9", id));
    assert!(affects(&n, "lodash.set", "4.3.2", id));
    assert!(!affects(&n, "lodash.set", "4.3.3", id));
    assert_eq!(fixed_in(&n, "lodash.set", "4.3.2", id), None); // no fixed version known
    assert!(affects(&n, "lodash", "4.17.18", id));
    assert!(!affects(&n, "lodash", "4.17.21", id));
    assert_eq!(
        fixed_in(&n, "lodash", "4.17.18", id).as_deref(),
        Some("4.17.19")
    );
}

#[test]
fn npm_several_entries_for_one_package() {
    // GHSA-hrpp-h998-j3pp qs: nine entries, one per release line.
    let n = Ecosystem::Npm;
    let id = "GHSA-hrpp-h998-j3pp";
    for (version, expected, fix) in [
        ("6.2.3", true, Some("6.2.4")),
        ("6.2.4", false, None),
        ("6.5.2", true, Some("6.5.3")),
        ("6.5.3", false, None),
        ("6.9.6", true, Some("6.9.7")),
        ("6.10.2", true, Some("6.10.3")),
        ("6.11.0", false, None),
    ] {
        assert_eq!(affects(&n, "qs", version, id), expected, "{version}");
        assert_eq!(fixed_in(&n, "qs", version, id).as_deref(), fix, "{version}");
    }
    // One finding per advisory, however many of its entries match.
    assert_eq!(
        INDEX
            .affected(&n, "qs", "6.5.2")
            .iter()
            .filter(|f| f.id().as_str() == id)
            .count(),
        1
    );
}

#[test]
fn npm_open_ranges_and_exact_versions() {
    // GHSA-mh6f-8j2x-4483: flatmap-stream introduced 0 and never fixed; event-stream 3.3.6 only.
    let n = Ecosystem::Npm;
    let id = "GHSA-mh6f-8j2x-4483";
    assert!(affects(&n, "flatmap-stream", "0.1.1", id));
    assert!(affects(&n, "flatmap-stream", "99.0.0", id));
    assert_eq!(fixed_in(&n, "flatmap-stream", "0.1.1", id), None);
    assert!(affects(&n, "event-stream", "3.3.6", id));
    assert!(!affects(&n, "event-stream", "3.3.5", id));
    assert_eq!(
        fixed_in(&n, "event-stream", "3.3.6", id).as_deref(),
        Some("4.0.0")
    );
    // A version npm cannot parse is reported as undecidable, not skipped.
    assert_eq!(
        ids(&INDEX, &n, "flatmap-stream", "latest"),
        [format!("?{id}")]
    );
}

#[test]
fn npm_ranges_with_alternatives_and_prerelease_rules() {
    let n = Ecosystem::Npm;
    let range =
        Requirement::parse(&n, "<1.2.0 || >=2.0.0 <2.1.0 || >=3.0.0-beta.2 <3.0.1").unwrap();
    assert!(range.matches("1.1.9").unwrap());
    assert!(!range.matches("1.5.0").unwrap());
    assert!(range.matches("2.0.5").unwrap());
    assert!(range.matches("3.0.0-beta.3").unwrap()); // same [3, 0, 0] as a prerelease comparator
    assert!(!range.matches("2.0.5-rc.1").unwrap()); // no comparator with a 2.0.5 prerelease
    assert!(!range.matches("1.1.0-alpha").unwrap());
    // GitHub's last_known_affected_version_range strings are npm ranges.
    let last_known = Requirement::parse(&n, "<= 8.5.1").unwrap();
    assert!(last_known.matches("8.5.1").unwrap() && !last_known.matches("9.0.0").unwrap());
    assert!(range.matches("three").is_err());
}

// ---- PyPI: PEP 440 -----------------------------------------------------------------------

#[test]
fn pypi_pep440_releases_around_a_fix() {
    // PYSEC-2021-9 django: [2.2, 2.2.18), [3.0, 3.0.12), [3.1, 3.1.6).
    let p = Ecosystem::PyPI;
    let id = "PYSEC-2021-9";
    for (version, expected) in [
        ("2.1.99", false),
        ("2.2", true),
        ("2.2.0", true), // == 2.2 under PEP 440, though not in the `versions` list
        ("3.1.5", true),
        ("3.1.5.post1", true),   // post-release of an affected release
        ("3.1.5+ubuntu1", true), // local version of an affected release
        ("3.1.6.dev1", true),    // dev release before the fix
        ("3.1.6rc1", true),      // pre-release before the fix
        ("3.1.6", false),
        ("3.1.6+local", false),
        ("1!3.1.5", false), // epoch 1 sorts above every epoch-0 version
        ("3.2", false),
    ] {
        assert_eq!(affects(&p, "django", version, id), expected, "{version}");
    }
    // Names are normalised per PEP 503.
    assert!(affects(&p, "Django", "3.1.5", id));
    assert_eq!(
        fixed_in(&p, "django", "3.1.5", id).as_deref(),
        Some("3.1.6")
    );
    assert_eq!(
        fixed_in(&p, "django", "2.2.3", id).as_deref(),
        Some("2.2.18")
    );
}

#[test]
fn pypi_last_affected_and_exact_versions() {
    // PYSEC-2022-42969 py: introduced 0, last_affected 1.11.0, and a versions list.
    let p = Ecosystem::PyPI;
    let id = "PYSEC-2022-42969";
    assert!(affects(&p, "py", "1.11.0", id));
    assert!(affects(&p, "py", "1.4.7.dev3", id));
    assert!(!affects(&p, "py", "1.11.0.post1", id));
    assert!(!affects(&p, "py", "1.11.1", id));
    // Not valid PEP 440, but listed exactly in PYSEC-2008-8's versions: matched as a string.
    assert!(affects(&p, "paramiko", "0.1-bulbasaur", "PYSEC-2008-8"));
    // Unlisted and unparseable: undecidable.
    assert!(
        ids(&INDEX, &p, "paramiko", "0.1-pikachu")
            .iter()
            .all(|i| i.starts_with('?'))
    );
}

#[test]
fn pypi_specifiers() {
    let p = Ecosystem::PyPI;
    let spec = Requirement::parse(&p, ">=1.0, !=1.3.*, <2").unwrap();
    assert!(spec.matches("1.2.4").unwrap());
    assert!(!spec.matches("1.3.1").unwrap());
    assert!(!spec.matches("2.0").unwrap());
    assert!(
        Requirement::parse(&p, "~=2.2")
            .unwrap()
            .matches("2.9")
            .unwrap()
    );
    assert!(
        Requirement::parse(&p, "==1.0")
            .unwrap()
            .matches("1.0+local")
            .unwrap()
    );
    assert!(
        !Requirement::parse(&p, ">=1!0")
            .unwrap()
            .matches("5.0")
            .unwrap()
    );
    assert!(spec.matches("not a version").is_err());
}

#[test]
fn pypi_ranges_agree_with_the_expanded_versions_lists() {
    // PyPA's `versions` lists are osv.dev's expansion of the ECOSYSTEM ranges over PyPI's
    // releases, so every listed version that is valid PEP 440 must fall in a range.
    let mut checked = 0;
    let mut misses = Vec::new();
    for advisory in &common::DATA.osv_pypi {
        for entry in &advisory.affected {
            let mut ranges_only = entry.clone();
            ranges_only.versions.clear();
            for version in &entry.versions {
                match ranges_only.check(version) {
                    Outcome::Affected => checked += 1,
                    Outcome::CannotCompare(_) => {} // e.g. "0.1-bulbasaur"
                    Outcome::NotAffected => misses.push(format!("{} {version}", advisory.id)),
                }
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
    // One record lists the prereleases of its `introduced` versions (3.2a1 < 3.2): they are
    // affected through the list, as OSV's rule says, but not through the ranges.
    assert_eq!(
        misses,
        ["3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1"]
            .map(|v| format!("PYSEC-2023-61 {v}"))
    );
    assert!(affects(
        &Ecosystem::PyPI,
        "django",
        "3.2a1",
        "PYSEC-2023-61"
    ));
}

#[test]
fn other_ecosystems_match_exact_versions_only() {
    // GHSA-wm7h-9275-46v2 lists a Maven package: its ECOSYSTEM range cannot be ordered here.
    let maven = Ecosystem::from_osv("Maven");
    let found = INDEX.affected(&maven, "org.webjars.npm:dicer", "0.3.0");
    assert_eq!(found.len(), 1);
    assert!(matches!(
        &found[0].verdict,
        Verdict::CannotCompare(c) if c.reason == Reason::UnsupportedEcosystem
    ));
}
