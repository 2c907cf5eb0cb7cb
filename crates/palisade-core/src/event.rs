//! The security event: what every producer (guard, supervisor, audit, watch) hands to [`Emit`].
//!
//! An [`Event`] is palisade's own shape (stored as it is); [`Ecs`] renders it in the Elastic
//! Common Schema for sinks, so Elastic, Logstash and Papertrail users get fields they know.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What kind of security signal an event is. Known categories have variants; producers may add
/// their own (`Other`), which are stored and shipped the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// A request matched attack rules (SQLi, XSS, …).
    MaliciousTraffic,
    /// A request probed for a sensitive file (`.env`, `.git/`, …).
    SensitiveFileProbe,
    /// A request came from a vulnerability scanner.
    Scanner,
    /// A client went over a rate limit.
    RateLimited,
    /// A login failed.
    AuthFailure,
    /// An SSH login failed (read from sshd's log by `palisade watch`).
    SshAuthFailure,
    /// An FTP login failed (vsftpd, ProFTPD, Pure-FTPd logs).
    FtpAuthFailure,
    /// A mail login failed (Postfix or Dovecot SASL/IMAP/POP3).
    MailAuthFailure,
    /// Many failed logins from one source.
    BruteForce,
    /// Many usernames tried from one source, or one username from many.
    CredentialStuffing,
    /// A login used a password known from breaches.
    BreachedPassword,
    /// A user logged in from an IP never seen for them.
    NewIpLogin,
    /// An account's email or password changed.
    AccountChange,
    /// An IP was put in the black book.
    IpBanned,
    /// An IP left the black book.
    IpUnbanned,
    /// The upstream app stopped answering.
    UpstreamDown,
    /// The supervised app started.
    AppStart,
    /// The supervised app exited.
    AppExit,
    /// The supervised app crashed.
    AppCrash,
    /// The supervised app was restarted.
    AppRestart,
    /// The supervised app failed its health check.
    AppUnhealthy,
    /// The supervised app keeps crashing.
    CrashLoop,
    /// A dependency has a known vulnerability.
    VulnerableDependency,
    /// A browser reported a Content-Security-Policy violation.
    CspViolation,
    /// The upstream answered 5xx (its original page is kept in the event when scrubbed).
    UpstreamError,
    /// A category this version does not know by name (snake_case).
    Other(String),
}

const NAMED: &[(&str, Category)] = &[
    ("malicious_traffic", Category::MaliciousTraffic),
    ("sensitive_file_probe", Category::SensitiveFileProbe),
    ("scanner", Category::Scanner),
    ("rate_limited", Category::RateLimited),
    ("auth_failure", Category::AuthFailure),
    ("ssh_auth_failure", Category::SshAuthFailure),
    ("ftp_auth_failure", Category::FtpAuthFailure),
    ("mail_auth_failure", Category::MailAuthFailure),
    ("brute_force", Category::BruteForce),
    ("credential_stuffing", Category::CredentialStuffing),
    ("breached_password", Category::BreachedPassword),
    ("new_ip_login", Category::NewIpLogin),
    ("account_change", Category::AccountChange),
    ("ip_banned", Category::IpBanned),
    ("ip_unbanned", Category::IpUnbanned),
    ("upstream_down", Category::UpstreamDown),
    ("app_start", Category::AppStart),
    ("app_exit", Category::AppExit),
    ("app_crash", Category::AppCrash),
    ("app_restart", Category::AppRestart),
    ("app_unhealthy", Category::AppUnhealthy),
    ("crash_loop", Category::CrashLoop),
    ("vulnerable_dependency", Category::VulnerableDependency),
    ("csp_violation", Category::CspViolation),
    ("upstream_error", Category::UpstreamError),
];

