//! Which index cargo would ask for a crate: its configuration's source replacement and
//! alternative registries.
//!
//! Files, deeper overriding shallower key by key as cargo merges them: `.cargo/config.toml`
//! (or the legacy `.cargo/config`, which cargo prefers when both exist) in the project
//! directory and each of its parents, then `$CARGO_HOME/config.toml` with the lowest
//! precedence (read once when it is also a parent's). Tables read: `[source.<name>]`
//! (`replace-with`, `registry`, `local-registry`, `directory`, `git`) and
//! `[registries.<name>]` (`index`); the rest of cargo's configuration is ignored, as are
//! `CARGO_*` environment overrides and `include`.
//!
//! Resolution starts from crates.io (source `crates-io`), from an alternative registry
//! named in `Cargo.toml`, or from a lockfile's `source = "registry+…"`/`"sparse+…"` (a
//! `[source]` with that `registry` URL is the starting point). `replace-with` is followed,
//! through `[source]` or `[registries]` entries, until a registry URL: `sparse+…` is asked
//! as it is, crates.io's git index through its sparse twin, and anything else (another git
//! index, a local registry, a vendored directory, a git source, a cycle) is an error that
//! says which file led there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{CRATES_IO_GIT, CRATES_IO_SPARSE, SparseIndex};
use crate::error::Error;

/// Where a crate comes from, as the project names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CargoRegistry {
    /// crates.io: dependencies without a `registry` key.
    CratesIo,
    /// An alternative registry, by the name given to `registry = "…"` in `Cargo.toml`.
    Named(String),
    /// A lockfile's `source` value, e.g. `registry+https://github.com/rust-lang/crates.io-index`
    /// or `sparse+https://my.example/index/`.
    Source(String),
}

/// The `[source]` and `[registries]` tables of cargo's configuration, merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoSources {
    sources: BTreeMap<String, SourceDef>,
    registries: BTreeMap<String, Located>,
}

/// A `[source.<name>]` table, each key with the file that set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct SourceDef {
    replace_with: Option<Located>,
    registry: Option<Located>,
    local_registry: Option<Located>,
    directory: Option<Located>,
    git: Option<Located>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Located {
    value: String,
    path: PathBuf,
}

