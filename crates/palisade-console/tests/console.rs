//! The console against a live server on port 0, a real SQLite event store and an in-memory
//! black book.

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use common::{Harness, Site, assert_security_headers};
use palisade_console::{Console, ConsoleSettings};
use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_state::{BookConfig, MemoryState, State};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

const TOKEN: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert(1)</script>";

/// The black book the console writes to, the hostile event's id and the store's directory.
struct Fixture {
    book: Arc<MemoryState>,
    hostile_id: String,
    _dir: tempfile::TempDir,
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn seed() -> Vec<Event> {
    let attacker = ip("203.0.113.5");
    vec![
        Event::new(Category::MaliciousTraffic, Severity::High, "sqli in query")
            .with_source_ip(attacker)
            .with_request("req-1", "GET", Some("shop.example".into()), "/search")
            .with_rule("sqli-union"),
        Event::new(
            Category::SensitiveFileProbe,
            Severity::Medium,
            "probe of .env",
        )
        .with_source_ip(attacker)
        .with_request("req-2", "GET", Some("shop.example".into()), "/.env")
        .with_rule("sensitive-env"),
        Event::new(Category::Scanner, Severity::Low, "nikto")
            .with_source_ip(attacker)
            .with_request("req-3", "GET", Some("shop.example".into()), "/search")
            .with_rule("scanner-nikto"),
        Event::new(Category::IpBanned, Severity::High, "banned 203.0.113.5")
            .with_source_ip(attacker),
        Event::new(Category::AuthFailure, Severity::Low, "bad password")
            .with_source_ip(ip("198.51.100.7"))
            .with_user("alice"),
        Event::new(
            Category::SshAuthFailure,
            Severity::Low,
            "sshd: failed password",
        )
        .with_source_ip(ip("198.51.100.7"))
        .with_user("root"),
    ]
}

async fn start(secure_cookies: bool) -> Harness<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let hostile = Event::new(Category::MaliciousTraffic, Severity::Critical, HOSTILE)
        .with_source_ip(ip("192.0.2.66"))
        .with_user(HOSTILE)
        .with_request(
            "req-x",
            "GET",
            Some("shop.example".into()),
            "/q?<script>x</script>",
        )
        .with_rule("xss-script\"><script>")
        .with_field("payload", HOSTILE);
    let hostile_id = hostile.id.to_string();
    let mut events = seed();
    events.push(hostile);
    let mut store = palisade_events::Store::open(&db).unwrap();
    assert_eq!(store.append(&events, &[]).unwrap(), events.len());
    drop(store);

    let book = Arc::new(MemoryState::new(BookConfig::default()).unwrap());
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        secure_cookies,
        events_db: Some(db),
        book: Some(book.clone() as Arc<dyn State>),
        ..Default::default()
    });
    Harness {
        site: Site::start(console, TOKEN).await,
        fixture: Fixture {
            book,
            hostile_id,
            _dir: dir,
        },
    }
}

/// What minijinja's HTML escaping makes of text (it escapes `/` too).
fn esc(s: &str) -> String {
    s.replace('/', "&#x2f;")
}

