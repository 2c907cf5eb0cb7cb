//! Every option beyond the recorded helmet cases; CSP strings were checked against helmet 8.3.0.

use http::{HeaderMap, HeaderValue};
use palisade_headers::{CspNonce, HeaderSet, HeadersConfig, Policy, UpstreamPolicy};

fn policy(toml_text: &str) -> Policy {
    let cfg: HeadersConfig = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
    Policy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

fn get<'a>(set: &'a HeaderSet, name: &str) -> Option<&'a str> {
    set.headers()
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.to_str().expect("ascii"))
}

fn names(set: &HeaderSet) -> Vec<&str> {
    set.headers().iter().map(|(n, _)| n.as_str()).collect()
}

const HELMET_CSP: &str = "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

#[test]
fn cross_origin_policies() {
    let p = policy(r#"cross_origin_embedder_policy = { policy = "credentialless" }"#);
    assert_eq!(
        get(p.base(), "cross-origin-embedder-policy"),
        Some("credentialless")
    );
    let p = policy(r#"cross_origin_embedder_policy = { policy = "unsafe-none" }"#);
    assert_eq!(
        get(p.base(), "cross-origin-embedder-policy"),
        Some("unsafe-none")
    );
    assert_eq!(
        get(
            Policy::helmet_defaults().base(),
            "cross-origin-embedder-policy"
        ),
        None
    );

    let p = policy(r#"cross_origin_opener_policy = { policy = "unsafe-none" }"#);
    assert_eq!(
        get(p.base(), "cross-origin-opener-policy"),
        Some("unsafe-none")
    );
    let p = policy(r#"cross_origin_opener_policy = { policy = "noopener-allow-popups" }"#);
    assert_eq!(
        get(p.base(), "cross-origin-opener-policy"),
        Some("noopener-allow-popups")
    );
    let p = policy("cross_origin_opener_policy = false");
    assert_eq!(get(p.base(), "cross-origin-opener-policy"), None);

    let p = policy(r#"cross_origin_resource_policy = { policy = "same-site" }"#);
    assert_eq!(
        get(p.base(), "cross-origin-resource-policy"),
        Some("same-site")
    );
    let p = policy("cross_origin_resource_policy = {}");
    assert_eq!(
        get(p.base(), "cross-origin-resource-policy"),
        Some("same-origin")
    );
}

#[test]
fn referrer_policy_string_and_arrays() {
    let p = policy(r#"referrer_policy = { policy = "same-origin" }"#);
    assert_eq!(get(p.base(), "referrer-policy"), Some("same-origin"));
    let p = policy(
        r#"referrer_policy = { policy = ["no-referrer", "strict-origin-when-cross-origin"] }"#,
    );
    assert_eq!(
        get(p.base(), "referrer-policy"),
        Some("no-referrer,strict-origin-when-cross-origin")
    );
    let p = policy("referrer_policy = false");
    assert_eq!(get(p.base(), "referrer-policy"), None);
}

#[test]
fn frameguard_and_hsts_aliases() {
    let p = policy(r#"frameguard = { action = "DENY" }"#);
    assert_eq!(get(p.base(), "x-frame-options"), Some("DENY"));
    let p = policy(r#"x_frame_options = { action = "Same-Origin" }"#);
    assert_eq!(get(p.base(), "x-frame-options"), Some("SAMEORIGIN"));
    let p = policy("frameguard = false");
    assert_eq!(get(p.base(), "x-frame-options"), None);

    let p = policy("hsts = { max_age = 0, include_sub_domains = false }");
    assert_eq!(
        get(p.base(), "strict-transport-security"),
        Some("max-age=0")
    );
    let p = policy("hsts = { preload = true }");
    assert_eq!(
        get(p.base(), "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains; preload")
    );
}

#[test]
fn legacy_aliases_and_boolean_headers() {
    let p = policy(
        r#"
        no_sniff = false
        dns_prefetch_control = { allow = true }
        ie_no_open = false
        permitted_cross_domain_policies = { permitted_policies = "by-content-type" }
        hide_powered_by = false
        xss_filter = false
        origin_agent_cluster = false
        "#,
    );
    let set = p.base();
    assert_eq!(get(set, "x-content-type-options"), None);
    assert_eq!(get(set, "x-dns-prefetch-control"), Some("on"));
    assert_eq!(get(set, "x-download-options"), None);
    assert_eq!(
        get(set, "x-permitted-cross-domain-policies"),
        Some("by-content-type")
    );
    assert_eq!(get(set, "x-xss-protection"), None);
    assert_eq!(get(set, "origin-agent-cluster"), None);
    assert!(set.removes().is_empty());

    let p = policy("x_download_options = false");
    assert_eq!(get(p.base(), "x-download-options"), None);
    assert_eq!(p.base().headers().len(), 11);
    let p = policy(r#"x_permitted_cross_domain_policies = { permitted_policies = "master-only" }"#);
    assert_eq!(
        get(p.base(), "x-permitted-cross-domain-policies"),
        Some("master-only")
    );
}

#[test]
fn csp_directive_order_follows_helmet() {
    // Recorded from helmet 8.3.0 with the same directives.
    let p = policy(
        r#"
        [content_security_policy.directives]
        reportUri = ["/r"]
        objectSrc = false
        img-src = ["*"]
        workerSrc = "'self'"
        upgradeInsecureRequests = false
        frameAncestors = []
        "#,
    );
    assert_eq!(
        get(p.base(), "content-security-policy"),
        Some(
            "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors;img-src *;script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';report-uri /r;worker-src 'self'"
        )
    );
}

#[test]
fn csp_dangerously_disable_default_src() {
    let p = policy("content_security_policy = { dangerously_disable_default_src = true }");
    let csp = get(p.base(), "content-security-policy").expect("csp");
    assert_eq!(csp, HELMET_CSP.trim_start_matches("default-src 'self';"));
}

#[test]
fn nonce_is_appended_to_script_and_style_src() {
    let p = policy("content_security_policy = { nonce = true }");
    let set = p.base();
    assert!(set.wants_nonce());
    // Without a nonce the header is helmet's plain policy.
    assert_eq!(get(set, "content-security-policy"), Some(HELMET_CSP));

    let nonce = CspNonce::generate();
    assert_eq!(nonce.as_str().len(), 24, "16 bytes in base64");
    assert_ne!(nonce, CspNonce::generate());
    let mut map = HeaderMap::new();
    set.apply(&mut map, Some(&nonce));
    // helmet 8.3.0 with a function directive returning 'nonce-abc123==':
    let helmet = "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self' 'nonce-abc123==';script-src-attr 'none';style-src 'self' https: 'unsafe-inline' 'nonce-abc123==';upgrade-insecure-requests";
    assert_eq!(
        map["content-security-policy"],
        helmet.replace("abc123==", nonce.as_str())
    );
    // Order of the other headers is unchanged.
    let order: Vec<&str> = map.keys().map(|n| n.as_str()).collect();
    assert_eq!(order, names(set));

    let mut map = HeaderMap::new();
    set.apply(&mut map, None);
    assert_eq!(map["content-security-policy"], HELMET_CSP);
}

#[test]
fn nonce_into_value_less_directive_and_ignored_when_unwanted() {
    let p = policy(
        r#"
        [content_security_policy]
        use_defaults = false
        nonce = true
        directives = { defaultSrc = "'none'", scriptSrc = [] }
        "#,
    );
    let nonce = CspNonce::generate();
    let mut map = HeaderMap::new();
    p.base().apply(&mut map, Some(&nonce));
    assert_eq!(
        map["content-security-policy"],
        format!("default-src 'none';script-src 'nonce-{nonce}'")
    );

    let defaults = Policy::helmet_defaults();
    assert!(!defaults.base().wants_nonce());
    let mut map = HeaderMap::new();
    defaults.base().apply(&mut map, Some(&nonce));
    assert_eq!(map["content-security-policy"], HELMET_CSP);
}

#[test]
fn report_only_header_name() {
    let p = policy("content_security_policy = { report_only = true }");
    assert_eq!(get(p.base(), "content-security-policy"), None);
    assert_eq!(
        get(p.base(), "content-security-policy-report-only"),
        Some(HELMET_CSP)
    );
}

const OVERRIDES: &str = r#"
    frameguard = { action = "deny" }
    referrer_policy = { policy = "same-origin" }

    [[path]]
    path = "/admin"
    x_frame_options = { action = "sameorigin" }
    cross_origin_embedder_policy = true

    [[path]]
    path = "/admin/embed"
    x_frame_options = false
    content_security_policy = { directives = { frame-ancestors = ["https://partner.example"] } }

    [[path]]
    path = "/static/"
    upstream = "override"
    strict_transport_security = false
"#;

#[test]
fn path_overrides_longest_prefix_wins_and_inherit_base() {
    let p = policy(OVERRIDES);
    let prefixes: Vec<&str> = p.overrides().map(|(prefix, _, _)| prefix).collect();
    assert_eq!(prefixes, ["/admin", "/admin/embed", "/static/"]);

    for path in [
        "/",
        "/index.html",
        "/administrator",
        "/adminx/embed",
        "/static",
    ] {
        let set = p.for_path(path);
        assert_eq!(get(set, "x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(get(set, "cross-origin-embedder-policy"), None, "{path}");
        assert!(std::ptr::eq(set, p.base()), "{path}");
    }

    for path in ["/admin", "/admin/", "/admin/users", "/admin/embedded"] {
        let set = p.for_path(path);
        assert_eq!(get(set, "x-frame-options"), Some("SAMEORIGIN"), "{path}");
        assert_eq!(
            get(set, "cross-origin-embedder-policy"),
            Some("require-corp"),
            "{path}"
        );
        // Inherited from the base table, not helmet's default.
        assert_eq!(get(set, "referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(
            get(set, "content-security-policy"),
            Some(HELMET_CSP),
            "{path}"
        );
    }

    for path in ["/admin/embed", "/admin/embed/x"] {
        let set = p.for_path(path);
        assert_eq!(get(set, "x-frame-options"), None, "{path}");
        // Inherits from the base, not from the shorter /admin override.
        assert_eq!(get(set, "cross-origin-embedder-policy"), None, "{path}");
        assert_eq!(get(set, "referrer-policy"), Some("same-origin"), "{path}");
        let csp = get(set, "content-security-policy").expect("csp");
        assert!(
            csp.contains(";frame-ancestors https://partner.example;"),
            "{csp}"
        );
    }

    let set = p.for_path("/static/app.js");
    assert_eq!(set.upstream_policy(), UpstreamPolicy::Override);
    assert_eq!(get(set, "strict-transport-security"), None);
    assert_eq!(p.base().upstream_policy(), UpstreamPolicy::Keep);
}

#[test]
fn upstream_keep_leaves_and_override_replaces() {
    let upstream = || {
        let mut map = HeaderMap::new();
        map.insert(
            "x-frame-options",
            HeaderValue::from_static("ALLOW-FROM https://a.example"),
        );
        map.insert("x-powered-by", HeaderValue::from_static("Express"));
        map.insert("server", HeaderValue::from_static("nginx"));
        map
    };

    let keep = Policy::helmet_defaults();
    let mut map = upstream();
    let added = keep.base().apply_report(&mut map, None);
    assert_eq!(map["x-frame-options"], "ALLOW-FROM https://a.example");
    assert!(!map.contains_key("x-powered-by"));
    assert_eq!(map["server"], "nginx");
    assert_eq!(added.len(), 11);
    assert!(!added.iter().any(|(n, _)| n == "x-frame-options"));

    let over = policy(r#"upstream = "override""#);
    let mut map = upstream();
    let added = over.base().apply_report(&mut map, None);
    assert_eq!(map["x-frame-options"], "SAMEORIGIN");
    assert_eq!(map.get_all("x-frame-options").iter().count(), 1);
    assert_eq!(added.len(), 12);
}

#[test]
fn remove_server() {
    let p = policy("remove_server = true");
    let removes: Vec<&str> = p.base().removes().iter().map(|n| n.as_str()).collect();
    assert_eq!(removes, ["x-powered-by", "server"]);
    let mut map = HeaderMap::new();
    map.insert("server", HeaderValue::from_static("Apache/2.4.1"));
    p.base().apply(&mut map, None);
    assert!(!map.contains_key("server"));
    assert_eq!(map.len(), 12);
}

#[test]
fn config_round_trips_through_toml() {
    let cfg: HeadersConfig = toml::from_str(OVERRIDES).expect("parse");
    let text = toml::to_string(&cfg).expect("serialize");
    let again: HeadersConfig = toml::from_str(&text).expect("reparse");
    assert_eq!(cfg, again, "{text}");
    let defaults = toml::to_string(&HeadersConfig::default()).expect("serialize");
    assert_eq!(
        toml::from_str::<HeadersConfig>(&defaults).expect("reparse"),
        HeadersConfig::default()
    );
}
