//! Login monitoring in the guard, end to end: a real upstream with a login form, client IPs
//! chosen through a trusted `X-Forwarded-For`, events read back with `palisade events`, and
//! new-IP mails received by a real SMTP server (aiosmtpd).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::{GuardProcess, LOGIN_PASSWORD, LOGIN_ROUTE, TestUpstream, free_port};
use serde_json::Value;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const TRUST_LOCAL: &str = "trusted_proxies = [\"127.0.0.1/32\"]";

async fn login(
    client: &reqwest::Client,
    guard: &GuardProcess,
    ip: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/login", guard.url()))
        .header("x-forwarded-for", ip)
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every file in `dir` (databases, WAL files, logs) as bytes.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file()
            && let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            && path.file_name().is_some_and(|n| n != "palisade.toml")
        {
            hits.push(path);
        }
    }
    hits
}

#[tokio::test]
async fn brute_force_is_banned_and_stuffing_reported_without_keeping_a_password() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &upstream.url(), TRUST_LOCAL, LOGIN_ROUTE);
    let client = no_redirects();
    let secret = "Tr0ub4dor&3-not-the-password";

    // The right password works, and the app sees the form intact.
    let ok = login(&client, &guard, "192.0.2.1", "alice", LOGIN_PASSWORD).await;
    assert_eq!(ok.status(), 302);
    assert_eq!(ok.headers()["location"], "/home");

    // Ten wrong passwords from one IP: brute force, and the IP is banned.
    for i in 0..10 {
        let r = login(&client, &guard, "198.51.100.10", "alice", secret).await;
        assert_eq!(r.status(), 302, "attempt {i} reaches the app");
        assert_eq!(r.headers()["location"], "/login?error=1");
    }
    let banned = login(&client, &guard, "198.51.100.10", "alice", secret).await;
    assert_eq!(banned.status(), 403);
    let id = banned.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = banned.text().await.unwrap();
    assert!(page.contains(&id), "{page}");
    for leak in ["brute", "ban", "alice", "198.51.100.10"] {
        assert!(
            !page.to_lowercase().contains(leak),
            "page leaks `{leak}`: {page}"
        );
    }
    // Any request, not only logins.
    let r = client
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", "198.51.100.10")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Others are not affected.
    let r = login(&client, &guard, "192.0.2.1", "alice", LOGIN_PASSWORD).await;
    assert_eq!(r.status(), 302);

    let bf = guard.wait_events("brute_force", 1);
    let ip_event = bf
        .iter()
        .find(|e| e["palisade"]["fields"]["scope"] == "ip")
        .unwrap_or_else(|| panic!("{bf:?}"));
    assert_eq!(ip_event["source"]["ip"], "198.51.100.10");
    let bans = guard.wait_events("ip_banned", 1);
    assert!(
        bans.iter().any(|e| e["source"]["ip"] == "198.51.100.10"),
        "{bans:?}"
    );
    let failures = guard.wait_events("auth_failure", 10);
    assert!(failures.len() >= 10, "{failures:?}");
    assert_eq!(failures[0]["user"]["name"], "alice");

    // One IP trying many usernames: credential stuffing.
    for user in ["bob", "carol", "dave", "erin", "frank"] {
        let r = login(&client, &guard, "203.0.113.20", user, secret).await;
        assert_eq!(r.status(), 302);
    }
    let stuffing = guard.wait_events("credential_stuffing", 1);
    let e = stuffing
        .iter()
        .find(|e| e["palisade"]["fields"]["pattern"] == "many_users_from_ip")
        .unwrap_or_else(|| panic!("{stuffing:?}"));
    assert_eq!(e["source"]["ip"], "203.0.113.20");

    // The password is nowhere: not in the databases (WAL included), not in the log.
    assert!(!guard.stderr().contains(secret));
    assert_eq!(files_containing(guard.dir(), secret), Vec::<PathBuf>::new());
    assert_eq!(
        files_containing(guard.dir(), LOGIN_PASSWORD),
        Vec::<PathBuf>::new()
    );
}

fn sha1_hex(s: &str) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

