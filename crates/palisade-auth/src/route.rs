//! Login and account-change routes: which requests are logins, who is logging in, and whether
//! the app said yes.
//!
//! The guard calls [`Routes::login`] in its request phase, [`LoginRoute::extract`] once the
//! body is in, and [`LoginRoute::outcome`] in its response phase.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method, StatusCode, header::LOCATION};
use serde::{Deserialize, Serialize};

use crate::secret::Password;
use crate::selector::{RequestView, Selector};

/// How usernames are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameCase {
    /// Trimmed and lowercased (`Alice@Example.com` and `alice@example.com` are one user).
    Lower,
    /// Trimmed only.
    Exact,
}

/// How usernames are normalised before they are counted or stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernamePolicy {
    /// Case folding.
    pub case: UsernameCase,
    /// Longer names are cut at a character boundary (bounds memory per entry).
    pub max_bytes: usize,
}

impl Default for UsernamePolicy {
    fn default() -> Self {
        UsernamePolicy {
            case: UsernameCase::Lower,
            max_bytes: 256,
        }
    }
}

impl UsernamePolicy {
    /// The normal form of a typed username; `None` when nothing is left.
    pub fn normalise(&self, raw: &str) -> Option<String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        let mut name = match self.case {
            UsernameCase::Lower => trimmed.to_lowercase(),
            UsernameCase::Exact => trimmed.to_owned(),
        };
        if name.len() > self.max_bytes {
            let mut cut = self.max_bytes;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
        }
        Some(name)
    }
}

/// What an account-change route changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The account's email.
    Email,
    /// The password.
    Password,
    /// Multi-factor settings.
    Mfa,
    /// Other profile data.
    Profile,
}

impl ChangeKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Email => "email",
            ChangeKind::Password => "password",
            ChangeKind::Mfa => "mfa",
            ChangeKind::Profile => "profile",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => ChangeKind::Email,
            "password" => ChangeKind::Password,
            "mfa" => ChangeKind::Mfa,
            "profile" => ChangeKind::Profile,
            _ => return None,
        })
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the app answered a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The credentials were accepted.
    Success,
    /// The credentials were refused.
    Failure,
    /// Neither (an error page, a rate limit, a `failure` rule that did not match): not counted.
    Unknown,
}

/// When a response means success. All given conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SuccessRule {
    /// Accepted statuses; empty: any 2xx or 3xx.
    pub status: Vec<StatusCode>,
    /// A `Location` starting with this is not a success.
    pub location_not: Option<String>,
    /// A body containing this is not a success.
    pub body_not_contains: Option<Vec<u8>>,
}

impl SuccessRule {
    /// True when the rule looks at the response body: the guard must then collect it (up to a
    /// limit) and call [`LoginRoute::outcome_with_body`].
    pub fn needs_body(&self) -> bool {
        self.body_not_contains.is_some()
    }

    fn matches(&self, status: StatusCode, headers: &HeaderMap, body: Option<&[u8]>) -> bool {
        let status_ok = if self.status.is_empty() {
            status.is_success() || status.is_redirection()
        } else {
            self.status.contains(&status)
        };
        if !status_ok {
            return false;
        }
        if let Some(prefix) = &self.location_not
            && location(headers).is_some_and(|l| l.starts_with(prefix.as_str()))
        {
            return false;
        }
        if let (Some(needle), Some(body)) = (&self.body_not_contains, body)
            && contains(body, needle)
        {
            return false;
        }
        true
    }
}

/// When a response means failure (when configured; otherwise failure is "not success").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailureRule {
    /// Statuses meaning failure.
    pub status: Vec<StatusCode>,
    /// A `Location` starting with this means failure.
    pub location: Option<String>,
}

impl FailureRule {
    fn matches(&self, status: StatusCode, headers: &HeaderMap) -> bool {
        self.status.contains(&status)
            || self
                .location
                .as_deref()
                .is_some_and(|p| location(headers).is_some_and(|l| l.starts_with(p)))
    }
}

