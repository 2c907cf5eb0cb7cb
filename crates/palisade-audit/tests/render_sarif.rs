//! `render::sarif`: valid SARIF 2.1.0 (the OASIS schema, formats checked), with what GitHub
//! code scanning reads: rules with `security-severity`, levels, locations, fingerprints.

mod common;

use std::path::Path;

use common::{assert_valid, rich_report, rich_report_yanked, schema_from};
use palisade_audit::{AuditSettings, Report, render};
use serde_json::Value;

/// The official schema, with one repair: the `language` patterns of `run` and `toolComponent`
/// have a stray `]`
/// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which JSON Schema's `regex` format — checked
/// when the schema itself is validated — rejects. palisade never writes `language`; the
/// repaired pattern is the one the specification describes (a language tag like `en-US`).
fn sarif_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(
        text.matches(broken).count(),
        2,
        "the schema changed: revisit this repair"
    );
    let repaired = text.replace(broken, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    schema_from(&path, &repaired)
}

#[test]
fn output_is_valid_sarif_2_1_0() {
    let validator = sarif_schema();
    let log: Value = serde_json::from_str(&render::sarif(&rich_report())).unwrap();
    assert_valid(&validator, &log);
    let empty = Report::generate(
        &palisade_advisory::Index::new([]),
        &[],
        &AuditSettings::new(common::today()),
    );
    assert_valid(
        &validator,
        &serde_json::from_str(&render::sarif(&empty)).unwrap(),
    );
    let yanked: Value = serde_json::from_str(&render::sarif(&rich_report_yanked())).unwrap();
    assert_valid(&validator, &yanked);
    // The schema does catch mistakes.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn rules_and_results_carry_what_github_reads() {
    let log: Value = serde_json::from_str(&render::sarif(&rich_report())).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "palisade");
    let rules = driver["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    // Sorted by id, one per advisory (the ignored and the unchecked ones too).
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 7);

    let qs = rule("GHSA-qqqq-qqqq-qqqq");
    assert_eq!(qs["properties"]["security-severity"], "7.5");
    assert_eq!(qs["defaultConfiguration"]["level"], "error");
    assert_eq!(
        qs["helpUri"],
        "https://osv.dev/vulnerability/GHSA-qqqq-qqqq-qqqq"
    );
    assert_eq!(qs["shortDescription"]["text"], "GHSA-qqqq-qqqq-qqqq in qs");
    // Rated by label only: the lowest score of its band.
    assert_eq!(
        rule("GHSA-llll-llll-0001")["properties"]["security-severity"],
        "9.0"
    );
    // Unrated: no security-severity, still an error (unknown fails closed).
    let unrated = rule("GHSA-llll-llll-0002");
    assert!(unrated["properties"].get("security-severity").is_none());
    assert_eq!(unrated["defaultConfiguration"]["level"], "error");
    let unmaintained = rule("RUSTSEC-2021-0139");
    assert_eq!(unmaintained["defaultConfiguration"]["level"], "note");
    assert!(
        unmaintained["properties"]
            .get("security-severity")
            .is_none()
    );

    let results = run["results"].as_array().unwrap();
    let result = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let qs = result("GHSA-qqqq-qqqq-qqqq");
    assert_eq!(qs["level"], "error");
    assert_eq!(
        qs["ruleIndex"],
        ids.iter()
            .position(|i| *i == "GHSA-qqqq-qqqq-qqqq")
            .unwrap()
    );
    let location = &qs["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "web/package-lock.json");
    assert!(location["region"]["startLine"].as_u64().unwrap() > 1);
    assert_eq!(
        qs["partialFingerprints"]["palisadeFinding/v1"],
        "web/package-lock.json:qs@6.7.0:GHSA-qqqq-qqqq-qqqq"
    );
    let message = qs["message"]["text"].as_str().unwrap();
    assert!(
        message.starts_with("qs@6.7.0 is affected by GHSA-qqqq-qqqq-qqqq (high): "),
        "{message}"
    );
    assert!(message.contains("Dependency path: web@1.0.0 > express@4.17.1 > qs@6.7.0."));
    // The ignored finding is there, suppressed with its reason.
    let ms = result("GHSA-mmmm-mmmm-mmmm");
    assert_eq!(
        ms["suppressions"][0]["justification"],
        "durations are ours, not user input"
    );
    assert_eq!(result("GHSA-wwww-wwww-wwww")["level"], "warning");
    assert_eq!(result("RUSTSEC-2021-0139")["level"], "note");
    let notes = &run["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("GHSA-zzzz-zzzz-zzzz")
    );
}

#[test]
fn yanked_versions_are_warnings_of_their_own_rule() {
    let log: Value = serde_json::from_str(&render::sarif(&rich_report_yanked())).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 8, "the 7 advisories and palisade/yanked");
    let at = ids.iter().position(|i| *i == "palisade/yanked").unwrap();
    let rule = &rules[at];
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");
    assert!(rule["properties"].get("security-severity").is_none());

    let results = run["results"].as_array().unwrap();
    let yanked: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "palisade/yanked")
        .collect();
    assert_eq!(yanked.len(), 1);
    let result = yanked[0];
    assert_eq!(result["level"], "warning");
    assert_eq!(result["ruleIndex"], at);
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "Cargo.lock");
    assert_eq!(location["region"]["startLine"], 14);
    assert_eq!(
        result["partialFingerprints"]["palisadeFinding/v1"],
        "Cargo.lock:smallvec@1.6.0:palisade/yanked"
    );
    assert_eq!(result["properties"]["package"], "smallvec");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("smallvec@1.6.0 is a yanked version")
    );
    // The advisory results are the same as without the yanked check.
    let plain: Value = serde_json::from_str(&render::sarif(&rich_report())).unwrap();
    let advisory_results = |log: &Value| -> Vec<Value> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] != "palisade/yanked")
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().unwrap().remove("ruleIndex");
                r
            })
            .collect()
    };
    assert_eq!(advisory_results(&log), advisory_results(&plain));
    // No yanked rule when nothing is yanked.
    assert!(
        plain["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != "palisade/yanked")
    );
}
