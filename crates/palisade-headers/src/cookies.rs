//! `Set-Cookie` hardening: `Secure`, `HttpOnly` and `SameSite` added to the app's cookies, and
//! the `__Host-`/`__Secure-` name prefixes repaired, without re-serialising the cookie.
//!
//! [`CookiesOptions`] is the `[headers.cookies]` table; [`CookiePolicy::from_options`]
//! validates it once; [`CookiePolicy::rewrite`] runs on every `Set-Cookie` header of a
//! response and says what it changed.
//!
//! # Rules
//!
//! - The cookie's own text is kept byte for byte, unknown attributes (`Priority`,
//!   `Partitioned`, …) included; missing attributes are appended. The `cookie` crate is not
//!   used because it parses into a struct and serialises it again, which drops the attributes
//!   it does not know and respells the others.
//! - An attribute the app already set (names compared ASCII case-insensitively, as browsers
//!   do) is the app's explicit choice and is kept, never duplicated. The one exception:
//!   `SameSite=None` without `Secure` gets `Secure` on HTTPS, since browsers reject it otherwise.
//! - `Secure` is added on HTTPS responses only: a Secure cookie set over plain HTTP is refused
//!   by browsers, so adding it there would break the site rather than protect it. For the same
//!   reason a configured `same_site = "none"` is not added over plain HTTP.
//! - Name prefixes are matched ASCII case-insensitively, as the user-agent algorithm of
//!   RFC 6265bis does ("Storing cookies", the steps rejecting `__Secure-` and `__Host-`
//!   cookies, case-insensitive since draft 11; Chromium and WebKit match so). The server-side
//!   section still asks servers to send the exact spelling, but what matters here is what a
//!   browser will refuse: it drops `__host-id` without `Secure` just as it drops `__Host-id`.
//!   On HTTPS, `__Secure-` gets `Secure`; `__Host-` also gets `Path=/` and loses `Domain`; the
//!   `__Http-`/`__Host-Http-` prefixes of later drafts (Chromium, WebKit) also get `HttpOnly`.
//!   Over plain HTTP they cannot be repaired and are reported as
//!   [`Change::SecurePrefixNeedsHttps`].
//! - A malformed header (control bytes, no `=` in the first pair, an empty name) is returned
//!   unchanged: browsers ignore it anyway, and a rewrite must never make matters worse.
//!
//! Deletion cookies (`Max-Age=0`, a past `Expires`) are hardened like any other: a browser
//! ignores a `__Host-` deletion that breaks the prefix rules, and the cookie would then never
//! be deleted.
//!
//! # Example
//!
//! ```
//! use palisade_headers::cookies::{Change, CookiePolicy, CookiesOptions, Rewrite, SameSite};
//!
//! let options: CookiesOptions = toml::from_str(r#"same_site = "strict""#)?;
//! let policy = CookiePolicy::from_options(&options)?;
//!
//! let Rewrite::Rewritten { value, changes } = policy.rewrite(b"sid=abc; Path=/; Priority=High", true)
//! else {
//!     panic!("not rewritten");
//! };
//! assert_eq!(value, "sid=abc; Path=/; Priority=High; Secure; HttpOnly; SameSite=Strict");
//! assert_eq!(
//!     changes,
//!     [Change::AddedSecure, Change::AddedHttpOnly, Change::AddedSameSite(SameSite::Strict)],
//! );
//!
//! // The app's own choice wins.
//! assert_eq!(
//!     policy.rewrite(b"sid=abc; secure; httponly; samesite=lax", true),
//!     Rewrite::Unchanged,
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! `Secure` keeps a session cookie off plain HTTP, `HttpOnly` keeps it from injected script,
//! `SameSite` stops it riding along on cross-site requests (CSRF). The anti-CSRF token cookies
//! that frameworks expect the page's script to read (`XSRF-TOKEN` of Angular and Laravel,
//! `csrftoken` of Django) are built-in exceptions without `HttpOnly`.

use std::collections::HashMap;
use std::fmt;

use http::HeaderValue;
use indexmap::IndexMap;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::PolicyError;

/// Cookies read by the page's own script, which `HttpOnly` would break: Angular's and
/// Laravel's `XSRF-TOKEN`, Django's `csrftoken`.
pub const SCRIPT_READABLE_COOKIES: &[&str] = &["XSRF-TOKEN", "csrftoken"];

