//! Package names and specifiers: PEP 503 normalisation, npm `name@range` splitting and aliases,
//! and what an npm `resolved` URL says about a package's source.

use crate::model::Source;

/// A PyPI project name normalised per PEP 503: lowercase, each run of `-`, `_` and `.` made one
/// `-` (`Flask_SQLAlchemy` → `flask-sqlalchemy`, `zope.interface` → `zope-interface`), which is
/// how PyPI and OSV compare names.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Splits an npm `name@range` specifier, minding scopes (`@types/node@^20` →
/// `("@types/node", "^20")`). `None` when there is no `@` after the name.
pub(crate) fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let start = usize::from(spec.starts_with('@'));
    let at = spec.get(start..)?.find('@')? + start;
    Some((&spec[..at], &spec[at + 1..]))
}

/// The real name and range of an npm alias (`npm:lodash@^4` → `("lodash", "^4")`), `None` when
/// `range` is not an alias.
pub(crate) fn npm_alias(range: &str) -> Option<(&str, &str)> {
    let target = range.strip_prefix("npm:")?;
    Some(split_spec(target).unwrap_or((target, "")))
}

/// The version requirement in an npm-family dependency specifier: an alias's range
/// (`npm:lodash@^4` → `^4`), yarn Berry's `npm:` protocol removed (`npm:^1.2.0` → `^1.2.0`),
/// anything else as written (`^1.2.0`, `file:../x`, a git URL).
pub(crate) fn npm_requested(spec: &str) -> &str {
    match spec.strip_prefix("npm:") {
        Some(target) => split_spec(target).map_or(target, |(_, range)| range),
        None => spec,
    }
}

/// Whether an URL is a registry tarball: registries serve them at `…/<name>/-/<file>.tgz`
/// whatever the host (the public registry, a mirror, a private one), so the path decides.
pub(crate) fn is_registry_tarball(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['#', '?']).next().unwrap_or(rest);
    path.contains("/-/") && path.ends_with(".tgz")
}

/// Whether a specifier or URL names a git repository.
pub(crate) fn is_git(spec: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "git+",
        "git://",
        "git@",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
        "ssh://",
    ];
    PREFIXES.iter().any(|p| spec.starts_with(p))
        || spec
            .split(['#', '?'])
            .next()
            .is_some_and(|s| s.ends_with(".git"))
}

/// The source an npm lockfile's `resolved` (or v1 `version`) value implies; `None` when it is
/// absent, which means the default registry.
pub(crate) fn npm_source(resolved: Option<&str>) -> Source {
    let Some(resolved) = resolved.filter(|r| !r.is_empty()) else {
        return Source::Registry { url: None };
    };
    if is_registry_tarball(resolved) {
        Source::Registry {
            url: Some(resolved.to_owned()),
        }
    } else if is_git(resolved) {
        Source::Git {
            url: resolved.to_owned(),
        }
    } else if resolved.starts_with("http://") || resolved.starts_with("https://") {
        Source::Url {
            url: resolved.to_owned(),
        }
    } else if let Some(target) = resolved.strip_prefix("link:") {
        Source::Link {
            target: target.to_owned(),
        }
    } else {
        Source::Path {
            path: resolved
                .strip_prefix("file:")
                .unwrap_or(resolved)
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_pypi_name("Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(normalize_pypi_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_pypi_name("a-_.-b"), "a-b");
        assert_eq!(normalize_pypi_name("Django"), "django");
        assert_eq!(normalize_pypi_name("ruamel.yaml.clib"), "ruamel-yaml-clib");
    }

    #[test]
    fn specs_and_aliases() {
        assert_eq!(split_spec("debug@2.6.9"), Some(("debug", "2.6.9")));
        assert_eq!(split_spec("@types/node@^20"), Some(("@types/node", "^20")));
        assert_eq!(split_spec("@types/node"), None);
        assert_eq!(split_spec("@"), None);
        assert_eq!(npm_alias("npm:lodash@4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(npm_alias("npm:@scope/x@^1"), Some(("@scope/x", "^1")));
        assert_eq!(npm_alias("^1"), None);
        assert_eq!(npm_requested("npm:lodash@^4"), "^4");
        assert_eq!(npm_requested("npm:@scope/x@~1.2"), "~1.2");
        assert_eq!(npm_requested("npm:^1.2.0"), "^1.2.0");
        assert_eq!(npm_requested(">=1 <2"), ">=1 <2");
    }

    #[test]
    fn sources() {
        let reg = "https://registry.example.org/@s/x/-/x-1.0.0.tgz#sha1";
        assert_eq!(
            npm_source(Some(reg)),
            Source::Registry {
                url: Some(reg.into())
            }
        );
        assert_eq!(npm_source(None), Source::Registry { url: None });
        assert!(matches!(
            npm_source(Some("git+ssh://git@example.org/a/b.git#0123")),
            Source::Git { .. }
        ));
        assert!(matches!(
            npm_source(Some("github:a/b#v1")),
            Source::Git { .. }
        ));
        assert!(matches!(
            npm_source(Some("https://example.org/x.tgz")),
            Source::Url { .. }
        ));
        assert_eq!(
            npm_source(Some("file:../x")),
            Source::Path {
                path: "../x".into()
            }
        );
    }
}
