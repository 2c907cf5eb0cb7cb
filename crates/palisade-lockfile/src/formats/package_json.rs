//! `package.json` → [`Manifest`]: each dependency specifier classified as npm reads it
//! (npm-package-arg's order): `npm:` alias, `workspace:`, `file:`, `link:`/`portal:`, git URLs
//! and shorthands, tarball URLs, bare paths, and otherwise a registry range or dist-tag.

use super::manifest::PackageJson;
use crate::error::{ErrorKind, LockfileError, from_json, locate};
use crate::manifest::{Declared, DeclaredSource, DepKind, Manifest, ManifestKind};
use crate::names::{is_git, split_spec};

pub(crate) fn read(file: &str, text: &str) -> Result<Manifest, LockfileError> {
    let pkg: PackageJson = from_json(file, text)?;
    let mut dependencies = Vec::new();
    for (table, map, kind) in [
        ("dependencies", pkg.dependencies, DepKind::Normal),
        ("devDependencies", pkg.dev_dependencies, DepKind::Dev),
        (
            "optionalDependencies",
            pkg.optional_dependencies,
            DepKind::Optional,
        ),
        ("peerDependencies", pkg.peer_dependencies, DepKind::Peer),
    ] {
        for (key, spec) in map {
            let declared = declared(&key, &spec, kind).map_err(|message| {
                let at = locate(text, &[&quoted(table), &quoted(&key)]);
                LockfileError::at(file, text, at, ErrorKind::Invalid, message)
            })?;
            dependencies.push(declared);
        }
    }
    Ok(Manifest {
        kind: ManifestKind::PackageJson,
        name: pkg.name,
        dependencies,
        workspace_dependencies: Vec::new(),
    })
}

/// A key as it appears in the file, to point an error at it (a key written with escapes is not
/// found, and the error points at its table instead).
fn quoted(key: &str) -> String {
    format!("\"{key}\"")
}

fn declared(key: &str, spec: &str, kind: DepKind) -> Result<Declared, String> {
    let spec = spec.trim();
    let (name, alias, requirement, source) = match spec.strip_prefix("npm:") {
        Some(target) => {
            let (name, range) = split_spec(target).unwrap_or((target, ""));
            // A scope alone (`npm:@scope`) or nothing is no package name.
            if name.is_empty() || (name.starts_with('@') && !name.contains('/')) {
                return Err(format!("{key}: alias {spec:?} names no package"));
            }
            let alias = (name != key).then(|| key.to_owned());
            (
                name.to_owned(),
                alias,
                range.to_owned(),
                DeclaredSource::Registry,
            )
        }
        None => (key.to_owned(), None, spec.to_owned(), source_of(spec)),
    };
    Ok(Declared {
        name,
        alias,
        requirement,
        kind,
        target: None,
        registry: None,
        source,
        features: Vec::new(),
        default_features: true,
    })
}

/// What a specifier other than an alias points at.
fn source_of(spec: &str) -> DeclaredSource {
    if spec.starts_with("workspace:") {
        return DeclaredSource::Workspace;
    }
    if let Some(path) = spec.strip_prefix("file:") {
        return DeclaredSource::Path {
            path: path.to_owned(),
        };
    }
    if let Some(target) = spec
        .strip_prefix("link:")
        .or_else(|| spec.strip_prefix("portal:"))
    {
        return DeclaredSource::Link {
            target: target.to_owned(),
        };
    }
    if is_git(spec) || is_github_shorthand(spec) {
        let (url, reference) = match spec.split_once('#') {
            Some((url, reference)) => (url, Some(reference.to_owned())),
            None => (spec, None),
        };
        return DeclaredSource::Git {
            url: url.to_owned(),
            reference,
        };
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return DeclaredSource::Url {
            url: spec.to_owned(),
        };
    }
    let is_path = matches!(spec, "." | "..")
        || ["./", "../", "/", "~/", ".\\", "..\\"]
            .iter()
            .any(|p| spec.starts_with(p));
    if is_path {
        return DeclaredSource::Path {
            path: spec.to_owned(),
        };
    }
    DeclaredSource::Registry
}

/// npm's `owner/repo[#ref]` GitHub shorthand (npm-package-arg's
/// `^[^@%/\s.-][^:@%/\s]*/[^:@\s/%]+(?:#.*)?$`). A range never contains `/`, so this cannot
/// take a version requirement for a repository.
fn is_github_shorthand(spec: &str) -> bool {
    let spec = spec.split('#').next().unwrap_or(spec);
    let Some((owner, repo)) = spec.split_once('/') else {
        return false;
    };
    let bad = |c: char| matches!(c, ':' | '@' | '%' | '/') || c.is_whitespace();
    let first_ok = owner
        .chars()
        .next()
        .is_some_and(|c| !matches!(c, '.' | '-') && !bad(c));
    first_ok && !owner.contains(bad) && !repo.is_empty() && !repo.contains(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(url: &str, reference: Option<&str>) -> DeclaredSource {
        DeclaredSource::Git {
            url: url.into(),
            reference: reference.map(Into::into),
        }
    }

    #[test]
    fn specifiers_are_classified_like_npm() {
        assert_eq!(source_of("^1.2.3"), DeclaredSource::Registry);
        assert_eq!(source_of(">=1 <2 || 3.x"), DeclaredSource::Registry);
        assert_eq!(source_of("latest"), DeclaredSource::Registry);
        assert_eq!(source_of(""), DeclaredSource::Registry);
        assert_eq!(source_of("workspace:^"), DeclaredSource::Workspace);
        assert_eq!(
            source_of("file:../lib"),
            DeclaredSource::Path {
                path: "../lib".into()
            }
        );
        assert_eq!(
            source_of("./vendor/x"),
            DeclaredSource::Path {
                path: "./vendor/x".into()
            }
        );
        assert_eq!(
            source_of("link:../y"),
            DeclaredSource::Link {
                target: "../y".into()
            }
        );
        assert_eq!(
            source_of("portal:../z"),
            DeclaredSource::Link {
                target: "../z".into()
            }
        );
        assert_eq!(
            source_of("expressjs/express#4.x"),
            git("expressjs/express", Some("4.x"))
        );
        assert_eq!(source_of("github:a/b"), git("github:a/b", None));
        assert_eq!(
            source_of("git+ssh://git@example.org/a/b.git#semver:^1"),
            git("git+ssh://git@example.org/a/b.git", Some("semver:^1"))
        );
        assert_eq!(
            source_of("https://example.org/x-1.0.0.tgz"),
            DeclaredSource::Url {
                url: "https://example.org/x-1.0.0.tgz".into()
            }
        );
        assert!(!is_github_shorthand("@scope/pkg"));
        assert!(!is_github_shorthand(".bin/x"));
        assert!(!is_github_shorthand("a/"));
    }
}
