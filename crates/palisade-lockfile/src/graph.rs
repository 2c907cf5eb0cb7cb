//! The dependency graph every format builds, and the one place directness, dev-only status,
//! shortest paths and de-duplication are decided.
//!
//! Each format adds its nodes (packages, and roots such as the project, workspace members or
//! importers) and edges, then [`Graph::finish`] runs a breadth-first search from all roots at
//! once: the first time a node is reached is along a shortest path, so its parent pointer
//! gives that path. A second search that ignores the roots' dev edges tells which packages
//! production code can reach; the rest of the reachable ones are dev-only.

use std::collections::{HashMap, HashSet, VecDeque};

use foldhash::fast::RandomState;

use crate::model::{Ecosystem, Package, Source, label};

/// Index of a node in its graph.
pub(crate) type NodeId = usize;

/// The longest path reported. Real dependency chains are a few dozen deep at most; a hostile
/// lockfile with one long chain would otherwise cost memory quadratic in its size. Longer paths
/// keep their root, an `…` and the last steps.
pub(crate) const MAX_PATH: usize = 32;

pub(crate) struct Node {
    name: String,
    version: String,
    source: Source,
    /// The search starts here (the project, a workspace member, a Cargo path package).
    root: bool,
    /// Reported as a [`Package`]; false for roots that are not packages (npm's `""` entry,
    /// pnpm importers).
    report: bool,
    /// The format's own dev flag, used when no root reaches the node.
    dev_hint: Option<bool>,
    edges: Vec<Edge>,
}

/// A dependency: its target, whether it is a root's dev dependency, and the version
/// requirement the dependent declared for it, when the lockfile records one.
struct Edge {
    to: NodeId,
    dev: bool,
    requested: Option<Box<str>>,
}

pub(crate) struct Graph {
    ecosystem: Ecosystem,
    nodes: Vec<Node>,
}

impl Graph {
    pub(crate) fn new(ecosystem: Ecosystem) -> Self {
        Self::with_capacity(ecosystem, 0)
    }

    /// A graph with room for `nodes` nodes: growing a large one by doubling touches twice
    /// the memory, and fresh memory is most of what parsing a big lockfile costs.
    pub(crate) fn with_capacity(ecosystem: Ecosystem, nodes: usize) -> Self {
        Graph {
            ecosystem,
            nodes: Vec::with_capacity(nodes),
        }
    }

    /// A package node.
    pub(crate) fn package(&mut self, name: &str, version: &str, source: Source) -> NodeId {
        self.nodes.push(Node {
            name: name.to_owned(),
            version: version.to_owned(),
            source,
            root: false,
            report: true,
            dev_hint: None,
            edges: Vec::new(),
        });
        self.nodes.len() - 1
    }

    /// A root that is not reported as a package, named `label` in paths.
    pub(crate) fn virtual_root(&mut self, label: &str) -> NodeId {
        let id = self.package(label, "", Source::Workspace);
        self.nodes[id].report = false;
        self.nodes[id].root = true;
        id
    }

    /// Makes a package node a root too (a workspace member).
    pub(crate) fn set_root(&mut self, id: NodeId) {
        self.nodes[id].root = true;
    }

    pub(crate) fn name(&self, id: NodeId) -> &str {
        &self.nodes[id].name
    }

    pub(crate) fn set_dev_hint(&mut self, id: NodeId, dev: bool) {
        self.nodes[id].dev_hint = Some(dev);
    }

    /// `from` depends on `to`; `dev` marks a root's development dependency.
    pub(crate) fn edge(&mut self, from: NodeId, to: NodeId, dev: bool) {
        self.edge_requested(from, to, dev, None);
    }

    /// [`Graph::edge`], with the version requirement `from` declared for `to` (as written).
    pub(crate) fn edge_requested(
        &mut self,
        from: NodeId,
        to: NodeId,
        dev: bool,
        requested: Option<&str>,
    ) {
        if from != to {
            self.nodes[from].edges.push(Edge {
                to,
                dev,
                requested: requested.filter(|r| !r.is_empty()).map(Box::from),
            });
        }
    }

