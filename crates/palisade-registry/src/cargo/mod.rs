//! cargo's sparse registry protocol: `config.json` at the index root, then one file per crate
//! at a path derived from its name, one JSON object per published version.
//!
//! Which index to ask is cargo's configuration's business ([`CargoSources`]): crates.io, a
//! mirror it is replaced with, or an alternative registry. Only sparse indexes are spoken;
//! crates.io's git index is read through its sparse twin, and other git indexes are an error.

mod config;
mod index;

use reqwest::Url;

pub use config::{CargoRegistry, CargoSources};
pub use index::{CrateVersion, CrateVersions, IndexConfig, index_path};
pub(crate) use index::{parse_config, parse_index_file};

use crate::error::Error;

/// crates.io's sparse index.
pub const CRATES_IO_SPARSE: &str = "https://index.crates.io/";

/// crates.io's git index, as lockfiles and source replacement name it.
pub const CRATES_IO_GIT: &str = "https://github.com/rust-lang/crates.io-index";

/// A sparse index to ask, and how the configuration chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparseIndex {
    url: Url,
    via: String,
}

impl SparseIndex {
    /// crates.io's sparse index.
    pub fn crates_io() -> SparseIndex {
        SparseIndex {
            url: Url::parse(CRATES_IO_SPARSE).unwrap_or_else(|_| unreachable!()),
            via: "crates.io".into(),
        }
    }

    /// The index at `url`, written with or without cargo's `sparse+` prefix.
    pub fn new(url: &str) -> Result<SparseIndex, Error> {
        let unsupported = |why: &str| Error::Unsupported(format!("sparse index `{url}`: {why}"));
        let bare = url.strip_prefix("sparse+").unwrap_or(url);
        let mut parsed = Url::parse(bare).map_err(|e| unsupported(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(unsupported("only http and https indexes can be asked"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(unsupported("has a query or fragment"));
        }
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        Ok(SparseIndex {
            via: parsed.to_string(),
            url: parsed,
        })
    }

    pub(crate) fn with_via(self, via: String) -> SparseIndex {
        SparseIndex { via, ..self }
    }

    /// The index root, ending in `/`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// How the configuration led here, for messages: `crates.io`, or e.g.
    /// ``crates-io replaced with `mirror` (/work/.cargo/config.toml)``.
    pub fn via(&self) -> &str {
        &self.via
    }

    pub(crate) fn file_url(&self, name: &str) -> Result<Url, Error> {
        let path = index_path(name)?;
        self.url.join(&path).map_err(|e| Error::InvalidName {
            name: format!("{name} ({e})"),
            ecosystem: "cargo",
        })
    }

    pub(crate) fn config_url(&self) -> Url {
        // Joining a plain relative name onto an http(s) base cannot fail.
        self.url
            .join("config.json")
            .unwrap_or_else(|_| self.url.clone())
    }
}
