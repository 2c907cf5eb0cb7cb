//! Yanked versions in `Report::generate`: listed per lockfile with their line, sorted, only for
//! audited packages, never vulnerabilities; "not checked" kept apart from "none".

mod common;

use common::{audit, index, osv_advisory, today};
use palisade_audit::{AuditSettings, FailOn, Report, Target, Yanked};
use palisade_lockfile::Ecosystem;

/// `app` (the project) depends on itoa 1.0.0 and smallvec 1.6.0; itoa 0.4.8 comes through
/// serde; `local` is a path package.
const CARGO_LOCK: &str = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa 1.0.0", "local", "serde", "smallvec"]

[[package]]
name = "itoa"
version = "0.4.8"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "itoa"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "local"
version = "0.2.0"

[[package]]
name = "serde"
version = "1.0.100"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["itoa 0.4.8"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

/// An npm project with a development-only package, `minimist`.
const NPM_LOCK: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "web",
      "version": "1.0.0",
      "dependencies": { "ms": "^2.0.0" },
      "devDependencies": { "minimist": "^1.2.0" }
    },
    "node_modules/minimist": { "version": "1.2.5", "dev": true },
    "node_modules/ms": { "version": "2.0.0" }
  }
}
"#;

fn crates_yanked(entries: &[(&str, &str)]) -> Yanked {
    let mut yanked = Yanked::checked(Ecosystem::CratesIo);
    for (name, version) in entries {
        yanked.insert(Ecosystem::CratesIo, *name, *version);
    }
    yanked
}

fn settings(yanked: Yanked) -> AuditSettings {
    AuditSettings::new(today()).with_yanked(yanked)
}

#[test]
fn yanked_packages_are_listed_sorted_with_their_line() {
    let yanked = crates_yanked(&[
        ("smallvec", "1.6.0"),
        ("itoa", "1.0.0"),
        ("itoa", "0.4.8"),
        ("serde", "1.0.101"), // another version: not this lockfile's
        ("app", "0.1.0"),     // the project itself: not a dependency
        ("local", "0.2.0"),   // a path package: not auditable
    ]);
    let report = audit(&index(vec![]), "Cargo.lock", CARGO_LOCK, &settings(yanked));
    assert!(report.yanked_checked);
    let lockfile = &report.lockfiles[0];
    assert!(lockfile.yanked_checked);
    let listed: Vec<(String, Option<u32>)> = lockfile
        .yanked
        .iter()
        .map(|y| (y.package.id(), y.line))
        .collect();
    assert_eq!(
        listed,
        [
            ("itoa@0.4.8".to_owned(), Some(9)),
            ("itoa@1.0.0".to_owned(), Some(14)),
            ("smallvec@1.6.0".to_owned(), Some(29)),
        ]
    );
    let smallvec = &lockfile.yanked[2].package;
    assert!(smallvec.direct);
    assert_eq!(smallvec.path, ["app@0.1.0", "smallvec@1.6.0"]);
    assert_eq!(smallvec.ecosystem, Ecosystem::CratesIo);
    let summary = report.summary();
    assert_eq!(summary.yanked, 3);
    assert!(summary.yanked_checked);
    assert_eq!(summary.warnings(), 0, "yanked are counted on their own");
    assert_eq!(report.yanked().count(), 3);

    // Without the text: listed, without lines.
    let lock = common::lockfile("Cargo.lock", CARGO_LOCK);
    let report = Report::generate(
        &index(vec![]),
        &[Target::new("Cargo.lock", &lock)],
        &settings(crates_yanked(&[("smallvec", "1.6.0")])),
    );
    assert_eq!(report.lockfiles[0].yanked[0].line, None);
}

#[test]
fn yanked_are_warnings_and_never_fail_the_audit() {
    let advisories = || {
        index(vec![osv_advisory(
            "crates.io",
            "RUSTSEC-2021-0003",
            &[],
            "smallvec",
            "1.0.0",
            Some("1.6.1"),
            "MODERATE",
        )])
    };
    let yanked = crates_yanked(&[("smallvec", "1.6.0"), ("itoa", "1.0.0")]);

    // Yanked alone: nothing fails, at any threshold.
    let only_yanked = audit(
        &index(vec![]),
        "Cargo.lock",
        CARGO_LOCK,
        &settings(yanked.clone()),
    );
    assert_eq!(only_yanked.lockfiles[0].yanked.len(), 2);
    assert!(only_yanked.lockfiles[0].findings.is_empty());
    assert_eq!(only_yanked.summary().vulnerabilities, 0);
    for fail_on in [
        FailOn::Low,
        FailOn::Moderate,
        FailOn::High,
        FailOn::Critical,
    ] {
        assert!(!only_yanked.fails(&fail_on));
    }

    // With a vulnerability: the same findings and verdicts as without the yanked check.
    let plain = audit(
        &advisories(),
        "Cargo.lock",
        CARGO_LOCK,
        &AuditSettings::new(today()),
    );
    let with_yanked = audit(&advisories(), "Cargo.lock", CARGO_LOCK, &settings(yanked));
    assert_eq!(
        with_yanked.lockfiles[0].findings,
        plain.lockfiles[0].findings
    );
    assert_eq!(with_yanked.summary().vulnerabilities, 1);
    for fail_on in [
        FailOn::Low,
        FailOn::Moderate,
        FailOn::High,
        FailOn::Critical,
    ] {
        assert_eq!(with_yanked.fails(&fail_on), plain.fails(&fail_on));
    }
    assert!(with_yanked.fails(&FailOn::Moderate) && !with_yanked.fails(&FailOn::High));
}

