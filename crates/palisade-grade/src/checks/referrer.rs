//! The Referrer-Policy test (`src/analyzer/tests/referrer-policy.js`): header and
//! `<meta name="referrer">` together, the last recognised value winning (as in browsers).

use crate::expectation::Expectation;
use crate::html::Page;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

const PRIVATE: [&str; 4] = [
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
];
const UNSAFE: [&str; 4] = [
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
];

pub(crate) fn check(observation: &Observation, page: Option<&Page>) -> TestResult {
    let response = &observation.response;
    let header = response.joined("referrer-policy");
    let meta = page
        .filter(|_| response.is_html())
        .and_then(|p| p.referrer.clone());
    let values: Vec<String> = header.into_iter().chain(meta).collect();
    if values.is_empty() {
        return TestResult::new(
            Test::ReferrerPolicy,
            Expectation::ReferrerPolicyNotImplemented,
            Verdict::Pass,
        );
    }
    let joined = values.join(", ");
    let policy = joined
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .rfind(|v| PRIVATE.contains(&v.as_str()) || UNSAFE.contains(&v.as_str()))
        .unwrap_or_default();
    let result = if PRIVATE.contains(&policy.as_str()) {
        Expectation::ReferrerPolicyPrivate
    } else if UNSAFE.contains(&policy.as_str()) {
        Expectation::ReferrerPolicyUnsafe
    } else {
        Expectation::ReferrerPolicyHeaderInvalid
    };
    let pass = result == Expectation::ReferrerPolicyPrivate;
    TestResult::new(Test::ReferrerPolicy, result, Verdict::passing(pass))
}
