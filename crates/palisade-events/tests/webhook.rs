//! The webhook sink against a real HTTP receiver on 127.0.0.1: bodies, the Slack preset,
//! signatures, status handling, and, through a whole `Pipeline`, a receiver that is down for
//! 1,000 events, a refused event, and an alert rule's cooldown.

mod common;

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Receiver, WAIT};
use hmac::{Hmac, Mac};
use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::alerts::{AlertRule, GroupBy, Notification};
use palisade_events::sinks::webhook::{WebhookConfig, WebhookPreset, WebhookSink};
use palisade_events::sinks::{Delivery, Sink, SinkKind, SinkSettings};
use palisade_events::{EventsSettings, Pipeline};
use sha2::Sha256;

fn attack(n: usize) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        format!("attack {n}"),
    )
    .with_source_ip(IpAddr::from([203, 0, 113, 9]))
    .with_request(format!("req-{n}"), "GET", None, format!("/x?n={n}"))
}

fn hook(url: String) -> WebhookSink {
    WebhookSink::new(WebhookConfig::new(url)).unwrap()
}

#[tokio::test]
async fn alerts_are_posted_as_their_template_context() {
    let rx = Receiver::start();
    let mut config = WebhookConfig::new(rx.url("/hooks/palisade"));
    config
        .headers
        .insert("Authorization".into(), "Bearer t0ken".into());
    let mut sink = WebhookSink::new(config).unwrap();
    let n = Notification::test("hook");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let got = rx.wait_for(1);
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/hooks/palisade")
    );
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("authorization"), "Bearer t0ken");
    assert_eq!(r.header("x-palisade-delivery"), n.id);
    assert_eq!(
        r.header("x-palisade-signature"),
        "",
        "unsigned without a secret"
    );
    assert_eq!(r.json(), n.template_context());
}

#[tokio::test]
async fn streamed_events_are_posted_as_ecs() {
    let rx = Receiver::start();
    let mut sink = hook(rx.url("/"));
    let (a, b) = (attack(1), attack(2));
    sink.send(&[Delivery::Event(&a), Delivery::Event(&b)])
        .await
        .unwrap();
    let got = rx.wait_for(2);
    assert_eq!(got[0].json(), serde_json::to_value(a.ecs()).unwrap());
    assert_eq!(got[1].json()["event"]["id"], b.id.to_string());
    assert_eq!(got[1].header("x-palisade-delivery"), b.id.to_string());
}

#[tokio::test]
async fn the_slack_preset_posts_title_and_text() {
    let rx = Receiver::start();
    let mut config = WebhookConfig::new(rx.url("/services/T000/B000/XXXX"));
    config.preset = Some(WebhookPreset::Slack);
    let mut sink = WebhookSink::new(config).unwrap();
    let n = Notification::test("slack");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();
    let got = rx.wait_for(1);
    assert_eq!(
        got[0].json(),
        serde_json::json!({ "text": format!("{}\n{}", n.title, n.text) })
    );
}

#[tokio::test]
async fn signed_requests_verify_with_the_shared_secret() {
    let rx = Receiver::start();
    let mut config = WebhookConfig::new(rx.url("/"));
    config.secret = Some("whsec_test".into());
    let mut sink = WebhookSink::new(config).unwrap();
    let n = Notification::test("hook");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let r = &rx.wait_for(1)[0];
    let ts: u64 = r.header("x-palisade-timestamp").parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(ts) < 60, "timestamp {ts} is now");
    // What a receiver does: HMAC-SHA256 over "<timestamp>.<raw body>".
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
    mac.update(format!("{ts}.{}", r.body).as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(r.header("x-palisade-signature"), want);
    assert_eq!(r.header("x-palisade-delivery"), n.id);
}