/// `[headers.cookies]`: what to add to the app's `Set-Cookie` headers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CookiesOptions {
    /// Add `Secure` on HTTPS responses; default `true`.
    pub secure: bool,
    /// Add `HttpOnly`; default `true`.
    pub http_only: bool,
    /// Add `SameSite`; default `"lax"`; `false` adds none.
    pub same_site: SameSiteOption,
    /// Per-cookie exceptions, by exact (case-sensitive) cookie name.
    #[serde(
        deserialize_with = "deserialize_names",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub name: IndexMap<String, CookieException>,
}

impl Default for CookiesOptions {
    fn default() -> Self {
        Self {
            secure: true,
            http_only: true,
            same_site: SameSiteOption::Add(SameSite::Lax),
            name: IndexMap::new(),
        }
    }
}

/// `[headers.cookies.name."<cookie>"]`: the fields set here replace the global ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CookieException {
    /// Replaces [`CookiesOptions::secure`] for this cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Replaces [`CookiesOptions::http_only`] for this cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// Replaces [`CookiesOptions::same_site`] for this cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_site: Option<SameSiteOption>,
}

/// A `SameSite` attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`: never sent on cross-site requests.
    Strict,
    /// `SameSite=Lax`: sent on cross-site top-level navigations only.
    Lax,
    /// `SameSite=None`: always sent; browsers require `Secure` with it.
    None,
}

impl SameSite {
    /// As written in the attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }

    fn parse(value: &[u8]) -> Option<SameSite> {
        [SameSite::Strict, SameSite::Lax, SameSite::None]
            .into_iter()
            .find(|s| value.eq_ignore_ascii_case(s.as_str().as_bytes()))
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `same_site` option: `"strict"`, `"lax"`, `"none"`, or `false` to add nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSiteOption {
    /// `false`: add no `SameSite` attribute.
    Off,
    /// Add this value when the cookie has none.
    Add(SameSite),
}

impl SameSiteOption {
    fn value(self) -> Option<SameSite> {
        match self {
            SameSiteOption::Off => None,
            SameSiteOption::Add(s) => Some(s),
        }
    }
}

impl<'de> Deserialize<'de> for SameSiteOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SameSiteVisitor;

        impl Visitor<'_> for SameSiteVisitor {
            type Value = SameSiteOption;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""strict", "lax", "none" or `false`"#)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SameSiteOption, E> {
                if v {
                    Err(E::invalid_value(de::Unexpected::Bool(true), &self))
                } else {
                    Ok(SameSiteOption::Off)
                }
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SameSiteOption, E> {
                SameSite::parse(v.as_bytes())
                    .map(SameSiteOption::Add)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        deserializer.deserialize_any(SameSiteVisitor)
    }
}

impl Serialize for SameSiteOption {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SameSiteOption::Off => serializer.serialize_bool(false),
            SameSiteOption::Add(s) => serializer.serialize_str(&s.as_str().to_ascii_lowercase()),
        }
    }
}

/// RFC 6265 `token`: visible ASCII except the separators.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

fn not_a_token(name: &str) -> String {
    format!(
        "cookie name {name:?} is not an RFC 6265 token (no spaces, control characters or any of ()<>@,;:\\\"/[]?={{}})"
    )
}

// Checked while reading, so the error points at the key in the file; `from_options` checks
// again for maps built in code.
fn deserialize_names<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<IndexMap<String, CookieException>, D::Error> {
    let map = IndexMap::<String, CookieException>::deserialize(deserializer)?;
    if let Some(bad) = map.keys().find(|name| !is_token(name)) {
        return Err(de::Error::custom(not_a_token(bad)));
    }
    Ok(map)
}

/// What one cookie gets, the global options with its exception laid over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rules {
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

/// Which name prefix a cookie carries, and so what browsers demand of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prefix {
    secure: bool,
    host: bool,
    http_only: bool,
}

fn prefix_of(name: &[u8]) -> Prefix {
    let starts =
        |p: &str| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    let host = starts("__Host-");
    let http_only = starts("__Http-") || starts("__Host-Http-");
    Prefix {
        secure: host || http_only || starts("__Secure-"),
        host,
        http_only,
    }
}

/// The validated `[headers.cookies]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookiePolicy {
    defaults: Rules,
    names: HashMap<String, Rules>,
}

impl Default for CookiePolicy {
    fn default() -> Self {
        match Self::from_options(&CookiesOptions::default()) {
            Ok(policy) => policy,
            // The defaults are constants of this module; a test compiles them.
            Err(err) => unreachable!("default cookie options do not compile: {err}"),
        }
    }
}

