//! How big an update is ([`Jump`]), and versions parsed once by their ecosystem's rules.

use std::cmp::Ordering;
use std::fmt;

use palisade_lockfile::Ecosystem;

use crate::error::UpdateError;

/// The size of an update from one version to a higher one, by the compatibility rule of the
/// caret (`^`) requirement — the default of both `cargo add` and `npm install`:
///
/// - [`Jump::Major`]: the target is outside `^from`, i.e. a breaking update. The leftmost
///   non-zero component changed: `1.4.2 → 2.0.0`, but also `0.3.1 → 0.4.0` and
///   `0.0.3 → 0.0.4`, since Cargo and npm both treat a `0.x` minor (and a `0.0.x` patch)
///   bump as breaking. A prerelease of another `major.minor.patch` is Major too
///   (`1.2.3 → 1.3.0-beta.1`): prereleases promise no compatibility, and neither `^` admits
///   one.
/// - [`Jump::Minor`]: compatible, the minor number changed (`1.4.2 → 1.5.0`). Under `0.x`
///   the minor number cannot change compatibly, so there is no Minor jump there.
/// - [`Jump::Patch`]: compatible, only the patch number changed (`1.4.2 → 1.4.3`,
///   `0.3.1 → 0.3.5` — in `0.x` the patch number carries both fixes and additions), or only
///   the prerelease did (`2.0.0-rc.1 → 2.0.0-rc.2`, `2.0.0-rc.2 → 2.0.0`).
/// - [`Jump::None`]: the target is not higher (equal by precedence — build metadata does not
///   count — or lower).
///
/// The ordering (`None < Patch < Minor < Major`) makes "the biggest jump of a group" a `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Jump {
    /// Not an update.
    None,
    /// Compatible; patch (or prerelease) number only.
    Patch,
    /// Compatible; new minor version.
    Minor,
    /// Breaking, by the caret rule.
    Major,
}

impl Jump {
    /// The jump from `from` to `to` in `ecosystem`; an error if either is not a valid version
    /// there (or the ecosystem has no rules here).
    ///
    /// ```
    /// use palisade_lockfile::Ecosystem;
    /// use palisade_update::Jump;
    ///
    /// let jump = |a, b| Jump::between(Ecosystem::CratesIo, a, b).unwrap();
    /// assert_eq!(jump("1.0.100", "1.0.200"), Jump::Patch);
    /// assert_eq!(jump("1.4.2", "1.5.0"), Jump::Minor);
    /// assert_eq!(jump("0.3.1", "0.4.0"), Jump::Major);
    /// assert_eq!(jump("0.3.1", "0.3.9"), Jump::Patch);
    /// assert_eq!(jump("2.0.0", "1.9.0"), Jump::None);
    /// ```
    pub fn between(ecosystem: Ecosystem, from: &str, to: &str) -> Result<Jump, UpdateError> {
        let from = Parsed::parse_or_err(ecosystem, "", from)?;
        let to = Parsed::parse_or_err(ecosystem, "", to)?;
        Ok(from.jump_to(&to))
    }

    /// Lower-case name (`"patch"`), as commit messages and reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Jump::None => "none",
            Jump::Patch => "patch",
            Jump::Minor => "minor",
            Jump::Major => "major",
        }
    }
}

impl fmt::Display for Jump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version parsed by its ecosystem's own crate: node-semver for npm (which also accepts
/// `v1.2.3`), SemVer 2.0 for crates.io — the same crates `palisade_advisory` orders with.
#[derive(Clone, Debug)]
pub(crate) enum Parsed {
    Npm(nodejs_semver::Version),
    Cargo(semver::Version),
}

impl Parsed {
    pub(crate) fn parse(ecosystem: Ecosystem, text: &str) -> Result<Option<Parsed>, UpdateError> {
        let text = text.trim();
        Ok(match ecosystem {
            Ecosystem::Npm => nodejs_semver::Version::parse(text).ok().map(Parsed::Npm),
            Ecosystem::CratesIo => semver::Version::parse(text).ok().map(Parsed::Cargo),
            other => return Err(UpdateError::UnsupportedEcosystem(other)),
        })
    }

    pub(crate) fn parse_or_err(
        ecosystem: Ecosystem,
        name: &str,
        text: &str,
    ) -> Result<Parsed, UpdateError> {
        Parsed::parse(ecosystem, text)?.ok_or_else(|| UpdateError::InvalidVersion {
            name: name.to_owned(),
            ecosystem,
            version: text.to_owned(),
        })
    }

