//! The console in a real browser: Debian's headless Chromium, driven over WebDriver
//! (fantoccini → chromedriver), against a real guard whose admin listener serves the console.
//! Everything is on 127.0.0.1; a missing Chromium fails the tests (`./scripts/test` installs
//! it). Each test is bounded in time, and every page it loads is checked for CSP violations
//! (the browser's console log plus a `securitypolicyviolation` listener). Screenshots of every
//! page land in `<target>/console-screenshots/`.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use palisade_test_support::browser::{Browser, screenshot_dir};
use palisade_test_support::console::status_through_guard;
use palisade_test_support::{GuardProcess, LOGIN_ROUTE, TestUpstream};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const TOKEN: &str = "browser-test-token-0123456789";
const ADMIN: &str = "token = \"browser-test-token-0123456789\"";
const TRUST_LOCAL: &str = "trusted_proxies = [\"127.0.0.1/32\"]";

/// Every test's ceiling: a hung browser or guard fails the test, and dropping the future kills
/// both.
const TEST_LIMIT: Duration = Duration::from_secs(50);

async fn bounded(test: impl Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("the test did not finish within {TEST_LIMIT:?}");
    }
}

/// Polls `probe` every 100 ms until it gives a value, for at most `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the guard answers `ip` with `want`.
async fn guard_answers(guard: &GuardProcess, ip: &str, want: u16) {
    eventually(
        &format!("the guard answers {ip} with {want}"),
        Duration::from_secs(5),
        || async { (status_through_guard(guard, ip).await == want).then_some(()) },
    )
    .await;
}

fn console(guard: &GuardProcess) -> String {
    format!("http://{}", guard.admin)
}

/// The path of the page the browser shows.
async fn path_of(b: &Browser) -> String {
    b.current_url().await.unwrap().path().to_owned()
}

async fn assert_path(b: &Browser, path: &str) {
    assert_eq!(path_of(b).await, path, "the browser shows another page");
}

