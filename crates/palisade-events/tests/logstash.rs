//! The logstash sink against receivers speaking Logstash's protocols on 127.0.0.1: a
//! `json_lines` TCP listener, and an HTTP server standing in for the `http` input.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::sinks::logstash::LogstashConfig;
use palisade_events::sinks::{Delivery, SinkKind, SinkSettings};
use palisade_events::{EventsSettings, Pipeline};
use palisade_test_support::free_port;
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(30);

fn attack(n: usize) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        format!("event {n}"),
    )
    .with_source_ip(IpAddr::from([203, 0, 113, 9]))
    .with_rule("sqli-union")
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

type Lines = Arc<Mutex<Vec<String>>>;

/// A `tcp { codec => json_lines }` input: records every line of every connection. Dropping it
/// closes the listener and every connection it accepted.
struct JsonLinesInput {
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl JsonLinesInput {
    async fn start(port: u16, lines: Lines) -> JsonLinesInput {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let connections = connections.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let lines = lines.clone();
                    let reader = tokio::spawn(async move {
                        let mut stream = tokio::io::BufReader::new(stream).lines();
                        while let Ok(Some(line)) = stream.next_line().await {
                            lines.lock().unwrap().push(line);
                        }
                    });
                    connections.lock().unwrap().push(reader);
                }
            }
        });
        JsonLinesInput {
            accept: Some(accept),
            connections,
        }
    }
}

impl JsonLinesInput {
    /// Stops it and waits until the listener and every connection are closed.
    async fn stop(mut self) {
        let handles: Vec<_> = self.accept.take().into_iter().collect();
        let connections: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        for c in handles.into_iter().chain(connections) {
            c.abort();
            let _ = c.await;
        }
    }
}

