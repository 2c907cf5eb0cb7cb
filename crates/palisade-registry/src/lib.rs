//! Package registry clients for `palisade outdated` and `palisade update`: which versions the
//! npm registry and cargo's sparse indexes publish, asked the way npm and cargo would ask.
//!
//! - [`npm`]: abbreviated packuments (versions, dist-tags, deprecations) and, for the few
//!   updates that pass, the full packument's repository and homepage. Registries and tokens
//!   come from `.npmrc` files and `npm_config_registry` ([`NpmConfig`]).
//! - [`cargo`]: sparse index files (versions, yanked, `rust-version`). The index comes from
//!   cargo's configuration, source replacement and alternative registries included
//!   ([`CargoSources`]).
//! - [`Client`] shares one HTTP client between them, bounds the requests in flight, retries
//!   what may succeed later, and keeps answers in a [`DiskCache`] for a TTL.
//!
//! Configuration is read from paths and values the caller passes (project directory, `HOME`,
//! `CARGO_HOME`, an environment lookup): this crate never reads the process environment, so
//! the binary decides and tests control everything. Nothing here draws progress: the binary
//! drives its bar from [`Client::fetch_all`]'s callback.
//!
//! # Example
//!
//! ```
//! use palisade_registry::{cargo, npm};
//!
//! // Where cargo's sparse protocol keeps a crate's index file.
//! assert_eq!(cargo::index_path("Serde").unwrap(), "se/rd/serde");
//! assert_eq!(cargo::index_path("cc").unwrap(), "2/cc");
//! // How a scoped npm name appears in a packument URL.
//! assert_eq!(npm::escape_name("@types/node").unwrap(), "@types%2fnode");
//! ```
//!
//! ```no_run
//! use palisade_registry::{CargoRegistry, CargoSources, Client, NpmConfig, Request, Settings};
//! # async fn run() -> Result<(), palisade_registry::Error> {
//! let project = std::path::Path::new(".");
//! let env = |name: &str| std::env::var(name).ok();
//! let npm = NpmConfig::load(project, std::env::home_dir().as_deref(), env)?;
//! let cargo = CargoSources::load(project, None)?;
//! let client = Client::new(Settings::default(), npm, cargo)?;
//! let requests = [
//!     Request::Npm { name: "left-pad".into() },
//!     Request::Crate { name: "serde".into(), registry: CargoRegistry::CratesIo },
//! ];
//! let results = client.fetch_all(&requests, |done, total| eprintln!("{done}/{total}")).await;
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! npm tokens are sent only to the host (and path) their `.npmrc` key names, never logged,
//! and redacted from `Debug`; reqwest drops `Authorization` when a redirect leaves the host.
//! Errors show URLs without user info. Package names are validated before they become URL
//! paths, and cache file names are hashes.
#![warn(missing_docs)]

mod cache;
pub mod cargo;
mod client;
mod error;
mod fetch;
pub mod npm;

pub use cache::DiskCache;
pub use cargo::{
    CargoRegistry, CargoSources, CrateVersion, CrateVersions, IndexConfig, SparseIndex,
};
pub use client::{Client, Request, Versions};
pub use error::{Error, FetchErrorKind};
pub use fetch::Settings;
pub use npm::{NpmConfig, NpmVersion, PackageMetadata, Packument};
