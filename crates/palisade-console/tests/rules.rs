//! The Rules page and API over a `RulesControl` that keeps its exclusions in memory (the
//! binary's own, over a config file and a running guard, is tested end to end in
//! crates/palisade/tests/console.rs): what is shown, what is forwarded, what is refused.

mod common;

use std::sync::{Arc, Mutex};

use common::{Browser, Harness, Site};
use palisade_console::{Console, ConsoleSettings, ExclusionSpec, RulesControl, RulesView};
use palisade_core::{AppControl, AppStatus, Category, ControlError, Event, Severity};
use reqwest::header::LOCATION;

const TOKEN: &str = "rules-token-0123456789";
const EXCLUSIONS: &str = "/console/rules/exclusions";

#[derive(Default)]
struct Rules {
    added: Mutex<Vec<ExclusionSpec>>,
}

impl RulesControl for Rules {
    fn view(&self) -> RulesView {
        RulesView {
            mode: "block".into(),
            paranoia: 1,
            threshold: 5,
            exclusions: self.added.lock().unwrap().clone(),
            config: Some("/etc/palisade/palisade.toml".into()),
        }
    }

    fn add_exclusion(&self, exclusion: &ExclusionSpec) -> Result<(), String> {
        if exclusion
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("bogus"))
        {
            return Err("`detect.exclude.0.location`: unknown location kind `bogus`".into());
        }
        self.added.lock().unwrap().push(exclusion.clone());
        Ok(())
    }
}

struct App;

impl AppControl for App {
    fn status(&self) -> AppStatus {
        AppStatus {
            name: "shop<b>".into(),
            command: vec!["node".into()],
            state: "backoff".into(),
            pid: None,
            supervisor_pid: 1,
            uptime_secs: None,
            restarts: 3,
            last_exit: None,
            memory_bytes: None,
            port: Some(3000),
            health_failures: 0,
        }
    }
    fn restart(&self) -> Result<(), ControlError> {
        Ok(())
    }
    fn stop(&self) -> Result<(), ControlError> {
        Ok(())
    }
}

/// The rules control the console forwards to, the stored events' ids and the store's directory.
struct Fixture {
    rules: Arc<Rules>,
    blocked_id: String,
    login_id: String,
    _dir: tempfile::TempDir,
}

async fn start(with_rules: bool) -> Harness<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut blocked = Event::new(Category::MaliciousTraffic, Severity::High, "sqli blocked")
        .with_request("r1", "GET", None, "/search?q=select+the+best")
        .with_rule("sqli-fingerprint-weak")
        .with_field(
            "finding.1",
            "sqli-fingerprint-weak at query:q: select the best",
        );
    blocked.rules.push("sqli-tautology".into());
    let login = Event::new(Category::AuthFailure, Severity::Low, "bad password").with_user("al");
    let (blocked_id, login_id) = (blocked.id.to_string(), login.id.to_string());
    let mut store = palisade_events::Store::open(&db).unwrap();
    store.append(&[blocked, login], &[]).unwrap();
    let rules = Arc::new(Rules::default());
    let console = Console::new(ConsoleSettings {
        token: TOKEN.into(),
        events_db: Some(db),
        rules: with_rules.then(|| rules.clone() as Arc<dyn RulesControl>),
        app: Some(Arc::new(App)),
        ..Default::default()
    });
    Harness {
        site: Site::start(console, TOKEN).await,
        fixture: Fixture {
            rules,
            blocked_id,
            login_id,
            _dir: dir,
        },
    }
}

