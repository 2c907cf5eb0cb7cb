//! Advisories fixed by an update, the order `palisade update` tries updates in, and the
//! commit messages of the steps.

mod common;

use common::{advisory, available, dep};
use palisade_advisory::{Index, Severity};
use palisade_lockfile::DepKind;
use palisade_lockfile::Ecosystem::{CratesIo, Npm};
use palisade_update::{Jump, Outdated, PlanOptions, Step, commit_message, outdated, plan};

/// A small project: npm packages with GitHub advisories of every severity, crates with RustSec.
fn index() -> Index {
    Index::new([
        advisory(
            "GHSA-aaaa-aaaa-aaaa",
            &["CVE-2099-0001"],
            Npm,
            "express",
            "0",
            Some("4.19.2"),
            Some("HIGH"),
        ),
        advisory(
            "GHSA-bbbb-bbbb-bbbb",
            &[],
            Npm,
            "express",
            "4.0.0",
            Some("4.20.0"),
            Some("MODERATE"),
        ),
        advisory(
            "GHSA-cccc-cccc-cccc",
            &[],
            Npm,
            "lodash",
            "0",
            Some("4.17.21"),
            Some("CRITICAL"),
        ),
        advisory(
            "GHSA-dddd-dddd-dddd",
            &[],
            Npm,
            "minimist",
            "0",
            Some("1.2.6"),
            Some("LOW"),
        ),
        advisory(
            "GHSA-eeee-eeee-eeee",
            &[],
            Npm,
            "minimist",
            "0",
            None,
            Some("HIGH"),
        ),
        advisory(
            "RUSTSEC-2099-0001",
            &["GHSA-ffff-ffff-ffff"],
            CratesIo,
            "smallvec",
            "0.0.0-0",
            Some("1.6.1"),
            None,
        ),
        advisory(
            "RUSTSEC-2099-0002",
            &[],
            CratesIo,
            "time",
            "0.0.0-0",
            Some("0.2.23"),
            Some("MODERATE"),
        ),
    ])
}

fn rows(index: &Index) -> Vec<Outdated> {
    let npm = [
        // name, requirement, current, versions, latest tag
        (
            "express",
            "^4.18.0",
            "4.18.2",
            &["4.18.2", "4.19.2", "4.20.0", "4.21.1", "5.0.1"][..],
            Some("5.0.1"),
        ),
        (
            "lodash",
            "^4.17.15",
            "4.17.15",
            &["4.17.15", "4.17.20", "4.17.21"][..],
            Some("4.17.21"),
        ),
        (
            "minimist",
            "^1.2.0",
            "1.2.5",
            &["1.2.5", "1.2.6", "1.2.8"][..],
            Some("1.2.8"),
        ),
        (
            "debug",
            "^2.6.9",
            "2.6.9",
            &["2.6.9", "3.2.7", "4.3.4"][..],
            Some("4.3.4"),
        ),
        (
            "ms",
            "^2.1.1",
            "2.1.1",
            &["2.1.1", "2.1.2", "2.1.3"][..],
            Some("2.1.3"),
        ),
        ("chalk", "^5.3.0", "5.3.0", &["5.3.0"][..], Some("5.3.0")),
    ];
    let cargo = [
        (
            "smallvec",
            "1.6",
            "1.6.0",
            &["1.6.0", "1.6.1", "1.13.2"][..],
        ),
        (
            "time",
            "0.2",
            "0.2.22",
            &["0.2.22", "0.2.23", "0.2.27", "0.3.36"][..],
        ),
        ("itoa", "1", "1.0.9", &["1.0.9", "1.0.11"][..]),
    ];
    let mut rows = Vec::new();
    for (name, requirement, current, versions, tag) in npm {
        rows.push(
            outdated(
                &dep(Npm, name, requirement, current),
                &available(versions, tag),
                index,
            )
            .unwrap(),
        );
    }
    for (name, requirement, current, versions) in cargo {
        rows.push(
            outdated(
                &dep(CratesIo, name, requirement, current),
                &available(versions, None),
                index,
            )
            .unwrap(),
        );
    }
    rows
}

fn row<'a>(rows: &'a [Outdated], name: &str) -> &'a Outdated {
    rows.iter().find(|r| r.name == name).unwrap()
}

fn ids(fixes: &[palisade_update::Fix]) -> Vec<&str> {
    fixes.iter().map(|f| f.id.as_str()).collect()
}

