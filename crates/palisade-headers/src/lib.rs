//! Helmet 8.3's security response headers, as a pure policy core.
//!
//! [`HeadersConfig`] is the `[headers]` table of palisade.toml, named after helmet's options;
//! [`Policy::from_config`] validates it once into [`HeaderSet`]s of ready `HeaderValue`s, and
//! [`HeaderSet::apply`] adds them to a response. With no options the headers are byte for byte
//! those of `helmet()`, in the same order. The core does no I/O: the proxy calls it in its
//! response phase, and the `tower` feature (on by default) wraps it as [`HelmetLayer`].
//!
//! # Example
//!
//! ```
//! use palisade_headers::{CspNonce, HeadersConfig, Policy};
//!
//! let cfg: HeadersConfig = toml::from_str(
//!     r#"
//!     frameguard = { action = "deny" }
//!     content_security_policy = { nonce = true }
//!
//!     [[path]]
//!     path = "/embed"
//!     x_frame_options = false
//!     "#,
//! )?;
//! let policy = Policy::from_config(&cfg)?;
//!
//! let set = policy.for_path("/index.html");
//! assert!(set.wants_nonce());
//! let nonce = CspNonce::generate();
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-powered-by", "Express".parse()?);
//! set.apply(&mut headers, Some(&nonce));
//!
//! assert_eq!(headers["x-frame-options"], "DENY");
//! assert!(!headers.contains_key("x-powered-by"));
//! let csp = headers["content-security-policy"].to_str()?;
//! assert!(csp.contains(&format!("script-src 'self' 'nonce-{nonce}';")));
//!
//! assert!(!policy.for_path("/embed/widget").headers().iter().any(|(n, _)| n == "x-frame-options"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! Every key is checked: an unknown or misspelt one is an error rather than a protection that
//! silently goes missing, and CSP values are checked as helmet checks them (no `;` or `,`
//! inside a source, keywords like `'self'` quoted, a `default-src` unless explicitly disabled).
#![warn(missing_docs)]

mod compile;
pub mod config;
pub mod cookies;
mod csp;
mod error;
mod html;
mod names;
mod nonce;
mod path;
mod policy;
pub mod report;
pub mod suggest;

#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "tower")]
mod service;

pub use config::{HeadersConfig, NonceMode};
pub use cookies::{CookiePolicy, CookiesOptions};
pub use csp::{CSP_REPORT_GROUP, CSP_REPORT_PATH};
pub use error::PolicyError;
pub use html::{DEFAULT_REWRITE_MEMORY, NonceRewriter};
pub use names::helmet_case;
pub use nonce::CspNonce;
pub use policy::{HeaderSet, Policy, UpstreamPolicy};
pub use report::{Violation, parse_reports};
pub use suggest::Suggestion;

#[cfg(feature = "tower")]
pub use layer::HelmetLayer;
#[cfg(feature = "tower")]
pub use service::{HelmetService, ResponseFuture};
