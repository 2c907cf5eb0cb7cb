//! The black book and rate limits in the guard, end to end: bans from the CLI picked up by a
//! running guard, CIDR bans against the allowlist, expiry, bans surviving a restart, automatic
//! bans from detection events, 429s with their headers, and `palisade blackbook` itself.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::{GuardProcess, TestUpstream};
use serde_json::Value;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

async fn status_from(client: &reqwest::Client, guard: &GuardProcess, ip: &str) -> u16 {
    client
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls until `ip` gets `want` (bounded: the guard re-reads the database every 200 ms).
async fn wait_status(client: &reqwest::Client, guard: &GuardProcess, ip: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = status_from(client, guard, ip).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{ip} still gets {got}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const GUARD: &str = "trusted_proxies = [\"127.0.0.1/32\"]";
const BOOK: &str = "[blackbook]\nrefresh = \"200ms\"\nallowlist = [\"198.51.100.7/32\"]\n";

#[tokio::test]
async fn cli_bans_reach_the_running_guard_and_survive_a_restart() {
    let upstream = TestUpstream::start();
    let mut guard = GuardProcess::start(bin(), &upstream.url(), GUARD, BOOK);
    let dir = guard.dir().to_owned();
    let client = reqwest::Client::new();
    assert_eq!(status_from(&client, &guard, "198.51.100.9").await, 200);

    // A network ban covers its addresses — but never the allowlist.
    let out = cli(
        &dir,
        &[
            "blackbook",
            "ban",
            "198.51.100.0/24",
            "--reason",
            "spam net",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    wait_status(&client, &guard, "198.51.100.9", 403).await;
    assert_eq!(status_from(&client, &guard, "198.51.100.7").await, 200);
    let out = cli(&dir, &["blackbook", "ban", "198.51.100.7"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("allowlist"));

    // A short ban lifts by itself.
    let out = cli(&dir, &["blackbook", "ban", "203.0.113.50", "--for", "1s"]);
    assert!(out.status.success(), "{out:?}");
    wait_status(&client, &guard, "203.0.113.50", 403).await;
    wait_status(&client, &guard, "203.0.113.50", 200).await;

    // Listed, with the refused requests counted.
    let out = cli(&dir, &["blackbook", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["target"] == "198.51.100.0/24")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(entry["source"], "manual");
    assert_eq!(entry["reason"], "spam net");

    // Bans survive a restart.
    guard.restart();
    // Pooled connections died with the old process.
    let client = reqwest::Client::new();
    assert_eq!(status_from(&client, &guard, "198.51.100.9").await, 403);
    assert_eq!(status_from(&client, &guard, "198.51.100.7").await, 200);

    // Unbanned from the CLI: the running guard lets the network back in.
    let out = cli(&dir, &["blackbook", "unban", "198.51.100.0/24"]);
    assert!(out.status.success(), "{out:?}");
    wait_status(&client, &guard, "198.51.100.9", 200).await;
    let out = cli(&dir, &["blackbook", "unban", "198.51.100.0/24"]);
    assert_eq!(out.status.code(), Some(1), "not banned any more");
    let out = cli(&dir, &["blackbook", "unban", "not-an-ip"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn attacks_detected_by_the_guard_ban_their_source() {
    let upstream = TestUpstream::start();
    let guard = GuardProcess::start(
        bin(),
        &upstream.url(),
        GUARD,
        "[detect]\nmode = \"block\"\n",
    );
    let client = reqwest::Client::new();
    // Scanner hits weigh 50: the second one reaches the threshold of 100.
    for _ in 0..2 {
        let r = client
            .get(format!("{}/echo", guard.url()))
            .header("x-forwarded-for", "203.0.113.66")
            .header("user-agent", "sqlmap/1.7.2#stable (https://sqlmap.org)")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    // Now even a clean request from it is refused, by the black book.
    assert_eq!(status_from(&client, &guard, "203.0.113.66").await, 403);
    assert_eq!(status_from(&client, &guard, "203.0.113.67").await, 200);
    let bans = guard.wait_events("ip_banned", 1);
    assert_eq!(bans.len(), 1, "{bans:?}");
    assert_eq!(bans[0]["source"]["ip"], "203.0.113.66");
    assert_eq!(bans[0]["palisade"]["fields"]["source"], "rule");
}

#[tokio::test]
async fn over_the_quota_is_429_with_ratelimit_headers() {
    let upstream = TestUpstream::start();
    let tail = "[ratelimit]\nrequests = 3\nper = \"1m\"\n\n[[ratelimit.rule]]\nname = \"login\"\npath = \"/echo/login\"\nmethod = \"POST\"\nrequests = 1\nper = \"1m\"\n";
    let guard = GuardProcess::start(bin(), &upstream.url(), GUARD, tail);
    let client = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(status_from(&client, &guard, "192.0.2.33").await, 200);
    }
    let r = client
        .get(format!("{}/echo", guard.url()))
        .header("x-forwarded-for", "192.0.2.33")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers();
    assert_eq!(h["ratelimit-policy"], "\"global\";q=3;w=60");
    assert!(
        h["ratelimit"]
            .to_str()
            .unwrap()
            .starts_with("\"global\";r=0;t="),
        "{h:?}"
    );
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(h.contains_key("x-request-id"));
    assert_eq!(status_from(&client, &guard, "192.0.2.33").await, 429);
    // Another client has its own quota; a route rule is stricter.
    let login = |ip: &'static str| {
        client
            .post(format!("{}/echo/login", guard.url()))
            .header("x-forwarded-for", ip)
            .body("x")
            .send()
    };
    assert_eq!(login("192.0.2.34").await.unwrap().status(), 200);
    let r = login("192.0.2.34").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["ratelimit-policy"], "\"login\";q=1;w=60");

    // One event per client per minute, however many refusals.
    let e = guard.wait_events("rate_limited", 2);
    let from_33 = e
        .iter()
        .filter(|e| e["source"]["ip"] == "192.0.2.33")
        .count();
    assert_eq!(from_33, 1, "{e:?}");
}

#[test]
fn blackbook_cli_round_trip_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let out = cli(d, args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(ok(&["blackbook", "list"]).contains("no active bans"));
    ok(&["blackbook", "ban", "203.0.113.7", "--reason", "sqli, twice"]);
    ok(&["blackbook", "ban", "2001:db8::/48", "--for", "1h"]);
    let list = ok(&["blackbook", "list"]);
    assert!(
        list.contains("203.0.113.7") && list.contains("2001:db8::/48"),
        "{list}"
    );

    let csv = ok(&["blackbook", "export", "--format", "csv"]);
    assert!(
        csv.starts_with("ip_or_cidr,reason,source,expires_at\n"),
        "{csv}"
    );
    assert!(
        csv.contains("203.0.113.7,\"sqli, twice\",manual,\n"),
        "{csv}"
    );
    let plain = ok(&["blackbook", "export", "--format", "plain"]);
    assert_eq!(plain.lines().count(), 2);
    let json = ok(&["blackbook", "export", "--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);

    // Into a second book and back.
    std::fs::write(d.join("bans.csv"), &csv).unwrap();
    let imported = ok(&["blackbook", "--database", "other.db", "import", "bans.csv"]);
    assert!(imported.contains("2 added"), "{imported}");
    let again = ok(&[
        "blackbook",
        "--database",
        "other.db",
        "export",
        "--format",
        "csv",
    ]);
    assert_eq!(again, csv);

    ok(&["blackbook", "unban", "203.0.113.7"]);
    assert!(!ok(&["blackbook", "list"]).contains("203.0.113.7"));

    // Bad input: exit 2, naming the line; nothing imported.
    std::fs::write(d.join("bad.txt"), "10.0.0.1\nnot-an-ip\n").unwrap();
    let out = cli(d, &["blackbook", "import", "bad.txt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    assert!(!ok(&["blackbook", "list"]).contains("10.0.0.1"));
    let out = cli(d, &["blackbook", "ban", "300.1.1.1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(d, &["blackbook", "ban", "10.0.0.1", "--for", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        d.join("palisade-blackbook.db").exists(),
        "default file beside palisade.db"
    );
}

#[test]
fn pwned_import_builds_an_index_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("hibp.txt"),
        "0000000000000000000000000000000000000001:3\n00000000000000000000000000000000000000F2:10\n",
    )
    .unwrap();
    let out = cli(d, &["pwned", "import", "hibp.txt", "hibp.idx"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 hashes"));
    std::fs::write(d.join("bad.txt"), "zzz\n").unwrap();
    let out = cli(d, &["pwned", "import", "bad.txt", "bad.idx"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
