//! Test helpers shared by palisade's integration tests: a real upstream HTTP app on
//! 127.0.0.1 port 0, a guard started as its own process with a generated config, and local
//! cargo and npm registries ([`registry`]).
#![warn(missing_docs)]

mod blackhole;
pub mod browser;
pub mod console;
mod events;
mod guard;
mod raw;
pub mod redis;
pub mod registry;
pub mod thread_server;
mod tls;
mod upstream;

pub use blackhole::Blackhole;
pub use events::{stored_events, wait_stored_events};
pub use guard::{GuardProcess, free_port};
pub use raw::{RawResponse, raw_get};
pub use tls::SelfSigned;
pub use upstream::{LOGIN_PASSWORD, LOGIN_ROUTE, PAGE_SCRIPTS, STACK_TRACE, TestUpstream};

/// Polls `cond` every 10 ms until it holds or `within` passes; true when it held.
pub fn eventually(within: std::time::Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The twelve headers `helmet()` (8.3) sends with no options, in its order (as in
/// shared/data/helmet-defaults.json).
pub const HELMET_DEFAULTS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
    ),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Origin-Agent-Cluster", "?1"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Strict-Transport-Security",
        "max-age=31536000; includeSubDomains",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-DNS-Prefetch-Control", "off"),
    ("X-Download-Options", "noopen"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Permitted-Cross-Domain-Policies", "none"),
    ("X-XSS-Protection", "0"),
];
