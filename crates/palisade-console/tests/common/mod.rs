//! The harness the console's integration tests share: a `Console` served on 127.0.0.1 port 0,
//! a browser logged in with the admin token, and page, form and API requests whose answers are
//! checked for the console's security headers (and pages for inline script or style).
// Every test file compiles this module into its own binary and uses a different part of it,
// so whatever one binary leaves unused would otherwise warn there.
#![allow(dead_code)]

use std::ops::Deref;

use palisade_console::{CONTENT_SECURITY_POLICY, Console, router};
use reqwest::header::{CONTENT_SECURITY_POLICY as CSP, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// Serves `console` on 127.0.0.1 port 0 for the rest of the test: its base URL.
pub async fn serve(console: Console) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(console)).await });
    format!("http://{addr}")
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A logged-in browser: its cookie header and CSRF token.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

/// A served console and the admin token it was given.
pub struct Site {
    pub base: String,
    pub http: reqwest::Client,
    pub token: &'static str,
}

impl Site {
    pub async fn start(console: Console, token: &'static str) -> Site {
        Site {
            base: serve(console).await,
            http: client(),
            token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts the login form with `token`.
    pub async fn post_login(&self, token: &str) -> Response {
        self.http
            .post(self.url("/console/login"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
    }

    /// Logs in with the admin token: the session's cookie header.
    pub async fn login_cookie(&self) -> String {
        let res = self.post_login(self.token).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let set = res.headers()[SET_COOKIE].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    /// Logs in with the admin token; the CSRF token is read from the overview.
    pub async fn login(&self) -> Browser {
        let cookie = self.login_cookie().await;
        let page = self.ok_page("/console", &cookie).await;
        Browser {
            csrf: csrf_of(&page),
            cookie,
        }
    }

    /// A request as a browser sends it, with `cookie` (a session's, or empty), to finish and
    /// send.
    pub fn request(&self, method: Method, path: &str, cookie: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("cookie", cookie)
    }

    /// `GET path` with `cookie`, checked for the security headers.
    pub async fn get(&self, path: &str, cookie: &str) -> Response {
        let res = self
            .request(Method::GET, path, cookie)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        res
    }

    /// A page's status and HTML, checked for the security headers and inline script or style.
    pub async fn get_page(&self, path: &str, cookie: &str) -> (StatusCode, String) {
        let res = self.get(path, cookie).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_no_inline(&body);
        (status, body)
    }

    /// [`get_page`](Self::get_page) for a page that must answer 200: its HTML.
    pub async fn ok_page(&self, path: &str, cookie: &str) -> String {
        let (status, body) = self.get_page(path, cookie).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        body
    }

    /// Posts `form` URL-encoded with `cookie`, checked for the security headers.
    pub async fn post_form(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Response {
        let res = self
            .request(Method::POST, path, cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        res
    }

    /// An API request with the admin token as a bearer, to finish and send.
    pub fn api_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.token)
    }

    /// `GET path` with the admin token as a bearer, checked for the security headers.
    pub async fn api_get(&self, path: &str) -> Response {
        let res = self.api_request(Method::GET, path).send().await.unwrap();
        assert_security_headers(&res);
        res
    }

    /// [`api_get`](Self::api_get) for an answer that must be 200: its JSON.
    pub async fn api_json(&self, path: &str) -> Value {
        let res = self.api_get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    }
}

/// A served console with what a test file keeps beside it (its stores, ids, temporary
/// directory); requests go through the [`Site`] it dereferences to.
pub struct Harness<T> {
    pub site: Site,
    pub fixture: T,
}

impl<T> Deref for Harness<T> {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

/// The CSRF token a console page carries in `<meta name="csrf-token" content="…">`.
pub fn csrf_of(page: &str) -> String {
    page.split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf meta tag")
        .to_owned()
}

pub fn assert_security_headers(res: &Response) {
    let h = res.headers();
    assert_eq!(h[CSP], CONTENT_SECURITY_POLICY, "{}", res.url());
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-frame-options"], "DENY");
}

pub fn assert_no_inline(body: &str) {
    let lower = body.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |j| i + j)];
        assert!(tag.contains(" src="), "inline script: {tag}");
    }
    assert!(!lower.contains("style="), "style attribute in page");
    assert!(!lower.contains("<style"), "style element in page");
}
