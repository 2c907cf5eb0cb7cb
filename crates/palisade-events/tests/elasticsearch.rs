//! The elasticsearch sink against a small stand-in for the `_bulk` and `_index_template` APIs
//! on 127.0.0.1 (OpenSearch cannot run here): it parses the NDJSON, checks headers and auth,
//! stores documents by `_id` (so `create` conflicts like the real thing), and can be told to
//! answer item errors, whole-request errors, garbage, or to forget its templates. Plus one
//! request over HTTPS to a server whose certificate a private CA (`ca_file`) signed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use base64::Engine as _;
use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::sinks::elasticsearch::{ElasticsearchConfig, ElasticsearchSink};
use palisade_events::sinks::{Delivery, Sink, SinkKind, SinkSettings};
use palisade_events::{EventsSettings, Pipeline};
use palisade_test_support::free_port;
use palisade_test_support::thread_server::ThreadServer;
use serde_json::{Value, json};

/// Every wait in these tests is bounded by this.
const WAIT: Duration = Duration::from_secs(30);

fn attack(n: usize) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        format!("attack {n}"),
    )
    .with_source_ip(IpAddr::from([203, 0, 113, 9]))
    .with_rule("sqli-union")
}

/// A whole-request answer the cluster gives instead of processing the next bulk request.
#[derive(Clone)]
enum Scripted {
    Status(u16),
    /// `200 OK` with a body that is not a bulk response.
    Garbage(&'static str),
}

/// One request as the cluster saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: String,
    content_type: String,
    /// `_bulk`: the `_id`s of the create actions, in order.
    ids: Vec<String>,
    /// `_bulk`: the `_index` of each action.
    indices: Vec<String>,
    /// The size of the body.
    bytes: usize,
}

#[derive(Default)]
struct Data {
    requests: Vec<Seen>,
    /// `_id` → (index, source).
    docs: HashMap<String, (String, Value)>,
    templates: HashMap<String, Value>,
    /// The `Authorization` value every request must carry (401 otherwise).
    auth: Option<String>,
    /// Items into an index no template matches fail with 404 (like a cluster with
    /// `action.auto_create_index` limited to templated names).
    require_template: bool,
    /// Ids whose documents are refused (400, a mapping error).
    refuse: HashSet<String>,
    /// Ids answered 429 this many more times.
    throttle: HashMap<String, u32>,
    /// Answers for the next bulk requests.
    script: VecDeque<Scripted>,
    /// The status every template request gets instead of being installed.
    template_status: Option<u16>,
}

type Shared = Arc<Mutex<Data>>;

/// The running stand-in; stops when dropped.
struct Cluster {
    addr: SocketAddr,
    data: Shared,
    _server: ThreadServer,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_on(0, Data::default())
    }

    fn start_on(port: u16, data: Data) -> Cluster {
        let data: Shared = Arc::new(Mutex::new(data));
        let app = Router::new().fallback(handle).with_state(data.clone());
        let server = ThreadServer::start(port, app);
        Cluster {
            addr: server.addr,
            data,
            _server: server,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Data) -> T) -> T {
        f(&mut self.data.lock().unwrap())
    }

    fn requests(&self) -> Vec<Seen> {
        self.with(|d| d.requests.clone())
    }

    fn bulks(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/_bulk")
            .collect()
    }

    fn doc_ids(&self) -> HashSet<String> {
        self.with(|d| d.docs.keys().cloned().collect())
    }

    /// How many create actions carried `id`, over all bulk requests.
    fn attempts(&self, id: &str) -> usize {
        self.bulks()
            .iter()
            .map(|b| b.ids.iter().filter(|i| *i == id).count())
            .sum()
    }

    fn wait_for_docs(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.with(|d| d.docs.len());
            if got >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} documents; got {got}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn error(kind: &str, reason: &str) -> Value {
    json!({ "type": kind, "reason": reason })
}

fn matches_template(templates: &HashMap<String, Value>, index: &str) -> bool {
    templates.values().any(|t| {
        t["index_patterns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => index.starts_with(prefix),
                None => index == p,
            })
    })
}

