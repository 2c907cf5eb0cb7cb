//! `package-lock.json` and `npm-shrinkwrap.json`, lockfileVersion 1, 2 and 3.
//!
//! v2 and v3 list every installed folder under `packages`, keyed by its path
//! (`node_modules/a/node_modules/b`, or a workspace folder); `""` is the project. Dependencies
//! are found the way Node finds them: in the dependent's own `node_modules`, then in each
//! enclosing one up to the root. v1 has only the nested `dependencies` tree and no root entry.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::manifest;
use crate::error::{ErrorKind, LockfileError, from_json, locate};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source, label};
use crate::names::{is_git, npm_alias, npm_requested, npm_source};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PackageLock {
    name: Option<String>,
    version: Option<String>,
    lockfile_version: Option<u32>,
    packages: Option<BTreeMap<String, Entry>>,
    dependencies: Option<BTreeMap<String, V1Entry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    workspaces: Workspaces,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, String>,
}

/// `workspaces` is a list of globs, or (yarn-style) `{"packages": [...]}`.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Workspaces {
    #[default]
    None,
    List(Vec<String>),
    Object {
        #[serde(default)]
        packages: Vec<String>,
    },
}

impl Workspaces {
    fn globs(&self) -> &[String] {
        match self {
            Workspaces::None => &[],
            Workspaces::List(l) => l,
            Workspaces::Object { packages } => packages,
        }
    }
}

#[derive(Deserialize)]
struct V1Entry {
    version: Option<String>,
    resolved: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

pub(crate) fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let lock: PackageLock = from_json(file, text)?;
    match (lock.lockfile_version, lock.packages) {
        (Some(2 | 3), Some(packages)) => Ok(v2(packages, lock.name, lock.version)),
        (Some(1) | None, _) => {
            let manifest = manifest.map(manifest::package_json).transpose()?;
            Ok(v1(
                lock.dependencies.unwrap_or_default(),
                lock.name,
                lock.version,
                manifest,
            ))
        }
        (Some(2 | 3), None) => Err(LockfileError::at(
            file,
            text,
            locate(text, &["\"lockfileVersion\""]),
            ErrorKind::Invalid,
            "missing field `packages` (required from lockfileVersion 2)",
        )),
        (Some(v), _) => Err(LockfileError::at(
            file,
            text,
            locate(text, &["\"lockfileVersion\""]),
            ErrorKind::Unsupported,
            format!("unsupported lockfileVersion {v} (1, 2 and 3 are read)"),
        )),
    }
}

/// The folder a `node_modules` path's dependencies are looked up from next: the enclosing
/// package's (`node_modules/a/node_modules/b` → `node_modules/a`), else the parent directory.
fn parent(loc: &str) -> Option<&str> {
    if loc.is_empty() {
        None
    } else if let Some(i) = loc.rfind("/node_modules/") {
        Some(&loc[..i])
    } else if loc.starts_with("node_modules/") {
        Some("")
    } else {
        Some(loc.rfind('/').map_or("", |i| &loc[..i]))
    }
}

/// The package name a `packages` key installs: what follows its last `node_modules/`.
fn name_from_key(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key.rsplit('/').next().unwrap_or(key),
    }
}

