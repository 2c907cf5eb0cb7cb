//! The CORS test (`src/analyzer/tests/cors.js`), on the answer to a preflight from a foreign
//! origin: echoing that origin back with `Access-Control-Allow-Credentials: true` lets any
//! site read the page with the visitor's cookies.

use crate::expectation::Expectation;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

pub(crate) fn check(observation: &Observation) -> TestResult {
    let mut result = Expectation::CrossOriginResourceSharingNotImplemented;
    if let Some(preflight) = &observation.cors_preflight
        && let Some(acao) = preflight
            .first("access-control-allow-origin")
            .filter(|v| !v.is_empty())
    {
        let credentials = preflight
            .first("access-control-allow-credentials")
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("true"));
        let data: String = acao.chars().take(256).collect();
        result = if data.trim() == "*" {
            Expectation::CrossOriginResourceSharingImplementedWithPublicAccess
        } else if !preflight.origin.is_empty() && preflight.origin == acao && credentials {
            Expectation::CrossOriginResourceSharingImplementedWithUniversalAccess
        } else {
            Expectation::CrossOriginResourceSharingImplementedWithRestrictedAccess
        };
    }
    let pass = result != Expectation::CrossOriginResourceSharingImplementedWithUniversalAccess;
    TestResult::new(
        Test::CrossOriginResourceSharing,
        result,
        Verdict::passing(pass),
    )
}
