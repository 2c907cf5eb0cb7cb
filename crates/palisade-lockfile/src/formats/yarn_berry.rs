//! `yarn.lock` from yarn Berry (yarn 2 and later): YAML with a `__metadata` entry.
//!
//! ```yaml
//! "lodash4@npm:lodash@4.17.21":
//!   version: 4.17.21
//!   resolution: "lodash@npm:4.17.21"
//!
//! "app@workspace:.":
//!   version: 0.0.0-use.local
//!   resolution: "app@workspace:."
//!   dependencies:
//!     lodash4: "npm:lodash@4.17.21"
//! ```
//!
//! Keys list the descriptors (`name@range`) that resolved to an entry; `resolution` is the
//! locator (`name@protocol:reference`) that says what the package really is and where it comes
//! from. Workspaces are entries too (`workspace:` protocol) and are the roots.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::manifest;
use crate::error::{ErrorKind, LockfileError, from_yaml, locate};
use crate::graph::{Graph, NodeId};
use crate::model::{Ecosystem, Package, Source};
use crate::names::{is_git, is_registry_tarball, npm_requested, split_spec};

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    resolution: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

/// Whether a yarn.lock is Berry's: only it has a `__metadata` entry.
pub(crate) fn is_berry(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("__metadata:"))
}

pub(crate) fn parse(
    file: &str,
    text: &str,
    manifest: Option<&str>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    let mut entries: BTreeMap<String, Entry> = from_yaml(file, text)?;
    entries.remove("__metadata");
    let manifest = manifest.map(manifest::package_json).transpose()?;

    let mut graph = Graph::new(Ecosystem::Npm);
    let mut by_descriptor: HashMap<&str, NodeId> = HashMap::new();
    let mut root: Option<(NodeId, String)> = None;
    let mut nodes = Vec::new();
    for (key, entry) in &entries {
        let Some(resolution) = entry.resolution.as_deref() else {
            return Err(LockfileError::at(
                file,
                text,
                locate(text, &[key]),
                ErrorKind::Invalid,
                format!("entry {key:?} has no `resolution`"),
            ));
        };
        let Some((name, reference)) = split_spec(resolution) else {
            return Err(LockfileError::at(
                file,
                text,
                locate(text, &[key, "resolution"]),
                ErrorKind::Invalid,
                format!("resolution {resolution:?} is not `name@protocol:reference`"),
            ));
        };
        let version = entry.version.as_deref().unwrap_or("");
        let id = match source_of(reference, resolution) {
            Source::Workspace if reference == "workspace:." => {
                let label = manifest
                    .as_ref()
                    .and_then(|m| m.root.clone())
                    .unwrap_or_else(|| name.to_owned());
                let id = graph.virtual_root(&label);
                root = Some((id, label));
                id
            }
            // `0.0.0-use.local` is yarn's placeholder, not a version.
            Source::Workspace => {
                let id = graph.package(name, "", Source::Workspace);
                graph.set_root(id);
                id
            }
            source => graph.package(name, version, source),
        };
        for descriptor in key.split(',').map(str::trim) {
            by_descriptor.insert(descriptor, id);
            // `file:` descriptors are bound to their dependent (`…::locator=app%40workspace%3A.`),
            // which dependency lists do not spell out.
            if let Some((bare, _)) = descriptor.split_once("::") {
                by_descriptor.entry(bare).or_insert(id);
            }
        }
        nodes.push((id, entry));
    }

    let dev_names = manifest.as_ref().map(|m| {
        m.deps
            .iter()
            .filter(|(name, _, _)| m.direct(name) == Some(true))
            .map(|(name, _, _)| name.as_str())
            .collect::<Vec<_>>()
    });
    for (from, entry) in nodes {
        for (name, range) in &entry.dependencies {
            let to = by_descriptor
                .get(format!("{name}@{range}").as_str())
                // Lockfiles before metadata version 6 leave out the default `npm:` protocol.
                .or_else(|| by_descriptor.get(format!("{name}@npm:{range}").as_str()));
            if let Some(&to) = to {
                let dev = root.as_ref().is_some_and(|(r, _)| *r == from)
                    && dev_names
                        .as_ref()
                        .is_some_and(|d| d.contains(&name.as_str()));
                graph.edge_requested(from, to, dev, Some(npm_requested(range)));
            }
        }
    }
    Ok((graph.finish(), root.map(|(_, label)| label)))
}

/// What a locator's protocol says about where the package comes from.
fn source_of(reference: &str, resolution: &str) -> Source {
    let (protocol, rest) = reference.split_once(':').unwrap_or(("", reference));
    match protocol {
        "npm" => Source::Registry { url: None },
        "workspace" => Source::Workspace,
        "patch" => Source::Patched {
            patch: resolution.to_owned(),
        },
        "link" | "portal" => Source::Link {
            target: rest.to_owned(),
        },
        "file" => Source::Path {
            path: rest.split('#').next().unwrap_or(rest).to_owned(),
        },
        _ if is_git(reference) || reference.contains("#commit=") => Source::Git {
            url: reference.to_owned(),
        },
        "http" | "https" if is_registry_tarball(reference) => Source::Registry {
            url: Some(reference.to_owned()),
        },
        _ => Source::Url {
            url: reference.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(
            source_of("npm:1.0.0", "a@npm:1.0.0"),
            Source::Registry { url: None }
        );
        assert_eq!(source_of("workspace:packages/a", ""), Source::Workspace);
        assert!(matches!(
            source_of("patch:resolve@npm%3A1.22.8#…", "r"),
            Source::Patched { .. }
        ));
        assert_eq!(
            source_of("portal:../x", ""),
            Source::Link {
                target: "../x".into()
            }
        );
        assert!(matches!(
            source_of("https://example.org/a/b.git#commit=abc", ""),
            Source::Git { .. }
        ));
        assert!(matches!(source_of("exec:./gen.js", ""), Source::Url { .. }));
    }
}