/// Whether a workspace folder matches one of the root's `workspaces` globs (`*` within one
/// path segment, `**` across any number).
fn matches_glob(glob: &str, path: &str) -> bool {
    fn segs(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => segs(&p[1..], s) || (!s.is_empty() && segs(p, &s[1..])),
            (Some(pat), Some(seg)) => seg_matches(pat, seg) && segs(&p[1..], &s[1..]),
            _ => false,
        }
    }
    /// `*` wildcards by the usual backtracking scan: linear-ish, whatever the pattern.
    fn seg_matches(pat: &str, seg: &str) -> bool {
        let p: Vec<char> = pat.chars().collect();
        let s: Vec<char> = seg.chars().collect();
        let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
        while si < s.len() {
            if pi < p.len() && p[pi] == '*' {
                star = Some(pi);
                mark = si;
                pi += 1;
            } else if pi < p.len() && p[pi] == s[si] {
                pi += 1;
                si += 1;
            } else if let Some(st) = star {
                pi = st + 1;
                mark += 1;
                si = mark;
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
    let clean = |s: &str| -> Vec<String> {
        s.trim_start_matches("./")
            .trim_end_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect()
    };
    let (p, s) = (clean(glob), clean(path));
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    let s: Vec<&str> = s.iter().map(String::as_str).collect();
    // Globs come from the audited lockfile: `**` backtracks, so bound how much of it there is.
    p.len() <= 16 && s.len() <= 64 && p.iter().filter(|&&x| x == "**").count() <= 2 && segs(&p, &s)
}

fn v2(
    entries: BTreeMap<String, Entry>,
    name: Option<String>,
    version: Option<String>,
) -> (Vec<Package>, Option<String>) {
    let root_entry = entries.get("");
    let root_name = root_entry.and_then(|e| e.name.clone()).or(name);
    let root_version = root_entry.and_then(|e| e.version.clone()).or(version);
    let root = root_name.map(|n| label(&n, root_version.as_deref().unwrap_or("")));
    let globs: Vec<String> = root_entry.map_or_else(Vec::new, |e| e.workspaces.globs().to_vec());

    // What a link target is called: the name under which it is linked.
    let mut link_names: HashMap<&str, &str> = HashMap::new();
    for (key, entry) in &entries {
        if entry.link
            && let Some(target) = entry.resolved.as_deref()
        {
            link_names.entry(target).or_insert(name_from_key(key));
        }
    }

    let mut graph = Graph::new(Ecosystem::Npm);
    let mut ids: HashMap<&str, NodeId> = HashMap::new();
    for (key, entry) in &entries {
        if entry.link {
            continue;
        }
        let id = if key.is_empty() {
            graph.virtual_root(root.as_deref().unwrap_or("(root)"))
        } else if key.contains("node_modules/") {
            let name = entry.name.as_deref().unwrap_or(name_from_key(key));
            let version = entry.version.as_deref().unwrap_or("");
            // v2/v3 write aliases as the real `name` with a plain version; a few tools still
            // leave `npm:` in the version.
            let (name, version) = npm_alias(version).unwrap_or((name, version));
            graph.package(name, version, npm_source(entry.resolved.as_deref()))
        } else {
            // A folder outside node_modules: a workspace member or a linked local package.
            let name = entry
                .name
                .as_deref()
                .or_else(|| link_names.get(key.as_str()).copied())
                .unwrap_or(name_from_key(key));
            let version = entry.version.as_deref().unwrap_or("");
            let member = globs.iter().any(|g| matches_glob(g, key));
            let source = if member {
                Source::Workspace
            } else {
                Source::Link {
                    target: key.clone(),
                }
            };
            let id = graph.package(name, version, source);
            if member {
                graph.set_root(id);
            }
            id
        };
        ids.insert(key, id);
    }

    // Dependencies resolve the way Node resolves them, following links to their targets.
    let find = |from: &str, dep: &str| -> Option<NodeId> {
        let mut loc = Some(from);
        while let Some(at) = loc {
            let candidate = if at.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{at}/node_modules/{dep}")
            };
            if let Some(entry) = entries.get(&candidate) {
                let key = if entry.link {
                    entry.resolved.as_deref().unwrap_or("")
                } else {
                    candidate.as_str()
                };
                return ids.get(key).copied();
            }
            loc = parent(at);
        }
        None
    };
    let mut edges = Vec::new();
    for (key, entry) in &entries {
        let Some(&from) = ids.get(key.as_str()) else {
            continue;
        };
        let lists = [
            (&entry.dependencies, false),
            (&entry.optional_dependencies, false),
            (&entry.peer_dependencies, false),
            (&entry.dev_dependencies, true),
        ];
        for (deps, dev) in lists {
            for (dep, range) in deps {
                // A missing one is an optional or peer dependency not installed: not an error.
                if let Some(to) = find(key, dep) {
                    edges.push((from, to, dev, npm_requested(range)));
                }
            }
        }
    }
    for (from, to, dev, requested) in edges {
        graph.edge_requested(from, to, dev, Some(requested));
    }
    (graph.finish(), root)
}

fn v1(
    deps: BTreeMap<String, V1Entry>,
    name: Option<String>,
    version: Option<String>,
    manifest: Option<manifest::Manifest>,
) -> (Vec<Package>, Option<String>) {
    let root = name
        .map(|n| label(&n, version.as_deref().unwrap_or("")))
        .or_else(|| manifest.as_ref().and_then(|m| m.root.clone()));
    let mut graph = Graph::new(Ecosystem::Npm);
    let root_id = graph.virtual_root(root.as_deref().unwrap_or("(root)"));

    // Each tree level's children by name, so `requires` resolve up the tree like Node does.
    struct Level<'a> {
        children: HashMap<&'a str, NodeId>,
        parent: Option<usize>,
    }
    let mut levels = vec![Level {
        children: HashMap::new(),
        parent: None,
    }];
    // (entry, its node, the level of its own children)
    let mut nodes: Vec<(&V1Entry, NodeId, usize)> = Vec::new();
    let mut stack: Vec<(&BTreeMap<String, V1Entry>, usize)> = vec![(&deps, 0)];
    let mut top = Vec::new();
    while let Some((map, level)) = stack.pop() {
        for (key, entry) in map {
            let id = graph.package_v1(key, entry);
            levels[level].children.insert(key, id);
            if level == 0 {
                top.push((key.as_str(), id, entry.dev));
            }
            levels.push(Level {
                children: HashMap::new(),
                parent: Some(level),
            });
            let own = levels.len() - 1;
            nodes.push((entry, id, own));
            if !entry.dependencies.is_empty() {
                stack.push((&entry.dependencies, own));
            }
        }
    }
    for &(entry, from, own) in &nodes {
        for (dep, range) in &entry.requires {
            let mut level = Some(own);
            while let Some(l) = level {
                if let Some(&to) = levels[l].children.get(dep.as_str()) {
                    graph.edge_requested(from, to, false, Some(npm_requested(range)));
                    break;
                }
                level = levels[l].parent;
            }
        }
    }
    let linked: Vec<(NodeId, bool, Option<&str>)> = match &manifest {
        Some(m) => top
            .iter()
            .filter_map(|&(name, id, dev)| {
                m.direct(name)
                    .map(|only_dev| (id, only_dev || dev, m.requested(name)))
            })
            .collect(),
        None => Vec::new(),
    };
    let top_dev: HashMap<NodeId, bool> = top.iter().map(|&(_, id, dev)| (id, dev)).collect();
    // Only top-level entries can be the project's own dependencies.
    graph.attach_root(root_id, &linked, |id| top_dev.get(&id).copied());
    (graph.finish(), root)
}

