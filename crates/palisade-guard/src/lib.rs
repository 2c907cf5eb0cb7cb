//! The guard: a reverse proxy on [pingora] that puts palisade's policies in front of an
//! app, plus its admin listener.
//!
//! This crate is an I/O shell. Decisions live in pure crates (`palisade-headers`,
//! `palisade-detect`, `palisade-auth`) and the black book (`palisade-state`); the guard calls
//! them from pingora's request phases in the order docs/guard-phases.md gives.
//!
//! # Security
//!
//! - Client IPs come from `X-Forwarded-For` only when the peer is a trusted proxy.
//! - Request headers must arrive within `client_header` (slowloris); bodies are streamed
//!   and capped at `max_request_body` (413); a dead upstream gets a clean 502, a slow one 504.
//! - In front of an app `palisade run` supervises ([`Supervised`]), the defences run before
//!   the app's availability is looked at: an attacker is refused, never held while the app
//!   restarts.
//! - The admin listener is separate from the proxy listener and loopback by default.
#![warn(missing_docs)]

mod admin;
pub mod auth;
mod conn;
mod csp_report;
pub mod defence;
pub mod detect;
mod error;
pub mod error_page;
pub mod forwarded;
pub mod metrics;
pub mod proxy;
mod respond;
mod server;
pub mod settings;
mod supervised;
pub mod watch;

pub use admin::serve_app_admin;
pub use auth::{AuthGuardSettings, Mailer};
pub use defence::{BanAnswer, BlackbookSettings, RateLimitSettings, RateRule};
pub use detect::{DetectMode, DetectSettings, Detection};
pub use error::GuardError;
pub use forwarded::TrustedProxies;
pub use server::{GuardServer, OnExit};
pub use settings::{GuardSettings, Timeouts, TlsFiles, Upstream};
pub use supervised::Supervised;
pub use watch::{LogLogin, LoginFeed};