#[tokio::test]
async fn a_false_positive_becomes_an_exclusion() {
    let h = start(true).await;
    let Browser { cookie, csrf } = h.login().await;

    let (status, page) = h
        .get_page(
            &format!("/console/events/{}", h.fixture.blocked_id),
            &cookie,
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"exclude-form\""), "{page}");
    assert!(
        page.contains("name=\"path\" value=\"&#x2f;search\""),
        "{page}"
    );
    assert!(
        page.contains("name=\"location\" value=\"query:q\""),
        "{page}"
    );
    assert!(
        page.contains("value=\"sqli-fingerprint-weak, sqli-tautology\""),
        "{page}"
    );
    assert!(page.contains("href=\"/console/rules#rule-sqli-tautology\""));
    let (_, page) = h
        .get_page(&format!("/console/events/{}", h.fixture.login_id), &cookie)
        .await;
    assert!(
        !page.contains("exclude-form"),
        "a login failure is no false positive"
    );

    let form = [
        ("path", "/search"),
        ("location", "query:q"),
        ("rules", "sqli-fingerprint-weak, sqli-tautology"),
    ];
    let res = h.post_form(EXCLUSIONS, &cookie, &form).await;
    assert_eq!(res.status(), 403, "no CSRF token");
    let mut with_csrf = form.to_vec();
    with_csrf.push(("csrf", "wrong"));
    assert_eq!(
        h.post_form(EXCLUSIONS, &cookie, &with_csrf).await.status(),
        403
    );
    assert!(h.fixture.rules.added.lock().unwrap().is_empty());
    with_csrf.pop();
    with_csrf.push(("csrf", &csrf));
    let res = h.post_form(EXCLUSIONS, &cookie, &with_csrf).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/console/rules?added=1");
    assert_eq!(
        h.fixture.rules.added.lock().unwrap()[0],
        ExclusionSpec {
            path: Some("/search".into()),
            location: Some("query:q".into()),
            rules: vec!["sqli-fingerprint-weak".into(), "sqli-tautology".into()],
        }
    );

    let (_, page) = h.get_page("/console/rules?added=1", &cookie).await;
    assert!(page.contains("id=\"flash\""));
    let table = page.split("id=\"exclusions\"").nth(1).unwrap();
    assert!(table.contains("<code>&#x2f;search</code>") && table.contains("<code>query:q</code>"));
    assert!(
        page.contains("id=\"rule-sqli-union-select\""),
        "the catalogue"
    );

    // Refused by the control: the message is shown, nothing added.
    let res = h
        .post_form(
            EXCLUSIONS,
            &cookie,
            &[("location", "bogus:x"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("unknown location kind"));
    // Refused before the control: an exclusion that would switch detection off.
    let res = h.post_form(EXCLUSIONS, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(h.fixture.rules.added.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_api_reads_and_adds_exclusions() {
    let h = start(true).await;
    let url = format!("{}/api/v1/rules", h.base);
    let res = h.http.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let view = h.api_json("/api/v1/rules").await;
    assert_eq!(
        (view["mode"].as_str(), view["paranoia"].as_u64()),
        (Some("block"), Some(1))
    );
    let add = |body: serde_json::Value| {
        h.http
            .post(format!("{url}/exclusions"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let res = add(
        serde_json::json!({"path": "/api/notes", "location": "json:/body", "rules": ["xss-*"]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let view: serde_json::Value = res.json().await.unwrap();
    assert_eq!(view["exclusions"][0]["rules"][0], "xss-*");
    let res = add(serde_json::json!({"path": "no-slash"})).await.unwrap();
    assert_eq!(res.status(), 400);
    let res = add(serde_json::json!({"path": 3})).await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn without_a_rules_control_the_page_says_so_and_the_overview_shows_the_app() {
    let h = start(false).await;
    let Browser { cookie, csrf } = h.login().await;
    let (status, page) = h.get_page("/console/rules", &cookie).await;
    assert_eq!(status, 200);
    assert!(page.contains("does not expose its detection rules"));
    let res = h
        .post_form(EXCLUSIONS, &cookie, &[("path", "/a"), ("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), 503);

    let (_, page) = h.get_page("/console", &cookie).await;
    let app = page.split("id=\"app-status\"").nth(1).expect("app section");
    assert!(app.contains("shop&lt;b&gt;") && app.contains("backoff") && app.contains(">3<"));
    let o = h.api_json("/api/v1/overview").await;
    assert_eq!(o["app"]["restarts"], 3);
}

#[tokio::test]
async fn guessing_the_token_is_throttled() {
    let h = start(true).await;
    let login = |token: &'static str| h.post_login(token);
    for _ in 0..palisade_console::session::MAX_FAILURES {
        assert_eq!(login("guess").await.status(), 401);
    }
    // Even the right token waits out the window, and so does the API.
    assert_eq!(login(TOKEN).await.status(), 429);
    let res = h.api_get("/api/v1/rules").await;
    assert_eq!(res.status(), 401);
}