#[test]
fn development_packages_are_skipped_without_dev() {
    let mut yanked = Yanked::checked(Ecosystem::Npm);
    yanked.insert(Ecosystem::Npm, "minimist", "1.2.5");
    yanked.insert(Ecosystem::Npm, "ms", "2.0.0");

    let all = audit(
        &index(vec![]),
        "package-lock.json",
        NPM_LOCK,
        &settings(yanked.clone()),
    );
    let ids: Vec<String> = all.lockfiles[0]
        .yanked
        .iter()
        .map(|y| y.package.id())
        .collect();
    assert_eq!(ids, ["minimist@1.2.5", "ms@2.0.0"]);
    assert!(all.lockfiles[0].yanked[0].package.dev);

    let no_dev = audit(
        &index(vec![]),
        "package-lock.json",
        NPM_LOCK,
        &settings(yanked).without_dev(),
    );
    let lockfile = &no_dev.lockfiles[0];
    assert_eq!(lockfile.dev_skipped, 1);
    let ids: Vec<String> = lockfile.yanked.iter().map(|y| y.package.id()).collect();
    assert_eq!(ids, ["ms@2.0.0"]);
    assert_eq!(no_dev.summary().yanked, 1);
}

#[test]
fn not_checked_is_not_none() {
    // Default settings: nothing asked.
    let unchecked = audit(
        &index(vec![]),
        "Cargo.lock",
        CARGO_LOCK,
        &AuditSettings::new(today()),
    );
    assert!(!unchecked.yanked_checked);
    assert!(!unchecked.lockfiles[0].yanked_checked);
    assert!(unchecked.lockfiles[0].yanked.is_empty());

    // Asked, nothing yanked.
    let none = audit(
        &index(vec![]),
        "Cargo.lock",
        CARGO_LOCK,
        &settings(Yanked::checked(Ecosystem::CratesIo)),
    );
    assert!(none.yanked_checked);
    assert!(none.lockfiles[0].yanked_checked);
    assert!(none.lockfiles[0].yanked.is_empty());

    // crates.io asked: an npm lockfile in the same audit is still "not checked".
    let cargo = common::lockfile("Cargo.lock", CARGO_LOCK);
    let npm = common::lockfile("package-lock.json", NPM_LOCK);
    let mixed = Report::generate(
        &index(vec![]),
        &[
            Target::new("Cargo.lock", &cargo),
            Target::new("web/package-lock.json", &npm),
        ],
        &settings(crates_yanked(&[("smallvec", "1.6.0")])),
    );
    assert!(mixed.yanked_checked);
    assert!(mixed.lockfiles[0].yanked_checked);
    assert!(!mixed.lockfiles[1].yanked_checked);
    assert_eq!(mixed.summary().yanked, 1);

    // A crates.io entry never matches an npm package of the same name and version.
    let mut other = Yanked::checked(Ecosystem::CratesIo);
    other.insert(Ecosystem::CratesIo, "ms", "2.0.0");
    let report = audit(
        &index(vec![]),
        "package-lock.json",
        NPM_LOCK,
        &settings(other),
    );
    assert!(report.lockfiles[0].yanked.is_empty());
}

#[test]
fn pypi_names_compare_normalised() {
    let mut yanked = Yanked::not_checked();
    assert!(!yanked.any_checked());
    assert!(yanked.insert(Ecosystem::PyPI, "Flask_SQLAlchemy", "3.0.0"));
    assert!(!yanked.insert(Ecosystem::PyPI, "flask-sqlalchemy", "3.0.0"));
    assert!(
        yanked.is_checked(Ecosystem::PyPI),
        "inserting marks the ecosystem checked"
    );
    assert_eq!(yanked.len(), 1);
    assert!(yanked.contains(Ecosystem::PyPI, "flask.sqlalchemy", "3.0.0"));
    assert!(!yanked.contains(Ecosystem::PyPI, "flask-sqlalchemy", "3.0.1"));
    // Other ecosystems compare exactly.
    yanked.insert(Ecosystem::Npm, "Left_Pad", "1.0.0");
    assert!(!yanked.contains(Ecosystem::Npm, "left-pad", "1.0.0"));

    let requirements = "Flask_SQLAlchemy==3.0.0\nrequests==2.31.0\n";
    let report = audit(
        &index(vec![]),
        "requirements.txt",
        requirements,
        &settings(yanked),
    );
    let listed = &report.lockfiles[0].yanked;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].package.name, "flask-sqlalchemy");
    assert_eq!(listed[0].line, Some(1));
}
