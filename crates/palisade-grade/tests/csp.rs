//! How the CSP test reads policies: nonces and hashes, `'strict-dynamic'`, several policies,
//! `<meta>` policies and broken headers.

use palisade_grade::{Expectation as E, Observation, Response, Test, grade};

fn csp_result(url: &str, headers: &[(&str, &str)], body: Option<&str>) -> E {
    let mut response = Response::new(url.parse().unwrap(), 200)
        .header("Content-Type", "text/html")
        .headers(headers.iter().copied());
    if let Some(body) = body {
        response = response.body(body);
    }
    grade(&Observation::new(response))
        .test(Test::ContentSecurityPolicy)
        .result
}

fn header(policy: &str) -> E {
    csp_result(
        "https://example.com/",
        &[("Content-Security-Policy", policy)],
        None,
    )
}

#[test]
fn a_nonce_makes_unsafe_inline_harmless() {
    assert_eq!(
        header("default-src 'self'; script-src 'self' 'unsafe-inline' 'nonce-abc123'"),
        E::CspImplementedWithNoUnsafe
    );
    assert_eq!(
        header("default-src 'self'; script-src 'self' 'unsafe-inline'"),
        E::CspImplementedWithUnsafeInline
    );
}

#[test]
fn strict_dynamic_with_a_hash_ignores_broad_sources() {
    assert_eq!(
        header(
            "object-src 'none'; script-src 'strict-dynamic' 'sha256-abc=' https: http: 'unsafe-inline'; default-src 'self'"
        ),
        E::CspImplementedWithNoUnsafe
    );
}

#[test]
fn strict_dynamic_without_nonce_or_hash_is_invalid() {
    assert_eq!(
        header("default-src 'self'; script-src 'strict-dynamic'"),
        E::CspHeaderInvalid
    );
}

#[test]
fn data_uri_in_script_src_is_unsafe_inline() {
    assert_eq!(
        header("default-src 'self'; script-src 'self' data:"),
        E::CspImplementedWithUnsafeInline
    );
}

#[test]
fn broad_object_src_is_unsafe_inline() {
    assert_eq!(
        header("default-src 'self'; object-src *"),
        E::CspImplementedWithUnsafeInline
    );
}

#[test]
fn http_sources_matter_only_on_https_pages() {
    let policy = [(
        "Content-Security-Policy",
        "default-src 'self' http://cdn.example.com",
    )];
    assert_eq!(
        csp_result("https://example.com/", &policy, None),
        E::CspImplementedWithInsecureScheme
    );
    assert_eq!(
        csp_result("http://example.com/", &policy, None),
        E::CspImplementedWithNoUnsafe
    );
}

#[test]
fn a_second_header_policy_tightens_the_first() {
    // Both policies apply: a script must pass both, so 'unsafe-inline' from the first is gone.
    let result = csp_result(
        "https://example.com/",
        &[
            (
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline'",
            ),
            ("Content-Security-Policy", "script-src 'self'"),
        ],
        None,
    );
    assert_eq!(result, E::CspImplementedWithNoUnsafe);
}

#[test]
fn comma_separated_policies_in_one_header_are_separate_policies() {
    assert_eq!(
        header("default-src 'self'; script-src 'self' 'unsafe-inline', script-src 'self'"),
        E::CspImplementedWithNoUnsafe
    );
}

#[test]
fn meta_policy_counts_on_html_pages() {
    let body =
        "<head><meta http-equiv=\"content-security-policy\" content=\"default-src 'none'\"></head>";
    assert_eq!(
        csp_result("https://example.com/", &[], Some(body)),
        E::CspImplementedWithNoUnsafeDefaultSrcNone
    );
}

#[test]
fn meta_policy_of_header_only_directives_is_not_a_policy() {
    let body = "<meta http-equiv=\"Content-Security-Policy\" content=\"frame-ancestors 'none'\">";
    assert_eq!(
        csp_result("https://example.com/", &[], Some(body)),
        E::CspNotImplemented
    );
}

#[test]
fn meta_policy_is_ignored_outside_html() {
    let response = Response::new("https://example.com/".parse().unwrap(), 200)
        .header("Content-Type", "text/plain")
        .body("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">");
    let report = grade(&Observation::new(response));
    assert_eq!(
        report.test(Test::ContentSecurityPolicy).result,
        E::CspNotImplemented
    );
}

#[test]
fn empty_or_garbage_headers_are_invalid() {
    assert_eq!(header(""), E::CspHeaderInvalid);
    assert_eq!(header("none"), E::CspHeaderInvalid);
    assert_eq!(
        header("script-src 'self'; object-src 'none'; script-src 'none'"),
        E::CspHeaderInvalid
    );
}

#[test]
fn directive_names_are_case_insensitive() {
    assert_eq!(
        header("DEFAULT-SRC 'NONE'"),
        E::CspImplementedWithNoUnsafeDefaultSrcNone
    );
}
