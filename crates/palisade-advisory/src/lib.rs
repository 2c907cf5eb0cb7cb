//! Security advisories and whether a package version is affected — a pure core for
//! `palisade audit`.
//!
//! No I/O and no async: parsers take the text of one record and a display name for errors; the
//! caller reads the files. The pieces, in the order an audit uses them:
//!
//! 1. **Parse** OSV records ([`osv::parse_json`], [`osv::parse_yaml`]) and RustSec advisory-db
//!    files ([`rustsec::parse`]) into one model, [`Advisory`]. Malformed input is a located
//!    [`ParseError`] (`file:line:column`), never a panic.
//! 2. **Merge** records of the same issue across databases (shared ids or aliases), dropping
//!    withdrawn ones ([`merge()`]; done by [`Index::new`]).
//! 3. **Index** by (ecosystem, normalised package name) and **match** an installed version
//!    ([`Index::affected`]) with each ecosystem's own rules: SemVer precedence and
//!    cargo-audit's patched/unaffected rule for crates.io, node-semver for npm, PEP 440 for
//!    PyPI, OSV's event algorithm for ranges. A version that cannot be compared is a finding
//!    with [`Verdict::CannotCompare`], never a silent miss.
//! 4. **Rate** ([`Severity`], from CVSS v3/v4 vectors or the database's label) and **advise**
//!    (the lowest fixed version above the installed one, [`Finding::fixed_in`]).
//!
//! # Example
//!
//! ```
//! use palisade_advisory::{osv, rustsec, Ecosystem, Index, Severity, Verdict};
//!
//! let toml = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n\
//!             date = \"2099-01-01\"\naliases = [\"CVE-2099-0001\"]\n\n\
//!             [versions]\npatched = [\"^0.2.3\", \">= 0.3.1\"]\n```\n\n# Demo overflow\n";
//! let json = r#"{"id": "GHSA-demo-demo-demo", "aliases": ["CVE-2099-0001"],
//!   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
//!   "affected": [{"package": {"ecosystem": "crates.io", "name": "demo"},
//!     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.2.3"}]}]}]}"#;
//! let index = Index::new([
//!     rustsec::parse(toml, "RUSTSEC-2099-0001.md", rustsec::Collection::Crates).unwrap(),
//!     osv::parse_json(json, "GHSA-demo-demo-demo.json").unwrap(),
//! ]);
//! assert_eq!(index.advisories().len(), 1); // one issue, two databases
//!
//! let findings = index.affected(&Ecosystem::CratesIo, "demo", "0.2.1");
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].id().as_str(), "RUSTSEC-2099-0001");
//! assert_eq!(findings[0].severity(), Some(Severity::Critical));
//! assert_eq!(findings[0].fixed_in.as_deref(), Some("0.2.3"));
//! assert_eq!(findings[0].verdict, Verdict::Affected);
//! assert!(index.affected(&Ecosystem::CratesIo, "demo", "0.2.4").is_empty());
//! assert!(index.affected(&Ecosystem::CratesIo, "demo", "0.3.0").len() == 1); // 0.3.0 < 0.3.1
//! ```
//!
//! # Security
//!
//! Advisory databases are third-party input. Parsing is bounded (serde-saphyr's YAML budgets,
//! ids capped at [`MAX_ID_LEN`], details cut to [`MAX_DETAILS`]) and no input panics (a
//! property test feeds the parsers mutated and random records). Unknown fields are ignored, so
//! a database update cannot disable an audit; anything palisade cannot evaluate is reported as
//! [`Outcome::CannotCompare`] rather than dropped.
#![warn(missing_docs)]

mod ecosystem;
mod error;
mod fix;
mod id;
mod index;
mod matching;
pub mod merge;
mod model;
pub mod osv;
pub mod rustsec;
mod severity;
mod version;

pub use ecosystem::Ecosystem;
pub use error::{ParseError, ParseErrorKind};
pub use id::{AdvisoryId, MAX_ID_LEN};
pub use index::{AdvisoryRef, CodecError, Finding, INDEX_FORMAT, Index, Verdict, Wanted};
pub use matching::{CannotCompare, Outcome, Reason};
pub use merge::{MergeStats, merge};
pub use model::{
    Advisory, Affected, Event, Informational, Kind, MAX_DETAILS, Range, RangeKind, RustSecVersions,
};
pub use severity::{Cvss, ParseSeverityError, Severity};
pub use version::{Requirement, RequirementError, compare_versions};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Index>();
    }
}
