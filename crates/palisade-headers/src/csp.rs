//! Compiling CSP options into a header, following helmet's `parseDirectives` step by step.

use http::{HeaderName, HeaderValue};
use indexmap::IndexMap;

use crate::config::{ContentSecurityPolicyOptions, DirectiveValue};
use crate::error::PolicyError;

/// Helmet's default directives, in its order.
const DEFAULT_DIRECTIVES: &[(&str, &[&str])] = &[
    ("default-src", &["'self'"]),
    ("base-uri", &["'self'"]),
    ("font-src", &["'self'", "https:", "data:"]),
    ("form-action", &["'self'"]),
    ("frame-ancestors", &["'self'"]),
    ("img-src", &["'self'", "data:"]),
    ("object-src", &["'none'"]),
    ("script-src", &["'self'"]),
    ("script-src-attr", &["'none'"]),
    ("style-src", &["'self'", "https:", "'unsafe-inline'"]),
    ("upgrade-insecure-requests", &[]),
];

/// Keywords a browser only understands quoted; unquoted they are read as host names.
const SHOULD_BE_QUOTED: &[&str] = &[
    "none",
    "self",
    "strict-dynamic",
    "report-sample",
    "inline-speculation-rules",
    "unsafe-inline",
    "unsafe-eval",
    "unsafe-hashes",
    "wasm-unsafe-eval",
];

/// Directives that receive the per-response nonce.
const NONCE_DIRECTIVES: &[&str] = &["script-src", "style-src"];

const MISSING_DEFAULT_SRC: &str = "Content-Security-Policy needs a default-src but none was provided. If you really want to disable it, set `dangerously_disable_default_src = true`.";

/// A directive problem; `key` is the user's spelling of the directive, when one is to blame.
#[derive(Debug)]
pub(crate) struct DirectiveError {
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

/// Checks names and values the way helmet does while reading them, and returns the dashed names.
pub(crate) fn check_directives(
    raw: &IndexMap<String, DirectiveValue>,
) -> Result<Vec<(String, &DirectiveValue)>, DirectiveError> {
    let mut seen: Vec<String> = Vec::with_capacity(raw.len());
    let mut checked = Vec::with_capacity(raw.len());
    for (key, value) in raw {
        let fail = |message: String| DirectiveError {
            key: Some(key.clone()),
            message,
        };
        let name = parse_directive_name(key).map_err(fail)?;
        if seen.contains(&name) {
            return Err(fail(format!(
                "Content-Security-Policy received a duplicate directive {name:?}"
            )));
        }
        seen.push(name.clone());
        match value {
            DirectiveValue::Remove if name == "default-src" => {
                return Err(fail("Content-Security-Policy needs a default-src but it was set to `false`. If you really want to disable it, set `dangerously_disable_default_src = true`.".to_owned()));
            }
            DirectiveValue::Remove => {}
            DirectiveValue::Values(entries) => {
                for entry in entries {
                    check_entry(&name, entry).map_err(fail)?;
                }
            }
        }
        checked.push((name, value));
    }
    Ok(checked)
}

fn parse_directive_name(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    // helmet: /^[a-z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/
    let valid = match bytes {
        [] => false,
        [first, rest @ ..] => {
            first.is_ascii_lowercase()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && rest.last().is_none_or(|b| b.is_ascii_alphanumeric())
        }
    };
    if !valid {
        return Err(format!(
            "Content-Security-Policy received an invalid directive name {raw:?}"
        ));
    }
    let mut dashed = String::with_capacity(raw.len() + 4);
    for c in raw.chars() {
        if c.is_ascii_uppercase() {
            dashed.push('-');
            dashed.push(c.to_ascii_lowercase());
        } else {
            dashed.push(c);
        }
    }
    Ok(dashed)
}

fn check_entry(name: &str, entry: &str) -> Result<(), String> {
    // Beyond helmet's ';' and ',': anything a header value cannot carry would fail later anyway.
    let breaks_header = entry.bytes().any(|b| !(b == b' ' || b.is_ascii_graphic()));
    if breaks_header || entry.contains([';', ',']) {
        return Err(format!(
            "Content-Security-Policy received an invalid directive value for {name:?}"
        ));
    }
    let unquoted = SHOULD_BE_QUOTED.contains(&entry)
        || ["nonce-", "sha256-", "sha384-", "sha512-"]
            .iter()
            .any(|prefix| entry.starts_with(prefix));
    if unquoted {
        return Err(format!(
            "Content-Security-Policy received an invalid directive value for {name:?}. {entry:?} should be quoted"
        ));
    }
    Ok(())
}

/// A compiled CSP header.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCsp {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
    /// With `nonce = true`: the value split where the nonce goes, to be joined with it.
    pub(crate) nonce_parts: Option<Vec<String>>,
}

