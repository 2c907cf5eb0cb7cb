//! Every record of the shared reference data loads; counts, withdrawal and merging.

mod common;

use common::{DATA, INDEX, record};
use palisade_advisory::{Ecosystem, Informational, Kind, Severity};

#[test]
fn every_record_parses_with_the_expected_counts() {
    assert_eq!(DATA.osv_crates.len(), 1206);
    assert_eq!(DATA.osv_pypi.len(), 377);
    assert_eq!(DATA.osv_npm.len(), 168);
    assert_eq!(DATA.rustsec_crates.len(), 1205);
    assert_eq!(DATA.rustsec_rust.len(), 20);

    let withdrawn = |list: &[palisade_advisory::Advisory]| {
        list.iter().filter(|a| a.withdrawn.is_some()).count()
    };
    assert_eq!(withdrawn(&DATA.osv_crates), 13);
    assert_eq!(withdrawn(&DATA.osv_pypi), 1);
    assert_eq!(withdrawn(&DATA.osv_npm), 0);
    assert_eq!(withdrawn(&DATA.rustsec_crates), 13);

    let informational = |list: &[palisade_advisory::Advisory], kind: Informational| {
        list.iter()
            .filter(|a| a.kind == Kind::Informational(kind.clone()))
            .count()
    };
    // As the snapshot's front matter says (grep `informational =`).
    assert_eq!(
        informational(&DATA.rustsec_crates, Informational::Unmaintained),
        267
    );
    assert_eq!(
        informational(&DATA.rustsec_crates, Informational::Unsound),
        203
    );
    assert_eq!(
        informational(&DATA.rustsec_crates, Informational::Notice),
        6
    );
}

#[test]
fn severities_come_from_cvss_then_labels() {
    let with_cvss =
        |list: &[palisade_advisory::Advisory]| list.iter().filter(|a| a.cvss.is_some()).count();
    // RustSec's export: 360 records with a v3 vector, 57 with v4 (some with both).
    assert!(with_cvss(&DATA.osv_crates) >= 360);
    assert_eq!(
        with_cvss(&DATA.rustsec_crates),
        DATA.rustsec_crates
            .iter()
            .filter(|a| a.severity.is_some())
            .count()
    );
    // GitHub: 122 records have a scoreable vector; the others fall back to the label...
    let npm_rated = DATA.osv_npm.iter().filter(|a| a.severity.is_some()).count();
    let npm_unrated: Vec<_> = DATA
        .osv_npm
        .iter()
        .filter(|a| a.severity.is_none())
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(npm_rated + npm_unrated.len(), 168);
    // ...so only trimmed (haunvsec) records that kept no `severity` at all stay unrated.
    assert_eq!(
        npm_unrated,
        [
            "GHSA-4xc9-xhrj-v574",
            "GHSA-8hc4-vh64-cxmj",
            "GHSA-pxg6-pf52-xh8x"
        ]
    );
    assert_eq!(npm_rated, 165);
    // GHSA-cqmj-92xf-r6r9 has an empty CVSS_V3 score: rated by its label instead.
    let empty = record(&DATA.osv_npm, "GHSA-cqmj-92xf-r6r9");
    assert!(empty.cvss.is_none());
    assert!(empty.severity.is_some());
}

#[test]
fn withdrawn_records_are_dropped_and_sources_merge() {
    let stats = INDEX.stats();
    assert_eq!(stats.records, 2976);
    assert_eq!(stats.withdrawn, 27);
    // Every live RUSTSEC id is in both the TOML database and its OSV export: 1192 pairs fold.
    assert_eq!(stats.merged, 1192);
    assert_eq!(stats.advisories, 1757);
    assert_eq!(INDEX.advisories().len(), 1757);

    // Withdrawn: RUSTSEC-2020-0053 (dirs) in both forms; PYSEC-2022-43059 in PyPA's.
    assert!(INDEX.get("RUSTSEC-2020-0053").is_none());
    assert!(INDEX.get("PYSEC-2022-43059").is_none());
    assert!(
        INDEX
            .affected(&Ecosystem::CratesIo, "dirs", "1.0.0")
            .is_empty()
    );
}

