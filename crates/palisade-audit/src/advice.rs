//! Fix advice: what it takes to get from the installed version to the lowest fixed one.
//!
//! The question that matters is whether the fix is *already allowed*. The lockfile records, for
//! most formats, the version requirement each dependent declared ([`Package::requested`]): if
//! the fixed version satisfies the requirement of the package's parent on its dependency path,
//! regenerating the lockfile is enough (`npm update ms`); if not, and the package is a direct
//! dependency, the project must raise its own requirement; otherwise a newer version of the
//! dependent (and so of the direct dependency that brings it in) is needed. When the lockfile
//! does not record the requirement (Cargo.lock, Pipfile.lock, pnpm's package-to-package edges),
//! the advice says what to try and what it cannot tell.

use std::fmt;

use palisade_advisory::{Ecosystem, Requirement};
use palisade_lockfile::{LockfileKind, Package};

/// Structured fix advice for one finding; [`Display`](fmt::Display) renders it as a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Advice {
    /// The requirement on the path already allows the fixed version: update the lockfile only.
    UpdateLockfile {
        /// The affected package's name.
        package: String,
        /// The lowest fixed version.
        fixed: String,
        /// The requirement that allows it, as its dependent declared it.
        requirement: String,
        /// The package manager command that refreshes it, when the format has one.
        command: Option<String>,
    },
    /// A direct dependency whose requirement excludes the fixed version (or is not recorded):
    /// raise the project's own requirement.
    BumpDirect {
        /// The affected package's name.
        package: String,
        /// The lowest fixed version.
        fixed: String,
        /// The project's requirement, when the lockfile records it.
        requirement: Option<String>,
        /// When the requirement is unknown, the command to try first (it may already allow the
        /// fix).
        command: Option<String>,
    },
    /// A transitive dependency whose dependent's requirement excludes the fixed version: a
    /// newer version of the direct dependency that brings it in is needed.
    BumpDependent {
        /// The affected package's name.
        package: String,
        /// The lowest fixed version.
        fixed: String,
        /// The dependent on the path that declared the requirement (`name@version`).
        parent: String,
        /// Its requirement for the package.
        requirement: String,
        /// The project's direct dependency on the path (`name@version`); the same as `parent`
        /// when the parent is direct.
        direct: String,
    },
    /// The lockfile does not record what the dependent allows: upgrade, and if the dependent's
    /// requirement refuses, upgrade it.
    Upgrade {
        /// The affected package's name.
        package: String,
        /// The lowest fixed version.
        fixed: String,
        /// The dependent on the path (`name@version`).
        parent: String,
        /// The direct dependency on the path (`name@version`).
        direct: String,
        /// The command to try.
        command: Option<String>,
    },
    /// The advisory names no fixed version.
    NoFix {
        /// The affected package's name.
        package: String,
    },
}

impl Advice {
    /// A stable machine-readable tag: `update-lockfile`, `bump-direct`, `bump-dependent`,
    /// `upgrade`, `no-fix` (the JSON report's `advice.action`).
    pub fn action(&self) -> &'static str {
        match self {
            Advice::UpdateLockfile { .. } => "update-lockfile",
            Advice::BumpDirect { .. } => "bump-direct",
            Advice::BumpDependent { .. } => "bump-dependent",
            Advice::Upgrade { .. } => "upgrade",
            Advice::NoFix { .. } => "no-fix",
        }
    }

    /// The command the advice suggests, if any.
    pub fn command(&self) -> Option<&str> {
        match self {
            Advice::UpdateLockfile { command, .. }
            | Advice::BumpDirect { command, .. }
            | Advice::Upgrade { command, .. } => command.as_deref(),
            Advice::BumpDependent { .. } | Advice::NoFix { .. } => None,
        }
    }

    /// The fixed version it aims at, if there is one.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            Advice::UpdateLockfile { fixed, .. }
            | Advice::BumpDirect { fixed, .. }
            | Advice::BumpDependent { fixed, .. }
            | Advice::Upgrade { fixed, .. } => Some(fixed),
            Advice::NoFix { .. } => None,
        }
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advice::UpdateLockfile {
                package,
                fixed,
                requirement,
                command,
            } => {
                write!(
                    f,
                    "update the lockfile only: the requirement {requirement} already allows \
                     {package} {fixed}"
                )?;
                if let Some(command) = command {
                    write!(f, " (`{command}`)")?;
                }
                Ok(())
            }
            Advice::BumpDirect {
                package,
                fixed,
                requirement,
                command,
            } => {
                write!(f, "bump {package} to >= {fixed}")?;
                match (requirement, command) {
                    (Some(requirement), _) => {
                        write!(f, " (its requirement {requirement} excludes it)")
                    }
                    (None, Some(command)) => {
                        write!(f, " (if its requirement already allows it: `{command}`)")
                    }
                    (None, None) => Ok(()),
                }
            }
            Advice::BumpDependent {
                package,
                fixed,
                parent,
                requirement,
                direct,
            } => {
                write!(
                    f,
                    "a newer {} is needed: {parent} requires {package} {requirement}, which \
                     excludes {fixed}",
                    label_name(direct)
                )?;
                if direct != parent {
                    write!(f, " ({} comes in through {direct})", label_name(parent))?;
                }
                Ok(())
            }
            Advice::Upgrade {
                package,
                fixed,
                parent,
                direct,
                command,
            } => {
                write!(f, "upgrade {package} to >= {fixed}")?;
                if let Some(command) = command {
                    write!(f, " (`{command}`)")?;
                }
                write!(
                    f,
                    "; if {parent} does not allow it, a newer {} is needed",
                    label_name(direct)
                )
            }
            Advice::NoFix { package } => {
                write!(f, "no fixed version; consider replacing {package}")
            }
        }
    }
}

