//! Recorded header sets (`tests/fixtures/<scenario>/headers.txt`, plus `body.html`), graded
//! end to end: every test's result, the score and the grade.

use std::path::PathBuf;

use palisade_grade::{
    Expectation as E, Grade, Hop, HttpProbe, Observation, Report, Response, Test, Verdict, grade,
};

fn fixture(scenario: &str, url: &str) -> Response {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(scenario);
    let headers = std::fs::read_to_string(dir.join("headers.txt")).expect("headers.txt");
    let mut response = Response::new(url.parse().unwrap(), 200);
    for line in headers
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line.split_once(':').expect("Name: value");
        response = response.header(name.trim(), value.trim());
    }
    match std::fs::read_to_string(dir.join("body.html")) {
        Ok(body) => response.body(body),
        Err(_) => response,
    }
}

/// The plain-HTTP site redirecting to the same path over HTTPS.
fn redirects_to_https(https_url: &str) -> HttpProbe {
    let https: palisade_grade::Url = https_url.parse().unwrap();
    let mut http = https.clone();
    http.set_scheme("http").unwrap();
    HttpProbe::chain(vec![Hop::new(http, 301), Hop::new(https, 200)])
}

/// Asserts each test's result id, modifier and verdict, in the Observatory's order.
fn assert_results(report: &Report, expected: [(E, i32, Verdict); 10]) {
    for (test, (result, modifier, verdict)) in Test::ALL.into_iter().zip(expected) {
        let got = report.test(test);
        assert_eq!(
            (got.result.id(), got.modifier, got.verdict),
            (result.id(), modifier, verdict),
            "{}",
            test.name()
        );
    }
}

const PASS: Verdict = Verdict::Pass;
const FAIL: Verdict = Verdict::Fail;

#[test]
fn helmet_defaults_over_https_score_a_plus() {
    let url = "https://app.example.com/";
    let observation =
        Observation::new(fixture("helmet-defaults", url)).http_probe(redirects_to_https(url));
    let report = grade(&observation);
    assert_results(
        &report,
        [
            (E::CspImplementedWithUnsafeInlineInStyleSrcOnly, 0, PASS),
            (E::CookiesNotFound, 0, PASS),
            (E::CrossOriginResourceSharingNotImplemented, 0, PASS),
            (E::RedirectionToHttps, 0, PASS),
            (E::ReferrerPolicyPrivate, 5, PASS),
            (E::HstsImplementedMaxAgeAtLeastSixMonths, 0, PASS),
            (E::SriNotImplementedButNoScriptsLoaded, 0, PASS),
            (E::XContentTypeOptionsNosniff, 0, PASS),
            (E::XFrameOptionsImplementedViaCsp, 5, PASS),
            (E::CorpImplementedWithSameOrigin, 10, PASS),
        ],
    );
    assert_eq!((report.score, report.grade), (120, Grade::APlus));
    assert_eq!((report.tests_passed, report.tests_failed), (10, 0));
    assert!(report.notes.is_empty());
}

#[test]
fn bare_express_over_https_scores_d() {
    let report = grade(&Observation::new(fixture(
        "bare-express",
        "https://app.example.com/",
    )));
    assert_results(
        &report,
        [
            (E::CspNotImplemented, -25, FAIL),
            (E::CookiesNotFound, 0, PASS),
            (E::CrossOriginResourceSharingNotImplemented, 0, PASS),
            (E::RedirectionNotTested, 0, Verdict::NotTested),
            (E::ReferrerPolicyNotImplemented, 0, PASS),
            (E::HstsNotImplemented, -20, FAIL),
            (E::SriNotImplementedButNoScriptsLoaded, 0, PASS),
            (E::XContentTypeOptionsNotImplemented, -5, FAIL),
            (E::XFrameOptionsNotImplemented, -20, FAIL),
            (E::CorpNotImplemented, 0, PASS),
        ],
    );
    assert_eq!((report.score, report.grade), (30, Grade::D));
    assert!(report.test(Test::Redirection).note.is_some());
}

#[test]
fn bare_express_over_plain_http_scores_f() {
    let url = "http://app.example.com/";
    let observation = Observation::new(fixture("bare-express", url))
        .http_probe(HttpProbe::chain(vec![Hop::new(url.parse().unwrap(), 200)]));
    let report = grade(&observation);
    assert_eq!(report.test(Test::Redirection).result, E::RedirectionMissing);
    assert_eq!(
        report.test(Test::StrictTransportSecurity).result,
        E::HstsNotImplementedNoHttps
    );
    // 100 - 25 (CSP) - 20 (redirection) - 20 (HSTS) - 5 (XCTO) - 20 (XFO).
    assert_eq!((report.score, report.grade), (10, Grade::F));
}

