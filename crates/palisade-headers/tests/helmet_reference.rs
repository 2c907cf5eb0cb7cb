//! Byte-for-byte agreement with headers recorded from helmet 8.3.0 (in /work/shared/data).

use http::{HeaderMap, HeaderValue};
use palisade_headers::{HeadersConfig, Policy};
use serde_json::Value;

const DEFAULTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/helmet-defaults.json"
);
const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/helmet-cases.json"
);

/// Each recorded helmet option set, written as palisade TOML.
const CASE_TOML: &[(&str, &str)] = &[
    ("defaults", ""),
    ("coep-true", "cross_origin_embedder_policy = true"),
    (
        "coop-same-origin-allow-popups",
        r#"cross_origin_opener_policy = { policy = "same-origin-allow-popups" }"#,
    ),
    (
        "corp-cross-origin",
        r#"cross_origin_resource_policy = { policy = "cross-origin" }"#,
    ),
    (
        "csp-override-script-src",
        r#"
        [content_security_policy.directives]
        scriptSrc = ["'self'", "https://cdn.example.com"]
        "#,
    ),
    (
        "csp-no-defaults",
        r#"
        [content_security_policy]
        use_defaults = false
        directives = { defaultSrc = ["'self'"], imgSrc = ["*"] }
        "#,
    ),
    (
        "csp-report-only",
        r#"
        [content_security_policy]
        report_only = true
        directives = { reportUri = ["/csp-report"] }
        "#,
    ),
    ("csp-disabled", "content_security_policy = false"),
    (
        "hsts-preload",
        r#"
        [strict_transport_security]
        max_age = 63072000
        include_sub_domains = true
        preload = true
        "#,
    ),
    ("hsts-disabled", "strict_transport_security = false"),
    (
        "frameguard-deny",
        r#"x_frame_options = { action = "deny" }"#,
    ),
    (
        "dns-prefetch-allow",
        "x_dns_prefetch_control = { allow = true }",
    ),
    ("powered-by-kept", "x_powered_by = false"),
    ("xss-filter-disabled", "x_xss_protection = false"),
];

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn pairs(headers: &Value) -> Vec<(String, String)> {
    headers
        .as_array()
        .expect("headers array")
        .iter()
        .map(|pair| {
            let name = pair[0].as_str().expect("name").to_owned();
            let value = pair[1].as_str().expect("value").to_owned();
            (name, value)
        })
        .collect()
}

/// Names compared case-insensitively (HTTP), values byte for byte, order exact.
fn assert_same(case: &str, actual: &[(String, String)], expected: &[(String, String)]) {
    let lower = |v: &[(String, String)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(n, val)| (n.to_ascii_lowercase(), val.clone()))
            .collect()
    };
    assert_eq!(lower(actual), lower(expected), "case {case}");
}

fn set_pairs(policy: &Policy) -> Vec<(String, String)> {
    policy
        .base()
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().expect("ascii").to_owned()))
        .collect()
}

fn map_pairs(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(n, v)| (n.to_string(), v.to_str().expect("ascii").to_owned()))
        .collect()
}

#[test]
fn defaults_match_helmet_byte_for_byte() {
    let data = load(DEFAULTS);
    assert_eq!(data["helmet_version"], "8.3.0");
    let expected = pairs(&data["headers"]);
    assert_eq!(expected.len(), 12);

    for policy in [
        Policy::helmet_defaults(),
        Policy::from_config(&HeadersConfig::default()).expect("defaults compile"),
        Policy::from_config(&toml::from_str("").expect("empty table")).expect("compiles"),
    ] {
        assert_same("defaults", &set_pairs(&policy), &expected);
        let removes: Vec<String> = policy
            .base()
            .removes()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let expected_removes: Vec<String> = data["removes"]
            .as_array()
            .expect("removes")
            .iter()
            .map(|n| n.as_str().expect("name").to_ascii_lowercase())
            .collect();
        assert_eq!(removes, expected_removes);
        assert!(!policy.base().wants_nonce());
        assert_eq!(policy.overrides().count(), 0);
    }
}

#[test]
fn every_recorded_case_matches_helmet() {
    let data = load(CASES);
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 14);
    for case in cases {
        let name = case["name"].as_str().expect("case name");
        let toml_text = CASE_TOML
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no TOML written for helmet case {name}"))
            .1;
        let cfg: HeadersConfig =
            toml::from_str(toml_text).unwrap_or_else(|e| panic!("case {name}: {e}"));
        let policy = Policy::from_config(&cfg).unwrap_or_else(|e| panic!("case {name}: {e}"));
        let expected = pairs(&case["headers"]);

        // What helmet adds: the recording minus Express's own X-Powered-By.
        let added: Vec<(String, String)> = expected
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("x-powered-by"))
            .cloned()
            .collect();
        assert_same(name, &set_pairs(&policy), &added);

        // Through a response that, like Express's, already says X-Powered-By: Express.
        let mut map = HeaderMap::new();
        map.insert("x-powered-by", HeaderValue::from_static("Express"));
        policy.base().apply(&mut map, None);
        assert_same(name, &map_pairs(&map), &expected);

        let keeps_powered_by = expected
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-powered-by"));
        let removes_powered_by = policy.base().removes().iter().any(|n| n == "x-powered-by");
        assert_eq!(removes_powered_by, !keeps_powered_by, "case {name}");
    }
    assert_eq!(CASE_TOML.len(), cases.len(), "a TOML case has no recording");
}
