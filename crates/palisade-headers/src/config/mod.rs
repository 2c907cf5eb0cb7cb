//! The `[headers]` table of palisade.toml: helmet 8's options, in snake_case.
//!
//! Every field is optional and defaults to what `helmet()` does with no options. Each header
//! option takes `false` (off), `true` (on with defaults) or a table of its options; helmet's
//! legacy names (`hsts`, `frameguard`, `no_sniff`, …) are accepted as aliases. Unknown keys are
//! errors: a misspelt security key must never silently drop a protection.
//!
//! These are file structs; [`Policy::from_config`](crate::Policy::from_config) validates them
//! into header sets.

mod csp;
mod options;
mod toggle;

use serde::{Deserialize, Deserializer, Serialize};

pub use self::csp::{ContentSecurityPolicyOptions, DirectiveValue, Directives, NonceMode};
pub use self::options::{
    CoepPolicy, CoopPolicy, CorpPolicy, CrossOriginEmbedderPolicyOptions,
    CrossOriginOpenerPolicyOptions, CrossOriginResourcePolicyOptions, FrameAction, MaxAge,
    PermittedPolicies, ReferrerPolicyOptions, ReferrerToken, ReferrerTokens,
    StrictTransportSecurityOptions, XDnsPrefetchControlOptions, XFrameOptionsOptions,
    XPermittedCrossDomainPoliciesOptions,
};
pub use self::toggle::Toggle;
use crate::cookies::CookiesOptions;
use crate::policy::UpstreamPolicy;

/// `[headers]`: helmet's options plus palisade's `remove_server`, `upstream` and path overrides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadersConfig {
    /// `Content-Security-Policy`; on.
    pub content_security_policy: Toggle<ContentSecurityPolicyOptions>,
    /// `Cross-Origin-Embedder-Policy`; off, as in helmet 8.
    pub cross_origin_embedder_policy: Toggle<CrossOriginEmbedderPolicyOptions>,
    /// `Cross-Origin-Opener-Policy`; on.
    pub cross_origin_opener_policy: Toggle<CrossOriginOpenerPolicyOptions>,
    /// `Cross-Origin-Resource-Policy`; on.
    pub cross_origin_resource_policy: Toggle<CrossOriginResourcePolicyOptions>,
    /// `Origin-Agent-Cluster: ?1`; on.
    pub origin_agent_cluster: bool,
    /// `Referrer-Policy`; on.
    pub referrer_policy: Toggle<ReferrerPolicyOptions>,
    /// `Strict-Transport-Security`; on.
    #[serde(alias = "hsts")]
    pub strict_transport_security: Toggle<StrictTransportSecurityOptions>,
    /// `X-Content-Type-Options: nosniff`; on.
    #[serde(alias = "no_sniff")]
    pub x_content_type_options: bool,
    /// `X-DNS-Prefetch-Control`; on.
    #[serde(alias = "dns_prefetch_control")]
    pub x_dns_prefetch_control: Toggle<XDnsPrefetchControlOptions>,
    /// `X-Download-Options: noopen`; on.
    #[serde(alias = "ie_no_open")]
    pub x_download_options: bool,
    /// `X-Frame-Options`; on.
    #[serde(alias = "frameguard")]
    pub x_frame_options: Toggle<XFrameOptionsOptions>,
    /// `X-Permitted-Cross-Domain-Policies`; on.
    #[serde(alias = "permitted_cross_domain_policies")]
    pub x_permitted_cross_domain_policies: Toggle<XPermittedCrossDomainPoliciesOptions>,
    /// Remove `X-Powered-By` (helmet's meaning: `false` keeps the upstream's); on.
    #[serde(alias = "hide_powered_by")]
    pub x_powered_by: bool,
    /// `X-XSS-Protection: 0` (turns off the buggy legacy filter); on.
    #[serde(alias = "xss_filter")]
    pub x_xss_protection: bool,
    /// Also remove the upstream's `Server` header; off.
    pub remove_server: bool,
    /// What to do with a header the upstream already sent; `keep`.
    pub upstream: UpstreamPolicy,
    /// Send `Strict-Transport-Security` and CSP's `upgrade-insecure-requests` only on HTTPS
    /// responses (TLS at the guard, or `X-Forwarded-Proto: https` from a trusted proxy); on.
    /// Helmet sends them always: over plain HTTP (localhost, an intranet) the upgrade
    /// directive sends every subresource to an `https://` that does not answer.
    pub tls_aware: bool,
    /// `[headers.cookies]`: `Secure` (on HTTPS), `HttpOnly` and `SameSite=Lax` added to the
    /// app's `Set-Cookie` headers, with per-cookie exceptions; `false` leaves cookies alone.
    pub cookies: Toggle<CookiesOptions>,
    /// Replace the body of the upstream's 5xx answers with a clean page naming the request
    /// id; the original (stack traces and all) goes to the event log only. Off.
    pub scrub_errors: bool,
    /// `[[headers.path]]` overrides for path prefixes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<PathOverride>,
}