impl Category {
    /// Every named category, for help texts and config validation.
    pub fn known() -> impl Iterator<Item = &'static str> {
        NAMED.iter().map(|(name, _)| *name)
    }

    /// The snake_case name, as stored and shipped.
    pub fn as_str(&self) -> &str {
        match self {
            Category::Other(name) => name,
            named => NAMED
                .iter()
                .find(|(_, c)| c == named)
                .map_or("other", |(name, _)| name),
        }
    }

    /// The ECS `event.category` values this category belongs to.
    pub fn ecs_categories(&self) -> &'static [&'static str] {
        use Category::*;
        match self {
            MaliciousTraffic | SensitiveFileProbe | Scanner => &["intrusion_detection", "web"],
            RateLimited => &["network", "web"],
            AuthFailure | SshAuthFailure | FtpAuthFailure | MailAuthFailure | BruteForce
            | CredentialStuffing | BreachedPassword | NewIpLogin => &["authentication"],
            AccountChange => &["iam"],
            IpBanned | IpUnbanned => &["intrusion_detection", "network"],
            UpstreamDown | UpstreamError => &["network", "web"],
            CspViolation => &["web"],
            AppStart | AppExit | AppCrash | AppRestart | AppUnhealthy | CrashLoop => &["process"],
            VulnerableDependency => &["vulnerability", "package"],
            Other(_) => &["intrusion_detection"],
        }
    }
}

/// A category name was not snake_case (`[a-z0-9_]`, 1–64 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCategory(pub String);

impl fmt::Display for BadCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a category name (snake_case, 1-64 characters)",
            self.0
        )
    }
}

impl std::error::Error for BadCategory {}

impl FromStr for Category {
    type Err = BadCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((_, c)) = NAMED.iter().find(|(name, _)| *name == s) {
            return Ok(c.clone());
        }
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Category::Other(s.to_owned()))
        } else {
            Err(BadCategory(s.to_owned()))
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How urgent an event is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording, nothing to do.
    Info,
    /// Probably noise (a single probe).
    #[default]
    Low,
    /// Someone is trying something.
    Medium,
    /// An attack in progress, or an account at risk.
    High,
    /// Act now.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// ECS `event.severity` (0–100 style scale used by Elastic detection rules).
    pub fn ecs_score(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Low => 21,
            Severity::Medium => 47,
            Severity::High => 73,
            Severity::Critical => 99,
        }
    }

    /// The syslog severity (RFC 5424 section 6.2.1): 6 informational … 2 critical.
    pub fn syslog(self) -> u8 {
        match self {
            Severity::Info => 6,
            Severity::Low => 5,
            Severity::Medium => 4,
            Severity::High => 3,
            Severity::Critical => 2,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a severity (info, low, medium, high, critical)"))
    }
}

/// Unique, time-ordered event id (UUIDv7): sorts by time, and makes re-ingesting a spool
/// idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(uuid::Uuid);

impl EventId {
    /// A fresh id.
    pub fn generate() -> Self {
        EventId(uuid::Uuid::now_v7())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for EventId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s)
            .map(EventId)
            .map_err(|e| format!("`{s}` is not an event id: {e}"))
    }
}