impl Graph {
    /// A v1 entry: its `version` may be an alias, a path, a git or tarball URL.
    fn package_v1(&mut self, key: &str, entry: &V1Entry) -> NodeId {
        let version = entry.version.as_deref().unwrap_or("");
        if let Some((real, v)) = npm_alias(version) {
            return self.package(real, v, npm_source(entry.resolved.as_deref()));
        }
        let spec_source = if let Some(path) = version.strip_prefix("file:") {
            Some(Source::Path {
                path: path.to_owned(),
            })
        } else if is_git(version) {
            Some(Source::Git {
                url: version.to_owned(),
            })
        } else if version.starts_with("http://") || version.starts_with("https://") {
            Some(npm_source(Some(version)))
        } else {
            None
        };
        match spec_source {
            Some(source) => self.package(key, "", source),
            None => self.package(key, version, npm_source(entry.resolved.as_deref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_resolution_parents() {
        assert_eq!(
            parent("node_modules/a/node_modules/@s/b"),
            Some("node_modules/a")
        );
        assert_eq!(parent("node_modules/a"), Some(""));
        assert_eq!(parent("packages/web"), Some("packages"));
        assert_eq!(parent("packages"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(name_from_key("node_modules/a/node_modules/@s/b"), "@s/b");
    }

    #[test]
    fn workspace_globs() {
        assert!(matches_glob("packages/*", "packages/web"));
        assert!(matches_glob("./packages/*/", "packages/web"));
        assert!(!matches_glob("packages/*", "packages/web/x"));
        assert!(matches_glob("apps/**", "apps/a/b"));
        assert!(matches_glob("libs/ui-*", "libs/ui-kit"));
        assert!(!matches_glob("libs/ui-*", "libs/core"));
        assert!(matches_glob("tools", "tools"));
    }
}
