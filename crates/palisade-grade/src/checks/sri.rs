//! The Subresource Integrity test (`src/analyzer/tests/subresource-integrity.js`) over the
//! page's `<script src>`: scripts from the same site need nothing; scripts from elsewhere should
//! come over HTTPS with an `integrity` hash.

use std::net::IpAddr;

use url::Url;

use crate::expectation::{Expectation, only_if_worse};
use crate::html::Page;
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

/// Results from best to worst: a later one replaces an earlier one.
const ORDER: [Expectation; 6] = [
    Expectation::SriImplementedAndAllScriptsLoadedSecurely,
    Expectation::SriImplementedAndExternalScriptsLoadedSecurely,
    Expectation::SriImplementedButExternalScriptsNotLoadedSecurely,
    Expectation::SriNotImplementedButExternalScriptsLoadedSecurely,
    Expectation::SriNotImplementedAndExternalScriptsNotLoadedSecurely,
    Expectation::SriNotImplementedResponseNotHtml,
];

/// Two-letter country domains that sell names one level down (`example.co.uk`).
const SECOND_LEVEL: [&str; 12] = [
    "ac", "co", "com", "edu", "gob", "go", "gov", "mil", "ne", "net", "or", "org",
];

/// The registrable domain ("site") of `host`, approximating the public suffix list the
/// Observatory uses: the last two labels, or three under `co.uk`-style suffixes; an IP address
/// is its own site.
pub(crate) fn registrable_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let take = match labels.as_slice() {
        [.., second, tld] if tld.len() == 2 && SECOND_LEVEL.contains(second) => 3,
        _ => 2,
    };
    labels[labels.len().saturating_sub(take)..].join(".")
}

/// `script.src` as the Observatory's DOM returns it: an absolute URL comes back normalised,
/// anything else (relative to `about:blank`) as written.
fn reflected_src(raw: &str) -> String {
    let trimmed = raw.trim();
    match Url::parse(trimmed) {
        Ok(url) => url.to_string(),
        Err(_) => trimmed.to_owned(),
    }
}

pub(crate) fn check(observation: &Observation, page: Option<&Page>) -> TestResult {
    let response = &observation.response;
    let outcome = |result: Expectation| {
        let pass = matches!(
            result,
            Expectation::SriImplementedAndAllScriptsLoadedSecurely
                | Expectation::SriImplementedAndExternalScriptsLoadedSecurely
                | Expectation::SriNotImplementedResponseNotHtml
                | Expectation::SriNotImplementedButAllScriptsLoadedFromSecureOrigin
                | Expectation::SriNotImplementedButNoScriptsLoaded
        );
        TestResult::new(Test::SubresourceIntegrity, result, Verdict::passing(pass))
    };
    // No Content-Type: the Observatory parses the body as HTML anyway.
    if response.mime().is_some_and(|m| !m.is_empty()) && !response.is_html() {
        return outcome(Expectation::SriNotImplementedResponseNotHtml);
    }
    let Some(page) = page else {
        return outcome(Expectation::HtmlNotParseable);
    };
    let site = registrable_domain(response.url.host_str().unwrap_or_default());
    let https_page = response.is_https();

    let mut result: Option<Expectation> = None;
    let mut foreign = false;
    for script in &page.scripts {
        let Some(src) = script.src.as_deref().map(reflected_src) else {
            continue;
        };
        if src.is_empty() {
            continue;
        }
        let integrity = script.integrity.as_deref().is_some_and(|i| !i.is_empty());
        let protocol_relative = src
            .strip_prefix("//")
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c != '/');
        let full_url = src.starts_with("http://") || src.starts_with("https://");
        let relative = !protocol_relative && !full_url;
        let same_site = protocol_relative
            || relative
            || Url::parse(&src)
                .ok()
                .and_then(|u| u.host_str().map(registrable_domain))
                .is_some_and(|d| d == site);
        // Protocol-relative URLs count as foreign: on an HTTP page they load over HTTP.
        let secure_origin = relative || (same_site && !protocol_relative);
        let secure_scheme = src.starts_with("https:") || (relative && https_page);
        if !secure_origin {
            foreign = true;
            let found = match (integrity, secure_scheme) {
                (true, false) => Expectation::SriImplementedButExternalScriptsNotLoadedSecurely,
                (false, true) => Expectation::SriNotImplementedButExternalScriptsLoadedSecurely,
                (false, false) => Expectation::SriNotImplementedAndExternalScriptsNotLoadedSecurely,
                (true, true) => continue,
            };
            result = Some(only_if_worse(found, result, &ORDER));
        } else if integrity && secure_scheme && result.is_none() {
            // The bonus even for same-origin scripts with SRI.
            result = Some(Expectation::SriImplementedAndAllScriptsLoadedSecurely);
        }
    }

    let result = if page.scripts.is_empty() {
        Expectation::SriNotImplementedButNoScriptsLoaded
    } else {
        result.unwrap_or(if foreign {
            Expectation::SriImplementedAndExternalScriptsLoadedSecurely
        } else {
            Expectation::SriNotImplementedButAllScriptsLoadedFromSecureOrigin
        })
    };
    outcome(result)
}

#[cfg(test)]
mod tests {
    use super::registrable_domain;

    #[test]
    fn approximates_registrable_domains() {
        assert_eq!(registrable_domain("www.example.com"), "example.com");
        assert_eq!(registrable_domain("cdn.example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("example.com"), "example.com");
        assert_eq!(registrable_domain("localhost"), "localhost");
        assert_eq!(registrable_domain("127.0.0.1"), "127.0.0.1");
        assert_eq!(registrable_domain("[::1]"), "[::1]");
    }
}
