//! Index paths and index files.

use serde::Deserialize;

use crate::error::Error;

/// The longest crate name accepted. crates.io allows 64; alternative registries may allow
/// more, but no index path needs to be unbounded.
const MAX_NAME: usize = 256;

/// Where the sparse protocol keeps `name`'s index file, relative to the index root:
/// `1/a`, `2/ab`, `3/a/abc`, then `ab/cd/abcd…`, all lowercase. Names that are not crate
/// names (empty, or characters other than ASCII letters, digits, `-` and `_`) are refused,
/// so no name can reach another path.
pub fn index_path(name: &str) -> Result<String, Error> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(Error::InvalidName {
            name: name.to_owned(),
            ecosystem: "cargo",
        });
    }
    let name = name.to_ascii_lowercase();
    Ok(match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    })
}

/// What an index publishes for one crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrateVersions {
    /// The crate's name as published (the index path is case-insensitive).
    pub name: String,
    /// Every published version, in publication order (the index appends).
    pub versions: Vec<CrateVersion>,
}

impl CrateVersions {
    /// The version `version` when published.
    pub fn version(&self, version: &str) -> Option<&CrateVersion> {
        self.versions.iter().find(|v| v.version == version)
    }
}

/// One published version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrateVersion {
    /// Its version string.
    pub version: String,
    /// Yanked: new lockfiles must not pick it.
    pub yanked: bool,
    /// The minimum Rust version it declares (`rust-version`).
    pub rust_version: Option<String>,
}

/// An index's `config.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexConfig {
    /// Where crate files are downloaded from (a template or a prefix).
    pub dl: String,
    /// The web API, when the registry has one.
    pub api: Option<String>,
    /// Whether every request needs cargo's credentials, which palisade does not send.
    pub auth_required: bool,
}

#[derive(Deserialize)]
struct Line {
    name: String,
    vers: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    rust_version: Option<String>,
}

#[derive(Deserialize)]
struct ConfigWire {
    dl: String,
    #[serde(default)]
    api: Option<String>,
    #[serde(rename = "auth-required", default)]
    auth_required: bool,
}

/// An index file. A line that does not parse is skipped, as cargo skips entries from a newer
/// index format; a file with lines and none that parse is an error.
pub(crate) fn parse_index_file(requested: &str, body: &[u8]) -> Result<CrateVersions, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("index file is not UTF-8: {e}"))?;
    let mut name = None;
    let mut versions = Vec::new();
    let mut first_error = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Line>(line) {
            Ok(entry) => {
                name.get_or_insert(entry.name);
                versions.push(CrateVersion {
                    version: entry.vers,
                    yanked: entry.yanked,
                    rust_version: entry.rust_version,
                });
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let (true, Some(e)) = (versions.is_empty(), first_error) {
        return Err(format!("no index entry parses: {e}"));
    }
    Ok(CrateVersions {
        name: name.unwrap_or_else(|| requested.to_owned()),
        versions,
    })
}

pub(crate) fn parse_config(body: &[u8]) -> Result<IndexConfig, serde_json::Error> {
    let wire: ConfigWire = serde_json::from_slice(body)?;
    Ok(IndexConfig {
        dl: wire.dl,
        api: wire.api,
        auth_required: wire.auth_required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_by_length() {
        let cases = [
            ("a", "1/a"),
            ("Ab", "2/ab"),
            ("syn", "3/s/syn"),
            ("serde", "se/rd/serde"),
            ("Inflector", "in/fl/inflector"),
            ("proc-macro2", "pr/oc/proc-macro2"),
            ("_ab_", "_a/b_/_ab_"),
        ];
        for (name, path) in cases {
            assert_eq!(index_path(name).unwrap(), path, "{name}");
        }
        for bad in ["", "../x", "a/b", "a.b", "é", "a b", "a%2f"] {
            assert!(index_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn index_lines_skip_what_they_cannot_read() {
        let body = concat!(
            r#"{"name":"Foo","vers":"0.1.0","deps":[],"cksum":"00","features":{},"yanked":false}"#,
            "\n",
            r#"{"name":"Foo","vers":"0.2.0","deps":[],"cksum":"00","features":{},"yanked":true,"v":2,"features2":{},"rust_version":"1.70"}"#,
            "\n\n",
            r#"{"name":"Foo","vers":9}"#,
            "\n",
            r#"{"name":"Foo","vers":"1.0.0","deps":[],"cksum":"00","features":{},"yanked":false,"v":3}"#,
            "\n",
        );
        let parsed = parse_index_file("foo", body.as_bytes()).unwrap();
        assert_eq!(parsed.name, "Foo");
        let summary: Vec<(&str, bool, Option<&str>)> = parsed
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.yanked, v.rust_version.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("0.1.0", false, None),
                ("0.2.0", true, Some("1.70")),
                ("1.0.0", false, None)
            ]
        );
        assert!(parse_index_file("foo", b"<html>not found</html>").is_err());
        assert!(parse_index_file("foo", &[0xff, 0xfe]).is_err());
        assert!(parse_index_file("foo", b"").unwrap().versions.is_empty());
    }

    #[test]
    fn index_config() {
        let c =
            parse_config(br#"{"dl":"https://static.crates.io/crates","api":"https://crates.io"}"#)
                .unwrap();
        assert_eq!(c.api.as_deref(), Some("https://crates.io"));
        assert!(!c.auth_required);
        let c = parse_config(br#"{"dl":"https://x/{crate}","auth-required":true}"#).unwrap();
        assert!(c.auth_required && c.api.is_none());
    }
}
