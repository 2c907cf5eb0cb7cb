//! `render::json`: valid against `docs/audit-report.schema.json`, stable field names.

mod common;

use std::path::Path;

use common::{assert_valid, rich_report, rich_report_with, rich_report_yanked, schema};
use palisade_audit::{AuditSettings, Report, Yanked, render};
use palisade_lockfile::Ecosystem;
use serde_json::Value;

fn report_schema() -> jsonschema::Validator {
    schema(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit-report.schema.json"))
}

#[test]
fn output_matches_the_documented_schema() {
    let validator = report_schema();
    let rich: Value = serde_json::from_str(&render::json(&rich_report())).unwrap();
    assert_valid(&validator, &rich);
    let empty = Report::generate(
        &palisade_advisory::Index::new([]),
        &[],
        &AuditSettings::new(common::today()),
    );
    assert_valid(
        &validator,
        &serde_json::from_str(&render::json(&empty)).unwrap(),
    );

    // The schema is closed: an undocumented field is caught.
    let mut extra = rich.clone();
    extra["lockfiles"][0]["vulnerabilities"][0]["surprise"] = Value::Bool(true);
    assert!(!validator.is_valid(&extra));

    // With yanked versions checked and found.
    let yanked: Value = serde_json::from_str(&render::json(&rich_report_yanked())).unwrap();
    assert_valid(&validator, &yanked);
    let mut extra = yanked.clone();
    extra["lockfiles"][1]["yanked"][0]["surprise"] = Value::Bool(true);
    assert!(!validator.is_valid(&extra));
    // The new fields are required, and typed.
    let mut missing = yanked.clone();
    missing["lockfiles"][1]
        .as_object_mut()
        .unwrap()
        .remove("yanked_checked");
    assert!(!validator.is_valid(&missing));
    let mut mistyped = yanked.clone();
    mistyped["yanked_checked"] = Value::from("yes");
    assert!(!validator.is_valid(&mistyped));
    // A lockfile that was not checked cannot list yanked packages.
    let mut contradictory = yanked;
    contradictory["lockfiles"][1]["yanked_checked"] = Value::Bool(false);
    assert!(!validator.is_valid(&contradictory));
}

#[test]
fn yanked_not_checked_is_not_none() {
    let validator = report_schema();

    let not_checked: Value = serde_json::from_str(&render::json(&rich_report())).unwrap();
    assert_valid(&validator, &not_checked);
    assert_eq!(not_checked["yanked_checked"], false);
    assert_eq!(not_checked["summary"]["yanked"], 0);
    for lockfile in not_checked["lockfiles"].as_array().unwrap() {
        assert_eq!(lockfile["yanked_checked"], false);
        assert_eq!(lockfile["yanked"], serde_json::json!([]));
    }

    let none: Value = serde_json::from_str(&render::json(&rich_report_with(|s| {
        s.with_yanked(Yanked::checked(Ecosystem::CratesIo))
    })))
    .unwrap();
    assert_valid(&validator, &none);
    assert_eq!(none["yanked_checked"], true);
    assert_eq!(none["summary"]["yanked"], 0);
    assert_eq!(none["lockfiles"][1]["kind"], "Cargo.lock");
    assert_eq!(none["lockfiles"][1]["yanked_checked"], true);
    assert_eq!(none["lockfiles"][1]["yanked"], serde_json::json!([]));
    // Only crates.io was asked.
    assert_eq!(none["lockfiles"][0]["yanked_checked"], false);

    let found: Value = serde_json::from_str(&render::json(&rich_report_yanked())).unwrap();
    assert_eq!(found["yanked_checked"], true);
    assert_eq!(found["summary"]["yanked"], 1);
    // A warning of its own: the counts of vulnerabilities and warnings do not change.
    assert_eq!(found["summary"]["vulnerabilities"], 4);
    assert_eq!(found["summary"]["warnings"], 3);
    assert_eq!(
        found["lockfiles"][1]["yanked"],
        serde_json::json!([{
            "package": {
                "name": "smallvec", "version": "1.6.0", "ecosystem": "crates.io",
                "direct": true, "dev": false, "path": ["app@0.1.0", "smallvec@1.6.0"],
                "requested": null
            },
            "line": 14
        }])
    );
}

#[test]
fn fields_are_where_the_documentation_says() {
    let v: Value = serde_json::from_str(&render::json(&rich_report())).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "palisade");
    assert_eq!(v["date"], "2026-05-01");
    assert_eq!(v["summary"]["vulnerabilities"], 4);
    assert_eq!(v["summary"]["by_severity"]["critical"], 2);
    assert_eq!(v["summary"]["by_severity"]["unknown"], 1);
    assert_eq!(v["summary"]["by_severity"]["high"], 1);
    // unmaintained + unchecked + expired ignore
    assert_eq!(v["summary"]["warnings"], 3);

    let web = &v["lockfiles"][0];
    assert_eq!(web["path"], "web/package-lock.json");
    assert_eq!(web["kind"], "package-lock.json");
    assert_eq!(web["ecosystem"], "npm");
    let first = &web["vulnerabilities"][0];
    assert_eq!(first["advisory"]["id"], "GHSA-llll-llll-0001");
    assert_eq!(first["advisory"]["severity"], "critical");
    assert_eq!(first["advice"]["action"], "no-fix");
    let qs = &web["vulnerabilities"][2];
    assert_eq!(qs["package"]["name"], "qs");
    assert_eq!(qs["package"]["requested"], "6.7.0");
    assert_eq!(
        qs["package"]["path"],
        serde_json::json!(["web@1.0.0", "express@4.17.1", "qs@6.7.0"])
    );
    assert_eq!(qs["advisory"]["cvss"]["score"], 7.5);
    assert_eq!(
        qs["advisory"]["aliases"],
        serde_json::json!(["CVE-2099-0002"])
    );
    assert_eq!(qs["advice"]["action"], "bump-dependent");
    assert_eq!(qs["advice"]["parent"], "express@4.17.1");
    assert_eq!(qs["fixed_in"], "6.7.3");
    assert!(qs["line"].as_u64().is_some());
    assert_eq!(
        web["ignored"][0]["ignore"]["reason"],
        "durations are ours, not user input"
    );
    assert_eq!(web["ignored"][0]["ignore"]["expires"], "2026-12-31");
    assert_eq!(
        web["unchecked"][0]["reason"],
        "not a valid npm semver version"
    );
    assert_eq!(web["not_auditable"][0]["name"], "local");

    let cargo = &v["lockfiles"][1];
    assert_eq!(cargo["warnings"][0]["kind"], "warning");
    assert_eq!(cargo["warnings"][0]["informational"], "unmaintained");
    assert_eq!(
        cargo["warnings"][0]["advisory"]["url"],
        "https://rustsec.org/advisories/RUSTSEC-2021-0139.html"
    );
    assert_eq!(cargo["vulnerabilities"][0]["informational"], Value::Null);
    assert_eq!(v["expired_ignores"][0]["id"], "GHSA-zzzz-zzzz-zzzz");
    assert_eq!(v["expired_ignores"][0]["line"], 7);
}

/// The example in `docs/audit-json.md` is a valid report too.
#[test]
fn the_documented_example_is_valid() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit-json.md"),
    )
    .unwrap();
    let start = doc.find("```json\n").unwrap() + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let example: Value = serde_json::from_str(&doc[start..end]).unwrap();
    assert_valid(&report_schema(), &example);
}
