//! cargo-audit's semantics, checked against RustSec's own conversion: the OSV export of every
//! advisory was generated from its `patched`/`unaffected` lists by the `rustsec` crate, so the
//! TOML record (our interval rule) and the OSV record (OSV's event algorithm) must give the same
//! answer for every version — including prereleases and the versions either side of each bound.

mod common;

use common::DATA;
use palisade_advisory::{Advisory, Ecosystem, Event, Outcome};
use semver::Version;

/// Versions at and around `v`, prereleases and build metadata included.
fn around(v: &Version, out: &mut Vec<String>) {
    let (ma, mi, pa) = (v.major, v.minor, v.patch);
    out.extend([
        format!("{ma}.{mi}.{pa}"),
        format!("{ma}.{mi}.{pa}-0"),
        format!("{ma}.{mi}.{pa}-alpha.1"),
        format!("{ma}.{mi}.{pa}+build.5"),
        format!("{ma}.{mi}.{}", pa + 1),
        format!("{ma}.{mi}.{}-rc.1", pa + 1),
        format!("{ma}.{}.0", mi + 1),
        format!("{ma}.{}.0-0", mi + 1),
        format!("{}.0.0", ma + 1),
        format!("{}.0.0-beta", ma + 1),
    ]);
    if pa > 0 {
        out.push(format!("{ma}.{mi}.{}", pa - 1));
    }
    if mi > 0 {
        out.push(format!("{ma}.{}.99", mi - 1));
    }
    if !v.pre.is_empty() {
        out.push(v.to_string());
    }
}

fn candidates(toml: &Advisory, osv: &Advisory) -> Vec<String> {
    let mut versions = Vec::new();
    for entry in toml.affected.iter().chain(&osv.affected) {
        for event in entry.ranges.iter().flat_map(|r| &r.events) {
            if let Ok(v) = Version::parse(event.version()) {
                around(&v, &mut versions);
            } else {
                assert!(
                    matches!(event, Event::Introduced(v) if v == "0"),
                    "{}: {event:?}",
                    osv.id
                );
            }
        }
        let reqs = entry
            .rustsec
            .iter()
            .flat_map(|r| r.patched.iter().chain(&r.unaffected));
        for req in reqs {
            for c in semver::VersionReq::parse(req).unwrap().comparators {
                let v = Version {
                    major: c.major,
                    minor: c.minor.unwrap_or(0),
                    patch: c.patch.unwrap_or(0),
                    pre: c.pre,
                    build: semver::BuildMetadata::EMPTY,
                };
                around(&v, &mut versions);
            }
        }
    }
    versions.extend([
        "0.0.0".to_owned(),
        "0.0.1-0".to_owned(),
        "999.0.0".to_owned(),
    ]);
    versions.sort();
    versions.dedup();
    versions
}

#[test]
fn toml_and_osv_forms_agree_on_every_boundary() {
    let mut pairs = 0;
    let mut checks = 0;
    let mut disagreements = Vec::new();
    for toml in DATA.rustsec_crates.iter().filter(|a| a.withdrawn.is_none()) {
        let Some(osv) = DATA.osv_crates.iter().find(|o| o.id == toml.id) else {
            continue;
        };
        pairs += 1;
        let package = &toml.affected[0].package;
        for version in candidates(toml, osv) {
            checks += 1;
            let a = toml.check(&Ecosystem::CratesIo, package, &version);
            let b = osv.check(&Ecosystem::CratesIo, package, &version);
            assert!(
                !matches!(a, Outcome::CannotCompare(_)),
                "{}: {version}: {a:?}",
                toml.id
            );
            if a != b {
                disagreements.push(format!(
                    "{} {package} {version}: toml {a:?}, osv {b:?}",
                    toml.id
                ));
            }
        }
    }
    assert_eq!(pairs, 1192);
    assert!(checks > 25_000, "{checks}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
