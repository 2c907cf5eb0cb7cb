//! The compiled policy: header sets ready to apply, picked per request path.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::compile::compile_set;
use crate::config::{HeadersConfig, NonceMode, check_prefix};
use crate::cookies::CookiePolicy;
use crate::error::PolicyError;
use crate::nonce::CspNonce;

/// What to do when the upstream response already carries a header the set would add.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamPolicy {
    /// Leave the upstream's header as sent: the application knows its pages best.
    #[default]
    Keep,
    /// Replace it with palisade's.
    Override,
}

/// A validated config: the base header sets and the sets of each path override.
#[derive(Debug, Clone)]
pub struct Policy {
    base: Sets,
    overrides: Vec<(String, Sets)>,
    /// Each override's prefix normalised once, as `select` compares it (same order).
    matchers: Vec<String>,
}

/// One table compiled twice: for responses over HTTPS and over plain HTTP (identical unless
/// `tls_aware`).
#[derive(Debug, Clone)]
struct Sets {
    https: HeaderSet,
    http: HeaderSet,
}

impl Sets {
    fn compile(cfg: &HeadersConfig) -> Result<Sets, PolicyError> {
        Ok(Sets {
            https: compile_set(cfg, false)?,
            http: compile_set(cfg, true)?,
        })
    }

    fn get(&self, https: bool) -> &HeaderSet {
        if https { &self.https } else { &self.http }
    }
}

impl Policy {
    /// Helmet 8 defaults, no path overrides.
    pub fn helmet_defaults() -> Policy {
        match Self::from_config(&HeadersConfig::default()) {
            Ok(policy) => policy,
            // The defaults are constants of this crate; a test compiles them.
            Err(err) => unreachable!("helmet defaults do not compile: {err}"),
        }
    }

    /// Validates `cfg` and compiles it. Errors carry the key path inside `HeadersConfig`.
    pub fn from_config(cfg: &HeadersConfig) -> Result<Policy, PolicyError> {
        let base = Sets::compile(cfg)?;
        let mut overrides: Vec<(String, Sets)> = Vec::with_capacity(cfg.path.len());
        for (i, over) in cfg.path.iter().enumerate() {
            let at = |err: PolicyError| err.within(["path".to_owned(), i.to_string()]);
            check_prefix(&over.path).map_err(|m| at(PolicyError::new(["path"], m)))?;
            // Compared as matched: `/Admin` and `/admin` are one prefix, and the later
            // one would silently shadow the other.
            let normal = crate::path::normalize(&over.path);
            if let Some((first, _)) = overrides
                .iter()
                .find(|(prefix, _)| crate::path::normalize(prefix) == normal)
            {
                let message = format!(
                    "path override {:?} is given twice (as {first:?} and {:?}: paths are matched \
                     case-insensitively and normalised)",
                    over.path, over.path
                );
                return Err(at(PolicyError::new(["path"], message)));
            }
            let sets = Sets::compile(&over.merged_over(cfg)).map_err(at)?;
            overrides.push((over.path.clone(), sets));
        }
        let matchers = overrides
            .iter()
            .map(|(prefix, _)| crate::path::normalize(prefix))
            .collect();
        Ok(Policy {
            base,
            overrides,
            matchers,
        })
    }

    /// The HTTPS set for a request path: the longest matching override prefix, else the base.
    ///
    /// Prefixes match whole segments: `/admin` covers `/admin` and `/admin/x`, not `/adminx`.
    /// Both sides are compared normalised (percent-decoded, `//`, `.` and `..` resolved,
    /// ASCII case folded), so `/Admin` or `/%61dmin` cannot dodge an override.
    pub fn for_path(&self, path: &str) -> &HeaderSet {
        self.set(self.select(path), true)
    }

    /// The set for a request path and the scheme the client used (see
    /// [`for_path`](Self::for_path)). `https` is whether the client's connection is HTTPS.
    pub fn for_request(&self, path: &str, https: bool) -> &HeaderSet {
        self.set(self.select(path), https)
    }

    /// Which set `for_path` picks: `None` for the base, else an override index. Lets the tower
    /// service carry the choice across an `.await` without cloning the set.
    pub(crate) fn select(&self, path: &str) -> Option<usize> {
        if self.overrides.is_empty() {
            return None;
        }
        let path = crate::path::normalize(path);
        self.matchers
            .iter()
            .enumerate()
            .filter(|(_, prefix)| prefix_matches(prefix, &path))
            .max_by_key(|(_, prefix)| prefix.len())
            .map(|(i, _)| i)
    }

    pub(crate) fn set(&self, selected: Option<usize>, https: bool) -> &HeaderSet {
        selected
            .and_then(|i| self.overrides.get(i))
            .map_or(&self.base, |(_, sets)| sets)
            .get(https)
    }

    /// The base set for HTTPS responses.
    pub fn base(&self) -> &HeaderSet {
        &self.base.https
    }

    /// The base set for responses over plain HTTP.
    pub fn base_http(&self) -> &HeaderSet {
        &self.base.http
    }