impl CargoSources {
    /// Reads the configuration cargo would read for a project in `project_dir`, with
    /// `cargo_home` (the caller resolves `$CARGO_HOME`, or `~/.cargo`) as the lowest layer.
    /// Missing files are skipped; a file that cannot be read or parsed is an error.
    pub fn load(project_dir: &Path, cargo_home: Option<&Path>) -> Result<CargoSources, Error> {
        let project_dir = std::path::absolute(project_dir).map_err(|e| Error::Config {
            path: project_dir.to_owned(),
            message: format!("cannot resolve the project directory: {e}"),
        })?;
        // Deepest first, as found.
        let mut files: Vec<PathBuf> = project_dir
            .ancestors()
            .filter_map(|dir| config_file(&dir.join(".cargo")))
            .collect();
        if let Some(home_file) = cargo_home.and_then(config_file) {
            let canonical = |p: &Path| std::fs::canonicalize(p).ok();
            let seen = files
                .iter()
                .any(|f| f == &home_file || canonical(f) == canonical(&home_file));
            if !seen {
                files.push(home_file);
            }
        }
        let mut sources = CargoSources::default();
        for path in files.iter().rev() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
                path: path.clone(),
                message: format!("cannot read: {e}"),
            })?;
            sources.merge(path, &text)?;
        }
        Ok(sources)
    }

    /// Adds one file's tables over what is already there.
    fn merge(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        let config_error = |message: String| Error::Config {
            path: path.to_owned(),
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        let string = |table: &toml::Table, key: &str, at: &str| -> Result<Option<Located>, Error> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(value)) => Ok(Some(Located {
                    value: value.clone(),
                    path: path.to_owned(),
                })),
                Some(_) => Err(config_error(format!("`{at}.{key}` must be a string"))),
            }
        };
        for (name, value) in sub_tables(&table, "source").map_err(&config_error)? {
            let at = format!("source.{name}");
            let def = value
                .as_table()
                .ok_or_else(|| config_error(format!("`{at}` must be a table")))?;
            let entry = self.sources.entry(name.clone()).or_default();
            let fields = [
                ("replace-with", &mut entry.replace_with),
                ("registry", &mut entry.registry),
                ("local-registry", &mut entry.local_registry),
                ("directory", &mut entry.directory),
                ("git", &mut entry.git),
            ];
            for (key, slot) in fields {
                if let Some(located) = string(def, key, &at)? {
                    *slot = Some(located);
                }
            }
        }
        for (name, value) in sub_tables(&table, "registries").map_err(&config_error)? {
            let at = format!("registries.{name}");
            let def = value
                .as_table()
                .ok_or_else(|| config_error(format!("`{at}` must be a table")))?;
            if let Some(index) = string(def, "index", &at)? {
                self.registries.insert(name.clone(), index);
            }
        }
        Ok(())
    }

    /// The sparse index cargo would ask for crates from `registry`.
    pub fn resolve(&self, registry: &CargoRegistry) -> Result<SparseIndex, Error> {
        match registry {
            CargoRegistry::CratesIo => self.follow("crates-io"),
            CargoRegistry::Named(name) if name == "crates-io" => self.follow("crates-io"),
            CargoRegistry::Named(name) => {
                let index = self.registries.get(name).ok_or_else(|| {
                    Error::Unsupported(format!(
                        "registry `{name}` is not defined: no `[registries.{name}] index = …` \
                         in any cargo config file"
                    ))
                })?;
                match self.source_with_url(&index.value) {
                    Some(source) => self.follow(source),
                    None => to_sparse(
                        &index.value,
                        format!("registry `{name}` ({})", index.path.display()),
                    ),
                }
            }
            CargoRegistry::Source(source) => {
                if !source.starts_with("registry+") && !source.starts_with("sparse+") {
                    return Err(Error::Unsupported(format!(
                        "`{source}` is not a registry source (git and path dependencies have \
                         no published versions to compare)"
                    )));
                }
                let url = source.strip_prefix("registry+").unwrap_or(source);
                if is_crates_io(url) {
                    return self.follow("crates-io");
                }
                match self.source_with_url(url) {
                    Some(name) => self.follow(name),
                    None => to_sparse(url, format!("lockfile source `{source}`")),
                }
            }
        }
    }

    /// The `[source]` whose `registry` is `url`: replacing it replaces that registry.
    fn source_with_url(&self, url: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(_, def)| {
                def.registry
                    .as_ref()
                    .is_some_and(|r| same_url(&r.value, url))
            })
            .map(|(name, _)| name.as_str())
    }

    /// Follows `replace-with` from source `start` to a registry URL.
    fn follow(&self, start: &str) -> Result<SparseIndex, Error> {
        let mut chain: Vec<&str> = vec![start];
        // The file of the last `replace-with` followed: the one to look at when it goes wrong.
        let mut file: Option<&Path> = None;
        loop {
            let name = chain[chain.len() - 1];
            let def = self.sources.get(name);
            if let Some(next) = def.and_then(|d| d.replace_with.as_ref()) {
                let cycle = chain.contains(&next.value.as_str());
                chain.push(&next.value);
                file = Some(&next.path);
                if cycle {
                    return Err(Error::Config {
                        path: next.path.clone(),
                        message: format!("source replacement cycle: {}", chain.join(" → ")),
                    });
                }
                if self.sources.contains_key(&next.value) || next.value == "crates-io" {
                    continue;
                }
                if let Some(index) = self.registries.get(&next.value) {
                    return to_sparse(&index.value, describe(&chain, file));
                }
                return Err(Error::Config {
                    path: next.path.clone(),
                    message: format!(
                        "`replace-with = \"{0}\"` names no `[source.{0}]` or `[registries.{0}]`",
                        next.value
                    ),
                });
            }
            let via = describe(&chain, file);
            let kinds = [
                ("registry", def.and_then(|d| d.registry.as_ref())),
                (
                    "local-registry",
                    def.and_then(|d| d.local_registry.as_ref()),
                ),
                ("directory", def.and_then(|d| d.directory.as_ref())),
                ("git", def.and_then(|d| d.git.as_ref())),
            ];
            let mut defined = kinds.iter().filter_map(|(k, v)| v.map(|v| (*k, v)));
            let Some((kind, located)) = defined.next() else {
                return if name == "crates-io" {
                    Ok(SparseIndex::crates_io().with_via(via))
                } else if def.is_none() {
                    Err(Error::Unsupported(format!(
                        "{via}: source `{name}` is not defined in any cargo config file"
                    )))
                } else {
                    Err(Error::Unsupported(format!(
                        "{via}: source `{name}` has neither `replace-with` nor `registry`"
                    )))
                };
            };
            if let Some((other, _)) = defined.next() {
                return Err(Error::Config {
                    path: located.path.clone(),
                    message: format!("source `{name}` sets both `{kind}` and `{other}`"),
                });
            }
            let file = located.path.display();
            return match kind {
                "registry" => to_sparse(&located.value, via),
                "local-registry" => Err(Error::Unsupported(format!(
                    "{via}: source `{name}` is a local registry ({file}); palisade asks \
                     registries over HTTP and cannot read local registries"
                ))),
                "directory" => Err(Error::Unsupported(format!(
                    "{via}: source `{name}` is a vendored directory ({file}); palisade cannot \
                     look for updates in vendored sources"
                ))),
                _ => Err(Error::Unsupported(format!(
                    "{via}: source `{name}` is a git repository ({file}); palisade reads only \
                     registries"
                ))),
            };
        }
    }
}

