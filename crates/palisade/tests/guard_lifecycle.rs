//! The guard's lifecycle: draining on shutdown signals, the header deadline against
//! slowloris, and TLS termination.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use palisade_test_support::{GuardProcess, TestUpstream, raw_get};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const SIGINT: i32 = 2;

/// The header deadline short enough that tests can outlast it.
const ONE_SECOND_HEADER_DEADLINE: &str = "[guard.timeouts]\nclient_header = \"1s\"\n";

fn with_one_second_header_deadline(up: &TestUpstream) -> GuardProcess {
    GuardProcess::start(bin(), &up.url(), ONE_SECOND_HEADER_DEADLINE, "")
}
const SIGTERM: i32 = 15;

fn drains_in_flight_request_on(signal: i32) {
    let up = TestUpstream::start();
    let mut guard = GuardProcess::start(bin(), &up.url(), "", "");
    let addr = guard.addr;
    let in_flight = std::thread::spawn(move || raw_get(addr, "/slow/1500", &[]));
    // Let the request reach the upstream before the signal.
    std::thread::sleep(Duration::from_millis(400));
    guard.signal(signal);

    let resp = in_flight.join().expect("request thread");
    assert_eq!(resp.status(), 200, "the in-flight request completes");
    assert_eq!(String::from_utf8_lossy(&resp.body), "slow done");

    let status = guard
        .wait_exit(Duration::from_secs(15))
        .expect("the guard exits once drained");
    assert!(status.success(), "clean exit: {status}");
    assert!(TcpStream::connect(addr).is_err(), "no longer accepting");
}

#[test]
fn sigterm_drains_in_flight_requests() {
    drains_in_flight_request_on(SIGTERM);
}

#[test]
fn sigint_drains_too() {
    drains_in_flight_request_on(SIGINT);
}

#[test]
fn idle_guard_exits_promptly_on_sigterm() {
    let up = TestUpstream::start();
    let mut guard = GuardProcess::start(bin(), &up.url(), "", "");
    raw_get(guard.addr, "/echo", &[]);
    guard.signal(SIGTERM);
    // The drain window is 30 s by default; with nothing in flight the guard must not wait it out.
    let status = guard
        .wait_exit(Duration::from_secs(10))
        .expect("prompt exit");
    assert!(status.success());
}

#[test]
fn slowloris_headers_are_cut_off_at_the_deadline() {
    let up = TestUpstream::start();
    let guard = with_one_second_header_deadline(&up);

    // Plain, and with leading empty lines (which the parser skips, so they must not
    // pass for the end of the headers).
    for prefix in ["", "\r\n\r\n"] {
        let lines = dribble_until_cut(guard.addr, prefix)
            .unwrap_or_else(|| panic!("prefix {prefix:?}: the guard never closed the connection"));
        assert!(
            lines < 20,
            "prefix {prefix:?}: cut off after {lines} lines (~{} ms)",
            lines * 200
        );
    }

    // A normal client is unaffected, also on a keep-alive connection that idles
    // longer than the header deadline between requests.
    let mut keep = TcpStream::connect(guard.addr).unwrap();
    keep.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..2 {
        keep.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = vec![0u8; 8192];
        let n = keep.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(1300));
    }

    let metrics = raw_get(guard.admin, "/metrics", &[]);
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("palisade_client_header_timeouts_total 2"),
        "{text}"
    );
}

/// Sends `prefix`, a request line, then one header line every 200 ms for up to 8 s:
/// each read is quick, so only a deadline over the whole header section stops it.
/// Returns after how many lines the guard closed the connection.
fn dribble_until_cut(addr: std::net::SocketAddr, prefix: &str) -> Option<u32> {
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    slow.write_all(format!("{prefix}GET /echo HTTP/1.1\r\nHost: x\r\n").as_bytes())
        .unwrap();
    for i in 0..40 {
        std::thread::sleep(Duration::from_millis(200));
        let wrote = slow.write_all(format!("X-Drip-{i}: {i}\r\n").as_bytes());
        let mut buf = [0u8; 256];
        let closed = match slow.read(&mut buf) {
            Ok(0) => true,
            Ok(_) => panic!("the server answered a request whose headers never ended"),
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        if wrote.is_err() || closed {
            return Some(i);
        }
    }
    None
}

#[test]
fn every_header_terminator_the_parser_accepts_ends_the_deadline() {
    use std::io::{Read, Write};
    let up = TestUpstream::start();
    let guard = with_one_second_header_deadline(&up);
    // The upstream takes longer than the deadline: a request whose end of headers the
    // scanner missed would be cut off while waiting for it.
    let heads: [&'static str; 4] = [
        "GET /slow/1500 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /slow/1500 HTTP/1.1\nHost: x\n\n",
        "GET /slow/1500 HTTP/1.1\r\nHost: x\n\r\n",
        "GET /slow/1500 HTTP/1.1\r\nHost: x\r\n\n",
    ];
    let addr = guard.addr;
    let answers: Vec<_> = heads
        .into_iter()
        .map(|head| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                s.write_all(head.as_bytes()).unwrap();
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                String::from_utf8_lossy(&buf[..n]).into_owned()
            })
        })
        .collect();
    for (head, answer) in heads.iter().zip(answers) {
        let text = answer.join().unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{head:?}: {text}");
    }
}

#[test]
fn bodies_after_100_continue_are_not_held_to_the_header_deadline() {
    let up = TestUpstream::start();
    let guard = with_one_second_header_deadline(&up);
    let mut s = TcpStream::connect(guard.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    // The body dribbles in over 2 s, twice the header deadline.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(500));
        s.write_all(b"0123456789").unwrap();
    }
    let mut out = Vec::new();
    loop {
        let n = s.read(&mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
        if n == 0 || String::from_utf8_lossy(&out).contains("\"bytes\":40") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"bytes\":40"), "{text}");
}

#[tokio::test]
async fn terminates_tls() {
    let up = TestUpstream::start();
    let tls = palisade_test_support::SelfSigned::localhost();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        &format!("{ONE_SECOND_HEADER_DEADLINE}{}", tls.guard_tls()),
        "",
    );
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("localhost", guard.addr)
        .build()
        .unwrap();
    let resp = client
        .get(format!("https://localhost:{}/echo", guard.addr.port()))
        .send()
        .await
        .expect("https through the guard");
    // An h2 connection carries frames, not header blocks ending in a blank line: a
    // request slower than the 1 s header deadline must still complete.
    let slow = client
        .get(format!("https://localhost:{}/slow/1500", guard.addr.port()))
        .send()
        .await
        .expect("slow h2 request");
    assert_eq!(slow.text().await.unwrap(), "slow done");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.version(),
        reqwest::Version::HTTP_2,
        "h2 negotiated by ALPN"
    );
    assert!(resp.headers().contains_key("strict-transport-security"));
    let seen: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(seen["headers"]["x-forwarded-proto"], "https");
    // h2 has no Host header; the guard takes the host from :authority.
    assert_eq!(
        seen["headers"]["x-forwarded-host"],
        format!("localhost:{}", guard.addr.port()).as_str()
    );

    // HTTP/1.1 over TLS works too, and the header deadline does not touch h2 streams.
    let h1 = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .resolve("localhost", guard.addr)
        .build()
        .unwrap();
    let resp = h1
        .get(format!("https://localhost:{}/slow/1200", guard.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.text().await.unwrap(), "slow done");
}