impl CookiePolicy {
    /// Validates the options. Error paths are relative to the `cookies` table (e.g. `["name",
    /// "sid", "secure"]`); [`Policy::from_config`](crate::Policy::from_config) prefixes them.
    ///
    /// Errors: a name that is not an RFC 6265 token; `SameSite=None` without `Secure` (browsers
    /// reject such a cookie); `secure = false` for a `__Secure-`/`__Host-` name or
    /// `http_only = false` for a `__Http-` name (browsers reject those cookies too).
    pub fn from_options(options: &CookiesOptions) -> Result<CookiePolicy, PolicyError> {
        let defaults = Rules {
            secure: options.secure,
            http_only: options.http_only,
            same_site: options.same_site.value(),
        };
        if defaults.same_site == Some(SameSite::None) && !defaults.secure {
            return Err(PolicyError::new(
                ["same_site"],
                "same_site = \"none\" needs secure = true: browsers reject a SameSite=None cookie without Secure",
            ));
        }
        let mut names = HashMap::with_capacity(options.name.len() + SCRIPT_READABLE_COOKIES.len());
        for name in SCRIPT_READABLE_COOKIES {
            names.insert(
                (*name).to_owned(),
                Rules {
                    http_only: false,
                    ..defaults
                },
            );
        }
        for (name, exception) in &options.name {
            let at = |field: Option<&str>, message: String| {
                let mut path = vec!["name", name.as_str()];
                path.extend(field);
                PolicyError::new(path, message)
            };
            if !is_token(name) {
                return Err(at(None, not_a_token(name)));
            }
            // A built-in exception is a layer under the user's: setting only `same_site` for
            // XSRF-TOKEN must not silently make it unreadable to the page's script.
            let base = names.get(name).copied().unwrap_or(defaults);
            let rules = Rules {
                secure: exception.secure.unwrap_or(base.secure),
                http_only: exception.http_only.unwrap_or(base.http_only),
                same_site: exception
                    .same_site
                    .map_or(base.same_site, SameSiteOption::value),
            };
            let prefix = prefix_of(name.as_bytes());
            if prefix.secure && exception.secure == Some(false) {
                return Err(at(
                    Some("secure"),
                    format!(
                        "cookie {name:?} must be Secure: browsers reject a cookie with its name prefix otherwise"
                    ),
                ));
            }
            if prefix.http_only && exception.http_only == Some(false) {
                return Err(at(
                    Some("http_only"),
                    format!(
                        "cookie {name:?} must be HttpOnly: browsers reject a cookie with its name prefix otherwise"
                    ),
                ));
            }
            if rules.same_site == Some(SameSite::None) && !rules.secure && !prefix.secure {
                return Err(at(
                    None,
                    format!(
                        "cookie {name:?}: same_site = \"none\" needs secure = true: browsers reject a SameSite=None cookie without Secure"
                    ),
                ));
            }
            names.insert(name.clone(), rules);
        }
        Ok(CookiePolicy { defaults, names })
    }

    fn rules_for(&self, name: &[u8]) -> Rules {
        std::str::from_utf8(name)
            .ok()
            .and_then(|name| self.names.get(name))
            .copied()
            .unwrap_or(self.defaults)
    }

