//! `pnpm-lock.yaml`, lockfileVersion 5.x (pnpm 7 and older), 6.x (pnpm 8) and 9.x (pnpm 9+).
//!
//! The three differ in how a package is keyed — `/name/1.2.3_peer@1.0.0` (5),
//! `/name@1.2.3(peer@1.0.0)` (6), `name@1.2.3(peer@1.0.0)` (9) — and 9 splits each package
//! into `packages` (where it comes from) and `snapshots` (its dependencies, one per peer
//! variant). `importers` are the workspace's projects and the roots; a dependency is written as
//! a version (`2.6.9`), a full key (an alias: `/lodash@4.17.21`, `lodash@4.17.21`) or `link:`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Deserializer};

use crate::error::{ErrorKind, LockfileError, from_yaml, locate};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::{npm_requested, npm_source, split_spec};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PnpmLock {
    lockfile_version: Option<LockVersion>,
    importers: Option<BTreeMap<String, Importer>>,
    /// A single project before workspaces were the rule (v5) keeps its importer at the top.
    #[serde(flatten)]
    top: Importer,
    #[serde(default)]
    packages: BTreeMap<String, PnpmPackage>,
    snapshots: Option<BTreeMap<String, Deps>>,
}

/// `lockfileVersion` is a number (`5.4`) up to v5 and a string (`'6.0'`, `'9.0'`) after.
struct LockVersion(String);

