//! Validation of [`DetectConfig`] and compiled exclusions.

use crate::families::sensitive;
use crate::location::LocRef;
use crate::rules::{RuleInfo, glob_matches, rules};
use crate::{ConfigError, DetectConfig};

/// A location selector of an exclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    Query(String),
    Form(String),
    Json(String),
    Header(String),
    Cookie(String),
    Multipart(String),
    Path,
    Body,
    Request,
}

impl Selector {
    fn parse(s: &str) -> Result<Self, String> {
        let (kind, name) = match s.split_once(':') {
            Some((k, n)) => (k, Some(n)),
            None => (s, None),
        };
        let need = |n: Option<&str>| match n {
            Some(n) if !n.is_empty() => Ok(n.to_owned()),
            _ => Err(format!("`{kind}:` needs a name, e.g. `{kind}:id`")),
        };
        match (kind, name) {
            ("path", None) => Ok(Self::Path),
            ("body", None) => Ok(Self::Body),
            ("request", None) => Ok(Self::Request),
            ("path" | "body" | "request", Some(_)) => Err(format!("`{kind}` takes no name")),
            ("query", n) => need(n).map(Self::Query),
            ("form", n) => need(n).map(Self::Form),
            ("cookie", n) => need(n).map(Self::Cookie),
            ("multipart", n) => need(n).map(Self::Multipart),
            ("header", n) => need(n).map(|n| Self::Header(n.to_ascii_lowercase())),
            ("json", n) => {
                let p = need(n)?;
                if !p.starts_with('/') {
                    return Err("a JSON pointer starts with `/`, e.g. `json:/body`".into());
                }
                Ok(Self::Json(p.trim_end_matches('/').to_owned()))
            }
            _ => Err(format!(
                "unknown location kind `{kind}` (expected query, form, json, header, cookie, multipart, path, body)"
            )),
        }
    }

    /// Whether a finding at `loc` is selected. JSON pointers select their subtree.
    pub(crate) fn matches(&self, loc: LocRef<'_>) -> bool {
        match (self, loc) {
            (Self::Query(n), LocRef::Query(l) | LocRef::QueryName(l)) => n == l,
            (Self::Form(n), LocRef::Form(l)) => n == l,
            (Self::Cookie(n), LocRef::Cookie(l)) => n == l,
            (Self::Multipart(n), LocRef::Multipart(l) | LocRef::Filename(l)) => n == l,
            (Self::Header(n), LocRef::Header(l)) => n.eq_ignore_ascii_case(l),
            (Self::Json(p), LocRef::Json(l)) => {
                p.is_empty()
                    || l == p
                    || (l.starts_with(p.as_str()) && l.as_bytes().get(p.len()) == Some(&b'/'))
            }
            (Self::Path, LocRef::Path)
            | (Self::Body, LocRef::Body)
            | (Self::Request, LocRef::Request) => true,
            _ => false,
        }
    }
}

/// An exclusion ready to apply.
#[derive(Debug, Clone)]
pub(crate) struct CompiledExclusion {
    /// Lower-cased path prefix.
    pub path: Option<String>,
    pub location: Option<Selector>,
    pub rules: Vec<String>,
}

impl CompiledExclusion {
    /// Whether it applies to a request whose normalised path is `path`.
    pub(crate) fn applies_to_path(&self, path: &str) -> bool {
        let Some(prefix) = &self.path else {
            return true;
        };
        let prefix = prefix.trim_end_matches('/');
        prefix.is_empty()
            || path == prefix
            || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
    }

    /// Whether it drops a finding of `rule` at `loc` (path already checked).
    pub(crate) fn drops(&self, rule: &RuleInfo, loc: LocRef<'_>) -> bool {
        self.location.as_ref().is_none_or(|s| s.matches(loc))
            && (self.rules.is_empty() || self.rules.iter().any(|p| glob_matches(p, rule.id)))
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

/// Validates `c`; returns the compiled exclusions.
pub(crate) fn validate(c: &DetectConfig) -> Result<Vec<CompiledExclusion>, ConfigError> {
    if !(1..=4).contains(&c.paranoia) {
        return Err(err(
            "paranoia",
            format!("must be 1 to 4, got {}", c.paranoia),
        ));
    }
    if c.threshold < 1 {
        return Err(err("threshold", "must be at least 1"));
    }
    for (i, h) in c.extra_headers.iter().enumerate() {
        let ok = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(err(
                format!("extra_headers[{i}]"),
                format!("`{h}` is not a lower-case header name"),
            ));
        }
    }
    for (i, p) in c.sensitive_paths.iter().enumerate() {
        sensitive::validate_entry(p).map_err(|m| err(format!("sensitive_paths[{i}]"), m))?;
    }
    let mut out = Vec::with_capacity(c.exclusions.len());
    for (i, ex) in c.exclusions.iter().enumerate() {
        if let Some(p) = ex.path.as_ref().filter(|p| !p.starts_with('/')) {
            return Err(err(
                format!("exclusions[{i}].path"),
                format!("`{p}` must start with `/`"),
            ));
        }
        let location = match &ex.location {
            Some(s) => {
                Some(Selector::parse(s).map_err(|m| err(format!("exclusions[{i}].location"), m))?)
            }
            None => None,
        };
        for (j, r) in ex.rules.iter().enumerate() {
            let field = format!("exclusions[{i}].rules[{j}]");
            let body = r.strip_suffix('*').unwrap_or(r);
            if r.is_empty()
                || !body
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(err(
                    field,
                    format!("`{r}`: use a rule id of [a-z0-9-], optionally ending in `*`"),
                ));
            }
            if !rules().iter().any(|rule| glob_matches(r, rule.id)) {
                return Err(err(
                    field,
                    format!("`{r}` matches no rule (see docs/rules.md)"),
                ));
            }
        }
        out.push(CompiledExclusion {
            path: ex.path.as_ref().map(|p| p.to_lowercase()),
            location,
            rules: ex.rules.clone(),
        });
    }
    Ok(out)
}
