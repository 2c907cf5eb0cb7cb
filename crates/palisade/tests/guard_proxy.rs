//! The guard as a proxy: errors it answers itself, forwarded headers, WebSockets,
//! streaming of large bodies, and its admin listener.

use std::path::Path;

use palisade_test_support::{Blackhole, GuardProcess, TestUpstream, free_port, raw_get};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

async fn metric(guard: &GuardProcess, name: &str) -> f64 {
    let text = reqwest::get(format!("http://{}/metrics", guard.admin))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing in:\n{text}"))
}

#[tokio::test]
async fn dead_upstream_gets_a_clean_502() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let guard = GuardProcess::start(bin(), &dead, "", "");
    let resp = raw_get(guard.addr, "/anything", &[]);
    assert_eq!(resp.status(), 502);
    let body = String::from_utf8_lossy(&resp.body);
    assert!(body.contains("502"), "{body}");
    assert!(
        !body.to_lowercase().contains("pingora"),
        "no engine banner: {body}"
    );
    let id = resp.header("X-Request-Id").unwrap();
    assert!(body.contains(id), "the page names the request id");
    assert!(
        resp.header("Content-Security-Policy").is_some(),
        "the policy covers our own pages"
    );
    assert_eq!(
        metric(&guard, "palisade_upstream_errors_total{kind=\"connect\"}").await,
        1.0
    );
}

#[tokio::test]
async fn slow_upstream_gets_a_504() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "[guard.timeouts]\nupstream_response = \"300ms\"\n",
        "",
    );
    let resp = client()
        .get(format!("{}/slow/5000", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 504);
    // A fast answer on the same guard is unaffected.
    let ok = client()
        .get(format!("{}/slow/10", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "slow done");
}

#[tokio::test]
async fn unreachable_upstream_gets_a_504_after_the_connect_timeout() {
    let hole = Blackhole::start();
    let guard = GuardProcess::start(
        bin(),
        &hole.url(),
        "[guard.timeouts]\nupstream_connect = \"300ms\"\n",
        "",
    );
    let resp = raw_get(guard.addr, "/", &[]);
    assert_eq!(resp.status(), 504);
    assert!(String::from_utf8_lossy(&resp.body).contains("took too long"));
    assert_eq!(
        metric(&guard, "palisade_upstream_errors_total{kind=\"timeout\"}").await,
        1.0
    );
}

#[test]
fn ambiguous_request_framing_cannot_smuggle_a_request() {
    use std::io::{Read, Write};
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    // Content-Length and Transfer-Encoding together: the request-smuggling shape.
    let mut s = std::net::TcpStream::connect(guard.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    // pingora applies RFC 9112 §6.3: Transfer-Encoding wins, Content-Length is dropped
    // before anything goes upstream, and the connection closes after the response,
    // so the app sees one request framed one way and the tail is never parsed.
    assert_eq!(
        text.matches("HTTP/1.1 ").count(),
        1,
        "one response, connection closed: {text}"
    );
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let seen: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(seen["uri"], "/echo");
    assert!(seen["headers"].get("content-length").is_none(), "{seen}");
    assert_eq!(seen["headers"]["transfer-encoding"], "chunked");
    assert!(!text.contains("smuggled"), "{text}");
}

#[test]
fn an_upgrade_header_does_not_lift_the_body_limit() {
    use std::io::{Read, Write};
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "max_request_body = 1024", "");
    let mut s = std::net::TcpStream::connect(guard.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s.write_all(
        b"POST /upload HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .unwrap();
    let chunk = format!("200\r\n{}\r\n", "z".repeat(0x200));
    for _ in 0..8 {
        if s.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    // The upstream never upgraded, so this is an ordinary 4 KiB body: refused.
    assert!(
        !text.contains("\"bytes\":4096"),
        "the whole body reached the app: {text}"
    );
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

#[tokio::test]
async fn oversized_bodies_get_413_declared_or_streamed() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "max_request_body = 1024", "");

    let small = client()
        .post(format!("{}/upload", guard.url()))
        .body(vec![b'a'; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    let json: serde_json::Value = small.json().await.unwrap();
    assert_eq!(json["bytes"], 1000);

    let declared = client()
        .post(format!("{}/upload", guard.url()))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), 413);

    // Chunked, no Content-Length: the limit is enforced while streaming.
    let chunks = futures_util::stream::iter(
        (0..16).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'b'; 512]))),
    );
    let streamed = client()
        .post(format!("{}/upload", guard.url()))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
    assert_eq!(
        metric(&guard, "palisade_request_body_too_large_total").await,
        2.0
    );
}