impl Default for HeadersConfig {
    fn default() -> Self {
        Self {
            content_security_policy: Toggle::on(),
            cross_origin_embedder_policy: Toggle::Off,
            cross_origin_opener_policy: Toggle::on(),
            cross_origin_resource_policy: Toggle::on(),
            origin_agent_cluster: true,
            referrer_policy: Toggle::on(),
            strict_transport_security: Toggle::on(),
            x_content_type_options: true,
            x_dns_prefetch_control: Toggle::on(),
            x_download_options: true,
            x_frame_options: Toggle::on(),
            x_permitted_cross_domain_policies: Toggle::on(),
            x_powered_by: true,
            x_xss_protection: true,
            remove_server: false,
            upstream: UpstreamPolicy::Keep,
            tls_aware: true,
            cookies: Toggle::on(),
            scrub_errors: false,
            path: Vec::new(),
        }
    }
}

/// `[[headers.path]]`: different headers below a path prefix.
///
/// Each option set here replaces the base `[headers]` option of the same name as a whole (a
/// `content_security_policy` table here is not merged with the base one); options not set here
/// are inherited from the base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathOverride {
    /// Prefix, starting with `/`, matched on whole segments: `/admin` covers `/admin` and
    /// `/admin/users`, not `/administrator`.
    #[serde(deserialize_with = "deserialize_prefix")]
    pub path: String,
    /// See [`HeadersConfig::content_security_policy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<Toggle<ContentSecurityPolicyOptions>>,
    /// See [`HeadersConfig::cross_origin_embedder_policy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_origin_embedder_policy: Option<Toggle<CrossOriginEmbedderPolicyOptions>>,
    /// See [`HeadersConfig::cross_origin_opener_policy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_origin_opener_policy: Option<Toggle<CrossOriginOpenerPolicyOptions>>,
    /// See [`HeadersConfig::cross_origin_resource_policy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_origin_resource_policy: Option<Toggle<CrossOriginResourcePolicyOptions>>,
    /// See [`HeadersConfig::origin_agent_cluster`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_agent_cluster: Option<bool>,
    /// See [`HeadersConfig::referrer_policy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_policy: Option<Toggle<ReferrerPolicyOptions>>,
    /// See [`HeadersConfig::strict_transport_security`].
    #[serde(default, alias = "hsts", skip_serializing_if = "Option::is_none")]
    pub strict_transport_security: Option<Toggle<StrictTransportSecurityOptions>>,
    /// See [`HeadersConfig::x_content_type_options`].
    #[serde(default, alias = "no_sniff", skip_serializing_if = "Option::is_none")]
    pub x_content_type_options: Option<bool>,
    /// See [`HeadersConfig::x_dns_prefetch_control`].
    #[serde(
        default,
        alias = "dns_prefetch_control",
        skip_serializing_if = "Option::is_none"
    )]
    pub x_dns_prefetch_control: Option<Toggle<XDnsPrefetchControlOptions>>,
    /// See [`HeadersConfig::x_download_options`].
    #[serde(default, alias = "ie_no_open", skip_serializing_if = "Option::is_none")]
    pub x_download_options: Option<bool>,
    /// See [`HeadersConfig::x_frame_options`].
    #[serde(default, alias = "frameguard", skip_serializing_if = "Option::is_none")]
    pub x_frame_options: Option<Toggle<XFrameOptionsOptions>>,
    /// See [`HeadersConfig::x_permitted_cross_domain_policies`].
    #[serde(
        default,
        alias = "permitted_cross_domain_policies",
        skip_serializing_if = "Option::is_none"
    )]
    pub x_permitted_cross_domain_policies: Option<Toggle<XPermittedCrossDomainPoliciesOptions>>,
    /// See [`HeadersConfig::x_powered_by`].
    #[serde(
        default,
        alias = "hide_powered_by",
        skip_serializing_if = "Option::is_none"
    )]
    pub x_powered_by: Option<bool>,
    /// See [`HeadersConfig::x_xss_protection`].
    #[serde(default, alias = "xss_filter", skip_serializing_if = "Option::is_none")]
    pub x_xss_protection: Option<bool>,
    /// See [`HeadersConfig::remove_server`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_server: Option<bool>,
    /// See [`HeadersConfig::upstream`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamPolicy>,
    /// See [`HeadersConfig::tls_aware`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_aware: Option<bool>,
    /// See [`HeadersConfig::scrub_errors`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrub_errors: Option<bool>,
}

