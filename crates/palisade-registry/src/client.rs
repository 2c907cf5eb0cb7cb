//! The client the binary holds: configuration plus the shared HTTP machinery.

use futures_util::StreamExt;
use futures_util::stream;

use crate::cache::DiskCache;
use crate::cargo::{self, CargoRegistry, CargoSources, CrateVersions, IndexConfig};
use crate::error::{Error, FetchErrorKind};
use crate::fetch::{Fetcher, Settings, Target};
use crate::npm::{self, NpmConfig, PackageMetadata, Packument};

/// Asks npm registries and cargo sparse indexes what they publish.
///
/// Every request made through one client shares its connection pool, its bound on requests
/// in flight ([`Settings::concurrency`]) and its cache.
pub struct Client {
    fetcher: Fetcher,
    npm: NpmConfig,
    cargo: CargoSources,
}

/// One package to ask about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// An npm package, from the registry [`NpmConfig`] picks for its name.
    Npm {
        /// The package name, `@scope/name` for scoped packages.
        name: String,
    },
    /// A crate, from the index [`CargoSources`] resolves for its registry.
    Crate {
        /// The crate name.
        name: String,
        /// Where the project takes it from.
        registry: CargoRegistry,
    },
}

/// What a registry publishes for one [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Versions {
    /// From an npm packument.
    Npm(Packument),
    /// From a cargo index file.
    Crate(CrateVersions),
}

impl Client {
    /// A client with these settings and registry configurations, without a cache.
    pub fn new(settings: Settings, npm: NpmConfig, cargo: CargoSources) -> Result<Client, Error> {
        Ok(Client {
            fetcher: Fetcher::new(settings)?,
            npm,
            cargo,
        })
    }

    /// The same client, keeping answers in `cache`.
    pub fn with_cache(mut self, cache: DiskCache) -> Client {
        self.fetcher.set_cache(cache);
        self
    }

    /// The npm configuration in use.
    pub fn npm_config(&self) -> &NpmConfig {
        &self.npm
    }

    /// The cargo configuration in use.
    pub fn cargo_sources(&self) -> &CargoSources {
        &self.cargo
    }

    /// The abbreviated packument of `name`.
    pub async fn npm_packument(&self, name: &str) -> Result<Packument, Error> {
        let url = npm::packument_url(self.npm.registry_for(name), name)?;
        let target = Target {
            credential: self.npm.credential_for(&url),
            url,
            accept: npm::ACCEPT_ABBREVIATED,
        };
        let body = self.fetcher.get(&target).await?;
        npm::parse_abbreviated(&body).map_err(|e| malformed(&target, e.to_string()))
    }

    /// The repository and homepage of `name`, from its full packument.
    pub async fn npm_metadata(&self, name: &str) -> Result<PackageMetadata, Error> {
        let url = npm::packument_url(self.npm.registry_for(name), name)?;
        let target = Target {
            credential: self.npm.credential_for(&url),
            url,
            accept: npm::ACCEPT_FULL,
        };
        let body = self.fetcher.get(&target).await?;
        npm::parse_full(&body).map_err(|e| malformed(&target, e.to_string()))
    }

    /// The published versions of crate `name` from `registry`'s index.
    pub async fn crate_versions(
        &self,
        name: &str,
        registry: &CargoRegistry,
    ) -> Result<CrateVersions, Error> {
        let index = self.cargo.resolve(registry)?;
        let target = Target {
            url: index.file_url(name)?,
            accept: "*/*",
            credential: None,
        };
        let body = self.fetcher.get(&target).await?;
        cargo::parse_index_file(name, &body).map_err(|e| malformed(&target, e))
    }

    /// The `config.json` of `registry`'s index.
    pub async fn index_config(&self, registry: &CargoRegistry) -> Result<IndexConfig, Error> {
        let index = self.cargo.resolve(registry)?;
        let target = Target {
            url: index.config_url(),
            accept: "application/json",
            credential: None,
        };
        let body = self.fetcher.get(&target).await?;
        cargo::parse_config(&body).map_err(|e| malformed(&target, e.to_string()))
    }

    /// Every request's answer, in the order asked; one failing does not stop the others.
    /// `on_progress(done, total)` is called once before the first request completes (with
    /// `done == 0`) and after each one, from the calling task, so a progress bar can follow.
    pub async fn fetch_all(
        &self,
        requests: &[Request],
        on_progress: impl Fn(usize, usize),
    ) -> Vec<Result<Versions, Error>> {
        let total = requests.len();
        on_progress(0, total);
        let mut results: Vec<Option<Result<Versions, Error>>> = vec![None; total];
        // The fetcher's permits bound the requests in flight; this only bounds the futures
        // alive at once (cache hits finish without a permit).
        let mut answers = stream::iter(requests.iter().enumerate())
            .map(|(i, request)| async move { (i, self.fetch(request).await) })
            .buffer_unordered(self.fetcher.concurrency() * 2);
        let mut done = 0;
        while let Some((i, result)) = answers.next().await {
            results[i] = Some(result);
            done += 1;
            on_progress(done, total);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Internal("request not run".into()))))
            .collect()
    }

    async fn fetch(&self, request: &Request) -> Result<Versions, Error> {
        match request {
            Request::Npm { name } => self.npm_packument(name).await.map(Versions::Npm),
            Request::Crate { name, registry } => self
                .crate_versions(name, registry)
                .await
                .map(Versions::Crate),
        }
    }
}

fn malformed(target: &Target<'_>, message: String) -> Error {
    Error::fetch(&target.url, FetchErrorKind::Malformed(message))
}
