//! `Report::generate` over small hand-written indexes and lockfiles: vulnerabilities and
//! warnings, ignores (by alias, narrowed, expired), development packages, every fix advice
//! branch, `--fail-on` thresholds and a deterministic order.

mod common;

use common::{audit, date, index, lockfile, npm_advisory, osv_advisory, today};
use palisade_advisory::{Index, Informational, Severity};
use palisade_audit::{Advice, AuditSettings, FailOn, FindingKind, IgnoreFile, Report, Target};

/// `app` depends on express (`^4.17.0`), which pins qs 6.7.0 and asks for ms `^2.0.0`; on
/// left-pad 1.3.0 exactly; on `weird`, whose version no npm tool accepts; and, for development,
/// on jest-thing, which brings minimist.
const NPM_LOCK: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "dependencies": { "express": "^4.17.0", "left-pad": "1.3.0", "local": "file:../local", "weird": "*" },
      "devDependencies": { "jest-thing": "^1.0.0" }
    },
    "../local": {
      "name": "local",
      "version": "0.1.0"
    },
    "node_modules/express": {
      "version": "4.17.1",
      "dependencies": { "qs": "6.7.0", "ms": "^2.0.0" }
    },
    "node_modules/jest-thing": {
      "version": "1.0.0",
      "dev": true,
      "dependencies": { "minimist": "^1.2.0" }
    },
    "node_modules/left-pad": {
      "version": "1.3.0"
    },
    "node_modules/local": {
      "resolved": "../local",
      "link": true
    },
    "node_modules/minimist": {
      "version": "1.2.5",
      "dev": true
    },
    "node_modules/ms": {
      "version": "2.0.0"
    },
    "node_modules/qs": {
      "version": "6.7.0"
    },
    "node_modules/weird": {
      "version": "not-a-version"
    }
  }
}
"#;

const HIGH_VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"; // 7.5

fn npm_index() -> Index {
    index(vec![
        npm_advisory(
            "GHSA-qqqq-qqqq-qqqq",
            &[],
            "qs",
            "0",
            Some("6.7.3"),
            HIGH_VECTOR,
        ),
        npm_advisory(
            "GHSA-mmmm-mmmm-mmmm",
            &["CVE-2099-1000"],
            "ms",
            "0",
            Some("2.0.1"),
            "MODERATE",
        ),
        // The same issue in another database: merged, reported once.
        npm_advisory("CVE-2099-1000", &[], "ms", "0", Some("2.0.1"), "MODERATE"),
        npm_advisory(
            "GHSA-llll-llll-0001",
            &[],
            "left-pad",
            "0",
            None,
            "CRITICAL",
        ),
        npm_advisory(
            "GHSA-llll-llll-0002",
            &[],
            "left-pad",
            "0",
            Some("1.3.1"),
            "",
        ),
        npm_advisory(
            "GHSA-nnnn-nnnn-nnnn",
            &[],
            "minimist",
            "0",
            Some("1.2.6"),
            "LOW",
        ),
        npm_advisory(
            "GHSA-wwww-wwww-wwww",
            &[],
            "weird",
            "1.0.0",
            Some("2.0.0"),
            "HIGH",
        ),
    ])
}

fn settings() -> AuditSettings {
    AuditSettings::new(today())
}

fn ignores(text: &str) -> IgnoreFile {
    IgnoreFile::parse(".palisade-audit.toml", text).unwrap()
}

fn ids(report: &Report) -> Vec<String> {
    report.lockfiles[0]
        .findings
        .iter()
        .map(|f| format!("{} {}", f.package.id(), f.advisory.id))
        .collect()
}

