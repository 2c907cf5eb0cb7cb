//! The tower adapter, driven with `oneshot` against a `service_fn`.
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::Arc;

use http::{HeaderMap, Request, Response};
use palisade_headers::{CspNonce, HeadersConfig, HelmetLayer, Policy};
use tower::{Layer, ServiceExt, service_fn};

fn policy(toml_text: &str) -> Arc<Policy> {
    let cfg: HeadersConfig = toml::from_str(toml_text).expect("config");
    Arc::new(Policy::from_config(&cfg).expect("policy"))
}

/// An app that, like Express, sends its own X-Powered-By and an X-Frame-Options of its own,
/// and echoes the nonce it was handed.
async fn app(req: Request<()>) -> Result<Response<String>, Infallible> {
    let nonce = req
        .extensions()
        .get::<CspNonce>()
        .map(|n| n.as_str().to_owned());
    let mut res = Response::new(nonce.unwrap_or_default());
    let headers = res.headers_mut();
    headers.insert("x-powered-by", "Express".parse().expect("value"));
    headers.insert(
        "x-frame-options",
        "ALLOW-FROM https://a.example".parse().expect("value"),
    );
    Ok(res)
}

async fn call(policy: Arc<Policy>, path: &str) -> Response<String> {
    let svc = HelmetLayer::new(policy).layer(service_fn(app));
    let req = Request::builder().uri(path).body(()).expect("request");
    svc.oneshot(req).await.expect("infallible")
}

fn expected_defaults() -> HeaderMap {
    let mut map = HeaderMap::new();
    Policy::helmet_defaults().base().apply(&mut map, None);
    map
}

#[tokio::test]
async fn keep_leaves_the_apps_header_and_removes_powered_by() {
    let res = call(Arc::new(Policy::helmet_defaults()), "/").await;
    let headers = res.headers();
    assert!(!headers.contains_key("x-powered-by"));
    assert_eq!(headers["x-frame-options"], "ALLOW-FROM https://a.example");
    for (name, value) in &expected_defaults() {
        if name != "x-frame-options" {
            assert_eq!(&headers[name], value, "{name}");
        }
    }
    assert_eq!(res.body(), "", "no nonce without nonce = true");
}

#[tokio::test]
async fn override_replaces_the_apps_header() {
    let res = call(policy(r#"upstream = "override""#), "/").await;
    assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(!res.headers().contains_key("x-powered-by"));
    assert_eq!(res.headers().len(), 12);
}

#[tokio::test]
async fn nonce_reaches_the_handler_and_the_header() {
    let res = call(
        policy("content_security_policy = { nonce = true }"),
        "/page",
    )
    .await;
    let nonce = res.body().clone();
    assert_eq!(nonce.len(), 24);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains(&format!("script-src 'self' 'nonce-{nonce}';")),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("'unsafe-inline' 'nonce-{nonce}';")),
        "{csp}"
    );

    let again = call(
        policy("content_security_policy = { nonce = true }"),
        "/page",
    )
    .await;
    assert_ne!(again.body(), &nonce, "a fresh nonce per response");
}

#[tokio::test]
async fn path_override_is_chosen_per_request() {
    let p = policy(
        r#"
        upstream = "override"
        [[path]]
        path = "/embed"
        x_frame_options = false
        x_powered_by = false
        "#,
    );
    let res = call(Arc::clone(&p), "/embed/widget?x=1").await;
    assert_eq!(
        res.headers()["x-frame-options"],
        "ALLOW-FROM https://a.example"
    );
    assert_eq!(res.headers()["x-powered-by"], "Express");

    let res = call(p, "/other").await;
    assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(!res.headers().contains_key("x-powered-by"));
}

#[tokio::test]
async fn service_is_clone_and_ready_delegates() {
    let svc = HelmetLayer::new(Arc::new(Policy::helmet_defaults())).layer(service_fn(app));
    let mut copy = svc.clone();
    let ready = copy.ready().await.expect("ready");
    let req = Request::builder().uri("/").body(()).expect("request");
    let res = tower::Service::call(ready, req).await.expect("infallible");
    assert!(res.headers().contains_key("content-security-policy"));
}
