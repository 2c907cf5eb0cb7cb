//! Login monitoring for palisade, as a mostly pure core: which requests are logins and how
//! they ended ([`Routes`], [`LoginRoute::extract`], [`LoginRoute::outcome`]), what a run of
//! outcomes means ([`Monitor::observe`] → [`Decision`]s: brute force, credential stuffing,
//! accounts at risk, logins from new networks, account changes), signed single-use
//! "this wasn't me" links ([`ReportSigner`]), and breached passwords the Have I Been Pwned way
//! ([`pwned`]).
//!
//! No sockets, no clocks: time is passed in. The two exceptions are the breached-password
//! sources ([`pwned::PwnedFile`] reads a local file, [`pwned::RangeClient`] asks an HTTP API),
//! kept in their own module.
//!
//! # Example
//!
//! ```
//! use http::{HeaderMap, Method, StatusCode};
//! use palisade_auth::{AuthConfig, Decision, Outcome};
//! use palisade_core::Timestamp;
//!
//! let config: AuthConfig = toml::from_str(r#"
//!     [[login]]
//!     path = "/login"
//!     username = "form:email"
//!     password = "form:password"
//!     success = { status = [302], location_not = "/login?error" }
//! "#).unwrap();
//! let settings = config.validate().unwrap();
//! let mut monitor = settings.monitor();
//!
//! let route = settings.routes.login(&Method::POST, "/login").unwrap();
//! let ip = "203.0.113.7".parse().unwrap();
//! let mut decisions = Vec::new();
//! for i in 0..10 {
//!     let body = b"email=alice%40example.com&password=hunter2";
//!     let attempt = route.extract(&Method::POST, "/login", &HeaderMap::new(), body).unwrap();
//!     assert_eq!(format!("{attempt:?}").contains("hunter2"), false);
//!     let mut headers = HeaderMap::new();
//!     headers.insert("location", "/login?error=1".parse().unwrap());
//!     let outcome = route.outcome(StatusCode::FOUND, &headers);
//!     assert_eq!(outcome, Outcome::Failure);
//!     decisions.extend(monitor.observe(&attempt, outcome, ip, Timestamp(i * 1000)));
//! }
//! assert!(decisions.iter().any(|d| matches!(d, Decision::BruteForce { .. })));
//! ```
//!
//! # Security
//!
//! Passwords live in [`Password`], which prints `***`, cannot be serialised or cloned, and is
//! zeroed on drop; nothing this crate returns or serialises carries one. Report tokens are
//! capabilities and never go into events.
#![warn(missing_docs)]

mod config;
mod decision;
mod known;
mod monitor;
pub mod pwned;
mod report;
mod route;
mod secret;
mod selector;
mod token;
mod window;

pub use config::{
    AccountChangeConfig, AuthConfig, AuthSettings, BruteForceConfig, ConfigError, FailureConfig,
    LimitsConfig, LoginRouteConfig, NewIpConfig, PrefixConfig, PwnedConfig, PwnedSettings,
    ReportSettings, StuffingConfig, SuccessConfig, UserConfig,
};
pub use decision::{BREACHED_HEADER, Decision, RISK_HEADER, Risk, RiskLevel};
pub use known::KnownPair;
pub use monitor::{
    CountKey, Limits, Monitor, MonitorSettings, MonitorSizes, SharedCount, SharedCounts,
    SharedLogin, Threshold,
};
pub use report::{AuthEventReport, ReportedOutcome};
pub use route::{
    AccountChangeRoute, Attempt, ChangeKind, FailureRule, LoginRoute, Outcome, Routes, SuccessRule,
    UsernameCase, UsernamePolicy, looks_like_email, normalise_path,
};
pub use secret::{Password, PasswordHash};
pub use selector::Selector;
pub use token::{REPORT_PATH, ReportClaims, ReportSigner, ReportToken, ReportTokens, TokenError};
pub use window::prefix_of;
