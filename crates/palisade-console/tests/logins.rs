//! The logins page and the black book's import and export, against a live server on port 0,
//! a real SQLite event store and in-memory black books.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{Harness, Site, assert_no_inline, assert_security_headers};
use palisade_console::{Console, ConsoleSettings};
use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_state::{BanRequest, BanSource, BookConfig, MemoryState, State};
use reqwest::header::CONTENT_DISPOSITION;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const TOKEN: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert(1)</script>";
const MAX_IMPORT: usize = 5 * 1024 * 1024;
const HOUR: i64 = 3_600_000;

/// The black book the console reads and writes, and the event store's directory.
struct Fixture {
    book: Arc<MemoryState>,
    _dir: tempfile::TempDir,
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An event `ago` milliseconds before `now`.
fn at(mut e: Event, now: Timestamp, ago: i64) -> Event {
    e.time = Timestamp(now.0 - ago);
    e
}

fn failure(cat: Category, user: Option<&str>, from: &str, service: (&str, &str)) -> Event {
    let e = Event::new(cat, Severity::Low, "failed login")
        .with_source_ip(ip(from))
        .with_field(service.0, service.1);
    match user {
        Some(u) => e.with_user(u),
        None => e,
    }
}

fn seed(now: Timestamp) -> Vec<Event> {
    use Category::*;
    let web = ("app", "shop");
    let ssh = ("service", "ssh");
    vec![
        at(
            failure(AuthFailure, Some("alice"), "198.51.100.7", web),
            now,
            HOUR,
        ),
        at(
            failure(AuthFailure, Some("alice"), "198.51.100.7", web),
            now,
            2 * HOUR,
        ),
        at(
            failure(SshAuthFailure, Some("alice"), "198.51.100.7", ssh),
            now,
            3 * HOUR,
        ),
        at(
            failure(SshAuthFailure, Some("root"), "203.0.113.9", ssh),
            now,
            600_000,
        ),
        at(
            failure(SshAuthFailure, Some("root"), "203.0.113.9", ssh),
            now,
            500_000,
        ),
        at(
            failure(FtpAuthFailure, None, "203.0.113.9", ("service", "ftp")),
            now,
            400_000,
        ),
        at(
            failure(
                MailAuthFailure,
                Some(HOSTILE),
                "192.0.2.66",
                ("service", "mail"),
            ),
            now,
            300_000,
        ),
        // Three days ago: only in a week's range.
        at(
            failure(SshAuthFailure, Some("olduser"), "203.0.113.50", ssh),
            now,
            72 * HOUR,
        ),
        // Not a login failure, whatever its user.
        at(
            Event::new(MaliciousTraffic, Severity::High, "sqli").with_user("alice"),
            now,
            HOUR,
        ),
        at(
            Event::new(
                BruteForce,
                Severity::High,
                "brute force: 12 failed logins from one IP",
            )
            .with_source_ip(ip("203.0.113.9"))
            .with_field("service", "ssh"),
            now,
            200_000,
        ),
        at(
            Event::new(
                CredentialStuffing,
                Severity::High,
                "credential stuffing: one IP failed on 9 usernames",
            )
            .with_source_ip(ip("198.51.100.7"))
            .with_field("pattern", "many_users_from_ip"),
            now,
            100_000,
        ),
        at(
            Event::new(
                NewIpLogin,
                Severity::Medium,
                "login from a new network (192.0.2.0/24)",
            )
            .with_user("bob")
            .with_source_ip(ip("192.0.2.10"))
            .with_field("notified", "true"),
            now,
            5 * HOUR,
        ),
        at(
            Event::new(
                NewIpLogin,
                Severity::Critical,
                "user reported a login as not theirs: IP banned",
            )
            .with_user("bob")
            .with_source_ip(ip("192.0.2.11"))
            .with_field("reported", "true")
            .with_field("ban", "1day"),
            now,
            4 * HOUR,
        ),
        at(
            Event::new(NewIpLogin, Severity::Medium, "login from a new network")
                .with_user("dave")
                .with_source_ip(ip("192.0.2.13")),
            now,
            80 * HOUR,
        ),
        at(
            Event::new(
                BreachedPassword,
                Severity::High,
                "success login with a password seen 42 times in breaches",
            )
            .with_user("carol")
            .with_source_ip(ip("192.0.2.12"))
            .with_field("breach_count", "42"),
            now,
            6 * HOUR,
        ),
    ]
}

async fn start_with(events: &[Event], book: Option<Arc<MemoryState>>) -> Harness<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = palisade_events::Store::open(&db).unwrap();
    assert_eq!(store.append(events, &[]).unwrap(), events.len());
    drop(store);
    let book = book.unwrap_or_else(|| Arc::new(MemoryState::new(BookConfig::default()).unwrap()));
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        events_db: Some(db),
        book: Some(book.clone() as Arc<dyn State>),
        ..Default::default()
    });
    Harness {
        site: Site::start(console, TOKEN).await,
        fixture: Fixture { book, _dir: dir },
    }
}

