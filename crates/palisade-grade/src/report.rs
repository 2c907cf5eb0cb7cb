//! The grading's result: one entry per test, the score and the grade.

use serde::{Serialize, Serializer};

use crate::expectation::Expectation;
use crate::grade::{self, Grade};

/// One of the Observatory's tests, in the order the Observatory runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Test {
    /// Content-Security-Policy (headers and `<meta http-equiv>`).
    ContentSecurityPolicy,
    /// `Set-Cookie` flags.
    Cookies,
    /// `Access-Control-Allow-Origin` on the CORS preflight.
    CrossOriginResourceSharing,
    /// HTTP → HTTPS redirection.
    Redirection,
    /// Referrer-Policy (header and `<meta name="referrer">`).
    ReferrerPolicy,
    /// Strict-Transport-Security.
    StrictTransportSecurity,
    /// Subresource Integrity on `<script src>`.
    SubresourceIntegrity,
    /// X-Content-Type-Options.
    XContentTypeOptions,
    /// X-Frame-Options (or CSP `frame-ancestors`).
    XFrameOptions,
    /// Cross-Origin-Resource-Policy.
    CrossOriginResourcePolicy,
}

impl Test {
    /// Every test, in the Observatory's order.
    pub const ALL: [Test; 10] = [
        Test::ContentSecurityPolicy,
        Test::Cookies,
        Test::CrossOriginResourceSharing,
        Test::Redirection,
        Test::ReferrerPolicy,
        Test::StrictTransportSecurity,
        Test::SubresourceIntegrity,
        Test::XContentTypeOptions,
        Test::XFrameOptions,
        Test::CrossOriginResourcePolicy,
    ];

    /// The Observatory's test name, e.g. `content-security-policy`.
    pub fn name(self) -> &'static str {
        match self {
            Test::ContentSecurityPolicy => "content-security-policy",
            Test::Cookies => "cookies",
            Test::CrossOriginResourceSharing => "cross-origin-resource-sharing",
            Test::Redirection => "redirection",
            Test::ReferrerPolicy => "referrer-policy",
            Test::StrictTransportSecurity => "strict-transport-security",
            Test::SubresourceIntegrity => "subresource-integrity",
            Test::XContentTypeOptions => "x-content-type-options",
            Test::XFrameOptions => "x-frame-options",
            Test::CrossOriginResourcePolicy => "cross-origin-resource-policy",
        }
    }

    /// The Observatory's title, e.g. `Content Security Policy (CSP)`.
    pub fn title(self) -> &'static str {
        match self {
            Test::ContentSecurityPolicy => "Content Security Policy (CSP)",
            Test::Cookies => "Cookies",
            Test::CrossOriginResourceSharing => "Cross Origin Resource Sharing (CORS)",
            Test::Redirection => "Redirection",
            Test::ReferrerPolicy => "Referrer Policy",
            Test::StrictTransportSecurity => "Strict Transport Security (HSTS)",
            Test::SubresourceIntegrity => "Subresource Integrity",
            Test::XContentTypeOptions => "X-Content-Type-Options",
            Test::XFrameOptions => "X-Frame-Options",
            Test::CrossOriginResourcePolicy => "Cross Origin Resource Policy",
        }
    }
}

impl Serialize for Test {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Whether a test passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The result is one the Observatory counts as passing.
    Pass,
    /// The result is one the Observatory counts as failing.
    Fail,
    /// The test could not run (e.g. no plain-HTTP URL for the redirection test).
    NotTested,
}

impl Verdict {
    pub(crate) fn passing(pass: bool) -> Verdict {
        if pass { Verdict::Pass } else { Verdict::Fail }
    }

    /// `pass`, `fail` or `not tested`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotTested => "not tested",
        }
    }
}

/// JSON: `true`, `false`, or `null` for not tested (the Observatory's `pass` field).
impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Verdict::Pass => serializer.serialize_bool(true),
            Verdict::Fail => serializer.serialize_bool(false),
            Verdict::NotTested => serializer.serialize_none(),
        }
    }
}

/// One test's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Which test.
    pub test: Test,
    /// The result, by its Observatory id.
    pub result: Expectation,
    /// The result's score modifier.
    pub modifier: i32,
    /// Pass, fail or not tested.
    #[serde(rename = "pass")]
    pub verdict: Verdict,
    /// What the result means, in one line.
    pub description: &'static str,
    /// Why the result may differ from what the Observatory itself would report, if it may.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TestResult {
    pub(crate) fn new(test: Test, result: Expectation, verdict: Verdict) -> Self {
        TestResult {
            test,
            result,
            modifier: result.modifier(),
            verdict,
            description: result.description(),
            note: None,
        }
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// The grading of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The URL that answered.
    pub url: String,
    /// Its status code.
    pub status: u16,
    /// The final score (0 or more; up to 145 with every bonus).
    pub score: u32,
    /// The letter grade for the score.
    pub grade: Grade,
    /// How many tests passed.
    pub tests_passed: usize,
    /// How many tests failed.
    pub tests_failed: usize,
    /// Every test, in the Observatory's order.
    pub tests: Vec<TestResult>,
    /// Caveats about the whole grading (e.g. a non-2xx status, which the Observatory refuses
    /// to grade).
    pub notes: Vec<String>,
}

impl Report {
    pub(crate) fn new(url: String, status: u16, tests: Vec<TestResult>) -> Self {
        let score = grade::score(tests.iter().map(|t| t.modifier));
        let count = |v: Verdict| tests.iter().filter(|t| t.verdict == v).count();
        let mut notes = Vec::new();
        if !(200..300).contains(&status) {
            notes.push(format!(
                "the page answered {status}; the Observatory refuses to grade responses outside 2xx"
            ));
        }
        Report {
            url,
            status,
            score,
            grade: Grade::for_score(score),
            tests_passed: count(Verdict::Pass),
            tests_failed: count(Verdict::Fail),
            tests,
            notes,
        }
    }

    /// The result of `test`.
    pub fn test(&self, test: Test) -> &TestResult {
        // Every report holds every test: `grade` builds them all.
        self.tests
            .iter()
            .find(|t| t.test == test)
            .unwrap_or_else(|| unreachable!("a report holds every test"))
    }
}