fn location(headers: &HeaderMap) -> Option<&str> {
    headers.get(LOCATION).and_then(|v| v.to_str().ok())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A validated `[[auth.login]]` route.
#[derive(Debug, Clone)]
pub struct LoginRoute {
    /// Name used in events.
    pub name: Arc<str>,
    /// Method.
    pub method: Method,
    /// Normalised path.
    pub path: String,
    /// Username selector.
    pub username: Selector,
    /// Password selector.
    pub password: Option<Selector>,
    /// Email selector.
    pub email: Option<Selector>,
    /// Success rule.
    pub success: SuccessRule,
    /// Failure rule (`None`: failure = not success).
    pub failure: Option<FailureRule>,
    /// Username normalisation.
    pub usernames: UsernamePolicy,
}

/// One login attempt, as read from the request. Debug never shows the password.
#[derive(Debug)]
pub struct Attempt {
    /// The route's name (`"api"` for attempts reported through the admin API).
    pub route: Arc<str>,
    /// The normalised username.
    pub username: String,
    /// The password, when the route names one and the request carried it.
    pub password: Option<Password>,
    /// The user's email, when known (the username is one, or the route's `email` selector).
    pub email: Option<String>,
    /// How many times the password appears in the breach corpus, once checked
    /// ([`Attempt::set_breach_count`]).
    pub breach_count: Option<u64>,
}

impl Attempt {
    /// An attempt without a password (reported by the app, or read from a log).
    pub fn reported(route: &str, username: String, email: Option<String>) -> Self {
        let email = email.or_else(|| looks_like_email(&username).then(|| username.clone()));
        Attempt {
            route: Arc::from(route),
            username,
            password: None,
            email,
            breach_count: None,
        }
    }

    /// Records the result of the breached-password check, and drops the password: nothing
    /// after the check needs it.
    pub fn set_breach_count(&mut self, count: u64) {
        self.breach_count = Some(count);
        self.password = None;
    }
}

/// True for `local@domain.tld`-shaped strings (no whitespace, one `@`, a dot in the domain).
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.len() <= 254
}

impl LoginRoute {
    /// True when a request with this method and target (path, optionally with a query) is this
    /// route's.
    pub fn matches(&self, method: &Method, target: &str) -> bool {
        *method == self.method && normalise_path(split_query(target).0) == self.path
    }

    /// Reads the attempt from a request: `None` when the request is not this route's or names
    /// no username.
    pub fn extract(
        &self,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Attempt> {
        if !self.matches(method, target) {
            return None;
        }
        let (_, query) = split_query(target);
        let mut view = RequestView::new(query, headers, body);
        let email = match &self.email {
            Some(sel) => view.get(sel).filter(|e| looks_like_email(e.trim())),
            None => None,
        };
        let raw_user = view.get(&self.username)?;
        let username = self.usernames.normalise(&raw_user)?;
        let password = self
            .password
            .as_ref()
            .and_then(|sel| view.take(sel))
            .map(Password::from);
        let email = email
            .map(|e| e.trim().to_lowercase())
            .or_else(|| looks_like_email(&username).then(|| username.clone()));
        Some(Attempt {
            route: self.name.clone(),
            username,
            password,
            email,
            breach_count: None,
        })
    }

    /// The outcome from status and headers (a `body_not_contains` rule is not applied).
    pub fn outcome(&self, status: StatusCode, headers: &HeaderMap) -> Outcome {
        self.decide(status, headers, None)
    }

    /// The outcome from status, headers and the (possibly truncated) response body.
    pub fn outcome_with_body(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Outcome {
        self.decide(status, headers, Some(body))
    }

    fn decide(&self, status: StatusCode, headers: &HeaderMap, body: Option<&[u8]>) -> Outcome {
        if self.success.matches(status, headers, body) {
            return Outcome::Success;
        }
        match &self.failure {
            None => Outcome::Failure,
            Some(rule) if rule.matches(status, headers) => Outcome::Failure,
            Some(_) => Outcome::Unknown,
        }
    }
}

/// A validated `[[auth.account_change]]` route.
#[derive(Debug, Clone)]
pub struct AccountChangeRoute {
    /// Method.
    pub method: Method,
    /// Normalised path.
    pub path: String,
    /// What changes.
    pub kind: ChangeKind,
    /// Where the acting user is named.
    pub user: Option<Selector>,
    /// What a successful change looks like.
    pub success: SuccessRule,
    /// Username normalisation.
    pub usernames: UsernamePolicy,
}

impl AccountChangeRoute {
    /// True when the request is this route's.
    pub fn matches(&self, method: &Method, target: &str) -> bool {
        *method == self.method && normalise_path(split_query(target).0) == self.path
    }

    /// The acting user named in the request, if the route has a `user` selector.
    pub fn user(&self, target: &str, headers: &HeaderMap, body: &[u8]) -> Option<String> {
        let sel = self.user.as_ref()?;
        let (_, query) = split_query(target);
        let raw = RequestView::new(query, headers, body).get(sel)?;
        self.usernames.normalise(&raw)
    }

    /// True when the app accepted the change.
    pub fn succeeded(&self, status: StatusCode, headers: &HeaderMap) -> bool {
        self.success.matches(status, headers, None)
    }
}

/// All configured routes.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// Login routes, in config order.
    pub login: Vec<LoginRoute>,
    /// Account-change routes, in config order.
    pub account_change: Vec<AccountChangeRoute>,
}

impl Routes {
    /// The login route for a request, if any (first match in config order).
    pub fn login(&self, method: &Method, target: &str) -> Option<&LoginRoute> {
        if self.login.is_empty() {
            return None;
        }
        let path = normalise_path(split_query(target).0);
        self.login
            .iter()
            .find(|r| r.method == *method && r.path == path)
    }