    /// Nodes with no incoming edge: the best guess at roots when a format records none.
    pub(crate) fn unreferenced(&self) -> Vec<NodeId> {
        let mut referenced = vec![false; self.nodes.len()];
        for node in &self.nodes {
            for edge in &node.edges {
                referenced[edge.to] = true;
            }
        }
        (0..self.nodes.len()).filter(|&i| !referenced[i]).collect()
    }

    /// Gives `root` its edges when the lockfile records none: the manifest's `linked`
    /// (node, dev, requirement) triples, plus every node nothing depends on — it was locked
    /// because the project (or a workspace member whose manifest is not read) asked for it, so
    /// it is direct. `unreferenced_dev` says whether such a node is dev, or `None` to leave it
    /// out.
    pub(crate) fn attach_root(
        &mut self,
        root: NodeId,
        linked: &[(NodeId, bool, Option<&str>)],
        unreferenced_dev: impl Fn(NodeId) -> Option<bool>,
    ) {
        let unreferenced = self.unreferenced();
        let linked_ids: HashSet<NodeId> = linked.iter().map(|&(id, _, _)| id).collect();
        for &(to, dev, requested) in linked {
            self.edge_requested(root, to, dev, requested);
        }
        for id in unreferenced {
            if id != root
                && !self.nodes[id].root
                && !linked_ids.contains(&id)
                && let Some(dev) = unreferenced_dev(id)
            {
                self.edge(root, id, dev);
            }
        }
    }

