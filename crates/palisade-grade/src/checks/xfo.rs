//! The X-Frame-Options test (`src/analyzer/tests/x-frame-options.js`): a CSP
//! `frame-ancestors` directive supersedes the header and earns the bonus.

use crate::expectation::Expectation;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

pub(crate) fn check(observation: &Observation, csp_frame_ancestors: bool) -> TestResult {
    let header = observation.response.non_empty("x-frame-options");
    let mut result = match header.map(|h| h.chars().take(1024).collect::<String>()) {
        None => Expectation::XFrameOptionsNotImplemented,
        Some(h) => {
            let xfo = h.trim().to_ascii_lowercase();
            if xfo == "deny" || xfo == "sameorigin" {
                Expectation::XFrameOptionsSameoriginOrDeny
            } else if xfo.starts_with("allow-from") {
                Expectation::XFrameOptionsAllowFromOrigin
            } else {
                Expectation::XFrameOptionsHeaderInvalid
            }
        }
    };
    if csp_frame_ancestors {
        result = Expectation::XFrameOptionsImplementedViaCsp;
    }
    let pass = matches!(
        result,
        Expectation::XFrameOptionsAllowFromOrigin
            | Expectation::XFrameOptionsSameoriginOrDeny
            | Expectation::XFrameOptionsImplementedViaCsp
    );
    TestResult::new(Test::XFrameOptions, result, Verdict::passing(pass))
}