async fn handle(
    State(data): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut d = data.lock().unwrap();
    let mut seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        ids: Vec::new(),
        indices: Vec::new(),
        bytes: body.len(),
    };
    let answer =
        |status: u16, body: Value| (StatusCode::from_u16(status).unwrap(), body.to_string());
    if d.auth.as_ref().is_some_and(|a| *a != seen.authorization) {
        d.requests.push(seen);
        return answer(
            401,
            json!({"error": error("security_exception", "unable to authenticate"), "status": 401}),
        );
    }
    if method == Method::PUT
        && let Some(name) = seen.path.strip_prefix("/_index_template/")
    {
        if let Some(status) = d.template_status {
            d.requests.push(seen);
            return answer(
                status,
                json!({"error": error("security_exception", "action [indices:admin/index_template/put] is unauthorized")}),
            );
        }
        let template: Value = match serde_json::from_slice(&body) {
            Ok(t) => t,
            Err(e) => {
                return answer(
                    400,
                    json!({"error": error("parse_exception", &e.to_string())}),
                );
            }
        };
        assert!(
            template["index_patterns"].is_array() && template["template"]["mappings"].is_object()
        );
        d.templates.insert(name.to_owned(), template);
        d.requests.push(seen);
        return answer(200, json!({"acknowledged": true}));
    }
    if method != Method::POST || seen.path != "/_bulk" {
        d.requests.push(seen);
        return answer(404, json!({"error": error("no_handler", "not here")}));
    }
    // The NDJSON: an action line, then a source line, each ending in a newline.
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    assert!(text.ends_with('\n'), "the bulk body ends with a newline");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0, "action and source lines pair up");
    let mut pairs = Vec::new();
    for pair in lines.chunks(2) {
        let action: Value = serde_json::from_str(pair[0]).expect("an action line");
        let create = &action["create"];
        assert!(create.is_object(), "only create actions: {action}");
        let id = create["_id"].as_str().expect("an _id").to_owned();
        let index = create["_index"].as_str().expect("an _index").to_owned();
        let source: Value = serde_json::from_str(pair[1]).expect("a JSON document");
        seen.ids.push(id.clone());
        seen.indices.push(index.clone());
        pairs.push((id, index, source));
    }
    let content_type = seen.content_type.clone();
    d.requests.push(seen);
    if content_type != "application/x-ndjson" {
        return answer(
            406,
            json!({"error": "Content-Type must be application/x-ndjson"}),
        );
    }
    match d.script.pop_front() {
        Some(Scripted::Status(s)) => {
            return answer(
                s,
                json!({"error": error("scripted", "as the test asked"), "status": s}),
            );
        }
        Some(Scripted::Garbage(body)) => return (StatusCode::OK, body.to_owned()),
        None => {}
    }
    let mut items = Vec::new();
    let mut errors = false;
    for (id, index, source) in pairs {
        let throttled = d
            .throttle
            .get_mut(&id)
            .filter(|n| **n > 0)
            .map(|n| *n -= 1)
            .is_some();
        let (status, err) = if d.refuse.contains(&id) {
            (
                400,
                Some(error(
                    "document_parsing_exception",
                    "[1:2] failed to parse field [source.ip] of type [ip]",
                )),
            )
        } else if throttled {
            (
                429,
                Some(error(
                    "es_rejected_execution_exception",
                    "rejected execution: queue full",
                )),
            )
        } else if d.require_template && !matches_template(&d.templates, &index) {
            (
                404,
                Some(error(
                    "index_not_found_exception",
                    &format!("no such index [{index}]"),
                )),
            )
        } else if d.docs.contains_key(&id) {
            (
                409,
                Some(error(
                    "version_conflict_engine_exception",
                    &format!("[{id}]: version conflict, document already exists"),
                )),
            )
        } else {
            d.docs.insert(id.clone(), (index.clone(), source));
            (201, None)
        };
        errors |= status >= 300;
        let mut item = json!({ "_index": index, "_id": id, "status": status });
        if let Some(e) = err {
            item["error"] = e;
        }
        items.push(json!({ "create": item }));
    }
    answer(200, json!({ "took": 3, "errors": errors, "items": items }))
}