fn order(steps: &[Step]) -> Vec<Vec<&str>> {
    steps
        .iter()
        .map(|s| s.updates.iter().map(|u| u.name.as_str()).collect())
        .collect()
}

#[test]
fn fixes_are_advisories_of_current_that_the_target_lacks() {
    let index = index();
    let rows = rows(&index);
    let express = row(&rows, "express");
    assert_eq!(express.wanted.as_deref(), Some("4.21.1"));
    assert_eq!(express.latest.as_deref(), Some("5.0.1"));
    assert_eq!(
        ids(&express.fixes),
        ["GHSA-aaaa-aaaa-aaaa", "GHSA-bbbb-bbbb-bbbb"],
        "worst first"
    );
    assert_eq!(ids(&express.wanted_fixes), ids(&express.fixes));
    assert_eq!(express.fixes[0].severity, Some(Severity::High));
    assert_eq!(express.fixes[0].aliases[0].as_str(), "CVE-2099-0001");
    assert!(express.unfixed.is_empty());

    // No release fixes GHSA-eeee: it is reported as unfixed, not as fixed.
    let minimist = row(&rows, "minimist");
    assert_eq!(ids(&minimist.fixes), ["GHSA-dddd-dddd-dddd"]);
    assert_eq!(ids(&minimist.unfixed), ["GHSA-eeee-eeee-eeee"]);

    let smallvec = row(&rows, "smallvec");
    assert_eq!(ids(&smallvec.fixes), ["RUSTSEC-2099-0001"]);
    assert_eq!(smallvec.fixes[0].severity, None);
    assert_eq!(
        smallvec.fixes[0].label(),
        "RUSTSEC-2099-0001/GHSA-ffff-ffff-ffff (severity unknown)"
    );
    // `wanted` (^1.6 → 1.13.2) fixes it as well.
    assert_eq!(ids(&smallvec.wanted_fixes), ["RUSTSEC-2099-0001"]);

    assert!(row(&rows, "debug").fixes.is_empty());
}

#[test]
fn security_first_orders_by_urgency_then_name() {
    let index = index();
    let rows = rows(&index);
    // chalk is up to date: no step.
    let steps = plan(&rows, PlanOptions::default());
    assert_eq!(
        order(&steps),
        [
            vec!["lodash"],   // critical
            vec!["express"],  // high (and moderate)
            vec!["time"],     // moderate
            vec!["smallvec"], // unrated: below moderate, above low
            vec!["minimist"], // low (its high advisory has no fix)
            vec!["debug"],    // the rest by name
            vec!["itoa"],
            vec!["ms"],
        ]
    );
    let express = &steps[1].updates[0];
    assert_eq!(
        (express.from.as_str(), express.to.as_str()),
        ("4.18.2", "5.0.1")
    );
    assert_eq!(express.jump, Jump::Major);
    assert!(express.edits_manifest, "5.0.1 is outside ^4.18.0");
    // The alternative: what the requirement allows, with what it fixes.
    assert_eq!(express.wanted.as_deref(), Some("4.21.1"));
    assert_eq!(express.wanted_jump, Jump::Minor);
    assert_eq!(express.wanted_fixes.len(), 2);
    let lodash = &steps[0].updates[0];
    assert_eq!(
        (lodash.wanted.as_deref(), lodash.edits_manifest),
        (None, false),
        "wanted == to"
    );
}

#[test]
fn without_security_first_everything_goes_by_name() {
    let index = index();
    let rows = rows(&index);
    let options = PlanOptions {
        security_first: false,
        ..PlanOptions::default()
    };
    let names: Vec<String> = plan(&rows, options)
        .iter()
        .map(|s| s.updates[0].name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "debug", "express", "itoa", "lodash", "minimist", "ms", "smallvec", "time"
        ]
    );
}