impl Drop for JsonLinesInput {
    fn drop(&mut self) {
        if let Some(a) = &self.accept {
            a.abort();
        }
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

fn messages(lines: &Lines) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            v["message"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_mode_writes_ecs_json_lines() {
    let port = free_port();
    let lines: Lines = Arc::default();
    let _input = JsonLinesInput::start(port, lines.clone()).await;
    let mut sink = SinkKind::Logstash(LogstashConfig::tcp("127.0.0.1", port))
        .build()
        .unwrap();
    let events: Vec<Event> = (0..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();
    wait_until("3 lines", || lines.lock().unwrap().len() == 3).await;
    let first: serde_json::Value = serde_json::from_str(&lines.lock().unwrap()[0]).unwrap();
    assert_eq!(first["message"], "event 0");
    assert_eq!(first["source"]["ip"], "203.0.113.9");
    assert_eq!(first["rule"]["id"][0], "sqli-union");
    assert_eq!(messages(&lines), ["event 0", "event 1", "event 2"]);
}

/// The fault test: the input is down while 1,000 events are emitted; once it is back
/// on the same port, every event arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_mode_survives_an_outage_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let lines: Lines = Arc::default();
    let input = JsonLinesInput::start(port, lines.clone()).await;

    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    let mut sink = SinkSettings::new(
        "logstash",
        SinkKind::Logstash(LogstashConfig::tcp("127.0.0.1", port)),
    );
    sink.retry_min = Duration::from_millis(20);
    sink.retry_max = Duration::from_millis(200);
    settings.sinks.push(sink);
    let pipeline = Pipeline::start(settings).unwrap();
    let emitter = pipeline.emitter();

    emitter.emit(Event::new(Category::AppStart, Severity::Info, "warm-up"));
    wait_until("the warm-up line", || lines.lock().unwrap().len() == 1).await;

    // Listener and connection closed: the sink now holds a dead connection. (Waiting for the
    // close matters: a receiver dying after the sink's check loses what is in flight, which
    // no acknowledgement-free protocol can avoid.)
    input.stop().await;
    for n in 0..1000 {
        emitter.emit(attack(n));
    }
    assert!(tokio::task::block_in_place(|| pipeline.flush(DEADLINE)));
    // Let the worker find the input gone and back off a few times (not a success wait).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        lines.lock().unwrap().len(),
        1,
        "nothing arrives while it is down"
    );

    let _input = JsonLinesInput::start(port, lines.clone()).await;
    wait_until("1,000 lines after the restart", || {
        lines.lock().unwrap().len() >= 1001
    })
    .await;
    // Anything sent twice would arrive right behind.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = messages(&lines);
    let want: Vec<String> = (0..1000).map(|n| format!("event {n}")).collect();
    assert_eq!(got.len(), 1001, "exactly once");
    assert_eq!(got[1..], want[..], "in order");
    tokio::task::block_in_place(|| pipeline.shutdown(Duration::from_secs(5)));
}

#[derive(Default)]
struct Received {
    bodies: Vec<serde_json::Value>,
    auth: Vec<Option<String>>,
    content_types: Vec<Option<String>>,
    extra: Vec<Option<String>>,
}

/// An `http` input: records each request; answers 503 to the first `unavailable` requests and
/// 400 to any body mentioning "poison".
async fn http_input(unavailable: usize) -> (String, Arc<Mutex<Received>>) {
    type Shared = (Arc<Mutex<Received>>, Arc<Mutex<usize>>);
    async fn handle(
        State((received, left)): State<Shared>,
        headers: HeaderMap,
        body: String,
    ) -> StatusCode {
        {
            let mut left = left.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        }
        if body.contains("poison") {
            return StatusCode::BAD_REQUEST;
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut r = received.lock().unwrap();
        r.bodies
            .push(serde_json::from_str(&body).expect("a JSON body"));
        r.auth.push(header("authorization"));
        r.content_types.push(header("content-type"));
        r.extra.push(header("x-pipeline"));
        StatusCode::OK
    }
    let received: Arc<Mutex<Received>> = Arc::default();
    let app = Router::new()
        .route("/", post(handle))
        .with_state((received.clone(), Arc::new(Mutex::new(unavailable))));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn http_mode_posts_batches_as_json_arrays_with_basic_auth() {
    let (url, received) = http_input(0).await;
    let mut config = LogstashConfig::http(url);
    config.user = Some("palisade".into());
    config.password = Some("s3cret".into());
    config
        .headers
        .insert("X-Pipeline".into(), "security".into());
    let mut sink = SinkKind::Logstash(config).build().unwrap();
    let events: Vec<Event> = (0..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();

    let r = received.lock().unwrap();
    assert_eq!(r.bodies.len(), 1, "one request per batch");
    let array = r.bodies[0].as_array().expect("a JSON array");
    let got: Vec<&str> = array
        .iter()
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["event 0", "event 1", "event 2"]);
    assert_eq!(array[0]["source"]["ip"], "203.0.113.9");
    // base64("palisade:s3cret")
    assert_eq!(r.auth[0].as_deref(), Some("Basic cGFsaXNhZGU6czNjcmV0"));
    assert_eq!(r.content_types[0].as_deref(), Some("application/json"));
    assert_eq!(r.extra[0].as_deref(), Some("security"));
}

#[tokio::test]
async fn http_mode_retries_5xx_and_skips_only_a_refused_item() {
    let (url, received) = http_input(1).await;
    let mut sink = SinkKind::Logstash(LogstashConfig::http(url))
        .build()
        .unwrap();
    let good = attack(1);
    let bad = Event::new(Category::Scanner, Severity::Low, "poison");
    let after = attack(2);
    let batch = [
        Delivery::Event(&good),
        Delivery::Event(&bad),
        Delivery::Event(&after),
    ];

    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.retryable, "503 is worth retrying");
    assert_eq!(err.delivered, 0);

    // The 400 is narrowed down to the one item the receiver refuses.
    let err = sink.send(&batch).await.unwrap_err();
    assert!(!err.retryable, "400 will not get better");
    assert_eq!(err.delivered, 1, "the item before it got through");
    sink.send(&batch[2..]).await.unwrap();
    let r = received.lock().unwrap();
    let got: Vec<&str> = r
        .bodies
        .iter()
        .flat_map(|b| b.as_array().unwrap())
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["event 1", "event 2"]);
}

#[tokio::test]
async fn http_mode_connect_errors_are_retried() {
    let port = free_port();
    let mut sink = SinkKind::Logstash(LogstashConfig::http(format!("http://127.0.0.1:{port}/")))
        .build()
        .unwrap();
    let e = attack(1);
    let err = sink.send(&[Delivery::Event(&e)]).await.unwrap_err();
    assert!(err.retryable);
    assert_eq!(err.delivered, 0);
}
