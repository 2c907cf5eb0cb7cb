//! `kind = "sms"`: text messages through an HTTP API shaped like Twilio's Messages API —
//! `POST {url}/2010-04-01/Accounts/{account_sid}/Messages.json` with form fields `To`,
//! `From`, `Body` and HTTP basic auth `account_sid:auth_token`; one message per recipient.
//!
//! A retry resumes with the recipient that failed: those already texted are not texted again.
//!
//! # Security
//!
//! `auth_token` never appears in `Debug` output, errors or logs.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::options::{self, Secret};
use super::template::{self, Templates};
use super::{Delivery, Sink, http};
use crate::error::SinkError;

/// The longest body Twilio accepts (characters); longer ones are cut.
pub const MAX_BODY_CHARS: usize = 1600;

/// `[[sinks]] kind = "sms"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// The API's base URL (default `https://api.twilio.com`; a compatible provider's, or a
    /// test server's).
    #[serde(default = "default_url")]
    pub url: String,
    /// The account (the basic-auth user, and part of the path).
    pub account_sid: String,
    /// The API secret (the basic-auth password).
    pub auth_token: Secret,
    /// The sending number (E.164, e.g. `+15005550006`) or sender id.
    pub from: String,
    /// Recipients; each gets its own message.
    pub to: Vec<String>,
    /// A minijinja template for the text (default `{{ title }}`), cut to 1600 characters.
    #[serde(default = "default_body")]
    pub body: String,
    /// Each request's time limit (default 10 s).
    #[serde(
        default = "options::ten_seconds",
        deserialize_with = "options::humantime"
    )]
    pub timeout: Duration,
}

impl SmsConfig {
    /// Twilio, with the default body and timeout.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: impl Into<Secret>,
        from: impl Into<String>,
        to: Vec<String>,
    ) -> Self {
        SmsConfig {
            url: default_url(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            from: from.into(),
            to,
            body: default_body(),
            timeout: options::ten_seconds(),
        }
    }
}

fn default_url() -> String {
    "https://api.twilio.com".to_owned()
}

fn default_body() -> String {
    "{{ title }}".to_owned()
}

/// Sends each item to every recipient.
pub struct SmsSink {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    account_sid: String,
    auth_token: Secret,
    from: String,
    to: Vec<String>,
    templates: Templates,
    /// The item being sent and how many recipients already have it, so that a retry of the
    /// same item skips them.
    progress: Option<(String, usize)>,
}

impl SmsSink {
    /// Validates the URL, recipients and template; fails naming the bad key.
    pub fn new(config: SmsConfig) -> Result<Self, String> {
        let base = http::parse_url("url", &config.url)?;
        if config.account_sid.is_empty()
            || !config
                .account_sid
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        {
            return Err("`account_sid` must be letters and digits (e.g. AC…)".to_owned());
        }
        if config.auth_token.expose().is_empty() {
            return Err("`auth_token` is empty".to_owned());
        }
        if config.from.trim().is_empty() {
            return Err("`from` is empty".to_owned());
        }
        if config.to.is_empty() || config.to.iter().any(|t| t.trim().is_empty()) {
            return Err("`to` needs at least one recipient, none empty".to_owned());
        }
        let path = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            base.path().trim_end_matches('/'),
            config.account_sid
        );
        let mut endpoint = base;
        endpoint.set_path(&path);
        Ok(SmsSink {
            client: http::client(config.timeout)?,
            endpoint,
            account_sid: config.account_sid,
            auth_token: config.auth_token,
            from: config.from,
            to: config.to,
            templates: Templates::new().with("body", &config.body)?,
            progress: None,
        })
    }
}

#[async_trait]
impl Sink for SmsSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        for (i, item) in batch.iter().enumerate() {
            let id = template::delivery_id(item);
            let text = self
                .templates
                .render("body", &template::context(item))
                .map_err(|e| SinkError::permanent(i, format!("sms item {id}: {e}")))?;
            let text = template::truncate_chars(text.trim(), MAX_BODY_CHARS);
            let start = match &self.progress {
                Some((p, n)) if *p == id => *n,
                _ => 0,
            };
            for (r, to) in self.to.iter().enumerate().skip(start) {
                let result = self
                    .client
                    .post(self.endpoint.clone())
                    .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
                    .form(&[("To", to.as_str()), ("From", &self.from), ("Body", text)])
                    .send()
                    .await;
                let what = format!("sms item {id} to recipient {}", r + 1);
                if let Err(e) = http::outcome(i, &what, result).await {
                    // Retried: resume at this recipient. Refused: the next one still gets it.
                    self.progress = Some((id.clone(), if e.retryable { r } else { r + 1 }));
                    if !e.retryable && r + 1 < self.to.len() {
                        tracing::error!(error = %e.message, "sms recipient refused; skipped");
                        continue;
                    }
                    return Err(e);
                }
                self.progress = Some((id.clone(), r + 1));
            }
            self.progress = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_follows_twilio() {
        let mut c = SmsConfig::new("AC123", "tok", "+15005550006", vec!["+15551234567".into()]);
        c.url = "http://127.0.0.1:9/base/".into();
        let sink = SmsSink::new(c).unwrap();
        assert_eq!(
            sink.endpoint.as_str(),
            "http://127.0.0.1:9/base/2010-04-01/Accounts/AC123/Messages.json"
        );
        let twilio = SmsSink::new(SmsConfig::new("AC1", "t", "+1", vec!["+2".into()])).unwrap();
        assert_eq!(
            twilio.endpoint.as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        );
    }

    #[test]
    fn bad_settings_name_their_key() {
        let err = |c: SmsConfig| SmsSink::new(c).err().unwrap();
        assert!(
            err(SmsConfig::new("AC/../x", "t", "+1", vec!["+2".into()])).contains("account_sid")
        );
        assert!(err(SmsConfig::new("AC1", "", "+1", vec!["+2".into()])).contains("auth_token"));
        assert!(err(SmsConfig::new("AC1", "t", "+1", vec![])).contains("`to`"));
        let mut c = SmsConfig::new("AC1", "t", "+1", vec!["+2".into()]);
        c.body = "{{ title".into();
        assert!(err(c).starts_with("`body` template:"));
    }

    #[test]
    fn the_token_never_prints() {
        let c = SmsConfig::new("AC1", "s3cret-token", "+1", vec!["+2".into()]);
        assert!(!format!("{c:?}").contains("s3cret-token"));
    }
}
