//! Which npm registry to ask for a package, and with which credentials, as npm decides.
//!
//! Sources, later overriding earlier (npm's own order): the user's `~/.npmrc`, the project's
//! `.npmrc`, then the `npm_config_registry` environment variable, over the default
//! `https://registry.npmjs.org/`. npm's global `$PREFIX/etc/npmrc` and its command-line
//! flags have no equivalent here.
//!
//! Keys read: `registry`, `@scope:registry`, and `//host[:port]/path/:_authToken` (sent as
//! `Bearer`) or `…:_auth` (already base64, sent as `Basic`). Values go through npm's `ini`
//! rules (`;`/`#` comments, quotes, backslash escapes) and `${VAR}` substitution from the
//! caller's environment lookup (`${VAR?}` is empty when `VAR` is unset, `${VAR}` stays
//! literal, as in npm). Other keys are ignored; keys inside `[sections]` too.
//!
//! # Security
//!
//! A credential is attached to a request only when the request URL's host and port match the
//! key's and its path lies under the key's path, so a scoped registry's token never reaches
//! the public registry or any other host. `Debug` output shows which hosts have credentials,
//! never the credentials.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::error::Error;
use crate::fetch::Credential;

/// The public npm registry.
pub const NPM_REGISTRY: &str = "https://registry.npmjs.org/";

/// Registries and credentials from `.npmrc` files and the environment.
#[derive(Clone)]
pub struct NpmConfig {
    registry: Url,
    /// `@scope` → its registry.
    scopes: BTreeMap<String, Url>,
    /// npm's "nerf dart" (`//host:port/path/`) → what to send there.
    credentials: Vec<(String, Credential)>,
}

impl Default for NpmConfig {
    fn default() -> NpmConfig {
        NpmConfig::single_registry(NPM_REGISTRY).unwrap_or_else(|_| unreachable!())
    }
}

impl fmt::Debug for NpmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<&str> = self
            .credentials
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        f.debug_struct("NpmConfig")
            .field("registry", &self.registry.as_str())
            .field("scopes", &self.scopes)
            .field("credentials_for", &hosts)
            .finish()
    }
}

impl NpmConfig {
    /// Every package from `registry`, without credentials.
    pub fn single_registry(registry: &str) -> Result<NpmConfig, Error> {
        Ok(NpmConfig {
            registry: registry_url(registry).map_err(|message| Error::Config {
                path: PathBuf::from("registry"),
                message,
            })?,
            scopes: BTreeMap::new(),
            credentials: Vec::new(),
        })
    }

