//! The guard's runtime settings: already validated, ready to serve with.
//!
//! The binary turns `palisade.toml` and CLI flags into these; this crate never sees TOML.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use palisade_headers::Policy;

use crate::error::GuardError;
use crate::forwarded::TrustedProxies;

/// Everything the guard needs to serve.
#[derive(Debug, Clone)]
pub struct GuardSettings {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// The app behind the guard.
    pub upstream: Upstream,
    /// Terminate TLS on `listen` with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// Peers whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Deadlines for each side.
    pub timeouts: Timeouts,
    /// Largest request body passed upstream; larger ones get 413.
    pub max_request_body: u64,
    /// The admin listener (`/healthz`, `/metrics`), if any.
    pub admin: Option<SocketAddr>,
    /// The response headers policy (Helmet).
    pub headers: Arc<Policy>,
    /// Worker threads for the proxy.
    pub threads: usize,
    /// Attack detection; `None` when off.
    pub detect: Option<crate::detect::DetectSettings>,
    /// The black book of banned clients; `None` when off.
    pub blackbook: Option<crate::defence::BlackbookSettings>,
    /// Rate and connection limits; `None` when off.
    pub ratelimit: Option<crate::defence::RateLimitSettings>,
    /// Login monitoring; `None` when no route is watched.
    pub auth: Option<crate::auth::AuthGuardSettings>,
    /// More routes for the admin listener (the console), merged beside the admin API.
    pub admin_routes: Option<axum::Router>,
}

/// Deadlines, each one a defence against a different way of tying the guard up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From a request's first byte to the end of its headers (slowloris) → connection closed.
    pub client_header: Duration,
    /// Idle time allowed between two reads of a request body (and of an upgraded
    /// connection's client side).
    pub client_body: Duration,
    /// How long a write to a client may stall before the connection is dropped
    /// (a client that stops reading would otherwise pin an upstream connection too).
    pub client_send: Duration,
    /// Connecting to the upstream → 504 when exceeded.
    pub upstream_connect: Duration,
    /// Waiting for the upstream to send (headers or the next body bytes) → 504.
    pub upstream_response: Duration,
    /// How long a keep-alive connection may sit idle between requests.
    pub keepalive: Duration,
    /// How long shutdown waits for in-flight requests before closing anyway.
    pub drain: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            client_header: Duration::from_secs(10),
            client_body: Duration::from_secs(60),
            client_send: Duration::from_secs(60),
            upstream_connect: Duration::from_secs(5),
            upstream_response: Duration::from_secs(60),
            keepalive: Duration::from_secs(75),
            drain: Duration::from_secs(30),
        }
    }
}

/// A certificate chain and private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// Where the app listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Resolved once at start-up.
    pub addr: SocketAddr,
    /// Whether to speak TLS to the app.
    pub tls: bool,
    /// The host name given in the URL (for SNI and display).
    pub host: String,
    /// The URL as configured, for display.
    pub url: String,
}

impl Upstream {
    /// Parses `http://host:port` or `https://host:port` (a path is not allowed) and resolves it.
    pub fn parse(url: &str) -> Result<Upstream, GuardError> {
        let bad = |why: &str| GuardError::Upstream {
            url: url.to_owned(),
            reason: why.to_owned(),
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(_) | None => return Err(bad("the scheme must be http:// or https://")),
        };
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad(
                "a path prefix is not supported; give scheme, host and port only",
            ));
        }
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addr = (bare, port)
            .to_socket_addrs()
            .map_err(|e| bad(&format!("cannot resolve: {e}")))?
            .next()
            .ok_or_else(|| bad("the name resolves to no address"))?;
        Ok(Upstream {
            addr,
            tls,
            host: bare.to_owned(),
            url: url.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upstreams() {
        let u = Upstream::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(u.addr, "127.0.0.1:3000".parse().unwrap());
        assert!(!u.tls);
        let u = Upstream::parse("https://[::1]").unwrap();
        assert_eq!(u.addr.port(), 443);
        assert!(u.tls);
        assert!(Upstream::parse("ftp://x").is_err());
        assert!(Upstream::parse("http://127.0.0.1:1/app").is_err());
        assert!(Upstream::parse("127.0.0.1:3000").is_err());
    }
}
