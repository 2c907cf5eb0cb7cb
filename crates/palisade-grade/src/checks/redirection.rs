//! The redirection test (`src/analyzer/tests/redirection.js`): the plain-HTTP site should
//! redirect first to HTTPS on the same host (so that host's HSTS header is seen), and end on
//! HTTPS.

use crate::expectation::Expectation;
use crate::input::{Certificate, HttpProbe, Observation};
use crate::report::{Test, TestResult, Verdict};

pub(crate) fn check(observation: &Observation) -> TestResult {
    let hops = match &observation.http_probe {
        None => {
            return TestResult::new(
                Test::Redirection,
                Expectation::RedirectionNotTested,
                Verdict::NotTested,
            )
            .with_note(
                "no plain-HTTP URL to probe: pass --http-url, or grade a URL on the default port",
            );
        }
        Some(HttpProbe::Unreachable) => None,
        Some(HttpProbe::Chain { hops, .. }) if hops.is_empty() => None,
        Some(HttpProbe::Chain { hops, certificate }) => Some((hops, *certificate)),
    };
    let result = match hops {
        None => Expectation::RedirectionNotNeededNoHttp,
        Some((_, Certificate::Invalid)) => Expectation::RedirectionInvalidCert,
        Some((route, Certificate::Valid)) => {
            let scheme = |i: usize| route.get(i).map(|h| h.url.scheme());
            let host = |i: usize| route.get(i).and_then(|h| h.url.host_str());
            if route
                .iter()
                .all(|hop| observation.is_preloaded(hop.url.host_str()))
            {
                Expectation::RedirectionAllRedirectsPreloaded
            } else if route.len() == 1 {
                Expectation::RedirectionMissing
            } else if scheme(route.len() - 1) != Some("https") {
                Expectation::RedirectionNotToHttps
            } else if scheme(1) == Some("http") {
                Expectation::RedirectionNotToHttpsOnInitialRedirection
            } else if scheme(0) == Some("http") && scheme(1) == Some("https") && host(0) != host(1)
            {
                Expectation::RedirectionOffHostFromHttp
            } else {
                Expectation::RedirectionToHttps
            }
        }
    };
    let pass = matches!(
        result,
        Expectation::RedirectionNotNeededNoHttp
            | Expectation::RedirectionAllRedirectsPreloaded
            | Expectation::RedirectionToHttps
    );
    TestResult::new(Test::Redirection, result, Verdict::passing(pass))
}