#[tokio::test]
async fn login_checks_the_token_and_sets_a_strict_cookie() {
    let h = start(false).await;
    let res = h.post_login("wrong").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers(&res);
    assert!(res.headers().get(SET_COOKIE).is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("name=\"token\""));
    assert!(body.contains("not the admin token"));

    let res = h.post_login(TOKEN).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("palisade_session="));
    assert!(cookie.contains("; HttpOnly"));
    assert!(cookie.contains("; SameSite=Strict"));
    assert!(cookie.contains("; Path=/"));
    assert!(cookie.contains("; Max-Age=43200"));
    assert!(!cookie.contains("Secure"));
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("palisade_session=");
    assert_eq!(value.len(), 43, "32 bytes, base64url");

    let h = start(true).await;
    let res = h.post_login(TOKEN).await;
    assert!(
        res.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn empty_token_never_logs_in() {
    let console = Console::new(ConsoleSettings {
        token: String::new(),
        secure_cookies: false,
        events_db: None,
        book: None,
        ..Default::default()
    });
    let res = Site::start(console, "").await.post_login("").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logged_out_pages_redirect_and_api_answers_401() {
    let h = start(false).await;
    for path in [
        "/console",
        "/console/events",
        "/console/blackbook",
        "/console/events/x",
    ] {
        let res = h.get(path, "palisade_session=forged").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[LOCATION], "/console/login");
    }
    for path in ["/api/v1/overview", "/api/v1/events", "/api/v1/blackbook"] {
        let res = h.get(path, "").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    let res = h
        .http
        .get(h.url("/api/v1/events"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = h
        .post_form("/console/blackbook/ban", "", &[("target", "192.0.2.1")])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(h.fixture.book.list(Timestamp::now()).is_empty());
    // The login form and the stylesheet need no session.
    h.ok_page("/console/login", "").await;
    let css = h.get("/console/assets/console.css", "").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn overview_counts_and_draws_an_svg_chart() {
    let h = start(false).await;
    let b = h.login().await;
    let page = h.ok_page("/console", &b.cookie).await;
    assert!(page.contains("<svg"));
    assert!(page.contains("<rect class=\"blocked\""));
    // 3 seeded + the hostile one blocked, 1 ban, 2 login failures.
    assert!(
        page.contains("Blocked attacks <strong>4</strong>"),
        "{page}"
    );
    assert!(page.contains("Bans <strong>1</strong>"));
    assert!(page.contains("Login failures <strong>2</strong>"));
    assert!(page.contains("203.0.113.5"));
    assert!(page.contains("sqli-union"));
    assert!(page.contains(&esc("/search")));

    let o = h.api_json("/api/v1/overview").await;
    assert_eq!(o["blocked"], 4);
    assert_eq!(o["bans"], 1);
    assert_eq!(o["login_failures"], 2);
    assert_eq!(o["total"], 7);
    assert_eq!(o["hours"].as_array().unwrap().len(), 24);
    assert_eq!(o["top_ips"][0]["key"], "203.0.113.5");
    assert_eq!(o["top_ips"][0]["count"], 4);
    assert_eq!(o["top_paths"][0]["key"], "/search");
    assert_eq!(o["top_paths"][0]["count"], 2);
}

#[tokio::test]
async fn events_filter_by_category_and_ip() {
    let h = start(false).await;
    let b = h.login().await;
    let page = h
        .ok_page("/console/events?category=auth_failure", &b.cookie)
        .await;
    assert!(page.contains("bad password"));
    assert!(!page.contains("sqli in query"));
    let page = h
        .ok_page("/console/events?ip=203.0.113.5&since=1h", &b.cookie)
        .await;
    assert!(page.contains("sqli in query"));
    assert!(page.contains("nikto"));
    assert!(!page.contains("bad password"));
    let page = h.ok_page("/console/events?user=root", &b.cookie).await;
    assert!(page.contains("sshd: failed password"));
    assert!(!page.contains("bad password"));
    let page = h.ok_page("/console/events?path=.env", &b.cookie).await;
    assert!(page.contains("probe of .env"));
    assert!(!page.contains("nikto"));

    let api = |q: &'static str| {
        h.api_request(Method::GET, &format!("/api/v1/events{q}"))
            .send()
    };
    let j: serde_json::Value = api("?category=malicious_traffic&ip=203.0.113.5")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["count"], 1);
    assert_eq!(j["events"][0]["event"]["message"], "sqli in query");
    let j: serde_json::Value = api("?limit=2").await.unwrap().json().await.unwrap();
    assert_eq!(j["count"], 2);

    for (q, field) in [
        ("?ip=nope", "ip"),
        ("?since=later", "since"),
        ("?limit=0", "limit"),
        ("?category=Bad-Cat", "category"),
    ] {
        let res = api(q).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{q}");
        let j: serde_json::Value = res.json().await.unwrap();
        assert_eq!(j["field"], field);
        assert!(j["error"].as_str().unwrap().starts_with(field));
    }
    let res = h.get("/console/events?ip=nope", &b.cookie).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn event_detail_shows_every_field_escaped() {
    let h = start(false).await;
    let b = h.login().await;
    let page = h
        .ok_page(
            &format!("/console/events/{}", h.fixture.hostile_id),
            &b.cookie,
        )
        .await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{page}"
    );
    assert!(!page.contains(HOSTILE));
    assert!(page.contains("href=\"/console/rules#rule-xss-script%22%3E%3Cscript%3E\""));
    assert!(page.contains("192.0.2.66"));
    assert!(page.contains("payload"));
    assert!(page.contains("shop.example"));

    // The listing and overview escape them too.
    let page = h.ok_page("/console/events", &b.cookie).await;
    assert!(!page.contains(HOSTILE));
    assert!(page.contains("&lt;script&gt;"));
    h.ok_page("/console", &b.cookie).await;

    let j = h
        .api_json(&format!("/api/v1/events/{}", h.fixture.hostile_id))
        .await;
    assert_eq!(j["event"]["user"], HOSTILE);

    let res = h.get("/console/events/not-an-id", &b.cookie).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = h
        .get(
            "/console/events/0190a0b0-0000-7000-8000-000000000000",
            &b.cookie,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ban_and_unban_through_the_forms_need_the_csrf_token() {
    let h = start(false).await;
    let b = h.login().await;
    let ban = [
        ("target", "192.0.2.0/24"),
        ("ttl", "1h"),
        ("reason", "test ban"),
    ];

    let res = h.post_form("/console/blackbook/ban", &b.cookie, &ban).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let mut wrong = ban.to_vec();
    wrong.push(("csrf", "not-the-token"));
    let res = h
        .post_form("/console/blackbook/ban", &b.cookie, &wrong)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(h.fixture.book.list(Timestamp::now()).is_empty());

    let mut right = ban.to_vec();
    right.push(("csrf", &b.csrf));
    let res = h
        .post_form("/console/blackbook/ban", &b.cookie, &right)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console/blackbook");
    let bans = h.fixture.book.list(Timestamp::now());
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].target.to_string(), "192.0.2.0/24");
    assert_eq!(bans[0].source, palisade_state::BanSource::Manual);
    assert!(bans[0].expires_at.is_some());

    // Permanent ban, given through the header instead of the field.
    let res = h
        .request(Method::POST, "/console/blackbook/ban", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .form(&[("target", "2001:db8::1"), ("ttl", ""), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page = h.ok_page("/console/blackbook", &b.cookie).await;
    assert!(page.contains(&esc("192.0.2.0/24")));
    assert!(page.contains("test ban"));
    assert!(page.contains(&esc("2001:db8::1/128")));
    assert!(page.contains("never"));
    let page = h.ok_page("/console/blackbook?q=test", &b.cookie).await;
    assert!(page.contains(&esc("192.0.2.0/24")));
    assert!(!page.contains(&esc("2001:db8::1/128")));

    let res = h
        .post_form(
            "/console/blackbook/ban",
            &b.cookie,
            &[
                ("target", "192.0.2.200"),
                ("reason", HOSTILE),
                ("csrf", &b.csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = h.ok_page("/console/blackbook", &b.cookie).await;
    assert!(!page.contains(HOSTILE));
    assert!(page.contains("&lt;script&gt;alert(1)"));

    let res = h
        .post_form(
            "/console/blackbook/ban",
            &b.cookie,
            &[("target", "nope"), ("csrf", &b.csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = h
        .post_form(
            "/console/blackbook/unban",
            &b.cookie,
            &[("target", "192.0.2.0/24")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .post_form(
            "/console/blackbook/unban",
            &b.cookie,
            &[("target", "192.0.2.0/24"), ("csrf", &b.csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let targets: Vec<String> = h
        .fixture
        .book
        .list(Timestamp::now())
        .iter()
        .map(|b| b.target.to_string())
        .collect();
    assert_eq!(targets, ["192.0.2.200/32", "2001:db8::1/128"]);
}

#[tokio::test]
async fn api_writes_with_bearer_or_cookie_plus_csrf() {
    let h = start(false).await;
    let res = h
        .api_request(Method::POST, "/api/v1/blackbook")
        .json(&serde_json::json!({ "target": "198.51.100.0/24", "ttl": "2h", "reason": "api" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_security_headers(&res);
    let j: serde_json::Value = res.json().await.unwrap();
    assert_eq!(j["target"], "198.51.100.0/24");
    assert_eq!(j["source"], "manual");

    let j = h.api_json("/api/v1/blackbook").await;
    assert_eq!(j["count"], 1);

    let res = h
        .api_request(Method::POST, "/api/v1/blackbook")
        .json(&serde_json::json!({ "target": "198.51.100.1", "ttl": "soon" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let j: serde_json::Value = res.json().await.unwrap();
    assert_eq!(j["field"], "ttl");
    let res = h
        .api_request(Method::POST, "/api/v1/blackbook")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A browser session must echo its CSRF token on API writes too.
    let b = h.login().await;
    let body = serde_json::json!({ "target": "192.0.2.9" });
    let res = h
        .request(Method::POST, "/api/v1/blackbook", &b.cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .request(Method::POST, "/api/v1/blackbook", &b.cookie)
        .header("x-csrf-token", "wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .request(Method::POST, "/api/v1/blackbook", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Reads with the cookie need no CSRF token.
    let res = h.get("/api/v1/blackbook", &b.cookie).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = h
        .request(
            Method::DELETE,
            "/api/v1/blackbook/198.51.100.0%2F24",
            &b.cookie,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .api_request(Method::DELETE, "/api/v1/blackbook/198.51.100.0%2F24")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = h
        .api_request(Method::DELETE, "/api/v1/blackbook/198.51.100.0%2F24")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let targets: Vec<String> = h
        .fixture
        .book
        .list(Timestamp::now())
        .iter()
        .map(|b| b.target.to_string())
        .collect();
    assert_eq!(targets, ["192.0.2.9/32"]);
}

#[tokio::test]
async fn logout_needs_csrf_and_ends_the_session() {
    let h = start(false).await;
    let b = h.login().await;
    let res = h.post_form("/console/logout", &b.cookie, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .post_form("/console/logout", &b.cookie, &[("csrf", &b.csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let res = h.get("/console", &b.cookie).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn console_debug_output_hides_the_token() {
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        secure_cookies: false,
        events_db: None,
        book: None,
        ..Default::default()
    });
    let (id, session) = console.sessions().create().unwrap();
    let out = format!("{console:?}");
    assert!(!out.contains(TOKEN));
    assert!(!out.contains(&id));
    assert!(!out.contains(&session.csrf));
}

#[tokio::test]
async fn missing_backends_answer_503_not_a_panic() {
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        secure_cookies: false,
        events_db: None,
        book: None,
        ..Default::default()
    });
    let h = Site::start(console, TOKEN).await;
    for path in ["/api/v1/overview", "/api/v1/events", "/api/v1/blackbook"] {
        let res = h.api_get(path).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_security_headers(&res);
    }
}

#[tokio::test]
async fn a_store_not_created_yet_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        secure_cookies: false,
        events_db: Some(dir.path().join("later.db")),
        book: None,
        ..Default::default()
    });
    let o = Site::start(console, TOKEN)
        .await
        .api_json("/api/v1/overview")
        .await;
    assert_eq!(o["total"], 0);
    assert_eq!(o["hours"].as_array().unwrap().len(), 24);
}