async fn start() -> Harness<Fixture> {
    start_with(&seed(Timestamp::now()), None).await
}

impl Harness<Fixture> {
    async fn api(&self, path: &str) -> (StatusCode, Value) {
        let res = self.api_get(path).await;
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    async fn import_api(
        &self,
        format: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let res = self
            .api_request(
                Method::POST,
                &format!("/api/v1/blackbook/import?format={format}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    /// Posts the import form as the page does (multipart); `parts` are (name, file name,
    /// content).
    async fn import_form(
        &self,
        cookie: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> (StatusCode, String) {
        let (content_type, body) = multipart(parts);
        let res = self
            .request(Method::POST, "/console/blackbook/import", cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_security_headers(&res);
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_no_inline(&body);
        (status, body)
    }

    fn targets(&self) -> Vec<String> {
        self.fixture
            .book
            .list(Timestamp::now())
            .iter()
            .map(|b| b.target.to_string())
            .collect()
    }
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "palisade-test-7d1c0e";
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: text/plain\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn keys(rows: &Value) -> Vec<(String, u64)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn api_counts_failed_logins_by_user_and_ip() {
    let h = start().await;
    let (status, l) = h.api("/api/v1/logins").await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["failures"], 7);
    assert_eq!(
        keys(&l["by_user"]),
        [
            ("alice".to_owned(), 3),
            ("root".to_owned(), 2),
            (HOSTILE.to_owned(), 1)
        ]
    );
    assert_eq!(
        l["by_user"][0]["services"],
        serde_json::json!(["shop", "ssh"])
    );
    assert_eq!(l["by_user"][2]["services"], serde_json::json!(["mail"]));
    assert_eq!(
        keys(&l["by_ip"]),
        [
            ("198.51.100.7".to_owned(), 3),
            ("203.0.113.9".to_owned(), 3),
            ("192.0.2.66".to_owned(), 1)
        ]
    );
    assert_eq!(l["by_ip"][1]["services"], serde_json::json!(["ftp", "ssh"]));
    let root_last = l["by_user"][1]["last_seen"].as_str().unwrap();
    let ftp_last = l["by_ip"][1]["last_seen"].as_str().unwrap();
    assert!(
        ftp_last > root_last,
        "the IP's newest failure is the FTP one"
    );

    assert_eq!(l["attacks_total"], 2);
    let attacks: Vec<&str> = l["attacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category"].as_str().unwrap())
        .collect();
    assert_eq!(attacks, ["credential_stuffing", "brute_force"]);

    assert_eq!(l["new_ip_total"], 2);
    assert_eq!(l["reported_total"], 1);
    assert_eq!(l["reported"].as_array().unwrap().len(), 1);
    assert_eq!(l["reported"][0]["ip"], "192.0.2.11");
    assert_eq!(l["reported"][0]["reported"], true);
    let flags: Vec<bool> = l["new_ip_logins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reported"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, false]);

    assert_eq!(l["breached_total"], 1);
    assert_eq!(l["breached"][0]["user"], "carol");

    // A week reaches the older failure and new-IP login.
    let (_, week) = h.api("/api/v1/logins?since=7d").await;
    assert_eq!(week["failures"], 8);
    assert!(keys(&week["by_user"]).contains(&("olduser".to_owned(), 1)));
    assert_eq!(week["new_ip_total"], 3);
    // Half an hour holds only the last few minutes' failures.
    let (_, recent) = h.api("/api/v1/logins?since=30m").await;
    assert_eq!(recent["failures"], 4);
    assert_eq!(recent["new_ip_total"], 0);
    assert_eq!(recent["breached_total"], 0);

    let (status, e) = h.api("/api/v1/logins?since=soon").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "since");

    let res = h.http.get(h.url("/api/v1/logins")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logins_page_escapes_links_and_marks_reports() {
    let h = start().await;
    let (status, _) = h.get_page("/console/logins", "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let b = h.login().await;
    let (status, page) = h.get_page("/console/logins", &b.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/console/events?user=alice&amp;since=24h\""));
    assert!(page.contains("href=\"/console/events?ip=203.0.113.9&amp;since=24h\""));
    assert!(!page.contains(HOSTILE), "raw hostile user name in the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(page.contains("user=%3Cscript%3Ealert%281%29%3C%2Fscript%3E"));
    assert!(page.contains("class=\"badge reported\">Reported</strong>"));
    assert!(page.contains("Reported \"this wasn't me\" <strong>1</strong>"));
    assert!(page.contains("success login with a password seen 42 times in breaches"));
    assert!(page.contains("brute force: 12 failed logins from one IP"));
    assert!(!page.contains("olduser"));

    let (status, page) = h.get_page("/console/logins?since=7d", &b.cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/console/events?user=olduser&amp;since=7d\""));

    let (status, page) = h.get_page("/console/logins?since=soon", &b.cookie).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("since: `soon` is not a duration"));
}

#[tokio::test]
async fn a_store_not_created_yet_shows_no_logins() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        events_db: Some(dir.path().join("later.db")),
        ..Default::default()
    });
    let res = Site::start(console, TOKEN)
        .await
        .api_get("/api/v1/logins")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let l: Value = res.json().await.unwrap();
    assert_eq!(l["failures"], 0);
    assert_eq!(l["by_user"], serde_json::json!([]));
}

fn populated_book() -> Arc<MemoryState> {
    let book = Arc::new(MemoryState::new(BookConfig::default()).unwrap());
    let now = Timestamp::now();
    let target = |s: &str| palisade_state::net::parse_target(s).unwrap();
    book.ban(
        BanRequest::permanent(target("203.0.113.7"), BanSource::Manual, "sqli, \"twice\""),
        now,
    )
    .unwrap();
    book.ban(
        BanRequest::lasting(
            target("198.51.100.0/24"),
            BanSource::Rule,
            HOSTILE,
            Duration::from_secs(3600),
            now,
        ),
        now,
    )
    .unwrap();
    book
}

#[tokio::test]
async fn export_then_import_round_trips_every_format() {
    let from = start_with(&[], Some(populated_book())).await;
    let originals = from.fixture.book.list(Timestamp::now());
    for format in ["csv", "json", "plain"] {
        let res = from
            .api_get(&format!("/api/v1/blackbook/export?format={format}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{format}");
        assert_security_headers(&res);
        let disposition = res.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.starts_with("attachment; filename=\"palisade-blackbook."));
        let text = res.text().await.unwrap();

        let to = start_with(&[], None).await;
        let (status, counts) = to.import_api(format, text.clone()).await;
        assert_eq!(status, StatusCode::OK, "{format}: {counts}");
        assert_eq!(counts["parsed"], 2);
        assert_eq!(counts["added"], 2);
        assert_eq!(counts["updated"], 0);
        assert_eq!(counts["kept_manual"], 0);
        assert_eq!(to.targets(), from.targets(), "{format}");
        if format != "plain" {
            let imported = to.fixture.book.list(Timestamp::now());
            for (a, b) in originals.iter().zip(&imported) {
                assert_eq!(a.reason, b.reason, "{format}");
                assert_eq!(a.source, b.source, "{format}");
                assert_eq!(a.expires_at, b.expires_at, "{format}");
            }
        }
        // Again: the same entries now replace themselves.
        let (_, again) = to.import_api(format, text).await;
        assert_eq!(again["added"], 0, "{format}: {again}");
    }
}

#[tokio::test]
async fn the_black_book_page_offers_exports_and_an_import_form() {
    let h = start_with(&[], Some(populated_book())).await;
    let b = h.login().await;
    let (status, page) = h.get_page("/console/blackbook", &b.cookie).await;
    assert_eq!(status, StatusCode::OK);
    for format in ["csv", "json", "plain"] {
        assert!(page.contains(&format!(
            "href=\"/console/blackbook/export?format={format}\""
        )));
        assert!(page.contains(&format!("<option value=\"{format}\"")));
    }
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("<input type=\"file\" name=\"file\""));

