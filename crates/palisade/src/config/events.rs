//! `[events]`, `[[sinks]]` and `[[alerts]]`: the file structs and their validation into
//! [`EventsSettings`].

use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use ipnet::IpNet;
use palisade_core::{Category, Severity};
use palisade_events::alerts::{AlertRule, GroupBy, default_rules};
use palisade_events::sinks::elasticsearch::ElasticsearchConfig;
use palisade_events::sinks::{SinkKind, SinkSettings};
use palisade_events::{EventFilter, EventsSettings};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::file::{FileConfig, REDACTED, humantime_serde};
use super::load::{locate, parse_unknown};
use super::runtime::Source;

/// `[events]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsFile {
    /// Store events at all (the guard still works without).
    pub enabled: bool,
    /// The SQLite database; relative paths are relative to the working directory.
    pub database: PathBuf,
    /// Name stamped on every event (`observer.name`); default: the host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Delete events older than this.
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
    /// Keep at most this many events (oldest deleted first).
    pub max_events: u64,
    /// Events the hot path hands over before spilling to the disk spool.
    pub channel_capacity: usize,
    /// Disk the overflow spool may use; past it events are dropped, counted and logged.
    pub spool_max: ByteSize,
    /// Ship the built-in alert rules to sinks with `alerts = true`.
    pub default_alerts: bool,
}

impl Default for EventsFile {
    fn default() -> Self {
        let d = EventsSettings::new("palisade.db");
        EventsFile {
            enabled: true,
            database: d.database,
            instance: None,
            max_age: d.max_age,
            max_events: d.max_events,
            channel_capacity: d.channel_capacity,
            spool_max: ByteSize::b(d.spool_max_bytes),
            default_alerts: true,
        }
    }
}

/// One `[[sinks]]` entry: the keys every sink has, and the kind's own keys in `options`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkFile {
    /// Unique name; alert rules' `channels` refer to it.
    pub name: String,
    /// `file`, `stdout`, `syslog`, `logstash`, `elasticsearch`, `webhook`, `email` or `sms`.
    pub kind: String,
    /// Ship every event (default: yes for file/stdout/syslog/logstash/elasticsearch, no for
    /// the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Only stream events at least this severe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Only stream these categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Receive the built-in alert rules (default: the opposite of `stream`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<bool>,
    /// First retry delay after a failed delivery.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_duration"
    )]
    pub retry_min: Option<Duration>,
    /// Longest retry delay.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_duration"
    )]
    pub retry_max: Option<Duration>,
    /// The kind's own keys (host, url, path, …).
    #[serde(flatten, serialize_with = "redact_options")]
    pub options: toml::Table,
}

/// One `[[alerts]]` rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    /// Name shown in messages.
    pub name: String,
    /// Only these categories (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Only events at least this severe.
    #[serde(default)]
    pub min_severity: Severity,
    /// Only requests whose path starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only clients in these networks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<IpNet>,
    /// Events needed within `window` to fire.
    #[serde(default = "one")]
    pub threshold: u32,
    /// The window for `threshold`.
    #[serde(default = "minute", with = "humantime_serde")]
    pub window: Duration,
    /// Counted and cooled down separately per: ip, user, path, category, none, field:NAME.
    #[serde(default = "by_ip")]
    pub group_by: String,
    /// Quiet time per key after firing.
    #[serde(default = "quarter", with = "humantime_serde")]
    pub cooldown: Duration,
    /// Send one summary per interval instead.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_duration"
    )]
    pub digest: Option<Duration>,
    /// Sink names to notify.
    pub channels: Vec<String>,
}

fn one() -> u32 {
    1
}
fn minute() -> Duration {
    Duration::from_secs(60)
}
fn quarter() -> Duration {
    Duration::from_secs(15 * 60)
}
fn by_ip() -> String {
    "ip".into()
}

/// `config print` shows no secret: secret-named keys, every extra header value, and the path
/// and query of URLs (a Slack or Teams webhook URL is itself the credential).
fn redact_options<S: serde::Serializer>(t: &toml::Table, s: S) -> Result<S::Ok, S::Error> {
    let mut copy = t.clone();
    for (k, v) in copy.iter_mut() {
        if palisade_core::redact::is_secret_name(k) && v.is_str() {
            *v = toml::Value::String(REDACTED.into());
        } else if k == "headers"
            && let Some(headers) = v.as_table_mut()
        {
            for (_, value) in headers.iter_mut() {
                *value = toml::Value::String(REDACTED.into());
            }
        } else if k == "url"
            && let Some(url) = v.as_str()
            && let Some((scheme, rest)) = url.split_once("://")
        {
            let authority = rest.split(['/', '?']).next().unwrap_or("");
            if authority.len() + 1 < rest.len() {
                *v = toml::Value::String(format!("{scheme}://{authority}/{REDACTED}"));
            }
        }
    }
    copy.serialize(s)
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::humantime_serde::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::humantime_serde::deserialize(d).map(Some)
    }
}

/// The sink kinds this build knows.
pub const SINK_KINDS: &[&str] = &[
    "file",
    "stdout",
    "syslog",
    "logstash",
    "elasticsearch",
    "webhook",
    "email",
    "sms",
];

