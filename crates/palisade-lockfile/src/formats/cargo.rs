//! `Cargo.lock`, versions 1 to 4.
//!
//! v1 has no `version` key, keeps checksums in `[metadata]` and spells every dependency in
//! full (`"name version (source)"`); v2 moved checksums into the packages and shortened
//! dependencies to what is needed to be unambiguous (`"name"`, `"name version"`); v3 and v4
//! add `version = 3|4` and change nothing read here. Packages without `source` are the
//! workspace members and path dependencies — the roots. Cargo.lock does not record which
//! dependencies are dev-dependencies, so no package is marked dev.
//!
//! Cargo writes the file in one fixed layout, which [`canonical`] reads line by line without
//! a TOML parser (a tenth of the time, and most of a warm `palisade audit`); anything else —
//! a hand edit, a v1 `[metadata]` table, an escape in a string — goes through the `toml`
//! crate, which also gives every syntax error its line and column.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{ErrorKind, LockfileError, from_toml};
use crate::graph::Graph;
use crate::model::{Ecosystem, Package, Source, label};

/// What the audit reads of a Cargo.lock, borrowed from the text (fast path) or from the
/// deserialised document.
#[derive(Default)]
struct Lock<'a> {
    /// `version = N` and its byte offset.
    version: Option<(i64, usize)>,
    packages: Vec<Entry<'a>>,
}

struct Entry<'a> {
    name: &'a str,
    version: &'a str,
    source: Option<&'a str>,
    /// Each dependency string and its byte offset in the text, for error positions.
    dependencies: Vec<(&'a str, usize)>,
}

#[derive(Deserialize)]
struct CargoLock {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
}

impl CargoLock {
    fn borrow(&self) -> Lock<'_> {
        Lock {
            version: self
                .version
                .as_ref()
                .map(|v| (*v.get_ref(), v.span().start)),
            packages: self
                .package
                .iter()
                .map(|p| Entry {
                    name: &p.name,
                    version: &p.version,
                    source: p.source.as_deref(),
                    dependencies: p
                        .dependencies
                        .iter()
                        .map(|d| (d.get_ref().as_str(), d.span().start))
                        .collect(),
                })
                .collect(),
        }
    }
}

pub(crate) fn parse(
    file: &str,
    text: &str,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    if let Some(lock) = canonical(text) {
        return build(file, text, &lock);
    }
    let lock: CargoLock = from_toml(file, text)?;
    build(file, text, &lock.borrow())
}

fn build(
    file: &str,
    text: &str,
    lock: &Lock<'_>,
) -> Result<(Vec<Package>, Option<String>), LockfileError> {
    if let Some((version, offset)) = lock.version
        && !(1..=4).contains(&version)
    {
        return Err(LockfileError::at(
            file,
            text,
            offset,
            ErrorKind::Unsupported,
            format!("unsupported Cargo.lock version {version} (1 to 4 are read)"),
        ));
    }

    let mut graph = Graph::with_capacity(Ecosystem::CratesIo, lock.packages.len());
    let by_name = ByName::new(&lock.packages);
    let mut roots = Vec::new();
    for (i, p) in lock.packages.iter().enumerate() {
        let source = match p.source {
            None => Source::Workspace,
            Some(s) if s.starts_with("git+") => Source::Git {
                url: s["git+".len()..].to_owned(),
            },
            Some(s) => Source::Registry {
                url: Some(s.to_owned()),
            },
        };
        let id = graph.package(p.name, p.version, source);
        debug_assert_eq!(id, i);
        if p.source.is_none() {
            graph.set_root(id);
            roots.push(label(p.name, p.version));
        }
    }

    for (from, p) in lock.packages.iter().enumerate() {
        for &(dep, offset) in &p.dependencies {
            let to = resolve(&lock.packages, &by_name, dep).map_err(|why| {
                LockfileError::at(
                    file,
                    text,
                    offset,
                    ErrorKind::Invalid,
                    format!("dependency {dep:?} of {} {}: {why}", p.name, p.version),
                )
            })?;
            graph.edge(from, to, false);
        }
    }
    let root = match roots.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    Ok((graph.finish(), root))
}

