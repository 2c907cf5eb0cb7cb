//! Response hardening beyond Helmet, through a real guard process: TLS-aware HSTS and
//! `upgrade-insecure-requests`, CSP nonces written into streamed HTML, CSP report collection,
//! `Set-Cookie` hardening, and the scrubbing of the app's 5xx pages.

use std::path::Path;

use palisade_test_support::{GuardProcess, PAGE_SCRIPTS, STACK_TRACE, TestUpstream, raw_get};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

fn field<'a>(event: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    event["palisade"]["fields"][name].as_str()
}

/// A guard with a TLS listener (self-signed for `localhost`) and a client that trusts it.
fn tls_guard(
    up: &TestUpstream,
    tail: &str,
) -> (
    GuardProcess,
    reqwest::Client,
    palisade_test_support::SelfSigned,
) {
    let tls = palisade_test_support::SelfSigned::localhost();
    let guard = GuardProcess::start(bin(), &up.url(), &tls.guard_tls(), tail);
    let root = reqwest::Certificate::from_pem(tls.pem.as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", guard.addr)
        .build()
        .unwrap();
    (guard, client, tls)
}

fn has_upgrade(csp: &str) -> bool {
    csp.split(';')
        .any(|d| d.trim() == "upgrade-insecure-requests")
}

#[tokio::test]
async fn hsts_and_upgrade_only_over_https() {
    let up = TestUpstream::start();

    // Plain HTTP: neither, and the rest of helmet's set is there.
    let plain = GuardProcess::start(bin(), &up.url(), "", "");
    let resp = raw_get(plain.addr, "/echo", &[]);
    assert!(resp.header("strict-transport-security").is_none());
    let csp = resp.header("content-security-policy").unwrap();
    assert!(!has_upgrade(csp), "{csp}");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert_eq!(resp.header("x-frame-options"), Some("SAMEORIGIN"));
    // A client cannot claim HTTPS: only a trusted proxy's X-Forwarded-Proto counts.
    let forged = raw_get(plain.addr, "/echo", &[("X-Forwarded-Proto", "https")]);
    assert!(forged.header("strict-transport-security").is_none());

    // Behind a trusted TLS-terminating proxy: both.
    let behind = GuardProcess::start(bin(), &up.url(), "trusted_proxies = [\"127.0.0.1/32\"]", "");
    let resp = raw_get(behind.addr, "/echo", &[("X-Forwarded-Proto", "https")]);
    assert_eq!(
        resp.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    assert!(has_upgrade(resp.header("content-security-policy").unwrap()));
    let resp = raw_get(behind.addr, "/echo", &[("X-Forwarded-Proto", "http")]);
    assert!(resp.header("strict-transport-security").is_none());

    // TLS at the guard itself: both.
    let (tls, client, _dir) = tls_guard(&up, "");
    let resp = client
        .get(format!("https://localhost:{}/echo", tls.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(has_upgrade(csp), "{csp}");

    // tls_aware = false: helmet's behaviour, always sent.
    let always = GuardProcess::start(bin(), &up.url(), "", "[headers]\ntls_aware = false\n");
    let resp = raw_get(always.addr, "/echo", &[]);
    assert!(resp.header("strict-transport-security").is_some());
    assert!(has_upgrade(resp.header("content-security-policy").unwrap()));
}

/// The `nonce-…` value of a CSP's script-src.
fn script_nonce(csp: &str) -> String {
    let directive = csp
        .split(';')
        .find(|d| d.trim_start().starts_with("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {csp}"));
    directive
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no nonce in {csp}"))
        .to_owned()
}

#[tokio::test]
async fn auto_nonce_is_written_into_every_script_and_style_of_streamed_html() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "",
        "[headers]\ncontent_security_policy = { nonce = \"auto\" }\n",
    );
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let resp = client
            .get(format!("{}/page", guard.url()))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers().get("etag").is_none(),
            "the bytes changed: no strong validator"
        );
        let nonce = script_nonce(resp.headers()["content-security-policy"].to_str().unwrap());
        let body = resp.text().await.unwrap();
        let tagged = body.matches(&format!("nonce=\"{nonce}\"")).count();
        assert_eq!(tagged, PAGE_SCRIPTS, "{body}");
        assert!(
            !body.contains("app-chosen"),
            "the app's stale nonce is replaced"
        );
        assert!(
            body.contains("<h1 onclick=\"alert(1)\">"),
            "handlers get nothing"
        );
        assert!(body.contains("<link rel=\"icon\" href=\"/favicon.ico\">"));
        assert!(body.contains("<!-- <script>not a tag</script> -->"));
        assert!(
            body.contains("greeting: '<script>'"),
            "script text untouched"
        );
        assert!(body.ends_with("</body></html>"));
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "a fresh nonce per response");

    // The app got the page request uncompressed (the rewriter reads the bytes).
    let echo = |accept: &'static str| {
        let request = client
            .get(format!("{}/echo", guard.url()))
            .header("accept", accept)
            .header("accept-encoding", "gzip");
        async move {
            let seen: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            seen
        }
    };
    let echoed = echo("text/html").await;
    assert!(
        echoed["headers"].get("accept-encoding").is_none(),
        "{echoed}"
    );
    // An API call keeps its compression.
    let echoed = echo("application/json").await;
    assert_eq!(echoed["headers"]["accept-encoding"], "gzip");

    // JSON is not rewritten, and its policy names no nonce.
    let resp = client
        .get(format!("{}/json", guard.url()))
        .send()
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("'nonce-"), "{csp}");
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"html":"<script>x()</script><style></style>"}"#
    );

    // A 304 carries no policy: the cached page keeps the one matching its nonces.
    let resp = raw_get(guard.addr, "/not-modified", &[]);
    assert_eq!(resp.status(), 304);
    assert!(resp.header("content-security-policy").is_none());
    assert_eq!(resp.header("x-frame-options"), Some("SAMEORIGIN"));
}

