//! Packuments parsed into what the update planner needs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::repository::normalise_repository;
use super::wire;

/// What an npm registry publishes for one package, from the abbreviated packument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packument {
    /// The package name, as the registry spells it.
    pub name: String,
    /// Tag → version (`latest`, `next`, …).
    pub dist_tags: BTreeMap<String, String>,
    /// Every published version, sorted by version string: the planner orders them by
    /// semver precedence itself.
    pub versions: Vec<NpmVersion>,
    /// When the packument last changed (ISO 8601), when the registry says.
    pub modified: Option<String>,
}

impl Packument {
    /// The version the `latest` tag points at.
    pub fn latest(&self) -> Option<&str> {
        self.dist_tags.get("latest").map(String::as_str)
    }

    /// The version `version` when published.
    pub fn version(&self, version: &str) -> Option<&NpmVersion> {
        self.versions.iter().find(|v| v.version == version)
    }
}

/// One published version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpmVersion {
    /// Its version string.
    pub version: String,
    /// The deprecation message, when the version is deprecated (it may be empty when the
    /// registry only said `true`).
    pub deprecated: Option<String>,
    /// The `engines.node` range it declares.
    pub node_engine: Option<String>,
    /// Whether it runs an install script (`preinstall`, `install`, `postinstall`, or a
    /// `binding.gyp`): a reason to look twice before updating to it.
    pub has_install_script: bool,
}

/// Where a package's source lives, from the full packument: for the messages of the
/// updates that pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageMetadata {
    /// The package name.
    pub name: String,
    /// The repository as a browsable `https://` URL (git URLs and `github:` shorthands are
    /// normalised), or a non-GitHub `http(s)` URL as given.
    pub repository: Option<String>,
    /// The homepage, when it is an `http(s)` URL.
    pub homepage: Option<String>,
}

pub(crate) fn parse_abbreviated(body: &[u8]) -> Result<Packument, serde_json::Error> {
    let wire: wire::Abbreviated = serde_json::from_slice(body)?;
    let versions = wire
        .versions
        .into_iter()
        .map(|(version, v)| NpmVersion {
            version,
            deprecated: deprecation(v.deprecated.as_ref()),
            node_engine: node_engine(v.engines.as_ref()),
            has_install_script: v.has_install_script == Some(Value::Bool(true)),
        })
        .collect();
    Ok(Packument {
        name: wire.name,
        dist_tags: wire.dist_tags,
        versions,
        modified: wire.modified,
    })
}

pub(crate) fn parse_full(body: &[u8]) -> Result<PackageMetadata, serde_json::Error> {
    let wire: wire::Full = serde_json::from_slice(body)?;
    // Old packuments carry these only inside each version; the latest one speaks for the
    // package.
    let latest = wire
        .dist_tags
        .get("latest")
        .and_then(|latest| wire.versions.get(latest));
    let repository = wire
        .repository
        .as_ref()
        .and_then(normalise_repository)
        .or_else(|| latest?.repository.as_ref().and_then(normalise_repository));
    let homepage = homepage(wire.homepage.as_ref()).or_else(|| homepage(latest?.homepage.as_ref()));
    Ok(PackageMetadata {
        name: wire.name,
        repository,
        homepage,
    })
}

fn deprecation(value: Option<&Value>) -> Option<String> {
    match value? {
        // `npm deprecate pkg@1 ""` un-deprecates by writing an empty message.
        Value::String(message) if !message.is_empty() => Some(message.clone()),
        Value::Bool(true) => Some(String::new()),
        _ => None,
    }
}

fn node_engine(value: Option<&Value>) -> Option<String> {
    match value?.get("node")? {
        Value::String(range) => Some(range.clone()),
        _ => None,
    }
}

fn homepage(value: Option<&Value>) -> Option<String> {
    let url = value?.as_str()?.trim();
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviated_fields_of_every_vintage() {
        let body = br#"{
            "name": "old", "modified": "2024-01-02T03:04:05.000Z",
            "dist-tags": {"latest": "2.0.0", "next": "3.0.0-rc.1"},
            "versions": {
                "1.0.0": {"name": "old", "version": "1.0.0", "engines": ["node >=0.4"]},
                "1.1.0": {"deprecated": "use 2", "engines": {"node": ">=8"}},
                "2.0.0": {"deprecated": "", "hasInstallScript": true, "dist": {"tarball": "x"}},
                "3.0.0-rc.1": {"deprecated": false, "engines": {"node": 14}}
            }}"#;
        let p = parse_abbreviated(body).unwrap();
        assert_eq!(p.latest(), Some("2.0.0"));
        assert_eq!(p.modified.as_deref(), Some("2024-01-02T03:04:05.000Z"));
        let v = |s| p.version(s).unwrap();
        assert_eq!(v("1.0.0").node_engine, None);
        assert_eq!(v("1.1.0").deprecated.as_deref(), Some("use 2"));
        assert_eq!(v("1.1.0").node_engine.as_deref(), Some(">=8"));
        assert_eq!(v("2.0.0").deprecated, None);
        assert!(v("2.0.0").has_install_script);
        assert!(!v("1.0.0").has_install_script);
        assert_eq!(v("3.0.0-rc.1").deprecated, None);
        assert_eq!(v("3.0.0-rc.1").node_engine, None);
    }

    #[test]
    fn a_packument_without_versions_parses_empty() {
        // Fully unpublished packages keep a stub packument.
        let p = parse_abbreviated(br#"{"name": "gone", "time": {"unpublished": {}}}"#).unwrap();
        assert!(p.versions.is_empty() && p.latest().is_none());
        assert!(parse_abbreviated(b"<html>").is_err());
    }

    #[test]
    fn metadata_falls_back_to_the_latest_version() {
        let body = br#"{"name": "p", "dist-tags": {"latest": "1.0.0"},
            "versions": {"1.0.0": {"repository": "github:o/p", "homepage": "https://p.dev"},
                         "0.9.0": {"repository": "github:o/old"}}}"#;
        let m = parse_full(body).unwrap();
        assert_eq!(m.repository.as_deref(), Some("https://github.com/o/p"));
        assert_eq!(m.homepage.as_deref(), Some("https://p.dev"));
        let top =
            br#"{"name": "p", "repository": {"type": "git", "url": "git://github.com/o/top.git"},
            "homepage": "javascript:alert(1)", "dist-tags": {}, "versions": {}}"#;
        let m = parse_full(top).unwrap();
        assert_eq!(m.repository.as_deref(), Some("https://github.com/o/top"));
        assert_eq!(m.homepage, None);
    }
}
