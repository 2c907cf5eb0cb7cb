//! One test per result: starting from a page where every test scores 0 (score 100), change the
//! one thing that gives the result, then check its id, its modifier and the resulting score and
//! grade.

use palisade_grade::{
    Certificate, CorsPreflight, Expectation, Grade, Hop, HttpProbe, Observation, Response, Test,
    Verdict, grade,
};

const URL: &str = "https://example.com/";
const NEUTRAL_CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'";

/// A page scoring exactly 100 with no bonus: every test at modifier 0.
struct Page {
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    probe: Option<HttpProbe>,
    preflight: Option<CorsPreflight>,
    preloaded: Vec<String>,
    invalid_cert: bool,
}

fn neutral() -> Page {
    let headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", NEUTRAL_CSP),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    ];
    Page {
        url: URL.to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        body: Some("<p>hello</p>".to_owned()),
        probe: Some(chain(&[("http://example.com/", 301), (URL, 200)])),
        preflight: None,
        preloaded: Vec::new(),
        invalid_cert: false,
    }
}

fn chain(hops: &[(&str, u16)]) -> HttpProbe {
    HttpProbe::chain(
        hops.iter()
            .map(|(u, s)| Hop::new(u.parse().unwrap(), *s))
            .collect(),
    )
}

impl Page {
    /// Replaces (or with `None` removes) a header.
    fn set(mut self, name: &str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            self.headers.push((name.to_owned(), v.to_owned()));
        }
        self
    }

    fn add(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn body(mut self, html: &str) -> Self {
        self.body = Some(html.to_owned());
        self
    }

    fn grade(self) -> palisade_grade::Report {
        let mut response = Response::new(self.url.parse().unwrap(), 200).headers(self.headers);
        if let Some(body) = self.body {
            response = response.body(body);
        }
        if self.invalid_cert {
            response = response.invalid_certificate();
        }
        let mut observation = Observation::new(response);
        if let Some(probe) = self.probe {
            observation = observation.http_probe(probe);
        }
        if let Some(preflight) = self.preflight {
            observation = observation.cors_preflight(preflight);
        }
        for host in self.preloaded {
            observation = observation.hsts_preloaded(host);
        }
        grade(&observation)
    }
}

/// Asserts `test`'s result and modifier, and the page's score and grade.
fn check(page: Page, test: Test, id: &str, modifier: i32, score: u32, grade: Grade) {
    let report = page.grade();
    let got = report.test(test);
    assert_eq!(got.result.id(), id, "{}", test.name());
    assert_eq!(got.modifier, modifier, "{id}");
    assert_eq!(got.result.modifier(), modifier, "{id}");
    assert_eq!((report.score, report.grade), (score, grade), "{id}");
}

#[test]
fn the_neutral_page_scores_exactly_100() {
    let report = neutral().grade();
    assert!(report.tests.iter().all(|t| t.modifier == 0), "{report:#?}");
    assert_eq!((report.score, report.grade), (100, Grade::APlus));
}

// Content Security Policy

fn csp(policy: &str) -> Page {
    neutral().set("Content-Security-Policy", Some(policy))
}

const CSP: Test = Test::ContentSecurityPolicy;

#[test]
fn csp_default_src_none() {
    let page = csp("default-src 'none'; img-src 'self'");
    check(
        page,
        CSP,
        "csp-implemented-with-no-unsafe-default-src-none",
        10,
        110,
        Grade::APlus,
    );
}

#[test]
fn csp_no_unsafe() {
    check(
        csp("default-src 'self'"),
        CSP,
        "csp-implemented-with-no-unsafe",
        5,
        105,
        Grade::APlus,
    );
}

