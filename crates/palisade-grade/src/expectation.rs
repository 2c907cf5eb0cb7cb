//! Every result the grader can report: the Observatory's result id, its score modifier and a
//! one-line description, kept in one table so the ids and numbers are checked in one place
//! against the Observatory's `SCORE_TABLE` (`src/grader/charts.js` in mdn/mdn-http-observatory).

use serde::{Serialize, Serializer};

macro_rules! expectations {
    ($( $variant:ident = $id:literal, $modifier:literal, $description:literal; )*) => {
        /// A test result, named by the Observatory's result id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Expectation {
            $(
                #[doc = concat!("`", $id, "` (", stringify!($modifier), "): ", $description)]
                $variant,
            )*
        }

        impl Expectation {
            /// Every result, in table order.
            pub const ALL: &'static [Expectation] = &[$(Expectation::$variant,)*];

            /// The Observatory's result id, e.g. `csp-implemented-with-no-unsafe`.
            pub fn id(self) -> &'static str {
                match self { $(Expectation::$variant => $id,)* }
            }

            /// The score modifier: negative is a penalty, positive a bonus.
            pub fn modifier(self) -> i32 {
                match self { $(Expectation::$variant => $modifier,)* }
            }

            /// One line saying what the result means.
            pub fn description(self) -> &'static str {
                match self { $(Expectation::$variant => $description,)* }
            }
        }
    };
}

