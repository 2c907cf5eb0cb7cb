//! `Cargo.lock`, versions 1 to 4.
//!
//! v1 has no `version` key, keeps checksums in `[metadata]` and spells every dependency in
//! full (`"name version (source)"`); v2 moved checksums into the packages and shortened
//! dependencies to what is needed to be unambiguous (`"name"`, `"name version"`); v3 and v4
//! add `version = 3|4` and change nothing read here. Packages without `source` are the
//! workspace members and path dependencies — the roots. Cargo.lock does not record which
//! dependencies are dev-dependencies, so no package is marked dev.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{ErrorKind, LockfileError, from_toml};
use crate::graph::Graph;
use crate::model::{Ecosystem, Package, Source, label};

#[derive(Deserialize)]
struct CargoLock {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
}

pub(crate) fn parse(
    file: &str,
    text: &str,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let lock: CargoLock = from_toml(file, text)?;
    if let Some(version) = &lock.version
        && !(1..=4).contains(version.get_ref())
    {
        return Err(LockfileError::at(
            file,
            text,
            version.span().start,
            ErrorKind::Unsupported,
            format!(
                "unsupported Cargo.lock version {} (1 to 4 are read)",
                version.get_ref()
            ),
        ));
    }

    let mut graph = Graph::new(Ecosystem::CratesIo);
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let source = match p.source.as_deref() {
            None => Source::Workspace,
            Some(s) if s.starts_with("git+") => Source::Git {
                url: s["git+".len()..].to_owned(),
            },
            Some(s) => Source::Registry {
                url: Some(s.to_owned()),
            },
        };
        let id = graph.package(&p.name, &p.version, source);
        debug_assert_eq!(id, i);
        if p.source.is_none() {
            graph.set_root(id);
            roots.push(label(&p.name, &p.version));
        }
        by_name.entry(&p.name).or_default().push(i);
    }

    for (from, p) in lock.package.iter().enumerate() {
        for dep in &p.dependencies {
            let to = resolve(&lock.package, &by_name, dep.get_ref()).map_err(|why| {
                LockfileError::at(
                    file,
                    text,
                    dep.span().start,
                    ErrorKind::Invalid,
                    format!(
                        "dependency {:?} of {} {}: {why}",
                        dep.get_ref(),
                        p.name,
                        p.version
                    ),
                )
            })?;
            graph.edge(from, to, false);
        }
    }
    let root = match roots.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    Ok((graph.finish(), root))
}

/// The package a dependency string names: `name`, `name version` or `name version (source)`.
fn resolve(
    packages: &[CargoPackage],
    by_name: &HashMap<&str, Vec<usize>>,
    dep: &str,
) -> Result<usize, &'static str> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next().unwrap_or("");
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let candidates: Vec<usize> = by_name
        .get(name)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|&i| version.is_none_or(|v| packages[i].version == v))
        .filter(|&i| source.is_none_or(|s| packages[i].source.as_deref() == Some(s)))
        .collect();
    match candidates.as_slice() {
        [] => Err("no such package in this lockfile"),
        [one] => Ok(*one),
        // Two sources of one version: a name and version are what the audit needs.
        [first, ..] if version.is_some() => Ok(*first),
        _ => Err("ambiguous: several versions are locked"),
    }
}