/// The name in a `name@version` path label (`@scope/name@1.0.0` → `@scope/name`).
pub(crate) fn label_name(label: &str) -> &str {
    let search_from = usize::from(label.starts_with('@'));
    match label[search_from..].find('@') {
        Some(i) => &label[..search_from + i],
        None => label,
    }
}

/// Whether `requirement` (in `ecosystem`'s syntax) allows `version`; `None` when that cannot be
/// told (a git URL, a dist-tag such as `latest`, a requirement that does not parse).
fn allows(ecosystem: &Ecosystem, requirement: &str, version: &str) -> Option<bool> {
    let requirement = requirement.trim();
    // Poetry writes `*` for "any version"; PEP 440 has no such specifier.
    if requirement == "*" {
        return Some(true);
    }
    Requirement::parse(ecosystem, requirement)
        .ok()?
        .matches(version)
        .ok()
}

/// The package manager command that refreshes one package in a lockfile of `kind`.
/// `yarn_berry` picks `yarn up` over yarn 1's `yarn upgrade`.
fn update_command(
    kind: LockfileKind,
    yarn_berry: bool,
    package: &Package,
    fixed: &str,
) -> Option<String> {
    let name = &package.name;
    Some(match kind {
        LockfileKind::PackageLock | LockfileKind::NpmShrinkwrap => format!("npm update {name}"),
        LockfileKind::YarnLock if yarn_berry => format!("yarn up -R {name}"),
        LockfileKind::YarnLock => format!("yarn upgrade {name}"),
        LockfileKind::PnpmLock => format!("pnpm update {name}"),
        // `--precise` fails loudly when a requirement excludes the version, which is the
        // information the user needs next.
        LockfileKind::CargoLock => format!(
            "cargo update -p {name}@{} --precise {fixed}",
            package.version
        ),
        LockfileKind::PoetryLock => format!("poetry update {name}"),
        LockfileKind::PipfileLock => format!("pipenv update {name}"),
        LockfileKind::Requirements => format!("pip-compile --upgrade-package {name}"),
        _ => return None,
    })
}