/// Where the guard collects CSP violation reports (`report = true`).
pub const CSP_REPORT_PATH: &str = "/.palisade/csp-report";

/// The Reporting API endpoint name `report-to` refers to (`Reporting-Endpoints`).
pub const CSP_REPORT_GROUP: &str = "palisade-csp";

/// Errors carry paths relative to `content_security_policy`. `plain_http` drops
/// `upgrade-insecure-requests`, which only makes sense on a page served over HTTPS.
pub(crate) fn compile(
    options: &ContentSecurityPolicyOptions,
    plain_http: bool,
) -> Result<CompiledCsp, PolicyError> {
    let mut result: IndexMap<String, Vec<String>> = IndexMap::new();
    if options.use_defaults {
        for (name, values) in DEFAULT_DIRECTIVES {
            let values = values.iter().map(|v| (*v).to_owned()).collect();
            result.insert((*name).to_owned(), values);
        }
    }
    let checked = check_directives(&options.directives.0).map_err(|err| match err.key {
        Some(key) => PolicyError::new(["directives", key.as_str()], err.message),
        None => PolicyError::new(["directives"], err.message),
    })?;
    let sets_default_src = checked.iter().any(|(name, _)| name == "default-src");
    for (name, value) in checked {
        match value {
            // shift_remove, not swap_remove: the header keeps helmet's directive order.
            DirectiveValue::Remove => {
                result.shift_remove(&name);
            }
            // An existing directive keeps its place, as in helmet's Map.
            DirectiveValue::Values(values) => {
                result.insert(name, values.clone());
            }
        }
    }
    if options.dangerously_disable_default_src {
        if sets_default_src {
            return Err(PolicyError::new(
                ["dangerously_disable_default_src"],
                "Content-Security-Policy: default-src is both set and disabled; remove one",
            ));
        }
        result.shift_remove("default-src");
    }
    if plain_http {
        result.shift_remove("upgrade-insecure-requests");
    }
    if options.report {
        if result.contains_key("report-to") {
            return Err(PolicyError::new(
                ["report"],
                "Content-Security-Policy: report = true sets report-to itself; remove the report-to directive or set report = false",
            ));
        }
        result
            .entry("report-uri".to_owned())
            .or_default()
            .push(CSP_REPORT_PATH.to_owned());
        result.insert("report-to".to_owned(), vec![CSP_REPORT_GROUP.to_owned()]);
    }
    if result.is_empty() {
        return Err(PolicyError::new(
            ["directives"],
            "Content-Security-Policy has no directives. Either set some or disable the header",
        ));
    }
    if !result.contains_key("default-src") && !options.dangerously_disable_default_src {
        return Err(PolicyError::new(["directives"], MISSING_DEFAULT_SRC));
    }

    let value = render(&result, false);
    let nonce_parts = if options.nonce.is_on() {
        if !NONCE_DIRECTIVES.iter().any(|n| result.contains_key(*n)) {
            return Err(PolicyError::new(
                ["nonce"],
                "Content-Security-Policy: a nonce needs a script-src or style-src directive to carry the nonce",
            ));
        }
        Some(
            render(&result, true)
                .split('\0')
                .map(str::to_owned)
                .collect(),
        )
    } else {
        None
    };
    let value = HeaderValue::from_str(&value).map_err(|_| {
        PolicyError::new(
            ["directives"],
            "Content-Security-Policy is not a valid header value",
        )
    })?;
    let name = if options.report_only {
        HeaderName::from_static("content-security-policy-report-only")
    } else {
        HeaderName::from_static("content-security-policy")
    };
    Ok(CompiledCsp {
        name,
        value,
        nonce_parts,
    })
}

/// Helmet's string form; with `nonce_slots`, a NUL marks where each nonce goes (values were
/// checked to be visible ASCII, so NUL cannot occur otherwise).
fn render(directives: &IndexMap<String, Vec<String>>, nonce_slots: bool) -> String {
    let mut out = String::new();
    for (name, values) in directives {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(name);
        let joined = values.join(" ");
        if !joined.is_empty() {
            out.push(' ');
            out.push_str(&joined);
        }
        if nonce_slots && NONCE_DIRECTIVES.contains(&name.as_str()) {
            out.push_str(" 'nonce-\0'");
        }
    }
    out
}
