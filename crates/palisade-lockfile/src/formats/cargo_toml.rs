//! `Cargo.toml` → [`Manifest`]: `[package] name`, the three dependency tables, their
//! `[target.'…']` variants and `[workspace.dependencies]`, each entry in its string form
//! (`serde = "1"`) or table form (`{ version, package, path, git, … }`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use toml::Spanned;

use crate::error::{ErrorKind, LockfileError, from_toml};
use crate::manifest::{Declared, DeclaredSource, DepKind, Manifest, ManifestKind};

type Table = BTreeMap<String, Spanned<DepSpec>>;

#[derive(Deserialize)]
struct CargoToml {
    package: Option<PackageSection>,
    #[serde(default)]
    dependencies: Table,
    // The underscore spellings are Cargo's older names, still read before edition 2024.
    #[serde(default, rename = "dev-dependencies", alias = "dev_dependencies")]
    dev_dependencies: Table,
    #[serde(default, rename = "build-dependencies", alias = "build_dependencies")]
    build_dependencies: Table,
    #[serde(default)]
    target: BTreeMap<String, TargetSection>,
    workspace: Option<WorkspaceSection>,
}

#[derive(Deserialize)]
struct PackageSection {
    name: Option<String>,
}

#[derive(Deserialize)]
struct TargetSection {
    #[serde(default)]
    dependencies: Table,
    #[serde(default, rename = "dev-dependencies", alias = "dev_dependencies")]
    dev_dependencies: Table,
    #[serde(default, rename = "build-dependencies", alias = "build_dependencies")]
    build_dependencies: Table,
}

#[derive(Deserialize)]
struct WorkspaceSection {
    #[serde(default)]
    dependencies: Table,
}

/// `serde = "1"` or `serde = { … }`.
enum DepSpec {
    Version(String),
    Detailed(Box<DetailedDep>),
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DetailedDep {
    version: Option<String>,
    package: Option<String>,
    path: Option<String>,
    git: Option<String>,
    branch: Option<String>,
    tag: Option<String>,
    rev: Option<String>,
    registry: Option<String>,
    optional: Option<bool>,
    workspace: Option<bool>,
    #[serde(default)]
    features: Vec<String>,
    #[serde(alias = "default_features")]
    default_features: Option<bool>,
}

// By hand rather than `#[serde(untagged)]`: an untagged enum reports "data did not match any
// variant" without saying what was expected.
impl<'de> Deserialize<'de> for DepSpec {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;

        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DepSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version requirement string or a dependency table")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<DepSpec, E> {
                Ok(DepSpec::Version(v.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DepSpec, A::Error> {
                DetailedDep::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|d| DepSpec::Detailed(Box::new(d)))
            }
        }

        deserializer.deserialize_any(SpecVisitor)
    }
}

pub(crate) fn read(file: &str, text: &str) -> Result<Manifest, LockfileError> {
    let toml: CargoToml = from_toml(file, text)?;
    let mut dependencies = Vec::new();
    let located = |(offset, message): (usize, String)| {
        LockfileError::at(file, text, offset, ErrorKind::Invalid, message)
    };
    let mut push_tables = |target: Option<&str>,
                           normal: Table,
                           dev: Table,
                           build: Table|
     -> Result<(), LockfileError> {
        for (table, kind) in [
            (normal, DepKind::Normal),
            (dev, DepKind::Dev),
            (build, DepKind::Build),
        ] {
            for (key, spec) in table {
                let declared = declared(key, spec, kind, target, Where::Member).map_err(located)?;
                dependencies.push(declared);
            }
        }
        Ok(())
    };
    push_tables(
        None,
        toml.dependencies,
        toml.dev_dependencies,
        toml.build_dependencies,
    )?;
    for (target, section) in toml.target {
        push_tables(
            Some(&target),
            section.dependencies,
            section.dev_dependencies,
            section.build_dependencies,
        )?;
    }
    let mut workspace_dependencies = Vec::new();
    for (key, spec) in toml.workspace.map(|w| w.dependencies).unwrap_or_default() {
        let declared =
            declared(key, spec, DepKind::Normal, None, Where::WorkspaceRoot).map_err(located)?;
        workspace_dependencies.push(declared);
    }
    Ok(Manifest {
        kind: ManifestKind::CargoToml,
        name: toml.package.and_then(|p| p.name),
        dependencies,
        workspace_dependencies,
    })
}