    let res = h
        .get("/console/blackbook/export?format=csv", &b.cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"palisade-blackbook.csv\""
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("ip_or_cidr,reason,source,expires_at\n"));
    assert!(csv.contains("203.0.113.7,\"sqli, \"\"twice\"\"\",manual,"));

    // Logged out: the page link goes to the login form, the API answers 401.
    let res = h
        .http
        .get(h.url("/console/blackbook/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = h
        .http
        .get(h.url("/api/v1/blackbook/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, page) = h
        .get_page("/console/blackbook/export?format=xml", &b.cookie)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("is not a black book format"));
}

#[tokio::test]
async fn the_import_form_needs_the_csrf_token_and_shows_the_counts() {
    let h = start_with(&[], None).await;
    let b = h.login().await;
    let list = b"192.0.2.1\n192.0.2.2 # two\n";

    let (status, _) = h
        .import_form(
            &b.cookie,
            &[("format", None, b"plain"), ("text", None, list)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, b"wrong"),
                ("format", None, b"plain"),
                ("text", None, list),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // URL-encoded, as a script might post it: the same check.
    let res = h
        .request(Method::POST, "/console/blackbook/import", &b.cookie)
        .form(&[("format", "plain"), ("text", "192.0.2.1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The API with a session cookie must echo the token in X-CSRF-Token.
    let res = h
        .request(
            Method::POST,
            "/api/v1/blackbook/import?format=plain",
            &b.cookie,
        )
        .body("192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // No session at all.
    let (status, _) = h
        .import_form("", &[("format", None, b"plain"), ("text", None, list)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(h.targets().is_empty());

    let csrf = b.csrf.as_bytes();
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, csrf),
                ("format", None, b"plain"),
                ("text", None, list),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Imported 2 entries: 2 added, 0 updated"),
        "{page}"
    );
    assert_eq!(h.targets(), ["192.0.2.1/32", "192.0.2.2/32"]);

    // A file upload, with the empty text field a browser sends alongside.
    let file = b"ip_or_cidr,reason,source,expires_at\n198.51.100.0/24,from a file,import,\n";
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, csrf),
                ("format", None, b"csv"),
                ("text", None, b""),
                ("file", Some("bans.csv"), file),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Imported 1 entries: 1 added"), "{page}");
    assert!(page.contains("from a file"));

    // URL-encoded with the token in the header.
    let res = h
        .request(Method::POST, "/console/blackbook/import", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .form(&[("format", "plain"), ("text", "192.0.2.1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("0 added, 1 updated"));
    // The API with the cookie and the header.
    let res = h
        .request(
            Method::POST,
            "/api/v1/blackbook/import?format=plain",
            &b.cookie,
        )
        .header("x-csrf-token", &b.csrf)
        .body("192.0.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(h.targets().len(), 4);
}

#[tokio::test]
async fn bad_imports_are_clear_400s_and_change_nothing() {
    let h = start_with(&[], None).await;
    let (status, e) = h.import_api("plain", "192.0.2.1\nnot-an-ip\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "body");
    assert_eq!(e["line"], 2);
    assert_eq!(
        e["error"],
        "body: line 2: `not-an-ip` is not an IP address or CIDR network"
    );
    let (status, e) = h
        .import_api("json", "[{\"target\": \"192.0.2.1\"},\n{]")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["line"], 2, "{e}");
    let (status, e) = h.import_api("xml", "192.0.2.1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "format");
    let res = h
        .api_request(Method::POST, "/api/v1/blackbook/import")
        .body("192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, e) = h.import_api("plain", vec![0xff, 0xfe, b'1']).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"], "body: not UTF-8 text");

    let b = h.login().await;
    let csrf = b.csrf.as_bytes();
    let hostile = format!("192.0.2.1\n{HOSTILE}\n");
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, csrf),
                ("format", None, b"plain"),
                ("text", None, hostile.as_bytes()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("text: line 2: `&lt;script&gt;alert(1)&lt;&#x2f;script&gt;` is not"));
    assert!(!page.contains(HOSTILE));
    // The text is back in the form, to be fixed; the chosen format stays selected.
    assert!(page.contains("192.0.2.1\n&lt;script&gt;"));
    assert!(page.contains("<option value=\"plain\" selected>"));

    let (status, page) = h
        .import_form(
            &b.cookie,
            &[("csrf", None, csrf), ("format", None, b"plain")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("paste a list or choose a file"));
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, csrf),
                ("format", None, b"plain"),
                ("text", None, b"192.0.2.1"),
                ("file", Some("list.txt"), b"192.0.2.2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("not both"));
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, csrf),
                ("format", None, b"plain"),
                ("file", Some("list.bin"), &[0xff, 0x00]),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("file: not UTF-8 text"));
    assert!(h.targets().is_empty());
}

#[tokio::test]
async fn oversize_imports_are_413() {
    let h = start_with(&[], None).await;
    // Valid text (a comment) one byte over the cap: refused for its size alone.
    let mut big = vec![b'#'; MAX_IMPORT + 1];
    big[MAX_IMPORT] = b'\n';
    let (status, e) = h.import_api("plain", big.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(e["error"].as_str().unwrap().contains("5 MiB"), "{e}");
    // At the cap, the same text is accepted.
    let (status, _) = h.import_api("plain", big[1..].to_vec()).await;
    assert_eq!(status, StatusCode::OK);

    let b = h.login().await;
    let (status, page) = h
        .import_form(
            &b.cookie,
            &[
                ("csrf", None, b.csrf.as_bytes()),
                ("format", None, b"plain"),
                ("file", Some("huge.txt"), &big),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("5 MiB"));
    assert!(h.targets().is_empty());
}

#[tokio::test]
async fn without_a_black_book_import_and_export_answer_503() {
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        ..Default::default()
    });
    let h = Site::start(console, TOKEN).await;
    let res = h.api_get("/api/v1/blackbook/export?format=csv").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let res = h
        .api_request(Method::POST, "/api/v1/blackbook/import?format=plain")
        .body("192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}