/// The packages of each name, as a chain through the package list (no list per name: a
/// lockfile has thousands of names, nearly all locked once).
struct ByName<'a> {
    first: HashMap<&'a str, usize, RandomState>,
    /// The next package with the same name, or `usize::MAX`.
    next: Vec<usize>,
}

impl<'a> ByName<'a> {
    fn new(packages: &[Entry<'a>]) -> Self {
        let mut first = HashMap::with_capacity_and_hasher(packages.len(), RandomState::default());
        let mut next = vec![usize::MAX; packages.len()];
        // Built backwards so each chain runs in file order.
        for (i, p) in packages.iter().enumerate().rev() {
            if let Some(after) = first.insert(p.name, i) {
                next[i] = after;
            }
        }
        ByName { first, next }
    }

    fn get(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.first.get(name).copied().unwrap_or(usize::MAX);
        std::iter::from_fn(move || {
            let here = at;
            (here != usize::MAX).then(|| {
                at = self.next[here];
                here
            })
        })
    }
}

/// The package a dependency string names: `name`, `name version` or `name version (source)`.
fn resolve(packages: &[Entry<'_>], by_name: &ByName<'_>, dep: &str) -> Result<usize, &'static str> {
    let mut parts = dep.splitn(3, ' ');
    let name = parts.next().unwrap_or("");
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let mut candidates = by_name
        .get(name)
        .filter(|&i| version.is_none_or(|v| packages[i].version == v))
        .filter(|&i| source.is_none_or(|s| packages[i].source == Some(s)));
    match (candidates.next(), candidates.next()) {
        (None, _) => Err("no such package in this lockfile"),
        (Some(one), None) => Ok(one),
        // Two sources of one version: a name and version are what the audit needs.
        (Some(first), Some(_)) if version.is_some() => Ok(first),
        _ => Err("ambiguous: several versions are locked"),
    }
}

/// Reads a Cargo.lock in exactly the layout cargo writes, or `None` for anything else (the
/// caller then parses it as TOML, which accepts every spelling and reports errors).
///
/// Accepted: comments and blank lines; a top-level `version = N`; `[[package]]` tables whose
/// keys are `name`, `version`, `source` and `checksum` (each once, as plain double-quoted
/// strings, written `key = "value"`) and `dependencies` as cargo writes it, one string per
/// line with a trailing comma.
fn canonical(text: &str) -> Option<Lock<'_>> {
    // A package takes 150 bytes or more as cargo writes it (name, version, source and a
    // 64-digit checksum); room for that many avoids regrowing.
    let mut lock = Lock {
        version: None,
        packages: Vec::with_capacity(text.len() / 100),
    };
    let mut current: Option<Partial<'_>> = None;
    let mut in_dependencies = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        // CRLF counts as one line end; a `\r` anywhere else is TOML's to reject.
        let line = match raw.strip_suffix('\n') {
            Some(line) => line.strip_suffix('\r').unwrap_or(line),
            None => raw,
        };
        if in_dependencies {
            let item = line.trim_start_matches(' ');
            if item == "]" {
                in_dependencies = false;
                continue;
            }
            let value = plain_string(item.strip_suffix(',')?)?;
            let at = start + (line.len() - item.len());
            current.as_mut()?.dependencies.push((value, at));
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            // TOML forbids control characters in comments; the parser reports them.
            if line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return None;
            }
            continue;
        }
        if line == "[[package]]" {
            if let Some(done) = current.take() {
                lock.packages.push(done.finish()?);
            }
            current = Some(Partial::default());
            continue;
        }
        let (key, value) = split_key(line)?;
        let Some(package) = current.as_mut() else {
            // TOML integers have no leading zeros (`04` is an error there).
            if key != "version"
                || lock.version.is_some()
                || value.is_empty()
                || (value.len() > 1 && value.starts_with('0'))
                || !value.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            lock.version = Some((value.parse().ok()?, start + key.len() + 3));
            continue;
        };
        let slot = match key {
            "name" => &mut package.name,
            "version" => &mut package.version,
            "source" => &mut package.source,
            "checksum" => &mut package.checksum,
            "dependencies" if !package.has_dependencies => {
                package.has_dependencies = true;
                match value {
                    "[" => in_dependencies = true,
                    "[]" => {}
                    _ => return None,
                }
                continue;
            }
            _ => return None,
        };
        if slot.replace(plain_string(value)?).is_some() {
            return None;
        }
    }
    if in_dependencies {
        return None;
    }
    if let Some(done) = current {
        lock.packages.push(done.finish()?);
    }
    Some(lock)
}

