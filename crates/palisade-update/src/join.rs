//! Manifest + lockfile → the [`Dependency`] list to check: each registry dependency the
//! manifest declares, with the version the lockfile installed for it.

use std::cmp::Ordering;

use palisade_advisory::Requirement;
use palisade_lockfile::{Declared, DeclaredSource, Lockfile, Manifest, ManifestKind, Package};

use crate::fixes::advisory_ecosystem;
use crate::jump::Parsed;
use crate::outdated::Dependency;

/// The dependencies of a manifest that can be checked, and why the others cannot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Joined {
    /// Registry dependencies with their locked versions, in manifest order.
    pub dependencies: Vec<Dependency>,
    /// The others.
    pub skipped: Vec<Skipped>,
}

/// A declared dependency that is not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Its key in the manifest.
    pub key: String,
    /// Why.
    pub reason: SkipReason,
}

/// Why a declared dependency is not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// It does not come from a registry (path, git, URL, link, workspace sibling): there are no
    /// registry versions to compare with.
    NotFromRegistry(DeclaredSource),
    /// The lockfile has no registry package of that name (a stale lockfile, or an optional
    /// dependency not installed on this platform).
    NotLocked,
    /// `workspace = true`, but the workspace root declares no such dependency (or no workspace
    /// root was given).
    NotInWorkspace,
}

/// Pairs each dependency `manifest` declares with its locked version in `lockfile`.
///
/// `workspace_root` resolves Cargo's `workspace = true` entries (name, requirement and source
/// come from its `[workspace.dependencies]`; kind and target stay the member's); when it is
/// `None`, `manifest`'s own `[workspace.dependencies]` are used — right when the manifest is
/// the workspace root.
///
/// When the lockfile holds several versions of a name (Cargo can lock `0.4` and `1.x` of one
/// crate; npm nests copies), the one chosen is the highest version the declared requirement
/// allows, preferring packages the lockfile marks as direct; if none is allowed, the highest
/// direct one (a stale lockfile still shows what is installed).
pub fn dependencies(
    manifest: &Manifest,
    workspace_root: Option<&Manifest>,
    lockfile: &Lockfile,
) -> Joined {
    let ecosystem = manifest.kind.ecosystem();
    let inherited = &workspace_root.unwrap_or(manifest).workspace_dependencies;
    let mut joined = Joined::default();
    for declared in &manifest.dependencies {
        let key = declared.key().to_owned();
        let resolved = match &declared.source {
            // npm's `workspace:` protocol is a sibling package, not an inherited entry.
            DeclaredSource::Workspace if manifest.kind == ManifestKind::CargoToml => {
                match inherited.iter().find(|w| w.key() == key) {
                    Some(root) => root,
                    None => {
                        joined.skipped.push(Skipped {
                            key,
                            reason: SkipReason::NotInWorkspace,
                        });
                        continue;
                    }
                }
            }
            _ => declared,
        };
        if !resolved.source.is_registry() {
            joined.skipped.push(Skipped {
                key,
                reason: SkipReason::NotFromRegistry(resolved.source.clone()),
            });
            continue;
        }
        match locked(lockfile, ecosystem, resolved) {
            Some(package) => joined.dependencies.push(Dependency {
                name: resolved.name.clone(),
                alias: resolved.alias.clone(),
                ecosystem,
                kind: declared.kind,
                requirement: resolved.requirement.clone(),
                current: package.version.clone(),
            }),
            None => joined.skipped.push(Skipped {
                key,
                reason: SkipReason::NotLocked,
            }),
        }
    }
    joined
}

fn locked<'l>(
    lockfile: &'l Lockfile,
    ecosystem: palisade_lockfile::Ecosystem,
    declared: &Declared,
) -> Option<&'l Package> {
    let candidates: Vec<(&Package, Parsed)> = lockfile
        .packages
        .iter()
        .filter(|p| p.ecosystem == ecosystem && p.name == declared.name && p.source.is_auditable())
        .filter_map(|p| Some((p, Parsed::parse(ecosystem, &p.version).ok()??)))
        .collect();
    let requirement = match declared.requirement.trim() {
        "" => "*",
        text => text,
    };
    let requirement = Requirement::parse(&advisory_ecosystem(ecosystem), requirement).ok();
    let allowed = |p: &Package| {
        requirement
            .as_ref()
            .is_some_and(|r| r.matches(&p.version).unwrap_or(false))
    };
    // Allowed before not allowed, direct before indirect, then the highest version.
    let rank = |(p, v): &(&Package, Parsed), (q, w): &(&Package, Parsed)| -> Ordering {
        (allowed(p), p.direct)
            .cmp(&(allowed(q), q.direct))
            .then_with(|| v.precedence(w))
    };
    let best = candidates.iter().max_by(|a, b| rank(a, b))?;
    (allowed(best.0) || best.0.direct).then_some(best.0)
}
