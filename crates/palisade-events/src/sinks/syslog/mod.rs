//! `kind = "syslog"`: RFC 5424 messages over UDP (RFC 5426), TCP (RFC 6587, octet counting)
//! or TLS (RFC 5425), with palisade's fields as structured data.
//!
//! ```text
//! <35>1 2026-11-28T06:00:00.123Z edge-1 palisade 4242 malicious_traffic
//!   [palisade@32473 category="malicious_traffic" severity="high" ip="203.0.113.9" rule="sqli-union"]
//!   SQL injection in query
//! ```
//!
//! Stream transports keep one connection open, check before each batch that the receiver is
//! still there (see [`stream`](super::stream)), and reconnect after any error; UDP sends one
//! datagram per message and cannot tell whether it arrived.

mod message;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::net::UdpSocket;

use self::message::{Rfc5424, octet_frame, truncate_utf8};
use super::options;
use super::stream::{Connection, Endpoint};
use super::tls::TlsClient;
use super::{Delivery, Sink};
use crate::error::SinkError;

/// `[[sinks]] kind = "syslog"`.
///
/// Papertrail: `host = "logsN.papertrailapp.com"`, `port = NNNNN` (both from its "Log
/// Destinations" page), `transport = "tls"`; its certificate chains to the system roots, so
/// no `ca_file`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// The receiver's host name or address.
    pub host: String,
    /// Its port; when unset 514 (`udp`, `tcp`) or 6514 (`tls`).
    #[serde(default)]
    pub port: Option<u16>,
    /// `udp` (default), `tcp` or `tls`.
    #[serde(default)]
    pub transport: SyslogTransport,
    /// PEM file of the CA(s) to trust instead of the system roots (`tls` only).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// `auth` (default), `authpriv`, `daemon`, `user`, `local0` … `local7`.
    #[serde(default)]
    pub facility: Facility,
    /// APP-NAME (default `palisade`).
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// HOSTNAME (default: this machine's host name).
    #[serde(default)]
    pub hostname: Option<String>,
    /// MSG as the event's message (`rfc5424`, default) or as its ECS JSON line (`json`).
    #[serde(default)]
    pub format: SyslogFormat,
    /// Put a UTF-8 byte order mark before MSG, as RFC 5424 suggests (default off: some
    /// receivers, Papertrail among them, show it).
    #[serde(default)]
    pub bom: bool,
    /// How long a TCP connect, and then the TLS handshake, may take (default `5s`).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "options::humantime"
    )]
    pub connect_timeout: Duration,
    /// How long writing one batch may take before the connection is given up (default `10s`).
    #[serde(
        default = "options::ten_seconds",
        deserialize_with = "options::humantime"
    )]
    pub timeout: Duration,
    /// Longest UDP datagram; longer messages are cut at a character boundary (default 2048,
    /// at least 480).
    #[serde(default = "default_max_datagram")]
    pub max_datagram: usize,
}

fn default_app_name() -> String {
    "palisade".into()
}

pub(crate) fn default_connect_timeout() -> Duration {
    Duration::from_secs(5)
}

fn default_max_datagram() -> usize {
    2048
}

impl SyslogConfig {
    /// The defaults, sending to `host` over `transport`.
    pub fn new(host: impl Into<String>, transport: SyslogTransport) -> Self {
        SyslogConfig {
            host: host.into(),
            port: None,
            transport,
            ca_file: None,
            facility: Facility::default(),
            app_name: default_app_name(),
            hostname: None,
            format: SyslogFormat::default(),
            bom: false,
            connect_timeout: default_connect_timeout(),
            timeout: options::ten_seconds(),
            max_datagram: default_max_datagram(),
        }
    }

    /// The port used: the configured one or the transport's standard one.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.transport {
            SyslogTransport::Udp | SyslogTransport::Tcp => 514,
            SyslogTransport::Tls => 6514,
        })
    }
}

/// How messages travel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogTransport {
    /// One datagram per message (RFC 5426); lossy by nature.
    #[default]
    Udp,
    /// A TCP connection, octet-counting framing (RFC 6587 §3.4.1).
    Tcp,
    /// TCP with TLS (RFC 5425).
    Tls,
}

/// What MSG holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFormat {
    /// The event's one-line message (an alert's title).
    #[default]
    Rfc5424,
    /// The ECS JSON line, for receivers that parse JSON (Logstash, Papertrail's JSON search).
    Json,
}

/// The syslog facility (RFC 5424 §6.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Facility {
    User,
    Daemon,
    /// Security/authorization messages: where security events belong.
    #[default]
    Auth,
    Authpriv,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    /// Its numerical code.
    pub fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::Authpriv => 10,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

/// This machine's host name, without libc: Linux publishes it in procfs.
fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Sends RFC 5424 messages.
pub struct SyslogSink {
    message: Rfc5424,
    wire: Wire,
}

