//! Whole projects from `tests/fixtures/`: manifest + lockfile → dependencies → outdated rows
//! against registry data built here → plan → commit messages.

mod common;

use std::path::PathBuf;

use common::{advisory, available};
use palisade_advisory::Index;
use palisade_lockfile::{DeclaredSource, DepKind, Ecosystem, parse, read_manifest};
use palisade_update::{
    Joined, PlanOptions, SkipReason, Status, commit_message, dependencies, outdated, plan,
};

fn read(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cargo_workspace() -> Joined {
    let root = read_manifest("Cargo.toml", &read("cargo-workspace/Cargo.toml")).unwrap();
    let app = read_manifest("app/Cargo.toml", &read("cargo-workspace/app/Cargo.toml")).unwrap();
    let lockfile = parse("Cargo.lock", &read("cargo-workspace/Cargo.lock")).unwrap();
    dependencies(&app, Some(&root), &lockfile)
}

fn npm_app() -> Joined {
    let manifest = read_manifest("package.json", &read("npm-app/package.json")).unwrap();
    let lockfile = parse("package-lock.json", &read("npm-app/package-lock.json")).unwrap();
    dependencies(&manifest, None, &lockfile)
}

fn summary(joined: &Joined) -> Vec<(String, String, String)> {
    joined
        .dependencies
        .iter()
        .map(|d| (d.key().to_owned(), d.requirement.clone(), d.current.clone()))
        .collect()
}

#[test]
fn cargo_workspace_member_is_joined_with_its_lockfile() {
    let joined = cargo_workspace();
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        summary(&joined),
        [
            // Sorted by key; `workspace = true` takes the root's requirement.
            s("itoa", "0.4", "0.4.8"), // 1.0.11 is locked too, but ^0.4 picks 0.4.8
            s("json", "1.0.100", "1.0.120"),
            s("log", "0.4.20", "0.4.20"),
            s("serde", "1.0.100", "1.0.100"),
            s("smallvec", "1.11", "1.11.0"),
        ]
    );
    let json = &joined.dependencies[1];
    assert_eq!(
        (json.name.as_str(), json.alias.as_deref()),
        ("serde_json", Some("json"))
    );
    assert_eq!(joined.dependencies[4].kind, DepKind::Dev);
    assert!(
        joined
            .dependencies
            .iter()
            .all(|d| d.ecosystem == Ecosystem::CratesIo)
    );

    let skipped: Vec<(&str, &SkipReason)> = joined
        .skipped
        .iter()
        .map(|s| (s.key.as_str(), &s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "gitdep",
                &SkipReason::NotFromRegistry(DeclaredSource::Git {
                    url: "https://example.org/acme/gitdep".into(),
                    reference: Some("main".into())
                })
            ),
            (
                "local",
                &SkipReason::NotFromRegistry(DeclaredSource::Path {
                    path: "../local".into()
                })
            ),
            ("not-locked", &SkipReason::NotLocked),
            ("tokio", &SkipReason::NotInWorkspace),
        ]
    );

    // Without the root, the member's own (absent) [workspace.dependencies] are searched.
    let app = read_manifest("Cargo.toml", &read("cargo-workspace/app/Cargo.toml")).unwrap();
    let lockfile = parse("Cargo.lock", &read("cargo-workspace/Cargo.lock")).unwrap();
    let alone = dependencies(&app, None, &lockfile);
    assert_eq!(alone.dependencies.len(), 3);
}

#[test]
fn npm_app_is_joined_with_its_lockfile() {
    let joined = npm_app();
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        summary(&joined),
        [
            s("express", "^4.18.2", "4.18.2"),
            s("lodash4", "^4.17.20", "4.17.20"),
            s("ms", "~2.0.0", "2.0.0"), // the direct copy, not express's nested 2.1.3
            s("jest", "^29.5.0", "29.5.0"),
        ]
    );
    assert_eq!(joined.dependencies[1].name, "lodash");
    assert_eq!(joined.dependencies[3].kind, DepKind::Dev);
    let skipped: Vec<&str> = joined.skipped.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        skipped,
        ["@npm-app/shared", "body-parser", "local-lib", "fsevents"]
    );
    assert_eq!(
        joined.skipped[0].reason,
        SkipReason::NotFromRegistry(DeclaredSource::Workspace)
    );
    assert_eq!(joined.skipped[3].reason, SkipReason::NotLocked);
}

#[test]
fn cargo_workspace_end_to_end() {
    let joined = cargo_workspace();
    let index = Index::new([advisory(
        "RUSTSEC-2099-0007",
        &["CVE-2099-7777"],
        Ecosystem::CratesIo,
        "smallvec",
        "0.0.0-0",
        Some("1.11.1"),
        Some("HIGH"),
    )]);
    let registry = |name: &str| match name {
        "itoa" => available(&["0.4.8", "1.0.11", "1.0.14"], None),
        "serde_json" => available(&["1.0.120", "1.0.128", "1.0.129!"], None),
        "log" => available(&["0.4.20", "0.4.22"], None),
        "serde" => available(&["1.0.100", "1.0.210", "1.0.215"], None),
        "smallvec" => available(&["1.11.0", "1.11.1", "1.13.2", "2.0.0-alpha.7"], None),
        other => panic!("{other}"),
    };
    let rows: Vec<_> = joined
        .dependencies
        .iter()
        .map(|d| outdated(d, &registry(&d.name), &index).unwrap())
        .collect();
    assert!(rows.iter().all(|r| r.status == Status::Outdated));
    let steps = plan(
        &rows,
        PlanOptions {
            group_patch: true,
            ..PlanOptions::default()
        },
    );
    let messages: Vec<String> = steps.iter().map(|s| commit_message(s, None)).collect();
    assert_eq!(
        messages,
        [
            "Update smallvec from 1.11.0 to 1.13.2 (minor)\n\n\
             Fixes RUSTSEC-2099-0007/CVE-2099-7777 (high)",
            // Sorted by registry name; 1.0.129 is yanked.
            "Update 3 dependencies (patch)\n\n\
             - log from 0.4.20 to 0.4.22\n\
             - serde from 1.0.100 to 1.0.215\n\
             - json (serde_json) from 1.0.120 to 1.0.128",
            "Update itoa from 0.4.8 to 1.0.14 (major, requirement changed)",
        ]
    );
}
