//! The keys of `[[sinks]] kind = "elasticsearch"`, their checks, and where each document goes.

use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use serde::Deserialize;

use super::super::Delivery;
use super::super::options::{self, Secret};
use super::super::syslog::default_connect_timeout;

/// `[[sinks]] kind = "elasticsearch"`.
///
/// `index` names a data stream (the default, `palisade-events`), or, with `%Y`, `%m` and `%d`
/// in it, a classic index per day, month or year (`palisade-events-%Y.%m.%d`). Auth is
/// `username` + `password` (basic) or `api_key` (the `encoded` value Elasticsearch returns
/// when creating one), not both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// The cluster (or a node, or a proxy in front of it): `https://es.example.com:9200`.
    pub url: String,
    /// Data stream or index name; `%Y`, `%m`, `%d` make it a dated index (from each event's
    /// own time, so a retried event lands where its first attempt did).
    #[serde(default = "default_index")]
    pub index: String,
    /// Basic-auth user.
    #[serde(default)]
    pub username: Option<String>,
    /// Basic-auth password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// An API key as Elasticsearch encodes it (base64 of `id:key`), sent as
    /// `Authorization: ApiKey …`.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// PEM file of the CA(s) to trust instead of the system roots (an `https://` url).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Install (and keep up to date) palisade's index template on first use (default true);
    /// turn off when the template is managed elsewhere or the user may not manage templates.
    #[serde(default = "yes")]
    pub install_template: bool,
    /// How long a connect (and TLS handshake) may take (default `5s`).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "options::humantime"
    )]
    pub connect_timeout: Duration,
    /// How long one request may take, answer included (default `30s`).
    #[serde(default = "default_timeout", deserialize_with = "options::humantime")]
    pub timeout: Duration,
    /// Documents per `_bulk` request at most (default 500).
    #[serde(default = "default_batch_max")]
    pub batch_max: usize,
    /// Bytes per `_bulk` request at most (default `5MiB`); a larger single document is sent
    /// alone.
    #[serde(default = "default_batch_bytes")]
    pub batch_bytes: ByteSize,
}

fn default_index() -> String {
    "palisade-events".to_owned()
}

fn yes() -> bool {
    true
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_batch_max() -> usize {
    500
}

fn default_batch_bytes() -> ByteSize {
    ByteSize::mib(5)
}

impl ElasticsearchConfig {
    /// Ships to `url`, into the `palisade-events` data stream, with the other defaults.
    pub fn new(url: impl Into<String>) -> Self {
        ElasticsearchConfig {
            url: url.into(),
            index: default_index(),
            username: None,
            password: None,
            api_key: None,
            ca_file: None,
            install_template: true,
            connect_timeout: default_connect_timeout(),
            timeout: default_timeout(),
            batch_max: default_batch_max(),
            batch_bytes: default_batch_bytes(),
        }
    }

    /// Checks the settings without any I/O; the error names the key at fault and says why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| ("url", format!("`url` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(("url", "`url` must be an http:// or https:// URL".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // `config print` shows the URL's host: credentials there would be printed.
            return Err((
                "url",
                "credentials do not belong in `url`; use `username`/`password` or `api_key`".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(("url", "`url` takes no query or fragment".into()));
        }
        if self.ca_file.is_some() && url.scheme() != "https" {
            return Err(("ca_file", "`ca_file` needs an https:// url".into()));
        }
        IndexName::parse(&self.index).map_err(|m| ("index", m))?;
        match (&self.username, &self.password, &self.api_key) {
            (_, _, Some(_)) if self.username.is_some() || self.password.is_some() => {
                return Err((
                    "api_key",
                    "`api_key` and `username`/`password` exclude each other".into(),
                ));
            }
            (Some(_), None, _) => return Err(("username", "`username` needs `password`".into())),
            (None, Some(_), _) => return Err(("password", "`password` needs `username`".into())),
            (_, _, Some(k)) if k.expose().trim().is_empty() => {
                return Err(("api_key", "`api_key` is empty".into()));
            }
            _ => {}
        }
        if self.connect_timeout.is_zero() {
            return Err(("connect_timeout", "must be more than zero".into()));
        }
        if self.timeout.is_zero() {
            return Err(("timeout", "must be more than zero".into()));
        }
        if self.batch_max == 0 {
            return Err(("batch_max", "must be at least 1".into()));
        }
        if self.batch_bytes.as_u64() < 1024 {
            return Err(("batch_bytes", "must be at least 1KiB".into()));
        }
        Ok(())
    }
}

/// Where documents go: one data stream, or an index per day (month, year).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexName {
    /// A data stream: append-only, rolled over by ILM (Elasticsearch) or ISM (OpenSearch).
    DataStream(String),
    /// `prefix%Y.%m.%d`-style names, expanded from each document's timestamp.
    Dated {
        /// The pattern as configured.
        pattern: String,
        /// What comes before the first `%` (the template matches `prefix*`).
        prefix: String,
    },
}