enum Wire {
    Udp {
        host: String,
        port: u16,
        max_datagram: usize,
        socket: Option<UdpSocket>,
    },
    Stream(Connection),
}

impl SyslogSink {
    /// Validates the settings; connects on first use.
    pub fn new(config: SyslogConfig) -> Result<Self, String> {
        if config.host.trim().is_empty() {
            return Err("syslog: `host` is empty".into());
        }
        if config.ca_file.is_some() && config.transport != SyslogTransport::Tls {
            return Err("syslog: `ca_file` needs transport = \"tls\"".into());
        }
        if config.max_datagram < 480 {
            return Err("syslog: `max_datagram` must be at least 480 (RFC 5426)".into());
        }
        if config.connect_timeout.is_zero() || config.timeout.is_zero() {
            return Err("syslog: timeouts must be more than zero".into());
        }
        let hostname = config.hostname.clone().unwrap_or_else(machine_hostname);
        let message = Rfc5424::new(
            config.facility,
            &hostname,
            &config.app_name,
            std::process::id(),
            config.format,
            config.bom,
        );
        let port = config.effective_port();
        let wire = match config.transport {
            SyslogTransport::Udp => Wire::Udp {
                host: config.host.clone(),
                port,
                max_datagram: config.max_datagram,
                socket: None,
            },
            SyslogTransport::Tcp | SyslogTransport::Tls => {
                let tls = (config.transport == SyslogTransport::Tls)
                    .then(|| TlsClient::new(&config.host, config.ca_file.as_deref()))
                    .transpose()
                    .map_err(|e| format!("syslog: {e}"))?;
                Wire::Stream(Connection::new(Endpoint {
                    host: config.host.clone(),
                    port,
                    tls,
                    connect_timeout: config.connect_timeout,
                    write_timeout: config.timeout,
                }))
            }
        };
        Ok(SyslogSink { message, wire })
    }
}

async fn udp_socket(host: &str, port: u16) -> std::io::Result<UdpSocket> {
    let addr = tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let local = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(addr).await?;
    Ok(socket)
}

#[async_trait]
impl Sink for SyslogSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        match &mut self.wire {
            Wire::Udp {
                host,
                port,
                max_datagram,
                socket,
            } => {
                for (i, item) in batch.iter().enumerate() {
                    let text = self.message.render(item);
                    let datagram = truncate_utf8(&text, *max_datagram);
                    if socket.is_none() {
                        *socket = Some(udp_socket(host, *port).await.map_err(|e| {
                            SinkError::retry(i, format!("udp://{host}:{port}: {e}"))
                        })?);
                    }
                    let s = socket.as_ref().expect("bound above");
                    if let Err(e) = s.send(datagram.as_bytes()).await {
                        // E.g. ECONNREFUSED from an ICMP port-unreachable: start afresh.
                        *socket = None;
                        return Err(SinkError::retry(i, format!("udp://{host}:{port}: {e}")));
                    }
                }
                Ok(())
            }
            Wire::Stream(conn) => {
                let mut payload = Vec::new();
                let mut ends = Vec::with_capacity(batch.len());
                for item in batch {
                    octet_frame(&self.message.render(item), &mut payload);
                    ends.push(payload.len());
                }
                conn.send(&payload, &ends).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_validation() {
        let c: SyslogConfig = serde_json::from_str(r#"{"host": "logs.example"}"#).unwrap();
        assert_eq!(c.transport, SyslogTransport::Udp);
        assert_eq!(c.effective_port(), 514);
        assert_eq!(c.facility, Facility::Auth);
        assert_eq!(c.app_name, "palisade");
        assert_eq!(c.max_datagram, 2048);
        let tls: SyslogConfig = serde_json::from_str(
            r#"{"host": "logs.example", "transport": "tls", "facility": "local7"}"#,
        )
        .unwrap();
        assert_eq!(tls.effective_port(), 6514);
        assert_eq!(tls.facility.code(), 23);
        assert!(
            serde_json::from_str::<SyslogConfig>(r#"{"host": "h", "facilty": "auth"}"#).is_err()
        );

        let mut bad = SyslogConfig::new("h", SyslogTransport::Tcp);
        bad.ca_file = Some("ca.pem".into());
        assert!(SyslogSink::new(bad).err().unwrap().contains("ca_file"));
        assert!(
            serde_json::from_str::<SyslogConfig>(r#"{"host": "h", "connect_timeout": "soon"}"#)
                .is_err()
        );
        let c: SyslogConfig =
            serde_json::from_str(r#"{"host": "h", "connect_timeout": "500ms"}"#).unwrap();
        assert_eq!(c.connect_timeout, Duration::from_millis(500));
    }

    #[test]
    fn the_machine_hostname_is_found() {
        assert!(!machine_hostname().is_empty());
    }
}
