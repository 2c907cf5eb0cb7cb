//! The guard's event pipeline end to end: events reported through the admin API and seen by
//! the proxy are stored, survive SIGKILL, are shipped to sinks, and are read back by
//! `palisade events`; configuration errors about sinks and alerts are located.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::{GuardProcess, TestUpstream};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");
const TOKEN: &str = "test-admin-token";

fn palisade(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run palisade")
}

fn stored(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["events", "--json", "--database", "palisade.db"];
    if !extra.contains(&"--limit") {
        args.extend(["--limit", "100000"]);
    }
    args.extend_from_slice(extra);
    let out = palisade(dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn file_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn sink_tail() -> String {
    "[[sinks]]\nname = \"local\"\nkind = \"file\"\npath = \"shipped.jsonl\"\n".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_acknowledged_before_sigkill_is_stored_and_shipped_after_restart() {
    let upstream = TestUpstream::start();
    let mut guard = GuardProcess::start_with_admin(
        Path::new(BIN),
        &upstream.url(),
        "",
        &format!("token = \"{TOKEN}\""),
        &sink_tail(),
    );
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/events", guard.admin);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (client, url, acked) = (client.clone(), url.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let body = json!({
                    "category": "auth_failure",
                    "severity": "medium",
                    "message": format!("login failed {worker}-{n}"),
                    "source_ip": "198.51.100.7",
                    "user": "alice",
                });
                let sent = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .json(&body)
                    .send()
                    .await;
                let Ok(resp) = sent else { return };
                if resp.status() != 202 {
                    return;
                }
                let Ok(v) = resp.json::<Value>().await else {
                    return;
                };
                acked
                    .lock()
                    .unwrap()
                    .push(v["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Mid-burst: enough acknowledged that the writer is busy, then no chance to flush.
    let burst = Instant::now();
    while acknowledged.lock().unwrap().len() < 300 {
        assert!(
            burst.elapsed() < Duration::from_secs(30),
            "the burst did not get going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    guard.kill_hard();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acknowledged.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    let dir = guard.dir().to_owned();
    let ids: std::collections::HashSet<String> = stored(&dir, &[])
        .iter()
        .map(|e| e["event"]["id"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&String> = acked.iter().filter(|id| !ids.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events were lost",
        missing.len()
    );

    guard.restart();
    let shipped = dir.join("shipped.jsonl");
    wait_for("the file sink to catch up", Duration::from_secs(30), || {
        file_lines(&shipped).len() >= ids.len()
    });
    let lines = file_lines(&shipped);
    let shipped_ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["event"]["id"].as_str())
        .collect();
    let unique: std::collections::HashSet<&&str> = shipped_ids.iter().collect();
    // At least once across a SIGKILL: a batch written but whose cursor was not yet saved is
    // written again. Never more than one sink batch (500) again.
    assert!(
        shipped_ids.len() - unique.len() <= 500,
        "duplicates beyond one batch"
    );
    for id in &acked {
        assert!(
            unique.contains(&id.as_str()),
            "acknowledged event {id} never shipped"
        );
    }
}

#[tokio::test]
async fn the_event_api_needs_the_token_and_redacts_what_it_stores() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start_with_admin(
        Path::new(BIN),
        &upstream.url(),
        "",
        &format!("token = \"{TOKEN}\""),
        "",
    );
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/events", guard.admin);
    let body = json!({
        "category": "account_change",
        "severity": "high",
        "message": "password changed: password=hunter2",
        "user": "bob",
        "path": "/account?token=abc123",
    });
    let r = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(&url)
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({"category": "Not A Category", "message": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = client
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let events = stored(guard.dir(), &["--category", "account_change"]);
    assert_eq!(events.len(), 1);
    let text = events[0].to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("abc123"),
        "{text}"
    );
    assert_eq!(events[0]["user"]["name"], "bob");
    assert_eq!(events[0]["event"]["action"], "account_change");
}

#[tokio::test]
async fn without_a_token_the_event_api_is_closed() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(Path::new(BIN), &upstream.url(), "", "");
    let r = reqwest::Client::new()
        .post(format!("http://{}/v1/events", guard.admin))
        .json(&json!({"category": "auth_failure", "message": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn an_upstream_going_down_is_one_event_not_one_per_request() {
    let dead = palisade_test_support::free_port();
    let guard = GuardProcess::start(Path::new(BIN), &format!("http://127.0.0.1:{dead}"), "", "");
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let r = client
            .get(format!("{}/x", guard.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 502);
    }
    let dir = guard.dir().to_owned();
    wait_for("the upstream_down event", Duration::from_secs(10), || {
        !stored(&dir, &["--category", "upstream_down"]).is_empty()
    });
    std::thread::sleep(Duration::from_millis(300));
    let events = stored(&dir, &["--category", "upstream_down"]);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["url"]["path"], "/x");
    assert_eq!(events[0]["source"]["ip"], "127.0.0.1");
}

#[test]
fn the_events_cli_lists_counts_and_reports_a_missing_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade(dir.path(), &["events", "--database", "nope.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.db"));

    // Fill a store through the library, as the guard would.
    let settings = palisade_events::EventsSettings::new(dir.path().join("palisade.db"));
    let pipeline = palisade_events::Pipeline::start(settings).unwrap();
    let emit = pipeline.emitter();
    use palisade_core::{Category, Emit, Event, Severity};
    for n in 0..3 {
        emit.emit(
            Event::new(Category::BruteForce, Severity::High, format!("burst {n}"))
                .with_source_ip("203.0.113.9".parse().unwrap()),
        );
    }
    emit.emit(Event::new(
        Category::AppCrash,
        Severity::Critical,
        "app died",
    ));
    pipeline.shutdown(Duration::from_secs(5));

    let out = palisade(dir.path(), &["events", "--database", "palisade.db"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines().last().unwrap().contains("app died"),
        "oldest first: {text}"
    );
    assert_eq!(stored(dir.path(), &["--ip", "203.0.113.9"]).len(), 3);
    assert_eq!(stored(dir.path(), &["--severity", "critical"]).len(), 1);
    assert_eq!(stored(dir.path(), &["--limit", "2"]).len(), 2);

    let out = palisade(
        dir.path(),
        &["events", "stats", "--database", "palisade.db", "--json"],
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let brute = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "brute_force")
        .unwrap();
    assert_eq!(brute["count"], 3);

    let out = palisade(
        dir.path(),
        &["events", "--since", "soon", "--database", "palisade.db"],
    );
    assert_eq!(out.status.code(), Some(2), "bad durations are usage errors");
}

#[test]
fn alerts_test_sends_through_the_named_sink() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("palisade.toml"), sink_tail()).unwrap();
    let out = palisade(dir.path(), &["alerts", "test", "local"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = file_lines(&dir.path().join("shipped.jsonl"));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["palisade"]["alert"]["rule"], "test");

    let out = palisade(dir.path(), &["alerts", "test", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("local"));
}

#[test]
fn sink_and_alert_mistakes_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[sinks]]\nname = \"a\"\nkind = \"carrier-pigeon\"\n",
            "palisade.toml:3:1",
            "unknown sink kind",
        ),
        (
            "[[sinks]]\nname = \"a\"\nkind = \"file\"\npath = \"x\"\nmax_byts = 5\n",
            "palisade.toml:5:1",
            "max_byts",
        ),
        (
            "[[sinks]]\nname = \"a\"\nkind = \"stdout\"\n\n[[alerts]]\nname = \"x\"\nchannels = [\"b\"]\n",
            "palisade.toml:7:1",
            "no sink named `b`",
        ),
        (
            "[[sinks]]\nname = \"a\"\nkind = \"stdout\"\n\n[[alerts]]\nname = \"x\"\nchannels = [\"a\"]\ngroup_by = \"planet\"\n",
            "palisade.toml:8:1",
            "planet",
        ),
        (
            "[[sinks]]\nname = \"a\"\nkind = \"stdout\"\n[[sinks]]\nname = \"a\"\nkind = \"stdout\"\n",
            "palisade.toml:5:1",
            "unique",
        ),
        (
            "[[sinks]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://es:9200\"\nindex = \"Palisade-%Y\"\n",
            "palisade.toml:5:1",
            "lowercase",
        ),
        (
            "[[sinks]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://es:9200\"\nusername = \"elastic\"\npassword = \"pw\"\napi_key = \"k\"\n",
            "palisade.toml:7:1",
            "exclude each other",
        ),
        (
            "[[sinks]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://elastic:pw@es:9200\"\n",
            "palisade.toml:4:1",
            "credentials do not belong in `url`",
        ),
        (
            "[[sinks]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://es:9200\"\nbatch_size = 10\n",
            "palisade.toml:5:1",
            "batch_max",
        ),
    ];
    for (text, place, what) in cases {
        let file = dir.path().join("palisade.toml");
        std::fs::write(
            &file,
            format!("[guard]\nupstream = \"http://127.0.0.1:1\"\n{text}"),
        )
        .unwrap();
        let out = palisade(dir.path(), &["config", "check", "palisade.toml"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        // Two header lines were prepended.
        let (file_part, line) = place.rsplit_once(':').unwrap().0.rsplit_once(':').unwrap();
        let want_line: usize = line.parse::<usize>().unwrap() + 2;
        assert!(
            err.contains(&format!("{file_part}:{want_line}:")),
            "{text}: expected {file_part}:{want_line}: in {err}"
        );
        assert!(err.contains(what), "{text}: {err}");
    }
}

const ALL_KINDS: &str = r#"
[[sinks]]
name = "log"
kind = "file"
path = "events.jsonl"

[[sinks]]
name = "out"
kind = "stdout"

[[sinks]]
name = "papertrail"
kind = "syslog"
host = "logs.example.com"
port = 12345
transport = "tls"

[[sinks]]
name = "elk"
kind = "logstash"
mode = "http"
url = "https://logstash.example.com:8080/ingest"
user = "palisade"
password = "logstash-pass-1"

[[sinks]]
name = "search"
kind = "elasticsearch"
url = "https://es.example.com:9200"
index = "palisade-events-%Y.%m.%d"
username = "palisade"
password = "es-pass-6"
ca_file = "es-ca.pem"
batch_bytes = "2MiB"

[[sinks]]
name = "opensearch"
kind = "elasticsearch"
url = "https://search.example.com/os"
api_key = "es-api-key-7"
timeout = "10s"

[[sinks]]
name = "slack"
kind = "webhook"
url = "https://hooks.slack.example/services/T000/B000/XXXXSECRET"
preset = "slack"
secret = "hmac-secret-2"
headers = { X-Api-Key = "header-secret-3" }

[[sinks]]
name = "ops-mail"
kind = "email"
host = "smtp.example.com"
username = "alerts"
password = "smtp-pass-4"
from = "palisade <alerts@example.com>"
to = ["ops@example.com"]

[[sinks]]
name = "pager"
kind = "sms"
account_sid = "AC123"
auth_token = "twilio-token-5"
from = "+15550000000"
to = ["+15551111111"]

[[alerts]]
name = "attacks"
categories = ["malicious_traffic"]
threshold = 10
window = "1m"
channels = ["slack", "pager"]
"#;

#[test]
fn every_sink_kind_is_configurable_and_secrets_never_print() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("palisade.toml"), ALL_KINDS).unwrap();
    let out = palisade(dir.path(), &["config", "check", "palisade.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = palisade(dir.path(), &["config", "print", "palisade.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    for secret in [
        "logstash-pass-1",
        "hmac-secret-2",
        "header-secret-3",
        "smtp-pass-4",
        "twilio-token-5",
        "XXXXSECRET",
        "es-pass-6",
        "es-api-key-7",
    ] {
        assert!(!printed.contains(secret), "{secret} printed:\n{printed}");
    }
    assert!(printed.contains("hooks.slack.example"), "{printed}");

    // A key of another kind is refused with the keys this kind takes.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[sinks]]\nname = \"s\"\nkind = \"syslog\"\nhost = \"h\"\nurl = \"http://x\"\n",
    )
    .unwrap();
    let out = palisade(dir.path(), &["config", "check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:5:") && err.contains("transport"),
        "{err}"
    );
}

/// A webhook receiver on 127.0.0.1 that records each body.
async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(v): axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attack_flood_sends_one_alert_to_the_channel() {
    let (hook, got) = receiver().await;
    let upstream = TestUpstream::start();
    let tail = format!(
        "[[sinks]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{hook}\"\nretry_min = \"50ms\"\nretry_max = \"200ms\"\n\n\
         [[alerts]]\nname = \"sqli-flood\"\ncategories = [\"malicious_traffic\"]\nthreshold = 3\nwindow = \"1m\"\ncooldown = \"1h\"\nchannels = [\"hook\"]\n"
    );
    let guard = GuardProcess::start(Path::new(BIN), &upstream.url(), "", &tail);
    let client = reqwest::Client::new();
    for n in 0..10 {
        let r = client
            .get(format!(
                "{}/search?q=1%27%20or%20%271%27%3D%271&n={n}",
                guard.url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while got.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no alert arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alerts = got.lock().unwrap().clone();
    assert_eq!(
        alerts.len(),
        1,
        "one message per key per cooldown: {alerts:?}"
    );
    assert_eq!(alerts[0]["rule"], "sqli-flood");
    assert_eq!(alerts[0]["key"], "127.0.0.1");
    assert_eq!(alerts[0]["count"], 3);
    assert!(
        alerts[0]["title"]
            .as_str()
            .unwrap()
            .contains("malicious_traffic")
    );
}

#[test]
fn events_tail_prints_new_events_as_they_are_stored() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let settings = palisade_events::EventsSettings::new(dir.path().join("palisade.db"));
    let pipeline = palisade_events::Pipeline::start(settings).unwrap();
    use palisade_core::{Category, Emit, Event, Severity};
    pipeline
        .emitter()
        .emit(Event::new(Category::Scanner, Severity::Low, "old news"));
    assert!(pipeline.flush(Duration::from_secs(5)));

    let mut child = Command::new(BIN)
        .args([
            "events",
            "tail",
            "--database",
            "palisade.db",
            "--last",
            "1",
            "--json",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first: Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(first["message"], "old news");
    pipeline
        .emitter()
        .emit(Event::new(Category::BruteForce, Severity::High, "fresh"));
    pipeline.flush(Duration::from_secs(5));
    let next: Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(next["message"], "fresh");
    let _ = child.kill();
    let _ = child.wait();
    pipeline.shutdown(Duration::from_secs(2));
}
