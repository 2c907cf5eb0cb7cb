//! The SMS sink against a real HTTP receiver on 127.0.0.1 standing in for Twilio's Messages
//! API: path, basic auth, form fields, one message per recipient, retries and refusals.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use common::Receiver;
use palisade_events::alerts::Notification;
use palisade_events::sinks::sms::{SmsConfig, SmsSink};
use palisade_events::sinks::{Delivery, Sink};

const SID: &str = "AC0123456789abcdef";
const TOKEN: &str = "s3cret-auth-token";

fn config(rx: &Receiver, to: &[&str]) -> SmsConfig {
    let mut c = SmsConfig::new(
        SID,
        TOKEN,
        "+15005550006",
        to.iter().map(|t| t.to_string()).collect(),
    );
    c.url = rx.url("");
    c
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

#[tokio::test]
async fn each_recipient_gets_a_form_post_with_basic_auth() {
    // Twilio answers 201 Created.
    let rx = Receiver::start_on(0, |_| 201);
    let mut sink = SmsSink::new(config(&rx, &["+15551230001", "+15551230002"])).unwrap();
    let n = Notification::test("sms");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let got = rx.wait_for(2);
    assert_eq!(got.len(), 2);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    for (r, to) in got.iter().zip(["+15551230001", "+15551230002"]) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
        assert_eq!(r.header("authorization"), basic);
        assert_eq!(
            r.header("content-type"),
            "application/x-www-form-urlencoded"
        );
        let form = r.form();
        assert_eq!(field(&form, "To"), to);
        assert_eq!(field(&form, "From"), "+15005550006");
        assert_eq!(field(&form, "Body"), n.title);
    }
}

#[tokio::test]
async fn a_retry_resumes_at_the_recipient_that_failed() {
    let failures = Arc::new(AtomicUsize::new(0));
    let f = failures.clone();
    let rx = Receiver::start_on(0, move |r| {
        let second = r.body.contains("%2B15551230002");
        if second && f.fetch_add(1, Ordering::SeqCst) == 0 {
            503
        } else {
            201
        }
    });
    let mut sink = SmsSink::new(config(&rx, &["+15551230001", "+15551230002"])).unwrap();
    let n = Notification::test("sms");
    let err = sink.send(&[Delivery::Alert(&n)]).await.unwrap_err();
    assert!(err.retryable && err.delivered == 0, "{err:?}");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let to: Vec<String> = rx
        .requests()
        .iter()
        .map(|r| field(&r.form(), "To").to_owned())
        .collect();
    assert_eq!(
        to,
        ["+15551230001", "+15551230002", "+15551230002"],
        "the first recipient is not texted twice"
    );
}

#[tokio::test]
async fn refusals_are_permanent_and_rate_limits_are_retried() {
    for (status, retryable) in [(400, false), (401, false), (429, true), (500, true)] {
        let rx = Receiver::start_on(0, move |_| status);
        let mut sink = SmsSink::new(config(&rx, &["+15551230001"])).unwrap();
        let n = Notification::test("sms");
        let err = sink.send(&[Delivery::Alert(&n)]).await.unwrap_err();
        assert_eq!(err.retryable, retryable, "HTTP {status}: {err:?}");
        assert!(!err.message.contains(TOKEN), "{}", err.message);
    }
}

#[tokio::test]
async fn long_bodies_are_cut_to_1600_characters() {
    let rx = Receiver::start_on(0, |_| 201);
    let mut c = config(&rx, &["+15551230001"]);
    c.body = "{% for i in range(2000) %}é{% endfor %}".into();
    let mut sink = SmsSink::new(c).unwrap();
    let n = Notification::test("sms");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();
    let form = rx.wait_for(1)[0].form();
    assert_eq!(field(&form, "Body").chars().count(), 1600);
}
