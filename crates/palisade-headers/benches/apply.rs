//! The per-response cost of the headers policy.
//!
//! Run: `cargo bench -p palisade-headers --bench apply`
//!
//! Last results (2-core shared VM, 2026-11-28, median):
//!   apply_defaults_to_empty_response        0.90 µs  (12 headers into a fresh HeaderMap)
//!   apply_defaults_keep_upstream_values     1.06 µs
//!   apply_with_fresh_nonce                  1.52 µs  (16 bytes from getrandom + base64 + CSP splice)
//!   for_path_with_overrides                 60 ns    (5 lookups, 3 overrides)
//!   compile_defaults                        2.65 µs  (once at start-up)

use divan::Bencher;
use palisade_headers::{CspNonce, HeadersConfig, Policy};

fn main() {
    divan::main();
}

fn with_overrides() -> Policy {
    let cfg: HeadersConfig = toml::from_str(
        r#"
        [[path]]
        path = "/admin"
        x_frame_options = { action = "deny" }
        [[path]]
        path = "/api/v1"
        content_security_policy = false
        [[path]]
        path = "/embed"
        x_frame_options = false
        "#,
    )
    .expect("bench config");
    Policy::from_config(&cfg).expect("bench policy")
}

#[divan::bench]
fn apply_defaults_to_empty_response(b: Bencher) {
    let policy = Policy::helmet_defaults();
    b.bench_local(|| {
        let mut headers = http::HeaderMap::new();
        policy.base().apply(&mut headers, None);
        headers
    });
}

#[divan::bench]
fn apply_defaults_keep_upstream_values(b: Bencher) {
    let policy = Policy::helmet_defaults();
    let mut upstream = http::HeaderMap::new();
    upstream.insert("content-type", "text/html".parse().expect("value"));
    upstream.insert("x-frame-options", "DENY".parse().expect("value"));
    upstream.insert("x-powered-by", "Express".parse().expect("value"));
    b.bench_local(|| {
        let mut headers = upstream.clone();
        policy.base().apply(&mut headers, None);
        headers
    });
}

#[divan::bench]
fn apply_with_fresh_nonce(b: Bencher) {
    let cfg: HeadersConfig =
        toml::from_str("content_security_policy = { nonce = true }").expect("bench config");
    let policy = Policy::from_config(&cfg).expect("bench policy");
    b.bench_local(|| {
        let nonce = CspNonce::generate();
        let mut headers = http::HeaderMap::new();
        policy.base().apply(&mut headers, Some(&nonce));
        headers
    });
}

#[divan::bench]
fn for_path_with_overrides(b: Bencher) {
    let policy = with_overrides();
    let paths = [
        "/",
        "/admin/users/42",
        "/api/v1/items",
        "/embed/widget.js",
        "/static/app.css",
    ];
    b.bench_local(|| {
        paths
            .iter()
            .map(|p| policy.for_path(divan::black_box(p)).headers().len())
            .sum::<usize>()
    });
}

#[divan::bench]
fn compile_defaults(b: Bencher) {
    let cfg = HeadersConfig::default();
    b.bench_local(|| Policy::from_config(divan::black_box(&cfg)));
}
