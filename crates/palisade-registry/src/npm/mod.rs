//! The npm registry: packuments, and the `.npmrc` configuration that says where to get them.
//!
//! [`Client::npm_packument`](crate::Client::npm_packument) asks `<registry>/<name>` for the
//! *abbreviated* packument (what `npm install` reads: versions, dist-tags, deprecations, a
//! fraction of the full document's size); [`Client::npm_metadata`](crate::Client::npm_metadata)
//! asks for the *full* one, only for the repository and homepage of the few updates that pass.
//! Scoped names travel as `@scope%2fname`.

mod npmrc;
mod packument;
mod repository;
mod wire;

use reqwest::Url;

pub use npmrc::{NPM_REGISTRY, NpmConfig};
pub use packument::{NpmVersion, PackageMetadata, Packument};
pub(crate) use packument::{parse_abbreviated, parse_full};

use crate::error::Error;

/// npm's `Accept` for abbreviated packuments, with the full document as the fallback for
/// registries that do not have them.
pub(crate) const ACCEPT_ABBREVIATED: &str =
    "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// `Accept` for full packuments.
pub(crate) const ACCEPT_FULL: &str = "application/json";

/// The longest package name npm accepts.
const MAX_NAME: usize = 214;

/// `name` as a URL path segment: `@scope/name` becomes `@scope%2fname`; other names are
/// unchanged. Names that could not be published (empty, too long, `.`/`..`, characters a URL
/// would have to escape) are refused, so no name can change which URL is asked.
pub fn escape_name(name: &str) -> Result<String, Error> {
    let invalid = || Error::InvalidName {
        name: name.to_owned(),
        ecosystem: "npm",
    };
    // The characters `encodeURIComponent` leaves alone: npm requires names to be URL-safe.
    let part_ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
                    )
            })
    };
    if name.len() > MAX_NAME {
        return Err(invalid());
    }
    match name.strip_prefix('@') {
        Some(scoped) => {
            let (scope, base) = scoped.split_once('/').ok_or_else(invalid)?;
            if !part_ok(scope) || !part_ok(base) {
                return Err(invalid());
            }
            Ok(format!("@{scope}%2f{base}"))
        }
        None if part_ok(name) => Ok(name.to_owned()),
        None => Err(invalid()),
    }
}

/// The packument URL of `name` on `registry` (which ends in `/`).
pub(crate) fn packument_url(registry: &Url, name: &str) -> Result<Url, Error> {
    let escaped = escape_name(name)?;
    registry.join(&escaped).map_err(|e| Error::InvalidName {
        name: format!("{name} ({e})"),
        ecosystem: "npm",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_path_segment() {
        assert_eq!(escape_name("left-pad").unwrap(), "left-pad");
        assert_eq!(escape_name("@types/node").unwrap(), "@types%2fnode");
        assert_eq!(escape_name("JSONStream").unwrap(), "JSONStream");
        for bad in [
            "", ".", "..", "@", "@s", "@s/", "@/x", "a/b", "@s/x/y", "@s/..", "x?y", "x#y",
            "x%2fy", "x y", "é",
        ] {
            assert!(escape_name(bad).is_err(), "{bad:?}");
        }
        assert!(escape_name(&"a".repeat(215)).is_err());
    }

    #[test]
    fn packument_urls_keep_the_registry_path() {
        let registry = Url::parse("https://r.example/api/npm/remote/").unwrap();
        assert_eq!(
            packument_url(&registry, "@s/x").unwrap().as_str(),
            "https://r.example/api/npm/remote/@s%2fx"
        );
    }
}
