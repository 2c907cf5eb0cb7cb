//! The cookies test (`src/analyzer/tests/cookies.js`): every cookie Secure, session cookies
//! (name contains `login` or `sess`) HttpOnly, anti-CSRF cookies (name contains `csrf`) and,
//! for the bonus, every cookie with SameSite.
//!
//! Cookies are those a browser would keep after the fetch: set by the final response or by a
//! redirect before it, minus deletions (`Max-Age=0`, an `Expires` in the past), the last
//! setting of a name/domain/path winning.

use url::Url;

use super::cookie_date;
use crate::expectation::{Expectation, only_if_worse};
use crate::input::Observation;
use crate::report::{Test, TestResult, Verdict};

/// Heroku's load balancer sets this; the Observatory ignores it (mozilla/http-observatory#282).
const IGNORED: [&str; 1] = ["heroku-session-affinity"];

/// Results from best to worst: a later one replaces an earlier one.
const ORDER: [Expectation; 7] = [
    Expectation::CookiesWithoutSecureFlagButProtectedByHsts,
    Expectation::CookiesWithoutSecureFlag,
    Expectation::CookiesSessionWithoutSecureFlagButProtectedByHsts,
    Expectation::CookiesSamesiteFlagInvalid,
    Expectation::CookiesAnticsrfWithoutSamesiteFlag,
    Expectation::CookiesSessionWithoutHttponlyFlag,
    Expectation::CookiesSessionWithoutSecureFlag,
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum SameSite {
    Strict,
    Lax,
    None,
}

/// A cookie as the Observatory's jar (tough-cookie) parses it.
#[derive(Debug, Clone)]
struct Cookie {
    name: String,
    domain: String,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
    /// `Max-Age<=0` or an `Expires` in the past: the line deletes the cookie.
    expired: bool,
}

fn parse(line: &str, url: &Url, now_unix: Option<i64>) -> Option<Cookie> {
    let mut parts = line.split(';');
    let pair = parts.next()?;
    let (name, _) = pair.split_once('=')?;
    let name = name.trim();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut cookie = Cookie {
        name: name.to_owned(),
        domain: host.clone(),
        path: default_path(url),
        secure: false,
        http_only: false,
        same_site: None,
        expired: false,
    };
    let (mut max_age, mut expires) = (None, None);
    for attribute in parts {
        let (key, value) = match attribute.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
            None => (attribute.trim().to_ascii_lowercase(), ""),
        };
        match key.as_str() {
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            "samesite" => {
                cookie.same_site = match value.to_ascii_lowercase().as_str() {
                    "strict" => Some(SameSite::Strict),
                    "lax" => Some(SameSite::Lax),
                    "none" => Some(SameSite::None),
                    _ => None,
                }
            }
            "max-age" => {
                let digits = value.strip_prefix('-').unwrap_or(value);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    max_age = Some(value.parse::<i64>().unwrap_or(if value.starts_with('-') {
                        i64::MIN
                    } else {
                        i64::MAX
                    }));
                }
            }
            "expires" => expires = cookie_date::parse(value),
            "domain" if !value.is_empty() => {
                let domain = value.trim_start_matches('.').to_ascii_lowercase();
                // A browser refuses a Domain that does not cover the host that set it.
                if domain != host && !host.ends_with(&format!(".{domain}")) {
                    return None;
                }
                cookie.domain = domain;
            }
            "path" if value.starts_with('/') => cookie.path = value.to_owned(),
            _ => {}
        }
    }
    // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
    cookie.expired = match (max_age, expires, now_unix) {
        (Some(age), _, _) => age <= 0,
        (None, Some(at), Some(now)) => at <= now,
        _ => false,
    };
    Some(cookie)
}

/// RFC 6265 §5.1.4: the request path up to its last `/`.
fn default_path(url: &Url) -> String {
    match url.path().rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => url.path()[..i].to_owned(),
    }
}

/// The cookies a browser would hold after the fetch.
fn jar(observation: &Observation) -> Vec<Cookie> {
    let mut jar: Vec<Cookie> = Vec::new();
    let lines = observation
        .redirects
        .iter()
        .flat_map(|hop| hop.set_cookies.iter().map(move |l| (&hop.url, l.as_str())))
        .chain(
            observation
                .response
                .values("set-cookie")
                .map(|l| (&observation.response.url, l)),
        );
    for (url, line) in lines {
        let Some(cookie) = parse(line, url, observation.now_unix) else {
            continue;
        };
        jar.retain(|c| {
            !(c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path)
        });
        if !cookie.expired {
            jar.push(cookie);
        }
    }
    jar.retain(|c| !c.name.is_empty() && !IGNORED.contains(&c.name.as_str()));
    jar
}