    /// Searches from the roots and returns one [`Package`] per (name, version), sorted.
    pub(crate) fn finish(self) -> Vec<Package> {
        let n = self.nodes.len();
        let roots: Vec<NodeId> = (0..n).filter(|&i| self.nodes[i].root).collect();

        let mut dist = vec![usize::MAX; n];
        let mut parent = vec![usize::MAX; n];
        // Which of the parent's edges the search came in by: its requirement is the package's.
        let mut via = vec![usize::MAX; n];
        let mut origin = vec![usize::MAX; n];
        let mut queue = VecDeque::new();
        for &r in &roots {
            dist[r] = 0;
            origin[r] = r;
            queue.push_back(r);
        }
        while let Some(at) = queue.pop_front() {
            for (e, edge) in self.nodes[at].edges.iter().enumerate() {
                let to = edge.to;
                if dist[to] == usize::MAX {
                    dist[to] = dist[at] + 1;
                    parent[to] = at;
                    via[to] = e;
                    origin[to] = origin[at];
                    queue.push_back(to);
                }
            }
        }

        // Reachable without a root's dev edge: needed in production.
        let mut prod = vec![false; n];
        for &r in &roots {
            prod[r] = true;
            queue.push_back(r);
        }
        while let Some(at) = queue.pop_front() {
            let from_root = self.nodes[at].root;
            for &Edge { to, dev, .. } in &self.nodes[at].edges {
                let dev_edge = from_root && dev;
                if !prod[to] && !dev_edge {
                    prod[to] = true;
                    queue.push_back(to);
                }
            }
        }

        // One entry per (name, version): the copy with the shortest path, first on ties; dev
        // only if every copy is.
        let mut best: HashMap<(&str, &str), (NodeId, bool), RandomState> =
            HashMap::with_capacity_and_hasher(n, RandomState::default());
        for (i, node) in self.nodes.iter().enumerate() {
            if !node.report {
                continue;
            }
            let dev = if dist[i] == usize::MAX {
                node.dev_hint.unwrap_or(false)
            } else if node.root {
                false
            } else {
                node.dev_hint.unwrap_or(!prod[i])
            };
            best.entry((&node.name, &node.version))
                .and_modify(|(b, all_dev)| {
                    if dist[i] < dist[*b] {
                        *b = i;
                    }
                    *all_dev &= dev;
                })
                .or_insert((i, dev));
        }
        let chosen: Vec<(NodeId, bool)> = best.into_values().collect();

        // What a node is called in paths.
        let step = |i: NodeId| label(&self.nodes[i].name, &self.nodes[i].version);
        let paths: Vec<Vec<String>> = chosen
            .iter()
            .map(|&(i, _)| {
                let mut path = Vec::with_capacity(dist[i].saturating_add(1).min(MAX_PATH));
                path.push(step(i));
                let mut at = i;
                while parent[at] != usize::MAX && path.len() < MAX_PATH - 2 {
                    at = parent[at];
                    path.push(step(at));
                }
                if parent[at] != usize::MAX {
                    if parent[parent[at]] != usize::MAX {
                        path.push("…".to_owned());
                    }
                    path.push(step(origin[i]));
                }
                path.reverse();
                path
            })
            .collect();

        // Each chosen node becomes one package, so its strings move instead of being copied.
        let ecosystem = self.ecosystem;
        let mut nodes = self.nodes;
        let mut packages: Vec<Package> = chosen
            .into_iter()
            .zip(paths)
            .map(|((i, dev), path)| {
                let requested = (parent[i] != usize::MAX)
                    .then(|| nodes[parent[i]].edges[via[i]].requested.as_deref())
                    .flatten()
                    .map(str::to_owned);
                let node = &mut nodes[i];
                Package {
                    name: std::mem::take(&mut node.name),
                    version: std::mem::take(&mut node.version),
                    ecosystem,
                    direct: dist[i] == 1 && !node.root,
                    dev,
                    path,
                    source: std::mem::replace(&mut node.source, Source::Workspace),
                    requested,
                }
            })
            .collect();
        packages.sort_unstable_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        packages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Source {
        Source::Registry { url: None }
    }

    #[test]
    fn shortest_path_direct_dev_and_dedup() {
        let mut g = Graph::new(Ecosystem::Npm);
        let root = g.virtual_root("app@1.0.0");
        let a = g.package("a", "1.0.0", registry());
        let b = g.package("b", "1.0.0", registry());
        let c1 = g.package("c", "2.0.0", registry());
        let c2 = g.package("c", "2.0.0", registry()); // a nested duplicate
        let t = g.package("test-lib", "3.0.0", registry());
        g.edge_requested(root, a, false, Some("^1"));
        g.edge(root, t, true);
        g.edge(a, b, false);
        g.edge_requested(b, c1, false, Some("~2.0.0"));
        g.edge_requested(a, c2, false, Some("^2"));
        g.edge(t, a, false); // a is both prod and reachable from dev
        let packages = g.finish();
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["a@1.0.0", "b@1.0.0", "c@2.0.0", "test-lib@3.0.0"]);
        let c = &packages[2];
        assert_eq!(c.path, ["app@1.0.0", "a@1.0.0", "c@2.0.0"]);
        assert!(!c.direct && !c.dev);
        // The requirement on the path's last step: `a`'s, not `b`'s.
        assert_eq!(c.requested.as_deref(), Some("^2"));
        assert_eq!(packages[0].requested.as_deref(), Some("^1"));
        assert_eq!(packages[1].requested, None);
        assert!(packages[0].direct && !packages[0].dev);
        assert!(packages[3].direct && packages[3].dev);
    }

    #[test]
    fn long_chains_keep_root_and_tail() {
        let mut g = Graph::new(Ecosystem::Npm);
        let root = g.virtual_root("app");
        let mut prev = root;
        for i in 0..100_000 {
            let id = g.package(&format!("p{i}"), "1", registry());
            g.edge(prev, id, false);
            prev = id;
        }
        let packages = g.finish();
        let last = packages.iter().find(|p| p.name == "p99999").unwrap();
        assert_eq!(last.path.len(), MAX_PATH);
        assert_eq!(last.path[..3], ["app", "…", "p99970@1"]);
        assert_eq!(last.path[MAX_PATH - 1], "p99999@1");
        let short = packages.iter().find(|p| p.name == "p29").unwrap();
        assert_eq!(short.path.len(), 31);
    }

    #[test]
    fn unreachable_nodes_keep_their_hint() {
        let mut g = Graph::new(Ecosystem::PyPI);
        let a = g.package("a", "1", registry());
        g.set_dev_hint(a, true);
        let packages = g.finish();
        assert_eq!(packages[0].path, ["a@1"]);
        assert!(packages[0].dev && !packages[0].direct);
    }
}