impl IndexName {
    /// Checks Elasticsearch's index-name rules, and that only `%Y`, `%m`, `%d` are used.
    pub fn parse(raw: &str) -> Result<IndexName, String> {
        let expanded = expand(raw, "2026", "01", "01")?;
        if expanded.is_empty() || expanded.len() > 255 {
            return Err("`index` must be 1 to 255 characters long".into());
        }
        if expanded != expanded.to_lowercase() {
            return Err("`index` must be lowercase".into());
        }
        if expanded.starts_with(['-', '_', '+', '.']) {
            return Err("`index` cannot start with `-`, `_`, `+` or `.`".into());
        }
        if let Some(c) = expanded.chars().find(|c| {
            matches!(
                c,
                '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
            )
        }) {
            return Err(format!("`index` cannot contain `{c}`"));
        }
        Ok(match raw.find('%') {
            None => IndexName::DataStream(raw.to_owned()),
            Some(0) => return Err("`index` must start with a fixed name before `%`".into()),
            Some(at) => IndexName::Dated {
                pattern: raw.to_owned(),
                prefix: raw[..at].to_owned(),
            },
        })
    }

    /// The index template's name: the data stream, or the prefix without trailing separators.
    pub fn template_name(&self) -> &str {
        match self {
            IndexName::DataStream(name) => name,
            IndexName::Dated { prefix, .. } => prefix.trim_end_matches(['-', '.', '_']),
        }
    }

    /// The template's `index_patterns`.
    pub fn patterns(&self) -> Vec<String> {
        match self {
            IndexName::DataStream(name) => vec![name.clone()],
            IndexName::Dated { prefix, .. } => vec![format!("{prefix}*")],
        }
    }

    /// The index (or data stream) for one item.
    pub fn for_item(&self, item: &Delivery<'_>) -> String {
        match self {
            IndexName::DataStream(name) => name.clone(),
            IndexName::Dated { pattern, .. } => {
                let time = match item {
                    Delivery::Event(e) => e.time.rfc3339(),
                    Delivery::Alert(n) => n.time.rfc3339(),
                };
                // `YYYY-MM-DDT…`, in UTC.
                let part = |r: std::ops::Range<usize>| time.get(r).unwrap_or("00").to_owned();
                expand(pattern, &part(0..4), &part(5..7), &part(8..10)).unwrap_or_default()
            }
        }
    }
}

fn expand(pattern: &str, year: &str, month: &str, day: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(year),
            Some('m') => out.push_str(month),
            Some('d') => out.push_str(day),
            other => {
                return Err(format!(
                    "`index` may only use %Y, %m and %d, not `%{}`",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Category, Event, Severity, Timestamp};

    #[test]
    fn index_names_follow_elasticsearch_rules() {
        assert_eq!(
            IndexName::parse("palisade-events").unwrap(),
            IndexName::DataStream("palisade-events".into())
        );
        let dated = IndexName::parse("palisade-events-%Y.%m.%d").unwrap();
        assert_eq!(dated.template_name(), "palisade-events");
        assert_eq!(dated.patterns(), ["palisade-events-*"]);
        let mut e = Event::new(Category::Scanner, Severity::Low, "x");
        e.time = Timestamp(1_767_225_600_000); // 2026-01-01T00:00:00Z
        assert_eq!(
            dated.for_item(&Delivery::Event(&e)),
            "palisade-events-2026.01.01"
        );
        for bad in [
            "Palisade", "_x", "a b", "a,b", "x-%H", "%Y-x", "", "a/b", "a:b",
        ] {
            assert!(IndexName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_name_their_key() {
        let key = |c: ElasticsearchConfig| c.validate().unwrap_err().0;
        assert!(
            ElasticsearchConfig::new("http://127.0.0.1:9200")
                .validate()
                .is_ok()
        );
        assert_eq!(key(ElasticsearchConfig::new("ftp://x")), "url");
        assert_eq!(key(ElasticsearchConfig::new("https://u:p@x:9200")), "url");
        let mut c = ElasticsearchConfig::new("http://x:9200");
        c.ca_file = Some("ca.pem".into());
        assert_eq!(key(c), "ca_file");
        let mut c = ElasticsearchConfig::new("http://x:9200");
        c.username = Some("elastic".into());
        assert_eq!(key(c.clone()), "username");
        c.password = Some("pw".into());
        assert!(c.validate().is_ok());
        c.api_key = Some("k".into());
        assert_eq!(key(c), "api_key");
        let mut c = ElasticsearchConfig::new("http://x:9200");
        c.batch_max = 0;
        assert_eq!(key(c), "batch_max");
        let mut c = ElasticsearchConfig::new("http://x:9200");
        c.index = "Events".into();
        assert_eq!(key(c), "index");
    }

    #[test]
    fn keys_and_defaults_deserialize() {
        let c: ElasticsearchConfig = serde_json::from_value(serde_json::json!({
            "url": "https://es:9200",
            "api_key": "aWQ6a2V5",
            "timeout": "5s",
            "batch_bytes": "1MiB",
        }))
        .unwrap();
        assert_eq!(c.index, "palisade-events");
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.batch_bytes, ByteSize::mib(1));
        assert_eq!(c.batch_max, 500);
        assert!(c.install_template);
        assert!(!format!("{c:?}").contains("aWQ6a2V5"));
        assert!(
            serde_json::from_value::<ElasticsearchConfig>(
                serde_json::json!({"url": "http://x", "indx": "y"})
            )
            .is_err()
        );
    }
}