#[test]
fn csp_reports_are_stored_as_events() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &up.url(),
        "",
        "[headers.content_security_policy]\nreport = true\nreport_only = true\n",
    );
    let resp = raw_get(guard.addr, "/echo", &[]);
    let csp = resp.header("content-security-policy-report-only").unwrap();
    assert!(
        csp.ends_with(";report-uri /.palisade/csp-report;report-to palisade-csp"),
        "{csp}"
    );
    assert_eq!(
        resp.header("reporting-endpoints"),
        Some("palisade-csp=\"/.palisade/csp-report\"")
    );

    let legacy = r#"{"csp-report":{"document-uri":"http://localhost/account?token=s3cret","violated-directive":"script-src-elem","effective-directive":"script-src-elem","original-policy":"default-src 'self'","disposition":"report","blocked-uri":"https://cdn.example.net/lib.js?v=1","status-code":200}}"#;
    let modern = r#"[{"type":"csp-violation","age":10,"url":"http://localhost/","user_agent":"test","body":{"documentURL":"http://localhost/","blockedURL":"inline","effectiveDirective":"style-src-attr","originalPolicy":"default-src 'self'","disposition":"report","sample":"color: red"}}]"#;
    let post = |content_type: &str, body: &str| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
            .args(["-H", &format!("content-type: {content_type}")])
            .args(["--data-binary", body])
            .arg(format!("{}/.palisade/csp-report", guard.url()))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(post("application/csp-report", legacy), "204");
    assert_eq!(post("application/reports+json", modern), "204");
    assert_eq!(post("application/csp-report", "not json"), "400");

    let events = guard.wait_events("csp_violation", 2);
    assert_eq!(events.len(), 2, "{events:?}");
    let script = events
        .iter()
        .find(|e| field(e, "csp_directive") == Some("script-src-elem"))
        .expect("the report-uri report");
    assert_eq!(
        field(script, "csp_blocked"),
        Some("https://cdn.example.net/lib.js")
    );
    let doc = field(script, "csp_document").unwrap();
    assert!(!doc.contains("s3cret"), "query strings are dropped: {doc}");
    assert_eq!(script["source"]["ip"], "127.0.0.1");
    assert!(
        events
            .iter()
            .any(|e| field(e, "csp_directive") == Some("style-src-attr"))
    );
    // The app never sees the reports.
    let before = up.requests();
    post("application/csp-report", legacy);
    assert_eq!(up.requests(), before);

    // The stored reports become a proposal for the policy.
    let out = std::process::Command::new(bin())
        .args([
            "headers",
            "csp-suggest",
            "--min-clients",
            "1",
            "--json",
            "--config",
        ])
        .arg(guard.config_path())
        .arg("--database")
        .arg(guard.dir().join("palisade.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let suggestion: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let proposed = suggestion["proposed_policy"].as_str().unwrap();
    assert!(
        proposed.contains("https://cdn.example.net"),
        "{suggestion:#}"
    );
    assert!(
        suggestion["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["blocked"] == "inline"),
        "inline code is never allowlisted: {suggestion:#}"
    );
}

#[test]
fn scrubbed_5xx_pages_name_the_request_and_keep_the_trace_in_the_log() {
    let up = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &up.url(), "", "[headers]\nscrub_errors = true\n");
    let resp = raw_get(guard.addr, "/fail/500", &[]);
    assert_eq!(resp.status(), 500);
    let body = String::from_utf8_lossy(&resp.body).into_owned();
    let id = resp.header("x-request-id").unwrap().to_owned();
    assert!(body.contains(&id), "{body}");
    assert!(
        !body.contains("TypeError") && !body.contains("/srv/app"),
        "{body}"
    );
    assert!(resp.header("x-powered-by").is_none());
    assert_eq!(
        resp.header("content-length"),
        Some(resp.body.len().to_string().as_str())
    );
    let events = guard.wait_events("upstream_error", 1);
    assert_eq!(events.len(), 1);
    let kept = field(&events[0], "upstream_body").unwrap();
    assert!(kept.contains(STACK_TRACE), "{kept}");
    assert_eq!(field(&events[0], "status"), Some("500"));
    assert_eq!(events[0]["http"]["request"]["id"], id.as_str());

    // 4xx pages are the app's own business.
    let resp = raw_get(guard.addr, "/fail/404", &[]);
    assert!(String::from_utf8_lossy(&resp.body).contains("TypeError"));

    // Off by default.
    let plain = GuardProcess::start(bin(), &up.url(), "", "");
    let resp = raw_get(plain.addr, "/fail/502", &[]);
    assert!(String::from_utf8_lossy(&resp.body).contains("TypeError"));
}

#[tokio::test]
async fn set_cookie_is_hardened_with_per_cookie_exceptions() {
    let up = TestUpstream::start();
    let tail = "[headers.cookies.name.theme]\nhttp_only = false\n";

    // Plain HTTP: HttpOnly and SameSite, never Secure (the cookie would not come back).
    let plain = GuardProcess::start(bin(), &up.url(), "", tail);
    let resp = raw_get(plain.addr, "/cookies", &[]);
    let cookies: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies.len(), 4, "{cookies:?}");
    assert_eq!(cookies[0], "sid=abc123; Path=/; HttpOnly; SameSite=Lax");
    // The page's script reads the CSRF token: not HttpOnly by default.
    assert_eq!(cookies[1], "XSRF-TOKEN=t0k; Path=/; SameSite=Lax");
    // The app's own SameSite and unknown attributes are kept; the exception holds.
    assert_eq!(cookies[2], "theme=dark; SameSite=Strict; Priority=High");

    // HTTPS: Secure too, and the __Host- prefix's rules are repaired.
    let (tls, client, _dir) = tls_guard(&up, tail);
    let resp = client
        .get(format!("https://localhost:{}/cookies", tls.addr.port()))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        cookies[0],
        "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(
        cookies[2],
        "theme=dark; SameSite=Strict; Priority=High; Secure"
    );
    let host = &cookies[3];
    assert!(host.starts_with("__Host-id=1"), "{host}");
    assert!(!host.to_ascii_lowercase().contains("domain="), "{host}");
    assert!(
        host.contains("Path=/") && !host.contains("Path=/app"),
        "{host}"
    );
    assert!(host.contains("Secure"), "{host}");

    // cookies = false: untouched.
    let off = GuardProcess::start(bin(), &up.url(), "", "[headers]\ncookies = false\n");
    let resp = raw_get(off.addr, "/cookies", &[]);
    assert_eq!(resp.header("set-cookie"), Some("sid=abc123; Path=/"));
}

#[tokio::test]
async fn the_guard_over_https_grades_a_plus() {
    let up = TestUpstream::start();
    let (guard, _client, tls) = tls_guard(&up, "");
    // The guard's certificate is self-signed: it is its own CA.
    let cert = tls.cert.clone();
    // An app with no headers of its own and a session cookie without any flag: the guard's
    // output is what is graded.
    let out = std::process::Command::new(bin())
        .args(["headers", "check", "--json", "--ca-cert"])
        .arg(&cert)
        .arg(format!("https://localhost:{}/cookies", guard.addr.port()))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["grade"], "A+", "{report:#}");
    let result = |test: &str| {
        report["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["test"] == test)
            .map(|t| t["result"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        result("cookies"),
        "cookies-secure-with-httponly-sessions-and-samesite",
        "{report:#}"
    );
    assert_eq!(
        result("strict-transport-security"),
        "hsts-implemented-max-age-at-least-six-months",
        "{report:#}"
    );

    // The same app without the guard fails.
    let direct = std::process::Command::new(bin())
        .args(["headers", "check", "--json"])
        .arg(format!("{}/cookies", up.url()))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&direct.stdout).unwrap();
    assert_eq!(report["grade"], "F", "{report:#}");
}