#[test]
fn findings_counts_and_order() {
    let report = audit(&npm_index(), "package-lock.json", NPM_LOCK, &settings());
    let lock = &report.lockfiles[0];
    // Critical first, then unknown, high, moderate, low; ties by package, then id.
    assert_eq!(
        ids(&report),
        [
            "left-pad@1.3.0 GHSA-llll-llll-0001",
            "left-pad@1.3.0 GHSA-llll-llll-0002",
            "qs@6.7.0 GHSA-qqqq-qqqq-qqqq",
            "ms@2.0.0 GHSA-mmmm-mmmm-mmmm",
            "minimist@1.2.5 GHSA-nnnn-nnnn-nnnn",
        ]
    );
    let ms = &lock.findings[3];
    assert_eq!(ms.advisory.aliases, ["CVE-2099-1000"]);
    assert_eq!(ms.severity(), Some(Severity::Moderate));
    assert_eq!(ms.line, Some(36));
    let qs = &lock.findings[2];
    assert_eq!(qs.advisory.cvss.as_ref().map(|c| c.score), Some(7.5));
    assert_eq!(qs.package.path, ["app@1.0.0", "express@4.17.1", "qs@6.7.0"]);
    assert!(!qs.package.direct && !qs.package.dev);
    assert!(lock.findings[4].package.dev);

    assert_eq!((lock.packages, lock.audited, lock.dev_skipped), (8, 7, 0));
    assert_eq!(lock.not_auditable.len(), 1);
    assert_eq!(lock.not_auditable[0].name, "local");
    assert!(lock.not_auditable[0].reason.ends_with("not auditable"));
    // `not-a-version` cannot be compared: a warning, not a silent miss.
    assert_eq!(lock.unchecked.len(), 1);
    assert_eq!(lock.unchecked[0].advisory.id, "GHSA-wwww-wwww-wwww");
    assert_eq!(lock.unchecked[0].reason, "not a valid npm semver version");

    let summary = report.summary();
    assert_eq!(
        (
            summary.vulnerabilities,
            summary.vulnerable_packages,
            summary.warnings()
        ),
        (5, 4, 1)
    );
    assert_eq!(
        summary.line(),
        "5 vulnerabilities (1 critical, 1 unknown, 1 high, 1 moderate, 1 low) in 4 packages; 1 warning"
    );
    assert_eq!(report.advisories, 6);
}

#[test]
fn the_same_input_gives_the_same_report() {
    let index = npm_index();
    let forward = lockfile("package-lock.json", NPM_LOCK);
    let mut backward = forward.clone();
    backward.packages.reverse();
    let one = Report::generate(&index, &[Target::new("a", &forward)], &settings());
    let two = Report::generate(&index, &[Target::new("a", &backward)], &settings());
    assert_eq!(one, two);
    assert_eq!(
        palisade_audit::render::json(&one),
        palisade_audit::render::json(&two)
    );
}

#[test]
fn fix_advice_branches() {
    let report = audit(&npm_index(), "package-lock.json", NPM_LOCK, &settings());
    let advice = |id: &str| {
        report.lockfiles[0]
            .findings
            .iter()
            .find(|f| f.advisory.id == id)
            .map(|f| f.advice.clone())
            .unwrap()
    };
    // express asks for ms ^2.0.0, which allows 2.0.1.
    assert_eq!(
        advice("GHSA-mmmm-mmmm-mmmm"),
        Advice::UpdateLockfile {
            package: "ms".into(),
            fixed: "2.0.1".into(),
            requirement: "^2.0.0".into(),
            command: Some("npm update ms".into()),
        }
    );
    // express pins qs 6.7.0: only a newer express helps.
    assert_eq!(
        advice("GHSA-qqqq-qqqq-qqqq").to_string(),
        "a newer express is needed: express@4.17.1 requires qs 6.7.0, which excludes 6.7.3"
    );
    // The project pins left-pad 1.3.0 itself.
    assert_eq!(
        advice("GHSA-llll-llll-0002").to_string(),
        "bump left-pad to >= 1.3.1 (its requirement 1.3.0 excludes it)"
    );
    assert_eq!(
        advice("GHSA-llll-llll-0001").to_string(),
        "no fixed version; consider replacing left-pad"
    );
    // A Cargo.lock records no requirements: the advice says what to try.
    let cargo = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"tokio\"]\n\n\
                 [[package]]\nname = \"bytes\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
                 [[package]]\nname = \"tokio\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"bytes\"]\n";
    let idx = index(vec![osv_advisory(
        "crates.io",
        "RUSTSEC-2099-0001",
        &[],
        "bytes",
        "0.0.0-0",
        Some("1.1.1"),
        "",
    )]);
    let report = audit(&idx, "Cargo.lock", cargo, &settings());
    let f = &report.lockfiles[0].findings[0];
    assert_eq!(f.advice.action(), "upgrade");
    assert_eq!(
        f.advice.to_string(),
        "upgrade bytes to >= 1.1.1 (`cargo update -p bytes@1.0.0 --precise 1.1.1`); if \
         tokio@1.0.0 does not allow it, a newer tokio is needed"
    );
    assert_eq!(f.line, Some(9));
}

