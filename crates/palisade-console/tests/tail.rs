//! The live tail (`GET /api/v1/events/stream`): events stored after the stream opened arrive
//! as Server-Sent Events, filtered like the events page; `Last-Event-ID` resumes.

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use palisade_console::{Console, ConsoleSettings};
use palisade_core::{Category, Event, Severity};

const TOKEN: &str = "tail-test-token";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn append(db: &Path, events: &[Event]) {
    let mut store = palisade_events::Store::open(db).unwrap();
    assert_eq!(store.append(events, &[]).unwrap(), events.len());
}

async fn serve(db: &Path) -> String {
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        secure_cookies: false,
        events_db: Some(db.to_owned()),
        book: None,
        ..Default::default()
    });
    common::serve(console).await
}

/// Reads the stream until `n` SSE events arrived (or 10 s passed): their `id`s and data.
async fn read_events(res: reqwest::Response, n: usize) -> Vec<(String, serde_json::Value)> {
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while out.len() < n && Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next()).await;
        let Ok(Some(Ok(chunk))) = chunk else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let mut id = String::new();
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = Some(serde_json::from_str(v.trim()).unwrap());
                }
            }
            if let Some(d) = data {
                out.push((id, d));
            }
        }
    }
    out
}

#[tokio::test]
async fn new_events_stream_in_filtered_and_a_reconnect_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    append(
        &db,
        &[Event::new(
            Category::MaliciousTraffic,
            Severity::High,
            "before the tail",
        )
        .with_source_ip(ip("203.0.113.1"))],
    );
    let base = serve(&db).await;
    let http = reqwest::Client::new();

    let denied = http
        .get(format!("{base}/api/v1/events/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);

    let res = http
        .get(format!(
            "{base}/api/v1/events/stream?category=malicious_traffic"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Stored after the stream opened: a login failure (filtered out) and an attack.
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            append(
                &db,
                &[
                    Event::new(Category::AuthFailure, Severity::Low, "bad password")
                        .with_source_ip(ip("198.51.100.2"))
                        .with_user("alice"),
                    Event::new(Category::MaliciousTraffic, Severity::High, "<b>sqli</b>")
                        .with_source_ip(ip("203.0.113.9"))
                        .with_request("r-1", "GET", None, "/search?q=1"),
                ],
            );
        })
    };
    let got = read_events(res, 1).await;
    writer.await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let (id, e) = &got[0];
    assert_eq!(e["category"], "malicious_traffic");
    assert_eq!(e["ip"], "203.0.113.9");
    assert_eq!(
        e["message"], "<b>sqli</b>",
        "data is JSON, rendered as text by the page"
    );
    assert_eq!(e["path"], "/search?q=1");
    assert_eq!(id, &e["seq"].to_string());

    // A browser reconnecting with Last-Event-ID: 0 gets every matching stored event again.
    let res = http
        .get(format!(
            "{base}/api/v1/events/stream?category=malicious_traffic"
        ))
        .bearer_auth(TOKEN)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    let got = read_events(res, 2).await;
    let messages: Vec<&str> = got
        .iter()
        .map(|(_, e)| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["before the tail", "<b>sqli</b>"]);

    let bad = http
        .get(format!("{base}/api/v1/events/stream?category=no%20such"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_events_page_loads_the_tail_script_from_self() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let base = serve(&db).await;
    let js = reqwest::get(format!("{base}/console/assets/console.js"))
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let text = js.text().await.unwrap();
    assert!(text.contains("EventSource") && text.contains("textContent"));
    assert!(
        !text.contains("innerHTML"),
        "rows are built from text, never HTML"
    );
}
