//! The web console of a running guard, over HTTP the way a browser or a script uses it: log in
//! with the admin token (a session cookie and the CSRF token its forms carry), fetch pages, post
//! forms, and call the JSON API with the token as a bearer. (`browser` drives it in Chromium.)

use std::net::SocketAddr;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

use crate::GuardProcess;

/// A logged-in browser: the cookie header it sends back and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    /// `palisade_session=…`, as a `Cookie` header.
    pub cookie: String,
    /// The token state-changing requests must echo (form field `csrf` or `X-CSRF-Token`).
    pub csrf: String,
}

/// The console on an admin listener, with the admin token it takes.
#[derive(Debug, Clone)]
pub struct Client {
    /// `http://ADMIN`
    pub base: String,
    /// Shows redirects instead of following them.
    pub http: reqwest::Client,
    token: String,
}

impl Client {
    /// The console on `admin` (a guard's admin listener), whose admin token is `token`.
    pub fn new(admin: SocketAddr, token: &str) -> Client {
        Client {
            base: format!("http://{admin}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            token: token.to_owned(),
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts the login form with `token`: the answer, as it came.
    pub async fn post_login(&self, token: &str) -> Response {
        self.http
            .post(self.url("/console/login"))
            .form(&[("token", token)])
            .send()
            .await
            .expect("POST /console/login")
    }

    /// Logs in with the admin token (asserting the 303): the session's cookie header.
    pub async fn login_cookie(&self) -> String {
        let res = self.post_login(&self.token).await;
        assert_eq!(res.status(), 303, "login with the admin token");
        session_cookie(res.headers()["set-cookie"].to_str().unwrap())
    }

    /// Logs in with the admin token; the CSRF token is read from the overview.
    pub async fn login(&self) -> Session {
        let cookie = self.login_cookie().await;
        let page = self.get("/console", &cookie).await;
        assert_eq!(page.status(), 200, "the overview after logging in");
        Session {
            csrf: csrf_of(&page.text().await.unwrap()),
            cookie,
        }
    }

    /// `GET path` with `cookie` (a session's, or empty).
    pub async fn get(&self, path: &str, cookie: &str) -> Response {
        self.http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Posts `form` URL-encoded with `cookie`, as the console's forms do.
    pub async fn post_form(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// An API request with the admin token as a bearer, to finish and send.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    /// `GET path` with the admin token as a bearer.
    pub async fn api_get(&self, path: &str) -> Response {
        self.api(Method::GET, path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// [`api_get`](Self::api_get) for an answer that must be 200: its JSON.
    pub async fn api_json(&self, path: &str) -> Value {
        let res = self.api_get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }
}

/// The `Cookie` header that sends back the session a login's `Set-Cookie` started.
pub fn session_cookie(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The CSRF token a console page carries in `<meta name="csrf-token" content="…">`.
pub fn csrf_of(page: &str) -> String {
    const META: &str = "name=\"csrf-token\" content=\"";
    let at = page
        .find(META)
        .unwrap_or_else(|| panic!("no csrf meta in {page}"));
    let rest = &page[at + META.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// `GET /echo` through `guard` as client `ip` (an `X-Forwarded-For` the guard must trust): the
/// status.
pub async fn status_through_guard(guard: &GuardProcess, ip: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
