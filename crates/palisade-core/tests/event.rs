use std::net::IpAddr;

use palisade_core::redact::{REDACTED, redact_target, redact_text};
use palisade_core::{Category, Event, Severity};
use serde_json::Value;

fn attack() -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        "SQL injection in query q",
    )
    .with_source_ip("203.0.113.7".parse::<IpAddr>().unwrap())
    .with_request(
        "req-1",
        "GET",
        Some("shop.example".into()),
        "/search?q=1' or 1=1--",
    )
    .with_rule("sqli-tautology")
    .with_field("score", "5")
}

#[test]
fn ecs_rendering_has_the_fields_elastic_users_know() {
    let mut e = attack();
    e.instance = Some("edge-1".into());
    let v: Value = serde_json::to_value(e.ecs()).unwrap();
    assert!(v["@timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["event"]["action"], "malicious_traffic");
    assert_eq!(v["event"]["kind"], "alert");
    assert_eq!(v["event"]["category"][0], "intrusion_detection");
    assert_eq!(v["event"]["severity"], 73);
    assert_eq!(v["source"]["ip"], "203.0.113.7");
    assert_eq!(v["url"]["path"], "/search");
    assert_eq!(v["url"]["query"], "q=1' or 1=1--");
    assert_eq!(v["url"]["domain"], "shop.example");
    assert_eq!(v["http"]["request"]["method"], "GET");
    assert_eq!(v["http"]["request"]["id"], "req-1");
    assert_eq!(v["rule"]["id"][0], "sqli-tautology");
    assert_eq!(v["observer"]["name"], "edge-1");
    assert_eq!(v["palisade"]["severity"], "high");
    assert_eq!(v["palisade"]["fields"]["score"], "5");
    assert_eq!(v["log"]["level"], "high");
    assert!(v.get("user").is_none(), "absent fields are left out");
}

#[test]
fn events_round_trip_through_their_stored_form() {
    let e = attack().with_user("alice");
    let json = serde_json::to_string(&e).unwrap();
    let back: Event = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}

#[test]
fn unknown_categories_are_kept_and_bad_ones_refused() {
    let c: Category = "honeypot_hit".parse().unwrap();
    assert_eq!(c, Category::Other("honeypot_hit".into()));
    assert_eq!(c.as_str(), "honeypot_hit");
    assert_eq!(
        "brute_force".parse::<Category>().unwrap(),
        Category::BruteForce
    );
    assert!("Bad Category".parse::<Category>().is_err());
    assert!(serde_json::from_str::<Category>("\"x y\"").is_err());
    for name in Category::known() {
        assert_eq!(name.parse::<Category>().unwrap().as_str(), name);
    }
}

#[test]
fn severities_are_ordered_and_parse() {
    assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    assert_eq!("medium".parse::<Severity>().unwrap(), Severity::Medium);
    assert!("urgent".parse::<Severity>().is_err());
}

#[test]
fn secrets_in_query_strings_are_redacted() {
    let r = redact_target("/login?user=bob&password=hunter2&next=/home");
    assert_eq!(r, format!("/login?user=bob&password={REDACTED}&next=/home"));
    let r = redact_target("/cb?access_token=abc.def&x=1&API%5FKEY=zzz");
    assert!(!r.contains("abc.def") && !r.contains("zzz"), "{r}");
    assert_eq!(redact_target("/plain/path?q=shoes"), "/plain/path?q=shoes");
}

#[test]
fn secrets_in_free_text_are_redacted() {
    let cases = [
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("cookie: session=abc123; theme=dark", "abc123"),
        ("sent Bearer abcdefghijklmnop to api", "abcdefghijklmnop"),
        (r#"{"email":"a@b.c","password":"hunter2"}"#, "hunter2"),
        ("token=ZXhhbXBsZQ", "ZXhhbXBsZQ"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here",
            "eyJzdWIiOiIxIn0",
        ),
        ("fetching https://admin:s3cret@db.internal/x", "s3cret"),
        ("client_secret: abcdef", "abcdef"),
    ];
    for (text, secret) in cases {
        let r = redact_text(text);
        assert!(!r.contains(secret), "{text:?} → {r:?}");
        assert!(r.contains(REDACTED), "{text:?} → {r:?}");
    }
    let benign = "user bob failed to log in from 203.0.113.7 (keyboard=us, passes=3)";
    assert_eq!(redact_text(benign), benign);
}

#[test]
fn redaction_covers_every_field_and_is_idempotent() {
    let mut e = Event::new(
        Category::AuthFailure,
        Severity::Medium,
        "login failed, password=hunter2",
    )
    .with_user("Authorization: Bearer abcdefghijk")
    .with_request("r", "POST", None, "/login?pwd=hunter2")
    .with_field("api_key", "k-123")
    .with_field("excerpt", "Cookie: sid=xyz");
    e.redact();
    let once = serde_json::to_string(&e).unwrap();
    for secret in ["hunter2", "abcdefghijk", "k-123", "xyz"] {
        assert!(!once.contains(secret), "{secret} leaked: {once}");
    }
    e.redact();
    assert_eq!(serde_json::to_string(&e).unwrap(), once);
}

#[test]
fn a_secret_after_other_words_is_still_found() {
    let r = redact_text("password changed: password=hunter2, pin: 1234");
    assert!(!r.contains("hunter2") && !r.contains("1234"), "{r}");
    let r = redact_text("user=bob&access-token=abcdef&next=/");
    assert_eq!(r, format!("user=bob&access-token={REDACTED}&next=/"));
}
