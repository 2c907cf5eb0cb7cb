//! `--json`: the stable machine-readable report. The wire structs below are the schema; they
//! are kept apart from the domain types so the report model can change without changing the
//! output. `docs/audit-json.md` documents every field and `docs/audit-report.schema.json` is
//! its JSON Schema; a test validates the output against it.
//!
//! Stability: within one `schema_version`, fields are only ever added (consumers should ignore
//! fields they do not know); renaming, removing or retyping a field bumps the version.

use serde::Serialize;

use super::severity_name;
use crate::advice::Advice;
use crate::ignore::Ignore;
use crate::report::{
    AdvisoryInfo, AffectedPackage, Finding, FindingKind, LockfileReport, Report, YankedPackage,
    kind_name,
};

/// The `schema_version` this renderer writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The report as JSON (pretty-printed, fields in a fixed order).
///
/// ```
/// use palisade_audit::{AuditSettings, Date, Report, render};
///
/// let report = Report::generate(
///     &palisade_advisory::Index::new([]),
///     &[],
///     &AuditSettings::new(Date::parse("2026-05-01").unwrap()),
/// );
/// let value: serde_json::Value = serde_json::from_str(&render::json(&report)).unwrap();
/// assert_eq!(value["schema_version"], 1);
/// assert_eq!(value["summary"]["vulnerabilities"], 0);
/// ```
pub fn json(report: &Report) -> String {
    let wire = Wire::of(report);
    // Serialising plain structs of strings, numbers and vectors cannot fail.
    serde_json::to_string_pretty(&wire).unwrap_or_default()
}

#[derive(Serialize)]
struct Wire<'a> {
    schema_version: u32,
    tool: Tool,
    date: String,
    include_dev: bool,
    yanked_checked: bool,
    advisories: usize,
    summary: SummaryWire,
    lockfiles: Vec<LockfileWire<'a>>,
    expired_ignores: Vec<IgnoreWire<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SummaryWire {
    lockfiles: usize,
    packages: usize,
    audited: usize,
    dev_skipped: usize,
    not_auditable: usize,
    vulnerabilities: usize,
    by_severity: BySeverity,
    vulnerable_packages: usize,
    warnings: usize,
    informational: usize,
    unchecked: usize,
    expired_ignores: usize,
    ignored: usize,
    yanked: usize,
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    moderate: usize,
    low: usize,
    none: usize,
    unknown: usize,
}

#[derive(Serialize)]
struct LockfileWire<'a> {
    path: &'a str,
    kind: &'static str,
    ecosystem: &'static str,
    packages: usize,
    audited: usize,
    dev_skipped: usize,
    vulnerabilities: Vec<FindingWire<'a>>,
    warnings: Vec<FindingWire<'a>>,
    ignored: Vec<IgnoredWire<'a>>,
    unchecked: Vec<UncheckedWire<'a>>,
    yanked_checked: bool,
    yanked: Vec<YankedWire<'a>>,
    not_auditable: Vec<NotAuditableWire<'a>>,
}

#[derive(Serialize)]
struct FindingWire<'a> {
    package: PackageWire<'a>,
    advisory: AdvisoryWire<'a>,
    kind: &'static str,
    informational: Option<&'a str>,
    fixed_in: Option<&'a str>,
    advice: AdviceWire<'a>,
    line: Option<u32>,
}

#[derive(Serialize)]
struct PackageWire<'a> {
    name: &'a str,
    version: &'a str,
    ecosystem: &'static str,
    direct: bool,
    dev: bool,
    path: &'a [String],
    requested: Option<&'a str>,
}

#[derive(Serialize)]
struct AdvisoryWire<'a> {
    id: &'a str,
    aliases: Vec<&'a str>,
    summary: &'a str,
    details: &'a str,
    url: String,
    severity: &'static str,
    cvss: Option<CvssWire<'a>>,
}

#[derive(Serialize)]
struct CvssWire<'a> {
    score: f64,
    vector: &'a str,
}

#[derive(Serialize)]
struct AdviceWire<'a> {
    action: &'static str,
    text: String,
    fixed: Option<&'a str>,
    command: Option<&'a str>,
    requirement: Option<&'a str>,
    parent: Option<&'a str>,
    direct: Option<&'a str>,
}

#[derive(Serialize)]
struct IgnoredWire<'a> {
    package: PackageWire<'a>,
    advisory: AdvisoryWire<'a>,
    kind: &'static str,
    informational: Option<&'a str>,
    ignore: IgnoreWire<'a>,
    line: Option<u32>,
}

#[derive(Serialize)]
struct UncheckedWire<'a> {
    package: PackageWire<'a>,
    advisory: AdvisoryWire<'a>,
    reason: &'a str,
    line: Option<u32>,
}

#[derive(Serialize)]
struct YankedWire<'a> {
    package: PackageWire<'a>,
    line: Option<u32>,
}

#[derive(Serialize)]
struct NotAuditableWire<'a> {
    name: &'a str,
    version: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct IgnoreWire<'a> {
    id: &'a str,
    reason: &'a str,
    expires: Option<String>,
    package: Option<&'a str>,
    file: &'a str,
    line: u32,
}

