//! Helmet headers, request ids and nonces as they come through a real guard process.

use std::path::Path;

use palisade_test_support::{GuardProcess, TestUpstream, raw_get};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

fn helmet_defaults() -> Vec<(String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/helmet-defaults.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("helmet-defaults.json"))
            .unwrap();
    json["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The response's headers that helmet also sends, in wire order.
fn helmet_subset(
    resp: &palisade_test_support::RawResponse,
    names: &[String],
) -> Vec<(String, String)> {
    resp.headers
        .iter()
        .filter(|(n, _)| names.iter().any(|h| h.eq_ignore_ascii_case(n)))
        .cloned()
        .collect()
}

#[test]
fn defaults_match_helmet_byte_for_byte() {
    let up = TestUpstream::start();
    // Helmet sends HSTS and upgrade-insecure-requests over plain HTTP too; palisade only on
    // HTTPS unless told to behave like helmet.
    let guard = GuardProcess::start(bin(), &up.url(), "", "[headers]\ntls_aware = false\n");
    let expected = helmet_defaults();
    let names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();

    let resp = raw_get(guard.addr, "/own-headers", &[]);
    assert_eq!(resp.status(), 200);
    // The upstream set its own X-Frame-Options and Referrer-Policy: kept by default.
    let got = helmet_subset(&resp, &names);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| match n.as_str() {
            "X-Frame-Options" => (n.clone(), "DENY".to_owned()),
            "Referrer-Policy" => (n.clone(), "origin".to_owned()),
            _ => (n.clone(), v.clone()),
        })
        .collect();
    // Kept headers keep the upstream's spelling (axum sends lowercase names).
    let lower = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        v.into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect()
    };
    let mut got_sorted = lower(got);
    let mut want_sorted = lower(want);
    got_sorted.sort();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
    assert!(
        resp.header("x-powered-by").is_none(),
        "X-Powered-By must be removed"
    );
    assert_eq!(resp.header("server"), Some("test-upstream/1.0"));

    // An upstream that sets none of them gets helmet's exact list, in helmet's order.
    let resp = raw_get(guard.addr, "/echo", &[]);
    assert_eq!(helmet_subset(&resp, &names), expected);
}

#[test]
fn override_policy_replaces_upstream_values_and_strips_server() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "",
        "[headers]\nupstream = \"override\"\nremove_server = true\n",
    );
    let resp = raw_get(guard.addr, "/own-headers", &[]);
    assert_eq!(resp.header("X-Frame-Options"), Some("SAMEORIGIN"));
    assert_eq!(resp.header("Referrer-Policy"), Some("no-referrer"));
    assert!(resp.header("server").is_none());
    assert!(resp.header("x-powered-by").is_none());
}

#[test]
fn options_and_path_overrides_apply_per_request() {
    let up = TestUpstream::start();
    let tail = r#"
[headers]
strict_transport_security = { max_age = 63072000, include_sub_domains = true, preload = true }
x_powered_by = false
tls_aware = false

[headers.content_security_policy]
report_only = true
directives = { report-uri = ["/csp-report"] }

[[headers.path]]
path = "/echo/admin"
x_frame_options = { action = "deny" }
content_security_policy = { use_defaults = false, directives = { default-src = ["'none'"] } }
"#;
    let guard = GuardProcess::start(bin(), &up.url(), "", tail);

    let resp = raw_get(guard.addr, "/own-headers", &[]);
    assert_eq!(
        resp.header("Strict-Transport-Security"),
        Some("max-age=63072000; includeSubDomains; preload")
    );
    assert_eq!(
        resp.header("X-Powered-By"),
        Some("Express"),
        "x_powered_by = false keeps it"
    );
    let csp = resp.header("Content-Security-Policy-Report-Only").unwrap();
    assert!(
        csp.ends_with(";upgrade-insecure-requests;report-uri /csp-report"),
        "{csp}"
    );
    assert!(resp.header("Content-Security-Policy").is_none());

    let admin = raw_get(guard.addr, "/echo/admin/users", &[]);
    assert_eq!(
        admin.header("Content-Security-Policy"),
        Some("default-src 'none'")
    );
    assert_eq!(admin.header("X-Frame-Options"), Some("DENY"));
    // Inherited from the base table.
    assert_eq!(
        admin.header("Strict-Transport-Security"),
        Some("max-age=63072000; includeSubDomains; preload")
    );
    // Case, doubled slashes, dot segments and percent-encoding do not dodge the override.
    for evasion in [
        "/Echo/ADMIN/users",
        "/echo//admin",
        "/echo/x/../admin",
        "/echo/%61dmin",
    ] {
        let resp = raw_get(guard.addr, evasion, &[]);
        assert_eq!(resp.header("X-Frame-Options"), Some("DENY"), "{evasion}");
    }
    // Whole segments only: /echo/administrator is not under /echo/admin.
    let other = raw_get(guard.addr, "/echo/administrator", &[]);
    assert_eq!(other.header("X-Frame-Options"), Some("SAMEORIGIN"));
}

#[test]
fn request_ids_are_generated_kept_or_replaced() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");

    let resp = raw_get(guard.addr, "/echo", &[]);
    let id = resp.header("X-Request-Id").expect("an id").to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let echoed: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(
        echoed["headers"]["x-request-id"],
        id.as_str(),
        "the app sees the same id"
    );

    let resp = raw_get(guard.addr, "/echo", &[("X-Request-Id", "lb-1234.abc")]);
    assert_eq!(resp.header("X-Request-Id"), Some("lb-1234.abc"));

    let resp = raw_get(guard.addr, "/echo", &[("X-Request-Id", "bad id <script>")]);
    let replaced = resp.header("X-Request-Id").unwrap();
    assert_ne!(replaced, "bad id <script>");
    assert_eq!(replaced.len(), 36);

    let a = raw_get(guard.addr, "/echo", &[]);
    assert_ne!(
        a.header("X-Request-Id"),
        Some(id.as_str()),
        "ids are unique"
    );
}

#[test]
fn csp_nonce_reaches_the_app_and_the_header() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "",
        "[headers]\ncontent_security_policy = { nonce = true }\n",
    );
    let resp = raw_get(guard.addr, "/echo", &[("X-Csp-Nonce", "attacker-chosen")]);
    let echoed: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    let nonce = echoed["headers"]["x-csp-nonce"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(nonce, "attacker-chosen");
    let csp = resp.header("Content-Security-Policy").unwrap();
    assert!(
        csp.contains(&format!("script-src 'self' 'nonce-{nonce}'")),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("'unsafe-inline' 'nonce-{nonce}'")),
        "{csp}"
    );

    let again = raw_get(guard.addr, "/echo", &[]);
    let csp2 = again.header("Content-Security-Policy").unwrap();
    assert_ne!(csp, csp2, "a fresh nonce per response");
}

#[test]
fn client_supplied_nonce_is_dropped_when_nonces_are_off() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    let resp = raw_get(guard.addr, "/echo", &[("X-Csp-Nonce", "attacker-chosen")]);
    let echoed: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert!(echoed["headers"].get("x-csp-nonce").is_none());
}
