//! The Content Security Policy test (`src/analyzer/tests/csp.js`).
//!
//! The first failing rule, in this order, gives the result: unsafe script or object sources,
//! `http:`/`ftp:` sources for active content on an HTTPS page, `'unsafe-eval'`, `http:`/`ftp:`
//! for images or media, unsafe style sources; otherwise the policy passes, with the larger
//! bonus for `default-src 'none'`.

use std::collections::BTreeSet;

use super::csp_parse::{self, Directives};
use crate::expectation::Expectation;
use crate::html::Page;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

/// Sources that allow (nearly) anything.
const DANGEROUSLY_BROAD: [&str; 8] = [
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];
const UNSAFE_INLINE: [&str; 2] = ["'unsafe-inline'", "data:"];
/// Images and media: passive content, a lesser risk over HTTP.
const PASSIVE_DIRECTIVES: [&str; 2] = ["img-src", "media-src"];
const NONCES_HASHES: [&str; 4] = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];

fn broad(source: &str) -> bool {
    DANGEROUSLY_BROAD.contains(&source)
}

fn broad_or_inline(source: &str) -> bool {
    broad(source) || UNSAFE_INLINE.contains(&source)
}

fn insecure_scheme(source: &str) -> bool {
    source.starts_with("http:") || source.starts_with("ftp:")
}

fn has_nonce_or_hash(sources: &BTreeSet<String>) -> bool {
    sources
        .iter()
        .any(|s| NONCES_HASHES.iter().any(|p| s.starts_with(p)))
}

/// The CSP test's result, and whether the header policy sets `frame-ancestors` (for the
/// X-Frame-Options test).
pub(crate) struct CspOutcome {
    pub(crate) result: TestResult,
    pub(crate) frame_ancestors: bool,
}

/// The policies in the `Content-Security-Policy` header lines. A line may hold several
/// policies separated by commas (CSP3 §4.1; that is also what repeated lines mean once joined).
fn header_policies(observation: &Observation) -> Vec<String> {
    let mut policies = Vec::new();
    for line in observation.response.values("content-security-policy") {
        let parts: Vec<&str> = line.split(',').filter(|p| !p.trim().is_empty()).collect();
        if parts.is_empty() {
            // An empty header line is what makes the Observatory's parser fail.
            policies.push(line.to_owned());
        }
        policies.extend(parts.into_iter().map(str::to_owned));
    }
    policies
}

fn finish(result: Expectation, pass: bool, frame_ancestors: bool) -> CspOutcome {
    CspOutcome {
        result: TestResult::new(Test::ContentSecurityPolicy, result, Verdict::passing(pass)),
        frame_ancestors,
    }
}