#[tokio::test]
async fn a_template_renders_the_body_and_must_be_json() {
    let rx = Receiver::start();
    let mut config = WebhookConfig::new(rx.url("/"));
    config.template = Some(
        r#"{"summary": {{ title|tojson }}, "severity": "{{ severity }}", "ip": {{ event.source.ip|tojson }}}"#
            .into(),
    );
    let mut sink = WebhookSink::new(config).unwrap();
    let e = attack(7);
    sink.send(&[Delivery::Event(&e)]).await.unwrap();
    let got = rx.wait_for(1);
    assert_eq!(
        got[0].json(),
        serde_json::json!({
            "summary": "[palisade] malicious_traffic (high) from 203.0.113.9: attack 7",
            "severity": "high",
            "ip": "203.0.113.9",
        })
    );

    let mut config = WebhookConfig::new(rx.url("/"));
    config.template = Some(r#"{"summary": "{{ title }}"}"#.into());
    let mut sink = WebhookSink::new(config).unwrap();
    let mut n = Notification::test("hook");
    n.title = "say \"hi\"".into();
    let err = sink.send(&[Delivery::Alert(&n)]).await.unwrap_err();
    assert!(!err.retryable && err.delivered == 0, "{err:?}");
    assert!(err.message.contains("invalid JSON"), "{}", err.message);
    assert_eq!(rx.requests().len(), 1, "nothing sent for the broken body");
}

#[tokio::test]
async fn statuses_decide_between_retry_and_refusal() {
    for (status, retryable) in [
        (500, true),
        (503, true),
        (429, true),
        (408, true),
        (400, false),
        (302, false),
        (404, false),
        (422, false),
    ] {
        let rx = Receiver::start_on(0, move |_| status);
        let mut sink = hook(rx.url("/"));
        let n = Notification::test("hook");
        let err = sink.send(&[Delivery::Alert(&n)]).await.unwrap_err();
        assert_eq!(err.retryable, retryable, "HTTP {status}: {err:?}");
        assert_eq!(err.delivered, 0);
        assert!(err.message.contains(&status.to_string()), "{}", err.message);
        assert!(
            !err.message.contains("127.0.0.1"),
            "no URL in errors: {}",
            err.message
        );
    }

    // The front of a batch that got through is reported.
    let rx = Receiver::start_on(0, |r| {
        if r.body.contains("attack 2") {
            400
        } else {
            200
        }
    });
    let mut sink = hook(rx.url("/"));
    let events: Vec<Event> = (1..=3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    let err = sink.send(&batch).await.unwrap_err();
    assert_eq!((err.delivered, err.retryable), (1, false));
}

#[tokio::test]
async fn a_receiver_that_is_down_means_retry() {
    let port = palisade_test_support::free_port();
    let mut sink = hook(format!("http://127.0.0.1:{port}/"));
    let n = Notification::test("hook");
    let err = sink.send(&[Delivery::Alert(&n)]).await.unwrap_err();
    assert!(err.retryable, "{err:?}");
    assert_eq!(err.delivered, 0);
}

fn streaming(name: &str, url: String) -> SinkSettings {
    let mut config = WebhookConfig::new(url);
    config.timeout = Duration::from_secs(5);
    let mut s = SinkSettings::new(name, SinkKind::Webhook(config));
    assert!(
        !s.stream,
        "webhooks receive alerts by default, not the stream"
    );
    s.stream = true;
    s.default_alerts = false;
    s.retry_min = Duration::from_millis(5);
    s.retry_max = Duration::from_millis(100);
    s
}

#[test]
fn a_receiver_down_during_1000_events_gets_each_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let port = palisade_test_support::free_port();
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings
        .sinks
        .push(streaming("hook", format!("http://127.0.0.1:{port}/in")));
    let pipeline = Pipeline::start(settings).unwrap();
    let emitter = pipeline.emitter();
    let mut ids = Vec::new();
    for n in 0..1000 {
        let e = attack(n);
        ids.push(e.id.to_string());
        emitter.emit(e);
    }
    assert!(pipeline.flush(WAIT), "events stored");
    // Let the worker find nobody listening and back off a few times.
    std::thread::sleep(Duration::from_millis(300));

    let rx = Receiver::start_on(port, |_| 200);
    rx.wait_for(1000);
    pipeline.shutdown(Duration::from_secs(5));

    let got = rx.requests();
    let delivered: Vec<String> = got
        .iter()
        .map(|r| r.header("x-palisade-delivery").to_owned())
        .collect();
    assert_eq!(delivered.len(), 1000, "no duplicates");
    assert!(delivered == ids, "every event exactly once, in order");
    for (r, id) in got.iter().zip(&ids) {
        assert_eq!(r.json()["event"]["id"], *id);
    }
}

#[test]
fn a_refused_event_is_skipped_not_retried_forever() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start_on(0, |r| {
        if r.body.contains("attack 2\"") {
            400
        } else {
            200
        }
    });
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings.sinks.push(streaming("hook", rx.url("/")));
    let pipeline = Pipeline::start(settings).unwrap();
    for n in 0..5 {
        pipeline.emitter().emit(attack(n));
    }
    assert!(pipeline.flush(WAIT));
    rx.wait_for(5);
    pipeline.shutdown(Duration::from_secs(5));

    let messages: Vec<String> = rx
        .requests()
        .iter()
        .map(|r| r.json()["message"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..5).map(|n| format!("attack {n}")).collect();
    assert_eq!(
        messages, want,
        "the refused one was tried once, then skipped"
    );
}

#[test]
fn a_burst_from_one_ip_sends_one_alert_within_the_cooldown() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start();
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    let mut sink = SinkSettings::new("hook", SinkKind::Webhook(WebhookConfig::new(rx.url("/"))));
    sink.retry_min = Duration::from_millis(5);
    settings.sinks.push(sink);
    let mut rule = AlertRule::on(
        "attack-from-ip",
        &[Category::MaliciousTraffic],
        GroupBy::Ip,
        Duration::from_secs(600),
    );
    rule.channels = vec!["hook".into()];
    settings.alerts.push(rule);

    let pipeline = Pipeline::start(settings).unwrap();
    for n in 0..50 {
        pipeline.emitter().emit(attack(n));
    }
    assert!(pipeline.flush(WAIT));
    rx.wait_for(1);
    pipeline.shutdown(Duration::from_secs(5));

    let got = rx.requests();
    assert_eq!(got.len(), 1, "one alert for the burst, not one per event");
    let body = got[0].json();
    assert_eq!(body["rule"], "attack-from-ip");
    assert_eq!(body["key"], "203.0.113.9");
    assert_eq!(body["event"]["message"], "attack 0");
    assert_eq!(
        got[0].header("x-palisade-delivery"),
        body["id"].as_str().unwrap()
    );
}