#[test]
fn informational_advisories_are_warnings() {
    let cargo = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"ansi_term\", \"smallvec\"]\n\n\
                 [[package]]\nname = \"ansi_term\"\nversion = \"0.12.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
                 [[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let idx = index(vec![
        common::rustsec_informational("RUSTSEC-2099-0002", "ansi_term", "unmaintained", &[]),
        common::rustsec_informational("RUSTSEC-2099-0003", "smallvec", "unsound", &[">= 1.6.1"]),
    ]);
    let report = audit(&idx, "Cargo.lock", cargo, &settings());
    let lock = &report.lockfiles[0];
    let kinds: Vec<&FindingKind> = lock.findings.iter().map(|f| &f.kind).collect();
    assert_eq!(
        kinds,
        [
            &FindingKind::Warning(Informational::Unmaintained),
            &FindingKind::Warning(Informational::Unsound),
        ]
    );
    assert_eq!(report.vulnerabilities().count(), 0);
    assert_eq!(report.warnings().count(), 2);
    // Warnings never fail an audit, whatever the threshold.
    assert!(!report.fails(&FailOn::Low));
    assert_eq!(report.summary().informational, 2);
    assert_eq!(lock.findings[0].advice.action(), "no-fix");

    // A vulnerability among them still fails.
    let idx = index(vec![
        common::rustsec_informational("RUSTSEC-2099-0002", "ansi_term", "unmaintained", &[]),
        osv_advisory(
            "crates.io",
            "RUSTSEC-2021-0003",
            &[],
            "smallvec",
            "1.0.0",
            Some("1.6.1"),
            "CRITICAL",
        ),
    ]);
    let report = audit(&idx, "Cargo.lock", cargo, &settings());
    assert!(report.lockfiles[0].findings[0].is_vulnerability());
    assert!(report.fails(&FailOn::Critical));
}

#[test]
fn ignores_by_id_alias_and_package() {
    let index = npm_index();
    // By alias, any case; left-pad's critical one narrowed to left-pad.
    let file = ignores(
        "[[ignore]]\nid = \"cve-2099-1000\"\nreason = \"ms only parses our own durations\"\n\n\
         [[ignore]]\nid = \"GHSA-llll-llll-0001\"\nreason = \"replacing it in #42\"\npackage = \"left-pad\"\n\n\
         [[ignore]]\nid = \"GHSA-qqqq-qqqq-qqqq\"\nreason = \"wrong package\"\npackage = \"express\"\n",
    );
    let report = audit(
        &index,
        "package-lock.json",
        NPM_LOCK,
        &settings().with_ignores(file),
    );
    let lock = &report.lockfiles[0];
    let ignored: Vec<(String, &str)> = lock
        .ignored
        .iter()
        .map(|i| (i.package.id(), i.ignore.reason.as_str()))
        .collect();
    assert_eq!(
        ignored,
        [
            ("left-pad@1.3.0".to_owned(), "replacing it in #42"),
            ("ms@2.0.0".to_owned(), "ms only parses our own durations"),
        ]
    );
    // The package narrowing kept qs reported.
    assert!(ids(&report).contains(&"qs@6.7.0 GHSA-qqqq-qqqq-qqqq".to_owned()));
    assert_eq!(report.summary().ignored, 2);
    assert!(report.expired_ignores.is_empty());

    // Ignored findings never fail an audit.
    let only_left_pad = ignores(
        "[[ignore]]\nid = \"GHSA-llll-llll-0001\"\nreason = \"r\"\n\n[[ignore]]\nid = \"GHSA-llll-llll-0002\"\nreason = \"r\"\n\n\
         [[ignore]]\nid = \"GHSA-qqqq-qqqq-qqqq\"\nreason = \"r\"\n",
    );
    let report = audit(
        &index,
        "package-lock.json",
        NPM_LOCK,
        &settings().with_ignores(only_left_pad),
    );
    assert!(!report.fails(&FailOn::High));
    assert!(report.fails(&FailOn::Moderate));
}

#[test]
fn an_expired_ignore_warns_and_stops_ignoring() {
    let text = "[[ignore]]\nid = \"GHSA-mmmm-mmmm-mmmm\"\nreason = \"until the upgrade\"\nexpires = \"2026-04-30\"\n";
    let index = npm_index();
    // On its last day it still ignores.
    let on_the_day = AuditSettings::new(date("2026-04-30")).with_ignores(ignores(text));
    let report = audit(&index, "package-lock.json", NPM_LOCK, &on_the_day);
    assert_eq!(report.lockfiles[0].ignored.len(), 1);
    assert!(report.expired_ignores.is_empty());
    // The day after, the finding is back and the ignore is reported.
    let report = audit(
        &index,
        "package-lock.json",
        NPM_LOCK,
        &settings().with_ignores(ignores(text)),
    );
    assert!(report.lockfiles[0].ignored.is_empty());
    assert!(ids(&report).contains(&"ms@2.0.0 GHSA-mmmm-mmmm-mmmm".to_owned()));
    assert_eq!(report.expired_ignores.len(), 1);
    assert_eq!(report.expired_ignores[0].line, 2);
    assert_eq!(report.summary().warnings(), 2); // the expired ignore + the unchecked version
}

#[test]
fn development_packages_can_be_left_out() {
    let index = npm_index();
    let report = audit(
        &index,
        "package-lock.json",
        NPM_LOCK,
        &settings().without_dev(),
    );
    let lock = &report.lockfiles[0];
    assert_eq!(lock.dev_skipped, 2); // jest-thing and minimist
    assert_eq!(lock.audited, 5);
    assert!(!ids(&report).iter().any(|id| id.starts_with("minimist")));
    assert!(!report.include_dev);
}

#[test]
fn fail_on_thresholds() {
    let lock = r#"{"name": "app", "lockfileVersion": 3, "packages": {
      "": {"name": "app", "dependencies": {"a": "^1.0.0", "b": "^1.0.0"}},
      "node_modules/a": {"version": "1.0.0"},
      "node_modules/b": {"version": "1.0.0"}}}"#;
    let run = |severities: [&str; 2]| {
        let idx = index(vec![
            npm_advisory(
                "GHSA-aaaa-aaaa-aaaa",
                &[],
                "a",
                "0",
                Some("1.0.1"),
                severities[0],
            ),
            npm_advisory(
                "GHSA-bbbb-bbbb-bbbb",
                &[],
                "b",
                "0",
                Some("1.0.1"),
                severities[1],
            ),
        ]);
        let report = audit(&idx, "package-lock.json", lock, &settings());
        [
            FailOn::Low,
            FailOn::Moderate,
            FailOn::High,
            FailOn::Critical,
        ]
        .map(|t| report.fails(&t))
    };
    assert_eq!(run(["MODERATE", "LOW"]), [true, true, false, false]);
    assert_eq!(run(["HIGH", "LOW"]), [true, true, true, false]);
    assert_eq!(run(["CRITICAL", "LOW"]), [true, true, true, true]);
    // CVSS 0.0 ("none") fails at no threshold.
    let zero = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N";
    assert_eq!(run([zero, zero]), [false, false, false, false]);
    // Without severity data: unknown, so every threshold fails (fail closed).
    assert_eq!(run(["", zero]), [true, true, true, true]);
    // A clean audit fails nothing.
    let report = audit(&index(vec![]), "package-lock.json", lock, &settings());
    assert!(!report.fails(&FailOn::Low));
}

#[test]
fn several_lockfiles_keep_their_order() {
    let index = npm_index();
    let a = lockfile("package-lock.json", NPM_LOCK);
    let b = lockfile(
        "package-lock.json",
        r#"{"name": "b", "lockfileVersion": 3, "packages": {"": {"name": "b", "dependencies": {"qs": "^6.7.0"}},
           "node_modules/qs": {"version": "6.7.0"}}}"#,
    );
    let report = Report::generate(
        &index,
        &[
            Target::new("z/package-lock.json", &a),
            Target::new("a/package-lock.json", &b),
        ],
        &settings(),
    );
    let paths: Vec<&str> = report.lockfiles.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(paths, ["z/package-lock.json", "a/package-lock.json"]);
    // Same package in two lockfiles: two findings, one vulnerable package.
    let summary = report.summary();
    assert_eq!(summary.vulnerabilities, 6);
    assert_eq!(summary.vulnerable_packages, 4);
    assert_eq!(
        report.lockfiles[1].findings[0].advice.action(),
        "update-lockfile"
    );
}