/// Milliseconds since the Unix epoch: compact to store, and what SQLite indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// As a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0 as u64)
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-28T06:00:00.123Z`.
    pub fn rfc3339(self) -> String {
        humantime::format_rfc3339_millis(self.to_system_time()).to_string()
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

/// One security event.
///
/// Built with [`Event::new`] and the `with_*` methods; every field but id, time, category,
/// severity and message is optional, because a supervisor event has no request and an audit
/// event has no client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique, time-ordered id.
    pub id: EventId,
    /// When it happened.
    pub time: Timestamp,
    /// What kind of signal.
    pub category: Category,
    /// How urgent.
    pub severity: Severity,
    /// One line for humans.
    pub message: String,
    /// The client's address (after trusted-proxy resolution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<IpAddr>,
    /// The user, when known (login name, account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The request's `X-Request-Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The `Host` the client asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The request path (and query; redacted before storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Ids of the rules that fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The palisade instance that saw it (`--name`, or the host name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Anything else worth keeping (score, location, exit code, package…), flat strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl Event {
    /// A new event, stamped now with a fresh id.
    pub fn new(category: Category, severity: Severity, message: impl Into<String>) -> Self {
        Event {
            id: EventId::generate(),
            time: Timestamp::now(),
            category,
            severity,
            message: message.into(),
            source_ip: None,
            user: None,
            request_id: None,
            method: None,
            host: None,
            path: None,
            rules: Vec::new(),
            instance: None,
            fields: BTreeMap::new(),
        }
    }

    /// Sets the client address.
    pub fn with_source_ip(mut self, ip: IpAddr) -> Self {
        self.source_ip = Some(ip);
        self
    }

    /// Sets the user.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets request id, method, host and path at once.
    pub fn with_request(
        mut self,
        request_id: impl Into<String>,
        method: impl Into<String>,
        host: Option<String>,
        path: impl Into<String>,
    ) -> Self {
        self.request_id = Some(request_id.into());
        self.method = Some(method.into());
        self.host = host;
        self.path = Some(path.into());
        self
    }

    /// Adds a rule id.
    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rules.push(rule.into());
        self
    }

    /// Adds a free-form field.
    pub fn with_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }

    /// One line for a subject or a chat message:
    /// `[palisade] malicious_traffic (high) from 203.0.113.7: SQL injection in query`.
    pub fn title(&self) -> String {
        use std::fmt::Write as _;
        let mut title = format!("[palisade] {} ({})", self.category, self.severity);
        if let Some(ip) = self.source_ip {
            let _ = write!(title, " from {ip}");
        }
        if let Some(user) = &self.user {
            let _ = write!(title, " for {user}");
        }
        let _ = write!(title, ": {}", self.message);
        // One line, whatever the producer put in the message.
        title.replace(['\r', '\n'], " ")
    }

    /// The event as `key: value` lines for humans (mail bodies, alert texts).
    pub fn details(&self) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        let mut line = |k: &str, v: &str| {
            let _ = writeln!(text, "{k}: {v}");
        };
        line("time", &self.time.rfc3339());
        line("category", self.category.as_str());
        line("severity", self.severity.as_str());
        if let Some(ip) = self.source_ip {
            line("ip", &ip.to_string());
        }
        if let Some(u) = &self.user {
            line("user", u);
        }
        if let (Some(m), Some(p)) = (&self.method, &self.path) {
            line("request", &format!("{m} {p}"));
        }
        if let Some(h) = &self.host {
            line("host", h);
        }
        if !self.rules.is_empty() {
            line("rules", &self.rules.join(", "));
        }
        if let Some(id) = &self.request_id {
            line("request id", id);
        }
        if let Some(i) = &self.instance {
            line("instance", i);
        }
        for (k, v) in &self.fields {
            line(k, v);
        }
        line("event id", &self.id.to_string());
        text
    }

    /// The ECS rendering of this event, for `serde_json` and friends.
    pub fn ecs(&self) -> Ecs<'_> {
        Ecs(self)
    }
}

/// An [`Event`] rendered in the Elastic Common Schema (ECS 8): `@timestamp`, `event.*`,
/// `source.ip`, `user.name`, `url.path`, `http.request.*`, `rule.id`, `observer.name`, plus
/// palisade's own fields under `palisade.*`.
pub struct Ecs<'a>(&'a Event);

