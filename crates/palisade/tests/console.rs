//! The console on a real guard's admin listener: log in with the admin token, ban an address
//! from the black-book page (CSRF-checked), and the guard refuses it; unban, and it is served
//! again; add a detection exclusion from the console and by SIGHUP, and the running guard
//! applies it without dropping a connection. (console_browser.rs drives these in Chromium.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use palisade_test_support::console::{self, status_through_guard};
use palisade_test_support::{GuardProcess, TestUpstream};
use reqwest::Method;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const TOKEN: &str = "console-test-token-0123456789";

#[tokio::test]
async fn a_ban_made_in_the_console_is_enforced_by_the_guard() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start_with_admin(
        bin(),
        &up.url(),
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &format!("token = \"{TOKEN}\""),
        "",
    );
    let console = console::Client::new(guard.admin, TOKEN);
    let through_guard = |ip: &'static str| status_through_guard(&guard, ip);
    assert_eq!(through_guard("203.0.113.77").await, 200);

    // Logged out: the console sends you to its login page.
    let r = console.get("/console", "").await;
    assert_eq!(r.status(), 303);
    let r = console.post_login("wrong").await;
    assert_eq!(r.status(), 401);
    let r = console.post_login(TOKEN).await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // The browser's part: send the session back.
    let session = console::session_cookie(&cookie);

    let page = console.get("/console/blackbook", &session).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let csrf = console::csrf_of(&page.text().await.unwrap());

    // Without the CSRF token: refused.
    let ban = [
        ("target", "203.0.113.77"),
        ("ttl", "1h"),
        ("reason", "console test"),
    ];
    let r = console
        .post_form("/console/blackbook/ban", &session, &ban)
        .await;
    assert_eq!(r.status(), 403);
    let mut with_csrf = ban.to_vec();
    with_csrf.push(("csrf", &csrf));
    let r = console
        .post_form("/console/blackbook/ban", &session, &with_csrf)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        through_guard("203.0.113.77").await,
        403,
        "the guard refuses the banned address"
    );
    assert_eq!(through_guard("203.0.113.78").await, 200);

    let r = console
        .post_form(
            "/console/blackbook/unban",
            &session,
            &[("target", "203.0.113.77/32"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(through_guard("203.0.113.77").await, 200);

    // The JSON API with the admin token as a bearer.
    let events = console.api_get("/api/v1/blackbook").await;
    assert_eq!(events.status(), 200);
}

/// One keep-alive request on `conn`; its status. Reads the whole (Content-Length) body so the
/// connection can carry the next one.
fn keepalive_get(conn: &mut BufReader<TcpStream>, path: &str) -> u16 {
    write!(
        conn.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: shop.test\r\nConnection: keep-alive\r\n\r\n"
    )
    .unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        conn.read_line(&mut h).unwrap();
        if h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    status
}

#[tokio::test]
async fn exclusions_and_sighup_reload_detection_without_dropping_connections() {
    const ATTACK: &str = "/echo?q=1%27%20UNION%20SELECT%20password%20FROM%20users--";
    let up = TestUpstream::start();
    let guard = GuardProcess::start_with_admin(
        bin(),
        &up.url(),
        "",
        &format!("token = \"{TOKEN}\""),
        "# the operator's comment\n[detect]\nmode = \"block\"\n",
    );
    let original = std::fs::read_to_string(guard.config_path()).unwrap();
    let status = |path: &'static str| {
        let url = format!("{}{path}", guard.url());
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(status(ATTACK).await, 403);
    guard.wait_events("malicious_traffic", 1);
    let console = console::Client::new(guard.admin, TOKEN);
    // The rules that fired, as the console's API shows the event.
    let blocked = console
        .api_json("/api/v1/events?category=malicious_traffic")
        .await;
    let rules: Vec<String> = blocked["events"][0]["event"]["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("{blocked}"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert!(!rules.is_empty(), "{blocked:?}");

    // A client connected before the change, on a keep-alive connection.
    let mut conn = BufReader::new(TcpStream::connect(guard.addr).expect("connect to the guard"));
    conn.get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(keepalive_get(&mut conn, "/echo"), 200);

    let r = console
        .api(Method::POST, "/api/v1/rules/exclusions")
        .json(&serde_json::json!({ "path": "/echo", "location": "bogus:q", "rules": rules }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an unknown location kind is refused");
    assert_eq!(
        std::fs::read_to_string(guard.config_path()).unwrap(),
        original,
        "and the file is left as it was"
    );
    let r = console
        .api(Method::POST, "/api/v1/rules/exclusions")
        .json(&serde_json::json!({ "path": "/echo", "location": "query:q", "rules": rules }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let view: serde_json::Value = r.json().await.unwrap();
    assert_eq!(view["exclusions"].as_array().unwrap().len(), 1, "{view}");

    assert_eq!(status(ATTACK).await, 200, "the false positive passes now");
    assert_eq!(
        status("/other?q=1%27%20UNION%20SELECT%20password%20FROM%20users--").await,
        403,
        "elsewhere the rules still apply"
    );
    let written = std::fs::read_to_string(guard.config_path()).unwrap();
    assert!(
        written.starts_with(&original),
        "the file is appended to:\n{written}"
    );
    assert!(written.contains("[[detect.exclude]]") && written.contains("path = \"/echo\""));
    assert_eq!(
        keepalive_get(&mut conn, ATTACK),
        200,
        "the old connection is still open and uses the new rules"
    );

    // SIGHUP re-reads [detect]: back to the original file, the attack is blocked again.
    std::fs::write(guard.config_path(), &original).unwrap();
    guard.signal(libc_sighup());
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(ATTACK).await != 403 {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload\n{}",
            guard.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        keepalive_get(&mut conn, "/echo"),
        200,
        "SIGHUP drops no connection"
    );

    // A broken file is refused: the guard keeps running with the rules it had.
    std::fs::write(
        guard.config_path(),
        format!("{original}\n[detect.nonsense]\n"),
    )
    .unwrap();
    guard.signal(libc_sighup());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !guard.stderr().contains("reload refused") {
        assert!(
            Instant::now() < deadline,
            "no refusal logged\n{}",
            guard.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(ATTACK).await, 403);
    assert_eq!(keepalive_get(&mut conn, "/echo"), 200);
    assert_eq!(keepalive_get(&mut conn, ATTACK), 403);
}

fn libc_sighup() -> i32 {
    nix::sys::signal::Signal::SIGHUP as i32
}

#[tokio::test]
async fn requests_served_are_counted_per_hour_in_the_store() {
    let up = TestUpstream::start();
    let mut guard = GuardProcess::start(bin(), &up.url(), "", "");
    for _ in 0..5 {
        let s = reqwest::get(format!("{}/echo", guard.url())).await.unwrap();
        assert_eq!(s.status(), 200);
    }
    // The last minute's count is written as the guard stops.
    guard.signal(nix::sys::signal::Signal::SIGTERM as i32);
    assert!(guard.wait_exit(Duration::from_secs(15)).is_some());
    let store = palisade_events::Store::open_read_only(&guard.dir().join("palisade.db")).unwrap();
    let served: u64 = store
        .traffic(palisade_core::Timestamp(0))
        .unwrap()
        .iter()
        .map(|r| r.requests)
        .sum();
    assert_eq!(served, 5);
}
