//! The Strict-Transport-Security test (`src/analyzer/tests/strict-transport-security.js`).

use crate::expectation::Expectation;
use crate::input::{Certificate, Observation};
use crate::report::{Test, TestResult, Verdict};

/// Six months, as the Observatory counts them: 15768000 s is six months, but so many sites
/// send 15552000 (180 days) that it accepts that.
pub(crate) const SIX_MONTHS: i64 = 15_552_000;

/// The Observatory parses at most this much of the header, against hostile values.
const MAX_HEADER: usize = 1024;

/// hstspreload.org accepts a site only with `includeSubDomains` and a max-age of a year.
const PRELOAD_MAX_AGE: i64 = 31_536_000;

/// The parsed header.
#[derive(Debug, Default, PartialEq, Eq)]
struct Hsts {
    max_age: Option<i64>,
    include_subdomains: bool,
    preload: bool,
}

pub(crate) fn check(observation: &Observation) -> TestResult {
    let response = &observation.response;
    let mut parsed = None;
    let mut result = if !response.is_https() {
        Expectation::HstsNotImplementedNoHttps
    } else if response.certificate == Certificate::Invalid {
        Expectation::HstsInvalidCert
    } else if let Some(header) = response.joined("strict-transport-security") {
        let (result, hsts) = parse(truncate(&header, MAX_HEADER));
        parsed = hsts;
        result
    } else {
        Expectation::HstsNotImplemented
    };
    if response.is_https() && observation.is_preloaded(response.url.host_str()) {
        result = Expectation::HstsPreloaded;
    }
    let pass = matches!(
        result,
        Expectation::HstsImplementedMaxAgeAtLeastSixMonths | Expectation::HstsPreloaded
    );
    let outcome = TestResult::new(
        Test::StrictTransportSecurity,
        result,
        Verdict::passing(pass),
    );
    match parsed.filter(|h| h.preload && result != Expectation::HstsPreloaded) {
        Some(h) if h.include_subdomains && h.max_age.is_some_and(|a| a >= PRELOAD_MAX_AGE) => {
            outcome.with_note(
                "asks for preloading and qualifies (includeSubDomains, max-age of a year); \
                 the preload list itself is not consulted",
            )
        }
        Some(_) => outcome.with_note(
            "asks for preloading, but the preload list requires includeSubDomains and \
             max-age=31536000 or more",
        ),
        None => outcome,
    }
}

/// The result for the header, and its directives when it could be read.
fn parse(header: &str) -> (Expectation, Option<Hsts>) {
    // A comma means the header was sent more than once (joined), which the Observatory
    // refuses.
    if header.contains(',') {
        return (Expectation::HstsHeaderInvalid, None);
    }
    let mut hsts = Hsts::default();
    for parameter in header.split(';').map(|p| p.trim().to_ascii_lowercase()) {
        if let Some(value) = parameter.strip_prefix("max-age=") {
            hsts.max_age = parse_int(truncate(value, 120));
        } else if parameter == "includesubdomains" {
            hsts.include_subdomains = true;
        } else if parameter == "preload" {
            hsts.preload = true;
        }
    }
    let result = match hsts.max_age {
        None => Expectation::HstsHeaderInvalid,
        Some(age) if age < SIX_MONTHS => Expectation::HstsImplementedMaxAgeLessThanSixMonths,
        Some(_) => Expectation::HstsImplementedMaxAgeAtLeastSixMonths,
    };
    (result, Some(hsts))
}

/// JavaScript's `parseInt(value, 10)` (leading blanks, a sign, then digits), but also taking
/// the quoted form RFC 6797 allows. Where `parseInt` gives NaN the Observatory ends up
/// accepting the header as at least six months; here it is invalid.
fn parse_int(value: &str) -> Option<i64> {
    let value = value.trim_start();
    let value = value
        .strip_prefix('"')
        .map(|v| v.trim_end_matches('"'))
        .unwrap_or(value);
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(header: &str) -> Expectation {
        parse(header).0
    }

    #[test]
    fn parses_max_age() {
        assert_eq!(
            result("max-age=31536000; includeSubDomains; preload"),
            Expectation::HstsImplementedMaxAgeAtLeastSixMonths
        );
        assert_eq!(
            result("max-age=15552000"),
            Expectation::HstsImplementedMaxAgeAtLeastSixMonths
        );
        assert_eq!(
            result("max-age=15551999"),
            Expectation::HstsImplementedMaxAgeLessThanSixMonths
        );
        assert_eq!(
            result("MAX-AGE=\"63072000\""),
            Expectation::HstsImplementedMaxAgeAtLeastSixMonths
        );
        assert_eq!(result("includeSubDomains"), Expectation::HstsHeaderInvalid);
        assert_eq!(result("max-age=abc"), Expectation::HstsHeaderInvalid);
        assert_eq!(
            result("max-age=31536000, max-age=31536000"),
            Expectation::HstsHeaderInvalid
        );
    }

    #[test]
    fn parses_include_subdomains_and_preload() {
        assert_eq!(
            parse(" max-age=63072000 ;INCLUDESUBDOMAINS; Preload ").1,
            Some(Hsts {
                max_age: Some(63_072_000),
                include_subdomains: true,
                preload: true,
            })
        );
        assert_eq!(
            parse("max-age=300").1,
            Some(Hsts {
                max_age: Some(300),
                ..Hsts::default()
            })
        );
    }
}
