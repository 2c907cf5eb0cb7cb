//! The compiled policy: header sets ready to apply, picked per request path.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::compile::compile_set;
use crate::config::{HeadersConfig, check_prefix};
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

/// A validated config: the base header set and one set per path override.
#[derive(Debug, Clone)]
pub struct Policy {
    base: HeaderSet,
    overrides: Vec<(String, HeaderSet)>,
    /// Each override's prefix normalised once, as `select` compares it (same order).
    matchers: Vec<String>,
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
        let base = compile_set(cfg)?;
        let mut overrides: Vec<(String, HeaderSet)> = Vec::with_capacity(cfg.path.len());
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
            let set = compile_set(&over.merged_over(cfg)).map_err(at)?;
            overrides.push((over.path.clone(), set));
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

    /// The set for a request path: the longest matching override prefix, else the base.
    ///
    /// Prefixes match whole segments: `/admin` covers `/admin` and `/admin/x`, not `/adminx`.
    /// Both sides are compared normalised (percent-decoded, `//`, `.` and `..` resolved,
    /// ASCII case folded), so `/Admin` or `/%61dmin` cannot dodge an override.
    pub fn for_path(&self, path: &str) -> &HeaderSet {
        self.set(self.select(path))
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

    pub(crate) fn set(&self, selected: Option<usize>) -> &HeaderSet {
        selected
            .and_then(|i| self.overrides.get(i))
            .map_or(&self.base, |(_, set)| set)
    }

    /// The base set.
    pub fn base(&self) -> &HeaderSet {
        &self.base
    }

    /// `(prefix, set)` for each path override, in config order.
    pub fn overrides(&self) -> impl Iterator<Item = (&str, &HeaderSet)> {
        self.overrides.iter().map(|(p, s)| (p.as_str(), s))
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
    upstream: UpstreamPolicy,
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
        upstream: UpstreamPolicy,
    ) -> Self {
        Self {
            headers,
            removes,
            nonce,
            upstream,
        }
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

    /// What happens to headers the upstream already sent.
    pub fn upstream_policy(&self) -> UpstreamPolicy {
        self.upstream
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
            if self.upstream == UpstreamPolicy::Keep && headers.contains_key(name) {
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
