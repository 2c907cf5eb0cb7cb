//! `palisade headers csp-suggest`: stored `csp_violation` events in, a proposed allowlist out.

use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_events::Store;
use palisade_headers::report::{Blocked, Disposition, Violation};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

fn palisade(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run palisade")
}

fn violation(directive: &str, blocked: &str) -> Violation {
    Violation {
        document: "https://shop.example/cart".into(),
        blocked: Blocked::from_reported(blocked),
        directive: directive.into(),
        disposition: Disposition::Report,
        source_file: None,
        line: None,
        column: None,
        sample: None,
        status: Some(200),
    }
}

/// A `csp_violation` event as the guard stores it.
fn event(client: &str, v: &Violation) -> Event {
    let ip: IpAddr = client.parse().unwrap();
    let mut event =
        Event::new(Category::CspViolation, Severity::Info, v.message()).with_source_ip(ip);
    for (name, value) in v.to_fields() {
        event = event.with_field(name, value);
    }
    event
}

fn store(dir: &Path, events: &[Event]) {
    let mut store = Store::open(&dir.join("palisade.db")).unwrap();
    store.append(events, &[]).unwrap();
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

#[test]
fn proposes_sources_from_stored_reports() {
    let dir = tempfile::tempdir().unwrap();
    let cdn = violation("script-src-elem", "https://cdn.example.net/lib.js");
    let inline = violation("script-src-elem", "inline");
    let extension = violation("script-src-elem", "chrome-extension");
    let lone = violation("img-src", "https://tracker.example/p.gif");
    let mut events = Vec::new();
    for client in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        events.push(event(client, &cdn));
        events.push(event(client, &inline));
        events.push(event(client, &extension));
    }
    events.push(event("198.51.100.9", &lone));
    events.push(event("198.51.100.9", &lone));
    // Another category, and a report older than --since: both ignored.
    events.push(Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        "SQL injection",
    ));
    let mut old = event(
        "192.0.2.7",
        &violation("media-src", "https://media.example/a.mp4"),
    );
    old.time = Timestamp(Timestamp::now().0 - 30 * 24 * 3600 * 1000);
    events.push(old.clone());
    let mut old2 = old;
    old2.id = palisade_core::EventId::generate();
    old2.source_ip = Some("192.0.2.8".parse().unwrap());
    events.push(old2);
    store(dir.path(), &events);

    // No palisade.toml in the directory: helmet's default policy.
    let out = palisade(
        dir.path(),
        &[
            "headers",
            "csp-suggest",
            "--database",
            "palisade.db",
            "--json",
        ],
    );
    let s = json(&out);
    assert_eq!(s["reports"], 11, "{s:#}");
    assert_eq!(s["additions"].as_array().unwrap().len(), 1, "{s:#}");
    let add = &s["additions"][0];
    assert_eq!(add["directive"], "script-src");
    assert_eq!(add["new_directive"], false);
    assert_eq!(add["sources"][0]["source"], "https://cdn.example.net");
    assert_eq!(add["sources"][0]["reports"], 3);
    assert_eq!(add["sources"][0]["clients"], 3);
    assert_eq!(
        add["sources"][0]["example_document"],
        "https://shop.example/cart"
    );
    let reasons: Vec<(&str, &str)> = s["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["blocked"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(reasons.contains(&("inline", "inline")), "{reasons:?}");
    assert!(
        reasons.contains(&("chrome-extension:", "browser_extension")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("https://tracker.example", "too_few_clients")),
        "{reasons:?}"
    );
    let proposed = s["proposed_policy"].as_str().unwrap();
    assert!(
        proposed.contains(";script-src 'self' https://cdn.example.net;"),
        "{proposed}"
    );
    assert!(proposed.starts_with("default-src 'self';"), "{proposed}");

    // --min-clients 1 lets the lone tracker through; --since 60d brings back the media
    // report, for which helmet's policy has no directive: a new one after default-src.
    let out = palisade(
        dir.path(),
        &[
            "headers",
            "csp-suggest",
            "--database",
            "palisade.db",
            "--json",
            "--min-clients",
            "1",
            "--since",
            "60d",
        ],
    );
    let s = json(&out);
    assert_eq!(s["reports"], 13);
    let directives: Vec<&str> = s["additions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["directive"].as_str().unwrap())
        .collect();
    assert_eq!(directives, ["media-src", "img-src", "script-src"], "{s:#}");

    // Text for humans.
    let out = palisade(
        dir.path(),
        &["headers", "csp-suggest", "--database", "palisade.db"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Add to script-src:"), "{text}");
    assert!(text.contains("Proposed policy:"), "{text}");
}

#[test]
fn reads_the_policy_and_database_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("palisade.toml"),
        r#"
[events]
database = "data/events.db"

[headers.content_security_policy]
use_defaults = false
report_only = true
directives = { default-src = ["'self'"], connect-src = ["'self'"] }
"#,
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let mut store = Store::open(&dir.path().join("data/events.db")).unwrap();
    let events: Vec<Event> = ["192.0.2.1", "192.0.2.2"]
        .iter()
        .flat_map(|client| {
            [
                event(client, &violation("connect-src", "wss://rt.example/live")),
                event(client, &violation("img-src", "data")),
            ]
        })
        .collect();
    store.append(&events, &[]).unwrap();

    let out = palisade(dir.path(), &["headers", "csp-suggest", "--json"]);
    let s = json(&out);
    assert_eq!(
        s["current_policy"], "default-src 'self';connect-src 'self'",
        "{s:#}"
    );
    assert_eq!(
        s["proposed_policy"],
        "default-src 'self';img-src 'self' data:;connect-src 'self' wss://rt.example"
    );
}

#[test]
fn no_reports_is_a_clear_message_and_success() {
    let dir = tempfile::tempdir().unwrap();
    store(dir.path(), &[]);
    let out = palisade(
        dir.path(),
        &["headers", "csp-suggest", "--database", "palisade.db"],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no CSP violation reports in palisade.db"),
        "{text}"
    );

    // JSON stays JSON; the message goes to stderr.
    let out = palisade(
        dir.path(),
        &[
            "headers",
            "csp-suggest",
            "--database",
            "palisade.db",
            "--json",
        ],
    );
    let s = json(&out);
    assert_eq!(s["reports"], 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no CSP violation reports"));
}

#[test]
fn a_missing_database_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade(
        dir.path(),
        &["headers", "csp-suggest", "--database", "nope.db"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.db"));
}