#[test]
fn unsafe_inline_in_script_src_costs_twenty_and_the_bonuses() {
    let helmet = fixture("helmet-defaults", "https://app.example.com/");
    let mut response = Response::new(helmet.url.clone(), 200);
    for (name, value) in &helmet.headers {
        let value = if name == "Content-Security-Policy" {
            value.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        } else {
            value.clone()
        };
        response = response.header(name, value);
    }
    let report = grade(&Observation::new(response));
    let csp = report.test(Test::ContentSecurityPolicy);
    assert_eq!(
        (csp.result, csp.modifier),
        (E::CspImplementedWithUnsafeInline, -20)
    );
    assert_eq!(csp.verdict, FAIL);
    // 80 is below 90: the +20 of bonuses (Referrer-Policy, framing via CSP, CORP) are dropped.
    assert_eq!((report.score, report.grade), (80, Grade::BPlus));
}

#[test]
fn php_session_cookie_without_httponly_dominates() {
    let report = grade(&Observation::new(fixture(
        "express-session-php",
        "https://shop.example.com/",
    )));
    let cookies = report.test(Test::Cookies);
    assert_eq!(
        (cookies.result.id(), cookies.modifier),
        ("cookies-session-without-httponly-flag", -30)
    );
    assert_eq!(
        report.test(Test::ContentSecurityPolicy).result,
        E::CspImplementedWithNoUnsafe
    );
    assert_eq!((report.score, report.grade), (70, Grade::B));
}

#[test]
fn django_login_with_secure_settings_collects_every_bonus_it_can() {
    let url = "https://example.com/admin/login/";
    let report =
        grade(&Observation::new(fixture("django-login", url)).http_probe(redirects_to_https(url)));
    assert_results(
        &report,
        [
            (E::CspImplementedWithNoUnsafeDefaultSrcNone, 10, PASS),
            (E::CookiesSecureWithHttponlySessionsAndSamesite, 5, PASS),
            (E::CrossOriginResourceSharingNotImplemented, 0, PASS),
            (E::RedirectionToHttps, 0, PASS),
            (E::ReferrerPolicyPrivate, 5, PASS),
            (E::HstsImplementedMaxAgeAtLeastSixMonths, 0, PASS),
            (E::SriImplementedAndAllScriptsLoadedSecurely, 5, PASS),
            (E::XContentTypeOptionsNosniff, 0, PASS),
            (E::XFrameOptionsImplementedViaCsp, 5, PASS),
            (E::CorpNotImplemented, 0, PASS),
        ],
    );
    assert_eq!((report.score, report.grade), (130, Grade::APlus));
    let hsts = report.test(Test::StrictTransportSecurity);
    assert!(
        hsts.note.as_deref().unwrap().contains("qualifies"),
        "{hsts:?}"
    );
}

#[test]
fn cdn_scripts_over_http_without_sri_score_f() {
    let report = grade(&Observation::new(fixture(
        "cdn-scripts",
        "https://shop.example.com/",
    )));
    let get = |t| report.test(t).result;
    assert_eq!(
        get(Test::ContentSecurityPolicy),
        E::CspImplementedWithUnsafeInline
    );
    assert_eq!(
        get(Test::StrictTransportSecurity),
        E::HstsImplementedMaxAgeLessThanSixMonths
    );
    assert_eq!(get(Test::ReferrerPolicy), E::ReferrerPolicyUnsafe);
    assert_eq!(
        get(Test::SubresourceIntegrity),
        E::SriNotImplementedAndExternalScriptsNotLoadedSecurely
    );
    // 100 - 20 - 10 - 5 - 50.
    assert_eq!((report.score, report.grade), (15, Grade::F));
}

#[test]
fn json_carries_ids_modifiers_and_pass() {
    let report = grade(&Observation::new(fixture(
        "bare-express",
        "https://app.example.com/",
    )));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["grade"], "D");
    assert_eq!(json["score"], 30);
    assert_eq!(json["tests"][0]["test"], "content-security-policy");
    assert_eq!(json["tests"][0]["result"], "csp-not-implemented");
    assert_eq!(json["tests"][0]["modifier"], -25);
    assert_eq!(json["tests"][0]["pass"], false);
    assert_eq!(json["tests"][3]["pass"], serde_json::Value::Null);
}