impl Serialize for Ecs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        struct Obj<'a>(Vec<(&'static str, Val<'a>)>);
        enum Val<'a> {
            Str(&'a str),
            Owned(String),
            Num(u64),
            List(Vec<&'a str>),
            Obj(Obj<'a>),
            Fields(&'a BTreeMap<String, String>),
        }
        impl Serialize for Obj<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in &self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        impl Serialize for Val<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    Val::Str(v) => s.serialize_str(v),
                    Val::Owned(v) => s.serialize_str(v),
                    Val::Num(n) => s.serialize_u64(*n),
                    Val::List(l) => l.serialize(s),
                    Val::Obj(o) => o.serialize(s),
                    Val::Fields(f) => f.serialize(s),
                }
            }
        }

        let e = self.0;
        let mut event = vec![
            ("id", Val::Owned(e.id.to_string())),
            ("kind", Val::Str("alert")),
            ("category", Val::List(e.category.ecs_categories().to_vec())),
            ("action", Val::Str(e.category.as_str())),
            ("severity", Val::Num(u64::from(e.severity.ecs_score()))),
            ("dataset", Val::Str("palisade.security")),
            ("module", Val::Str("palisade")),
        ];
        if let Some(outcome) = e.fields.get("outcome") {
            event.push(("outcome", Val::Str(outcome)));
        }
        let mut top = vec![
            ("@timestamp", Val::Owned(e.time.rfc3339())),
            ("message", Val::Str(&e.message)),
            ("ecs", Val::Obj(Obj(vec![("version", Val::Str("8.11.0"))]))),
            ("event", Val::Obj(Obj(event))),
            (
                "log",
                Val::Obj(Obj(vec![("level", Val::Str(e.severity.as_str()))])),
            ),
        ];
        if let Some(ip) = e.source_ip {
            top.push((
                "source",
                Val::Obj(Obj(vec![("ip", Val::Owned(ip.to_string()))])),
            ));
        }
        if let Some(user) = &e.user {
            top.push(("user", Val::Obj(Obj(vec![("name", Val::Str(user))]))));
        }
        let mut request = Vec::new();
        if let Some(id) = &e.request_id {
            request.push(("id", Val::Str(id)));
        }
        if let Some(method) = &e.method {
            request.push(("method", Val::Str(method)));
        }
        if !request.is_empty() {
            top.push((
                "http",
                Val::Obj(Obj(vec![("request", Val::Obj(Obj(request)))])),
            ));
        }
        let mut url = Vec::new();
        if let Some(host) = &e.host {
            url.push(("domain", Val::Str(host)));
        }
        if let Some(path) = &e.path {
            let (p, q) = path.split_once('?').unwrap_or((path, ""));
            url.push(("path", Val::Str(p)));
            if !q.is_empty() {
                url.push(("query", Val::Str(q)));
            }
            url.push(("original", Val::Str(path)));
        }
        if !url.is_empty() {
            top.push(("url", Val::Obj(Obj(url))));
        }
        if !e.rules.is_empty() {
            let ids = e.rules.iter().map(String::as_str).collect();
            top.push(("rule", Val::Obj(Obj(vec![("id", Val::List(ids))]))));
        }
        if let Some(instance) = &e.instance {
            top.push((
                "observer",
                Val::Obj(Obj(vec![
                    ("name", Val::Str(instance)),
                    ("product", Val::Str("palisade")),
                    ("vendor", Val::Str("palisade")),
                    ("type", Val::Str("waf")),
                ])),
            ));
        }
        let mut own = vec![
            ("category", Val::Str(e.category.as_str())),
            ("severity", Val::Str(e.severity.as_str())),
        ];
        if !e.fields.is_empty() {
            own.push(("fields", Val::Fields(&e.fields)));
        }
        top.push(("palisade", Val::Obj(Obj(own))));
        Obj(top).serialize(s)
    }
}

/// Hands events to the pipeline without waiting for any I/O: the guard calls this on its hot
/// path. Implementations must never block and never drop silently (spool, then count).
pub trait Emit: Send + Sync {
    /// Takes ownership of one event.
    fn emit(&self, event: Event);

    /// Takes one event and resolves once it is on disk (true), or could not be kept (false).
    /// For answers a producer gives itself — a block, a ban, an API call — so that whatever
    /// the client saw has its event stored even if the process is killed right after.
    fn emit_durable(&self, event: Event) -> DurableFuture {
        self.emit(event);
        Box::pin(std::future::ready(true))
    }
}

/// What [`Emit::emit_durable`] returns.
pub type DurableFuture = std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'static>>;

/// An [`Emit`] that discards everything: for tools run without an event store.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Emit for Discard {
    fn emit(&self, _event: Event) {}
}