fn es_sink(config: ElasticsearchConfig) -> ElasticsearchSink {
    ElasticsearchSink::new(config).unwrap()
}

#[tokio::test]
async fn a_batch_is_one_bulk_request_after_the_template_with_basic_auth() {
    let es = Cluster::start();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("elastic:changeme")
    );
    es.with(|d| d.auth = Some(basic.clone()));
    let mut config = ElasticsearchConfig::new(es.url());
    config.username = Some("elastic".into());
    config.password = Some("changeme".into());
    let mut sink = es_sink(config);
    let events: Vec<Event> = (0..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();
    let more = attack(3);
    sink.send(&[Delivery::Event(&more)]).await.unwrap();

    let requests = es.requests();
    let shape: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            ("PUT", "/_index_template/palisade-events"),
            ("POST", "/_bulk"),
            ("POST", "/_bulk"),
        ],
        "the template once, before the first bulk request"
    );
    assert!(requests.iter().all(|r| r.authorization == basic));
    assert_eq!(requests[1].content_type, "application/x-ndjson");
    let template = es.with(|d| d.templates["palisade-events"].clone());
    assert_eq!(template["data_stream"], json!({}));
    let mappings = &template["template"]["mappings"]["properties"];
    assert_eq!(mappings["source"]["properties"]["ip"]["type"], "ip");
    assert_eq!(mappings["@timestamp"]["type"], "date");

    // Each document is the event's ECS JSON, under its own id, in the data stream.
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(requests[1].ids, ids);
    for e in events.iter().chain([&more]) {
        let (index, source) = es.with(|d| d.docs[&e.id.to_string()].clone());
        assert_eq!(index, "palisade-events");
        assert_eq!(source, serde_json::to_value(e.ecs()).unwrap());
    }
}

#[tokio::test]
async fn api_keys_dated_indices_and_request_limits() {
    let es = Cluster::start();
    es.with(|d| d.auth = Some("ApiKey aWQ6c2VjcmV0".into()));
    let mut config = ElasticsearchConfig::new(format!("{}/", es.url()));
    config.api_key = Some("aWQ6c2VjcmV0".into());
    config.index = "palisade-%Y.%m.%d".into();
    config.batch_max = 4;
    config.batch_bytes = bytesize::ByteSize::kib(2);
    let mut sink = es_sink(config);
    let events: Vec<Event> = (0..10).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();

    assert_eq!(es.doc_ids().len(), 10);
    let template = es.with(|d| d.templates["palisade"].clone());
    assert_eq!(template["index_patterns"], json!(["palisade-*"]));
    assert!(
        template.get("data_stream").is_none(),
        "dated indices are plain indices"
    );
    let bulks = es.bulks();
    assert!(bulks.len() >= 3, "4 documents per request at most");
    for b in &bulks {
        assert!(
            b.ids.len() <= 4 && (b.bytes <= 2048 || b.ids.len() == 1),
            "{b:?}"
        );
        let day = &events[0].time.rfc3339()[..10].replace('-', ".");
        assert!(
            b.indices.iter().all(|i| *i == format!("palisade-{day}")),
            "{b:?}"
        );
    }
    assert!(
        es.requests()
            .iter()
            .all(|r| r.authorization == "ApiKey aWQ6c2VjcmV0")
    );

    // Wrong credentials are a misconfiguration: retried, never dropped.
    es.with(|d| d.auth = Some("ApiKey other".into()));
    let e = attack(99);
    let err = sink.send(&[Delivery::Event(&e)]).await.unwrap_err();
    assert!(err.retryable && err.delivered == 0, "{err:?}");
    assert!(err.message.contains("401"), "{}", err.message);
    assert!(
        !err.message.contains("127.0.0.1"),
        "no URL in errors: {}",
        err.message
    );
}

