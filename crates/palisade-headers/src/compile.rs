//! `HeadersConfig` → `HeaderSet`, in the order helmet's middlewares run.

use std::sync::Arc;

use http::header::{self, HeaderName, HeaderValue};

use crate::config::{HeadersConfig, NonceMode, Toggle};
use crate::cookies::CookiePolicy;
use crate::csp;
use crate::error::PolicyError;
use crate::policy::{Extras, HeaderSet, NonceCsp};

/// Compiles one set; paths in errors are relative to the table being compiled.
///
/// `plain_http`: the set for responses over plain HTTP, which under `tls_aware` carries no
/// HSTS (browsers ignore it there anyway) and no `upgrade-insecure-requests`.
pub(crate) fn compile_set(cfg: &HeadersConfig, plain_http: bool) -> Result<HeaderSet, PolicyError> {
    let plain_http = plain_http && cfg.tls_aware;
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(14);
    let mut nonce = None;
    let mut nonce_mode = NonceMode::Off;
    let mut report = false;

    if let Toggle::On(options) = &cfg.content_security_policy {
        let compiled =
            csp::compile(options, plain_http).map_err(|e| e.within(["content_security_policy"]))?;
        nonce_mode = options.nonce;
        report = options.report;
        nonce = compiled.nonce_parts.map(|parts| NonceCsp {
            index: headers.len(),
            parts,
        });
        headers.push((compiled.name, compiled.value));
    }
    if let Toggle::On(options) = &cfg.cross_origin_embedder_policy {
        headers.push(fixed(
            "cross-origin-embedder-policy",
            options.policy.as_str(),
        ));
    }
    if let Toggle::On(options) = &cfg.cross_origin_opener_policy {
        headers.push(fixed("cross-origin-opener-policy", options.policy.as_str()));
    }
    if let Toggle::On(options) = &cfg.cross_origin_resource_policy {
        headers.push(fixed(
            "cross-origin-resource-policy",
            options.policy.as_str(),
        ));
    }
    if cfg.origin_agent_cluster {
        headers.push(fixed("origin-agent-cluster", "?1"));
    }
    if let Toggle::On(options) = &cfg.referrer_policy {
        let path = ["referrer_policy", "policy"];
        let value = options
            .policy
            .header_value()
            .map_err(|message| PolicyError::new(path, message))?;
        headers.push((header::REFERRER_POLICY, built(value, path)?));
    }
    if let Some(options) = cfg
        .strict_transport_security
        .as_on()
        .filter(|_| !plain_http)
    {
        let mut value = format!("max-age={}", options.max_age.0);
        if options.include_sub_domains {
            value.push_str("; includeSubDomains");
        }
        if options.preload {
            value.push_str("; preload");
        }
        let value = built(value, ["strict_transport_security"])?;
        headers.push((header::STRICT_TRANSPORT_SECURITY, value));
    }
    if cfg.x_content_type_options {
        headers.push(fixed("x-content-type-options", "nosniff"));
    }
    if let Toggle::On(options) = &cfg.x_dns_prefetch_control {
        let value = if options.allow { "on" } else { "off" };
        headers.push(fixed("x-dns-prefetch-control", value));
    }
    if cfg.x_download_options {
        headers.push(fixed("x-download-options", "noopen"));
    }
    if let Toggle::On(options) = &cfg.x_frame_options {
        headers.push(fixed("x-frame-options", options.action.as_str()));
    }
    if let Toggle::On(options) = &cfg.x_permitted_cross_domain_policies {
        let value = options.permitted_policies.as_str();
        headers.push(fixed("x-permitted-cross-domain-policies", value));
    }
    if cfg.x_xss_protection {
        headers.push(fixed("x-xss-protection", "0"));
    }

    let mut removes = Vec::new();
    if cfg.x_powered_by {
        removes.push(HeaderName::from_static("x-powered-by"));
    }
    if cfg.remove_server {
        removes.push(header::SERVER);
    }
    let cookies = match &cfg.cookies {
        Toggle::Off => None,
        Toggle::On(options) => Some(Arc::new(
            CookiePolicy::from_options(options).map_err(|e| e.within(["cookies"]))?,
        )),
    };
    if report {
        let value = format!("{}=\"{}\"", csp::CSP_REPORT_GROUP, csp::CSP_REPORT_PATH);
        let value = built(value, ["content_security_policy", "report"])?;
        headers.push((HeaderName::from_static("reporting-endpoints"), value));
    }
    Ok(HeaderSet::new(
        headers,
        removes,
        nonce,
        Extras {
            upstream: cfg.upstream,
            nonce_mode,
            report,
            scrub_errors: cfg.scrub_errors,
        },
        cookies,
    ))
}

/// A header whose name and value are literals of this crate.
fn fixed(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

fn built(
    value: String,
    path: impl IntoIterator<Item = &'static str>,
) -> Result<HeaderValue, PolicyError> {
    HeaderValue::try_from(value.as_str())
        .map_err(|_| PolicyError::new(path, format!("{value:?} is not a valid header value")))
}
