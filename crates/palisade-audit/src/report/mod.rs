//! The audit report: what [`Report::generate`] found in each lockfile, as plain data for the
//! renderers.

mod generate;
pub(crate) mod summary;
mod yanked;

pub use summary::Summary;
pub use yanked::YankedPackage;

use palisade_advisory::{Advisory, AdvisoryId, Cvss, Informational, Kind, Severity};
use palisade_lockfile::{Ecosystem, Lockfile, LockfileKind, Package};

use crate::advice::Advice;
use crate::ignore::{Ignore, IgnoreFile};
use crate::threshold::FailOn;
use crate::yanked::Yanked;
use palisade_core::date::Date;

/// One lockfile to audit: how to name it in reports, its parsed form and, optionally, its text
/// (used only to find each package's line for SARIF and `file:line` references).
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The path reports show (SARIF wants it relative to the repository root, with `/`).
    pub path: &'a str,
    /// The parsed lockfile.
    pub lockfile: &'a Lockfile,
    /// The lockfile's text, if the caller has it.
    pub text: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// A lockfile without its text: findings carry no line numbers.
    pub fn new(path: &'a str, lockfile: &'a Lockfile) -> Self {
        Target {
            path,
            lockfile,
            text: None,
        }
    }

    /// Adds the lockfile's text, so findings point at their package's line.
    pub fn with_text(self, text: &'a str) -> Self {
        Target {
            text: Some(text),
            ..self
        }
    }
}

/// What an audit takes besides the lockfiles and the advisories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSettings {
    /// Accepted advisories.
    pub ignores: IgnoreFile,
    /// Whether development-only packages are audited (default: yes, as npm audit and
    /// cargo-audit do).
    pub include_dev: bool,
    /// Today's date, for ignore expiry. The crate reads no clock.
    pub today: Date,
    /// Locked versions their registry yanked, and which registries were asked (default:
    /// none, so reports say yanked versions were not checked).
    pub yanked: Yanked,
}

impl AuditSettings {
    /// Defaults: no ignores, development dependencies included.
    pub fn new(today: Date) -> Self {
        AuditSettings {
            ignores: IgnoreFile::default(),
            include_dev: true,
            today,
            yanked: Yanked::not_checked(),
        }
    }

    /// Uses these ignores.
    pub fn with_ignores(self, ignores: IgnoreFile) -> Self {
        AuditSettings { ignores, ..self }
    }

    /// Reports the audited packages `yanked` lists as yanked: warnings, as in cargo-audit,
    /// never vulnerabilities, so they never fail an audit. The caller asked the registries.
    pub fn with_yanked(self, yanked: Yanked) -> Self {
        AuditSettings { yanked, ..self }
    }

    /// Leaves development-only packages out (`--no-dev`); they are counted, not audited.
    pub fn without_dev(self) -> Self {
        AuditSettings {
            include_dev: false,
            ..self
        }
    }
}

/// The result of an audit. Findings are data, not errors: a report with vulnerabilities is a
/// successful audit; [`Report::fails`] says what the exit code should be.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The date the audit ran on ([`AuditSettings::today`]).
    pub date: Date,
    /// How many advisories the index held.
    pub advisories: usize,
    /// Whether development-only packages were audited.
    pub include_dev: bool,
    /// Whether any registry was asked for yanked versions ([`AuditSettings::with_yanked`]);
    /// each lockfile says whether its own ecosystem was
    /// ([`LockfileReport::yanked_checked`]).
    pub yanked_checked: bool,
    /// One entry per lockfile, in the order given.
    pub lockfiles: Vec<LockfileReport>,
    /// Ignores whose `expires` date has passed: they ignored nothing and should be reviewed.
    pub expired_ignores: Vec<Ignore>,
}

