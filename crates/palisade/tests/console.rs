//! The console on a real guard's admin listener: log in with the admin token, ban an address
//! from the black-book page (CSRF-checked), and the guard refuses it; unban, and it is served
//! again. (The browser tests of the console come with its next slice.)

use std::path::Path;

use palisade_test_support::{GuardProcess, TestUpstream};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const TOKEN: &str = "console-test-token-0123456789";

fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf-token\" content=\"")
        .unwrap_or_else(|| panic!("no csrf meta in {page}"));
    let rest = &page[at + "name=\"csrf-token\" content=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

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
    let console = format!("http://{}", guard.admin);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let through_guard = |ip: &'static str| {
        let client = reqwest::Client::new();
        let url = format!("{}/echo", guard.url());
        async move {
            client
                .get(url)
                .header("x-forwarded-for", ip)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(through_guard("203.0.113.77").await, 200);

    // Logged out: the console sends you to its login page.
    let r = client
        .get(format!("{console}/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = client
        .post(format!("{console}/console/login"))
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(format!("{console}/console/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // The browser's part: send the session back.
    let session = cookie.split(';').next().unwrap().to_owned();

    let page = client
        .get(format!("{console}/console/blackbook"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let csrf = csrf_of(&page.text().await.unwrap());

    // Without the CSRF token: refused.
    let r = client
        .post(format!("{console}/console/blackbook/ban"))
        .header("cookie", &session)
        .form(&[
            ("target", "203.0.113.77"),
            ("ttl", "1h"),
            ("reason", "console test"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .post(format!("{console}/console/blackbook/ban"))
        .header("cookie", &session)
        .form(&[
            ("target", "203.0.113.77"),
            ("ttl", "1h"),
            ("reason", "console test"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        through_guard("203.0.113.77").await,
        403,
        "the guard refuses the banned address"
    );
    assert_eq!(through_guard("203.0.113.78").await, 200);

    let r = client
        .post(format!("{console}/console/blackbook/unban"))
        .header("cookie", &session)
        .form(&[("target", "203.0.113.77/32"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(through_guard("203.0.113.77").await, 200);

    // The JSON API with the admin token as a bearer.
    let events = reqwest::Client::new()
        .get(format!("{console}/api/v1/blackbook"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
}
