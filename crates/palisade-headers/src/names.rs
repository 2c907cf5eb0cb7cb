//! Header names as helmet writes them on the wire.
//!
//! `http::HeaderName` is always lowercase. HTTP/1 names are case-insensitive, but
//! people compare responses with helmet's by eye and some old clients and log
//! pipelines match case-sensitively, so a proxy that preserves case sends these.

use http::HeaderName;

/// Helmet's spelling of a header this crate sets or removes, if it is one.
pub fn helmet_case(name: &HeaderName) -> Option<&'static str> {
    Some(match name.as_str() {
        "content-security-policy" => "Content-Security-Policy",
        "content-security-policy-report-only" => "Content-Security-Policy-Report-Only",
        "cross-origin-embedder-policy" => "Cross-Origin-Embedder-Policy",
        "cross-origin-opener-policy" => "Cross-Origin-Opener-Policy",
        "cross-origin-resource-policy" => "Cross-Origin-Resource-Policy",
        "origin-agent-cluster" => "Origin-Agent-Cluster",
        "referrer-policy" => "Referrer-Policy",
        "strict-transport-security" => "Strict-Transport-Security",
        "x-content-type-options" => "X-Content-Type-Options",
        "x-dns-prefetch-control" => "X-DNS-Prefetch-Control",
        "x-download-options" => "X-Download-Options",
        "x-frame-options" => "X-Frame-Options",
        "x-permitted-cross-domain-policies" => "X-Permitted-Cross-Domain-Policies",
        "x-powered-by" => "X-Powered-By",
        "x-xss-protection" => "X-XSS-Protection",
        "server" => "Server",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_match_their_names() {
        for name in [
            "content-security-policy",
            "x-dns-prefetch-control",
            "x-xss-protection",
            "server",
        ] {
            let h = HeaderName::from_static(name);
            let spelled = helmet_case(&h).unwrap();
            assert!(spelled.eq_ignore_ascii_case(name));
        }
        assert_eq!(helmet_case(&HeaderName::from_static("x-other")), None);
    }
}
