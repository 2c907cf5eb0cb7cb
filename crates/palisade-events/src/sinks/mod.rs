//! Where events and alerts go. Each sink is a small async client behind [`Sink`]; the
//! [`worker`](crate::sinks::worker) around it owns retries, backoff and the durable cursor, so a
//! sink only has to say what got through.

use std::time::Duration;

use async_trait::async_trait;
use palisade_core::Event;

use crate::alerts::Notification;
use crate::error::SinkError;
use crate::settings::EventFilter;

pub mod elasticsearch;
pub mod email;
pub mod file;
pub(crate) mod http;
pub mod logstash;
pub mod options;
pub mod sms;
pub mod stdout;
pub(crate) mod stream;
pub mod syslog;
pub(crate) mod template;
pub(crate) mod tls;
pub mod webhook;
pub(crate) mod worker;

/// One item for a sink: a stored event, or an alert notification.
#[derive(Debug, Clone, Copy)]
pub enum Delivery<'a> {
    /// An event (stream sinks).
    Event(&'a Event),
    /// An alert notification (alert channels).
    Alert(&'a Notification),
}

/// A destination. `send` delivers items in order; on failure it reports how many at the front
/// got through, and the worker retries the rest.
#[async_trait]
pub trait Sink: Send {
    /// Delivers a batch, in order.
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError>;
}

/// The kind-specific part of a sink's configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SinkKind {
    /// JSON lines in a file, rotated by size.
    File(file::FileConfig),
    /// JSON lines on standard output.
    Stdout(stdout::StdoutConfig),
    /// RFC 5424 syslog over UDP, TCP or TLS (rsyslog, syslog-ng, Papertrail).
    Syslog(syslog::SyslogConfig),
    /// ECS JSON to Logstash's `tcp` (json_lines) or `http` input.
    Logstash(logstash::LogstashConfig),
    /// ECS documents into Elasticsearch or OpenSearch through the `_bulk` API.
    Elasticsearch(elasticsearch::ElasticsearchConfig),
    /// A JSON `POST` per alert (chat webhooks, incident tools, your own endpoint).
    Webhook(webhook::WebhookConfig),
    /// A mail per alert through an SMTP relay.
    Email(email::EmailConfig),
    /// A text message per alert and recipient (Twilio's Messages API).
    Sms(sms::SmsConfig),
}

impl SinkKind {
    /// The `kind = "…"` name.
    pub fn name(&self) -> &'static str {
        match self {
            SinkKind::File(_) => "file",
            SinkKind::Stdout(_) => "stdout",
            SinkKind::Syslog(_) => "syslog",
            SinkKind::Logstash(_) => "logstash",
            SinkKind::Elasticsearch(_) => "elasticsearch",
            SinkKind::Webhook(_) => "webhook",
            SinkKind::Email(_) => "email",
            SinkKind::Sms(_) => "sms",
        }
    }

    /// Whether this kind streams every event by default (log-like sinks) or only receives
    /// alerts (message-like sinks: webhook, email, SMS).
    pub fn streams_by_default(&self) -> bool {
        matches!(
            self,
            SinkKind::File(_)
                | SinkKind::Stdout(_)
                | SinkKind::Syslog(_)
                | SinkKind::Logstash(_)
                | SinkKind::Elasticsearch(_)
        )
    }

    /// Builds the client. Fails on settings that cannot work (bad URL, unreadable CA file).
    pub fn build(&self) -> Result<Box<dyn Sink>, String> {
        match self {
            SinkKind::File(c) => Ok(Box::new(file::FileSink::new(c.clone())?)),
            SinkKind::Stdout(c) => Ok(Box::new(stdout::StdoutSink::new(c.clone()))),
            SinkKind::Syslog(c) => Ok(Box::new(syslog::SyslogSink::new(c.clone())?)),
            SinkKind::Logstash(c) => Ok(Box::new(logstash::LogstashSink::new(c.clone())?)),
            SinkKind::Elasticsearch(c) => {
                Ok(Box::new(elasticsearch::ElasticsearchSink::new(c.clone())?))
            }
            SinkKind::Webhook(c) => Ok(Box::new(webhook::WebhookSink::new(c.clone())?)),
            SinkKind::Email(c) => Ok(Box::new(email::EmailSink::new(c.clone())?)),
            SinkKind::Sms(c) => Ok(Box::new(sms::SmsSink::new(c.clone())?)),
        }
    }
}

/// A configured sink.
#[derive(Debug, Clone)]
pub struct SinkSettings {
    /// Unique name: alert rules refer to it, and its cursor is stored under it.
    pub name: String,
    /// What it is.
    pub kind: SinkKind,
    /// Ship every event passing `filter` (not only alerts).
    pub stream: bool,
    /// Which events are streamed.
    pub filter: EventFilter,
    /// Receive the default alert rules' messages.
    pub default_alerts: bool,
    /// First retry delay.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Items per delivery at most.
    pub batch_max: usize,
}

impl SinkSettings {
    /// A sink with the defaults of its kind.
    pub fn new(name: impl Into<String>, kind: SinkKind) -> Self {
        let stream = kind.streams_by_default();
        SinkSettings {
            name: name.into(),
            stream,
            default_alerts: !stream,
            kind,
            filter: EventFilter::all(),
            retry_min: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
            batch_max: 500,
        }
    }
}

/// Renders one item as the ECS JSON line every log-like sink sends; alerts become an event of
/// their own (`event.kind = "alert"`, `palisade.alert.*`), so log pipelines index both alike.
pub fn json_line(item: &Delivery<'_>) -> String {
    match item {
        Delivery::Event(e) => serde_json::to_string(&e.ecs()).unwrap_or_default(),
        Delivery::Alert(n) => serde_json::json!({
            "@timestamp": n.time.rfc3339(),
            "message": n.title,
            "event": {
                "kind": "alert",
                "id": n.id,
                "dataset": "palisade.alert",
                "module": "palisade",
            },
            "log": { "level": n.severity.as_str() },
            "palisade": {
                "alert": {
                    "rule": n.rule,
                    "count": n.count,
                    "key": n.key,
                    "text": n.text,
                }
            }
        })
        .to_string(),
    }
}
