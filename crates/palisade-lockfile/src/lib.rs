//! Lockfiles → normalised packages, for `palisade audit`.
//!
//! A pure core: [`parse`] takes a lockfile's display name and text (the caller reads the file)
//! and returns a [`Lockfile`]: one [`Package`] per locked (name, version) with its
//! [`Ecosystem`], whether it is a direct and/or dev-only dependency, the shortest dependency
//! path that brings it in (and the version requirement declared on its last step, when the
//! lockfile records one), and its [`Source`] — registry packages are auditable; git, path,
//! link, workspace and URL dependencies are not, and say why.
//!
//! | File | Versions |
//! |---|---|
//! | `Cargo.lock` | v1 (`[metadata]` checksums), v2, v3, v4 |
//! | `package-lock.json`, `npm-shrinkwrap.json` | lockfileVersion 1, 2, 3 |
//! | `yarn.lock` | v1 (yarn classic), Berry (yarn 2–4, `__metadata`) |
//! | `pnpm-lock.yaml` | 5.x, 6.x, 9.x |
//! | `poetry.lock` | 1.x and 2.x (`category` or `groups`) |
//! | `Pipfile.lock` | spec 6 |
//! | `requirements*.txt` | `==` pins, pip-compile `# via` annotations |
//!
//! Some lockfiles do not say which packages the project depends on itself; for those,
//! [`parse_with_manifest`] also reads the manifest named by [`LockfileKind::manifest`].
//!
//! The manifests themselves (`package.json`, `Cargo.toml`) are read by [`read_manifest`] into
//! the requirements the project declares, for `palisade outdated` and `palisade update`.
//!
//! # Example
//!
//! ```
//! use palisade_lockfile::{Ecosystem, Source, parse};
//!
//! let text = r#"{
//!   "name": "app", "version": "1.0.0", "lockfileVersion": 3,
//!   "packages": {
//!     "": { "name": "app", "version": "1.0.0", "dependencies": { "debug": "2.6.9" } },
//!     "node_modules/debug": { "version": "2.6.9", "dependencies": { "ms": "2.0.0" } },
//!     "node_modules/ms": { "version": "2.0.0" }
//!   }
//! }"#;
//! let lockfile = parse("package-lock.json", text).unwrap();
//! assert_eq!(lockfile.root.as_deref(), Some("app@1.0.0"));
//! let ms = &lockfile.packages[1];
//! assert_eq!((ms.name.as_str(), ms.version.as_str()), ("ms", "2.0.0"));
//! assert_eq!(ms.ecosystem, Ecosystem::Npm);
//! assert!(!ms.direct);
//! assert_eq!(ms.path, ["app@1.0.0", "debug@2.6.9", "ms@2.0.0"]);
//! assert_eq!(ms.source, Source::Registry { url: None });
//! assert_eq!(ms.requested.as_deref(), Some("2.0.0")); // what debug@2.6.9 asked for
//!
//! let err = parse("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": []\n}")
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "package-lock.json:3:14: packages: invalid type: sequence, expected a map"
//! );
//! ```
//!
//! # Security
//!
//! Lockfiles come from the repository being audited, so they are untrusted input: no input
//! makes a parser panic (a fuzz-style test feeds every parser truncated and mutated files),
//! nesting is bounded, and nothing is fetched or executed.
#![warn(missing_docs)]

mod error;
mod formats;
mod graph;
mod manifest;
mod model;
mod names;

pub use error::{ErrorKind, LockfileError};
pub use manifest::{
    Declared, DeclaredSource, DepKind, Manifest, ManifestKind, manifest_kind_of, read_manifest,
};
pub use model::{Ecosystem, Lockfile, LockfileKind, Package, Source};
pub use names::normalize_pypi_name;

