//! `palisade audit`'s pure core: lockfile packages against security advisories, the way npm
//! audit, cargo-audit and osv-scanner do it, offline.
//!
//! No I/O, no async, no clock: the caller parses the lockfiles ([`palisade_lockfile`]), loads
//! the advisory [`Index`](palisade_advisory::Index), reads the ignore file and passes today's
//! date; this crate decides and renders.
//!
//! 1. [`Report::generate`] matches every auditable package of every lockfile
//!    ([`Target`]) against the index, under [`AuditSettings`] (ignores, development packages,
//!    today's date). A finding carries the package, its dependency path, the advisory with
//!    its severity (CVSS v3/v4 base score or the database's rating), the lowest fixed version
//!    and structured fix [`Advice`]: *update the lockfile only* when the requirement on the
//!    path already allows the fix, *bump* the direct dependency, or a newer dependent is
//!    needed. RustSec's informational advisories (unmaintained, unsound, notice) are warnings,
//!    not vulnerabilities, as in cargo-audit. So are locked versions their registry yanked,
//!    when the caller asked the registry and passed the answer ([`Yanked`],
//!    [`AuditSettings::with_yanked`]); a report tells "none yanked" from "not checked".
//! 2. [`Report::fails`] applies a `--fail-on` [`FailOn`] threshold to vulnerabilities only;
//!    those without severity data fail at every threshold (see [`FailOn`] for why).
//! 3. [`IgnoreFile`] parses `.palisade-audit.toml` (id or alias, required reason, optional
//!    expiry and package), with located errors; an expired ignore stops ignoring and warns.
//! 4. [`render`] turns a report into a terminal table, stable JSON (`schema_version` 1,
//!    documented in `docs/audit-json.md`), SARIF 2.1.0 for GitHub code scanning, or a
//!    Markdown pull-request comment.
//!
//! Exit codes are the binary's contract; the intended mapping is 0 when the audit ran and
//! [`Report::fails`] is false, 1 when it is true, 2 for bad input (an [`AuditError`], an
//! unreadable lockfile).
//!
//! # Example
//!
//! ```
//! use palisade_advisory::{osv, Index};
//! use palisade_audit::{render, AuditSettings, Date, FailOn, IgnoreFile, Report, Target};
//!
//! let record = r#"{"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-0001"],
//!   "summary": "Prototype pollution in left-pad",
//!   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
//!   "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
//!     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.1"}]}]}]}"#;
//! let index = Index::new([osv::parse_json(record, "GHSA-aaaa-bbbb-cccc.json").unwrap()]);
//! let text = r#"{"name": "app", "lockfileVersion": 3, "packages": {
//!   "": {"name": "app", "dependencies": {"left-pad": "1.3.0"}},
//!   "node_modules/left-pad": {"version": "1.3.0"}}}"#;
//! let lockfile = palisade_lockfile::parse("package-lock.json", text).unwrap();
//! let targets = [Target::new("package-lock.json", &lockfile).with_text(text)];
//! let today = Date::parse("2026-05-01").unwrap();
//!
//! let report = Report::generate(&index, &targets, &AuditSettings::new(today));
//! let finding = &report.lockfiles[0].findings[0];
//! assert_eq!(finding.advisory.cvss.as_ref().unwrap().score, 9.1);
//! assert_eq!(finding.line, Some(3));
//! // The project pinned 1.3.0 exactly, so the fix needs a bump, not just a fresh lockfile.
//! assert_eq!(
//!     finding.advice.to_string(),
//!     "bump left-pad to >= 1.3.1 (its requirement 1.3.0 excludes it)"
//! );
//! assert!(report.fails(&FailOn::Critical));
//! assert!(render::table(&report, render::Color::Never)
//!     .contains("1 vulnerability (1 critical) in 1 package; 0 warnings"));
//!
//! // Accepted with a reason (by its CVE alias), until the end of 2026.
//! let ignores = IgnoreFile::parse(
//!     ".palisade-audit.toml",
//!     "[[ignore]]\nid = \"CVE-2099-0001\"\nreason = \"build tool only\"\nexpires = \"2026-12-31\"\n",
//! )
//! .unwrap();
//! let settings = AuditSettings::new(today).with_ignores(ignores);
//! let report = Report::generate(&index, &targets, &settings);
//! assert!(!report.fails(&FailOn::Low));
//! assert_eq!(report.lockfiles[0].ignored[0].ignore.reason, "build tool only");
//! ```
//!
//! # Security
//!
//! Advisory text and lockfile names are third-party input; see [`render`] for how each output
//! keeps them inert. Nothing here panics on any report content.
#![warn(missing_docs)]

mod advice;
mod error;
mod ignore;
mod locate;
pub mod render;
mod report;
mod threshold;
mod yanked;

pub use advice::Advice;
pub use error::{AuditError, ErrorKind};
pub use ignore::{IGNORE_FILE_NAME, Ignore, IgnoreFile};
pub use palisade_core::date::Date;
pub use report::{
    AdvisoryInfo, AffectedPackage, AuditSettings, Finding, FindingKind, Ignored, LockfileReport,
    NotAuditable, Report, Summary, Target, Unchecked, YankedPackage,
};
pub use threshold::FailOn;
pub use yanked::Yanked;