#[tokio::test]
async fn breached_passwords_and_account_changes_are_reported_to_events_and_the_app() {
    let upstream = TestUpstream::start();
    let dir = tempfile::tempdir().unwrap();
    let breached = "password123";
    let mut lines = [
        format!("{}:4242", sha1_hex(breached)),
        format!("{}:7", sha1_hex("letmein")),
        format!("{}:3", sha1_hex("qwerty")),
    ];
    lines.sort();
    let hibp = dir.path().join("pwned.txt");
    std::fs::write(&hibp, lines.join("\n") + "\n").unwrap();
    let tail = format!(
        r#"
[[auth.login]]
path = "/echo/login"
username = "form:username"
password = "form:password"
success = {{ status = [200] }}

[[auth.account_change]]
path = "/echo/account/email"
kind = "email"
user = "header:X-Auth-User"

[auth.pwned]
file = "{}"
"#,
        hibp.display()
    );
    let guard = GuardProcess::start(bin(), &upstream.url(), TRUST_LOCAL, &tail);
    let client = reqwest::Client::new();

    let r = client
        .post(format!("{}/echo/login", guard.url()))
        .header("x-forwarded-for", "192.0.2.50")
        .header("x-palisade-auth-risk", "none")
        .form(&[("username", "mallory@example.com"), ("password", breached)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(
        seen["headers"]["x-palisade-breached-password"], "4242",
        "{seen}"
    );
    assert!(
        seen["headers"].get("x-palisade-auth-risk").is_none(),
        "a client cannot set the guard's headers: {seen}"
    );
    assert!(
        seen["body"].as_str().unwrap().contains("password123"),
        "the app still gets its form"
    );

    // A password not in the corpus: no header.
    let r = client
        .post(format!("{}/echo/login", guard.url()))
        .header("x-forwarded-for", "192.0.2.50")
        .form(&[
            ("username", "mallory@example.com"),
            ("password", "a fine long passphrase"),
        ])
        .send()
        .await
        .unwrap();
    let seen: Value = r.json().await.unwrap();
    assert!(
        seen["headers"]
            .get("x-palisade-breached-password")
            .is_none(),
        "{seen}"
    );

    let e = guard.wait_events("breached_password", 1);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["user"]["name"], "mallory@example.com");
    assert_eq!(e[0]["palisade"]["fields"]["breach_count"], "4242");
    assert_eq!(e[0]["source"]["ip"], "192.0.2.50");

    let r = client
        .post(format!("{}/echo/account/email", guard.url()))
        .header("x-forwarded-for", "198.51.100.77")
        .header("x-auth-user", "mallory@example.com")
        .form(&[("email", "new@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e = guard.wait_events("account_change", 1);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["user"]["name"], "mallory@example.com");
    assert_eq!(e[0]["source"]["ip"], "198.51.100.77");
    assert_eq!(e[0]["palisade"]["fields"]["change"], "email");
    assert_eq!(e[0]["palisade"]["fields"]["new_ip"], "true");

    assert!(!guard.stderr().contains(breached));
    assert_eq!(
        files_containing(guard.dir(), breached),
        Vec::<PathBuf>::new()
    );
}

fn python() -> String {
    std::env::var("PALISADE_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".to_owned())
}

/// aiosmtpd (palisade-events' test fixture), writing each mail to `out` as JSON.
struct Smtp {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let py = python();
        let probe = Command::new(&py).args(["-c", "import aiosmtpd"]).output();
        assert!(
            probe.as_ref().is_ok_and(|o| o.status.success()),
            "this test needs Python's aiosmtpd at {py}: `apt-get install python3-aiosmtpd`"
        );
        let port = free_port();
        let out = dir.join("mail");
        std::fs::create_dir_all(&out).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../palisade-events/tests/fixtures/smtp_server.py");
        let child = Command::new(&py)
            .arg(script)
            .args(["--port", &port.to_string(), "--out"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp { child, port, out }
    }

    fn wait_for_mail(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&self.out)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            files.sort();
            if let Some(f) = files.first() {
                return serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            }
            assert!(Instant::now() < deadline, "no mail within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_login_from_a_new_network_mails_a_link_that_bans_the_address() {
    let upstream = TestUpstream::start();
    let scratch = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(scratch.path());
    // The guard's own URL is only known once it has a port: the link base is a placeholder
    // that the test rewrites to the guard's address before following the link.
    let tail = format!(
        r#"{LOGIN_ROUTE}
[auth.new_ip]
secret = "0123456789abcdef0123456789abcdef-test-secret"
link_base = "https://app.example.com"
mail_sink = "user-mail"

[[sinks]]
name = "user-mail"
kind = "email"
host = "127.0.0.1"
port = {}
tls = "none"
from = "palisade <guard@example.com>"
to = ["ops@example.com"]
alerts = false
"#,
        smtp.port
    );
    let guard = GuardProcess::start(bin(), &upstream.url(), TRUST_LOCAL, &tail);
    let client = no_redirects();

    // The first login teaches the user's usual network; the second comes from a new one.
    let r = login(
        &client,
        &guard,
        "192.0.2.10",
        "alice@example.com",
        LOGIN_PASSWORD,
    )
    .await;
    assert_eq!(r.headers()["location"], "/home");
    let r = login(
        &client,
        &guard,
        "198.51.100.99",
        "alice@example.com",
        LOGIN_PASSWORD,
    )
    .await;
    assert_eq!(r.headers()["location"], "/home");

    let e = guard.wait_events("new_ip_login", 1);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["source"]["ip"], "198.51.100.99");
    assert_eq!(e[0]["palisade"]["fields"]["notified"], "true");

    let mail = smtp.wait_for_mail();
    assert_eq!(mail["rcpt_tos"][0], "alice@example.com", "{mail}");
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("198.51.100.99"), "{body}");
    let link = body
        .lines()
        .find(|l| l.contains("/.palisade/report/"))
        .unwrap_or_else(|| panic!("no link in {body}"))
        .trim();
    let path = link.strip_prefix("https://app.example.com").unwrap();
    let token = path.rsplit('/').next().unwrap();

    // The user opens it: the address is banned, a critical event is stored.
    let r = client
        .get(format!("{}{path}", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", "198.51.100.99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let critical: Vec<Value> = guard
        .wait_events("new_ip_login", 2)
        .into_iter()
        .filter(|e| e["log"]["level"] == "critical")
        .collect();
    assert_eq!(critical.len(), 1, "{critical:?}");
    assert_eq!(critical[0]["source"]["ip"], "198.51.100.99");
    assert!(
        !critical[0].to_string().contains(token),
        "the token is a capability: {}",
        critical[0]
    );

    // Single use.
    let r = client
        .get(format!("{}{path}", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The token never reaches an event, a database or the log.
    assert_eq!(files_containing(guard.dir(), token), Vec::<PathBuf>::new());
    // A forged one is refused the same way.
    let r = client
        .get(format!(
            "{}/.palisade/report/eyJ1IjoiYSJ9.AAAA",
            guard.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn apps_report_logins_through_the_admin_api() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start_with_admin(
        bin(),
        &upstream.url(),
        TRUST_LOCAL,
        "token = \"admin-token-for-tests\"",
        LOGIN_ROUTE,
    );
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/auth/events", guard.admin);
    let r = client
        .post(&url)
        .json(&serde_json::json!({"user": "bob", "ip": "203.0.113.8", "outcome": "failure"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the token is required");
    let r = client
        .post(&url)
        .bearer_auth("admin-token-for-tests")
        .json(&serde_json::json!({"user": "bob", "ip": "203.0.113.8", "outcome": "failure", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a password never belongs in a report");
    for _ in 0..10 {
        let r = client
            .post(&url)
            .bearer_auth("admin-token-for-tests")
            .json(&serde_json::json!({"user": "bob", "ip": "203.0.113.8", "outcome": "failure", "source": "mobile"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let r = reqwest::Client::new()
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", "203.0.113.8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "reported failures ban too");
    let e = guard.wait_events("brute_force", 1);
    assert!(
        e.iter().any(|e| e["source"]["ip"] == "203.0.113.8"),
        "{e:?}"
    );
}

#[tokio::test]
async fn known_login_networks_survive_a_restart() {
    let upstream = TestUpstream::start();
    let mut guard = GuardProcess::start(bin(), &upstream.url(), TRUST_LOCAL, LOGIN_ROUTE);
    let client = no_redirects();
    // The first login of a user is learnt silently.
    let ok = login(&client, &guard, "192.0.2.44", "carol", LOGIN_PASSWORD).await;
    assert_eq!(ok.status(), 302);
    let file = guard.dir().join("palisade-known-logins.jsonl");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&file).is_ok_and(|t| t.contains("carol")) {
        assert!(Instant::now() < deadline, "the pair was never saved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    guard.restart();
    // A fresh client: the old one's pooled connection died with the old process.
    let client = no_redirects();
    // Same network after the restart: known, no event.
    let ok = login(&client, &guard, "192.0.2.45", "carol", LOGIN_PASSWORD).await;
    assert_eq!(ok.status(), 302);
    // Another network: a new-IP login.
    let ok = login(&client, &guard, "203.0.113.80", "carol", LOGIN_PASSWORD).await;
    assert_eq!(ok.status(), 302);
    let events = guard.wait_events("new_ip_login", 1);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["source"]["ip"], "203.0.113.80");
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains(LOGIN_PASSWORD),
        "only users and networks are kept"
    );
}