expectations! {
    // Content Security Policy
    CspImplementedWithNoUnsafeDefaultSrcNone = "csp-implemented-with-no-unsafe-default-src-none", 10,
        "CSP implemented with default-src 'none' and nothing unsafe.";
    CspImplementedWithNoUnsafe = "csp-implemented-with-no-unsafe", 5,
        "CSP implemented without 'unsafe-inline' or 'unsafe-eval'.";
    CspImplementedWithUnsafeInlineInStyleSrcOnly = "csp-implemented-with-unsafe-inline-in-style-src-only", 0,
        "CSP implemented, unsafe sources ('unsafe-inline', data:, broad sources) only in style-src.";
    CspImplementedWithInsecureSchemeInPassiveContentOnly = "csp-implemented-with-insecure-scheme-in-passive-content-only", -10,
        "CSP implemented, but the secure site allows images or media over HTTP.";
    CspImplementedWithUnsafeEval = "csp-implemented-with-unsafe-eval", -10,
        "CSP implemented, but allows 'unsafe-eval'.";
    CspImplementedWithUnsafeInline = "csp-implemented-with-unsafe-inline", -20,
        "CSP implemented unsafely: 'unsafe-inline', data: or broad sources in script-src/object-src, or either unrestricted.";
    CspImplementedWithInsecureScheme = "csp-implemented-with-insecure-scheme", -20,
        "CSP implemented, but the secure site allows resources over HTTP.";
    CspImplementedButDuplicateDirectives = "csp-implemented-but-duplicate-directives", 0,
        "CSP implemented, but contains duplicate directives.";
    CspHeaderInvalid = "csp-header-invalid", -25,
        "CSP header cannot be parsed successfully.";
    CspNotImplemented = "csp-not-implemented", -25,
        "CSP header not implemented.";
    CspNotImplementedButReportingEnabled = "csp-not-implemented-but-reporting-enabled", -25,
        "Only Content-Security-Policy-Report-Only is set: nothing is enforced.";

    // Cookies
    CookiesSecureWithHttponlySessionsAndSamesite = "cookies-secure-with-httponly-sessions-and-samesite", 5,
        "All cookies Secure, session cookies HttpOnly, and all use SameSite.";
    CookiesSecureWithHttponlySessions = "cookies-secure-with-httponly-sessions", 0,
        "All cookies Secure and session cookies HttpOnly (some lack SameSite).";
    CookiesNotFound = "cookies-not-found", 0,
        "No cookies detected.";
    CookiesWithoutSecureFlagButProtectedByHsts = "cookies-without-secure-flag-but-protected-by-hsts", -5,
        "Cookies set without Secure, but HSTS prevents sending them over HTTP.";
    CookiesSessionWithoutSecureFlagButProtectedByHsts = "cookies-session-without-secure-flag-but-protected-by-hsts", -10,
        "Session cookie set without Secure, but HSTS prevents sending it over HTTP.";
    CookiesWithoutSecureFlag = "cookies-without-secure-flag", -20,
        "Cookies set without Secure, or set over HTTP.";
    CookiesSamesiteFlagInvalid = "cookies-samesite-flag-invalid", -20,
        "Cookies use SameSite with an invalid value, or SameSite=None without Secure.";
    CookiesAnticsrfWithoutSamesiteFlag = "cookies-anticsrf-without-samesite-flag", -20,
        "Anti-CSRF token cookie set without SameSite.";
    CookiesSessionWithoutHttponlyFlag = "cookies-session-without-httponly-flag", -30,
        "Session cookie set without HttpOnly.";
    CookiesSessionWithoutSecureFlag = "cookies-session-without-secure-flag", -40,
        "Session cookie set without Secure, or set over HTTP.";

    // Cross-origin resource sharing
    CrossOriginResourceSharingNotImplemented = "cross-origin-resource-sharing-not-implemented", 0,
        "Content is not visible via CORS.";
    CrossOriginResourceSharingImplementedWithPublicAccess = "cross-origin-resource-sharing-implemented-with-public-access", 0,
        "Public content visible via Access-Control-Allow-Origin: *.";
    CrossOriginResourceSharingImplementedWithRestrictedAccess = "cross-origin-resource-sharing-implemented-with-restricted-access", 0,
        "Content visible via CORS, restricted to specific origins.";
    CrossOriginResourceSharingImplementedWithUniversalAccess = "cross-origin-resource-sharing-implemented-with-universal-access", -50,
        "Any origin is reflected with credentials allowed: open to cross-site request forgery.";

    // Redirection
    RedirectionAllRedirectsPreloaded = "redirection-all-redirects-preloaded", 0,
        "All hosts redirected to are on the HSTS preload list.";
    RedirectionToHttps = "redirection-to-https", 0,
        "HTTP redirects first to HTTPS on the same host; final destination is HTTPS.";
    RedirectionNotNeededNoHttp = "redirection-not-needed-no-http", 0,
        "Nothing answers over HTTP, so no redirection is needed.";
    RedirectionNotTested = "redirection-not-tested", 0,
        "Not tested: no plain-HTTP URL to probe (palisade's id, not the Observatory's).";
    RedirectionOffHostFromHttp = "redirection-off-host-from-http", -5,
        "HTTP redirects to HTTPS on a different host, so HSTS cannot be set for this host.";
    RedirectionNotToHttpsOnInitialRedirection = "redirection-not-to-https-on-initial-redirection", -10,
        "Reaches HTTPS eventually, but the first redirect goes to another HTTP URL.";
    RedirectionNotToHttps = "redirection-not-to-https", -20,
        "Redirects, but the final destination is not HTTPS.";
    RedirectionMissing = "redirection-missing", -20,
        "HTTP does not redirect to HTTPS.";
    RedirectionInvalidCert = "redirection-invalid-cert", -20,
        "Invalid certificate chain encountered during redirection.";

    // Referrer-Policy
    ReferrerPolicyPrivate = "referrer-policy-private", 5,
        "Referrer-Policy is no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin.";
    ReferrerPolicyNotImplemented = "referrer-policy-not-implemented", 0,
        "Referrer-Policy not implemented.";
    ReferrerPolicyUnsafe = "referrer-policy-unsafe", -5,
        "Referrer-Policy is origin, origin-when-cross-origin, unsafe-url or no-referrer-when-downgrade.";
    ReferrerPolicyHeaderInvalid = "referrer-policy-header-invalid", -5,
        "Referrer-Policy cannot be recognized.";

    // Strict-Transport-Security
    HstsPreloaded = "hsts-preloaded", 5,
        "Preloaded via the HSTS preload list.";
    HstsImplementedMaxAgeAtLeastSixMonths = "hsts-implemented-max-age-at-least-six-months", 0,
        "Strict-Transport-Security max-age is at least six months.";
    HstsImplementedMaxAgeLessThanSixMonths = "hsts-implemented-max-age-less-than-six-months", -10,
        "Strict-Transport-Security max-age is less than six months.";
    HstsNotImplemented = "hsts-not-implemented", -20,
        "Strict-Transport-Security not implemented.";
    HstsHeaderInvalid = "hsts-header-invalid", -20,
        "Strict-Transport-Security cannot be recognized.";
    HstsNotImplementedNoHttps = "hsts-not-implemented-no-https", -20,
        "Strict-Transport-Security cannot be set: the page is not served over HTTPS.";
    HstsInvalidCert = "hsts-invalid-cert", -20,
        "Strict-Transport-Security cannot be set: the certificate chain is invalid.";

    // Subresource Integrity
    SriImplementedAndAllScriptsLoadedSecurely = "sri-implemented-and-all-scripts-loaded-securely", 5,
        "SRI implemented and all scripts loaded from a similar origin.";
    SriImplementedAndExternalScriptsLoadedSecurely = "sri-implemented-and-external-scripts-loaded-securely", 5,
        "SRI implemented and all scripts loaded securely.";
    SriNotImplementedResponseNotHtml = "sri-not-implemented-response-not-html", 0,
        "SRI is only needed for HTML resources.";
    SriNotImplementedButNoScriptsLoaded = "sri-not-implemented-but-no-scripts-loaded", 0,
        "SRI not needed: the page has no script tags.";
    SriNotImplementedButAllScriptsLoadedFromSecureOrigin = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0,
        "SRI not implemented, but all scripts come from a similar origin.";
    SriNotImplementedButExternalScriptsLoadedSecurely = "sri-not-implemented-but-external-scripts-loaded-securely", -5,
        "SRI not implemented, but all external scripts are loaded over HTTPS.";
    SriImplementedButExternalScriptsNotLoadedSecurely = "sri-implemented-but-external-scripts-not-loaded-securely", -20,
        "SRI implemented, but external scripts are loaded over HTTP or protocol-relative URLs.";
    SriNotImplementedAndExternalScriptsNotLoadedSecurely = "sri-not-implemented-and-external-scripts-not-loaded-securely", -50,
        "SRI not implemented, and external scripts are loaded over HTTP or protocol-relative URLs.";
    HtmlNotParseable = "html-not-parseable", -20,
        "Claims to be HTML, but cannot be parsed.";

    // X-Content-Type-Options
    XContentTypeOptionsNosniff = "x-content-type-options-nosniff", 0,
        "X-Content-Type-Options is nosniff.";
    XContentTypeOptionsNotImplemented = "x-content-type-options-not-implemented", -5,
        "X-Content-Type-Options not implemented.";
    XContentTypeOptionsHeaderInvalid = "x-content-type-options-header-invalid", -5,
        "X-Content-Type-Options cannot be recognized.";

    // X-Frame-Options
    XFrameOptionsImplementedViaCsp = "x-frame-options-implemented-via-csp", 5,
        "Framing controlled by the CSP frame-ancestors directive.";
    XFrameOptionsSameoriginOrDeny = "x-frame-options-sameorigin-or-deny", 0,
        "X-Frame-Options is SAMEORIGIN or DENY.";
    XFrameOptionsAllowFromOrigin = "x-frame-options-allow-from-origin", 0,
        "X-Frame-Options uses ALLOW-FROM.";
    XFrameOptionsNotImplemented = "x-frame-options-not-implemented", -20,
        "X-Frame-Options not implemented.";
    XFrameOptionsHeaderInvalid = "x-frame-options-header-invalid", -20,
        "X-Frame-Options cannot be recognized.";

    // Cross-Origin-Resource-Policy
    CorpNotImplemented = "corp-not-implemented", 0,
        "Cross-Origin-Resource-Policy not implemented (defaults to cross-origin).";
    CorpImplementedWithSameOrigin = "corp-implemented-with-same-origin", 10,
        "Cross-Origin-Resource-Policy same-origin: prevents leaks into cross-origin contexts.";
    CorpImplementedWithSameSite = "corp-implemented-with-same-site", 10,
        "Cross-Origin-Resource-Policy same-site: prevents leaks into cross-site contexts.";
    CorpImplementedWithCrossOrigin = "corp-implemented-with-cross-origin", 0,
        "Cross-Origin-Resource-Policy cross-origin: allows cross-origin embedding.";
    CorpHeaderInvalid = "corp-header-invalid", -5,
        "Cross-Origin-Resource-Policy cannot be recognized.";
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Expectation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// The worse of two results by `order` (best first); the Observatory's `onlyIfWorse`.
pub(crate) fn only_if_worse(
    new: Expectation,
    old: Option<Expectation>,
    order: &[Expectation],
) -> Expectation {
    let rank = |e: Expectation| order.iter().position(|o| *o == e);
    match old {
        None => new,
        Some(old) if rank(new) > rank(old) => new,
        Some(old) => old,
    }
}