/// What the worker does with a `SinkError`, for driving a sink by hand: resend the rest after
/// what was delivered, skipping one item after a permanent error.
async fn deliver_like_the_worker(
    sink: &mut ElasticsearchSink,
    batch: &[Delivery<'_>],
) -> Vec<String> {
    let mut done = 0;
    let mut refusals = Vec::new();
    for _ in 0..20 {
        match sink.send(&batch[done..]).await {
            Ok(()) => return refusals,
            Err(e) => {
                done += e.delivered;
                if !e.retryable {
                    refusals.push(e.message);
                    done += 1;
                }
                if done == batch.len() {
                    return refusals;
                }
            }
        }
    }
    panic!("not delivered after 20 attempts");
}

#[tokio::test]
async fn a_partial_failure_is_settled_item_by_item() {
    let es = Cluster::start();
    let events: Vec<Event> = (0..6).map(attack).collect();
    let id = |n: usize| events[n].id.to_string();
    es.with(|d| {
        // 1 was stored by an attempt whose answer got lost; 2 and 5 do not fit the mapping;
        // 3 meets a full queue once.
        d.docs.insert(
            id(1),
            ("palisade-events".into(), json!({"stored": "before"})),
        );
        d.refuse.insert(id(2));
        d.refuse.insert(id(5));
        d.throttle.insert(id(3), 1);
    });
    let mut sink = es_sink(ElasticsearchConfig::new(es.url()));
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();

    // The first answer: 201, 409, 400, 429, 201, 400. Delivered: the front up to the refusal.
    let err = sink.send(&batch).await.unwrap_err();
    assert_eq!((err.delivered, err.retryable), (2, false), "{err:?}");
    assert!(
        err.message.contains(&id(2)),
        "names the event: {}",
        err.message
    );
    assert!(
        err.message.contains("document_parsing_exception"),
        "and the reason: {}",
        err.message
    );

    // The worker skips 2 and resends from 3: only 3 goes out again (4 is stored, 5 refused).
    let err = sink.send(&batch[3..]).await.unwrap_err();
    assert_eq!((err.delivered, err.retryable), (2, false), "{err:?}");
    assert!(err.message.contains(&id(5)), "{}", err.message);
    let bulks = es.bulks();
    assert_eq!(bulks.len(), 2);
    assert_eq!(bulks[1].ids, [id(3)], "the throttled one only");

    assert_eq!(
        es.doc_ids(),
        [0, 1, 3, 4].map(id).into_iter().collect::<HashSet<_>>()
    );
    assert_eq!(
        es.with(|d| d.docs[&id(1)].1.clone()),
        json!({"stored": "before"})
    );
    for (n, tries) in [(0, 1), (1, 1), (2, 1), (3, 2), (4, 1), (5, 1)] {
        assert_eq!(es.attempts(&id(n)), tries, "event {n}");
    }

    // Throttled items behind stored ones: the stored front counts as delivered.
    let more: Vec<Event> = (10..13).map(attack).collect();
    es.with(|d| d.throttle.insert(more[1].id.to_string(), 2));
    let batch: Vec<Delivery<'_>> = more.iter().map(Delivery::Event).collect();
    let err = sink.send(&batch).await.unwrap_err();
    assert_eq!((err.delivered, err.retryable), (1, true), "{err:?}");
    assert!(err.message.contains("429"), "{}", err.message);
    assert!(
        deliver_like_the_worker(&mut sink, &batch[1..])
            .await
            .is_empty()
    );
    assert_eq!(es.attempts(&more[1].id.to_string()), 3);
    assert_eq!(
        es.attempts(&more[2].id.to_string()),
        1,
        "stored once, never resent"
    );
}

#[tokio::test]
async fn unavailable_then_ok_and_garbage_answers_are_retried() {
    let es = Cluster::start();
    es.with(|d| {
        d.script.extend([
            Scripted::Status(503),
            Scripted::Garbage("<html><body>502 Bad Gateway</body></html>"),
            Scripted::Garbage(r#"{"took":1,"errors":false,"items":[]}"#),
            Scripted::Garbage("\u{0}\u{1}not json at all"),
        ]);
    });
    let mut sink = es_sink(ElasticsearchConfig::new(es.url()));
    let events: Vec<Event> = (0..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    let mut messages = Vec::new();
    for _ in 0..4 {
        let err = sink.send(&batch).await.unwrap_err();
        assert!(err.retryable && err.delivered == 0, "{err:?}");
        messages.push(err.message);
    }
    assert!(messages[0].contains("503"), "{messages:?}");
    assert!(
        messages[1].contains("unreadable bulk response"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("0 items for 3 documents"),
        "{messages:?}"
    );
    sink.send(&batch).await.unwrap();
    assert_eq!(es.doc_ids().len(), 3);
    for e in &events {
        assert_eq!(es.attempts(&e.id.to_string()), 5);
    }

    // A whole request refused (400): the documents go one by one, so only the bad one is
    // skipped.
    es.with(|d| d.script.push_back(Scripted::Status(400)));
    let more: Vec<Event> = (10..13).map(attack).collect();
    let batch: Vec<Delivery<'_>> = more.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();
    assert_eq!(es.doc_ids().len(), 6);
    assert_eq!(es.bulks().last().unwrap().ids.len(), 1);
}

#[tokio::test]
async fn a_missing_template_is_installed_again_after_a_404() {
    let es = Cluster::start();
    es.with(|d| d.require_template = true);
    let mut sink = es_sink(ElasticsearchConfig::new(es.url()));
    let first = attack(0);
    sink.send(&[Delivery::Event(&first)]).await.unwrap();

    // Someone deletes the template (and the data stream): the next bulk meets 404s.
    es.with(|d| d.templates.clear());
    let events: Vec<Event> = (1..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.retryable && err.delivered == 0, "{err:?}");
    assert!(
        err.message.contains("index_not_found_exception"),
        "{}",
        err.message
    );
    sink.send(&batch).await.unwrap();

    let shape: Vec<String> = es
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        shape,
        [
            "PUT /_index_template/palisade-events",
            "POST /_bulk",
            "POST /_bulk",
            "PUT /_index_template/palisade-events",
            "POST /_bulk",
        ]
    );
    assert_eq!(es.doc_ids().len(), 3);

    // Without the privilege to manage templates, shipping goes on without one; a template
    // request that fails transiently is retried before any bulk request.
    let es = Cluster::start();
    es.with(|d| d.template_status = Some(403));
    let mut sink = es_sink(ElasticsearchConfig::new(es.url()));
    sink.send(&[Delivery::Event(&first)]).await.unwrap();
    es.with(|d| d.template_status = Some(503));
    let mut sink = es_sink(ElasticsearchConfig::new(es.url()));
    let second = attack(1);
    let err = sink.send(&[Delivery::Event(&second)]).await.unwrap_err();
    assert!(
        err.retryable && err.message.contains("index template"),
        "{err:?}"
    );
    es.with(|d| d.template_status = None);
    sink.send(&[Delivery::Event(&second)]).await.unwrap();
    let shape: Vec<String> = es
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        shape,
        [
            "PUT /_index_template/palisade-events",
            "POST /_bulk",
            "PUT /_index_template/palisade-events",
            "PUT /_index_template/palisade-events",
            "POST /_bulk",
        ]
    );

    // With the template managed elsewhere, palisade never touches it.
    let es = Cluster::start();
    let mut config = ElasticsearchConfig::new(es.url());
    config.install_template = false;
    let mut sink = es_sink(config);
    sink.send(&[Delivery::Event(&first)]).await.unwrap();
    assert!(
        es.requests().iter().all(|r| r.path == "/_bulk"),
        "install_template = false"
    );
}

fn streaming(port: u16) -> SinkSettings {
    let mut config = ElasticsearchConfig::new(format!("http://127.0.0.1:{port}"));
    config.timeout = Duration::from_secs(5);
    config.batch_max = 50;
    let mut s = SinkSettings::new("es", SinkKind::Elasticsearch(config));
    assert!(s.stream, "elasticsearch streams every event by default");
    s.retry_min = Duration::from_millis(5);
    s.retry_max = Duration::from_millis(100);
    s
}

/// Through a whole pipeline: the cluster is down while 300 events are emitted; once it is
/// up, with some documents refused, some throttled and one already stored, every event is
/// there exactly once and the refused ones were tried once.
#[test]
fn events_emitted_while_the_cluster_is_down_arrive_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    settings.sinks.push(streaming(port));
    let pipeline = Pipeline::start(settings).unwrap();
    let emitter = pipeline.emitter();
    let events: Vec<Event> = (0..300).map(attack).collect();
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    for e in &events {
        emitter.emit(e.clone());
    }
    assert!(pipeline.flush(WAIT), "events stored");
    // Let the worker find nobody listening and back off a few times (not a success wait).
    std::thread::sleep(Duration::from_millis(200));

    let mut data = Data::default();
    data.refuse.extend([ids[7].clone(), ids[123].clone()]);
    data.throttle
        .extend([(ids[8].clone(), 2), (ids[250].clone(), 1)]);
    data.docs.insert(
        ids[9].clone(),
        ("palisade-events".into(), json!({"stored": "before"})),
    );
    let es = Cluster::start_on(port, data);
    es.wait_for_docs(298);
    pipeline.shutdown(Duration::from_secs(5));

    let want: HashSet<String> = ids
        .iter()
        .filter(|id| **id != ids[7] && **id != ids[123])
        .cloned()
        .collect();
    assert_eq!(es.doc_ids(), want, "every event but the refused ones");
    for (n, id) in ids.iter().enumerate() {
        let tries = match n {
            8 => 3,
            250 => 2,
            _ => 1,
        };
        assert_eq!(es.attempts(id), tries, "event {n}: sent {tries}×");
    }
    let puts = es.requests().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, 1, "the template once");
    assert_eq!(
        es.requests()[0].method,
        "PUT",
        "before the first bulk request"
    );
    assert!(es.bulks().iter().all(|b| b.ids.len() <= 50));
}

