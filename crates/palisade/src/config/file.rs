//! The shape of `palisade.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use ipnet::IpNet;
use palisade_headers::HeadersConfig;
use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The reverse proxy.
    pub guard: GuardFile,
    /// The admin listener.
    pub admin: AdminFile,
    /// Security response headers (Helmet's options).
    pub headers: HeadersConfig,
    /// Attack detection.
    pub detect: super::detect::DetectFile,
    /// The event store.
    pub events: super::events::EventsFile,
    /// Where events and alerts are shipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sinks: Vec<super::events::SinkFile>,
    /// When to notify whom.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<super::events::AlertFile>,
    /// The black book of banned clients.
    pub blackbook: super::protect::BlackbookFile,
    /// `[state]`: `backend = "redis"` and the server, as an alternative to
    /// `[blackbook] storage` + `[blackbook.redis]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<super::protect::StateFile>,
    /// Rate and connection limits.
    pub ratelimit: super::protect::RateLimitFile,
    /// Login monitoring (palisade-auth's own keys).
    #[serde(serialize_with = "redacted_auth")]
    pub auth: palisade_auth::AuthConfig,
    /// How `palisade run` supervises the app.
    pub run: super::run::RunFile,
    /// Log sources `palisade watch` (and the guard) follow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<super::watch::WatchFile>,
    /// Options shared by the log sources.
    pub watching: super::watch::WatchingFile,
    /// Actions that enforce the black book outside the guard (nftables, commands).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enforce: Vec<super::watch::EnforceFile>,
}

fn redacted_auth<S: serde::Serializer>(
    a: &palisade_auth::AuthConfig,
    s: S,
) -> Result<S::Ok, S::Error> {
    super::auth::redacted(a).serialize(s)
}

/// `[guard]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardFile {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// The app, as `http://host:port` (required, here or with `--upstream`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Peers whose `X-Forwarded-*` headers are believed, as CIDRs.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body passed upstream (bytes, or "10 MiB").
    #[serde(serialize_with = "exact_size")]
    pub max_request_body: ByteSize,
    /// Proxy worker threads; 0 means one per CPU.
    pub threads: usize,
    /// Deadlines.
    pub timeouts: TimeoutsFile,
    /// Terminate TLS with these files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFile>,
}

impl Default for GuardFile {
    fn default() -> Self {
        GuardFile {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            upstream: None,
            trusted_proxies: Vec::new(),
            max_request_body: ByteSize::mib(10),
            threads: 0,
            timeouts: TimeoutsFile::default(),
            tls: None,
        }
    }
}

/// `[guard.timeouts]`, each a duration such as "10s" or "1m 30s".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutsFile {
    /// From a request's first byte to the end of its headers.
    #[serde(with = "humantime_serde")]
    pub client_header: Duration,
    /// Idle time between two reads of a request body (also the idle limit of an
    /// upgraded connection's client side, e.g. a WebSocket).
    #[serde(with = "humantime_serde")]
    pub client_body: Duration,
    /// How long a write to a client may stall (a client that stops reading).
    #[serde(with = "humantime_serde")]
    pub client_send: Duration,
    /// Connecting to the upstream (504 after).
    #[serde(with = "humantime_serde")]
    pub upstream_connect: Duration,
    /// Waiting for the upstream's response (504 after).
    #[serde(with = "humantime_serde")]
    pub upstream_response: Duration,
    /// Keep-alive idle time between a client's requests.
    #[serde(with = "humantime_serde")]
    pub keepalive: Duration,
    /// How long shutdown waits for in-flight requests.
    #[serde(with = "humantime_serde")]
    pub drain: Duration,
}

impl Default for TimeoutsFile {
    fn default() -> Self {
        let t = palisade_guard::Timeouts::default();
        TimeoutsFile {
            client_header: t.client_header,
            client_body: t.client_body,
            client_send: t.client_send,
            upstream_connect: t.upstream_connect,
            upstream_response: t.upstream_response,
            keepalive: t.keepalive,
            drain: t.drain,
        }
    }
}

/// `[guard.tls]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// `[admin]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminFile {
    /// Serve `/healthz` and `/metrics`.
    pub enabled: bool,
    /// Where; loopback by default. A non-loopback address requires `token`.
    pub listen: SocketAddr,
    /// Bearer token for `/metrics`, the admin API and the console's login.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "redacted")]
    pub token: Option<String>,
    /// Serve the web console (`/console`, `/api/v1`) on this listener; it needs `token`.
    pub console: bool,
}

impl Default for AdminFile {
    fn default() -> Self {
        AdminFile {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9181)),
            token: None,
            console: true,
        }
    }
}

/// What `config print` shows instead of a secret; refused as a token on load, so a
/// printed config reused as is cannot leave `/metrics` behind a public "password".
pub const REDACTED: &str = "<redacted>";

/// Secrets are never printed, not even by `config print`.
fn redacted<S: serde::Serializer>(_: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(REDACTED)
}

/// Sizes printed so they read back exactly: bytesize's own display rounds to one decimal.
pub(crate) fn exact_size<S: serde::Serializer>(size: &ByteSize, s: S) -> Result<S::Ok, S::Error> {
    let bytes = size.as_u64();
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    match UNITS
        .iter()
        .find(|(unit, _)| bytes >= *unit && bytes.is_multiple_of(*unit))
    {
        Some((unit, name)) => s.serialize_str(&format!("{} {name}", bytes / unit)),
        None => s.serialize_u64(bytes),
    }
}

/// Durations as humantime strings ("10s", "1m 30s"), serialised the same way.
pub(crate) mod humantime_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let raw = String::deserialize(d)?;
        humantime::parse_duration(&raw).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration `{raw}`: {e} (write e.g. \"10s\", \"500ms\", \"2m\")"
            ))
        })
    }
}
