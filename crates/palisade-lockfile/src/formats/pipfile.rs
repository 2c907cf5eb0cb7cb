//! `Pipfile.lock`: JSON with the `default` and `develop` packages, each pinned as
//! `"version": "==1.2.3"`. It records no dependency graph, so only the `Pipfile` can say which
//! packages are direct; none is without it, and every path is the package alone.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::manifest;
use crate::error::{LockfileError, from_json};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::normalize_pypi_name;

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(default)]
    default: BTreeMap<String, Entry>,
    #[serde(default)]
    develop: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    index: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    file: Option<String>,
}

pub(crate) fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let lock: PipfileLock = from_json(file, text)?;
    let manifest = manifest.map(manifest::pipfile).transpose()?;
    let mut graph = Graph::new(Ecosystem::PyPI);
    let mut nodes: Vec<(String, NodeId)> = Vec::new();
    for (section, dev) in [(&lock.default, false), (&lock.develop, true)] {
        for (name, entry) in section {
            let name = normalize_pypi_name(name);
            let version = entry.version.as_deref().unwrap_or("");
            let version = version.trim_start_matches("===").trim_start_matches("==");
            let id = graph.package(&name, version, source_of(entry));
            graph.set_dev_hint(id, dev);
            nodes.push((name, id));
        }
    }
    if let Some(m) = &manifest {
        let root = graph.virtual_root("(root)");
        for (name, id) in &nodes {
            if let Some(dev) = m.direct(name) {
                graph.edge(root, *id, dev);
            }
        }
    }
    Ok((graph.finish(), None))
}

fn source_of(entry: &Entry) -> Source {
    if let Some(git) = &entry.git {
        Source::Git {
            url: match &entry.reference {
                Some(r) => format!("{git}#{r}"),
                None => git.clone(),
            },
        }
    } else if let Some(path) = &entry.path {
        Source::Path { path: path.clone() }
    } else if let Some(file) = &entry.file {
        match file.strip_prefix("file://") {
            Some(path) => Source::Path {
                path: path.to_owned(),
            },
            None => Source::Url { url: file.clone() },
        }
    } else {
        match entry.index.as_deref() {
            None | Some("pypi") => Source::Registry { url: None },
            // The name of a `[[source]]` of the Pipfile.
            Some(index) => Source::Registry {
                url: Some(index.to_owned()),
            },
        }
    }
}
