//! The Cross-Origin-Resource-Policy test
//! (`src/analyzer/tests/cross-origin-resource-policy.js`).

use crate::expectation::Expectation;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

pub(crate) fn check(observation: &Observation) -> TestResult {
    let result = match observation
        .response
        .non_empty("cross-origin-resource-policy")
    {
        None => Expectation::CorpNotImplemented,
        Some(header) => {
            let value: String = header.chars().take(256).collect();
            match value.trim().to_ascii_lowercase().as_str() {
                "same-site" => Expectation::CorpImplementedWithSameSite,
                "same-origin" => Expectation::CorpImplementedWithSameOrigin,
                "cross-origin" => Expectation::CorpImplementedWithCrossOrigin,
                _ => Expectation::CorpHeaderInvalid,
            }
        }
    };
    let pass = result != Expectation::CorpHeaderInvalid;
    TestResult::new(
        Test::CrossOriginResourcePolicy,
        result,
        Verdict::passing(pass),
    )
}
