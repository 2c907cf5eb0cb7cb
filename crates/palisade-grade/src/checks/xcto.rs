//! The X-Content-Type-Options test (`src/analyzer/tests/x-content-type-options.js`).

use crate::expectation::Expectation;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

pub(crate) fn check(observation: &Observation) -> TestResult {
    let result = match observation.response.non_empty("x-content-type-options") {
        None => Expectation::XContentTypeOptionsNotImplemented,
        Some(v)
            if v.chars()
                .take(256)
                .collect::<String>()
                .trim()
                .eq_ignore_ascii_case("nosniff") =>
        {
            Expectation::XContentTypeOptionsNosniff
        }
        Some(_) => Expectation::XContentTypeOptionsHeaderInvalid,
    };
    let pass = result == Expectation::XContentTypeOptionsNosniff;
    TestResult::new(Test::XContentTypeOptions, result, Verdict::passing(pass))
}
