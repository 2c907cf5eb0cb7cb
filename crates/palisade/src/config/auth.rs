//! `[auth]`: palisade-auth's own file struct ([`AuthConfig`]), validated by the library
//! (errors name keys such as `auth.login[0].username`, located here in the TOML), plus what
//! only the binary can check: the mail sink for new-IP logins, and the breached-password
//! file (opened at start-up, so a missing one is an error then).

use std::sync::Arc;

use async_trait::async_trait;
use palisade_auth::AuthConfig;
use palisade_core::Severity;
use palisade_events::alerts::Notification;
use palisade_events::sinks::email::{EmailConfig, EmailSink};
use palisade_events::sinks::{Delivery, Sink};
use palisade_guard::{AuthGuardSettings, Mailer};

use super::error::ConfigError;
use super::file::{FileConfig, REDACTED};
use super::load::locate;
use super::runtime::Source;

fn located(src: &Source<'_>, field: &str, message: String) -> ConfigError {
    // `auth.login[0].username` → ["auth", "login", "0", "username"]
    let path: Vec<String> = field
        .split(['.', '['])
        .map(|p| p.trim_end_matches(']').to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let err = ConfigError::whole_file(src.name, message).with_key(field);
    match locate(src.text, &path) {
        Some(off) => err.at(src.text, off),
        None => err,
    }
}

/// `config print` never shows the report-link secret.
pub fn redacted(config: &AuthConfig) -> AuthConfig {
    let mut copy = config.clone();
    if copy.new_ip.secret.is_some() {
        copy.new_ip.secret = Some(REDACTED.into());
    }
    copy
}

/// Validates `[auth]`; `None` when no route is watched.
pub fn settings(
    cfg: &FileConfig,
    src: &Source<'_>,
) -> Result<Option<AuthGuardSettings>, ConfigError> {
    let a = &cfg.auth;
    if a.new_ip.secret.as_deref() == Some(REDACTED) {
        return Err(located(
            src,
            "auth.new_ip.secret",
            format!("`{REDACTED}` is what `config print` shows instead of a secret, not a value"),
        )
        .with_hint("set a secret of your own (e.g. `openssl rand -hex 32`)"));
    }
    let settings = a
        .validate()
        .map_err(|e| located(src, &e.field, format!("`{}`: {}", e.field, e.message)))?;
    let mailer = match &a.new_ip.mail_sink {
        None => None,
        Some(name) => {
            let field = "auth.new_ip.mail_sink";
            let sink =
                cfg.sinks.iter().find(|s| &s.name == name).ok_or_else(|| {
                    located(src, field, format!("no [[sinks]] entry named `{name}`"))
                })?;
            if sink.kind != "email" {
                return Err(located(
                    src,
                    field,
                    format!(
                        "sink `{name}` is of kind `{}`; new-IP mails need kind `email`",
                        sink.kind
                    ),
                ));
            }
            if settings.report.is_none() {
                return Err(located(
                    src,
                    field,
                    "mails carry a report link: set `secret` and `link_base` under [auth.new_ip]"
                        .into(),
                ));
            }
            let email: EmailConfig = sink
                .options
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| located(src, field, e.message().to_owned()))?;
            // Validated now (addresses, TLS files), so a bad relay config fails at start-up.
            EmailSink::new(user_mail(&email, "user@example.com"))
                .map_err(|m| located(src, field, format!("sink `{name}`: {m}")))?;
            Some(Arc::new(SinkMailer { email }) as Arc<dyn Mailer>)
        }
    };
    // `[[watch]]` sources feed the monitor too, routes or not.
    if settings.routes.login.is_empty()
        && settings.routes.account_change.is_empty()
        && cfg.watch.is_empty()
    {
        return Ok(None);
    }
    let pwned = settings.pwned.open().map_err(|e| {
        let field = if settings.pwned.file.is_some() {
            "auth.pwned.file"
        } else {
            "auth.pwned.api"
        };
        located(src, field, e.to_string())
    })?;
    Ok(Some(AuthGuardSettings {
        settings,
        pwned,
        mailer,
        // Beside the event store, like the black book.
        known_logins: Some(
            cfg.events
                .database
                .with_file_name("palisade-known-logins.jsonl"),
        ),
    }))
}

/// The sink's relay and sender, addressed to one user, with a plain body.
fn user_mail(base: &EmailConfig, to: &str) -> EmailConfig {
    let mut c = base.clone();
    c.to = vec![to.to_owned()];
    c.subject = "{{ title }}".into();
    c.body = "{{ text }}".into();
    c
}

/// Sends new-IP mails through an email sink's relay.
struct SinkMailer {
    email: EmailConfig,
}

#[async_trait]
impl Mailer for SinkMailer {
    async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let mut sink = EmailSink::new(user_mail(&self.email, to))?;
        let note = Notification::new(
            "new_ip_login",
            Severity::Medium,
            subject.to_owned(),
            text.to_owned(),
        );
        sink.send(&[Delivery::Alert(&note)])
            .await
            .map_err(|e| e.message)
    }
}