#[test]
fn rustsec_toml_and_its_osv_form_become_one_advisory() {
    let merged = INDEX.get("RUSTSEC-2020-0105").unwrap(); // abi_stable
    assert_eq!(merged.id, "RUSTSEC-2020-0105");
    let aliases: Vec<&str> = merged.aliases.iter().map(|a| a.as_str()).collect();
    assert_eq!(
        aliases,
        [
            "CVE-2020-36212",
            "CVE-2020-36213",
            "GHSA-vq23-5h4f-vwpv",
            "GHSA-wqxc-qrq4-w5v4"
        ]
    );
    assert!(std::ptr::eq(
        INDEX.get("GHSA-vq23-5h4f-vwpv").unwrap(),
        merged
    ));
    // One entry from the TOML (patched list), one from the OSV export (SEMVER range).
    assert_eq!(merged.affected.len(), 2);
    assert!(merged.affected.iter().any(|e| e.rustsec.is_some()));
    assert!(merged.affected.iter().any(|e| !e.ranges.is_empty()));
    assert_eq!(merged.severity, Some(Severity::High));
    // The TOML came first, so its link (the report) leads.
    assert_eq!(
        merged.url.as_deref(),
        Some("https://github.com/rodrimati1992/abi_stable_crates/issues/44")
    );

    // Reported once, although both entries match.
    let findings = INDEX.affected(&Ecosystem::CratesIo, "abi_stable", "0.9.0");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].fixed_in.as_deref(), Some("0.9.1"));
}

#[test]
fn one_database_never_merges_two_of_its_own_advisories() {
    // age and rage: one GitHub advisory, two RustSec advisories — two findings, own ids.
    let age = INDEX.affected(&Ecosystem::CratesIo, "age", "0.10.0");
    let rage = INDEX.affected(&Ecosystem::CratesIo, "rage", "0.10.0");
    assert_eq!(
        age.iter().map(|f| f.id().as_str()).collect::<Vec<_>>(),
        ["RUSTSEC-2024-0433"]
    );
    assert_eq!(
        rage.iter().map(|f| f.id().as_str()).collect::<Vec<_>>(),
        ["RUSTSEC-2024-0432"]
    );
    // failure: the unsound advisory and the unmaintained notice share all their aliases; both
    // are reported, each as its own warning.
    let failure = INDEX.affected(&Ecosystem::CratesIo, "failure", "0.1.8");
    let ids: Vec<(&str, &Kind)> = failure
        .iter()
        .map(|f| (f.id().as_str(), f.kind()))
        .collect();
    assert_eq!(
        ids,
        [
            (
                "RUSTSEC-2019-0036",
                &Kind::Informational(Informational::Unsound)
            ),
            (
                "RUSTSEC-2020-0036",
                &Kind::Informational(Informational::Unmaintained)
            ),
        ]
    );
}

#[test]
fn informational_advisories_are_warnings() {
    // smallvec < 0.6.13: unsound (RUSTSEC-2018-0018), a warning like cargo-audit's.
    let findings = INDEX.affected(&Ecosystem::CratesIo, "smallvec", "0.6.10");
    let unsound = findings
        .iter()
        .find(|f| f.id().as_str() == "RUSTSEC-2018-0018")
        .unwrap();
    assert!(unsound.is_warning());
    assert_eq!(unsound.kind(), &Kind::Informational(Informational::Unsound));
}

#[test]
fn toolchain_advisories_are_their_own_ecosystem() {
    let std_findings = INDEX.affected(&Ecosystem::RustToolchain, "std", "1.50.0");
    assert!(
        std_findings
            .iter()
            .any(|f| f.id().as_str() == "CVE-2021-28877")
    );
    assert!(
        INDEX
            .affected(&Ecosystem::RustToolchain, "std", "1.10.0")
            .iter()
            .all(|f| f.id().as_str() != "CVE-2021-28877")
    );
    assert!(
        INDEX
            .affected(&Ecosystem::CratesIo, "std", "1.50.0")
            .is_empty()
    );
}