#[test]
fn csp_unsafe_inline_in_style_src_only() {
    let page = csp("default-src 'self'; style-src 'self' https:");
    check(
        page,
        CSP,
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn csp_insecure_scheme_in_passive_content_only() {
    let page = csp("default-src 'self'; img-src 'self' http://img.example.com");
    let id = "csp-implemented-with-insecure-scheme-in-passive-content-only";
    check(page, CSP, id, -10, 90, Grade::A);
}

#[test]
fn csp_unsafe_eval() {
    let page = csp("default-src 'self'; script-src 'self' 'unsafe-eval'");
    check(
        page,
        CSP,
        "csp-implemented-with-unsafe-eval",
        -10,
        90,
        Grade::A,
    );
}

#[test]
fn csp_unsafe_inline() {
    let page = csp("default-src 'self'; script-src 'self' 'unsafe-inline'");
    check(
        page,
        CSP,
        "csp-implemented-with-unsafe-inline",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn csp_without_script_or_object_restriction_is_unsafe_inline() {
    check(
        csp("img-src 'self'"),
        CSP,
        "csp-implemented-with-unsafe-inline",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn csp_insecure_scheme() {
    let page = csp("default-src 'self' http://cdn.example.com");
    check(
        page,
        CSP,
        "csp-implemented-with-insecure-scheme",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn csp_duplicate_report_uri_loses_the_bonus() {
    let page = csp("default-src 'self'; report-uri /a; report-uri /b");
    check(
        page,
        CSP,
        "csp-implemented-but-duplicate-directives",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn csp_header_invalid() {
    let page = csp("default-src 'self'; default-src 'none'");
    check(page, CSP, "csp-header-invalid", -25, 75, Grade::B);
}

#[test]
fn csp_not_implemented() {
    let page = neutral().set("Content-Security-Policy", None);
    check(page, CSP, "csp-not-implemented", -25, 75, Grade::B);
}

#[test]
fn csp_report_only() {
    let page = neutral()
        .set("Content-Security-Policy", None)
        .add("Content-Security-Policy-Report-Only", "default-src 'none'");
    check(
        page,
        CSP,
        "csp-not-implemented-but-reporting-enabled",
        -25,
        75,
        Grade::B,
    );
}

// Cookies

const COOKIES: Test = Test::Cookies;

fn cookie(line: &str) -> Page {
    neutral().add("Set-Cookie", line)
}

/// HSTS under six months (-10) so that HSTS no longer protects cookies without Secure.
fn cookie_without_hsts(line: &str) -> Page {
    cookie(line).set("Strict-Transport-Security", Some("max-age=300"))
}

#[test]
fn cookies_secure_httponly_samesite() {
    let page = cookie("sessionid=1; Secure; HttpOnly; SameSite=Lax");
    let id = "cookies-secure-with-httponly-sessions-and-samesite";
    check(page, COOKIES, id, 5, 105, Grade::APlus);
}

#[test]
fn cookies_secure_httponly_without_samesite() {
    let page = cookie("sessionid=1; Secure; HttpOnly");
    check(
        page,
        COOKIES,
        "cookies-secure-with-httponly-sessions",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn cookies_not_found() {
    check(
        neutral(),
        COOKIES,
        "cookies-not-found",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn cookies_deleted_by_max_age_zero_are_not_found() {
    let page = cookie("sessionid=; Max-Age=0; Path=/");
    check(page, COOKIES, "cookies-not-found", 0, 100, Grade::APlus);
}

#[test]
fn cookies_without_secure_but_hsts() {
    let page = cookie("theme=dark; SameSite=Lax");
    let id = "cookies-without-secure-flag-but-protected-by-hsts";
    check(page, COOKIES, id, -5, 95, Grade::A);
}

#[test]
fn cookies_session_without_secure_but_hsts() {
    let page = cookie("sessionid=1; HttpOnly; SameSite=Lax");
    let id = "cookies-session-without-secure-flag-but-protected-by-hsts";
    check(page, COOKIES, id, -10, 90, Grade::A);
}

#[test]
fn cookies_without_secure() {
    // -20 for the cookie, -10 for the short HSTS.
    let page = cookie_without_hsts("theme=dark; SameSite=Lax");
    check(
        page,
        COOKIES,
        "cookies-without-secure-flag",
        -20,
        70,
        Grade::B,
    );
}

#[test]
fn cookies_samesite_invalid_value() {
    let page = cookie("theme=dark; Secure; SameSite=Loose");
    check(
        page,
        COOKIES,
        "cookies-samesite-flag-invalid",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn cookies_samesite_none_without_secure() {
    let page = cookie("theme=dark; SameSite=None");
    check(
        page,
        COOKIES,
        "cookies-samesite-flag-invalid",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn cookies_anticsrf_without_samesite() {
    let page = cookie("csrftoken=abc; Secure");
    check(
        page,
        COOKIES,
        "cookies-anticsrf-without-samesite-flag",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn cookies_session_without_httponly() {
    let page = cookie("PHPSESSID=abc; Secure; SameSite=Lax");
    check(
        page,
        COOKIES,
        "cookies-session-without-httponly-flag",
        -30,
        70,
        Grade::B,
    );
}

#[test]
fn cookies_login_cookie_is_a_session_cookie() {
    let page = cookie("remember_login=abc; Secure; SameSite=Strict");
    check(
        page,
        COOKIES,
        "cookies-session-without-httponly-flag",
        -30,
        70,
        Grade::B,
    );
}

#[test]
fn cookies_session_without_secure() {
    // -40 for the cookie, -10 for the short HSTS.
    let page = cookie_without_hsts("sessionid=1; HttpOnly; SameSite=Lax");
    check(
        page,
        COOKIES,
        "cookies-session-without-secure-flag",
        -40,
        50,
        Grade::C,
    );
}

// Cross-origin resource sharing

const CORS: Test = Test::CrossOriginResourceSharing;
const ORIGIN: &str = "https://grader.palisade.invalid";

fn preflight(headers: &[(&str, &str)]) -> Page {
    let mut answer = CorsPreflight::new(ORIGIN);
    for (n, v) in headers {
        answer = answer.header(*n, *v);
    }
    Page {
        preflight: Some(answer),
        ..neutral()
    }
}

#[test]
fn cors_not_implemented() {
    let page = preflight(&[("Allow", "GET, HEAD")]);
    check(
        page,
        CORS,
        "cross-origin-resource-sharing-not-implemented",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn cors_public_access() {
    // A wildcard with credentials is still public: browsers refuse credentials with `*`.
    let page = preflight(&[
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Credentials", "true"),
    ]);
    let id = "cross-origin-resource-sharing-implemented-with-public-access";
    check(page, CORS, id, 0, 100, Grade::APlus);
}

#[test]
fn cors_restricted_access() {
    let page = preflight(&[
        ("Access-Control-Allow-Origin", "https://partner.example.com"),
        ("Access-Control-Allow-Credentials", "true"),
    ]);
    let id = "cross-origin-resource-sharing-implemented-with-restricted-access";
    check(page, CORS, id, 0, 100, Grade::APlus);
}

#[test]
fn cors_universal_access() {
    let page = preflight(&[
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
    ]);
    let id = "cross-origin-resource-sharing-implemented-with-universal-access";
    check(page, CORS, id, -50, 50, Grade::C);
}

// Redirection

const REDIRECTION: Test = Test::Redirection;

fn probe(hops: &[(&str, u16)]) -> Page {
    Page {
        probe: Some(chain(hops)),
        ..neutral()
    }
}

#[test]
fn redirection_all_redirects_preloaded() {
    let page = Page {
        preloaded: vec!["example.com".to_owned()],
        ..neutral()
    };
    // The preloaded host also earns hsts-preloaded (+5).
    check(
        page,
        REDIRECTION,
        "redirection-all-redirects-preloaded",
        0,
        105,
        Grade::APlus,
    );
}

#[test]
fn redirection_to_https() {
    check(
        neutral(),
        REDIRECTION,
        "redirection-to-https",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn redirection_not_needed_no_http() {
    let page = Page {
        probe: Some(HttpProbe::Unreachable),
        ..neutral()
    };
    check(
        page,
        REDIRECTION,
        "redirection-not-needed-no-http",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn redirection_not_tested() {
    let page = Page {
        probe: None,
        ..neutral()
    };
    let report = page.grade();
    let result = report.test(REDIRECTION);
    assert_eq!(
        (result.result.id(), result.modifier),
        ("redirection-not-tested", 0)
    );
    assert_eq!(result.verdict, Verdict::NotTested);
    assert!(result.note.as_deref().unwrap().contains("--http-url"));
    assert_eq!((report.score, report.grade), (100, Grade::APlus));
}

#[test]
fn redirection_off_host() {
    let page = probe(&[
        ("http://example.com/", 301),
        ("https://www.example.com/", 200),
    ]);
    check(
        page,
        REDIRECTION,
        "redirection-off-host-from-http",
        -5,
        95,
        Grade::A,
    );
}

#[test]
fn redirection_not_to_https_first() {
    let page = probe(&[
        ("http://example.com/", 301),
        ("http://www.example.com/", 301),
        ("https://www.example.com/", 200),
    ]);
    let id = "redirection-not-to-https-on-initial-redirection";
    check(page, REDIRECTION, id, -10, 90, Grade::A);
}

#[test]
fn redirection_not_to_https() {
    let page = probe(&[
        ("http://example.com/", 301),
        ("http://www.example.com/", 200),
    ]);
    check(
        page,
        REDIRECTION,
        "redirection-not-to-https",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn redirection_missing() {
    let page = probe(&[("http://example.com/", 200)]);
    check(
        page,
        REDIRECTION,
        "redirection-missing",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn redirection_invalid_cert() {
    let hops = vec![
        Hop::new("http://example.com/".parse().unwrap(), 301),
        Hop::new(URL.parse().unwrap(), 200),
    ];
    let page = Page {
        probe: Some(HttpProbe::Chain {
            hops,
            certificate: Certificate::Invalid,
        }),
        ..neutral()
    };
    check(
        page,
        REDIRECTION,
        "redirection-invalid-cert",
        -20,
        80,
        Grade::BPlus,
    );
}

// Referrer-Policy

const REFERRER: Test = Test::ReferrerPolicy;

fn referrer(value: &str) -> Page {
    neutral().set("Referrer-Policy", Some(value))
}

#[test]
fn referrer_private() {
    let page = referrer("strict-origin-when-cross-origin");
    check(
        page,
        REFERRER,
        "referrer-policy-private",
        5,
        105,
        Grade::APlus,
    );
}

#[test]
fn referrer_from_meta_tag() {
    let page = neutral().body("<meta name=\"referrer\" content=\"no-referrer\">");
    check(
        page,
        REFERRER,
        "referrer-policy-private",
        5,
        105,
        Grade::APlus,
    );
}

#[test]
fn referrer_not_implemented() {
    check(
        neutral(),
        REFERRER,
        "referrer-policy-not-implemented",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn referrer_unsafe_last_value_wins() {
    let page = referrer("no-referrer, unsafe-url");
    check(page, REFERRER, "referrer-policy-unsafe", -5, 95, Grade::A);
}

#[test]
fn referrer_invalid() {
    check(
        referrer("nope"),
        REFERRER,
        "referrer-policy-header-invalid",
        -5,
        95,
        Grade::A,
    );
}

// Strict-Transport-Security

const HSTS: Test = Test::StrictTransportSecurity;

fn hsts(value: Option<&str>) -> Page {
    neutral().set("Strict-Transport-Security", value)
}

#[test]
fn hsts_preloaded() {
    let page = Page {
        preloaded: vec!["example.com".to_owned()],
        ..hsts(None)
    };
    check(page, HSTS, "hsts-preloaded", 5, 105, Grade::APlus);
}

#[test]
fn hsts_at_least_six_months() {
    let page = hsts(Some("max-age=15552000; includeSubDomains; preload"));
    check(
        page,
        HSTS,
        "hsts-implemented-max-age-at-least-six-months",
        0,
        100,
        Grade::APlus,
    );
    // Six months passes the test, but is too short for the preload list it asks for.
    let report = hsts(Some("max-age=15552000; includeSubDomains; preload")).grade();
    let note = report.test(HSTS).note.clone().unwrap();
    assert!(note.contains("requires includeSubDomains"), "{note}");
}

#[test]
fn hsts_less_than_six_months() {
    let page = hsts(Some("max-age=86400"));
    check(
        page,
        HSTS,
        "hsts-implemented-max-age-less-than-six-months",
        -10,
        90,
        Grade::A,
    );
}

#[test]
fn hsts_not_implemented() {
    check(
        hsts(None),
        HSTS,
        "hsts-not-implemented",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn hsts_invalid() {
    check(
        hsts(Some("includeSubDomains")),
        HSTS,
        "hsts-header-invalid",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn hsts_sent_twice_is_invalid() {
    let page = neutral().add("Strict-Transport-Security", "max-age=31536000");
    check(page, HSTS, "hsts-header-invalid", -20, 80, Grade::BPlus);
}

#[test]
fn hsts_no_https() {
    let page = Page {
        url: "http://example.com/".to_owned(),
        probe: None,
        ..neutral()
    };
    check(
        page,
        HSTS,
        "hsts-not-implemented-no-https",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn hsts_invalid_cert() {
    let page = Page {
        invalid_cert: true,
        ..neutral()
    };
    check(page, HSTS, "hsts-invalid-cert", -20, 80, Grade::BPlus);
}

// Subresource Integrity

const SRI: Test = Test::SubresourceIntegrity;
const HASH: &str = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC";

fn scripts(html: &str) -> Page {
    neutral().body(html)
}

#[test]
fn sri_all_scripts_loaded_securely() {
    let page = scripts(&format!(
        "<script src=\"/app.js\" integrity=\"{HASH}\"></script>"
    ));
    check(
        page,
        SRI,
        "sri-implemented-and-all-scripts-loaded-securely",
        5,
        105,
        Grade::APlus,
    );
}

#[test]
fn sri_external_scripts_loaded_securely() {
    let page = scripts(&format!(
        "<script src=\"https://cdn.jsdelivr.net/npm/x.js\" integrity=\"{HASH}\"></script>"
    ));
    let id = "sri-implemented-and-external-scripts-loaded-securely";
    check(page, SRI, id, 5, 105, Grade::APlus);
}

#[test]
fn sri_response_not_html() {
    let page = neutral().set("Content-Type", Some("application/json"));
    check(
        page,
        SRI,
        "sri-not-implemented-response-not-html",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn sri_no_scripts() {
    check(
        neutral(),
        SRI,
        "sri-not-implemented-but-no-scripts-loaded",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn sri_same_site_scripts() {
    let page = scripts(
        "<script src=\"/app.js\"></script><script src=\"https://static.example.com/x.js\"></script><script>1</script>",
    );
    let id = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin";
    check(page, SRI, id, 0, 100, Grade::APlus);
}

#[test]
fn sri_missing_on_https_external_scripts() {
    let page = scripts("<script src=\"https://cdn.jsdelivr.net/npm/x.js\"></script>");
    let id = "sri-not-implemented-but-external-scripts-loaded-securely";
    check(page, SRI, id, -5, 95, Grade::A);
}

#[test]
fn sri_with_protocol_relative_external_script() {
    let page = scripts(&format!(
        "<script src=\"//cdn.jsdelivr.net/npm/x.js\" integrity=\"{HASH}\"></script>"
    ));
    let id = "sri-implemented-but-external-scripts-not-loaded-securely";
    check(page, SRI, id, -20, 80, Grade::BPlus);
}

#[test]
fn sri_missing_on_http_external_script() {
    let page = scripts("<script src=\"http://cdn.jsdelivr.net/npm/x.js\"></script>");
    let id = "sri-not-implemented-and-external-scripts-not-loaded-securely";
    check(page, SRI, id, -50, 50, Grade::C);
}

// X-Content-Type-Options

const XCTO: Test = Test::XContentTypeOptions;

#[test]
fn xcto_nosniff() {
    let page = neutral().set("X-Content-Type-Options", Some(" NoSniff "));
    check(
        page,
        XCTO,
        "x-content-type-options-nosniff",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn xcto_not_implemented() {
    let page = neutral().set("X-Content-Type-Options", None);
    check(
        page,
        XCTO,
        "x-content-type-options-not-implemented",
        -5,
        95,
        Grade::A,
    );
}

#[test]
fn xcto_invalid() {
    let page = neutral().add("X-Content-Type-Options", "nosniff");
    check(
        page,
        XCTO,
        "x-content-type-options-header-invalid",
        -5,
        95,
        Grade::A,
    );
}

// X-Frame-Options

const XFO: Test = Test::XFrameOptions;

#[test]
fn xfo_via_csp() {
    let page = csp(&format!("{NEUTRAL_CSP}; frame-ancestors 'none'")).set("X-Frame-Options", None);
    check(
        page,
        XFO,
        "x-frame-options-implemented-via-csp",
        5,
        105,
        Grade::APlus,
    );
}

#[test]
fn xfo_meta_frame_ancestors_does_not_count() {
    let page = neutral()
        .set("X-Frame-Options", None)
        .body("<meta http-equiv=\"Content-Security-Policy\" content=\"frame-ancestors 'none'\">");
    check(
        page,
        XFO,
        "x-frame-options-not-implemented",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn xfo_sameorigin_or_deny() {
    let page = neutral().set("X-Frame-Options", Some("SAMEORIGIN"));
    check(
        page,
        XFO,
        "x-frame-options-sameorigin-or-deny",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn xfo_allow_from() {
    let page = neutral().set(
        "X-Frame-Options",
        Some("ALLOW-FROM https://partner.example.com"),
    );
    check(
        page,
        XFO,
        "x-frame-options-allow-from-origin",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn xfo_not_implemented() {
    let page = neutral().set("X-Frame-Options", None);
    check(
        page,
        XFO,
        "x-frame-options-not-implemented",
        -20,
        80,
        Grade::BPlus,
    );
}

#[test]
fn xfo_invalid() {
    let page = neutral().set("X-Frame-Options", Some("ALLOWALL"));
    check(
        page,
        XFO,
        "x-frame-options-header-invalid",
        -20,
        80,
        Grade::BPlus,
    );
}

// Cross-Origin-Resource-Policy

const CORP: Test = Test::CrossOriginResourcePolicy;

fn corp(value: Option<&str>) -> Page {
    neutral().set("Cross-Origin-Resource-Policy", value)
}

#[test]
fn corp_not_implemented() {
    check(
        corp(None),
        CORP,
        "corp-not-implemented",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn corp_same_origin() {
    let page = corp(Some("same-origin"));
    check(
        page,
        CORP,
        "corp-implemented-with-same-origin",
        10,
        110,
        Grade::APlus,
    );
}

#[test]
fn corp_same_site() {
    check(
        corp(Some("same-site")),
        CORP,
        "corp-implemented-with-same-site",
        10,
        110,
        Grade::APlus,
    );
}

#[test]
fn corp_cross_origin() {
    let page = corp(Some("cross-origin"));
    check(
        page,
        CORP,
        "corp-implemented-with-cross-origin",
        0,
        100,
        Grade::APlus,
    );
}

#[test]
fn corp_invalid() {
    check(
        corp(Some("same-host")),
        CORP,
        "corp-header-invalid",
        -5,
        95,
        Grade::A,
    );
}

#[test]
fn every_result_has_the_published_modifier() {
    // The Observatory's SCORE_TABLE (mdn/mdn-http-observatory src/grader/charts.js).
    let published: &[(&str, i32)] = &[
        ("csp-implemented-with-no-unsafe-default-src-none", 10),
        ("csp-implemented-with-no-unsafe", 5),
        ("csp-implemented-with-unsafe-inline-in-style-src-only", 0),
        (
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
        ),
        ("csp-implemented-with-unsafe-eval", -10),
        ("csp-implemented-with-unsafe-inline", -20),
        ("csp-implemented-with-insecure-scheme", -20),
        ("csp-implemented-but-duplicate-directives", 0),
        ("csp-header-invalid", -25),
        ("csp-not-implemented", -25),
        ("csp-not-implemented-but-reporting-enabled", -25),
        ("cookies-secure-with-httponly-sessions-and-samesite", 5),
        ("cookies-secure-with-httponly-sessions", 0),
        ("cookies-not-found", 0),
        ("cookies-without-secure-flag-but-protected-by-hsts", -5),
        (
            "cookies-session-without-secure-flag-but-protected-by-hsts",
            -10,
        ),
        ("cookies-without-secure-flag", -20),
        ("cookies-samesite-flag-invalid", -20),
        ("cookies-anticsrf-without-samesite-flag", -20),
        ("cookies-session-without-httponly-flag", -30),
        ("cookies-session-without-secure-flag", -40),
        ("cross-origin-resource-sharing-not-implemented", 0),
        (
            "cross-origin-resource-sharing-implemented-with-public-access",
            0,
        ),
        (
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            0,
        ),
        (
            "cross-origin-resource-sharing-implemented-with-universal-access",
            -50,
        ),
        ("redirection-all-redirects-preloaded", 0),
        ("redirection-to-https", 0),
        ("redirection-not-needed-no-http", 0),
        ("redirection-not-tested", 0),
        ("redirection-off-host-from-http", -5),
        ("redirection-not-to-https-on-initial-redirection", -10),
        ("redirection-not-to-https", -20),
        ("redirection-missing", -20),
        ("redirection-invalid-cert", -20),
        ("referrer-policy-private", 5),
        ("referrer-policy-not-implemented", 0),
        ("referrer-policy-unsafe", -5),
        ("referrer-policy-header-invalid", -5),
        ("hsts-preloaded", 5),
        ("hsts-implemented-max-age-at-least-six-months", 0),
        ("hsts-implemented-max-age-less-than-six-months", -10),
        ("hsts-not-implemented", -20),
        ("hsts-header-invalid", -20),
        ("hsts-not-implemented-no-https", -20),
        ("hsts-invalid-cert", -20),
        ("sri-implemented-and-all-scripts-loaded-securely", 5),
        ("sri-implemented-and-external-scripts-loaded-securely", 5),
        ("sri-not-implemented-response-not-html", 0),
        ("sri-not-implemented-but-no-scripts-loaded", 0),
        (
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
            0,
        ),
        (
            "sri-not-implemented-but-external-scripts-loaded-securely",
            -5,
        ),
        (
            "sri-implemented-but-external-scripts-not-loaded-securely",
            -20,
        ),
        (
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
            -50,
        ),
        ("html-not-parseable", -20),
        ("x-content-type-options-nosniff", 0),
        ("x-content-type-options-not-implemented", -5),
        ("x-content-type-options-header-invalid", -5),
        ("x-frame-options-implemented-via-csp", 5),
        ("x-frame-options-sameorigin-or-deny", 0),
        ("x-frame-options-allow-from-origin", 0),
        ("x-frame-options-not-implemented", -20),
        ("x-frame-options-header-invalid", -20),
        ("corp-not-implemented", 0),
        ("corp-implemented-with-same-origin", 10),
        ("corp-implemented-with-same-site", 10),
        ("corp-implemented-with-cross-origin", 0),
        ("corp-header-invalid", -5),
    ];
    let ours: Vec<(&str, i32)> = Expectation::ALL
        .iter()
        .map(|e| (e.id(), e.modifier()))
        .collect();
    assert_eq!(ours, published);
    assert!(Expectation::ALL.iter().all(|e| !e.description().is_empty()));
}