/// What one lockfile's audit found.
#[derive(Clone, Debug, PartialEq)]
pub struct LockfileReport {
    /// The path as given in the [`Target`].
    pub path: String,
    /// Its format.
    pub kind: LockfileKind,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Packages in the lockfile, without the project's own (workspace members, Cargo path
    /// packages), which are not dependencies.
    pub packages: usize,
    /// Packages checked against the advisories.
    pub audited: usize,
    /// Development-only packages left out ([`AuditSettings::without_dev`]).
    pub dev_skipped: usize,
    /// Vulnerabilities, then warnings (informational advisories), each ordered by severity
    /// (highest first, unknown right after critical), package name, version, advisory id.
    pub findings: Vec<Finding>,
    /// Findings an active ignore accepted, in the same order.
    pub ignored: Vec<Ignored>,
    /// Packages that cannot be matched against advisories (git, path, link, URL or unpinned
    /// dependencies), by name.
    pub not_auditable: Vec<NotAuditable>,
    /// Advisories that name a package but could not be evaluated for its version: reported as
    /// warnings, never silently dropped.
    pub unchecked: Vec<Unchecked>,
    /// Whether its ecosystem's registry was asked for yanked versions: when not, an empty
    /// [`yanked`](LockfileReport::yanked) means "not checked", not "none".
    pub yanked_checked: bool,
    /// Audited packages whose locked version was yanked (warnings), by name, then version in
    /// the ecosystem's order.
    pub yanked: Vec<YankedPackage>,
}

/// An advisory that applies to a locked package.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The package.
    pub package: AffectedPackage,
    /// The advisory.
    pub advisory: AdvisoryInfo,
    /// Vulnerability or warning.
    pub kind: FindingKind,
    /// The lowest fixed version above the installed one, if the advisory names one.
    pub fixed_in: Option<String>,
    /// What to do about it.
    pub advice: Advice,
    /// The 1-based line of the package's entry in the lockfile, when the text was given and the
    /// entry found.
    pub line: Option<u32>,
}

impl Finding {
    /// The advisory's rating; `None` when unknown.
    pub fn severity(&self) -> Option<Severity> {
        self.advisory.severity
    }

    /// Whether this is a vulnerability (counts for `--fail-on`) rather than a warning.
    pub fn is_vulnerability(&self) -> bool {
        self.kind == FindingKind::Vulnerability
    }
}

/// Vulnerability, or one of RustSec's informational kinds, which cargo-audit reports as
/// warnings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A security vulnerability.
    Vulnerability,
    /// An informational advisory (unmaintained, unsound, notice): a warning.
    Warning(Informational),
}

impl FindingKind {
    pub(crate) fn of(kind: &Kind) -> FindingKind {
        match kind {
            Kind::Vulnerability => FindingKind::Vulnerability,
            Kind::Informational(i) => FindingKind::Warning(i.clone()),
        }
    }

    /// `vulnerability`, or the informational kind (`unmaintained`, `unsound`, `notice`, …).
    pub fn as_str(&self) -> &str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Warning(i) => i.as_str(),
        }
    }
}

/// The locked package a finding is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedPackage {
    /// Registry name.
    pub name: String,
    /// Locked version.
    pub version: String,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// A dependency of the project itself.
    pub direct: bool,
    /// Only reachable through development dependencies.
    pub dev: bool,
    /// The shortest dependency path from a root, each step `name@version`.
    pub path: Vec<String>,
    /// The requirement its parent on the path declared, if recorded.
    pub requested: Option<String>,
}

impl AffectedPackage {
    fn of(package: &Package) -> Self {
        AffectedPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            ecosystem: package.ecosystem,
            direct: package.direct,
            dev: package.dev,
            path: package.path.clone(),
            requested: package.requested.clone(),
        }
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// What a report needs to know about an advisory.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisoryInfo {
    /// The id it is reported under.
    pub id: AdvisoryId,
    /// Its other ids (CVE, GHSA, RUSTSEC, PYSEC).
    pub aliases: Vec<AdvisoryId>,
    /// One line.
    pub summary: String,
    /// The first paragraph of the details (bounded, see `palisade_advisory::MAX_DETAILS`).
    pub details: String,
    /// The advisory's own link, when it has one.
    pub url: Option<String>,
    /// The rating; `None` when the databases give neither a CVSS vector nor a label.
    pub severity: Option<Severity>,
    /// The CVSS vector and base score the rating came from, when there is one.
    pub cvss: Option<Cvss>,
}

impl AdvisoryInfo {
    fn of(advisory: &Advisory) -> Self {
        AdvisoryInfo {
            id: advisory.id.clone(),
            aliases: advisory.aliases.clone(),
            summary: advisory.summary.clone(),
            details: advisory.details.clone(),
            url: advisory
                .url
                .clone()
                .or_else(|| advisory.references.first().cloned()),
            severity: advisory.severity,
            cvss: advisory.cvss.clone(),
        }
    }

