//! OSV's evaluation algorithm on hand-written records, and the parsers' located errors.

use palisade_advisory::{Advisory, Ecosystem, Outcome, ParseErrorKind, osv};

/// A one-package npm record with these ranges (JSON text of the `ranges` array).
fn npm_record(ranges: &str) -> Advisory {
    let json = format!(
        r#"{{"id": "GHSA-test-test-test", "affected": [{{
            "package": {{"ecosystem": "npm", "name": "pkg"}}, "ranges": {ranges}}}]}}"#
    );
    osv::parse_json(&json, "test.json").unwrap()
}

fn check(advisory: &Advisory, version: &str) -> bool {
    match advisory.check(&Ecosystem::Npm, "pkg", version) {
        Outcome::Affected => true,
        Outcome::NotAffected => false,
        Outcome::CannotCompare(c) => panic!("{c}"),
    }
}

#[test]
fn unsorted_events_are_sorted_first() {
    let a = npm_record(
        r#"[{"type": "SEMVER", "events": [
            {"fixed": "2.0.1"}, {"introduced": "1.5.0"}, {"fixed": "1.2.0"}, {"introduced": "0"}]}]"#,
    );
    for (v, expected) in [
        ("0.0.1", true),
        ("1.1.9", true),
        ("1.2.0", false),
        ("1.4.9", false),
        ("1.5.0", true),
        ("2.0.0", true),
        ("2.0.1", false),
    ] {
        assert_eq!(check(&a, v), expected, "{v}");
    }
}

#[test]
fn introduced_zero_is_below_every_version() {
    let a = npm_record(
        r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.0.1"}]}]"#,
    );
    assert!(check(&a, "0.0.0"));
    assert!(check(&a, "0.0.0-alpha"));
    assert!(check(&a, "0.0.1-rc.1"));
    assert!(!check(&a, "0.0.1"));
}

#[test]
fn last_affected_is_inclusive_and_limit_caps_the_range() {
    let last = npm_record(
        r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}]}]"#,
    );
    assert!(check(&last, "1.4.2"));
    assert!(!check(&last, "1.4.3-0"));
    assert!(!check(&last, "1.4.3"));

    // No fix, but nothing at or above the limit is in the range.
    let limited = npm_record(
        r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]"#,
    );
    assert!(check(&limited, "1.9.9"));
    assert!(!check(&limited, "2.0.0"));
    assert!(!check(&limited, "0.9.0"));
    // Several limits: below any of them is enough; "*" is no limit at all.
    let limits = npm_record(
        r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "1.5.0"}, {"limit": "3.0.0"}]}]"#,
    );
    assert!(check(&limits, "2.5.0"));
    assert!(!check(&limits, "3.0.0"));
    let star =
        npm_record(r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "*"}]}]"#);
    assert!(check(&star, "99.0.0"));
}

#[test]
fn same_version_introduced_and_fixed_is_empty() {
    let a = npm_record(
        r#"[{"type": "SEMVER", "events": [{"fixed": "1.0.0"}, {"introduced": "1.0.0"}]}]"#,
    );
    assert!(!check(&a, "1.0.0"));
    assert!(!check(&a, "1.0.1"));
}

#[test]
fn git_ranges_are_dropped_and_versions_lists_still_match() {
    let a = npm_record(
        r#"[{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "abc"}]}]"#,
    );
    assert!(a.affected[0].ranges.is_empty());
    let json = r#"{"id": "OSV-1", "affected": [{"package": {"ecosystem": "Go", "name": "m"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}],
        "versions": ["1.1.0"]}]}"#;
    let go = osv::parse_json(json, "go.json").unwrap();
    let eco = Ecosystem::from_osv("Go");
    assert_eq!(go.check(&eco, "m", "1.1.0"), Outcome::Affected);
    assert!(matches!(
        go.check(&eco, "m", "1.1.5"),
        Outcome::CannotCompare(_)
    ));
}

#[test]
fn a_bad_version_in_the_advisory_cannot_be_compared() {
    let a = npm_record(
        r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "one.two"}]}]"#,
    );
    let Outcome::CannotCompare(why) = a.check(&Ecosystem::Npm, "pkg", "1.0.0") else {
        panic!()
    };
    assert!(why.to_string().contains("\"one.two\""), "{why}");
}

#[test]
fn yaml_keeps_unquoted_versions_as_text() {
    let yaml = "id: PYSEC-0000-1\naffected:\n- package:\n    name: Some.Pkg\n    ecosystem: PyPI\n  \
        ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n  versions:\n  - 1.0\n";
    let a = osv::parse_yaml(yaml, "x.yaml").unwrap();
    assert_eq!(a.affected[0].package, "some-pkg");
    assert_eq!(a.affected[0].versions, ["1.0"]);
    assert_eq!(a.affected[0].ranges[0].events[1].version(), "1.10");
    assert_eq!(
        a.check(&Ecosystem::PyPI, "some_pkg", "1.9"),
        Outcome::Affected
    );
    assert_eq!(
        a.check(&Ecosystem::PyPI, "some_pkg", "1.10"),
        Outcome::NotAffected
    );
}

#[test]
fn malformed_records_are_located_errors() {
    let e =
        osv::parse_json("{\n  \"id\": \"X-1\",\n  \"affected\": [,]\n}", "bad.json").unwrap_err();
    assert_eq!((e.name.as_str(), e.line), ("bad.json", 3), "{e}");
    assert!(e.to_string().starts_with("bad.json:3:"), "{e}");

    let two_kinds = r#"{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "p"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}]}"#;
    let e = osv::parse_json(two_kinds, "x.json").unwrap_err();
    assert!(e.to_string().contains("only one of"), "{e}");
    assert_eq!(e.line, 2);

    let unknown = two_kinds
        .replace("\"introduced\": \"0\", ", "")
        .replace("SEMVER", "RPM");
    let e = osv::parse_json(&unknown, "x.json").unwrap_err();
    assert!(e.to_string().contains("unknown range type \"RPM\""), "{e}");

    let no_intro = two_kinds.replace("\"introduced\": \"0\", ", "");
    let e = osv::parse_json(&no_intro, "x.json").unwrap_err();
    assert!(e.to_string().contains("no `introduced`"), "{e}");

    let e = osv::parse_json(r#"{"id": "has space", "affected": []}"#, "x.json").unwrap_err();
    assert!(e.to_string().contains("invalid advisory id"), "{e}");

    let e = osv::parse_yaml("id: PYSEC-1\naffected:\n  - package: [\n", "bad.yaml").unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::Syntax(_)));
    assert!(e.line >= 3, "{e}");
    assert!(!e.to_string().contains('\n'), "{e}");
}
