//! `kind = "webhook"`: one JSON `POST` per alert (or per event, with `stream = true`).
//!
//! The body is the notification's template context (an event's ECS document when
//! streaming), a Slack-style `{"text": …}` with `preset = "slack"` (Slack, Mattermost and
//! Rocket.Chat incoming webhooks), or whatever `template` renders.
//!
//! Each request carries `X-Palisade-Delivery` (the notification or event id) so receivers can
//! drop the duplicate a retry after a lost answer can cause. With `secret`, it is also signed
//! the way Stripe and GitHub sign theirs:
//!
//! ```text
//! X-Palisade-Timestamp: 1767225600
//! X-Palisade-Signature: sha256=<hex HMAC-SHA256(secret, "1767225600.<body>")>
//! ```
//!
//! A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
//! constant time, and rejects timestamps older than a few minutes (replays).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use palisade_events::sinks::webhook::{WebhookConfig, WebhookPreset, signature};
//!
//! // The keys of `[[sinks]] kind = "webhook"`, as the config file gives them.
//! let config: WebhookConfig = serde_json::from_value(serde_json::json!({
//!     "url": "https://hooks.slack.com/services/T000/B000/XXXX",
//!     "preset": "slack",
//!     "timeout": "5s",
//! }))
//! .unwrap();
//! assert_eq!(config.preset, Some(WebhookPreset::Slack));
//! assert_eq!(config.timeout, Duration::from_secs(5));
//!
//! // What a receiver recomputes (here: `echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key`).
//! assert_eq!(
//!     signature(b"key", 1_700_000_000, br#"{"a":1}"#),
//!     "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
//! );
//! ```
//!
//! # Security
//!
//! The URL of a chat webhook is a credential: it never appears in errors or logs.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use sha2::Sha256;

use super::options::{self, Secret};
use super::template::{self, Templates};
use super::{Delivery, Sink, http};
use crate::error::SinkError;

/// `[[sinks]] kind = "webhook"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to `POST` (http or https).
    pub url: String,
    /// A ready-made body shape instead of the default JSON (`"slack"`).
    #[serde(default)]
    pub preset: Option<WebhookPreset>,
    /// A minijinja template for the body (see [`template`](super::template) for its
    /// context); must render valid JSON while `content_type` is JSON. Excludes `preset`.
    #[serde(default)]
    pub template: Option<String>,
    /// The `Content-Type` sent (default `application/json`).
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// Extra request headers (e.g. `Authorization`); values are treated as secrets.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// The whole request's time limit (default 10 s).
    #[serde(
        default = "options::ten_seconds",
        deserialize_with = "options::humantime"
    )]
    pub timeout: Duration,
    /// Sign each request with HMAC-SHA256 (`X-Palisade-Signature`).
    #[serde(default)]
    pub secret: Option<Secret>,
}

impl WebhookConfig {
    /// A webhook to `url` with the defaults: the JSON body, no signature, 10 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        WebhookConfig {
            url: url.into(),
            preset: None,
            template: None,
            content_type: default_content_type(),
            headers: BTreeMap::new(),
            timeout: options::ten_seconds(),
            secret: None,
        }
    }
}

fn default_content_type() -> String {
    "application/json".to_owned()
}

/// Body shapes for well-known receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WebhookPreset {
    /// `{"text": "<title>\n<text>"}`: Slack, Mattermost and Rocket.Chat incoming webhooks.
    Slack,
}

enum Body {
    /// The template context for alerts, the ECS document for events.
    Json,
    Slack,
    Template {
        json: bool,
    },
}

/// Posts each item.
pub struct WebhookSink {
    client: reqwest::Client,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Body,
    templates: Templates,
    secret: Option<Secret>,
}

