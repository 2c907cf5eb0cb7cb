//! Configuration: the `[auth]` file structs ([`AuthConfig`] and friends, serde) and their
//! validation into runtime types ([`AuthSettings`]). Each error names the key it is about
//! (`auth.login[0].username`), for the binary to locate in the TOML.
//!
//! # Example
//!
//! ```
//! use palisade_auth::AuthConfig;
//!
//! let config: AuthConfig = serde_json::from_value(serde_json::json!({
//!     "login": [{
//!         "path": "/login",
//!         "username": "form:email",
//!         "password": "form:password",
//!         "success": { "status": [302], "location_not": "/login?error" },
//!     }],
//! }))
//! .unwrap();
//! let settings = config.validate().unwrap();
//! assert_eq!(settings.routes.login[0].name.as_ref(), "POST /login");
//!
//! let bad: AuthConfig =
//!     serde_json::from_value(serde_json::json!({ "login": [{ "path": "/login", "username": "cookie:x" }] }))
//!         .unwrap();
//! assert_eq!(bad.validate().unwrap_err().field, "auth.login[0].username");
//! ```

mod file;
mod validate;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use file::{
    AccountChangeConfig, AuthConfig, BruteForceConfig, FailureConfig, LimitsConfig,
    LoginRouteConfig, NewIpConfig, PrefixConfig, PwnedConfig, StuffingConfig, SuccessConfig,
    UserConfig,
};
use zeroize::Zeroizing;

use crate::monitor::{Monitor, MonitorSettings};
use crate::pwned::{Pwned, PwnedError, PwnedFile, RangeCache, RangeClient};
use crate::route::Routes;
use crate::token::ReportSigner;

/// A key of `[auth]` has a value palisade cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct ConfigError {
    /// The dotted key, with indices: `auth.login[1].success.status`.
    pub field: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

/// The validated `[auth]`.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Login and account-change routes.
    pub routes: Routes,
    /// Monitor thresholds and caps.
    pub monitor: MonitorSettings,
    /// "This wasn't me" links, when a secret is configured.
    pub report: Option<ReportSettings>,
    /// Breached-password sources.
    pub pwned: PwnedSettings,
}

/// Settings of the report links.
#[derive(Clone)]
pub struct ReportSettings {
    secret: Zeroizing<Vec<u8>>,
    /// Public base URL for links.
    pub link_base: String,
    /// Link lifetime.
    pub ttl: Duration,
}

impl fmt::Debug for ReportSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportSettings")
            .field("secret", &"***")
            .field("link_base", &self.link_base)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl ReportSettings {
    /// A signer for these settings.
    pub fn signer(&self) -> ReportSigner {
        ReportSigner::new(&self.secret, self.ttl)
    }
}

/// Settings of the breached-password check.
#[derive(Debug, Clone, PartialEq)]
pub struct PwnedSettings {
    /// Local file.
    pub file: Option<PathBuf>,
    /// Range API base URL.
    pub api: Option<String>,
    /// Per-request timeout.
    pub api_timeout: Duration,
    /// Ranges cached.
    pub cache_ranges: std::num::NonZeroUsize,
    /// Cache lifetime.
    pub cache_ttl: Duration,
    /// Breach count from which a password counts as breached.
    pub min_count: u64,
    /// Refuse logins with a breached password.
    pub block: bool,
}

impl PwnedSettings {
    /// Opens the file and builds the API client (the only I/O of set-up: run it at start-up
    /// so a missing file is an error then, not at the first login).
    pub fn open(&self) -> Result<Pwned, PwnedError> {
        let file = match &self.file {
            Some(p) => Some(std::sync::Arc::new(PwnedFile::open(p)?)),
            None => None,
        };
        let api = match &self.api {
            Some(base) => Some(std::sync::Arc::new(RangeClient::new(
                base,
                self.api_timeout,
                RangeCache::new(self.cache_ranges, self.cache_ttl),
            )?)),
            None => None,
        };
        Ok(Pwned { file, api })
    }
}

impl AuthSettings {
    /// A monitor with these settings (and report links when configured).
    pub fn monitor(&self) -> Monitor {
        let monitor = Monitor::new(self.monitor.clone());
        match &self.report {
            Some(r) => monitor.with_report_links(r.signer()),
            None => monitor,
        }
    }
}
