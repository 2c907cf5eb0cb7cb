//! The console against a live server on port 0, a real SQLite event store and an in-memory
//! black book.

use std::net::IpAddr;
use std::sync::Arc;

use palisade_console::{CONTENT_SECURITY_POLICY, Console, ConsoleSettings, router};
use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_state::{BookConfig, MemoryState, State};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY as CSP, LOCATION, SET_COOKIE};

const TOKEN: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert(1)</script>";

struct Harness {
    base: String,
    http: reqwest::Client,
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

async fn start(secure_cookies: bool) -> Harness {
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(console)).await });
    Harness {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        book,
        hostile_id,
        _dir: dir,
    }
}

/// A logged-in browser: its cookie header and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self) -> Browser {
        let res = self
            .http
            .post(self.url("/console/login"))
            .form(&[("token", TOKEN)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let set = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set.split(';').next().unwrap().to_owned();
        let page = self.get_page("/console", &cookie).await;
        let csrf = page
            .split("<meta name=\"csrf-token\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("csrf meta tag")
            .to_owned();
        Browser { cookie, csrf }
    }

    async fn get(&self, path: &str, cookie: &str) -> reqwest::Response {
        let res = self
            .http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        res
    }

    /// A page's HTML, checked for inline script and style.
    async fn get_page(&self, path: &str, cookie: &str) -> String {
        let res = self.get(path, cookie).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body = res.text().await.unwrap();
        assert_no_inline(&body);
        body
    }

    async fn post_form(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let res = self
            .http
            .post(self.url(path))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        res
    }
}

/// What minijinja's HTML escaping makes of text (it escapes `/` too).
fn esc(s: &str) -> String {
    s.replace('/', "&#x2f;")
}

fn assert_security_headers(res: &reqwest::Response) {
    let h = res.headers();
    assert_eq!(h[CSP], CONTENT_SECURITY_POLICY, "{}", res.url());
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-frame-options"], "DENY");
}

fn assert_no_inline(body: &str) {
    let lower = body.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |j| i + j)];
        assert!(tag.contains(" src="), "inline script: {tag}");
    }
    assert!(!lower.contains("style="), "style attribute in page");
    assert!(!lower.contains("<style"), "style element in page");
}

#[tokio::test]
async fn login_checks_the_token_and_sets_a_strict_cookie() {
    let h = start(false).await;
    let res = h
        .http
        .post(h.url("/console/login"))
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers(&res);
    assert!(res.headers().get(SET_COOKIE).is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("name=\"token\""));
    assert!(body.contains("not the admin token"));

    let res = h
        .http
        .post(h.url("/console/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
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
    let res = h
        .http
        .post(h.url("/console/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(console)).await });
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/console/login"))
        .form(&[("token", "")])
        .send()
        .await
        .unwrap();
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
    assert!(h.book.list(Timestamp::now()).is_empty());
    // The login form and the stylesheet need no session.
    h.get_page("/console/login", "").await;
    let css = h.get("/console/assets/console.css", "").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn overview_counts_and_draws_an_svg_chart() {
    let h = start(false).await;
    let b = h.login().await;
    let page = h.get_page("/console", &b.cookie).await;
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

    let o: serde_json::Value = h
        .http
        .get(h.url("/api/v1/overview"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
        .get_page("/console/events?category=auth_failure", &b.cookie)
        .await;
    assert!(page.contains("bad password"));
    assert!(!page.contains("sqli in query"));
    let page = h
        .get_page("/console/events?ip=203.0.113.5&since=1h", &b.cookie)
        .await;
    assert!(page.contains("sqli in query"));
    assert!(page.contains("nikto"));
    assert!(!page.contains("bad password"));
    let page = h.get_page("/console/events?user=root", &b.cookie).await;
    assert!(page.contains("sshd: failed password"));
    assert!(!page.contains("bad password"));
    let page = h.get_page("/console/events?path=.env", &b.cookie).await;
    assert!(page.contains("probe of .env"));
    assert!(!page.contains("nikto"));

    let api = |q: &'static str| {
        h.http
            .get(h.url(&format!("/api/v1/events{q}")))
            .bearer_auth(TOKEN)
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
        .get_page(&format!("/console/events/{}", h.hostile_id), &b.cookie)
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
    let page = h.get_page("/console/events", &b.cookie).await;
    assert!(!page.contains(HOSTILE));
    assert!(page.contains("&lt;script&gt;"));
    h.get_page("/console", &b.cookie).await;

    let j: serde_json::Value = h
        .http
        .get(h.url(&format!("/api/v1/events/{}", h.hostile_id)))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    assert!(h.book.list(Timestamp::now()).is_empty());

    let mut right = ban.to_vec();
    right.push(("csrf", &b.csrf));
    let res = h
        .post_form("/console/blackbook/ban", &b.cookie, &right)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console/blackbook");
    let bans = h.book.list(Timestamp::now());
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].target.to_string(), "192.0.2.0/24");
    assert_eq!(bans[0].source, palisade_state::BanSource::Manual);
    assert!(bans[0].expires_at.is_some());

    // Permanent ban, given through the header instead of the field.
    let res = h
        .http
        .post(h.url("/console/blackbook/ban"))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .form(&[("target", "2001:db8::1"), ("ttl", ""), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page = h.get_page("/console/blackbook", &b.cookie).await;
    assert!(page.contains(&esc("192.0.2.0/24")));
    assert!(page.contains("test ban"));
    assert!(page.contains(&esc("2001:db8::1/128")));
    assert!(page.contains("never"));
    let page = h.get_page("/console/blackbook?q=test", &b.cookie).await;
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
    let page = h.get_page("/console/blackbook", &b.cookie).await;
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
        .http
        .post(h.url("/api/v1/blackbook"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "target": "198.51.100.0/24", "ttl": "2h", "reason": "api" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_security_headers(&res);
    let j: serde_json::Value = res.json().await.unwrap();
    assert_eq!(j["target"], "198.51.100.0/24");
    assert_eq!(j["source"], "manual");

    let j: serde_json::Value = h
        .http
        .get(h.url("/api/v1/blackbook"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["count"], 1);

    let res = h
        .http
        .post(h.url("/api/v1/blackbook"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "target": "198.51.100.1", "ttl": "soon" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let j: serde_json::Value = res.json().await.unwrap();
    assert_eq!(j["field"], "ttl");
    let res = h
        .http
        .post(h.url("/api/v1/blackbook"))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A browser session must echo its CSRF token on API writes too.
    let b = h.login().await;
    let body = serde_json::json!({ "target": "192.0.2.9" });
    let res = h
        .http
        .post(h.url("/api/v1/blackbook"))
        .header("cookie", &b.cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .http
        .post(h.url("/api/v1/blackbook"))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", "wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .http
        .post(h.url("/api/v1/blackbook"))
        .header("cookie", &b.cookie)
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
        .http
        .delete(h.url("/api/v1/blackbook/198.51.100.0%2F24"))
        .header("cookie", &b.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = h
        .http
        .delete(h.url("/api/v1/blackbook/198.51.100.0%2F24"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = h
        .http
        .delete(h.url("/api/v1/blackbook/198.51.100.0%2F24"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let targets: Vec<String> = h
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(console)).await });
    let http = reqwest::Client::new();
    for path in ["/api/v1/overview", "/api/v1/events", "/api/v1/blackbook"] {
        let res = http
            .get(format!("http://{addr}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(console)).await });
    let o: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/overview"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["total"], 0);
    assert_eq!(o["hours"].as_array().unwrap().len(), 24);
}