pub(crate) fn check(observation: &Observation, page: Option<&Page>) -> CspOutcome {
    let response = &observation.response;
    let http = header_policies(observation);
    let meta: Vec<String> = match page {
        Some(page) if response.is_html() => page.csp.clone(),
        _ => Vec::new(),
    };
    let all: Vec<&String> = http.iter().chain(&meta).collect();
    let Ok(combined) = csp_parse::parse(&all) else {
        return finish(Expectation::CspHeaderInvalid, false, false);
    };
    let header_only = csp_parse::parse(&http).unwrap_or_default();
    let meta_only = csp_parse::parse_meta(&meta).unwrap_or_default();
    if header_only.directives.is_empty() && meta_only.directives.is_empty() {
        let reporting = response
            .non_empty("content-security-policy-report-only")
            .is_some();
        let result = if reporting {
            Expectation::CspNotImplementedButReportingEnabled
        } else {
            Expectation::CspNotImplemented
        };
        return finish(result, false, false);
    }

    let mut csp = combined.directives;
    let mut result: Option<Expectation> = None;
    let https = response.is_https();

    // script-src and style-src fall back to default-src; changes made through the fallback
    // change default-src itself, as the Observatory's shared Set objects do.
    let script_key = fallback_key(&csp, "script-src");
    let style_key = fallback_key(&csp, "style-src");
    let mut script_wild = star();
    let mut style_wild = star();

    // A nonce or hash makes browsers ignore 'unsafe-inline'.
    for (key, wild) in [(script_key, &mut script_wild), (style_key, &mut style_wild)] {
        let sources = slot(&mut csp, key, wild);
        if has_nonce_or_hash(sources) {
            sources.remove("'unsafe-inline'");
        }
    }

    // 'strict-dynamic' with a nonce or hash makes browsers ignore scheme, host, 'self' and
    // 'unsafe-inline' sources; without one it blocks every script, which is surely a mistake.
    let script = slot(&mut csp, script_key, &mut script_wild);
    if has_nonce_or_hash(script) && script.contains("'strict-dynamic'") {
        script.retain(|s| {
            !(DANGEROUSLY_BROAD.iter().any(|b| s.starts_with(b))
                || s == "'self'"
                || s == "'unsafe-inline'")
        });
    } else if script.contains("'strict-dynamic'") {
        result.get_or_insert(Expectation::CspHeaderInvalid);
    }

    let script_src = slot(&mut csp, script_key, &mut script_wild).clone();
    let style_src = slot(&mut csp, style_key, &mut style_wild).clone();
    let object_src = csp
        .get("object-src")
        .or_else(|| csp.get("default-src"))
        .cloned()
        .unwrap_or_else(star);

    let active: Vec<&String> = csp
        .iter()
        .filter(|(d, _)| !PASSIVE_DIRECTIVES.contains(&d.as_str()) && *d != "script-src")
        .flat_map(|(_, s)| s)
        .chain(&script_src)
        .collect();
    let passive: Vec<&String> = PASSIVE_DIRECTIVES
        .iter()
        .filter_map(|d| csp.get(*d).or_else(|| csp.get("default-src")))
        .flatten()
        .collect();

    if script_src.iter().any(|s| broad_or_inline(s)) || object_src.iter().any(|s| broad(s)) {
        result.get_or_insert(Expectation::CspImplementedWithUnsafeInline);
    }
    if https && active.iter().any(|s| insecure_scheme(s)) {
        result.get_or_insert(Expectation::CspImplementedWithInsecureScheme);
    }
    if script_src.contains("'unsafe-eval'") || style_src.contains("'unsafe-eval'") {
        result.get_or_insert(Expectation::CspImplementedWithUnsafeEval);
    }
    if https && passive.iter().any(|s| insecure_scheme(s)) {
        result.get_or_insert(Expectation::CspImplementedWithInsecureSchemeInPassiveContentOnly);
    }
    if style_src.iter().any(|s| broad_or_inline(s)) {
        result.get_or_insert(Expectation::CspImplementedWithUnsafeInlineInStyleSrcOnly);
    }
    let default_none = csp
        .get("default-src")
        .is_some_and(|d| d.len() == 1 && d.contains("'none'"));
    let mut result = result.unwrap_or(if default_none {
        Expectation::CspImplementedWithNoUnsafeDefaultSrcNone
    } else {
        Expectation::CspImplementedWithNoUnsafe
    });

    let pass = matches!(
        result,
        Expectation::CspImplementedWithNoUnsafe
            | Expectation::CspImplementedWithNoUnsafeDefaultSrcNone
            | Expectation::CspImplementedWithUnsafeInlineInStyleSrcOnly
            | Expectation::CspImplementedWithInsecureSchemeInPassiveContentOnly
    );
    if pass && combined.duplicates {
        result = Expectation::CspImplementedButDuplicateDirectives;
    }
    // Browsers ignore frame-ancestors in <meta> policies, so only the header's counts (the
    // Observatory also counts a <meta> one here).
    let frame_ancestors = header_only.directives.contains_key("frame-ancestors");
    finish(result, pass, frame_ancestors)
}

fn star() -> BTreeSet<String> {
    BTreeSet::from(["*".to_owned()])
}

/// Which directive governs `directive`: itself, else `default-src`, else nothing (anything
/// goes).
fn fallback_key(csp: &Directives, directive: &'static str) -> Option<&'static str> {
    [directive, "default-src"]
        .into_iter()
        .find(|k| csp.contains_key(*k))
}

fn slot<'a>(
    csp: &'a mut Directives,
    key: Option<&str>,
    wild: &'a mut BTreeSet<String>,
) -> &'a mut BTreeSet<String> {
    match key.and_then(|k| csp.get_mut(k)) {
        Some(sources) => sources,
        None => wild,
    }
}