async fn body_text(b: &Browser) -> String {
    b.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks what `locator` finds and waits until the browser shows the document that click led
/// to (a marker set on the old one is gone, the new one has loaded), then watches it for CSP
/// violations. A form answered on the same path (a refused login) is told apart this way.
async fn click_through(b: &Browser, locator: Locator<'_>) {
    b.execute("window.__palisadeBefore = true;", vec![])
        .await
        .unwrap();
    b.find(locator)
        .await
        .unwrap_or_else(|e| panic!("nothing to click at {locator:?}: {e}"))
        .click()
        .await
        .unwrap();
    eventually(
        &format!("the page after clicking {locator:?} loads"),
        Duration::from_secs(10),
        || async {
            let fresh = b
                .execute(
                    "return !window.__palisadeBefore && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()?;
            (fresh == true).then_some(())
        },
    )
    .await;
    b.watch_csp().await;
}

/// Fails with the page's name when the browser reported a CSP violation since the last check.
async fn assert_no_csp_violation(b: &Browser, page: &str) {
    let violations = b.csp_violations().await;
    assert!(
        violations.is_empty(),
        "{page} violates the console's CSP:\n{}",
        violations.join("\n")
    );
}

/// Types `token` into the login form and submits it.
async fn submit_login(b: &Browser, token: &str) {
    let field = b.find(Locator::Id("token")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(token).await.unwrap();
    click_through(b, Locator::Css("form.login button[type=submit]")).await;
}

/// Logs the browser in with the admin token; it ends on the overview.
async fn log_in(b: &Browser, console: &str) {
    b.open(&format!("{console}/console/login")).await;
    submit_login(b, TOKEN).await;
    assert_path(b, "/console").await;
}

/// Ten failed logins through the guard as `ip`: brute force, so the guard bans it.
async fn brute_force(guard: &GuardProcess, ip: &str) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for i in 0..10 {
        let r = client
            .post(format!("{}/login", guard.url()))
            .header("x-forwarded-for", ip)
            .form(&[("username", "alice"), ("password", "not-the-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "failed login {i} reaches the app");
    }
}

/// The CSP check is not vacuous: a page that breaks its policy while loading (the browser's
/// log) and after (the `securitypolicyviolation` listener) is caught both ways.
#[tokio::test]
async fn the_csp_check_catches_violations() {
    bounded(async {
        let b = Browser::start().await;
        b.open(
            "data:text/html,<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
             <p style=\"color: red\">inline style</p><script>document.title = 'ran';</script>",
        )
        .await;
        // A script added later: only the listener sees it as an event.
        b.execute(
            "var s = document.createElement('script'); s.textContent = '1'; document.body.appendChild(s);",
            vec![],
        )
        .await
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen: Vec<String> = Vec::new();
        loop {
            seen.extend(b.csp_violations().await);
            let logged = seen
                .iter()
                .filter(|m| m.contains("Content Security Policy"))
                .count();
            let heard = seen
                .iter()
                .any(|m| m.starts_with("securitypolicyviolation: script-src"));
            if logged >= 2 && heard {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the inline style and script are logged, the added script heard: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(b.title().await.unwrap(), "", "the inline script did not run");
    })
    .await;
}

#[tokio::test]
async fn login_refuses_a_wrong_token_with_401_and_opens_the_overview_with_the_right_one() {
    bounded(async {
        let up = TestUpstream::start();
        let guard = GuardProcess::start_with_admin(bin(), &up.url(), "", ADMIN, "");
        let console = console(&guard);
        let b = Browser::start().await;

        // Logged out, the console sends the browser to its login form.
        b.open(&format!("{console}/console")).await;
        assert_path(&b, "/console/login").await;
        assert_no_csp_violation(&b, "the login page").await;

        submit_login(&b, "not-the-admin-token").await;
        assert_path(&b, "/console/login").await;
        assert_eq!(b.page_status().await, 401, "a wrong token is answered 401");
        let text = body_text(&b).await;
        assert!(text.contains("That is not the admin token."), "{text}");
        assert_no_csp_violation(&b, "the failed login").await;

        submit_login(&b, TOKEN).await;
        assert_path(&b, "/console").await;
        assert_eq!(b.page_status().await, 200);
        let h1 = b
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(h1, "Last 24 hours");
        // The session cookie is HttpOnly: no script of the page can read it.
        let cookies = b.execute("return document.cookie;", vec![]).await.unwrap();
        assert!(
            !cookies.as_str().unwrap_or("").contains("palisade_session"),
            "{cookies}"
        );
        assert_no_csp_violation(&b, "the overview").await;
    })
    .await;
}

#[tokio::test]
async fn a_brute_force_ban_appears_live_and_is_lifted_from_the_black_book() {
    bounded(async {
        let up = TestUpstream::start();
        let guard =
            GuardProcess::start_with_admin(bin(), &up.url(), TRUST_LOCAL, ADMIN, LOGIN_ROUTE);
        let console = console(&guard);
        let attacker = "198.51.100.23";
        assert_eq!(status_through_guard(&guard, attacker).await, 200);

        let b = Browser::start().await;
        log_in(&b, &console).await;
        b.open(&format!("{console}/console/events")).await;
        // The live tail is connected before the ban happens.
        eventually(
            "the live tail connects",
            Duration::from_secs(10),
            || async {
                let status = b.find(Locator::Id("live-status")).await.ok()?;
                (status.text().await.ok()? == "live").then_some(())
            },
        )
        .await;
        // Survives only if the page is never reloaded.
        b.execute("window.__palisadeNotReloaded = 'still here';", vec![])
            .await
            .unwrap();

        brute_force(&guard, attacker).await;
        let row = eventually(
            "the ip_banned row appears in the live events page",
            Duration::from_secs(15),
            || async {
                let rows = b
                    .execute(
                        "return Array.from(document.querySelectorAll('#live-events tbody tr.live'))\
                         .map(function (r) { return r.innerText; });",
                        vec![],
                    )
                    .await
                    .ok()?;
                rows.as_array()?
                    .iter()
                    .filter_map(|r| r.as_str())
                    .find(|r| r.contains("ip_banned") && r.contains(attacker))
                    .map(str::to_owned)
            },
        )
        .await;
        assert!(row.contains(attacker), "{row}");
        let marker = b
            .execute("return window.__palisadeNotReloaded || null;", vec![])
            .await
            .unwrap();
        assert_eq!(marker, "still here", "the events page was reloaded");
        assert_eq!(path_of(&b).await, "/console/events");
        assert_no_csp_violation(&b, "the live events page").await;

        assert_eq!(
            status_through_guard(&guard, attacker).await,
            403,
            "the guard refuses the banned address"
        );

        b.open(&format!("{console}/console/blackbook")).await;
        assert_no_csp_violation(&b, "the black book").await;
        let unban = format!(
            "//form[@action='/console/blackbook/unban']\
             [input[@name='target'][starts-with(@value, '{attacker}')]]//button"
        );
        click_through(&b, Locator::XPath(&unban)).await;
        assert_path(&b, "/console/blackbook").await;
        assert_eq!(b.page_status().await, 200);
        assert!(
            b.find_all(Locator::XPath(&unban)).await.unwrap().is_empty(),
            "the ban is still listed"
        );
        assert_no_csp_violation(&b, "the black book after the unban").await;
        guard_answers(&guard, attacker, 200).await;
    })
    .await;
}

#[tokio::test]
async fn state_changing_forms_without_the_right_csrf_token_are_refused() {
    bounded(async {
        let up = TestUpstream::start();
        let guard = GuardProcess::start_with_admin(bin(), &up.url(), TRUST_LOCAL, ADMIN, "");
        let console = console(&guard);
        let target = "203.0.113.61";
        let b = Browser::start().await;
        log_in(&b, &console).await;

        // The CSRF field removed from the ban form: 403, nothing banned.
        b.open(&format!("{console}/console/blackbook")).await;
        b.execute(
            "var f = document.querySelector(\"form[action='/console/blackbook/ban']\");\
             f.querySelector('input[name=csrf]').remove();\
             f.querySelector('input[name=target]').value = arguments[0];",
            vec![target.into()],
        )
        .await
        .unwrap();
        let submit = "form[action='/console/blackbook/ban'] button[type=submit]";
        click_through(&b, Locator::Css(submit)).await;
        assert_path(&b, "/console/blackbook/ban").await;
        assert_eq!(b.page_status().await, 403, "no CSRF token: 403");
        let text = body_text(&b).await;
        assert!(text.contains("missing CSRF token"), "{text}");
        assert_no_csp_violation(&b, "the refusal").await;
        assert_eq!(status_through_guard(&guard, target).await, 200);

        // The session cookie goes along, but with a wrong token: 403 too.
        b.open(&format!("{console}/console/blackbook")).await;
        b.execute(
            "var f = document.querySelector(\"form[action='/console/blackbook/ban']\");\
             f.querySelector('input[name=csrf]').value = 'forged-' + Date.now();\
             f.querySelector('input[name=target]').value = arguments[0];",
            vec![target.into()],
        )
        .await
        .unwrap();
        click_through(&b, Locator::Css(submit)).await;
        assert_path(&b, "/console/blackbook/ban").await;
        assert_eq!(b.page_status().await, 403, "a wrong CSRF token: 403");
        let text = body_text(&b).await;
        assert!(text.contains("wrong CSRF token"), "{text}");
        assert_no_csp_violation(&b, "the refusal").await;
        assert_eq!(status_through_guard(&guard, target).await, 200);

        // The same form, untouched, works: the refusals were the token's doing.
        b.open(&format!("{console}/console/blackbook")).await;
        b.find(Locator::Css(
            "form[action='/console/blackbook/ban'] input[name=target]",
        ))
        .await
        .unwrap()
        .send_keys(target)
        .await
        .unwrap();
        click_through(&b, Locator::Css(submit)).await;
        assert_path(&b, "/console/blackbook").await;
        assert_no_csp_violation(&b, "the black book").await;
        guard_answers(&guard, target, 403).await;
    })
    .await;
}

/// A search on a web-development tutorial site: its users look up markup, which the XSS rules
/// rightly flag anywhere else — a false positive to exclude for this path and field.
const FALSE_POSITIVE: &str = "/echo/search?q=%3Cscript%20src%3D%22app.js%22%3E%3C%2Fscript%3E";

#[tokio::test]
async fn an_exclusion_made_from_a_false_positive_lets_the_request_pass() {
    bounded(async {
        let up = TestUpstream::start();
        // GuardProcess writes this config to a file in its temp dir: the exclusion goes there.
        let guard = GuardProcess::start_with_admin(
            bin(),
            &up.url(),
            "",
            ADMIN,
            "[detect]\nmode = \"block\"\n",
        );
        let console = console(&guard);
        let search = format!("{}{FALSE_POSITIVE}", guard.url());
        let get = || async { reqwest::get(&search).await.unwrap().status().as_u16() };
        assert_eq!(get().await, 403, "the detection engine blocks the search");

        let b = Browser::start().await;
        log_in(&b, &console).await;
        b.open(&format!(
            "{console}/console/events?category=malicious_traffic"
        ))
        .await;
        click_through(&b, Locator::Css("#live-events tbody tr a")).await;
        let event = path_of(&b).await;
        assert!(event.starts_with("/console/events/"), "{event}");
        assert_no_csp_violation(&b, "the event page").await;
        let Ok(form) = b.find(Locator::Id("exclude-form")).await else {
            panic!(
                "the event page has no #exclude-form (is the exclusion feature in yet?):\n{}",
                body_text(&b).await
            );
        };
        let action = form.attr("action").await.unwrap();
        assert_eq!(action.as_deref(), Some("/console/rules/exclusions"));
        let prefilled = b
            .execute(
                "var f = document.getElementById('exclude-form'); var o = {};\
                 ['path', 'location', 'rules', 'csrf'].forEach(function (n) {\
                   var i = f.elements[n]; o[n] = i ? i.value : null; });\
                 return o;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            prefilled["csrf"].as_str().is_some_and(|c| !c.is_empty()),
            "{prefilled}"
        );
        let path = prefilled["path"].as_str().unwrap_or("").to_owned();
        assert!(
            !path.is_empty() && "/echo/search".starts_with(&path),
            "{prefilled}"
        );
        // The place the rule fired, when the event names it (`any` otherwise).
        let location = prefilled["location"].as_str().unwrap_or("");
        assert!(location.is_empty() || location == "query:q", "{prefilled}");
        let rules = prefilled["rules"].as_str().unwrap_or("").to_owned();
        let rule = rules
            .split([',', ' '])
            .find(|r| r.starts_with("xss-"))
            .unwrap_or_else(|| panic!("no XSS rule pre-filled: {prefilled}"))
            .to_owned();
        click_through(&b, Locator::Id("exclude-submit")).await;
        assert_path(&b, "/console/rules").await;
        assert_eq!(b.page_status().await, 200);
        let listed = b
            .find(Locator::Id("exclusions"))
            .await
            .expect("the rules page lists exclusions")
            .text()
            .await
            .unwrap();
        assert!(listed.contains(&path) && listed.contains(&rule), "{listed}");
        assert_no_csp_violation(&b, "the rules page").await;

        // Reloaded in place: the same search now reaches the app.
        eventually("the search passes", Duration::from_secs(5), || async {
            (get().await == 200).then_some(())
        })
        .await;
        let config = std::fs::read_to_string(guard.config_path()).unwrap();
        assert!(config.contains("[[detect.exclude]]"), "{config}");
        assert!(config.contains(&rule), "{config}");
        // Other attacks are still blocked.
        let attack = format!(
            "{}/echo/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--",
            guard.url()
        );
        assert_eq!(reqwest::get(&attack).await.unwrap().status(), 403);
    })
    .await;
}

/// Every page of the console, loaded in the browser with something to show: each must answer
/// 200 without a CSP violation, and leaves a screenshot for review.
#[tokio::test]
async fn every_page_renders_without_a_csp_violation_and_is_captured() {
    bounded(async {
        let up = TestUpstream::start();
        let guard = GuardProcess::start_with_admin(
            bin(),
            &up.url(),
            TRUST_LOCAL,
            ADMIN,
            &format!("{LOGIN_ROUTE}\n[detect]\nmode = \"block\"\n"),
        );
        let console = console(&guard);
        // Something on every page: a blocked attack, failed logins and the ban they earn.
        let attack = format!("{}{FALSE_POSITIVE}", guard.url());
        assert_eq!(reqwest::get(&attack).await.unwrap().status(), 403);
        brute_force(&guard, "198.51.100.44").await;
        guard_answers(&guard, "198.51.100.44", 403).await;

        let b = Browser::start().await;
        let mut problems = Vec::new();
        let mut check = async |name: &str, expect_path: &str, status: u16| {
            if path_of(&b).await != expect_path {
                problems.push(format!("{name}: landed on {}", path_of(&b).await));
            }
            let got = b.page_status().await;
            if got != status {
                problems.push(format!("{name}: answered {got}, not {status}"));
            }
            let violations = b.csp_violations().await;
            if !violations.is_empty() {
                problems.push(format!(
                    "{name}: CSP violations:\n{}",
                    violations.join("\n")
                ));
            }
            b.screenshot(name).await;
        };

        b.open(&format!("{console}/console/login")).await;
        check("login", "/console/login", 200).await;
        submit_login(&b, "not-the-admin-token").await;
        assert_path(&b, "/console/login").await;
        check("login-refused", "/console/login", 401).await;
        submit_login(&b, TOKEN).await;
        assert_path(&b, "/console").await;
        check("overview", "/console", 200).await;

        b.open(&format!("{console}/console/events")).await;
        check("events", "/console/events", 200).await;
        // The detection event: its page offers the exclusion form.
        b.open(&format!(
            "{console}/console/events?category=malicious_traffic"
        ))
        .await;
        let detail = b
            .find(Locator::Css("#live-events tbody tr a"))
            .await
            .expect("the blocked attack is listed")
            .attr("href")
            .await
            .unwrap()
            .expect("the event link has an href");
        b.open(&format!("{console}{detail}")).await;
        check("event", &detail, 200).await;

        for page in ["blackbook", "logins", "dependencies", "rules"] {
            let path = format!("/console/{page}");
            b.open(&format!("{console}{path}")).await;
            check(page, &path, 200).await;
        }
        assert!(
            problems.is_empty(),
            "{}\n(screenshots in {})",
            problems.join("\n"),
            screenshot_dir().display()
        );
    })
    .await;
}
