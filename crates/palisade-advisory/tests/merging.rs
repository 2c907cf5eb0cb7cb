//! Merging rules on hand-written records: across databases, withdrawn bridges, one database's
//! own ids, severity and kind.

use palisade_advisory::{Advisory, Ecosystem, Informational, Kind, Severity, merge, osv};

/// An OSV record for PyPI package `pkg`, affected below 2.0.
fn record(id: &str, aliases: &[&str], extra: &str) -> Advisory {
    let json = format!(
        r#"{{"id": "{id}", "aliases": {aliases:?}, {extra}
            "affected": [{{"package": {{"ecosystem": "PyPI", "name": "pkg"}},
            "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "2.0"}}]}}]}}]}}"#
    );
    osv::parse_json(&json, id).unwrap()
}

fn ids(advisories: &[Advisory]) -> Vec<String> {
    advisories.iter().map(|a| a.id.to_string()).collect()
}

#[test]
fn pysec_and_ghsa_of_one_cve_merge_under_the_pysec_id() {
    let pysec = record("PYSEC-2099-1", &["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"], "");
    let ghsa = record(
        "GHSA-aaaa-bbbb-cccc",
        &["CVE-2099-1"],
        r#""database_specific": {"severity": "CRITICAL"}, "summary": "From GitHub","#,
    );
    let (merged, stats) = merge([ghsa, pysec]);
    assert_eq!(ids(&merged), ["PYSEC-2099-1"]);
    assert_eq!((stats.records, stats.merged, stats.advisories), (2, 1, 1));
    let a = &merged[0];
    let aliases: Vec<&str> = a.aliases.iter().map(|x| x.as_str()).collect();
    assert_eq!(aliases, ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
    assert_eq!(a.severity, Some(Severity::Critical)); // the highest any source gives
    assert_eq!(a.summary, "From GitHub"); // PyPA's record had none: filled from GitHub's
    assert_eq!(a.affected.len(), 1); // identical entries are kept once
}

#[test]
fn a_withdrawn_record_cannot_bridge_two_advisories() {
    let a = record("PYSEC-2099-1", &["CVE-2099-1"], "");
    let bridge = record(
        "GHSA-wwww-wwww-wwww",
        &["CVE-2099-1", "CVE-2099-2"],
        r#""withdrawn": "2099-01-02T00:00:00Z","#,
    );
    let b = record("GHSA-bbbb-bbbb-bbbb", &["CVE-2099-2"], "");
    let (merged, stats) = merge([a, bridge, b]);
    assert_eq!(ids(&merged), ["GHSA-bbbb-bbbb-bbbb", "PYSEC-2099-1"]);
    assert_eq!(stats.withdrawn, 1);
}

#[test]
fn one_database_merges_its_own_ids_only_when_it_says_so() {
    // Two GHSAs sharing a CVE: two advisories.
    let (merged, _) = merge([
        record("GHSA-aaaa-aaaa-aaaa", &["CVE-2099-1"], ""),
        record("GHSA-bbbb-bbbb-bbbb", &["CVE-2099-1"], ""),
    ]);
    assert_eq!(merged.len(), 2);
    // A GHSA naming the other as an alias: GitHub says they are one.
    let (merged, _) = merge([
        record(
            "GHSA-aaaa-aaaa-aaaa",
            &["CVE-2099-1", "GHSA-bbbb-bbbb-bbbb"],
            "",
        ),
        record("GHSA-bbbb-bbbb-bbbb", &["CVE-2099-1"], ""),
    ]);
    assert_eq!(ids(&merged), ["GHSA-aaaa-aaaa-aaaa"]);
}

#[test]
fn a_vulnerability_outranks_an_informational_record() {
    let notice = r#"{"id": "RUSTSEC-2099-1", "aliases": ["CVE-2099-9"], "affected": [{
        "package": {"ecosystem": "crates.io", "name": "c"},
        "database_specific": {"informational": "unsound"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "1.0.0"}]}]}]}"#;
    let notice = osv::parse_json(notice, "n.json").unwrap();
    assert_eq!(notice.kind, Kind::Informational(Informational::Unsound));
    let vuln = r#"{"id": "GHSA-cccc-cccc-cccc", "aliases": ["CVE-2099-9"], "affected": [{
        "package": {"ecosystem": "crates.io", "name": "c"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]}"#;
    let vuln = osv::parse_json(vuln, "v.json").unwrap();
    let (merged, _) = merge([notice, vuln]);
    assert_eq!(ids(&merged), ["RUSTSEC-2099-1"]);
    assert_eq!(merged[0].kind, Kind::Vulnerability);
    // Union of entries: 1.0.0 is affected by GitHub's wider range.
    assert!(matches!(
        merged[0].check(&Ecosystem::CratesIo, "c", "1.0.0"),
        palisade_advisory::Outcome::Affected
    ));
    assert_eq!(
        merged[0]
            .fixed_in(&Ecosystem::CratesIo, "c", "0.9.0")
            .as_deref(),
        Some("1.0.1")
    );
}