#[test]
fn patch_updates_can_be_grouped() {
    let index = index();
    let rows = rows(&index);
    let grouped = plan(
        &rows,
        PlanOptions {
            security_first: false,
            group_patch: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        order(&grouped),
        [
            vec!["itoa", "lodash", "minimist", "ms"],
            vec!["debug"],
            vec!["express"],
            vec!["smallvec"],
            vec!["time"],
        ]
    );
    assert!(grouped[0].is_group() && !grouped[1].is_group());
    assert_eq!(grouped[0].jump(), Jump::Patch);
    assert_eq!(grouped[0].fixes().count(), 2, "lodash's and minimist's");

    // With security first, fixing updates stay alone, before the group.
    let both = plan(
        &rows,
        PlanOptions {
            group_patch: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        order(&both),
        [
            vec!["lodash"],
            vec!["express"],
            vec!["time"],
            vec!["smallvec"],
            vec!["minimist"],
            vec!["itoa", "ms"],
            vec!["debug"],
        ]
    );
}

#[test]
fn only_limits_the_plan() {
    let index = index();
    let rows = rows(&index);
    let only = plan(
        &rows,
        PlanOptions {
            only: vec!["ms".into(), "express".into(), "chalk".into()],
            ..PlanOptions::default()
        },
    );
    assert_eq!(order(&only), [vec!["express"], vec!["ms"]]);
}

#[test]
fn one_update_per_locked_package_and_wanted_when_latest_is_behind() {
    let index = Index::new([]);
    let versions = available(&["1.0.100", "1.0.200"], None);
    let mut normal = dep(CratesIo, "serde", "1", "1.0.100");
    let mut rows = vec![outdated(&normal, &versions, &index).unwrap()];
    normal.kind = DepKind::Dev;
    rows.push(outdated(&normal, &versions, &index).unwrap());
    let steps = plan(&rows, PlanOptions::default());
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].updates[0].kind, DepKind::Normal);

    // npm's latest tag is below the range: the update goes to wanted.
    let row = outdated(
        &dep(Npm, "pkg", "^2.0.0", "2.0.0"),
        &available(&["1.5.0", "2.0.0", "2.1.0"], Some("1.5.0")),
        &index,
    )
    .unwrap();
    let steps = plan(&[row], PlanOptions::default());
    let update = &steps[0].updates[0];
    assert_eq!(
        (update.to.as_str(), update.jump, update.wanted.as_deref()),
        ("2.1.0", Jump::Minor, None)
    );
}

#[test]
fn commit_messages() {
    let index = index();
    let rows = rows(&index);
    let steps = plan(
        &rows,
        PlanOptions {
            group_patch: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        commit_message(&steps[0], Some("git+https://github.com/lodash/lodash.git")),
        "Update lodash from 4.17.15 to 4.17.21 (patch)\n\n\
         Repository: https://github.com/lodash/lodash\n\
         Release notes: https://github.com/lodash/lodash/releases\n\
         Fixes GHSA-cccc-cccc-cccc (critical)"
    );
    assert_eq!(
        commit_message(&steps[1], None),
        "Update express from 4.18.2 to 5.0.1 (major, requirement changed)\n\n\
         Fixes GHSA-aaaa-aaaa-aaaa/CVE-2099-0001 (high)\n\
         Fixes GHSA-bbbb-bbbb-bbbb (moderate)"
    );
    assert_eq!(
        commit_message(&steps[3], Some("https://gitlab.com/servo/rust-smallvec")),
        "Update smallvec from 1.6.0 to 1.13.2 (minor)\n\n\
         Repository: https://gitlab.com/servo/rust-smallvec\n\
         Fixes RUSTSEC-2099-0001/GHSA-ffff-ffff-ffff (severity unknown)"
    );
    // A group: one line per update; the repository of one package is not used.
    assert_eq!(
        commit_message(&steps[5], Some("https://github.com/x/y")),
        "Update 2 dependencies (patch)\n\n- itoa from 1.0.9 to 1.0.11\n- ms from 2.1.1 to 2.1.3"
    );
    // Without a body.
    assert_eq!(
        commit_message(&steps[6], Some("javascript:alert(1)")),
        "Update debug from 2.6.9 to 4.3.4 (major, requirement changed)"
    );
}

#[test]
fn aliases_show_in_messages() {
    let mut dependency = dep(Npm, "lodash", "^4.17.20", "4.17.20");
    dependency.alias = Some("lodash4".into());
    let row = outdated(
        &dependency,
        &available(&["4.17.20", "4.17.21"], Some("4.17.21")),
        &Index::new([]),
    )
    .unwrap();
    assert_eq!(row.key(), "lodash4");
    let steps = plan(
        &[row],
        PlanOptions {
            only: vec!["lodash4".into()],
            ..PlanOptions::default()
        },
    );
    assert_eq!(steps[0].updates[0].key(), "lodash4");
    assert_eq!(
        commit_message(&steps[0], None),
        "Update lodash4 (lodash) from 4.17.20 to 4.17.21 (patch)"
    );
}
