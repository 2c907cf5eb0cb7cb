//! `kind = "logstash"`: ECS JSON to Logstash, through its `tcp` input (`codec => json_lines`:
//! one JSON document per line on a persistent connection, optionally TLS) or its `http` input
//! (each batch `POST`ed as a JSON array).
//!
//! The TCP mode checks before each batch that the connection is still alive (see
//! [`stream`](super::stream)); the HTTP mode knows from the status code.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use super::options::{self, Secret};
use super::stream::{Connection, Endpoint};
use super::syslog::default_connect_timeout;
use super::tls::{self, TlsClient};
use super::{Delivery, Sink, json_line};
use crate::error::SinkError;

/// `[[sinks]] kind = "logstash"`.
///
/// `mode = "tcp"` needs `host` and `port` (and takes `tls`, `ca_file`); `mode = "http"` needs
/// `url` (and takes `user`, `password`, `headers`, `ca_file` for an `https://` URL).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogstashConfig {
    /// `tcp` (default) or `http`.
    #[serde(default)]
    pub mode: LogstashMode,
    /// `tcp`: the Logstash host.
    #[serde(default)]
    pub host: Option<String>,
    /// `tcp`: the port of its `tcp` input.
    #[serde(default)]
    pub port: Option<u16>,
    /// `tcp`: wrap the connection in TLS (the input's `ssl_enabled => true`).
    #[serde(default)]
    pub tls: bool,
    /// PEM file of the CA(s) to trust instead of the system roots (`tls`, or an `https` url).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// `http`: the `http` input's URL, e.g. `http://logstash:8080/`.
    #[serde(default)]
    pub url: Option<String>,
    /// `http`: basic-auth user (the input's `user`).
    #[serde(default)]
    pub user: Option<String>,
    /// `http`: basic-auth password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// `http`: extra request headers (values are treated as secrets).
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// How long a connect (and TLS handshake) may take (default `5s`).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "options::humantime"
    )]
    pub connect_timeout: Duration,
    /// How long delivering one batch may take: the whole request (`http`), writing it (`tcp`)
    /// (default `10s`).
    #[serde(
        default = "options::ten_seconds",
        deserialize_with = "options::humantime"
    )]
    pub timeout: Duration,
}

/// Which Logstash input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogstashMode {
    /// The `tcp` input with `codec => json_lines`.
    #[default]
    Tcp,
    /// The `http` input.
    Http,
}

impl LogstashConfig {
    /// `mode = "tcp"` to `host:port`, other settings at their defaults.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        LogstashConfig {
            host: Some(host.into()),
            port: Some(port),
            ..Self::defaults(LogstashMode::Tcp)
        }
    }

    /// `mode = "http"` to `url`, other settings at their defaults.
    pub fn http(url: impl Into<String>) -> Self {
        LogstashConfig {
            url: Some(url.into()),
            ..Self::defaults(LogstashMode::Http)
        }
    }

    fn defaults(mode: LogstashMode) -> Self {
        LogstashConfig {
            mode,
            host: None,
            port: None,
            tls: false,
            ca_file: None,
            url: None,
            user: None,
            password: None,
            headers: BTreeMap::new(),
            connect_timeout: default_connect_timeout(),
            timeout: options::ten_seconds(),
        }
    }
}

/// Ships ECS JSON to Logstash.
pub struct LogstashSink {
    mode: Mode,
}

enum Mode {
    Tcp(Connection),
    Http(HttpInput),
}

impl LogstashSink {
    /// Validates the settings (keys of the other mode are refused); connects on first use.
    pub fn new(config: LogstashConfig) -> Result<Self, String> {
        let misplaced = |keys: &[(&str, bool)]| -> Result<(), String> {
            match keys.iter().find(|(_, set)| *set) {
                Some((key, _)) => Err(format!(
                    "logstash: `{key}` does not apply to mode = \"{}\"",
                    match config.mode {
                        LogstashMode::Tcp => "tcp",
                        LogstashMode::Http => "http",
                    }
                )),
                None => Ok(()),
            }
        };
        if config.connect_timeout.is_zero() || config.timeout.is_zero() {
            return Err("logstash: timeouts must be more than zero".into());
        }
        let mode = match config.mode {
            LogstashMode::Tcp => {
                misplaced(&[
                    ("url", config.url.is_some()),
                    ("user", config.user.is_some()),
                    ("password", config.password.is_some()),
                    ("headers", !config.headers.is_empty()),
                    ("ca_file", config.ca_file.is_some() && !config.tls),
                ])?;
                let host = config
                    .host
                    .clone()
                    .filter(|h| !h.trim().is_empty())
                    .ok_or("logstash: mode = \"tcp\" needs `host`")?;
                let port = config.port.ok_or("logstash: mode = \"tcp\" needs `port`")?;
                let tls = config
                    .tls
                    .then(|| TlsClient::new(&host, config.ca_file.as_deref()))
                    .transpose()
                    .map_err(|e| format!("logstash: {e}"))?;
                Mode::Tcp(Connection::new(Endpoint {
                    host,
                    port,
                    tls,
                    connect_timeout: config.connect_timeout,
                    write_timeout: config.timeout,
                }))
            }
            LogstashMode::Http => {
                misplaced(&[
                    ("host", config.host.is_some()),
                    ("port", config.port.is_some()),
                    ("tls", config.tls),
                ])?;
                Mode::Http(HttpInput::new(&config).map_err(|e| format!("logstash: {e}"))?)
            }
        };
        Ok(LogstashSink { mode })
    }
}