/// A CA and a certificate for 127.0.0.1 signed by it: (CA file, server config).
fn private_ca(dir: &std::path::Path) -> (std::path::PathBuf, tokio_rustls::rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::PrivateKeyDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "es test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
    )
    .unwrap();
    (ca_file, config)
}

#[tokio::test]
async fn https_with_a_private_ca() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, server) = private_ca(dir.path());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // One request over TLS, answered as a bulk response for one document.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        let head_end = loop {
            let n = tls.read(&mut buf).await.unwrap();
            assert!(n > 0, "request cut short");
            request.extend_from_slice(&buf[..n]);
            if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap();
        while request.len() < head_end + length {
            let n = tls.read(&mut buf).await.unwrap();
            assert!(n > 0, "body cut short");
            request.extend_from_slice(&buf[..n]);
        }
        let body = String::from_utf8_lossy(&request[head_end..]).into_owned();
        let id =
            serde_json::from_str::<Value>(body.lines().next().unwrap()).unwrap()["create"]["_id"]
                .clone();
        let answer =
            json!({"errors": false, "items": [{"create": {"_id": id, "status": 201}}]}).to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        );
        tls.write_all(response.as_bytes()).await.unwrap();
        tls.shutdown().await.ok();
        head
    });
    let mut config = ElasticsearchConfig::new(format!("https://127.0.0.1:{port}"));
    config.ca_file = Some(ca_file);
    config.install_template = false;
    let mut sink = es_sink(config);
    let e = attack(1);
    sink.send(&[Delivery::Event(&e)]).await.unwrap();
    let head = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
    assert!(head.starts_with("post /_bulk http/1.1"), "{head}");
    assert!(
        head.contains("content-type: application/x-ndjson"),
        "{head}"
    );
}