impl PathOverride {
    /// The base config with this override's options laid over it (and no path overrides).
    pub fn merged_over(&self, base: &HeadersConfig) -> HeadersConfig {
        fn pick<T: Clone>(over: &Option<T>, base: &T) -> T {
            over.as_ref().unwrap_or(base).clone()
        }
        HeadersConfig {
            content_security_policy: pick(
                &self.content_security_policy,
                &base.content_security_policy,
            ),
            cross_origin_embedder_policy: pick(
                &self.cross_origin_embedder_policy,
                &base.cross_origin_embedder_policy,
            ),
            cross_origin_opener_policy: pick(
                &self.cross_origin_opener_policy,
                &base.cross_origin_opener_policy,
            ),
            cross_origin_resource_policy: pick(
                &self.cross_origin_resource_policy,
                &base.cross_origin_resource_policy,
            ),
            origin_agent_cluster: pick(&self.origin_agent_cluster, &base.origin_agent_cluster),
            referrer_policy: pick(&self.referrer_policy, &base.referrer_policy),
            strict_transport_security: pick(
                &self.strict_transport_security,
                &base.strict_transport_security,
            ),
            x_content_type_options: pick(
                &self.x_content_type_options,
                &base.x_content_type_options,
            ),
            x_dns_prefetch_control: pick(
                &self.x_dns_prefetch_control,
                &base.x_dns_prefetch_control,
            ),
            x_download_options: pick(&self.x_download_options, &base.x_download_options),
            x_frame_options: pick(&self.x_frame_options, &base.x_frame_options),
            x_permitted_cross_domain_policies: pick(
                &self.x_permitted_cross_domain_policies,
                &base.x_permitted_cross_domain_policies,
            ),
            x_powered_by: pick(&self.x_powered_by, &base.x_powered_by),
            x_xss_protection: pick(&self.x_xss_protection, &base.x_xss_protection),
            remove_server: pick(&self.remove_server, &base.remove_server),
            upstream: pick(&self.upstream, &base.upstream),
            tls_aware: pick(&self.tls_aware, &base.tls_aware),
            // Cookies are the site's, not a path's: a cookie set under one prefix is sent
            // everywhere its Path allows.
            cookies: base.cookies.clone(),
            scrub_errors: pick(&self.scrub_errors, &base.scrub_errors),
            path: Vec::new(),
        }
    }
}

/// Why a path prefix is unusable, if it is.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.starts_with('/') {
        Ok(())
    } else {
        Err(format!("path override {prefix:?} must start with '/'"))
    }
}

fn deserialize_prefix<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let prefix = String::deserialize(deserializer)?;
    check_prefix(&prefix).map_err(serde::de::Error::custom)?;
    Ok(prefix)
}
