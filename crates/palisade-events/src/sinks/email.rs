//! `kind = "email"`: one plain-text mail per alert, through an SMTP relay (STARTTLS on 587 by
//! default, implicit TLS on 465, or none on 25), with optional login.
//!
//! `subject` and `body` are minijinja templates over the [`template`](super::template)
//! context. Each mail's `Message-ID` is derived from the notification id, so a mail resent
//! after a lost answer is recognisably the same one.
//!
//! # Security
//!
//! `password` never appears in `Debug` output, errors or logs, and is refused with
//! `tls = "none"`, where it would cross the network in clear text. `ca_file` adds a CA to the
//! public roots, for relays with a private certificate; verification is never switched off.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use super::options::{self, Secret};
use super::template::{self, Templates};
use super::{Delivery, Sink};
use crate::error::SinkError;

/// `[[sinks]] kind = "email"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP relay's host name (also the name its certificate must carry).
    pub host: String,
    /// Default: 587 for STARTTLS, 465 for TLS, 25 for none.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is secured (default STARTTLS, required: never falls back).
    #[serde(default)]
    pub tls: EmailTls,
    /// A PEM file of CA certificates to trust besides the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Login user (with `password`).
    #[serde(default)]
    pub username: Option<String>,
    /// Login password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The sender, e.g. `palisade <alerts@example.com>`.
    pub from: String,
    /// Recipients (all on one mail).
    pub to: Vec<String>,
    /// A minijinja template for the subject (default `{{ title }}`).
    #[serde(default = "default_subject")]
    pub subject: String,
    /// A minijinja template for the body (default: the text and a footer).
    #[serde(default = "default_body")]
    pub body: String,
    /// The time limit for one mail: connect, TLS, login and send (default 30 s).
    #[serde(default = "default_timeout", deserialize_with = "options::humantime")]
    pub timeout: Duration,
}

impl EmailConfig {
    /// Mail through `host` with STARTTLS and no login, with the default templates.
    pub fn new(host: impl Into<String>, from: impl Into<String>, to: Vec<String>) -> Self {
        EmailConfig {
            host: host.into(),
            port: None,
            tls: EmailTls::default(),
            ca_file: None,
            username: None,
            password: None,
            from: from.into(),
            to,
            subject: default_subject(),
            body: default_body(),
            timeout: default_timeout(),
        }
    }
}

/// `tls = "starttls" | "tls" | "none"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTls {
    /// Plain connection upgraded with STARTTLS, which the server must offer (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (port 25; a relay on the same host or network).
    None,
}

impl EmailTls {
    fn default_port(self) -> u16 {
        match self {
            EmailTls::Starttls => 587,
            EmailTls::Tls => 465,
            EmailTls::None => 25,
        }
    }
}

fn default_timeout() -> Duration {
    // Relays may pause before their greeting (a spam defence); 10 s can be too short.
    Duration::from_secs(30)
}

fn default_subject() -> String {
    "{{ title }}".to_owned()
}

fn default_body() -> String {
    "{{ text }}\n\n-- \nSent by palisade{% if rule %} for the alert rule {{ rule }}{% endif %}.\n\
     Id: {{ id }}\n"
        .to_owned()
}

/// Mails each item.
pub struct EmailSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
    from: Mailbox,
    to: Mailboxes,
    templates: Templates,
}