    fn triple(&self) -> (u64, u64, u64) {
        match self {
            Parsed::Npm(v) => (v.major(), v.minor(), v.patch()),
            Parsed::Cargo(v) => (v.major, v.minor, v.patch),
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        match self {
            Parsed::Npm(v) => v.is_prerelease(),
            Parsed::Cargo(v) => !v.pre.is_empty(),
        }
    }

    /// Precedence: build metadata does not count. Versions of two ecosystems never meet; if
    /// they did they would compare equal.
    pub(crate) fn precedence(&self, other: &Parsed) -> Ordering {
        match (self, other) {
            (Parsed::Npm(a), Parsed::Npm(b)) => a.cmp(b),
            (Parsed::Cargo(a), Parsed::Cargo(b)) => a.cmp_precedence(b),
            _ => Ordering::Equal,
        }
    }

    pub(crate) fn jump_to(&self, to: &Parsed) -> Jump {
        if to.precedence(self) != Ordering::Greater {
            return Jump::None;
        }
        let (from_t, to_t) = (self.triple(), to.triple());
        if !caret_compatible(from_t, to_t) || (to.is_prerelease() && to_t != from_t) {
            Jump::Major
        } else if from_t.1 != to_t.1 {
            Jump::Minor
        } else {
            Jump::Patch
        }
    }
}

/// Whether `to` has the same leftmost non-zero component as `from` (the caret rule, without
/// prereleases): `1.x.y`, `0.3.y`, `0.0.3`.
fn caret_compatible(from: (u64, u64, u64), to: (u64, u64, u64)) -> bool {
    match from {
        (0, 0, patch) => to == (0, 0, patch),
        (0, minor, _) => to.0 == 0 && to.1 == minor,
        (major, _, _) => to.0 == major,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jump(ecosystem: Ecosystem, from: &str, to: &str) -> Jump {
        Jump::between(ecosystem, from, to).unwrap()
    }

    #[test]
    fn caret_rule_in_both_ecosystems() {
        for eco in [Ecosystem::CratesIo, Ecosystem::Npm] {
            let j = |a, b| jump(eco, a, b);
            assert_eq!(j("1.4.2", "1.4.3"), Jump::Patch);
            assert_eq!(j("1.4.2", "1.5.0"), Jump::Minor);
            assert_eq!(j("1.4.2", "2.0.0"), Jump::Major);
            assert_eq!(j("0.3.1", "0.3.2"), Jump::Patch);
            assert_eq!(j("0.3.1", "0.4.0"), Jump::Major);
            assert_eq!(j("0.3.1", "1.0.0"), Jump::Major);
            assert_eq!(j("0.0.3", "0.0.4"), Jump::Major);
            assert_eq!(j("0.0.3", "0.1.0"), Jump::Major);
            assert_eq!(j("1.2.3", "1.2.3"), Jump::None);
            assert_eq!(j("1.2.3", "1.2.2"), Jump::None);
            // Prereleases.
            assert_eq!(j("2.0.0-rc.1", "2.0.0-rc.2"), Jump::Patch);
            assert_eq!(j("2.0.0-rc.2", "2.0.0"), Jump::Patch);
            assert_eq!(j("2.0.0-rc.2", "2.0.1"), Jump::Patch);
            assert_eq!(j("1.2.3", "1.3.0-beta.1"), Jump::Major);
            assert_eq!(j("1.9.0", "2.0.0-rc.1"), Jump::Major);
            assert_eq!(j("1.0.0-alpha", "1.1.0"), Jump::Minor);
        }
        // Build metadata does not count.
        assert_eq!(jump(Ecosystem::CratesIo, "1.0.0+a", "1.0.0+b"), Jump::None);
        assert_eq!(jump(Ecosystem::Npm, "v1.0.0", "1.0.1"), Jump::Patch);
    }

    #[test]
    fn invalid_versions_and_ecosystems_are_errors() {
        assert!(matches!(
            Jump::between(Ecosystem::CratesIo, "1.0", "1.0.1"),
            Err(UpdateError::InvalidVersion { .. })
        ));
        assert_eq!(
            Jump::between(Ecosystem::PyPI, "1.0", "1.1"),
            Err(UpdateError::UnsupportedEcosystem(Ecosystem::PyPI))
        );
        assert!(Jump::Major > Jump::Minor && Jump::Patch > Jump::None);
    }
}