    /// The account-change route for a request, if any.
    pub fn account_change(&self, method: &Method, target: &str) -> Option<&AccountChangeRoute> {
        if self.account_change.is_empty() {
            return None;
        }
        let path = normalise_path(split_query(target).0);
        self.account_change
            .iter()
            .find(|r| r.method == *method && r.path == path)
    }
}

fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

/// The form paths are compared in: percent-encoded unreserved characters decoded, repeated
/// slashes collapsed, a trailing slash dropped. `/Login` stays distinct from `/login`.
///
/// # Security
///
/// Without this, `//login`, `/login/` or `/%6Cogin` — which many apps route to the same
/// handler — would slip past the monitor.
pub fn normalise_path(path: &str) -> Cow<'_, str> {
    let clean =
        !path.contains('%') && !path.contains("//") && (path.len() <= 1 || !path.ends_with('/'));
    if clean {
        return Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                let c = (h * 16 + l) as u8;
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                    out.push(c as char);
                    i += 3;
                    continue;
                }
                // Keep other escapes, in upper case so `%2f` and `%2F` compare equal.
                out.push('%');
                out.push(bytes[i + 1].to_ascii_uppercase() as char);
                out.push(bytes[i + 2].to_ascii_uppercase() as char);
                i += 3;
                continue;
            }
        }
        if b == b'/' && out.ends_with('/') {
            i += 1;
            continue;
        }
        // Push the whole UTF-8 character starting here.
        let ch_len = path[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&path[i..i + ch_len]);
        i += ch_len;
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise() {
        assert_eq!(normalise_path("/login"), "/login");
        assert_eq!(normalise_path("//login/"), "/login");
        assert_eq!(normalise_path("/%6Cogin"), "/login");
        assert_eq!(normalise_path("/a%2fb"), "/a%2Fb");
        assert_eq!(normalise_path("/"), "/");
        assert_eq!(normalise_path("/é//x%"), "/é/x%");
    }

    #[test]
    fn usernames_normalise() {
        let p = UsernamePolicy {
            case: UsernameCase::Lower,
            max_bytes: 5,
        };
        assert_eq!(p.normalise("  AbC "), Some("abc".into()));
        assert_eq!(p.normalise("ééé"), Some("éé".into()));
        assert_eq!(p.normalise("   "), None);
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("alice"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@c.d"));
        assert!(!looks_like_email("@c.d"));
    }
}