impl<'de> Deserialize<'de> for LockVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LockVersion;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a lockfile version number or string")
            }
            fn visit_str<E>(self, v: &str) -> Result<LockVersion, E> {
                Ok(LockVersion(v.to_owned()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LockVersion, E> {
                Ok(LockVersion(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LockVersion, E> {
                Ok(LockVersion(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LockVersion, E> {
                Ok(LockVersion(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Importer {
    /// v5: each dependency's requirement as the project's package.json writes it.
    #[serde(default)]
    specifiers: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, DepRef>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, DepRef>,
}

/// v5 writes `name: 1.2.3`; v6 and v9 `name: {specifier: ^1.2.0, version: 1.2.3}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DepRef {
    Plain(String),
    Full {
        version: String,
        specifier: Option<String>,
    },
}

impl DepRef {
    fn version(&self) -> &str {
        match self {
            DepRef::Plain(v) | DepRef::Full { version: v, .. } => v,
        }
    }

    /// The requirement as the project wrote it: v6/v9 keep it beside the version, v5 in the
    /// importer's `specifiers`.
    fn specifier<'a>(&'a self, importer: &'a Importer, alias: &str) -> Option<&'a str> {
        match self {
            DepRef::Full { specifier, .. } => specifier.as_deref(),
            DepRef::Plain(_) => importer.specifiers.get(alias).map(String::as_str),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PnpmPackage {
    resolution: Option<Resolution>,
    name: Option<String>,
    version: Option<String>,
    #[serde(flatten)]
    deps: Deps,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Deps {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Resolution {
    tarball: Option<String>,
    directory: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    V5,
    V6,
    V9,
}

pub(crate) fn parse(
    file: &str,
    text: &str,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let lock: PnpmLock = from_yaml(file, text)?;
    let at_version = || locate(text, &["lockfileVersion"]);
    let version = lock.lockfile_version.as_ref().ok_or_else(|| {
        LockfileError::at(
            file,
            text,
            0,
            ErrorKind::Invalid,
            "missing field `lockfileVersion`",
        )
    })?;
    let major: u32 = version
        .0
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| {
            LockfileError::at(
                file,
                text,
                at_version(),
                ErrorKind::Invalid,
                format!("lockfileVersion {:?} is not a version", version.0),
            )
        })?;
    let style = match major {
        3..=5 => Style::V5,
        6 => Style::V6,
        7.. => Style::V9,
        _ => {
            return Err(LockfileError::at(
                file,
                text,
                at_version(),
                ErrorKind::Unsupported,
                format!(
                    "unsupported lockfileVersion {} (5.x, 6.x and 9.x are read)",
                    version.0
                ),
            ));
        }
    };

    let mut graph = Graph::new(Ecosystem::Npm);
    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    // v9 keeps dependencies in `snapshots`; earlier versions in `packages`.
    let nodes: Vec<(&str, &Deps)> = match (&lock.snapshots, style) {
        (Some(snapshots), Style::V9) => snapshots.iter().map(|(k, d)| (k.as_str(), d)).collect(),
        _ => lock
            .packages
            .iter()
            .map(|(k, p)| (k.as_str(), &p.deps))
            .collect(),
    };
    for &(key, _) in &nodes {
        let (name, version) = key_name_version(key, style);
        let entry = lock
            .packages
            .get(key)
            .or_else(|| lock.packages.get(strip_peers(key)));
        let name = entry.and_then(|p| p.name.as_deref()).unwrap_or(name);
        let version = entry.and_then(|p| p.version.as_deref()).unwrap_or(version);
        let source = entry
            .and_then(|p| p.resolution.as_ref())
            .map_or(Source::Registry { url: None }, source_of);
        // A key's `file:…`, URL or git reference is no version.
        let version = if starts_with_digit(version) {
            version
        } else {
            ""
        };
        ids.insert(key, graph.package(name, version, source));
    }

    let importers: Vec<(&str, &Importer)> = match &lock.importers {
        Some(importers) => importers.iter().map(|(k, i)| (k.as_str(), i)).collect(),
        None => vec![(".", &lock.top)],
    };
    let mut roots: HashMap<&str, NodeId> = HashMap::new();
    for &(path, _) in &importers {
        let label = if path == "." { "(root)" } else { path };
        roots.insert(path, graph.virtual_root(label));
    }

    let mut edges = Vec::new();
    let mut links = Vec::new();
    for &(path, importer) in &importers {
        let from = roots[path];
        for (deps, dev) in [
            (&importer.dependencies, false),
            (&importer.optional_dependencies, false),
            (&importer.dev_dependencies, true),
        ] {
            for (alias, dep) in deps {
                let reference = dep.version();
                let requested = dep.specifier(importer, alias).map(npm_requested);
                if let Some(target) = reference.strip_prefix("link:") {
                    match roots.get(join(path, target).as_str()) {
                        Some(&to) => edges.push((from, to, dev, requested)),
                        None => links.push((from, alias.as_str(), target, dev)),
                    }
                } else if let Some(to) = find(&ids, style, alias, reference) {
                    edges.push((from, to, dev, requested));
                }
            }
        }
    }
    // Packages' own dependencies are recorded as resolved versions, not requirements.
    for &(key, deps) in &nodes {
        let from = ids[key];
        for (alias, reference) in deps.dependencies.iter().chain(&deps.optional_dependencies) {
            if let Some(target) = reference.strip_prefix("link:") {
                links.push((from, alias.as_str(), target, false));
            } else if let Some(to) = find(&ids, style, alias, reference) {
                edges.push((from, to, false, None));
            }
        }
    }
    for (from, to, dev, requested) in edges {
        graph.edge_requested(from, to, dev, requested);
    }
    for (from, alias, target, dev) in links {
        let to = graph.package(
            alias,
            "",
            Source::Link {
                target: target.to_owned(),
            },
        );
        graph.edge(from, to, dev);
    }
    Ok((graph.finish(), None))
}

fn starts_with_digit(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// A key without its peer suffix: `(…)` from v6 on, `_…` in v5.
fn strip_peers(key: &str) -> &str {
    let end = key.find('(').unwrap_or(key.len());
    &key[..end]
}

/// Name and version from a package key; the version may be a non-registry reference
/// (`file:…`), which the caller drops.
fn key_name_version(key: &str, style: Style) -> (&str, &str) {
    match style {
        Style::V5 => {
            let key = key.strip_prefix('/').unwrap_or(key);
            // `@scope/name/1.2.3_peer` or `name/1.2.3_peer`.
            let name_segments = if key.starts_with('@') { 2 } else { 1 };
            let mut split = key.match_indices('/').map(|(i, _)| i);
            match split.nth(name_segments - 1) {
                Some(i) => {
                    let version = &key[i + 1..];
                    let version = version.split('_').next().unwrap_or(version);
                    (&key[..i], version)
                }
                None => (key, ""),
            }
        }
        Style::V6 | Style::V9 => {
            let key = strip_peers(key.strip_prefix('/').unwrap_or(key));
            split_spec(key).unwrap_or((key, ""))
        }
    }
}

/// The node a dependency reference points to: `alias` at version `reference`, or — for aliases
/// and non-registry packages — the key `reference` spells out.
fn find(ids: &HashMap<&str, NodeId>, style: Style, alias: &str, reference: &str) -> Option<NodeId> {
    let candidate = match style {
        Style::V5 => format!("/{alias}/{reference}"),
        Style::V6 => format!("/{alias}@{reference}"),
        Style::V9 => format!("{alias}@{reference}"),
    };
    ids.get(candidate.as_str())
        .or_else(|| ids.get(reference))
        .or_else(|| ids.get(format!("/{reference}").as_str()))
        .copied()
}

/// `packages/web` + `../util` → `packages/util`.
fn join(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = if base == "." {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for seg in relative.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

fn source_of(r: &Resolution) -> Source {
    match (r.kind.as_deref(), r) {
        (Some("directory"), _) => Source::Path {
            path: r.directory.clone().unwrap_or_default(),
        },
        (Some("git"), _) => Source::Git {
            url: match (&r.repo, &r.commit) {
                (Some(repo), Some(commit)) => format!("{repo}#{commit}"),
                (repo, _) => repo.clone().unwrap_or_default(),
            },
        },
        (
            _,
            Resolution {
                tarball: Some(url), ..
            },
        ) => {
            if url.starts_with("file:") {
                Source::Path {
                    path: url.trim_start_matches("file:").to_owned(),
                }
            } else {
                npm_source(Some(url))
            }
        }
        _ => Source::Registry { url: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            key_name_version("/debug/2.6.9", Style::V5),
            ("debug", "2.6.9")
        );
        assert_eq!(
            key_name_version("/@babel/core/7.0.0_react@18.2.0", Style::V5),
            ("@babel/core", "7.0.0")
        );
        assert_eq!(
            key_name_version("/react-dom@18.2.0(react@18.2.0)", Style::V6),
            ("react-dom", "18.2.0")
        );
        assert_eq!(
            key_name_version("@s/x@1.0.0(y@2.0.0)", Style::V9),
            ("@s/x", "1.0.0")
        );
        assert_eq!(
            key_name_version("local-lib@file:local-lib", Style::V9),
            ("local-lib", "file:local-lib")
        );
    }

    #[test]
    fn joins() {
        assert_eq!(join("packages/web", "../util"), "packages/util");
        assert_eq!(join(".", "packages/util"), "packages/util");
        assert_eq!(join("a", ".."), ".");
    }
}
