//! Grades a page's response headers and cookies the way the Mozilla HTTP Observatory (the
//! current version, run by MDN) scores them.
//!
//! The grader is pure: the caller fetches the page and hands over an [`Observation`] (the final
//! [`Response`] with all its headers and, for HTML, its body; the redirects before it; the
//! plain-HTTP probe; the CORS preflight). [`grade`] runs the Observatory's ten tests, each
//! giving one of the Observatory's result ids ([`Expectation`]) with its score modifier, then
//! scores the page: 100, minus the penalties, plus the bonuses only if the score after
//! penalties is at least 90, never below 0; and maps the score to a [`Grade`].
//!
//! # Example
//!
//! ```
//! use palisade_grade::{Expectation, Grade, Observation, Response, Test, grade};
//!
//! let url = "https://example.com/".parse().unwrap();
//! let response = Response::new(url, 200)
//!     .header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
//!     .header("Strict-Transport-Security", "max-age=63072000")
//!     .header("X-Content-Type-Options", "nosniff")
//!     .header("Referrer-Policy", "no-referrer");
//! let report = grade(&Observation::new(response));
//!
//! let csp = report.test(Test::ContentSecurityPolicy);
//! assert_eq!(csp.result, Expectation::CspImplementedWithNoUnsafeDefaultSrcNone);
//! assert_eq!(csp.result.id(), "csp-implemented-with-no-unsafe-default-src-none");
//! assert_eq!(csp.modifier, 10);
//! // No penalties, so the bonuses count: CSP +10, framing via CSP +5, Referrer-Policy +5.
//! assert_eq!(report.score, 120);
//! assert_eq!(report.grade, Grade::APlus);
//! assert!("A".parse::<Grade>().unwrap() < report.grade);
//! ```
//!
//! # Where palisade differs from the Observatory
//!
//! - The HSTS preload list is not consulted unless the caller provides hosts
//!   ([`Observation::hsts_preloaded`]); the binary has no copy of the list, so it never reports
//!   `hsts-preloaded` or `redirection-all-redirects-preloaded`.
//! - The redirection test needs a plain-HTTP probe; without one it reports
//!   `redirection-not-tested` (palisade's id) with modifier 0.
//! - Several `Content-Security-Policy` lines, or policies separated by commas, are separate
//!   policies (CSP3); the Observatory's HTTP client joins lines with commas and then parses
//!   the result as a single, usually broken, policy.
//! - Only a header policy's `frame-ancestors` earns `x-frame-options-implemented-via-csp`:
//!   browsers ignore it in `<meta>`.
//! - An HSTS `max-age` that is not a number is `hsts-header-invalid` (the Observatory's
//!   `parseInt` yields NaN, which then passes); the quoted form `max-age="…"` is accepted.
//! - Same-site scripts are recognised with an approximation of the public suffix list (last
//!   two labels, three under `co.uk`-style suffixes).
//! - Cookies come from the fetch's responses only (the Observatory also fetches
//!   `/robots.txt`).
#![warn(missing_docs)]

mod checks;
mod expectation;
mod grade;
mod html;
mod input;
mod report;

pub use expectation::Expectation;
pub use grade::{BASELINE, Grade, MINIMUM_SCORE_FOR_EXTRA_CREDIT, ParseGradeError, score};
pub use input::{
    CORS_PROBE_ORIGIN, Certificate, CorsPreflight, Hop, HttpProbe, Observation, Response,
};
pub use report::{Report, Test, TestResult, Verdict};
pub use url::Url;

/// Runs the Observatory's tests on `observation` and scores the page.
pub fn grade(observation: &Observation) -> Report {
    let response = &observation.response;
    // The body is only parsed when it may be HTML: with an HTML Content-Type or none at all.
    let page = if response.mime().is_none_or(|m| m.is_empty()) || response.is_html() {
        html::scan(response.body.as_deref().unwrap_or_default())
    } else {
        Some(html::Page::default())
    };
    let page = page.as_ref();

    let csp = checks::csp::check(observation, page);
    let hsts = checks::hsts::check(observation);
    let hsts_pass = hsts.verdict == Verdict::Pass;
    let tests = vec![
        csp.result,
        checks::cookies::check(observation, hsts_pass),
        checks::cors::check(observation),
        checks::redirection::check(observation),
        checks::referrer::check(observation, page),
        hsts,
        checks::sri::check(observation, page),
        checks::xcto::check(observation),
        checks::xfo::check(observation, csp.frame_ancestors),
        checks::corp::check(observation),
    ];
    Report::new(response.url.to_string(), response.status, tests)
}