/// The lockfile format a file name stands for, from its last path component:
/// `Cargo.lock`, `package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`, `pnpm-lock.yaml`,
/// `poetry.lock`, `Pipfile.lock`, or `requirements*.txt` (`requirements.txt`,
/// `requirements-dev.txt`, …).
pub fn kind_of(file_name: &str) -> Option<LockfileKind> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    Some(match base {
        "Cargo.lock" => LockfileKind::CargoLock,
        "package-lock.json" => LockfileKind::PackageLock,
        "npm-shrinkwrap.json" => LockfileKind::NpmShrinkwrap,
        "yarn.lock" => LockfileKind::YarnLock,
        "pnpm-lock.yaml" => LockfileKind::PnpmLock,
        "poetry.lock" => LockfileKind::PoetryLock,
        "Pipfile.lock" => LockfileKind::PipfileLock,
        _ if base.starts_with("requirements") && base.ends_with(".txt") => {
            LockfileKind::Requirements
        }
        _ => return None,
    })
}

/// Parses a lockfile. `file_name` picks the format ([`kind_of`]) and names the file in errors;
/// `text` is its content.
///
/// Same as [`parse_with_manifest`] without a manifest: formats that do not record the
/// project's own dependencies then guess them (see there).
pub fn parse(file_name: &str, text: &str) -> Result<Lockfile, LockfileError> {
    parse_with_manifest(file_name, text, None)
}

/// Parses a lockfile, reading the project's manifest for what the lockfile does not record.
///
/// `manifest` is the text of the file [`LockfileKind::manifest`] names, next to the lockfile;
/// it is ignored for other formats. With it:
///
/// - `yarn.lock` v1 and `package-lock.json` v1 (`package.json`): `dependencies`,
///   `optionalDependencies` and `peerDependencies` are direct, `devDependencies` direct and dev;
/// - yarn Berry (`package.json`): the root's `devDependencies` are marked dev;
/// - `poetry.lock` (`pyproject.toml`): `[project]` dependencies and optional dependencies,
///   `[dependency-groups]`, `[tool.poetry.dependencies]` and `[tool.poetry.group.*]` /
///   `[tool.poetry.dev-dependencies]` are direct (groups other than main are dev);
/// - `Pipfile.lock` (`Pipfile`): `[packages]` and `[dev-packages]` are direct.
///
/// Without it, a package that no other locked package depends on is taken as direct (true of
/// each one so marked, but a direct dependency that something else also depends on is missed),
/// and a `Pipfile.lock`, which records no dependency graph, reports no package as direct.
/// Errors in the manifest name the manifest's file.
pub fn parse_with_manifest(
    file_name: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<Lockfile, LockfileError> {
    let kind = kind_of(file_name).ok_or_else(|| LockfileError::unknown_format(file_name))?;
    let (packages, root) = formats::parse(kind, file_name, text, manifest)?;
    Ok(Lockfile {
        kind,
        packages,
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_last_path_component() {
        assert_eq!(kind_of("Cargo.lock"), Some(LockfileKind::CargoLock));
        assert_eq!(
            kind_of("a/b/package-lock.json"),
            Some(LockfileKind::PackageLock)
        );
        assert_eq!(
            kind_of("npm-shrinkwrap.json"),
            Some(LockfileKind::NpmShrinkwrap)
        );
        assert_eq!(kind_of("web\\yarn.lock"), Some(LockfileKind::YarnLock));
        assert_eq!(kind_of("pnpm-lock.yaml"), Some(LockfileKind::PnpmLock));
        assert_eq!(kind_of("poetry.lock"), Some(LockfileKind::PoetryLock));
        assert_eq!(kind_of("Pipfile.lock"), Some(LockfileKind::PipfileLock));
        assert_eq!(
            kind_of("requirements.txt"),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(
            kind_of("requirements-dev.txt"),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(kind_of("package.json"), None);
        assert_eq!(kind_of("cargo.lock"), None);
        let err = parse("Gemfile.lock", "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownFormat);
        assert_eq!(err.line(), None);
        assert!(
            err.to_string()
                .starts_with("Gemfile.lock: not a known lockfile name")
        );
    }
}