#[tokio::test]
async fn forwarded_headers_depend_on_trusted_proxies() {
    let up = TestUpstream::start();
    let untrusted = GuardProcess::start(bin(), &up.url(), "", "");
    let resp = raw_get(
        untrusted.addr,
        "/echo",
        &[
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "evil.example"),
            ("X-Real-IP", "6.6.6.6"),
            ("Forwarded", "for=6.6.6.6;proto=https"),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Prefix", "/admin"),
            ("X-Forwarded-Ssl", "on"),
        ],
    );
    let seen: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(seen["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen["headers"]["x-real-ip"], "127.0.0.1");
    assert_eq!(seen["headers"]["x-forwarded-proto"], "http");
    assert_eq!(
        seen["headers"]["x-forwarded-port"],
        untrusted.addr.port().to_string().as_str()
    );
    assert_eq!(
        seen["headers"]["x-forwarded-host"],
        untrusted.addr.to_string().as_str()
    );
    for forged in ["forwarded", "x-forwarded-prefix", "x-forwarded-ssl"] {
        assert!(
            seen["headers"].get(forged).is_none(),
            "{forged} reached the app: {seen}"
        );
    }

    let trusted = GuardProcess::start(bin(), &up.url(), "trusted_proxies = [\"127.0.0.0/8\"]", "");
    let resp = raw_get(
        trusted.addr,
        "/echo",
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "shop.example"),
            ("Forwarded", "for=203.0.113.7;proto=https"),
        ],
    );
    let seen: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(seen["headers"]["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    assert_eq!(seen["headers"]["x-real-ip"], "203.0.113.7");
    assert_eq!(seen["headers"]["forwarded"], "for=203.0.113.7;proto=https");
    // The front proxy knows the public port; the guard does not invent its own.
    assert!(seen["headers"].get("x-forwarded-port").is_none(), "{seen}");
    assert_eq!(seen["headers"]["x-forwarded-proto"], "https");
    assert_eq!(seen["headers"]["x-forwarded-host"], "shop.example");
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    use std::io::{Read, Write};
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "[guard.timeouts]\nclient_send = \"1s\"\n",
        "",
    );
    let total = 200 * 1024 * 1024;
    let mut s = std::net::TcpStream::connect(guard.addr).unwrap();
    s.write_all(format!("GET /download/{total} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    // Read nothing while socket buffers fill and the guard's write stalls.
    std::thread::sleep(std::time::Duration::from_secs(4));
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got += n;
    }
    assert!(
        got < total,
        "the whole body arrived: the stalled write was never cut"
    );
    let metrics = raw_get(guard.admin, "/metrics", &[]);
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(text.contains("palisade_inflight_requests 0"), "{text}");
}

#[tokio::test]
async fn upstream_connections_are_pooled() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    // Separate client connections (Connection: close) still share one upstream connection.
    let first = raw_get(guard.addr, "/peer", &[]);
    let second = raw_get(guard.addr, "/peer", &[]);
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.body, second.body,
        "the second request reused the first's upstream connection"
    );
}

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

#[tokio::test]
async fn hundred_megabytes_stream_both_ways_in_bounded_memory() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "max_request_body = \"200 MiB\"", "");
    // What the guard holds before any body passes: compiled rules, pools, the event channel.
    let _ = client()
        .get(format!("{}/echo", guard.url()))
        .send()
        .await
        .unwrap();
    let baseline = guard.rss().expect("VmRSS");

    let mut download = client()
        .get(format!("{}/download/{HUNDRED_MB}", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let mut received = 0u64;
    while let Some(chunk) = download.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    assert_eq!(received, HUNDRED_MB);

    let chunk = bytes::Bytes::from(vec![b'u'; 256 * 1024]);
    let chunks = futures_util::stream::iter(
        (0..HUNDRED_MB / chunk.len() as u64).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let upload = client()
        .post(format!("{}/upload", guard.url()))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let json: serde_json::Value = upload.json().await.unwrap();
    assert_eq!(json["bytes"], HUNDRED_MB);

    // The guard's own accounting: it never held more than one chunk of a body.
    let peak = metric(&guard, "palisade_body_buffer_peak_bytes").await;
    assert!(
        peak > 0.0 && peak <= 1024.0 * 1024.0,
        "peak body buffer {peak} bytes"
    );
    // And the process as a whole grew far less than the 100 MB that passed through it.
    let peak = guard.peak_rss().expect("VmHWM");
    let grew = peak.saturating_sub(baseline);
    assert!(
        grew < 32 * 1024 * 1024,
        "guard RSS grew by {grew} bytes (baseline {baseline}, peak {peak})"
    );
}

#[tokio::test]
async fn admin_serves_health_and_metrics_with_optional_token() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "");
    let health = reqwest::get(format!("http://{}/healthz", guard.admin))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    for _ in 0..3 {
        raw_get(guard.addr, "/echo", &[]);
    }
    raw_get(guard.addr, "/nope", &[]);
    assert_eq!(
        metric(&guard, "palisade_requests_total{class=\"2xx\"}").await,
        3.0
    );
    assert_eq!(
        metric(&guard, "palisade_requests_total{class=\"4xx\"}").await,
        1.0
    );
    assert!(metric(&guard, "palisade_upstream_latency_seconds_count").await >= 4.0);
    assert_eq!(metric(&guard, "palisade_open_connections").await, 0.0);

    let locked = GuardProcess::start_with_admin(bin(), &up.url(), "", "token = \"s3cret\"", "");
    let metrics_url = format!("http://{}/metrics", locked.admin);
    let denied = client().get(&metrics_url).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    let wrong = client()
        .get(&metrics_url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let allowed = client()
        .get(&metrics_url)
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert!(
        allowed
            .text()
            .await
            .unwrap()
            .contains("palisade_requests_total")
    );
}