    /// A page about the advisory: its own link if it is an `http(s)` URL, else RustSec's page
    /// for `RUSTSEC-` ids and osv.dev's for the rest.
    pub fn link(&self) -> String {
        match &self.url {
            Some(url) if is_web_url(url) => url.clone(),
            _ if self.id.prefix() == "RUSTSEC" => {
                format!("https://rustsec.org/advisories/{}.html", self.id)
            }
            _ => format!("https://osv.dev/vulnerability/{}", self.id),
        }
    }
}

/// An `http(s)` URL with nothing that would break a link or a SARIF `uri` (spaces, quotes,
/// control characters, angle brackets).
pub(crate) fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'`'))
    })
}

/// A finding an ignore accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Ignored {
    /// The package.
    pub package: AffectedPackage,
    /// The advisory.
    pub advisory: AdvisoryInfo,
    /// Vulnerability or warning.
    pub kind: FindingKind,
    /// The ignore entry that accepted it (its `reason` says why).
    pub ignore: Ignore,
    /// The package's line in the lockfile, when known.
    pub line: Option<u32>,
}

/// A package that cannot be audited, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAuditable {
    /// Its name.
    pub name: String,
    /// Its version as recorded (often empty for such packages).
    pub version: String,
    /// Why (the [`Source`](palisade_lockfile::Source) it comes from, or a missing version).
    pub reason: String,
}

/// An advisory for a package whose version could not be compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Unchecked {
    /// The package.
    pub package: AffectedPackage,
    /// The advisory.
    pub advisory: AdvisoryInfo,
    /// Vulnerability or warning, had it applied.
    pub kind: FindingKind,
    /// What made the comparison impossible.
    pub reason: String,
    /// The package's line in the lockfile, when known.
    pub line: Option<u32>,
}

impl Report {
    /// Whether the audit should fail: a vulnerability (not a warning, not ignored) at or above
    /// `fail_on`. Vulnerabilities without severity data count at every threshold; see
    /// [`FailOn`].
    pub fn fails(&self, fail_on: &FailOn) -> bool {
        self.vulnerabilities()
            .any(|(_, f)| fail_on.is_met_by(f.severity()))
    }

    /// Every vulnerability with its lockfile, in report order.
    pub fn vulnerabilities(&self) -> impl Iterator<Item = (&LockfileReport, &Finding)> {
        self.findings().filter(|(_, f)| f.is_vulnerability())
    }

    /// Every informational warning with its lockfile, in report order.
    pub fn warnings(&self) -> impl Iterator<Item = (&LockfileReport, &Finding)> {
        self.findings().filter(|(_, f)| !f.is_vulnerability())
    }

    fn findings(&self) -> impl Iterator<Item = (&LockfileReport, &Finding)> {
        self.lockfiles
            .iter()
            .flat_map(|l| l.findings.iter().map(move |f| (l, f)))
    }
}

/// Where a severity sorts: critical first, then unknown (it fails every threshold, so it is
/// as urgent as critical until someone rates it), then high down to none.
pub(crate) fn severity_rank(severity: Option<Severity>) -> u8 {
    match severity {
        Some(Severity::Critical) => 0,
        None => 1,
        Some(Severity::High) => 2,
        Some(Severity::Moderate) => 3,
        Some(Severity::Low) => 4,
        Some(Severity::None) => 5,
    }
}

/// The name a lockfile kind goes by (its file name).
pub(crate) fn kind_name(kind: LockfileKind) -> &'static str {
    match kind {
        LockfileKind::CargoLock => "Cargo.lock",
        LockfileKind::PackageLock => "package-lock.json",
        LockfileKind::NpmShrinkwrap => "npm-shrinkwrap.json",
        LockfileKind::YarnLock => "yarn.lock",
        LockfileKind::PnpmLock => "pnpm-lock.yaml",
        LockfileKind::PoetryLock => "poetry.lock",
        LockfileKind::PipfileLock => "Pipfile.lock",
        LockfileKind::Requirements => "requirements.txt",
        _ => "lockfile",
    }
}
