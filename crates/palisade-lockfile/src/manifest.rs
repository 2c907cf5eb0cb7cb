//! Project manifests (`package.json`, `Cargo.toml`) → the dependencies they declare, for
//! `palisade outdated` and `palisade update`.
//!
//! A lockfile says which version is installed; only the manifest says which versions the
//! project *allows* (the requirement as written), and under which name, kind and platform.
//! [`read_manifest`] reads both formats into one [`Manifest`]; like the lockfile parsers it is
//! pure (the caller reads the file) and its errors carry `file:line:column`.

use std::fmt;

use crate::error::LockfileError;
use crate::formats;
use crate::model::Ecosystem;

/// Which manifest format a file is, as told by its name ([`manifest_kind_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifestKind {
    /// npm's `package.json` (also what yarn and pnpm read).
    PackageJson,
    /// Cargo's `Cargo.toml`.
    CargoToml,
}

impl ManifestKind {
    /// The ecosystem the declared names and requirements belong to.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            ManifestKind::PackageJson => Ecosystem::Npm,
            ManifestKind::CargoToml => Ecosystem::CratesIo,
        }
    }
}

/// What a manifest declares: the project's name and its own dependencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The format it was read as.
    pub kind: ManifestKind,
    /// `name` of `package.json`, `[package] name` of `Cargo.toml`; `None` when absent (a
    /// virtual Cargo workspace root, a private package without a name).
    pub name: Option<String>,
    /// Every declared dependency, in this order: for `package.json` `dependencies`,
    /// `devDependencies`, `optionalDependencies`, `peerDependencies`; for `Cargo.toml`
    /// `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, then each
    /// `[target.'…']` table in name order with its three tables. Within one table, sorted by
    /// key. A name declared in two tables appears twice (Cargo allows a crate as both a normal
    /// and a dev dependency; npm lets `optionalDependencies` repeat `dependencies`).
    pub dependencies: Vec<Declared>,
    /// `Cargo.toml`'s `[workspace.dependencies]`, where a member's `workspace = true` gets its
    /// requirement and source. Their [`Declared::kind`] is [`DepKind::Normal`]: the member's
    /// table decides the kind. Always empty for `package.json`.
    pub workspace_dependencies: Vec<Declared>,
}

/// One dependency as the manifest declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// The registry name: the real package behind an alias (`lodash` for
    /// `"lodash4": "npm:lodash@^4"`, `serde_json` for `json = { package = "serde_json" }`).
    pub name: String,
    /// The key in the manifest when it differs from [`Declared::name`] (what the code imports
    /// it as).
    pub alias: Option<String>,
    /// The version requirement as written (`^4.17.0`, `1`, `>=2, <4`, `latest`), with an npm
    /// alias's `npm:name@` prefix removed. For a source other than the registry, what the
    /// manifest wrote for it: npm's whole specifier (`file:../x`, `github:a/b#v1`), Cargo's
    /// `version` key next to `path`/`git` (used when publishing), or empty.
    pub requirement: String,
    /// Which table declares it.
    pub kind: DepKind,
    /// The platform a Cargo `[target.'…']` table restricts it to, as written (`cfg(unix)`,
    /// `x86_64-pc-windows-gnu`); `None` for every platform.
    pub target: Option<String>,
    /// A Cargo alternative registry (`registry = "…"`), by its name in `.cargo/config.toml`;
    /// `None` for crates.io (or npm's configured registry).
    pub registry: Option<String>,
    /// Where the package comes from.
    pub source: DeclaredSource,
    /// Cargo `features = […]`; empty for npm.
    pub features: Vec<String>,
    /// Cargo `default-features` (`true` when not written, and for npm).
    pub default_features: bool,
}

impl Declared {
    /// The key in the manifest: the alias if renamed, else the name.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// Which table declares a dependency.
///
/// Cargo's `optional = true` makes a `[dependencies]` entry [`DepKind::Optional`]; an optional
/// `[build-dependencies]` entry stays [`DepKind::Build`] (what matters for updates is that it
/// only runs at build time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DepKind {
    /// npm `dependencies`, Cargo `[dependencies]`.
    Normal,
    /// npm `devDependencies`, Cargo `[dev-dependencies]`.
    Dev,
    /// Cargo `[build-dependencies]`.
    Build,
    /// npm `optionalDependencies`, Cargo `[dependencies]` with `optional = true`.
    Optional,
    /// npm `peerDependencies`: the host project provides it.
    Peer,
}

