//! Builders shared by the integration tests: dependencies, registry data, advisories.
#![allow(dead_code)] // each test binary uses part of it

use palisade_advisory::{Index, osv};
use palisade_lockfile::{DepKind, Ecosystem};
use palisade_update::{Available, Dependency, Outdated, Published, outdated};

pub fn dep(ecosystem: Ecosystem, name: &str, requirement: &str, current: &str) -> Dependency {
    Dependency {
        name: name.into(),
        alias: None,
        ecosystem,
        kind: DepKind::Normal,
        requirement: requirement.into(),
        current: current.into(),
    }
}

/// Published versions; a trailing `!` marks one yanked (crates.io) or deprecated (npm).
pub fn available(versions: &[&str], latest_tag: Option<&str>) -> Available {
    Available {
        versions: versions
            .iter()
            .map(|v| match v.strip_suffix('!') {
                Some(v) => Published::yanked(v),
                None => Published::new(*v),
            })
            .collect(),
        latest_tag: latest_tag.map(Into::into),
    }
}

pub fn no_advisories() -> Index {
    Index::new([])
}

/// `(wanted, latest)` for a requirement against published versions.
pub fn wanted_latest(
    ecosystem: Ecosystem,
    requirement: &str,
    current: &str,
    versions: &[&str],
    latest_tag: Option<&str>,
) -> (Option<String>, Option<String>) {
    let row = check(ecosystem, requirement, current, versions, latest_tag);
    (row.wanted, row.latest)
}

pub fn check(
    ecosystem: Ecosystem,
    requirement: &str,
    current: &str,
    versions: &[&str],
    latest_tag: Option<&str>,
) -> Outdated {
    outdated(
        &dep(ecosystem, "pkg", requirement, current),
        &available(versions, latest_tag),
        &no_advisories(),
    )
    .unwrap_or_else(|e| panic!("{requirement} @ {current}: {e}"))
}

/// An OSV advisory for one package: affected from `introduced` until `fixed` (open-ended
/// without), with a GitHub severity label (`None` for an unrated one).
pub fn advisory(
    id: &str,
    aliases: &[&str],
    ecosystem: Ecosystem,
    package: &str,
    introduced: &str,
    fixed: Option<&str>,
    severity: Option<&str>,
) -> palisade_advisory::Advisory {
    let mut events = vec![format!(r#"{{"introduced": "{introduced}"}}"#)];
    if let Some(fixed) = fixed {
        events.push(format!(r#"{{"fixed": "{fixed}"}}"#));
    }
    let severity = severity
        .map(|s| format!(r#", "database_specific": {{"severity": "{s}"}}"#))
        .unwrap_or_default();
    let aliases: Vec<String> = aliases.iter().map(|a| format!("\"{a}\"")).collect();
    let json = format!(
        r#"{{"id": "{id}", "aliases": [{}], "summary": "test"{severity},
        "affected": [{{"package": {{"ecosystem": "{}", "name": "{package}"}},
          "ranges": [{{"type": "SEMVER", "events": [{}]}}]}}]}}"#,
        aliases.join(", "),
        ecosystem.as_str(),
        events.join(", ")
    );
    osv::parse_json(&json, &format!("{id}.json")).unwrap()
}