    /// `(prefix, HTTPS set, plain-HTTP set)` for each path override, in config order.
    pub fn overrides(&self) -> impl Iterator<Item = (&str, &HeaderSet, &HeaderSet)> {
        self.overrides
            .iter()
            .map(|(p, s)| (p.as_str(), &s.https, &s.http))
    }

    /// Whether any set collects CSP reports (the guard then answers
    /// [`CSP_REPORT_PATH`](crate::CSP_REPORT_PATH)).
    pub fn collects_csp_reports(&self) -> bool {
        self.base.https.csp_report() || self.overrides.iter().any(|(_, s)| s.https.csp_report())
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'))
}

/// The headers for one response: what to add, in helmet's order, and what to remove.
#[derive(Debug, Clone)]
pub struct HeaderSet {
    headers: Vec<(HeaderName, HeaderValue)>,
    removes: Vec<HeaderName>,
    nonce: Option<NonceCsp>,
    extras: Extras,
    cookies: Option<Arc<CookiePolicy>>,
}

/// What a set asks of the proxy beyond headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extras {
    pub(crate) upstream: UpstreamPolicy,
    pub(crate) nonce_mode: NonceMode,
    pub(crate) report: bool,
    pub(crate) scrub_errors: bool,
}

/// Where the CSP sits in `headers`, and its value cut at the nonce slots.
#[derive(Debug, Clone)]
pub(crate) struct NonceCsp {
    pub(crate) index: usize,
    pub(crate) parts: Vec<String>,
}

impl HeaderSet {
    pub(crate) fn new(
        headers: Vec<(HeaderName, HeaderValue)>,
        removes: Vec<HeaderName>,
        nonce: Option<NonceCsp>,
        extras: Extras,
        cookies: Option<Arc<CookiePolicy>>,
    ) -> Self {
        Self {
            headers,
            removes,
            nonce,
            extras,
            cookies,
        }
    }

    /// How the app's `Set-Cookie` headers are hardened; `None` when `cookies = false`.
    pub fn cookies(&self) -> Option<&CookiePolicy> {
        self.cookies.as_deref()
    }

    /// Headers to add, in helmet's order. A nonce-carrying CSP appears without its nonce.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// Response headers to remove (`X-Powered-By` by default; `Server` with `remove_server`).
    pub fn removes(&self) -> &[HeaderName] {
        &self.removes
    }

    /// Whether the CSP wants a per-response nonce.
    pub fn wants_nonce(&self) -> bool {
        self.nonce.is_some()
    }

    /// How the nonce reaches pages (`Off` when [`wants_nonce`](Self::wants_nonce) is false).
    pub fn nonce_mode(&self) -> NonceMode {
        self.extras.nonce_mode
    }

    /// What happens to headers the upstream already sent.
    pub fn upstream_policy(&self) -> UpstreamPolicy {
        self.extras.upstream
    }

    /// Whether the CSP points violation reports at the guard.
    pub fn csp_report(&self) -> bool {
        self.extras.report
    }

    /// Whether the upstream's 5xx pages are replaced.
    pub fn scrub_errors(&self) -> bool {
        self.extras.scrub_errors
    }

    /// Applies the set to a response's headers.
    ///
    /// `nonce` should be `Some` when [`wants_nonce`](Self::wants_nonce); without one the CSP is
    /// sent without a nonce source, which is stricter, never looser. A header already present
    /// is left alone under [`UpstreamPolicy::Keep`] and replaced under
    /// [`UpstreamPolicy::Override`]; removals happen either way.
    pub fn apply(&self, headers: &mut HeaderMap, nonce: Option<&CspNonce>) {
        self.apply_with(headers, nonce, |_, _| {});
    }

    /// Same as [`apply`](Self::apply), and returns the `(name, value)` pairs it added, for display.
    pub fn apply_report(
        &self,
        headers: &mut HeaderMap,
        nonce: Option<&CspNonce>,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let mut added = Vec::with_capacity(self.headers.len());
        self.apply_with(headers, nonce, |name, value| {
            added.push((name.clone(), value.clone()));
        });
        added
    }

    fn apply_with(
        &self,
        headers: &mut HeaderMap,
        nonce: Option<&CspNonce>,
        mut added: impl FnMut(&HeaderName, &HeaderValue),
    ) {
        for name in &self.removes {
            headers.remove(name);
        }
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if self.extras.upstream == UpstreamPolicy::Keep && headers.contains_key(name) {
                continue;
            }
            let value = match (&self.nonce, nonce) {
                (Some(slot), Some(nonce)) if slot.index == i => {
                    with_nonce(&slot.parts, nonce).unwrap_or_else(|| value.clone())
                }
                _ => value.clone(),
            };
            added(name, &value);
            headers.insert(name.clone(), value);
        }
    }
}

fn with_nonce(parts: &[String], nonce: &CspNonce) -> Option<HeaderValue> {
    // A CspNonce is base64, so this only fails if that invariant is ever broken; the plain
    // policy is then the safe fallback.
    HeaderValue::try_from(parts.join(nonce.as_str())).ok()
}