    /// Reads `<project_dir>/.npmrc` and `<home>/.npmrc` (either may be missing) and the
    /// `npm_config_registry` variable through `env`, which also answers `${VAR}`
    /// substitutions. A file that exists but cannot be read, or a registry that is not an
    /// `http(s)` URL, is an error naming its file.
    pub fn load(
        project_dir: &Path,
        home: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<NpmConfig, Error> {
        let mut files = Vec::new();
        // Lowest precedence first; a user who runs palisade in $HOME has one file, read once.
        let user = home.map(|home| home.join(".npmrc"));
        let project = project_dir.join(".npmrc");
        for path in user.into_iter().chain([project]) {
            if files
                .iter()
                .any(|(seen, _): &(PathBuf, String)| *seen == path)
            {
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push((path, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Config {
                        path,
                        message: format!("cannot read: {e}"),
                    });
                }
            }
        }
        NpmConfig::from_files(&files, &env)
    }

    /// Builds the config from `(path, contents)` pairs, lowest precedence first.
    fn from_files(
        files: &[(PathBuf, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<NpmConfig, Error> {
        let mut keys: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
        for (path, text) in files {
            for (key, value) in parse_ini(text) {
                keys.insert(
                    substitute(&key, env),
                    (substitute(&value, env), path.clone()),
                );
            }
        }
        // npm lets the environment override every file.
        let from_env = env("npm_config_registry").or_else(|| env("NPM_CONFIG_REGISTRY"));
        if let Some(registry) = from_env.filter(|r| !r.is_empty()) {
            let origin = PathBuf::from("$npm_config_registry");
            keys.insert("registry".into(), (registry, origin));
        }
        let mut config = NpmConfig::default();
        for (key, (value, path)) in keys {
            let invalid = |message: String| Error::Config {
                path: path.clone(),
                message: format!("`{key}`: {message}"),
            };
            if key == "registry" {
                config.registry = registry_url(&value).map_err(invalid)?;
            } else if let Some(scope) = key.strip_suffix(":registry")
                && scope.starts_with('@')
            {
                config
                    .scopes
                    .insert(scope.to_owned(), registry_url(&value).map_err(invalid)?);
            } else if let Some(dart) = key.strip_prefix("//")
                && let Some((dart, field)) = dart.rsplit_once(':')
            {
                let credential = match field {
                    "_authToken" => Credential::Bearer(value),
                    "_auth" => Credential::Basic(value),
                    _ => continue,
                };
                let mut dart = format!("//{dart}");
                if !dart.ends_with('/') {
                    dart.push('/');
                }
                config.credentials.push((dart, credential));
            }
        }
        Ok(config)
    }

    /// The default registry (`registry=`).
    pub fn registry(&self) -> &Url {
        &self.registry
    }

    /// The registry for `package`: its scope's, when `@scope:registry` is set.
    pub fn registry_for(&self, package: &str) -> &Url {
        package
            .split_once('/')
            .filter(|(scope, _)| scope.starts_with('@'))
            .and_then(|(scope, _)| self.scopes.get(scope))
            .unwrap_or(&self.registry)
    }

    /// Whether a request to `url` would carry credentials.
    pub fn has_credentials_for(&self, url: &Url) -> bool {
        self.credential_for(url).is_some()
    }

    /// The credential for the longest key that `url` lies under (npm walks up the path the
    /// same way).
    pub(crate) fn credential_for(&self, url: &Url) -> Option<&Credential> {
        let dart = nerf_dart(url)?;
        self.credentials
            .iter()
            .filter(|(key, _)| dart.starts_with(key.as_str()))
            .max_by_key(|(key, _)| key.len())
            .map(|(_, credential)| credential)
    }
}

/// `//host[:port]/path/` of `url`, without the last path segment, as npm's `toNerfDart`.
fn nerf_dart(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let path = url.path();
    let dir = &path[..=path.rfind('/')?];
    Some(match url.port() {
        Some(port) => format!("//{host}:{port}{dir}"),
        None => format!("//{host}{dir}"),
    })
}

/// An `http(s)` registry URL ending in `/`, so that package names append to its path.
fn registry_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!("`{text}` is not an http or https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{text}` has a query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `key = value` pairs outside sections, by npm's `ini` rules.
fn parse_ini(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            in_section = true;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = unquote(key);
        if in_section || key.is_empty() || key.ends_with("[]") {
            continue;
        }
        pairs.push((key, unquote(value)));
    }
    pairs
}

/// A quoted value loses its quotes (a `"…"` one is JSON); an unquoted one ends at the first
/// unescaped `;` or `#`, and `\;`, `\#` and `\\` stand for themselves.
fn unquote(raw: &str) -> String {
    let raw = raw.trim();
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted {
        if raw.starts_with('"') {
            return serde_json::from_str(raw).unwrap_or_else(|_| raw[1..raw.len() - 1].to_owned());
        }
        return raw[1..raw.len() - 1].to_owned();
    }
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' | '#' => break,
            '\\' => match chars.next() {
                Some(e @ ('\\' | ';' | '#')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// npm's `${VAR}` substitution: unset variables stay literal unless written `${VAR?}`; an odd
/// run of backslashes before `$` escapes it (and half the run is kept either way).
fn substitute(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let before = &rest[..start];
        let slashes = before.len() - before.trim_end_matches('\\').len();
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let (name, optional) = match inner.strip_suffix('?') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        if name.is_empty() || name.contains(['$', '{', '?']) {
            out.push_str(&rest[..start + 2]);
            rest = after;
            continue;
        }
        out.push_str(&before[..before.len() - slashes]);
        out.push_str(&"\\".repeat(slashes / 2));
        let literal = &rest[start..start + 3 + end];
        if slashes % 2 == 1 {
            out.push_str(literal);
        } else {
            match env(name) {
                Some(value) => out.push_str(&value),
                None if optional => {}
                None => out.push_str(literal),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("t0k3n".into()),
            "HOST" => Some("npm.corp.example".into()),
            _ => None,
        }
    }

    fn config(files: &[(&str, &str)]) -> NpmConfig {
        let files: Vec<(PathBuf, String)> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect();
        NpmConfig::from_files(&files, &env).unwrap()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn ini_rules() {
        let pairs = parse_ini(
            "; comment\n# comment\n registry = https://r.example/npm ; trailing\n\
             quoted = \"a;b#c\"\nsingle='x y'\nescaped = a\\;b\\#c\nflag\n\
             list[] = 1\n[section]\nregistry = https://ignored.example/\n",
        );
        assert_eq!(
            pairs,
            [
                ("registry", "https://r.example/npm"),
                ("quoted", "a;b#c"),
                ("single", "x y"),
                ("escaped", "a;b#c"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn env_substitution_follows_npm() {
        let s = |t: &str| substitute(t, &env);
        assert_eq!(s("${TOKEN}"), "t0k3n");
        assert_eq!(s("a-${TOKEN}-b-${TOKEN}"), "a-t0k3n-b-t0k3n");
        assert_eq!(s("${UNSET}"), "${UNSET}");
        assert_eq!(s("${UNSET?}"), "");
        assert_eq!(s("${TOKEN?}"), "t0k3n");
        assert_eq!(s("\\${TOKEN}"), "${TOKEN}");
        assert_eq!(s("\\\\${TOKEN}"), "\\t0k3n");
        assert_eq!(s("${TOKEN"), "${TOKEN");
        assert_eq!(s("$TOKEN {x}"), "$TOKEN {x}");
    }

    #[test]
    fn project_overrides_user_and_env_overrides_both() {
        let c = config(&[
            (
                "home/.npmrc",
                "registry=https://user.example/\n@a:registry=https://a-user.example",
            ),
            ("proj/.npmrc", "registry=https://project.example/\n"),
        ]);
        assert_eq!(c.registry().as_str(), "https://project.example/");
        assert_eq!(c.registry_for("@a/x").as_str(), "https://a-user.example/");
        assert_eq!(c.registry_for("@b/x").as_str(), "https://project.example/");
        assert_eq!(c.registry_for("plain").as_str(), "https://project.example/");

        let with_env = |name: &str| match name {
            "npm_config_registry" => Some("https://env.example/r".to_owned()),
            _ => None,
        };
        let files = [(
            PathBuf::from("p/.npmrc"),
            "registry=https://project.example/".to_owned(),
        )];
        let c = NpmConfig::from_files(&files, &with_env).unwrap();
        assert_eq!(c.registry().as_str(), "https://env.example/r/");
        assert_eq!(NpmConfig::default().registry().as_str(), NPM_REGISTRY);
    }

    #[test]
    fn credentials_match_host_port_and_path() {
        let c = config(&[(
            ".npmrc",
            "//${HOST}/:_authToken=${TOKEN}\n\
             //127.0.0.1:4873/:_authToken=local\n\
             //r.example/team/:_auth=dXNlcjpwYXNz\n\
             //r.example/team/private:_authToken=narrow\n",
        )]);
        let bearer = |u: &str| match c.credential_for(&url(u)) {
            Some(Credential::Bearer(t)) => Some(t.clone()),
            Some(Credential::Basic(b)) => Some(format!("basic {b}")),
            None => None,
        };
        assert_eq!(
            bearer("https://npm.corp.example/@s%2fx").as_deref(),
            Some("t0k3n")
        );
        assert_eq!(
            bearer("http://npm.corp.example/x").as_deref(),
            Some("t0k3n")
        );
        assert_eq!(bearer("https://npm.corp.example.evil/x"), None);
        assert_eq!(bearer("https://evil.example/npm.corp.example/x"), None);
        assert_eq!(bearer("http://127.0.0.1:4873/x").as_deref(), Some("local"));
        assert_eq!(bearer("http://127.0.0.1:4874/x"), None);
        assert_eq!(bearer("http://127.0.0.1/x"), None);
        assert_eq!(
            bearer("https://r.example/team/x").as_deref(),
            Some("basic dXNlcjpwYXNz")
        );
        assert_eq!(
            bearer("https://r.example/team/private/x").as_deref(),
            Some("narrow")
        );
        assert_eq!(bearer("https://r.example/teams/x"), None);
        assert_eq!(bearer("https://r.example/x"), None);
        assert_eq!(bearer("https://registry.npmjs.org/x"), None);
    }

    #[test]
    fn debug_shows_hosts_not_tokens() {
        let c = config(&[(".npmrc", "//r.example/:_authToken=s3cret\n")]);
        let shown = format!("{c:?}");
        assert!(
            shown.contains("//r.example/") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[test]
    fn bad_registries_name_their_file() {
        let files = [(
            PathBuf::from("/p/.npmrc"),
            "registry=ftp://r.example/".to_owned(),
        )];
        let error = NpmConfig::from_files(&files, &env).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("/p/.npmrc") && text.contains("ftp://"),
            "{text}"
        );
    }
}