    /// Hardens one `Set-Cookie` header value; `https` says whether the response goes to the
    /// client over HTTPS.
    ///
    /// Linear in the input; a rewritten value is at most 48 bytes longer than the input.
    pub fn rewrite(&self, set_cookie: &[u8], https: bool) -> Rewrite {
        let Some(cookie) = Parsed::parse(set_cookie) else {
            return Rewrite::Unchanged;
        };
        let name = &set_cookie[cookie.name.0..cookie.name.1];
        let rules = self.rules_for(name);
        let prefix = prefix_of(name);
        let mut changes = Vec::new();
        let mut drop_path = false;
        let mut drop_domain = false;

        if https {
            if prefix.host && !cookie.root_path {
                drop_path = true;
                changes.push(Change::HostPrefixPathFixed);
            }
            if prefix.host && cookie.has_domain {
                drop_domain = true;
                changes.push(Change::HostPrefixDomainRemoved);
            }
        } else if prefix.secure && !cookie.secure {
            changes.push(Change::SecurePrefixNeedsHttps);
        }
        let added_same_site = match (cookie.same_site, rules.same_site) {
            (Some(_), _) | (None, None) => None,
            // Over plain HTTP it cannot have Secure, and without Secure browsers refuse it.
            (None, Some(SameSite::None)) if !https => None,
            (None, Some(value)) => Some(value),
        };
        let same_site_none = cookie.same_site == Some(Some(SameSite::None))
            || added_same_site == Some(SameSite::None);
        if !cookie.secure {
            if https && (rules.secure || prefix.secure || same_site_none) {
                changes.push(Change::AddedSecure);
            } else if !https && cookie.same_site == Some(Some(SameSite::None)) {
                changes.push(Change::SameSiteNoneNeedsHttps);
            }
        }
        if !cookie.http_only && (rules.http_only || prefix.http_only) {
            changes.push(Change::AddedHttpOnly);
        }
        if let Some(value) = added_same_site {
            changes.push(Change::AddedSameSite(value));
        }

        if !changes.iter().any(|c| !c.is_note()) {
            return if changes.is_empty() {
                Rewrite::Unchanged
            } else {
                Rewrite::Flagged(changes)
            };
        }
        let mut out = Vec::with_capacity(set_cookie.len() + MAX_GROWTH);
        let mut at = 0;
        for &(start, end, kind) in &cookie.scoped {
            let dropped = match kind {
                Scope::Path => drop_path,
                Scope::Domain => drop_domain,
            };
            if dropped {
                out.extend_from_slice(&set_cookie[at..start]);
                at = end;
            }
        }
        out.extend_from_slice(&set_cookie[at..]);
        // "a=b; " + "; Secure" would leave an empty attribute behind.
        while out.last().is_some_and(|b| matches!(b, b';' | b' ' | b'\t')) {
            out.pop();
        }
        for change in &changes {
            let attribute: &[u8] = match change {
                Change::HostPrefixPathFixed => b"; Path=/",
                Change::AddedSecure => b"; Secure",
                Change::AddedHttpOnly => b"; HttpOnly",
                Change::AddedSameSite(SameSite::Strict) => b"; SameSite=Strict",
                Change::AddedSameSite(SameSite::Lax) => b"; SameSite=Lax",
                Change::AddedSameSite(SameSite::None) => b"; SameSite=None",
                _ => continue,
            };
            out.extend_from_slice(attribute);
        }
        match HeaderValue::from_bytes(&out) {
            Ok(value) => Rewrite::Rewritten { value, changes },
            // The input had no control bytes and only ASCII was added, so this cannot fail;
            // if it ever did, the app's own header is the safe answer.
            Err(_) => Rewrite::Unchanged,
        }
    }
}

/// `; Path=/; Secure; HttpOnly; SameSite=Strict` is 42 bytes.
const MAX_GROWTH: usize = 48;

/// What [`CookiePolicy::rewrite`] did with one `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Rewrite {
    /// Nothing to add, or a header too malformed to touch: forward it as sent.
    Unchanged,
    /// Forward it as sent, but it has a problem that cannot be repaired on this response
    /// (only [notes](Change::is_note)).
    Flagged(Vec<Change>),
    /// Forward `value` instead.
    Rewritten {
        /// The hardened header value.
        value: HeaderValue,
        /// What was changed (and noted), in the order applied.
        changes: Vec<Change>,
    },
}

impl Rewrite {
    /// The changes and notes, empty when unchanged.
    pub fn changes(&self) -> &[Change] {
        match self {
            Rewrite::Unchanged => &[],
            Rewrite::Flagged(changes) | Rewrite::Rewritten { changes, .. } => changes,
        }
    }
}

/// One thing [`CookiePolicy::rewrite`] did, or noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// Appended `Secure`.
    AddedSecure,
    /// Appended `HttpOnly`.
    AddedHttpOnly,
    /// Appended `SameSite=…`.
    AddedSameSite(SameSite),
    /// A `__Host-` cookie without `Path=/`: its `Path` attributes were replaced by `Path=/`.
    HostPrefixPathFixed,
    /// A `__Host-` cookie with a `Domain` attribute: removed (the cookie becomes host-only).
    HostPrefixDomainRemoved,
    /// Note, nothing changed: a `__Secure-`/`__Host-` cookie sent over plain HTTP, which
    /// browsers reject; it works only over HTTPS.
    SecurePrefixNeedsHttps,
    /// Note, nothing changed: the app's `SameSite=None` cookie over plain HTTP cannot carry
    /// `Secure`, so browsers reject it.
    SameSiteNoneNeedsHttps,
}

impl Change {
    /// Whether this only notes a problem and leaves the header as it was.
    pub fn is_note(self) -> bool {
        matches!(
            self,
            Change::SecurePrefixNeedsHttps | Change::SameSiteNoneNeedsHttps
        )
    }

