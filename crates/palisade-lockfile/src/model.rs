//! The normalised model every lockfile format is turned into.

use std::fmt;

/// A package ecosystem, spelt as OSV spells it (`"npm"`, `"crates.io"`, `"PyPI"`), so advisory
/// look-ups can use [`Ecosystem::as_str`] directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// The npm registry (npm, yarn and pnpm lockfiles).
    Npm,
    /// crates.io (Cargo.lock).
    CratesIo,
    /// The Python Package Index (poetry.lock, Pipfile.lock, requirements.txt).
    PyPI,
}

impl Ecosystem {
    /// The OSV name of the ecosystem.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::PyPI => "PyPI",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which lockfile format a file is, as told by its name ([`crate::kind_of`]).
///
/// `yarn.lock` covers both yarn v1 and yarn Berry (v2+): the two are told apart by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LockfileKind {
    /// `Cargo.lock`, versions 1 to 4.
    CargoLock,
    /// `package-lock.json`, lockfileVersion 1 to 3.
    PackageLock,
    /// `npm-shrinkwrap.json`: the same format as `package-lock.json`.
    NpmShrinkwrap,
    /// `yarn.lock`, v1 (yarn classic) or Berry (yarn 2+, YAML).
    YarnLock,
    /// `pnpm-lock.yaml`, lockfileVersion 5.x, 6.x and 9.x.
    PnpmLock,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `requirements*.txt`, as written by hand or by pip-compile / `uv pip compile`.
    Requirements,
}

impl LockfileKind {
    /// The ecosystem the format's packages come from.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            LockfileKind::CargoLock => Ecosystem::CratesIo,
            LockfileKind::PackageLock
            | LockfileKind::NpmShrinkwrap
            | LockfileKind::YarnLock
            | LockfileKind::PnpmLock => Ecosystem::Npm,
            LockfileKind::PoetryLock | LockfileKind::PipfileLock | LockfileKind::Requirements => {
                Ecosystem::PyPI
            }
        }
    }

    /// The manifest [`crate::parse_with_manifest`] reads for this format, when the lockfile alone
    /// cannot tell which packages are direct or dev dependencies; `None` when it records that
    /// itself.
    ///
    /// - `package.json` for `yarn.lock` (v1 records no roots; Berry records no dev flag) and for
    ///   `package-lock.json` / `npm-shrinkwrap.json` lockfileVersion 1 (no root entry);
    /// - `pyproject.toml` for `poetry.lock`;
    /// - `Pipfile` for `Pipfile.lock`.
    pub fn manifest(self) -> Option<&'static str> {
        match self {
            LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap | LockfileKind::YarnLock => {
                Some("package.json")
            }
            LockfileKind::PoetryLock => Some("pyproject.toml"),
            LockfileKind::PipfileLock => Some("Pipfile"),
            LockfileKind::CargoLock | LockfileKind::PnpmLock | LockfileKind::Requirements => None,
        }
    }
}

/// A parsed lockfile: its format, its packages, and the root project's name when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockfile {
    /// The format it was parsed as.
    pub kind: LockfileKind,
    /// Every locked package once per (name, version), sorted by name then version.
    pub packages: Vec<Package>,
    /// The root project (`name@version`, or `name` without a version) when the lockfile or the
    /// manifest names it (for Cargo: the one package without a source, if there is just one).
    /// Paths start from it, or from a workspace member; an unnamed root is `(root)` in paths.
    pub root: Option<String>,
}

