//! Who is calling: a browser session (cookie) or a script (bearer token), and the CSRF check
//! that session writes must pass.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Console;
use crate::session::{COOKIE_NAME, Session, constant_time_eq};

/// The header a script using a session sends the CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
pub(crate) enum Caller {
    /// `Authorization: Bearer <admin token>`: not a browser, no CSRF needed.
    Bearer,
    /// A logged-in browser.
    Session { id: String, session: Session },
}

impl Console {
    /// True when `presented` is the admin token. An empty configured token matches nothing,
    /// and while too many wrong tokens came in recently nothing matches (see [`Throttle`]).
    ///
    /// [`Throttle`]: crate::session::Throttle
    pub(crate) fn token_matches(&self, presented: &str) -> bool {
        let token = &self.settings().token;
        if token.is_empty() || self.throttled() {
            return false;
        }
        let ok = constant_time_eq(presented.as_bytes(), token.as_bytes());
        if !ok {
            self.inner.throttle.failed();
        }
        ok
    }

    /// Too many wrong tokens lately: every login and bearer call is refused for a while.
    pub(crate) fn throttled(&self) -> bool {
        self.inner.throttle.engaged()
    }

    /// The browser session named by the request's cookie.
    pub(crate) fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = cookie(headers, COOKIE_NAME)?;
        let session = self.inner.sessions.get(id)?;
        Some((id.to_owned(), session))
    }

    /// The caller of an API request: a bearer token wins over a cookie.
    pub(crate) fn api_caller(&self, headers: &HeaderMap) -> Option<Caller> {
        if let Some(auth) = headers.get(header::AUTHORIZATION) {
            let presented = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // A wrong bearer token is a failure, not a fall-through to the cookie: a script
            // with a stale token should hear so.
            return self
                .token_matches(presented.trim())
                .then_some(Caller::Bearer);
        }
        self.session(headers)
            .map(|(id, session)| Caller::Session { id, session })
    }
}

/// The value of one cookie, from any `Cookie` header.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Checks the CSRF token of a session write: from the `X-CSRF-Token` header, or the form's
/// `csrf` field. Bearer callers pass.
pub(crate) fn check_csrf(
    caller: &Caller,
    headers: &HeaderMap,
    form: Option<&str>,
) -> Result<(), Denied> {
    let Caller::Session { session, .. } = caller else {
        return Ok(());
    };
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form)
        .filter(|s| !s.is_empty());
    match presented {
        None => Err(Denied::Csrf("missing CSRF token")),
        Some(t) if constant_time_eq(t.as_bytes(), session.csrf.as_bytes()) => Ok(()),
        Some(_) => Err(Denied::Csrf("wrong CSRF token")),
    }
}

/// Why a request was refused before its handler ran; small, so results carrying it stay cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// A page without a session: off to the login form.
    Login,
    /// An API call (or form post) without valid credentials.
    Unauthorized,
    /// A session write without the right CSRF token.
    Csrf(&'static str),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Login => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/console/login")],
            )
                .into_response(),
            Denied::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(serde_json::json!({ "error": "authentication required" })),
            )
                .into_response(),
            Denied::Csrf(why) => (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({ "error": format!("csrf: {why}") })),
            )
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; palisade_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE_NAME), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