/// A `SameSite` attribute without a value, or with one other than Strict, Lax or None.
fn invalid_same_site(line: &str) -> bool {
    line.trim().split(';').any(|part| {
        let mut kv = part.trim().split('=');
        let key = kv.next().unwrap_or_default();
        if !key.trim().eq_ignore_ascii_case("samesite") {
            return false;
        }
        match kv.next().map(str::trim) {
            None | Some("") => true,
            Some(v) => !["lax", "strict", "none"].contains(&v.to_ascii_lowercase().as_str()),
        }
    })
}

pub(crate) fn check(observation: &Observation, hsts_pass: bool) -> TestResult {
    let mut result: Option<Expectation> = None;
    let mut worse = |e: Expectation| result = Some(only_if_worse(e, result, &ORDER));

    for line in observation.response.values("set-cookie") {
        if invalid_same_site(line) {
            worse(Expectation::CookiesSamesiteFlagInvalid);
        }
    }

    let cookies = jar(observation);
    let mut missing_same_site = false;
    for cookie in &cookies {
        let name = cookie.name.to_lowercase();
        let session = name.contains("login") || name.contains("sess");
        let anticsrf = name.contains("csrf");
        if !cookie.secure && cookie.same_site == Some(SameSite::None) {
            worse(Expectation::CookiesSamesiteFlagInvalid);
        }
        if !cookie.secure {
            worse(if hsts_pass {
                Expectation::CookiesWithoutSecureFlagButProtectedByHsts
            } else {
                Expectation::CookiesWithoutSecureFlag
            });
        }
        if anticsrf && cookie.same_site.is_none() {
            worse(Expectation::CookiesAnticsrfWithoutSamesiteFlag);
        }
        if session && !cookie.secure {
            worse(if hsts_pass {
                Expectation::CookiesSessionWithoutSecureFlagButProtectedByHsts
            } else {
                Expectation::CookiesSessionWithoutSecureFlag
            });
        }
        if session && !cookie.http_only {
            worse(Expectation::CookiesSessionWithoutHttponlyFlag);
        }
        missing_same_site |= cookie.same_site.is_none();
    }

    let result = if cookies.is_empty() {
        // The Observatory reports no cookies even when a malformed SameSite was seen on a
        // line its jar then dropped.
        Expectation::CookiesNotFound
    } else {
        result.unwrap_or(if missing_same_site {
            Expectation::CookiesSecureWithHttponlySessions
        } else {
            Expectation::CookiesSecureWithHttponlySessionsAndSamesite
        })
    };
    let pass = matches!(
        result,
        Expectation::CookiesNotFound
            | Expectation::CookiesSecureWithHttponlySessionsAndSamesite
            | Expectation::CookiesSecureWithHttponlySessions
    );
    TestResult::new(Test::Cookies, result, Verdict::passing(pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samesite_without_a_known_value_is_invalid() {
        assert!(invalid_same_site("a=b; SameSite"));
        assert!(invalid_same_site("a=b; SameSite="));
        assert!(invalid_same_site("a=b; samesite=loose"));
        assert!(!invalid_same_site("a=b; SameSite=None; Secure"));
        assert!(!invalid_same_site("a=b; Secure"));
    }

    #[test]
    fn parses_flags_and_deletions() {
        let url: Url = "https://www.example.com/app/page".parse().unwrap();
        let c = parse("sid=1; Secure; HttpOnly; SameSite=Lax", &url, None).unwrap();
        assert!(c.secure && c.http_only && c.same_site == Some(SameSite::Lax));
        assert_eq!(c.path, "/app");
        assert!(parse("sid=; Max-Age=0", &url, None).unwrap().expired);
        let past = "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        assert!(parse(past, &url, Some(1_700_000_000)).unwrap().expired);
        assert!(!parse(past, &url, None).unwrap().expired);
        assert!(parse("sid=1; Domain=other.example", &url, None).is_none());
        assert_eq!(
            parse("sid=1; Domain=.Example.com", &url, None)
                .unwrap()
                .domain,
            "example.com"
        );
        assert!(parse("no-equals-sign", &url, None).is_none());
    }
}