/// One locked package, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The registry name: the real name behind an npm alias (`"lodash"` for
    /// `"lodash4": "npm:lodash@4.17.21"`), PEP 503-normalised for PyPI.
    pub name: String,
    /// The exact locked version, as the ecosystem spells it. Empty when the lockfile records
    /// none (some git, path and link entries; unpinned requirements).
    pub version: String,
    /// Where the name and version are meaningful.
    pub ecosystem: Ecosystem,
    /// A dependency of a root (the project, a workspace member, a Cargo path package) itself.
    /// `false` when the lockfile cannot tell and no manifest was given — see
    /// [`crate::parse_with_manifest`].
    pub direct: bool,
    /// Only reachable through development dependencies (npm `dev`, poetry groups other than
    /// `main`, Pipfile `develop`, `devDependencies` of a root).
    pub dev: bool,
    /// The shortest dependency path from a root to this package, each step `name@version`
    /// (a root without a version is its bare name), ending with this package. Just this
    /// package when no root leads to it. At most 32 steps: a longer path keeps its root, an
    /// `…` and the last 30 steps.
    pub path: Vec<String>,
    /// Where it comes from, and so whether advisories for `name@version` apply to it.
    pub source: Source,
    /// The version requirement the package's parent on [`Package::path`] declared for it, as
    /// written (`"^4.17.0"`, `">=2,<4"`; an npm alias's `npm:name@` prefix and yarn Berry's
    /// `npm:` protocol removed), so fix advice can tell whether a fixed version is already
    /// allowed (refresh the lockfile) or needs a bigger bump. `None` when the lockfile does not
    /// record requirements for that edge: Cargo.lock, Pipfile.lock, requirements.txt, pnpm's
    /// package-to-package edges (it records only resolved versions there), poetry's roots, and
    /// a root edge guessed without a manifest.
    pub requested: Option<String>,
}

impl Package {
    /// `name@version`, or `name` when the version is unknown.
    pub fn id(&self) -> String {
        label(&self.name, &self.version)
    }
}

pub(crate) fn label(name: &str, version: &str) -> String {
    if version.is_empty() {
        return name.to_owned();
    }
    // Not `format!`: this runs for every step of every path, and formatting machinery was a
    // tenth of parsing a large lockfile.
    let mut label = String::with_capacity(name.len() + 1 + version.len());
    label.push_str(name);
    label.push('@');
    label.push_str(version);
    label
}

/// Where a package comes from. Only [`Source::Registry`] and [`Source::Patched`] packages are
/// the registry's `name@version`, so only they are matched against advisories
/// ([`Source::is_auditable`]); every other variant says why not.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// From a package registry. `url` is the registry or tarball URL the lockfile records, if
    /// any (a Cargo alternative registry, a private npm mirror, a poetry `legacy` source); the
    /// audit decides what a non-default registry means.
    Registry {
        /// As recorded; `None` when the lockfile records no URL (the default registry).
        url: Option<String>,
    },
    /// A registry package with a local patch applied (yarn Berry `patch:`). Auditable: the
    /// patch may or may not fix an advisory, and saying nothing would hide it.
    Patched {
        /// The patch reference, as recorded.
        patch: String,
    },
    /// The project itself: a workspace member, or — in Cargo.lock, which cannot tell them
    /// apart — a path dependency.
    Workspace,
    /// A local directory or archive (`file:`, poetry `directory`/`file`, a Pipfile `path`).
    Path {
        /// The path as recorded.
        path: String,
    },
    /// A symlink to local code (npm `link: true`, yarn `link:`/`portal:`, pnpm `link:`).
    Link {
        /// The link target as recorded.
        target: String,
    },
    /// A git repository.
    Git {
        /// The URL as recorded, usually with the commit.
        url: String,
    },
    /// A tarball or archive from a URL that is not a registry's.
    Url {
        /// The URL as recorded.
        url: String,
    },
    /// A requirements.txt line that does not pin one version (`flask>=2`, `flask`).
    Unpinned {
        /// The requirement as written, without markers or options.
        requirement: String,
    },
}

impl Source {
    /// Whether advisories for the ecosystem's `name@version` apply to this package.
    pub fn is_auditable(&self) -> bool {
        matches!(self, Source::Registry { .. } | Source::Patched { .. })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Registry { url: None } => f.write_str("registry"),
            Source::Registry { url: Some(url) } => write!(f, "registry ({url})"),
            Source::Patched { patch } => write!(f, "patched registry package ({patch})"),
            Source::Workspace => f.write_str("workspace member: not auditable"),
            Source::Path { path } => write!(f, "local path {path}: not auditable"),
            Source::Link { target } => write!(f, "link to {target}: not auditable"),
            Source::Git { url } => write!(f, "git dependency {url}: not auditable"),
            Source::Url { url } => write!(f, "non-registry URL {url}: not auditable"),
            Source::Unpinned { requirement } => {
                write!(f, "unpinned requirement {requirement}: not auditable")
            }
        }
    }
}
