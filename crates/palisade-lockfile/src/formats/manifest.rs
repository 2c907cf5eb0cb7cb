//! The project manifests read for directness: `package.json`, `pyproject.toml`, `Pipfile`.
//! Only the few keys that name the project and its own dependencies are read.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::{LockfileError, from_json, from_toml};
use crate::model::label;
use crate::names::normalize_pypi_name;

/// What a manifest says about the project: its label and its own dependencies.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    /// `name@version` or `name`.
    pub root: Option<String>,
    /// (name, range as written, dev).
    pub deps: Vec<(String, String, bool)>,
}

impl Manifest {
    /// Whether `name` is one of the project's own dependencies, and if so whether only as dev.
    pub(crate) fn direct(&self, name: &str) -> Option<bool> {
        let mut found = None;
        for (n, _, dev) in &self.deps {
            if n == name {
                found = Some(found.unwrap_or(true) && *dev);
            }
        }
        found
    }

    /// The requirement the manifest declares for `name` (the first one, if listed twice), as
    /// the lockfile would record it; `None` when it declares none or an empty one.
    pub(crate) fn requested(&self, name: &str) -> Option<&str> {
        self.deps
            .iter()
            .find(|(n, r, _)| n == name && !r.is_empty())
            .map(|(_, r, _)| crate::names::npm_requested(r))
    }
}

fn root_label(name: Option<String>, version: Option<String>) -> Option<String> {
    name.map(|n| label(&n, version.as_deref().unwrap_or("")))
}

/// The keys of `package.json` palisade reads; also read by the public manifest reader
/// ([`crate::read_manifest`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageJson {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) dev_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) peer_dependencies: BTreeMap<String, String>,
}

/// `package.json`.
pub(crate) fn package_json(text: &str) -> Result<Manifest, LockfileError> {
    let pkg: PackageJson = from_json("package.json", text)?;
    let mut deps = Vec::new();
    for (map, dev) in [
        (pkg.dependencies, false),
        (pkg.optional_dependencies, false),
        (pkg.peer_dependencies, false),
        (pkg.dev_dependencies, true),
    ] {
        deps.extend(map.into_iter().map(|(n, r)| (n, r, dev)));
    }
    Ok(Manifest {
        root: root_label(pkg.name, pkg.version),
        deps,
    })
}

#[derive(Deserialize)]
struct PyProject {
    project: Option<Project>,
    #[serde(default, rename = "dependency-groups")]
    dependency_groups: BTreeMap<String, Vec<GroupItem>>,
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Project {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<String>>,
}

/// A PEP 735 group entry: a requirement, or `{include-group = "…"}` (whose members are listed
/// under their own group anyway).
#[derive(Deserialize)]
#[serde(untagged)]
enum GroupItem {
    Requirement(String),
    #[allow(dead_code)] // only its presence matters
    Include(IgnoredAny),
}

#[derive(Deserialize)]
struct Tool {
    poetry: Option<Poetry>,
}

#[derive(Deserialize)]
struct Poetry {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, IgnoredAny>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    group: BTreeMap<String, PoetryGroup>,
}

#[derive(Deserialize)]
struct PoetryGroup {
    #[serde(default)]
    dependencies: BTreeMap<String, IgnoredAny>,
}

/// The distribution name at the start of a PEP 508 requirement (`Flask[async]>=2 ; …`).
pub(crate) fn requirement_name(req: &str) -> &str {
    let req = req.trim_start();
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    &req[..end]
}

/// `pyproject.toml`: PEP 621 `[project]`, PEP 735 `[dependency-groups]` and `[tool.poetry]`.
pub(crate) fn pyproject(text: &str) -> Result<Manifest, LockfileError> {
    let py: PyProject = from_toml("pyproject.toml", text)?;
    let mut deps = Vec::new();
    let mut push = |name: &str, dev: bool| {
        let name = normalize_pypi_name(name);
        if !name.is_empty() && name != "python" {
            deps.push((name, String::new(), dev));
        }
    };
    let mut root = None;
    if let Some(project) = py.project {
        for req in project
            .dependencies
            .iter()
            .chain(project.optional_dependencies.values().flatten())
        {
            push(requirement_name(req), false);
        }
        root = root_label(project.name, project.version);
    }
    for item in py.dependency_groups.values().flatten() {
        if let GroupItem::Requirement(req) = item {
            push(requirement_name(req), true);
        }
    }
    if let Some(poetry) = py.tool.and_then(|t| t.poetry) {
        for name in poetry.dependencies.keys() {
            push(name, false);
        }
        for name in poetry.dev_dependencies.keys() {
            push(name, true);
        }
        for (group, deps) in &poetry.group {
            for name in deps.dependencies.keys() {
                push(name, group != "main");
            }
        }
        root = root.or_else(|| root_label(poetry.name, poetry.version));
    }
    Ok(Manifest { root, deps })
}

#[derive(Deserialize)]
struct Pipfile {
    #[serde(default)]
    packages: BTreeMap<String, IgnoredAny>,
    #[serde(default, rename = "dev-packages")]
    dev_packages: BTreeMap<String, IgnoredAny>,
}

/// `Pipfile`.
pub(crate) fn pipfile(text: &str) -> Result<Manifest, LockfileError> {
    let pipfile: Pipfile = from_toml("Pipfile", text)?;
    let mut deps = Vec::new();
    for (map, dev) in [(pipfile.packages, false), (pipfile.dev_packages, true)] {
        deps.extend(
            map.into_keys()
                .map(|n| (normalize_pypi_name(&n), String::new(), dev)),
        );
    }
    Ok(Manifest { root: None, deps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_reads_every_dependency_table() {
        let m = pyproject(
            r#"
[project]
name = "app"
version = "0.1.0"
dependencies = ["Requests[socks]>=2 ; python_version > '3.8'", "click"]
[project.optional-dependencies]
yaml = ["PyYAML"]
[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.11"
Flask_Login = "^0.6"
[tool.poetry.group.docs.dependencies]
sphinx = "*"
"#,
        )
        .unwrap();
        assert_eq!(m.root.as_deref(), Some("app@0.1.0"));
        assert_eq!(m.direct("requests"), Some(false));
        assert_eq!(m.direct("pyyaml"), Some(false));
        assert_eq!(m.direct("flask-login"), Some(false));
        assert_eq!(m.direct("pytest"), Some(true));
        assert_eq!(m.direct("ruff"), Some(true));
        assert_eq!(m.direct("sphinx"), Some(true));
        assert_eq!(m.direct("python"), None);
    }

    #[test]
    fn manifest_errors_name_the_manifest() {
        let err = package_json("{\n  \"dependencies\": []\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "package.json:2:18: dependencies: invalid type: sequence, expected a map"
        );
    }
}
