//! The one redaction step: runs on every event before it is stored or shipped.
//!
//! # Security
//!
//! Events carry attacker-controlled text (paths, excerpts) and sometimes a user's own secrets
//! (a password typed into the username box, a token in a query string). Whatever reaches a
//! sink leaves our control — Papertrail, a Slack channel, an SMS — so passwords, tokens,
//! cookies and `Authorization` values are replaced by [`REDACTED`] here, once, for every sink.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::Event;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Parameter and field names whose values are secrets. Matched case-insensitively, ignoring
/// `-` and `_`, as whole names or as a suffix (`user_password`, `X-Api-Key`).
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "clientsecret",
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "authtoken",
    "csrftoken",
    "xsrftoken",
    "apikey",
    "key",
    "privatekey",
    "auth",
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "session",
    "sessionid",
    "sid",
    "jwt",
    "signature",
    "sig",
    "otp",
    "totp",
    "mfacode",
    "pin",
    "ssn",
    "creditcard",
    "cardnumber",
    "cvv",
    "cvc",
];

/// True when a parameter, field or header name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_' && *c != '.')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_NAMES
        .iter()
        .any(|s| folded == *s || (s.len() >= 5 && folded.ends_with(s)))
}

static HEADER_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    // `Authorization: Basic abc`, `Cookie: a=b; c=d`: the whole rest of the line is secret.
    Regex::new(r"(?i)\b((?:proxy-)?authorization|set-cookie|cookie)(\s*[:=]\s*)([^\r\n]*)")
        .expect("static regex")
});

static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic|digest|token)(\s+)([A-Za-z0-9._~+/=-]{8,})")
        .expect("static regex")
});

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*").expect("static regex")
});

static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^/\s@]+)(@)").expect("static regex")
});

static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    // name=value, name: value, "name": "value", for secret names only — a generic
    // `\w+=\S+` would swallow `changed: password=x` as the pair (changed, password=x).
    let spelled = |name: &str| {
        let chars: Vec<String> = name.chars().map(|c| c.to_string()).collect();
        chars.join("[-_.]?")
    };
    let long: Vec<String> = SECRET_NAMES
        .iter()
        .filter(|n| n.len() >= 5)
        .map(|n| spelled(n))
        .collect();
    let short: Vec<String> = SECRET_NAMES
        .iter()
        .filter(|n| n.len() < 5)
        .map(|n| spelled(n))
        .collect();
    Regex::new(&format!(
        r#"(?i)((?:[A-Za-z0-9_.-]*(?:{})|\b(?:{})))("?\s*[:=]\s*"?)([^&\s"',;}}]+)"#,
        long.join("|"),
        short.join("|")
    ))
    .expect("static regex")
});

/// Replaces every secret in free text (messages, excerpts, field values).
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for re in [&*HEADER_LIKE, &*BEARER] {
        if re.is_match(&out) {
            out = Cow::Owned(
                re.replace_all(&out, |c: &Captures<'_>| {
                    format!("{}{}{REDACTED}", &c[1], &c[2])
                })
                .into_owned(),
            );
        }
    }
    if JWT.is_match(&out) {
        out = Cow::Owned(JWT.replace_all(&out, REDACTED).into_owned());
    }
    if URL_CREDENTIALS.is_match(&out) {
        out = Cow::Owned(
            URL_CREDENTIALS
                .replace_all(&out, |c: &Captures<'_>| {
                    format!("{}{REDACTED}{}", &c[1], &c[3])
                })
                .into_owned(),
        );
    }
    if KEY_VALUE
        .captures_iter(&out)
        .any(|c| is_secret_name(&c[1]) && &c[3] != REDACTED)
    {
        out = Cow::Owned(
            KEY_VALUE
                .replace_all(&out, |c: &Captures<'_>| {
                    if is_secret_name(&c[1]) && &c[3] != REDACTED {
                        format!("{}{}{REDACTED}", &c[1], &c[2])
                    } else {
                        c[0].to_owned()
                    }
                })
                .into_owned(),
        );
    }
    out
}

/// Redacts a request target: query parameters with secret names lose their values, and the
/// rest goes through [`redact_text`].
pub fn redact_target(target: &str) -> Cow<'_, str> {
    let Some((path, query)) = target.split_once('?') else {
        return redact_text(target);
    };
    let mut changed = false;
    let params: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(&percent_decoded_name(name)) => {
                changed = true;
                Cow::Owned(format!("{name}={REDACTED}"))
            }
            _ => Cow::Borrowed(pair),
        })
        .collect();
    if !changed {
        return redact_text(target);
    }
    let rebuilt = format!("{path}?{}", params.join("&"));
    Cow::Owned(redact_text(&rebuilt).into_owned())
}

fn percent_decoded_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn redact_in_place(s: &mut String, f: fn(&str) -> Cow<'_, str>) {
    if let Cow::Owned(new) = f(s) {
        *s = new;
    }
}

impl Event {
    /// Applies the redaction step to every free-text field of the event. Idempotent.
    pub fn redact(&mut self) {
        redact_in_place(&mut self.message, redact_text);
        if let Some(path) = &mut self.path {
            redact_in_place(path, redact_target);
        }
        if let Some(user) = &mut self.user {
            // A password typed into the username box is a classic leak.
            redact_in_place(user, redact_text);
        }
        for (key, value) in &mut self.fields {
            if is_secret_name(key) {
                if value != REDACTED {
                    *value = REDACTED.to_owned();
                }
            } else {
                redact_in_place(value, redact_text);
            }
        }
    }
}
