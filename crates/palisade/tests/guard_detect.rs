//! Detection in the guard: block and monitor modes, bodies inspected before they reach the
//! app (small ones read ahead, large and chunked ones held back up to the window), the
//! allowlist, and the events each verdict leaves.

use std::path::Path;
use std::process::{Command, Stdio};

use palisade_test_support::{GuardProcess, TestUpstream};
use serde_json::Value;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const SQLI: &str = "1' UNION SELECT password FROM users--";

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn block_mode_refuses_attacks_before_the_app_sees_them() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &upstream.url(), "", "[detect]\nmode = \"block\"\n");
    let client = reqwest::Client::new();

    let ok = client
        .get(format!("{}/echo?q=shoes", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let seen = upstream.requests();

    let resp = client
        .get(format!("{}/echo?q={}", guard.url(), enc(SQLI)))
        .header("x-request-id", "attack-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["x-request-id"], "attack-1");
    assert!(resp.headers().contains_key("content-security-policy"));
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("attack-1"),
        "the page names the request id: {body}"
    );
    for leak in ["sqli", "union", "score", "rule"] {
        assert!(
            !body.to_lowercase().contains(leak),
            "the page leaks `{leak}`: {body}"
        );
    }
    assert_eq!(upstream.requests(), seen, "the app never saw the attack");

    // The event was stored before the 403 left.
    let stored = guard.events("malicious_traffic");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let e = &stored[0];
    assert_eq!(e["http"]["request"]["id"], "attack-1");
    assert_eq!(e["source"]["ip"], "127.0.0.1");
    assert_eq!(e["palisade"]["fields"]["action"], "blocked");
    assert!(
        e["rule"]["id"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("sqli-")),
        "{e}"
    );
    assert_eq!(e["log"]["level"], "high");
}

#[tokio::test]
async fn bodies_are_inspected_in_every_shape_and_pass_intact_when_clean() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &upstream.url(), "", "[detect]\nmode = \"block\"\n");
    let client = reqwest::Client::new();
    let url = format!("{}/echo", guard.url());

    // Small form body: read ahead, inspected, replayed to the app.
    let form = format!("user=bob&comment={}", enc(SQLI));
    let r = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // JSON body.
    let r = client
        .post(&url)
        .json(&serde_json::json!({"profile": {"bio": "<script>alert(document.cookie)</script>"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A clean small body arrives byte for byte.
    let clean = "name=O%27Brien&note=select+a+union+rep+for+the+drop-off";
    let r = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(clean)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["body"], clean);

    // A chunked body (no Content-Length) with the attack in the first window: held back.
    let chunks: Vec<Result<String, std::io::Error>> = vec![
        Ok("{\"a\": \"".to_owned()),
        Ok("x".repeat(1000)),
        Ok(format!(
            "\", \"q\": \"{}\"}}",
            SQLI.replace('\'', "\\u0027")
        )),
    ];
    let r = client
        .post(&url)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A large clean body (past the window) streams through intact.
    let big = "a".repeat(300 * 1024);
    let r = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["body_len"], big.len());

    // A large clean chunked body too.
    let parts: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![b'z'; 20 * 1024])).collect();
    let r = client
        .post(&url)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["body_len"], 200 * 1024);
}

#[tokio::test]
async fn monitor_mode_records_and_forwards() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &upstream.url(), "", "[detect]\nmode = \"monitor\"\n");
    let r = reqwest::get(format!("{}/echo?q={}", guard.url(), enc(SQLI)))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "monitor mode forwards");
    let stored = guard.wait_events("malicious_traffic", 1);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["palisade"]["fields"]["action"], "detected");
    assert_eq!(stored[0]["log"]["level"], "medium");
}

#[tokio::test]
async fn probes_and_scanners_get_their_own_categories() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(bin(), &upstream.url(), "", "");
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/.env", guard.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "block is the default mode");
    let r = client
        .get(format!("{}/", guard.url()))
        .header("user-agent", "sqlmap/1.7.2#stable (https://sqlmap.org)")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(guard.events("sensitive_file_probe").len(), 1);
    assert_eq!(guard.events("scanner").len(), 1);
}

#[tokio::test]
async fn allowlisted_clients_and_excluded_locations_pass() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &upstream.url(),
        "",
        "[detect]\nallow = [\"127.0.0.0/8\"]\n",
    );
    let r = reqwest::get(format!("{}/echo?q={}", guard.url(), enc(SQLI)))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let upstream2 = TestUpstream::start();
    let guard2 = GuardProcess::start(
        bin(),
        &upstream2.url(),
        "",
        "[[detect.exclude]]\npath = \"/echo/notes\"\nlocation = \"json:/body\"\nrules = [\"sqli-*\"]\n",
    );
    let client = reqwest::Client::new();
    let note = serde_json::json!({"body": SQLI});
    let r = client
        .post(format!("{}/echo/notes", guard2.url()))
        .json(&note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "excluded for that path and field");
    let r = client
        .post(format!("{}/echo/other", guard2.url()))
        .json(&note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "still blocked elsewhere");
}

#[test]
fn detect_config_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[detect]\nmode = \"blokc\"\n", 2),
        ("[detect]\nparanoia = 7\n", 2),
        ("[[detect.exclude]]\nrules = [\"SQLI NOPE\"]\n", 2),
        ("[detect]\nbody_limit = \"8 MiB\"\n", 2),
    ];
    for (text, line) in cases {
        std::fs::write(dir.path().join("p.toml"), text).unwrap();
        let out = Command::new(bin())
            .args(["config", "check", "p.toml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        assert!(
            err.contains(&format!("p.toml:{line}:")) || err.contains("p.toml:1:"),
            "{text}: {err}"
        );
    }
}

#[test]
fn the_detect_command_reports_and_exits_by_verdict() {
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(bin())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["detect", "--payload", SQLI], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("query:q"));
    let out = run(&["detect", "--payload", "O'Brien"], "");
    assert_eq!(out.status.code(), Some(0));
    let raw = "POST /comment HTTP/1.1\nHost: x\nContent-Type: application/json\n\n{\"text\": \"<svg onload=alert(1)>\"}";
    let out = run(&["detect", "--json"], raw);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["over_threshold"].as_bool().unwrap());
    assert_eq!(v["findings"][0]["location"]["name"], "/text");
    let out = run(&["detect"], "this is not http");
    assert_eq!(out.status.code(), Some(2));
}