/// `crates-io replaced with mirror (/p/.cargo/config.toml)`.
fn describe(chain: &[&str], file: Option<&Path>) -> String {
    let names = chain.join(" replaced with ");
    match file {
        Some(path) => format!("{names} ({})", path.display()),
        None => names,
    }
}

/// `dir/config`, else `dir/config.toml`: cargo prefers the legacy name when both exist.
fn config_file(dir: &Path) -> Option<PathBuf> {
    ["config", "config.toml"]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

fn sub_tables<'t>(
    table: &'t toml::Table,
    key: &str,
) -> Result<Vec<(&'t String, &'t toml::Value)>, String> {
    match table.get(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::Table(entries)) => Ok(entries.iter().collect()),
        Some(_) => Err(format!("`{key}` must be a table")),
    }
}

/// A registry URL from cargo's configuration as a sparse index.
fn to_sparse(url: &str, via: String) -> Result<SparseIndex, Error> {
    if url.starts_with("sparse+") {
        return SparseIndex::new(url).map(|index| index.with_via(via));
    }
    let bare = url.strip_prefix("registry+").unwrap_or(url);
    if is_crates_io(bare) {
        return Ok(SparseIndex::crates_io().with_via(via));
    }
    Err(Error::Unsupported(format!(
        "{via}: `{url}` is a git index; palisade reads only sparse indexes \
         (`sparse+https://…`): configure the registry's sparse URL"
    )))
}

fn is_crates_io(url: &str) -> bool {
    let bare = url.strip_prefix("sparse+").unwrap_or(url);
    same_url(bare, CRATES_IO_GIT) || same_url(bare, CRATES_IO_SPARSE)
}