impl EmailSink {
    /// Validates addresses, templates and TLS settings; fails naming the bad key.
    pub fn new(config: EmailConfig) -> Result<Self, String> {
        if config.host.trim().is_empty() {
            return Err("`host` is empty".to_owned());
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("`from` is not a mail address: {e}"))?;
        if config.to.is_empty() {
            return Err("`to` needs at least one recipient".to_owned());
        }
        let mut to = Mailboxes::new();
        for (i, raw) in config.to.iter().enumerate() {
            let m: Mailbox = raw
                .parse()
                .map_err(|e| format!("`to[{i}]` is not a mail address: {e}"))?;
            to.push(m);
        }
        let templates = Templates::new()
            .with("subject", &config.subject)?
            .with("body", &config.body)?;

        let tls = match config.tls {
            EmailTls::None => {
                if config.ca_file.is_some() {
                    return Err("`ca_file` needs `tls = \"starttls\"` or `\"tls\"`".to_owned());
                }
                Tls::None
            }
            mode => {
                let mut params = TlsParameters::builder(config.host.clone());
                if let Some(path) = &config.ca_file {
                    let pem = std::fs::read(path)
                        .map_err(|e| format!("`ca_file` {}: {e}", path.display()))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        format!("`ca_file` {}: not a PEM certificate: {e}", path.display())
                    })?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build_rustls().map_err(|e| format!("`tls`: {e}"))?;
                if mode == EmailTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port.unwrap_or(config.tls.default_port()))
            .tls(tls)
            .timeout(Some(config.timeout));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                if config.tls == EmailTls::None {
                    return Err(
                        "`password` with `tls = \"none\"` would be sent in clear text".to_owned(),
                    );
                }
                builder = builder
                    .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
            }
            (None, None) => {}
            _ => return Err("`username` and `password` go together".to_owned()),
        }
        Ok(EmailSink {
            transport: builder.build(),
            timeout: config.timeout,
            from,
            to,
            templates,
        })
    }

    fn message(&self, item: &Delivery<'_>) -> Result<Message, String> {
        let ctx = template::context(item);
        let subject = self.templates.render("subject", &ctx)?;
        let body = self.templates.render("body", &ctx)?;
        let id = template::delivery_id(item);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject.trim().replace(['\r', '\n'], " "))
            .message_id(Some(format!("<{id}@palisade.invalid>")))
            .header(ContentType::TEXT_PLAIN);
        for m in self.to.iter() {
            builder = builder.to(m.clone());
        }
        builder.body(body).map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Sink for EmailSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        for (i, item) in batch.iter().enumerate() {
            let id = template::delivery_id(item);
            let message = self
                .message(item)
                .map_err(|e| SinkError::permanent(i, format!("email item {id}: {e}")))?;
            // lettre's own timeout covers only the connect; a relay that stops answering
            // mid-dialogue must not hold the sink forever.
            match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    let text = format!("email item {id}: {e}");
                    // 5xx: the relay refuses this mail (or our login); anything else (4xx,
                    // connection, TLS handshake) may pass later.
                    return Err(if e.is_permanent() {
                        SinkError::permanent(i, text)
                    } else {
                        SinkError::retry(i, text)
                    });
                }
                Err(_) => {
                    return Err(SinkError::retry(
                        i,
                        format!("email item {id}: no answer within {:?}", self.timeout),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EmailConfig {
        EmailConfig::new(
            "127.0.0.1",
            "palisade <alerts@example.com>",
            vec!["ops@example.com".into()],
        )
    }

    #[test]
    fn bad_settings_name_their_key() {
        let err = |c: EmailConfig| EmailSink::new(c).err().unwrap();
        let mut c = config();
        c.from = "not an address".into();
        assert!(err(c).starts_with("`from`"));
        let mut c = config();
        c.to.push("also not".into());
        assert!(err(c).starts_with("`to[1]`"));
        let mut c = config();
        c.subject = "{{ title ".into();
        assert!(err(c).starts_with("`subject` template:"));
        let mut c = config();
        c.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(err(c).starts_with("`ca_file`"));
        let mut c = config();
        c.tls = EmailTls::None;
        c.username = Some("u".into());
        c.password = Some("hunter2".into());
        let e = err(c);
        assert!(e.contains("clear text") && !e.contains("hunter2"), "{e}");
        let mut c = config();
        c.username = Some("u".into());
        assert!(err(c).contains("go together"));
    }

    #[test]
    fn the_password_never_prints() {
        let mut c = config();
        c.password = Some("hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn ports_follow_the_tls_mode() {
        assert_eq!(EmailTls::Starttls.default_port(), 587);
        assert_eq!(EmailTls::Tls.default_port(), 465);
        assert_eq!(EmailTls::None.default_port(), 25);
    }
}