#[derive(Default)]
struct Partial<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    source: Option<&'a str>,
    checksum: Option<&'a str>,
    has_dependencies: bool,
    dependencies: Vec<(&'a str, usize)>,
}

impl<'a> Partial<'a> {
    /// The entry, or `None` when a required key is missing (TOML reports that with a place).
    fn finish(self) -> Option<Entry<'a>> {
        Some(Entry {
            name: self.name?,
            version: self.version?,
            source: self.source,
            dependencies: self.dependencies,
        })
    }
}

/// `key = value`, spelt exactly so.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let eq = line.find('=')?;
    let key = line[..eq].strip_suffix(' ')?;
    let value = line[eq + 1..].strip_prefix(' ')?;
    (!key.contains(' ')).then_some((key, value))
}

/// The contents of `"…"` when nothing in it needs TOML's unescaping or is not allowed in a
/// basic string.
fn plain_string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let plain = inner
        .bytes()
        .all(|b| b != b'"' && b != b'\\' && b != 0x7f && (b >= 0x20 || b == b'\t'));
    plain.then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "# This file is automatically @generated by Cargo.\n\
# It is not intended for manual editing.\n\
version = 4\n\
\n\
[[package]]\n\
name = \"app\"\n\
version = \"0.1.0\"\n\
dependencies = [\n \"log\",\n \"serde 1.0.0\",\n]\n\
\n\
[[package]]\n\
name = \"log\"\n\
version = \"0.4.20\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
checksum = \"abc\"\n\
\n\
[[package]]\n\
name = \"serde\"\n\
version = \"1.0.0\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
dependencies = []\n";

    fn both(text: &str) -> (Vec<Package>, Option<String>) {
        let fast = build("Cargo.lock", text, &canonical(text).expect("canonical")).unwrap();
        let lock: CargoLock = from_toml("Cargo.lock", text).unwrap();
        let slow = build("Cargo.lock", text, &lock.borrow()).unwrap();
        assert_eq!(fast, slow);
        fast
    }

    #[test]
    fn cargo_layout_takes_the_fast_path_and_agrees_with_toml() {
        let (packages, root) = both(LOCK);
        assert_eq!(root.as_deref(), Some("app@0.1.0"));
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["app@0.1.0", "log@0.4.20", "serde@1.0.0"]);
        assert!(packages[1].direct && packages[2].direct);
        let crlf = LOCK.replace('\n', "\r\n");
        assert_eq!(both(&crlf).0, packages);
    }

    #[test]
    fn anything_else_falls_back_to_toml() {
        for (from, to) in [
            ("name = \"log\"", "name = 'log'"),
            ("name = \"log\"", "name = \"l\\u006fg\""),
            ("name = \"log\"", "name=\"log\""),
            ("name = \"log\"", "name = \"log\" # why"),
            (
                "checksum = \"abc\"",
                "checksum = \"abc\"\nchecksum = \"abc\"",
            ),
            ("version = 4", "version = \"4\""),
            ("dependencies = []", "dependencies = [\"log\"]"),
            (
                "dependencies = []",
                "dependencies = []\n\n[metadata]\nx = \"y\"",
            ),
            (" \"log\",\n", " \"log\"\n"),
            ("version = 4", "version = 04"),
            ("# It is", "# It\u{0}is"),
            ("source = \"registry", "source = \"\rregistry"),
        ] {
            let edited = LOCK.replacen(from, to, 1);
            assert!(canonical(&edited).is_none(), "{to}");
        }
        // A missing key is TOML's to report, with its place.
        assert!(canonical(&LOCK.replace("version = \"0.4.20\"\n", "")).is_none());
    }

    #[test]
    fn dependency_errors_point_at_the_string_on_both_paths() {
        let text = LOCK.replace(" \"log\",", " \"nope\",");
        let err = parse("Cargo.lock", &text).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(9), Some(2)));
        let slow = text.replace("name = \"app\"", "name = 'app'");
        let err = parse("Cargo.lock", &slow).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(9), Some(2)));
    }
}