/// Equal up to a trailing `/`, a `.git` suffix and ASCII case (cargo canonicalises URLs
/// before comparing sources; this is the part of it that matters in practice).
fn same_url(a: &str, b: &str) -> bool {
    let canonical = |url: &str| {
        let url = url.trim_end_matches('/');
        url.strip_suffix(".git").unwrap_or(url).to_ascii_lowercase()
    };
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> CargoSources {
        let mut sources = CargoSources::default();
        for (path, text) in files {
            sources.merge(Path::new(path), text).unwrap();
        }
        sources
    }

    fn resolve(sources: &CargoSources, registry: &CargoRegistry) -> String {
        match sources.resolve(registry) {
            Ok(index) => index.url().to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn no_configuration_means_crates_io() {
        let s = CargoSources::default();
        assert_eq!(resolve(&s, &CargoRegistry::CratesIo), CRATES_IO_SPARSE);
        let lockfile = CargoRegistry::Source(format!("registry+{CRATES_IO_GIT}"));
        assert_eq!(resolve(&s, &lockfile), CRATES_IO_SPARSE);
        let sparse = CargoRegistry::Source(format!("sparse+{CRATES_IO_SPARSE}"));
        assert_eq!(resolve(&s, &sparse), CRATES_IO_SPARSE);
        let named = CargoRegistry::Named("crates-io".into());
        assert_eq!(resolve(&s, &named), CRATES_IO_SPARSE);
    }

    #[test]
    fn replace_with_chains_through_sources_and_registries() {
        let s = sources(&[(
            "/p/.cargo/config.toml",
            r#"
            [source.crates-io]
            replace-with = "corp"
            [source.corp]
            replace-with = "mirror"
            [registries.mirror]
            index = "sparse+https://mirror.example/index"
            "#,
        )]);
        let index = s.resolve(&CargoRegistry::CratesIo).unwrap();
        assert_eq!(index.url().as_str(), "https://mirror.example/index/");
        assert_eq!(
            index.via(),
            "crates-io replaced with corp replaced with mirror (/p/.cargo/config.toml)"
        );
    }

    #[test]
    fn git_indexes_other_than_crates_io_are_refused() {
        let s = sources(&[(
            "/p/.cargo/config.toml",
            r#"
            [source.crates-io]
            replace-with = "git-mirror"
            [source.git-mirror]
            registry = "https://git.example/index.git"
            [source.official]
            registry = "https://github.com/rust-lang/crates.io-index"
            [registries.gitreg]
            index = "https://git.example/other"
            [registries.viaofficial]
            index = "https://github.com/rust-lang/crates.io-index.git"
            "#,
        )]);
        let error = resolve(&s, &CargoRegistry::CratesIo);
        assert!(
            error.contains("git index") && error.contains("sparse+"),
            "{error}"
        );
        assert!(error.contains("/p/.cargo/config.toml"), "{error}");
        let error = resolve(&s, &CargoRegistry::Named("gitreg".into()));
        assert!(error.contains("git index"), "{error}");
        assert_eq!(
            resolve(&s, &CargoRegistry::Named("viaofficial".into())),
            CRATES_IO_SPARSE
        );
    }

    #[test]
    fn local_sources_cycles_and_undefined_names_are_clear_errors() {
        let s = sources(&[(
            "/p/.cargo/config.toml",
            r#"
            [source.crates-io]
            replace-with = "vendored"
            [source.vendored]
            directory = "vendor"
            [source.loc]
            local-registry = "/srv/registry"
            [source.a]
            replace-with = "b"
            [source.b]
            replace-with = "a"
            [source.both]
            registry = "sparse+https://x.example/"
            directory = "vendor"
            [source.dangling]
            replace-with = "nowhere"
            "#,
        )]);
        let r = |reg: &str| {
            let mut s = s.clone();
            s.sources.get_mut("crates-io").unwrap().replace_with = Some(Located {
                value: reg.into(),
                path: "/q/.cargo/config.toml".into(),
            });
            resolve(&s, &CargoRegistry::CratesIo)
        };
        assert!(
            r("vendored").contains("vendored directory"),
            "{}",
            r("vendored")
        );
        assert!(r("loc").contains("local registry"), "{}", r("loc"));
        assert!(
            r("a").contains("cycle: crates-io → a → b → a"),
            "{}",
            r("a")
        );
        assert!(
            r("both").contains("both `registry` and `directory`"),
            "{}",
            r("both")
        );
        assert!(
            r("dangling").contains("names no `[source.nowhere]`"),
            "{}",
            r("dangling")
        );
        let error = resolve(&s, &CargoRegistry::Named("unknown".into()));
        assert!(
            error.contains("registry `unknown` is not defined"),
            "{error}"
        );
    }

    #[test]
    fn alternative_registries_and_their_replacement() {
        let s = sources(&[(
            "/p/.cargo/config.toml",
            r#"
            [registries.corp]
            index = "sparse+https://corp.example/index/"
            [registries.other]
            index = "sparse+https://other.example/"
            [source.corp-src]
            registry = "sparse+https://corp.example/index"
            replace-with = "corp-mirror"
            [source.corp-mirror]
            registry = "sparse+https://mirror.example/corp/"
            "#,
        )]);
        assert_eq!(
            resolve(&s, &CargoRegistry::Named("corp".into())),
            "https://mirror.example/corp/"
        );
        assert_eq!(
            resolve(
                &s,
                &CargoRegistry::Source("sparse+https://corp.example/index/".into())
            ),
            "https://mirror.example/corp/"
        );
        assert_eq!(
            resolve(&s, &CargoRegistry::Named("other".into())),
            "https://other.example/"
        );
        let git = CargoRegistry::Source("git+https://github.com/o/r?branch=main#0123abcd".into());
        assert!(resolve(&s, &git).contains("not a registry source"));
        assert_eq!(
            resolve(
                &s,
                &CargoRegistry::Source("sparse+https://unconfigured.example/".into())
            ),
            "https://unconfigured.example/"
        );
    }

    #[test]
    fn deeper_files_override_key_by_key() {
        let s = sources(&[
            (
                "/home/.cargo/config.toml",
                r#"
                [source.crates-io]
                replace-with = "home-mirror"
                [source.home-mirror]
                registry = "sparse+https://home.example/"
                [source.project-mirror]
                registry = "sparse+https://unused.example/"
                "#,
            ),
            (
                "/p/.cargo/config.toml",
                r#"
                [source.crates-io]
                replace-with = "project-mirror"
                [source.project-mirror]
                registry = "sparse+https://project.example/"
                "#,
            ),
        ]);
        assert_eq!(
            resolve(&s, &CargoRegistry::CratesIo),
            "https://project.example/"
        );
    }

    #[test]
    fn malformed_files_are_errors() {
        let mut s = CargoSources::default();
        for text in [
            "[source",
            "source = 1",
            "[source.x]\nregistry = 1",
            "[registries]\nx = 1",
        ] {
            let error = s.merge(Path::new("/p/c.toml"), text).unwrap_err();
            assert!(error.to_string().starts_with("/p/c.toml: "), "{error}");
        }
    }
}