impl DepKind {
    /// Lower-case name, as `npm outdated` and `cargo outdated` print kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Dev => "dev",
            DepKind::Build => "build",
            DepKind::Optional => "optional",
            DepKind::Peer => "peer",
        }
    }
}

impl fmt::Display for DepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a declared dependency comes from. Only [`DeclaredSource::Registry`] dependencies have
/// registry versions to update to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeclaredSource {
    /// A package registry: a version requirement or an npm dist-tag.
    Registry,
    /// A local directory or archive: Cargo `path = "…"`, npm `file:…` or a bare `./…` path.
    Path {
        /// As written, without `file:`.
        path: String,
    },
    /// A git repository: Cargo `git = "…"`, npm git URLs and `owner/repo` / `github:` shorthands.
    Git {
        /// The repository as written, without the `#…` reference.
        url: String,
        /// Cargo's `branch`, `tag` or `rev`, or what follows npm's `#`.
        reference: Option<String>,
    },
    /// An npm tarball URL (`https://…/x.tgz`).
    Url {
        /// As written.
        url: String,
    },
    /// A symlink to local code: npm/yarn/pnpm `link:`, yarn `portal:`.
    Link {
        /// As written, without the protocol.
        target: String,
    },
    /// Cargo `workspace = true` (the workspace root's [`Manifest::workspace_dependencies`]
    /// says the rest), or the `workspace:` protocol of yarn and pnpm (a sibling package).
    Workspace,
}

impl DeclaredSource {
    /// Whether the registry serves this dependency, so newer versions can exist there.
    pub fn is_registry(&self) -> bool {
        matches!(self, DeclaredSource::Registry)
    }
}

/// The manifest format a file name stands for, from its last path component: `package.json` or
/// `Cargo.toml`.
pub fn manifest_kind_of(file_name: &str) -> Option<ManifestKind> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base {
        "package.json" => Some(ManifestKind::PackageJson),
        "Cargo.toml" => Some(ManifestKind::CargoToml),
        _ => None,
    }
}

/// Reads a manifest. `file_name` picks the format ([`manifest_kind_of`]) and names the file in
/// errors; `text` is its content.
///
/// Only the keys that name the project and its dependencies are read; anything else is
/// ignored, as npm and Cargo ignore keys they do not know. A dependency table Cargo would
/// reject (no version, path, git or workspace; `workspace = true` next to a version or source;
/// both `git` and `path`) is an [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) error at the
/// table.
///
/// # Example
///
/// ```
/// use palisade_lockfile::{DeclaredSource, DepKind, read_manifest};
///
/// let text = r#"
/// [package]
/// name = "app"
///
/// [dependencies]
/// serde = "1"
/// json = { package = "serde_json", version = "1.0.100", optional = true }
/// helper = { path = "../helper" }
///
/// [target.'cfg(unix)'.dev-dependencies]
/// nix = "0.29"
/// "#;
/// let manifest = read_manifest("Cargo.toml", text).unwrap();
/// assert_eq!(manifest.name.as_deref(), Some("app"));
/// // Each table sorted by key: helper, json, serde; then the target table.
/// let [helper, json, serde, nix] = &manifest.dependencies[..] else { panic!() };
/// assert_eq!(helper.source, DeclaredSource::Path { path: "../helper".into() });
/// assert_eq!((json.name.as_str(), json.alias.as_deref()), ("serde_json", Some("json")));
/// assert_eq!((json.requirement.as_str(), json.kind), ("1.0.100", DepKind::Optional));
/// assert_eq!((serde.requirement.as_str(), serde.source.is_registry()), ("1", true));
/// assert_eq!((nix.kind, nix.target.as_deref()), (DepKind::Dev, Some("cfg(unix)")));
///
/// let err = read_manifest("Cargo.toml", "[dependencies]\nserde = 1\n").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Cargo.toml:2:9: dependencies.serde: invalid type: integer `1`, \
///      expected a version requirement string or a dependency table"
/// );
/// ```
///
/// # Security
///
/// Manifests come from the repository being checked: untrusted input, read without panics and
/// without fetching, resolving or executing anything (`workspace = true` is left for the
/// caller to resolve against [`Manifest::workspace_dependencies`] of the workspace root).
pub fn read_manifest(file_name: &str, text: &str) -> Result<Manifest, LockfileError> {
    let kind =
        manifest_kind_of(file_name).ok_or_else(|| LockfileError::unknown_manifest(file_name))?;
    // A UTF-8 byte order mark is not part of either format.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        ManifestKind::PackageJson => formats::package_json::read(file_name, text),
        ManifestKind::CargoToml => formats::cargo_toml::read(file_name, text),
    }
}