impl<'a> Wire<'a> {
    fn of(report: &'a Report) -> Self {
        let s = report.summary();
        Wire {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "palisade",
                version: env!("CARGO_PKG_VERSION"),
            },
            date: report.date.to_string(),
            include_dev: report.include_dev,
            yanked_checked: report.yanked_checked,
            advisories: report.advisories,
            summary: SummaryWire {
                lockfiles: s.lockfiles,
                packages: s.packages,
                audited: s.audited,
                dev_skipped: s.dev_skipped,
                not_auditable: s.not_auditable,
                vulnerabilities: s.vulnerabilities,
                by_severity: BySeverity {
                    critical: s.critical,
                    high: s.high,
                    moderate: s.moderate,
                    low: s.low,
                    none: s.none,
                    unknown: s.unknown,
                },
                vulnerable_packages: s.vulnerable_packages,
                warnings: s.warnings(),
                informational: s.informational,
                unchecked: s.unchecked,
                expired_ignores: s.expired_ignores,
                ignored: s.ignored,
                yanked: s.yanked,
            },
            lockfiles: report.lockfiles.iter().map(LockfileWire::of).collect(),
            expired_ignores: report.expired_ignores.iter().map(IgnoreWire::of).collect(),
        }
    }
}

impl<'a> LockfileWire<'a> {
    fn of(l: &'a LockfileReport) -> Self {
        let (vulnerabilities, warnings): (Vec<&Finding>, Vec<&Finding>) =
            l.findings.iter().partition(|f| f.is_vulnerability());
        LockfileWire {
            path: &l.path,
            kind: kind_name(l.kind),
            ecosystem: l.ecosystem.as_str(),
            packages: l.packages,
            audited: l.audited,
            dev_skipped: l.dev_skipped,
            vulnerabilities: vulnerabilities.into_iter().map(FindingWire::of).collect(),
            warnings: warnings.into_iter().map(FindingWire::of).collect(),
            ignored: l
                .ignored
                .iter()
                .map(|i| IgnoredWire {
                    package: PackageWire::of(&i.package),
                    advisory: AdvisoryWire::of(&i.advisory),
                    kind: kind_tag(&i.kind),
                    informational: informational(&i.kind),
                    ignore: IgnoreWire::of(&i.ignore),
                    line: i.line,
                })
                .collect(),
            unchecked: l
                .unchecked
                .iter()
                .map(|u| UncheckedWire {
                    package: PackageWire::of(&u.package),
                    advisory: AdvisoryWire::of(&u.advisory),
                    reason: &u.reason,
                    line: u.line,
                })
                .collect(),
            yanked_checked: l.yanked_checked,
            yanked: l.yanked.iter().map(YankedWire::of).collect(),
            not_auditable: l
                .not_auditable
                .iter()
                .map(|n| NotAuditableWire {
                    name: &n.name,
                    version: &n.version,
                    reason: &n.reason,
                })
                .collect(),
        }
    }
}

fn kind_tag(kind: &FindingKind) -> &'static str {
    match kind {
        FindingKind::Vulnerability => "vulnerability",
        FindingKind::Warning(_) => "warning",
    }
}

fn informational(kind: &FindingKind) -> Option<&str> {
    match kind {
        FindingKind::Vulnerability => None,
        FindingKind::Warning(i) => Some(i.as_str()),
    }
}

impl<'a> FindingWire<'a> {
    fn of(f: &'a Finding) -> Self {
        FindingWire {
            package: PackageWire::of(&f.package),
            advisory: AdvisoryWire::of(&f.advisory),
            kind: kind_tag(&f.kind),
            informational: informational(&f.kind),
            fixed_in: f.fixed_in.as_deref(),
            advice: AdviceWire::of(&f.advice),
            line: f.line,
        }
    }
}

impl<'a> YankedWire<'a> {
    fn of(y: &'a YankedPackage) -> Self {
        YankedWire {
            package: PackageWire::of(&y.package),
            line: y.line,
        }
    }
}

impl<'a> PackageWire<'a> {
    fn of(p: &'a AffectedPackage) -> Self {
        PackageWire {
            name: &p.name,
            version: &p.version,
            ecosystem: p.ecosystem.as_str(),
            direct: p.direct,
            dev: p.dev,
            path: &p.path,
            requested: p.requested.as_deref(),
        }
    }
}

impl<'a> AdvisoryWire<'a> {
    fn of(a: &'a AdvisoryInfo) -> Self {
        AdvisoryWire {
            id: a.id.as_str(),
            aliases: a.aliases.iter().map(|id| id.as_str()).collect(),
            summary: &a.summary,
            details: &a.details,
            url: a.link(),
            severity: severity_name(a.severity),
            cvss: a.cvss.as_ref().map(|c| CvssWire {
                score: c.score,
                vector: &c.vector,
            }),
        }
    }
}

impl<'a> AdviceWire<'a> {
    fn of(advice: &'a Advice) -> Self {
        let (requirement, parent, direct) = match advice {
            Advice::UpdateLockfile { requirement, .. } => (Some(requirement.as_str()), None, None),
            Advice::BumpDirect { requirement, .. } => (requirement.as_deref(), None, None),
            Advice::BumpDependent {
                requirement,
                parent,
                direct,
                ..
            } => (
                Some(requirement.as_str()),
                Some(parent.as_str()),
                Some(direct.as_str()),
            ),
            Advice::Upgrade { parent, direct, .. } => {
                (None, Some(parent.as_str()), Some(direct.as_str()))
            }
            Advice::NoFix { .. } => (None, None, None),
        };
        AdviceWire {
            action: advice.action(),
            text: advice.to_string(),
            fixed: advice.fixed(),
            command: advice.command(),
            requirement,
            parent,
            direct,
        }
    }
}

impl<'a> IgnoreWire<'a> {
    fn of(i: &'a Ignore) -> Self {
        IgnoreWire {
            id: &i.id,
            reason: &i.reason,
            expires: i.expires.map(|d| d.to_string()),
            package: i.package.as_deref(),
            file: &i.file,
            line: i.line,
        }
    }
}