    /// A stable snake_case id, for events and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::AddedSecure => "added_secure",
            Change::AddedHttpOnly => "added_http_only",
            Change::AddedSameSite(SameSite::Strict) => "added_same_site_strict",
            Change::AddedSameSite(SameSite::Lax) => "added_same_site_lax",
            Change::AddedSameSite(SameSite::None) => "added_same_site_none",
            Change::HostPrefixPathFixed => "host_prefix_path_fixed",
            Change::HostPrefixDomainRemoved => "host_prefix_domain_removed",
            Change::SecurePrefixNeedsHttps => "secure_prefix_needs_https",
            Change::SameSiteNoneNeedsHttps => "same_site_none_needs_https",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddedSecure => f.write_str("added Secure"),
            Change::AddedHttpOnly => f.write_str("added HttpOnly"),
            Change::AddedSameSite(value) => write!(f, "added SameSite={value}"),
            Change::HostPrefixPathFixed => f.write_str("__Host- cookie: set Path=/"),
            Change::HostPrefixDomainRemoved => f.write_str("__Host- cookie: removed Domain"),
            Change::SecurePrefixNeedsHttps => {
                f.write_str("prefixed cookie over plain HTTP: browsers reject it")
            }
            Change::SameSiteNoneNeedsHttps => {
                f.write_str("SameSite=None cookie over plain HTTP: browsers reject it")
            }
        }
    }
}

/// `Path` and `Domain` attributes, which a `__Host-` repair may drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Path,
    Domain,
}

/// What the hardening needs to know about a `Set-Cookie` value, as byte ranges into it.
#[derive(Debug)]
struct Parsed {
    name: (usize, usize),
    secure: bool,
    http_only: bool,
    /// `Some(None)`: a `SameSite` attribute with a value browsers do not know; still the
    /// app's choice.
    same_site: Option<Option<SameSite>>,
    has_domain: bool,
    /// The last `Path` attribute (the one browsers use) is `/`.
    root_path: bool,
    /// `(start, end, kind)`: from the `;` before the attribute to its end.
    scoped: Vec<(usize, usize, Scope)>,
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(bytes: &[u8], start: usize, end: usize) -> (usize, usize) {
    let mut s = start;
    let mut e = end;
    while s < e && is_wsp(bytes[s]) {
        s += 1;
    }
    while e > s && is_wsp(bytes[e - 1]) {
        e -= 1;
    }
    (s, e)
}

impl Parsed {
    /// RFC 6265bis "parse a Set-Cookie header", keeping only what the hardening needs.
    fn parse(input: &[u8]) -> Option<Parsed> {
        // Controls other than HTAB make browsers ignore the whole header.
        if input.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return None;
        }
        let first_end = input.iter().position(|&b| b == b';').unwrap_or(input.len());
        let eq = input[..first_end].iter().position(|&b| b == b'=')?;
        let name = trim(input, 0, eq);
        if name.0 == name.1 {
            return None;
        }
        let mut parsed = Parsed {
            name,
            secure: false,
            http_only: false,
            same_site: None,
            has_domain: false,
            root_path: false,
            scoped: Vec::new(),
        };
        let mut pos = first_end;
        while pos < input.len() {
            let end = input[pos + 1..]
                .iter()
                .position(|&b| b == b';')
                .map_or(input.len(), |i| pos + 1 + i);
            let (key, value) = match input[pos + 1..end].iter().position(|&b| b == b'=') {
                Some(i) => (
                    trim(input, pos + 1, pos + 1 + i),
                    trim(input, pos + 2 + i, end),
                ),
                None => (trim(input, pos + 1, end), (end, end)),
            };
            let key = &input[key.0..key.1];
            let value = &input[value.0..value.1];
            if key.eq_ignore_ascii_case(b"secure") {
                parsed.secure = true;
            } else if key.eq_ignore_ascii_case(b"httponly") {
                parsed.http_only = true;
            } else if key.eq_ignore_ascii_case(b"samesite") {
                parsed.same_site = Some(SameSite::parse(value));
            } else if key.eq_ignore_ascii_case(b"path") {
                parsed.root_path = value == b"/";
                parsed.scoped.push((pos, end, Scope::Path));
            } else if key.eq_ignore_ascii_case(b"domain") {
                parsed.has_domain = true;
                parsed.scoped.push((pos, end, Scope::Domain));
            }
            pos = end;
        }
        Some(parsed)
    }
}
