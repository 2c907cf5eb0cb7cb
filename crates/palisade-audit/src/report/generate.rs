//! [`Report::generate`]: every auditable package of every lockfile against the index.

use std::cmp::Ordering;
use std::collections::HashSet;

use palisade_advisory::{Ecosystem as AdvisoryEcosystem, Index, Verdict};
use palisade_lockfile::{LockfileKind, Source};

use super::{
    AdvisoryInfo, AffectedPackage, AuditSettings, Finding, FindingKind, Ignored, LockfileReport,
    NotAuditable, Report, Target, Unchecked, YankedPackage, severity_rank,
};
use crate::advice::advise;
use crate::locate::LineIndex;

impl Report {
    /// Audits `targets` against `index`.
    ///
    /// Per lockfile: the project's own packages are skipped; development-only packages are
    /// skipped when [`AuditSettings::include_dev`] is off; packages that are not registry
    /// packages are listed as [not auditable](LockfileReport::not_auditable) with the reason;
    /// every other package is looked up. Each advisory that applies gives one finding per
    /// (lockfile, package@version, advisory) — the index has already merged the databases'
    /// records of one issue — unless an unexpired ignore names it (by id or alias, and package
    /// if given), in which case it is listed under [`LockfileReport::ignored`] with the reason.
    /// Advisories that cannot be evaluated for the version go to
    /// [`LockfileReport::unchecked`]. Expired ignores ignore nothing and are listed in
    /// [`Report::expired_ignores`]. Audited packages that [`AuditSettings::yanked`] lists go
    /// to [`LockfileReport::yanked`], whatever the advisories say.
    ///
    /// ```
    /// use palisade_advisory::{osv, Index};
    /// use palisade_audit::{AuditSettings, Date, FailOn, Report, Target};
    ///
    /// let advisory = r#"{"id": "GHSA-vjh7-7g9h-fjfh", "summary": "ms is slow on long strings",
    ///   "database_specific": {"severity": "MODERATE"},
    ///   "affected": [{"package": {"ecosystem": "npm", "name": "ms"},
    ///     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.1"}]}]}]}"#;
    /// let index = Index::new([osv::parse_json(advisory, "a.json").unwrap()]);
    /// let lock = palisade_lockfile::parse("package-lock.json", r#"{"lockfileVersion": 3,
    ///   "packages": {"": {"name": "app", "dependencies": {"debug": "^2.6.9"}},
    ///     "node_modules/debug": {"version": "2.6.9", "dependencies": {"ms": "^2.0.0"}},
    ///     "node_modules/ms": {"version": "2.0.0"}}}"#).unwrap();
    ///
    /// let settings = AuditSettings::new(Date::parse("2026-05-01").unwrap());
    /// let report = Report::generate(&index, &[Target::new("package-lock.json", &lock)], &settings);
    /// let finding = &report.lockfiles[0].findings[0];
    /// assert_eq!(finding.package.id(), "ms@2.0.0");
    /// assert_eq!(finding.fixed_in.as_deref(), Some("2.0.1"));
    /// assert_eq!(finding.advice.action(), "update-lockfile"); // ^2.0.0 allows 2.0.1
    /// assert!(report.fails(&FailOn::Moderate));
    /// assert!(!report.fails(&FailOn::High));
    /// ```
    pub fn generate(index: &Index, targets: &[Target<'_>], settings: &AuditSettings) -> Report {
        let lockfiles = targets
            .iter()
            .map(|target| audit_one(index, target, settings))
            .collect();
        let expired_ignores = settings
            .ignores
            .ignores()
            .iter()
            .filter(|i| i.is_expired(settings.today))
            .cloned()
            .collect();
        Report {
            date: settings.today,
            advisories: index.total(),
            include_dev: settings.include_dev,
            yanked_checked: settings.yanked.any_checked(),
            lockfiles,
            expired_ignores,
        }
    }
}

fn audit_one(index: &Index, target: &Target<'_>, settings: &AuditSettings) -> LockfileReport {
    let lockfile = target.lockfile;
    let ecosystem = AdvisoryEcosystem::from_osv(lockfile.kind.ecosystem().as_str());
    let yarn_berry = lockfile.kind == LockfileKind::YarnLock
        && target
            .text
            .is_some_and(|t| t.lines().any(|l| l.starts_with("__metadata:")));
    let mut report = LockfileReport {
        path: target.path.to_owned(),
        kind: lockfile.kind,
        ecosystem: lockfile.kind.ecosystem(),
        packages: 0,
        audited: 0,
        dev_skipped: 0,
        findings: Vec::new(),
        ignored: Vec::new(),
        not_auditable: Vec::new(),
        unchecked: Vec::new(),
        yanked_checked: settings.yanked.is_checked(lockfile.kind.ecosystem()),
        yanked: Vec::new(),
    };
    // Only look up what could be there.
    let yanked = (!settings.yanked.is_empty()).then_some(&settings.yanked);
    // The lockfile model has one entry per (name, version) already; this guards the
    // "once per (lockfile, package@version, advisory)" promise against any input.
    let mut seen: HashSet<(&str, &str, &str)> = HashSet::new();
    let mut lines: Option<LineIndex<'_>> = None;

    for package in &lockfile.packages {
        if package.source == Source::Workspace {
            continue;
        }
        report.packages += 1;
        if package.dev && !settings.include_dev {
            report.dev_skipped += 1;
            continue;
        }
        if !package.source.is_auditable() || package.version.is_empty() {
            let reason = if package.source.is_auditable() {
                "no version recorded: not auditable".to_owned()
            } else {
                package.source.to_string()
            };
            report.not_auditable.push(NotAuditable {
                name: package.name.clone(),
                version: package.version.clone(),
                reason,
            });
            continue;
        }
        report.audited += 1;

        if yanked.is_some_and(|y| y.contains(package.ecosystem, &package.name, &package.version)) {
            let line = target.text.and_then(|t| {
                lines
                    .get_or_insert_with(|| LineIndex::new(t, lockfile.kind))
                    .line(&package.name, &package.version)
            });
            report.yanked.push(YankedPackage {
                package: AffectedPackage::of(package),
                line,
            });
        }

        let found = index.affected(&ecosystem, &package.name, &package.version);
        if found.is_empty() {
            continue;
        }
        // Split once per lockfile, and only when something was found.
        let line = target.text.and_then(|t| {
            lines
                .get_or_insert_with(|| LineIndex::new(t, lockfile.kind))
                .line(&package.name, &package.version)
        });
        for found in found {
            let advisory = found.advisory;
            if !seen.insert((&package.name, &package.version, advisory.id.as_str())) {
                continue;
            }
            let kind = FindingKind::of(&advisory.kind);
            let ignore = settings.ignores.active_match(
                settings.today,
                &advisory.id,
                &advisory.aliases,
                &ecosystem,
                &package.name,
            );
            if let Some(ignore) = ignore {
                report.ignored.push(Ignored {
                    package: AffectedPackage::of(package),
                    advisory: AdvisoryInfo::of(advisory),
                    kind,
                    ignore: ignore.clone(),
                    line,
                });
                continue;
            }
            match found.verdict {
                Verdict::Affected => {
                    let advice = advise(
                        lockfile.kind,
                        yarn_berry,
                        &ecosystem,
                        package,
                        found.fixed_in.as_deref(),
                    );
                    report.findings.push(Finding {
                        package: AffectedPackage::of(package),
                        advisory: AdvisoryInfo::of(advisory),
                        kind,
                        fixed_in: found.fixed_in,
                        advice,
                        line,
                    });
                }
                Verdict::CannotCompare(why) => report.unchecked.push(Unchecked {
                    package: AffectedPackage::of(package),
                    advisory: AdvisoryInfo::of(advisory),
                    kind,
                    reason: why.reason.to_string(),
                    line,
                }),
            }
        }
    }

    report.findings.sort_by(|a, b| {
        order(
            (&a.kind, a.severity(), &a.package, a.advisory.id.as_str()),
            (&b.kind, b.severity(), &b.package, b.advisory.id.as_str()),
        )
    });
    report.ignored.sort_by(|a, b| {
        order(
            (
                &a.kind,
                a.advisory.severity,
                &a.package,
                a.advisory.id.as_str(),
            ),
            (
                &b.kind,
                b.advisory.severity,
                &b.package,
                b.advisory.id.as_str(),
            ),
        )
    });
    report.unchecked.sort_by(|a, b| {
        (&a.package.name, &a.package.version, a.advisory.id.as_str()).cmp(&(
            &b.package.name,
            &b.package.version,
            b.advisory.id.as_str(),
        ))
    });
    report.yanked.sort_by(|a, b| {
        a.package
            .name
            .cmp(&b.package.name)
            .then_with(|| version_order(&a.package, &b.package))
    });
    report.yanked.dedup_by(|a, b| {
        a.package.name == b.package.name && a.package.version == b.package.version
    });
    report
}

type SortKey<'a> = (
    &'a FindingKind,
    Option<palisade_advisory::Severity>,
    &'a AffectedPackage,
    &'a str,
);

/// Vulnerabilities before warnings; then severity, highest first; then package name, version
/// and advisory id, so the same input always renders the same report.
fn order(a: SortKey<'_>, b: SortKey<'_>) -> Ordering {
    let warning = |k: &FindingKind| matches!(k, FindingKind::Warning(_));
    warning(a.0)
        .cmp(&warning(b.0))
        .then(severity_rank(a.1).cmp(&severity_rank(b.1)))
        .then_with(|| a.2.name.cmp(&b.2.name))
        .then_with(|| version_order(a.2, b.2))
        .then_with(|| a.3.cmp(b.3))
}

/// Versions by the ecosystem's order (`9.0.0` before `10.0.0`), as text when they do not parse.
fn version_order(a: &AffectedPackage, b: &AffectedPackage) -> Ordering {
    let ecosystem = AdvisoryEcosystem::from_osv(a.ecosystem.as_str());
    palisade_advisory::compare_versions(&ecosystem, &a.version, &b.version)
        .filter(|o| o.is_ne())
        .unwrap_or_else(|| a.version.cmp(&b.version))
}
