//! End to end on real data: palisade-lockfile's fixtures (and a small Cargo.lock) against the
//! shared OSV and RustSec snapshots beside the repository (read-only).

mod common;

use std::path::Path;
use std::sync::LazyLock;

use common::{assert_valid, fixture, index, schema, today};
use palisade_advisory::{Index, Informational, Severity};
use palisade_audit::{AuditSettings, FailOn, FindingKind, Report, Target, render};

static INDEX: LazyLock<Index> = LazyLock::new(|| index(common::shared_records()));

fn audit_fixture(scenario: &str, file: &str, settings: &AuditSettings) -> Report {
    let (text, lock) = fixture(scenario, file);
    let path = format!("{scenario}/{file}");
    Report::generate(
        &INDEX,
        &[Target::new(&path, &lock).with_text(&text)],
        settings,
    )
}

#[test]
fn npm_family_fixtures_agree() {
    let settings = AuditSettings::new(today());
    let npm = audit_fixture("npm-v3", "package-lock.json", &settings);
    let lock = &npm.lockfiles[0];
    let found: Vec<(String, &str, Option<Severity>, Option<&str>)> = lock
        .findings
        .iter()
        .map(|f| {
            (
                f.package.id(),
                f.advisory.id.as_str(),
                f.severity(),
                f.fixed_in.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "minimist@1.2.5".to_owned(),
                "GHSA-xvch-5gv4-984h",
                Some(Severity::Critical),
                Some("1.2.6")
            ),
            (
                "send@0.17.1".to_owned(),
                "GHSA-m6fv-jmcg-4jfg",
                Some(Severity::Moderate),
                Some("0.19.0")
            ),
        ]
    );
    let minimist = &lock.findings[0];
    assert!(minimist.package.direct && minimist.package.dev);
    assert_eq!(minimist.advice.action(), "bump-direct");
    assert_eq!(minimist.line, Some(179));
    assert!(npm.fails(&FailOn::Critical));

    // The same project through every npm-family lockfile gives the same findings.
    for (scenario, file) in [
        ("npm-v1", "package-lock.json"),
        ("npm-v2", "package-lock.json"),
        ("yarn-v1", "yarn.lock"),
        ("yarn-berry", "yarn.lock"),
        ("pnpm-v5", "pnpm-lock.yaml"),
        ("pnpm-v6", "pnpm-lock.yaml"),
        ("pnpm-v9", "pnpm-lock.yaml"),
    ] {
        let other = audit_fixture(scenario, file, &settings);
        let ids: Vec<(String, &str)> = other.lockfiles[0]
            .findings
            .iter()
            .map(|f| (f.package.id(), f.advisory.id.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("minimist@1.2.5".to_owned(), "GHSA-xvch-5gv4-984h"),
                ("send@0.17.1".to_owned(), "GHSA-m6fv-jmcg-4jfg"),
            ],
            "{scenario}"
        );
        assert!(
            other.lockfiles[0].findings.iter().all(|f| f.line.is_some()),
            "{scenario}: every entry located"
        );
    }

    // minimist is a development dependency: without them, only send remains.
    let prod = audit_fixture(
        "npm-v3",
        "package-lock.json",
        &settings.clone().without_dev(),
    );
    assert_eq!(prod.vulnerabilities().count(), 1);
    assert!(!prod.fails(&FailOn::High));
    assert!(prod.fails(&FailOn::Moderate));

    // Real reports validate too.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&npm)).unwrap();
    assert_valid(
        &schema(&root.join("../../docs/audit-report.schema.json")),
        &json,
    );
}

#[test]
fn cargo_lock_against_rustsec() {
    let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                dependencies = [\"ansi_term\", \"smallvec\"]\n\n[[package]]\nname = \"ansi_term\"\n\
                version = \"0.12.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
                [[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n\
                source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let lock = palisade_lockfile::parse("Cargo.lock", text).unwrap();
    let report = Report::generate(
        &INDEX,
        &[Target::new("Cargo.lock", &lock).with_text(text)],
        &AuditSettings::new(today()),
    );
    let findings = &report.lockfiles[0].findings;
    let smallvec = findings
        .iter()
        .find(|f| f.advisory.id == "RUSTSEC-2021-0003")
        .unwrap();
    assert!(smallvec.is_vulnerability());
    assert_eq!(smallvec.severity(), Some(Severity::Critical));
    assert_eq!(smallvec.advisory.cvss.as_ref().unwrap().score, 9.8);
    assert_eq!(smallvec.fixed_in.as_deref(), Some("1.6.1"));
    assert!(
        smallvec
            .advisory
            .aliases
            .iter()
            .any(|a| a == "CVE-2021-25900")
    );
    assert_eq!(smallvec.line, Some(14));
    let ansi = findings
        .iter()
        .find(|f| f.advisory.id == "RUSTSEC-2021-0139")
        .unwrap();
    assert_eq!(ansi.kind, FindingKind::Warning(Informational::Unmaintained));
    // Warnings come after every vulnerability.
    let first_warning = findings.iter().position(|f| !f.is_vulnerability()).unwrap();
    assert!(
        findings[first_warning..]
            .iter()
            .all(|f| !f.is_vulnerability())
    );
    assert!(report.fails(&FailOn::Critical));

    let text = render::table(&report, render::Color::Never);
    assert!(text.contains("  unmaintained  ansi_term@0.12.1"));
}