#[async_trait]
impl Sink for LogstashSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        match &mut self.mode {
            Mode::Tcp(conn) => {
                let mut payload = Vec::new();
                let mut ends = Vec::with_capacity(batch.len());
                for item in batch {
                    payload.extend_from_slice(json_line(item).as_bytes());
                    payload.push(b'\n');
                    ends.push(payload.len());
                }
                conn.send(&payload, &ends).await
            }
            Mode::Http(http) => http.send(batch).await,
        }
    }
}

/// The `http` input: a batch per request.
struct HttpInput {
    client: reqwest::Client,
    url: reqwest::Url,
    user: Option<String>,
    password: Option<Secret>,
    headers: HeaderMap,
}

/// What an answer means.
enum Answer {
    Delivered,
    Retry(String),
    /// The receiver refuses this payload: retrying it unchanged cannot help.
    Refused(String),
}

impl HttpInput {
    fn new(config: &LogstashConfig) -> Result<Self, String> {
        let raw = config.url.as_deref().ok_or("mode = \"http\" needs `url`")?;
        let url = reqwest::Url::parse(raw).map_err(|e| format!("`url` is not a URL: {e}"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err("`url` must be http:// or https://".into()),
        };
        if config.ca_file.is_some() && !https {
            return Err("`ca_file` needs an https:// url".into());
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`headers`: `{name}` is not a header name"))?;
            let mut value = HeaderValue::from_str(value.expose())
                .map_err(|_| format!("`headers`: the value of `{name}` is not a header value"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirected POST turns into a GET; the configured URL must be the input itself.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")));
        if https {
            builder = builder.use_preconfigured_tls(tls::client_config(config.ca_file.as_deref())?);
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(HttpInput {
            client,
            url,
            user: config.user.clone(),
            password: config.password.clone(),
            headers,
        })
    }

    async fn post(&self, batch: &[Delivery<'_>]) -> Answer {
        let mut body = String::from("[");
        for (i, item) in batch.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&json_line(item));
        }
        body.push(']');
        let mut request = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(user) = &self.user {
            request = request.basic_auth(user, self.password.as_ref().map(Secret::expose));
        }
        let response = match request.send().await {
            Ok(r) => r,
            // Without the URL: it may carry credentials.
            Err(e) => return Answer::Retry(format!("logstash http: {}", e.without_url())),
        };
        let status = response.status();
        if status.is_success() {
            return Answer::Delivered;
        }
        let body: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let message = format!("logstash http: HTTP {status}: {}", body.trim());
        if refused(status) {
            Answer::Refused(message)
        } else {
            Answer::Retry(message)
        }
    }

    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        match self.post(batch).await {
            Answer::Delivered => return Ok(()),
            Answer::Retry(m) => return Err(SinkError::retry(0, m)),
            Answer::Refused(m) if batch.len() == 1 => return Err(SinkError::permanent(0, m)),
            Answer::Refused(_) => {}
        }
        // One item spoils the batch (or the batch is too large): find which, one at a time,
        // so only that item is skipped.
        for (i, item) in batch.iter().enumerate() {
            match self.post(std::slice::from_ref(item)).await {
                Answer::Delivered => {}
                Answer::Retry(m) => return Err(SinkError::retry(i, m)),
                Answer::Refused(m) => return Err(SinkError::permanent(i, m)),
            }
        }
        Ok(())
    }
}

/// Statuses that mean "this payload will never be accepted". 401, 403 and 404 are not among
/// them: they mean palisade or Logstash is misconfigured, and skipping would drop every event
/// until someone fixes it — retrying keeps them until then. 408, 429, 5xx are transient.
fn refused(status: StatusCode) -> bool {
    status.is_client_error()
        && !matches!(
            status,
            StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
                | StatusCode::NOT_FOUND
                | StatusCode::PROXY_AUTHENTICATION_REQUIRED
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::TOO_MANY_REQUESTS
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        for s in [400, 413, 415, 422] {
            assert!(refused(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [401, 403, 404, 408, 429, 500, 502, 503, 301] {
            assert!(!refused(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn config_is_validated_per_mode() {
        let c: LogstashConfig =
            serde_json::from_str(r#"{"host": "ls", "port": 5000, "timeout": "2s"}"#).unwrap();
        assert_eq!(c.mode, LogstashMode::Tcp);
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert!(LogstashSink::new(c).is_ok());

        let err = |json: &str| {
            let c: LogstashConfig = serde_json::from_str(json).unwrap();
            LogstashSink::new(c).err().unwrap()
        };
        assert!(err(r#"{"host": "ls"}"#).contains("`port`"));
        assert!(err(r#"{"mode": "http"}"#).contains("`url`"));
        assert!(err(r#"{"mode": "http", "url": "http://x/", "tls": true}"#).contains("`tls`"));
        assert!(err(r#"{"host": "ls", "port": 1, "url": "http://x/"}"#).contains("`url`"));
        assert!(err(r#"{"host": "ls", "port": 1, "ca_file": "ca.pem"}"#).contains("ca_file"));
        assert!(
            err(r#"{"mode": "http", "url": "http://x/", "headers": {"bad name": "v"}}"#)
                .contains("headers")
        );
        assert!(serde_json::from_str::<LogstashConfig>(r#"{"hots": "ls"}"#).is_err());
    }

    #[test]
    fn debug_hides_the_password_and_headers() {
        let mut c = LogstashConfig::http("http://127.0.0.1:1/");
        c.password = Some("hunter2".into());
        c.headers.insert("x-token".into(), "s3cret".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