impl WebhookSink {
    /// Validates the URL, headers and template; fails naming the bad key.
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        let url = http::parse_url("url", &config.url)?;
        let mut headers = HeaderMap::new();
        let content_type = HeaderValue::from_str(&config.content_type)
            .map_err(|_| "`content_type` is not a valid header value".to_owned())?;
        let json = config.content_type.to_ascii_lowercase().contains("json");
        headers.insert(CONTENT_TYPE, content_type);
        for (name, value) in &config.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`headers.{name}` is not a valid header name"))?;
            let mut v = HeaderValue::from_str(value.expose())
                .map_err(|_| format!("`headers.{name}` is not a valid header value"))?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        let mut templates = Templates::new();
        let body = match (&config.template, config.preset) {
            (Some(_), Some(_)) => {
                return Err("`template` and `preset` exclude each other".to_owned());
            }
            (Some(source), None) => {
                templates = templates.with("template", source)?;
                Body::Template { json }
            }
            (None, Some(WebhookPreset::Slack)) => Body::Slack,
            (None, None) => Body::Json,
        };
        if config
            .secret
            .as_ref()
            .is_some_and(|s| s.expose().is_empty())
        {
            return Err("`secret` is empty".to_owned());
        }
        Ok(WebhookSink {
            client: http::client(config.timeout)?,
            url,
            headers,
            body,
            templates,
            secret: config.secret,
        })
    }

    fn render(&self, item: &Delivery<'_>) -> Result<String, String> {
        Ok(match &self.body {
            Body::Json => match item {
                Delivery::Alert(n) => n.template_context().to_string(),
                Delivery::Event(e) => serde_json::to_string(&e.ecs()).unwrap_or_default(),
            },
            Body::Slack => {
                let ctx = template::context(item);
                let text = format!(
                    "{}\n{}",
                    ctx["title"].as_str().unwrap_or_default(),
                    ctx["text"].as_str().unwrap_or_default()
                );
                serde_json::json!({ "text": text }).to_string()
            }
            Body::Template { json } => {
                let body = self
                    .templates
                    .render("template", &template::context(item))?;
                if *json && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&body) {
                    return Err(format!(
                        "`template` rendered invalid JSON ({e}); use `|tojson` for values"
                    ));
                }
                body
            }
        })
    }
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[async_trait]
impl Sink for WebhookSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        for (i, item) in batch.iter().enumerate() {
            let id = template::delivery_id(item);
            let body = self
                .render(item)
                .map_err(|e| SinkError::permanent(i, format!("webhook item {id}: {e}")))?;
            let mut request = self
                .client
                .post(self.url.clone())
                .headers(self.headers.clone())
                .header("X-Palisade-Delivery", &id);
            if let Some(secret) = &self.secret {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                request = request
                    .header("X-Palisade-Timestamp", now.to_string())
                    .header(
                        "X-Palisade-Signature",
                        signature(secret.expose().as_bytes(), now, body.as_bytes()),
                    );
            }
            let result = request.body(body).send().await;
            http::outcome(i, &format!("webhook item {id}"), result).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Notification;

    #[test]
    fn bad_settings_name_their_key() {
        let err = |c: WebhookConfig| WebhookSink::new(c).err().unwrap();
        assert!(err(WebhookConfig::new("nope")).contains("`url`"));
        let mut c = WebhookConfig::new("http://127.0.0.1:1/");
        c.template = Some("{% if %}".into());
        assert!(err(c).starts_with("`template` template:"));
        let mut c = WebhookConfig::new("http://127.0.0.1:1/");
        c.template = Some("{}".into());
        c.preset = Some(WebhookPreset::Slack);
        assert!(err(c).contains("exclude"));
        let mut c = WebhookConfig::new("http://127.0.0.1:1/");
        c.headers.insert("bad header".into(), "x".into());
        assert!(err(c).contains("headers.bad header"));
    }

    #[test]
    fn a_template_must_render_json() {
        let mut c = WebhookConfig::new("http://127.0.0.1:1/");
        c.template = Some(r#"{"msg": "{{ title }}"}"#.into());
        let sink = WebhookSink::new(c).unwrap();
        let mut n = Notification::test("hook");
        assert!(sink.render(&Delivery::Alert(&n)).is_ok());
        n.title = "a \"quoted\" title".into();
        let err = sink.render(&Delivery::Alert(&n)).unwrap_err();
        assert!(err.contains("invalid JSON"), "{err}");
    }

    #[test]
    fn the_signature_matches_a_known_vector() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
        assert_eq!(
            signature(b"key", 1_700_000_000, br#"{"a":1}"#),
            "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
        );
    }
}
