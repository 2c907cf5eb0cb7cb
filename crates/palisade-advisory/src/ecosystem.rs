//! Package ecosystems as OSV spells them, and each one's rule for package names.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A package ecosystem. The names are OSV's (`"npm"`, `"crates.io"`, `"PyPI"`), case-sensitive
/// as the OSV schema defines them.
///
/// Build one with [`Ecosystem::from_osv`] (or `parse`), which maps the known names to their
/// variants: an `Other("npm")` built by hand would never match an npm advisory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Ecosystem {
    /// npm: node-semver versions; names are case-sensitive.
    Npm,
    /// crates.io: SemVer 2.0 versions with Cargo's requirement syntax.
    CratesIo,
    /// PyPI: PEP 440 versions; names normalised per PEP 503.
    PyPI,
    /// The Rust toolchain itself (`std`, `cargo`, `rustdoc`): RustSec's `rust/` collection. OSV
    /// has no name for it, so palisade calls it `rust-toolchain`; versions are SemVer.
    RustToolchain,
    /// Any other OSV ecosystem (`Maven`, `Go`, `Debian:12`, …), kept as written. Its advisories
    /// load, and exact `versions` lists match, but ranges cannot be compared.
    Other(Box<str>),
}

impl Ecosystem {
    /// The ecosystem for an OSV `package.ecosystem` string.
    pub fn from_osv(name: &str) -> Ecosystem {
        match name {
            "npm" => Ecosystem::Npm,
            "crates.io" => Ecosystem::CratesIo,
            "PyPI" => Ecosystem::PyPI,
            "rust-toolchain" => Ecosystem::RustToolchain,
            other => Ecosystem::Other(other.into()),
        }
    }

    /// The OSV spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::RustToolchain => "rust-toolchain",
            Ecosystem::Other(name) => name,
        }
    }

    /// A package name in the form advisories and lookups are keyed by.
    ///
    /// PyPI names are normalised per PEP 503 (lower case, runs of `-`, `_`, `.` become one
    /// `-`), because pip treats `Foo_Bar` and `foo-bar` as one project and advisories use either.
    /// Other ecosystems' names are exact: npm names are case-sensitive (`JSONStream`), and
    /// crates.io names are compared as Cargo.lock writes them, as cargo-audit does. Borrows when
    /// nothing changes.
    pub fn normalise_name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        match self {
            Ecosystem::PyPI => pep503(name),
            _ => Cow::Borrowed(name),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Ecosystem {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Ecosystem::from_osv(s))
    }
}

/// PEP 503: `re.sub(r"[-_.]+", "-", name).lower()`.
fn pep503(name: &str) -> Cow<'_, str> {
    let already = name.bytes().enumerate().all(|(i, b)| {
        !b.is_ascii_uppercase()
            && b != b'_'
            && b != b'.'
            && !(b == b'-' && name.as_bytes().get(i + 1) == Some(&b'-'))
    });
    if already {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalises_only_pypi() {
        let pypi = Ecosystem::PyPI;
        assert_eq!(pypi.normalise_name("Jupyter_Server"), "jupyter-server");
        assert_eq!(pypi.normalise_name("zope.interface"), "zope-interface");
        assert_eq!(pypi.normalise_name("a-_.-b"), "a-b");
        assert_eq!(pypi.normalise_name("a--b"), "a-b");
        assert!(matches!(pypi.normalise_name("django"), Cow::Borrowed(_)));
        assert_eq!(Ecosystem::Npm.normalise_name("JSONStream"), "JSONStream");
    }

    #[test]
    fn osv_names_round_trip() {
        for name in [
            "npm",
            "crates.io",
            "PyPI",
            "rust-toolchain",
            "Maven",
            "Debian:12",
        ] {
            assert_eq!(Ecosystem::from_osv(name).as_str(), name);
        }
        assert_eq!(Ecosystem::from_osv("pypi"), Ecosystem::Other("pypi".into()));
    }
}