/// Validates the events sections into pipeline settings; `None` when `[events] enabled = false`.
pub fn settings(cfg: &FileConfig, src: &Source<'_>) -> Result<Option<EventsSettings>, ConfigError> {
    let located = |path: Vec<String>, message: String| {
        let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
        match locate(src.text, &path) {
            Some(off) => err.at(src.text, off),
            None => err,
        }
    };
    let ev = &cfg.events;
    if !ev.enabled {
        return Ok(None);
    }
    let mut s = EventsSettings::new(ev.database.clone());
    s.instance = ev.instance.clone().or_else(hostname);
    s.max_age = ev.max_age;
    s.max_events = ev.max_events.max(1);
    s.channel_capacity = ev.channel_capacity.max(1);
    s.spool_max_bytes = ev.spool_max.as_u64();

    let mut names = Vec::new();
    for (i, sink) in cfg.sinks.iter().enumerate() {
        let at = |key: &str| vec!["sinks".to_owned(), i.to_string(), key.to_owned()];
        if sink.name.is_empty() || names.contains(&sink.name) {
            return Err(located(
                at("name"),
                format!("sink names must be unique and non-empty: `{}`", sink.name),
            ));
        }
        names.push(sink.name.clone());
        for (k, v) in &sink.options {
            if palisade_core::redact::is_secret_name(k) && v.as_str() == Some(REDACTED) {
                return Err(located(
                    at(k),
                    format!(
                        "`{REDACTED}` is what `config print` shows instead of a secret, not a value"
                    ),
                )
                .with_hint("put the real value here, or leave the key out"));
            }
        }
        let kind = build_kind(&sink.kind, &sink.options).map_err(|(key, message, hint)| {
            let mut e = located(at(key.as_deref().unwrap_or("kind")), message);
            if let Some(h) = hint {
                e = e.with_hint(h);
            }
            e
        })?;
        let mut out = SinkSettings::new(sink.name.clone(), kind);
        if let Some(stream) = sink.stream {
            out.stream = stream;
            out.default_alerts = !stream;
        }
        if let Some(a) = sink.alerts {
            out.default_alerts = a;
        }
        out.filter = EventFilter {
            categories: sink.categories.clone(),
            min_severity: sink.min_severity.unwrap_or(Severity::Info),
        };
        if let Some(d) = sink.retry_min {
            out.retry_min = d;
        }
        if let Some(d) = sink.retry_max {
            out.retry_max = d;
        }
        if out.retry_max < out.retry_min {
            return Err(located(
                at("retry_max"),
                "retry_max is below retry_min".into(),
            ));
        }
        s.sinks.push(out);
    }

    if ev.default_alerts {
        let channels: Vec<String> = s
            .sinks
            .iter()
            .filter(|k| k.default_alerts)
            .map(|k| k.name.clone())
            .collect();
        if !channels.is_empty() {
            s.alerts.extend(default_rules(&channels));
        }
    }
    for (i, a) in cfg.alerts.iter().enumerate() {
        let at = |key: &str| vec!["alerts".to_owned(), i.to_string(), key.to_owned()];
        for c in &a.channels {
            if !names.contains(c) {
                return Err(located(at("channels"), format!("no sink named `{c}`"))
                    .with_hint(format!("sinks: {}", names.join(", "))));
            }
        }
        if a.channels.is_empty() {
            return Err(located(
                at("channels"),
                "an alert needs at least one channel".into(),
            ));
        }
        if a.threshold == 0 {
            return Err(located(
                at("threshold"),
                "threshold must be at least 1".into(),
            ));
        }
        let group_by = GroupBy::parse(&a.group_by).map_err(|m| located(at("group_by"), m))?;
        if a.digest.is_some_and(|d| d.is_zero()) {
            return Err(located(
                at("digest"),
                "a digest interval must be positive".into(),
            ));
        }
        s.alerts.push(AlertRule {
            name: a.name.clone(),
            filter: EventFilter {
                categories: a.categories.clone(),
                min_severity: a.min_severity,
            },
            path_prefix: a.path.clone(),
            ips: a.ips.clone(),
            threshold: a.threshold,
            window: a.window,
            group_by,
            cooldown: a.cooldown,
            digest: a.digest,
            channels: a.channels.clone(),
        });
    }
    Ok(Some(s))
}

type KindError = (Option<String>, String, Option<String>);

fn kind_options<T: DeserializeOwned>(options: &toml::Table) -> Result<T, KindError> {
    options.clone().try_into().map_err(|e: toml::de::Error| {
        let raw = e.message().trim().to_owned();
        match parse_unknown(&raw) {
            Some(u) => (
                Some(u.name.clone()),
                format!("unknown {} `{}` for this sink kind", u.what, u.name),
                Some(format!("expected one of {}", u.expected.join(", "))),
            ),
            None => (None, raw, None),
        }
    })
}

fn build_kind(kind: &str, options: &toml::Table) -> Result<SinkKind, KindError> {
    Ok(match kind {
        "file" => SinkKind::File(kind_options(options)?),
        "stdout" => SinkKind::Stdout(kind_options(options)?),
        "syslog" => SinkKind::Syslog(kind_options(options)?),
        "logstash" => SinkKind::Logstash(kind_options(options)?),
        "elasticsearch" => {
            let config: ElasticsearchConfig = kind_options(options)?;
            // Checked here, not only when the pipeline starts, so the error points at the key.
            config
                .validate()
                .map_err(|(key, message)| (Some(key.to_owned()), message, None))?;
            SinkKind::Elasticsearch(config)
        }
        "webhook" => SinkKind::Webhook(kind_options(options)?),
        "email" => SinkKind::Email(kind_options(options)?),
        "sms" => SinkKind::Sms(kind_options(options)?),
        other => {
            return Err((
                None,
                format!("unknown sink kind `{other}`"),
                Some(format!("expected one of {}", SINK_KINDS.join(", "))),
            ));
        }
    })
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
