//! `poetry.lock` (Poetry 1.x and 2.x): TOML `[[package]]` entries with their dependencies by
//! name, `category = "dev"` (lock-version 1.x) or `groups = [...]` (2.x), and a
//! `[package.source]` for anything not from PyPI. The lockfile does not say which packages the
//! project itself asked for; `pyproject.toml` does.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::manifest;
use crate::error::{LockfileError, from_toml};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::normalize_pypi_name;

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    category: Option<String>,
    groups: Option<Vec<String>>,
    /// Values are a constraint, a table or a list of tables (per marker).
    #[serde(default)]
    dependencies: BTreeMap<String, Constraint>,
    source: Option<PoetrySource>,
}

/// A `[package.dependencies]` value: `">=2,<4"`, `{version = ">=1.2", markers = "…"}`, or a
/// list of such tables, one per marker.
#[derive(Deserialize)]
#[serde(untagged)]
enum Constraint {
    Plain(String),
    Table(ConstraintTable),
    #[allow(dead_code)] // only its presence matters
    PerMarker(IgnoredAny),
}

#[derive(Deserialize)]
struct ConstraintTable {
    version: Option<String>,
}

impl Constraint {
    /// The version constraint; `None` for a list of per-marker constraints, where which one
    /// applies depends on the environment.
    fn requested(&self) -> Option<&str> {
        match self {
            Constraint::Plain(v) => Some(v),
            Constraint::Table(t) => t.version.as_deref(),
            Constraint::PerMarker(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    url: String,
    resolved_reference: Option<String>,
}

pub(crate) fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let lock: PoetryLock = from_toml(file, text)?;
    let manifest = manifest.map(manifest::pyproject).transpose()?;

    let mut graph = Graph::new(Ecosystem::PyPI);
    // One name can be locked at several versions (per Python version or platform marker).
    let mut by_name: HashMap<String, Vec<NodeId>> = HashMap::new();
    let mut ids = Vec::new();
    for p in &lock.package {
        let name = normalize_pypi_name(&p.name);
        let id = graph.package(&name, &p.version, source_of(p.source.as_ref()));
        let dev = match (&p.groups, &p.category) {
            (Some(groups), _) => Some(!groups.iter().any(|g| g == "main")),
            (None, Some(category)) => Some(category == "dev"),
            (None, None) => None,
        };
        if let Some(dev) = dev {
            graph.set_dev_hint(id, dev);
        }
        by_name.entry(name).or_default().push(id);
        ids.push(id);
    }
    for (p, &from) in lock.package.iter().zip(&ids) {
        for (dep, constraint) in &p.dependencies {
            for &to in by_name
                .get(&normalize_pypi_name(dep))
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                graph.edge_requested(from, to, false, constraint.requested());
            }
        }
    }

    let root = manifest.as_ref().and_then(|m| m.root.clone());
    let root_id = graph.virtual_root(root.as_deref().unwrap_or("(root)"));
    // pyproject.toml's own constraints are not kept: `[tool.poetry]` writes them in Poetry's
    // syntax (`^2.0`), which is not PEP 440.
    let linked: Vec<(NodeId, bool, Option<&str>)> = manifest.as_ref().map_or_else(Vec::new, |m| {
        m.deps
            .iter()
            .flat_map(|(name, _, dev)| {
                by_name
                    .get(name)
                    .into_iter()
                    .flatten()
                    .map(move |&id| (id, *dev, None))
            })
            .collect()
    });
    graph.attach_root(root_id, &linked, |_| Some(false));
    Ok((graph.finish(), root))
}

fn source_of(source: Option<&PoetrySource>) -> Source {
    let Some(s) = source else {
        return Source::Registry { url: None };
    };
    match s.kind.as_str() {
        "git" => Source::Git {
            url: match &s.resolved_reference {
                Some(r) => format!("{}#{r}", s.url),
                None => s.url.clone(),
            },
        },
        "directory" | "file" => Source::Path {
            path: s.url.clone(),
        },
        "url" => Source::Url { url: s.url.clone() },
        // `legacy` (a PEP 503 index) and the like: a registry, maybe a private one.
        _ => Source::Registry {
            url: Some(s.url.clone()),
        },
    }
}