/// Advice for `package`, found in a lockfile of `kind`, to reach `fixed_in`.
pub(crate) fn advise(
    kind: LockfileKind,
    yarn_berry: bool,
    ecosystem: &Ecosystem,
    package: &Package,
    fixed_in: Option<&str>,
) -> Advice {
    let name = package.name.clone();
    let Some(fixed) = fixed_in else {
        return Advice::NoFix { package: name };
    };
    let command = update_command(kind, yarn_berry, package, fixed);
    let requirement = package.requested.as_deref();
    let allowed = requirement.and_then(|r| allows(ecosystem, r, fixed));
    // The path is root, …, parent, package: the parent declared `requested`; path[1] is the
    // project's direct dependency (unless the path was shortened there).
    let path = &package.path;
    let parent = match path.len() {
        0 | 1 => "(root)".to_owned(),
        n => path[n - 2].clone(),
    };
    let direct = match path.get(1) {
        Some(step) if path.len() > 2 && step != "…" => step.clone(),
        _ => parent.clone(),
    };
    match (allowed, requirement) {
        (Some(true), Some(requirement)) => Advice::UpdateLockfile {
            package: name,
            fixed: fixed.to_owned(),
            requirement: requirement.to_owned(),
            command,
        },
        (Some(false), Some(requirement)) if !package.direct => Advice::BumpDependent {
            package: name,
            fixed: fixed.to_owned(),
            parent,
            requirement: requirement.to_owned(),
            direct,
        },
        (Some(false), Some(requirement)) => Advice::BumpDirect {
            package: name,
            fixed: fixed.to_owned(),
            requirement: Some(requirement.to_owned()),
            command: None,
        },
        _ if package.direct => Advice::BumpDirect {
            package: name,
            fixed: fixed.to_owned(),
            requirement: None,
            command,
        },
        _ => Advice::Upgrade {
            package: name,
            fixed: fixed.to_owned(),
            parent,
            direct,
            command,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_lockfile::{Ecosystem as LockEcosystem, Source};

    fn pkg(name: &str, version: &str, path: &[&str], requested: Option<&str>) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: LockEcosystem::Npm,
            direct: path.len() == 2,
            dev: false,
            path: path.iter().map(|s| s.to_string()).collect(),
            source: Source::Registry { url: None },
            requested: requested.map(str::to_owned),
        }
    }

    fn npm(p: &Package, fixed: Option<&str>) -> Advice {
        advise(LockfileKind::PackageLock, false, &Ecosystem::Npm, p, fixed)
    }

    #[test]
    fn each_branch() {
        let transitive = |req| {
            pkg(
                "ms",
                "2.0.0",
                &["app@1.0.0", "send@0.17.1", "debug@2.6.9", "ms@2.0.0"],
                req,
            )
        };
        let a = npm(&transitive(Some("^2.0.0")), Some("2.0.1"));
        assert_eq!(a.action(), "update-lockfile");
        assert_eq!(
            a.to_string(),
            "update the lockfile only: the requirement ^2.0.0 already allows ms 2.0.1 (`npm update ms`)"
        );
        let b = npm(&transitive(Some("2.0.0")), Some("2.0.1"));
        assert_eq!(b.action(), "bump-dependent");
        assert_eq!(
            b.to_string(),
            "a newer send is needed: debug@2.6.9 requires ms 2.0.0, which excludes 2.0.1 \
             (debug comes in through send@0.17.1)"
        );
        let direct = pkg("@s/x", "1.0.0", &["app", "@s/x@1.0.0"], Some("~1.0.0"));
        let c = npm(&direct, Some("1.1.0"));
        assert_eq!(c.action(), "bump-direct");
        assert_eq!(
            c.to_string(),
            "bump @s/x to >= 1.1.0 (its requirement ~1.0.0 excludes it)"
        );
        assert_eq!(npm(&direct, Some("1.0.5")).action(), "update-lockfile");
        let d = npm(&transitive(None), Some("2.0.1"));
        assert_eq!(
            d.to_string(),
            "upgrade ms to >= 2.0.1 (`npm update ms`); if debug@2.6.9 does not allow it, a newer \
             send is needed"
        );
        // A requirement that cannot be evaluated counts as unknown.
        assert_eq!(
            npm(&transitive(Some("latest")), Some("2.0.1")).action(),
            "upgrade"
        );
        let e = npm(&transitive(Some("^2")), None);
        assert_eq!(e.to_string(), "no fixed version; consider replacing ms");
        assert_eq!(e.fixed(), None);

        let mut krate = pkg("smallvec", "1.6.0", &["app@0.1.0", "smallvec@1.6.0"], None);
        krate.ecosystem = LockEcosystem::CratesIo;
        let f = advise(
            LockfileKind::CargoLock,
            false,
            &Ecosystem::CratesIo,
            &krate,
            Some("1.6.1"),
        );
        assert_eq!(
            f.to_string(),
            "bump smallvec to >= 1.6.1 (if its requirement already allows it: \
             `cargo update -p smallvec@1.6.0 --precise 1.6.1`)"
        );
        let g = advise(
            LockfileKind::PoetryLock,
            false,
            &Ecosystem::PyPI,
            &pkg(
                "colorama",
                "0.4.0",
                &["app", "pytest@8.0.0", "colorama@0.4.0"],
                Some("*"),
            ),
            Some("0.4.6"),
        );
        assert_eq!(g.command(), Some("poetry update colorama"));
        assert_eq!(g.action(), "update-lockfile");
        let yarn = advise(
            LockfileKind::YarnLock,
            true,
            &Ecosystem::Npm,
            &direct,
            Some("1.0.5"),
        );
        assert_eq!(yarn.command(), Some("yarn up -R @s/x"));
    }

    #[test]
    fn label_names() {
        assert_eq!(label_name("@types/node@20.1.0"), "@types/node");
        assert_eq!(label_name("debug@2.6.9"), "debug");
        assert_eq!(label_name("packages/web"), "packages/web");
        assert_eq!(label_name("@scope/only"), "@scope/only");
    }
}
