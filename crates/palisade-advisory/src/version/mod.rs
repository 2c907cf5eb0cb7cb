//! Version orderings per ecosystem, and the installed version parsed once per scheme.
//!
//! Each ecosystem is compared by its own rules, through the crate its tools agree with:
//! crates.io and the Rust toolchain by SemVer 2.0 precedence (`semver`, Cargo's own crate),
//! npm by node-semver (`nodejs-semver`), PyPI by PEP 440 (`pep440_rs`, uv's implementation).
//! OSV `SEMVER` ranges of other ecosystems use SemVer 2.0; their `ECOSYSTEM` ranges cannot be
//! compared here.

pub(crate) mod interval;
mod requirement;

pub use requirement::{Requirement, RequirementError};

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::str::FromStr;

use crate::ecosystem::Ecosystem;
use crate::model::RangeKind;

/// Which ordering a comparison uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Semver,
    Npm,
    Pep440,
}

impl Scheme {
    /// The ordering for a range of `kind` in `ecosystem`; `None` when palisade does not know
    /// the ecosystem's own ordering.
    ///
    /// Known ecosystems always use their own ordering, even for `SEMVER` ranges: for valid
    /// SemVer it is the same order, and it also accepts what the ecosystem's tools accept (npm's
    /// `v1.2.3`, PyPI's `1.0`).
    pub(crate) fn for_range(ecosystem: &Ecosystem, kind: RangeKind) -> Option<Scheme> {
        match ecosystem {
            Ecosystem::Npm => Some(Scheme::Npm),
            Ecosystem::CratesIo | Ecosystem::RustToolchain => Some(Scheme::Semver),
            Ecosystem::PyPI => Some(Scheme::Pep440),
            Ecosystem::Other(_) => (kind == RangeKind::Semver).then_some(Scheme::Semver),
        }
    }

    /// Name used in messages ("not a valid PEP 440 version").
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Scheme::Semver => "SemVer",
            Scheme::Npm => "npm semver",
            Scheme::Pep440 => "PEP 440",
        }
    }
}

/// A version type with a total order under one scheme.
pub(crate) trait SchemeVersion: Sized {
    const SCHEME: Scheme;

    /// Parses a version as the ecosystem's tools would; `None` when they would not.
    fn parse_version(text: &str) -> Option<Self>;

    /// The scheme's precedence order.
    fn compare(&self, other: &Self) -> Ordering;

    /// The installed version parsed in this scheme (cached).
    fn installed<'i>(installed: &'i Installed<'_>) -> Option<&'i Self>;
}

impl SchemeVersion for semver::Version {
    const SCHEME: Scheme = Scheme::Semver;

    fn parse_version(text: &str) -> Option<Self> {
        let text = text.trim();
        // OSV says SEMVER versions have no leading "v", but Go-style tags slip through.
        let text = text.strip_prefix('v').unwrap_or(text);
        semver::Version::parse(text).ok()
    }

    /// SemVer 2.0 precedence: build metadata does not count (`Ord` on `semver::Version` would
    /// order it).
    fn compare(&self, other: &Self) -> Ordering {
        self.cmp_precedence(other)
    }

    fn installed<'i>(installed: &'i Installed<'_>) -> Option<&'i Self> {
        installed
            .semver
            .get_or_init(|| Self::parse_version(installed.text))
            .as_ref()
    }
}

impl SchemeVersion for nodejs_semver::Version {
    const SCHEME: Scheme = Scheme::Npm;

    fn parse_version(text: &str) -> Option<Self> {
        nodejs_semver::Version::parse(text.trim()).ok()
    }

    /// node-semver's `compare`: precedence, build metadata ignored.
    fn compare(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }

    fn installed<'i>(installed: &'i Installed<'_>) -> Option<&'i Self> {
        installed
            .npm
            .get_or_init(|| Self::parse_version(installed.text))
            .as_ref()
    }
}

impl SchemeVersion for pep440_rs::Version {
    const SCHEME: Scheme = Scheme::Pep440;

    fn parse_version(text: &str) -> Option<Self> {
        pep440_rs::Version::from_str(text.trim()).ok()
    }

    /// PEP 440 ordering: epochs, pre/post/dev releases and local versions.
    fn compare(&self, other: &Self) -> Ordering {
        self.cmp(other)
    }

    fn installed<'i>(installed: &'i Installed<'_>) -> Option<&'i Self> {
        installed
            .pep440
            .get_or_init(|| Self::parse_version(installed.text))
            .as_ref()
    }
}

/// An installed version, parsed lazily and at most once per scheme: one lookup checks many
/// ranges, and parsing is most of the cost of a check.
pub(crate) struct Installed<'a> {
    pub(crate) text: &'a str,
    semver: OnceCell<Option<semver::Version>>,
    npm: OnceCell<Option<nodejs_semver::Version>>,
    pep440: OnceCell<Option<pep440_rs::Version>>,
}

impl<'a> Installed<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Installed {
            text,
            semver: OnceCell::new(),
            npm: OnceCell::new(),
            pep440: OnceCell::new(),
        }
    }
}

/// Orders two version strings of `ecosystem`; `None` if either does not parse or the
/// ecosystem's ordering is unknown. Exposed for callers that sort versions (fix advice,
/// reports).
pub fn compare_versions(ecosystem: &Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    fn with<V: SchemeVersion>(a: &str, b: &str) -> Option<Ordering> {
        Some(V::parse_version(a)?.compare(&V::parse_version(b)?))
    }
    match Scheme::for_range(ecosystem, RangeKind::Ecosystem)? {
        Scheme::Semver => with::<semver::Version>(a, b),
        Scheme::Npm => with::<nodejs_semver::Version>(a, b),
        Scheme::Pep440 => with::<pep440_rs::Version>(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ecosystem_orders_by_its_own_rules() {
        use Ordering::*;
        let cmp = |e: &Ecosystem, a, b| compare_versions(e, a, b);
        // SemVer: prerelease below release, build metadata ignored.
        assert_eq!(
            cmp(&Ecosystem::CratesIo, "1.0.0-alpha", "1.0.0"),
            Some(Less)
        );
        assert_eq!(cmp(&Ecosystem::CratesIo, "1.0.0+b1", "1.0.0"), Some(Equal));
        assert_eq!(cmp(&Ecosystem::CratesIo, "1.0", "1.0.0"), None);
        // npm: same precedence, and a leading "v" is accepted as npm does.
        assert_eq!(cmp(&Ecosystem::Npm, "v1.2.3", "1.2.3"), Some(Equal));
        assert_eq!(cmp(&Ecosystem::Npm, "4.0.0-rc1", "4.0.0"), Some(Less));
        // PEP 440: epochs, dev < pre < release < post, local above its public version.
        let py = Ecosystem::PyPI;
        assert_eq!(cmp(&py, "1!0.1", "2.0"), Some(Greater));
        assert_eq!(cmp(&py, "1.0.dev1", "1.0a1"), Some(Less));
        assert_eq!(cmp(&py, "1.0a1", "1.0"), Some(Less));
        assert_eq!(cmp(&py, "1.0.post1", "1.0"), Some(Greater));
        assert_eq!(cmp(&py, "1.0+local", "1.0"), Some(Greater));
        assert_eq!(cmp(&py, "2.2", "2.2.0"), Some(Equal));
        assert_eq!(cmp(&Ecosystem::from_osv("Maven"), "1", "2"), None);
    }
}