/// Which kind of table an entry is in: `[workspace.dependencies]` cannot inherit from itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Member,
    WorkspaceRoot,
}

/// One entry, checked as Cargo checks it; an error is the offset of the entry's value and a
/// message.
fn declared(
    key: String,
    spec: Spanned<DepSpec>,
    kind: DepKind,
    target: Option<&str>,
    place: Where,
) -> Result<Declared, (usize, String)> {
    let at = spec.span().start;
    let base = Declared {
        name: String::new(),
        alias: None,
        requirement: String::new(),
        kind,
        target: target.map(str::to_owned),
        registry: None,
        source: DeclaredSource::Registry,
        features: Vec::new(),
        default_features: true,
    };
    let dep = match spec.into_inner() {
        DepSpec::Version(requirement) => {
            return Ok(Declared {
                name: key,
                requirement,
                ..base
            });
        }
        DepSpec::Detailed(dep) => *dep,
    };
    let fail = |message: String| Err((at, format!("dependency ({key}) {message}")));
    match dep.workspace {
        Some(false) => return fail("has `workspace = false`: only `true` is allowed".into()),
        Some(true) if place == Where::WorkspaceRoot => {
            return fail("in [workspace.dependencies] cannot itself be `workspace = true`".into());
        }
        Some(true) => {
            let conflicting = [
                ("version", dep.version.is_some()),
                ("path", dep.path.is_some()),
                ("git", dep.git.is_some()),
                ("registry", dep.registry.is_some()),
                ("package", dep.package.is_some()),
            ];
            if let Some((field, _)) = conflicting.iter().find(|(_, set)| *set) {
                return fail(format!(
                    "specifies `workspace = true` and `{field}`: the workspace root declares it"
                ));
            }
        }
        None => {}
    }
    if dep.git.is_some() && dep.path.is_some() {
        return fail("specifies both `git` and `path`: only one is allowed".into());
    }
    if dep.git.is_some() && dep.registry.is_some() {
        return fail("specifies both `git` and `registry`: only one is allowed".into());
    }
    let references: Vec<&String> = [&dep.branch, &dep.tag, &dep.rev]
        .into_iter()
        .flatten()
        .collect();
    if references.len() > 1 {
        return fail("specifies more than one of `branch`, `tag` and `rev`".into());
    }
    let has_source = dep.version.is_some()
        || dep.path.is_some()
        || dep.git.is_some()
        || dep.workspace == Some(true);
    if !has_source {
        // Cargo's own wording, so the message is recognisable.
        return fail(
            "specified without providing a local path, Git repository, version, or workspace \
             dependency to use"
                .into(),
        );
    }
    let source = if dep.workspace == Some(true) {
        DeclaredSource::Workspace
    } else if let Some(path) = dep.path {
        DeclaredSource::Path { path }
    } else if let Some(url) = dep.git {
        DeclaredSource::Git {
            url,
            reference: references.first().map(|r| (*r).clone()),
        }
    } else {
        DeclaredSource::Registry
    };
    let kind = if kind == DepKind::Normal && dep.optional == Some(true) {
        DepKind::Optional
    } else {
        kind
    };
    let (name, alias) = match dep.package {
        Some(package) if package != key => (package, Some(key)),
        _ => (key, None),
    };
    Ok(Declared {
        name,
        alias,
        requirement: dep.version.unwrap_or_default(),
        kind,
        registry: dep.registry,
        source,
        features: dep.features,
        default_features: dep.default_features.unwrap_or(true),
        ..base
    })
}
