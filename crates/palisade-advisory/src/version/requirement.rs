//! Version requirements in each ecosystem's own syntax and semantics (for ignore rules, GitHub's
//! `last_known_affected_version_range`, and anything else written the way a user writes it).

use std::fmt;
use std::str::FromStr;

use super::{Installed, Scheme, SchemeVersion};
use crate::ecosystem::Ecosystem;
use crate::matching::{CannotCompare, Reason};

/// A version requirement with its ecosystem's matching rules:
///
/// - crates.io and the toolchain: Cargo's `VersionReq` (`^0.2.3` means `>=0.2.3, <0.3.0`;
///   comma-separated comparators all apply; a prerelease matches only a comparator with the
///   same major.minor.patch and a prerelease of its own);
/// - npm: node-semver ranges (`||` alternatives, `x` ranges, hyphen ranges); a prerelease
///   matches only when a comparator in the same alternative has the same `[major, minor,
///   patch]` and a prerelease, as `npm` itself decides;
/// - PyPI: PEP 440 specifiers (`>=1.0, !=1.3.*, ~=1.4`), local versions and epochs included.
///
/// These are the rules of each package manager. RustSec's `patched`/`unaffected` lists use
/// cargo-audit's interval rule instead (see [`RustSecVersions`](crate::RustSecVersions)).
///
/// ```
/// use palisade_advisory::{Ecosystem, Requirement};
///
/// let npm = Requirement::parse(&Ecosystem::Npm, ">=1.2.7 <1.3.0 || >=2.0.0-beta.1").unwrap();
/// assert!(npm.matches("1.2.8").unwrap());
/// assert!(npm.matches("2.0.0-beta.2").unwrap()); // same tuple as a prerelease comparator
/// assert!(!npm.matches("1.2.8-rc.1").unwrap()); // no comparator with 1.2.8-*
/// ```
#[derive(Clone, Debug)]
pub struct Requirement {
    ecosystem: Ecosystem,
    text: String,
    inner: Inner,
}

#[derive(Clone, Debug)]
enum Inner {
    Cargo(semver::VersionReq),
    Npm(nodejs_semver::Range),
    Pep440(pep440_rs::VersionSpecifiers),
}

/// A requirement that does not parse in its ecosystem, or an ecosystem without known rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {ecosystem} version requirement {requirement:?}: {reason}")]
pub struct RequirementError {
    /// The ecosystem whose syntax was expected.
    pub ecosystem: Ecosystem,
    /// The requirement as given.
    pub requirement: String,
    /// The parser's complaint.
    pub reason: String,
}

impl Requirement {
    /// Parses `text` in `ecosystem`'s syntax.
    pub fn parse(ecosystem: &Ecosystem, text: &str) -> Result<Requirement, RequirementError> {
        let fail = |reason: String| RequirementError {
            ecosystem: ecosystem.clone(),
            requirement: text.to_owned(),
            reason,
        };
        let scheme = Scheme::for_range(ecosystem, crate::RangeKind::Ecosystem)
            .ok_or_else(|| fail("palisade does not know this ecosystem's rules".into()))?;
        let inner = match scheme {
            Scheme::Semver => {
                Inner::Cargo(semver::VersionReq::parse(text).map_err(|e| fail(e.to_string()))?)
            }
            Scheme::Npm => Inner::Npm(
                nodejs_semver::Range::parse(text)
                    .map_err(|_| fail("not a node-semver range".into()))?,
            ),
            Scheme::Pep440 => Inner::Pep440(
                pep440_rs::VersionSpecifiers::from_str(text).map_err(|e| fail(e.to_string()))?,
            ),
        };
        Ok(Requirement {
            ecosystem: ecosystem.clone(),
            text: text.to_owned(),
            inner,
        })
    }

    /// Whether `version` satisfies the requirement; [`CannotCompare`] when the version is not
    /// valid in the ecosystem.
    pub fn matches(&self, version: &str) -> Result<bool, CannotCompare> {
        let installed = Installed::new(version);
        let invalid = |scheme: Scheme| CannotCompare {
            ecosystem: self.ecosystem.clone(),
            version: version.to_owned(),
            reason: Reason::InvalidVersion(scheme.describe()),
        };
        match &self.inner {
            Inner::Cargo(req) => semver::Version::installed(&installed)
                .map(|v| req.matches(v))
                .ok_or_else(|| invalid(Scheme::Semver)),
            Inner::Npm(range) => nodejs_semver::Version::installed(&installed)
                .map(|v| range.satisfies(v))
                .ok_or_else(|| invalid(Scheme::Npm)),
            Inner::Pep440(specifiers) => pep440_rs::Version::installed(&installed)
                .map(|v| specifiers.contains(v))
                .ok_or_else(|| invalid(Scheme::Pep440)),
        }
    }

    /// The requirement as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The ecosystem whose rules apply.
    pub fn ecosystem(&self) -> &Ecosystem {
        &self.ecosystem
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
