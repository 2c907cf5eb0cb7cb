//! Two real guards sharing one black book through Redis (`[blackbook] storage = "redis"`):
//! a ban through guard A's admin API is refused by guard B within a second, and
//! `palisade blackbook` edits the same book. Starts its own `redis-server` on a free
//! loopback port (`scripts/lib/prereqs.sh` installs it), stopped on drop.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::console::status_through_guard;
use palisade_test_support::redis::RedisServer;
use palisade_test_support::{GuardProcess, LOGIN_PASSWORD, LOGIN_ROUTE, TestUpstream};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const GUARD: &str = "trusted_proxies = [\"127.0.0.1/32\"]";
const TOKEN: &str = "token = \"e2e-admin-token-0123456789\"";

#[tokio::test]
async fn a_ban_on_one_guard_is_refused_by_the_other_within_a_second() {
    let redis = RedisServer::start();
    let upstream = TestUpstream::start();
    let book = format!(
        "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://127.0.0.1:{}/\"\nprefix = \"e2e\"\n",
        redis.port
    );
    let a = GuardProcess::start_with_admin(bin(), &upstream.url(), GUARD, TOKEN, &book);
    let b = GuardProcess::start_with_admin(bin(), &upstream.url(), GUARD, TOKEN, &book);
    let client = reqwest::Client::new();
    assert_eq!(status_through_guard(&b, "203.0.113.50").await, 200);

    let resp = client
        .post(format!("http://{}/v1/blackbook", a.admin))
        .bearer_auth("e2e-admin-token-0123456789")
        .json(&serde_json::json!({"target": "203.0.113.50", "for": "1h", "reason": "e2e"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{:?}", resp.text().await);
    let banned = Instant::now();
    loop {
        let got = status_through_guard(&b, "203.0.113.50").await;
        if got == 403 {
            break;
        }
        assert!(
            banned.elapsed() < Duration::from_secs(1),
            "guard B still answers {got} after {:?}\n{}",
            banned.elapsed(),
            b.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status_through_guard(&a, "203.0.113.50").await, 403);

    // `palisade blackbook` edits the same book: an unban lifts it on both guards.
    let out = Command::new(bin())
        .args(["blackbook", "list"])
        .current_dir(a.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("203.0.113.50"));
    let out = Command::new(bin())
        .args(["blackbook", "unban", "203.0.113.50"])
        .current_dir(a.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unbanned = Instant::now();
    for guard in [&a, &b] {
        while status_through_guard(guard, "203.0.113.50").await != 200 {
            assert!(unbanned.elapsed() < Duration::from_secs(2), "still banned");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A Redis black book with a generous timeout: these tests are about what is shared, and a
/// loaded test machine must not turn a slow answer into an outage.
fn redis_book(redis: &RedisServer, prefix: &str) -> String {
    format!(
        "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://127.0.0.1:{}/\"\nprefix = \"{prefix}\"\ntimeout = \"1s\"\n",
        redis.port
    )
}

/// The same, spelled as `[state] backend = "redis"`.
fn state_table(redis: &RedisServer, prefix: &str) -> String {
    format!(
        "[state]\nbackend = \"redis\"\nurl = \"redis://127.0.0.1:{}/\"\nprefix = \"{prefix}\"\ntimeout = \"1s\"\n",
        redis.port
    )
}

/// A login as alice through `guard` from `ip`; the status the client got.
async fn login(guard: &GuardProcess, ip: &str, password: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", guard.url()))
        .header("x-forwarded-for", ip)
        .form(&[("username", "alice"), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn failed_login(guard: &GuardProcess, ip: &str) -> u16 {
    login(guard, ip, "not-alices-password").await
}

/// The `brute_force` events about `ip` a guard stored.
fn brute_force_events(guard: &GuardProcess, ip: &str) -> usize {
    guard
        .events("brute_force")
        .iter()
        .filter(|e| e["source"]["ip"] == ip && e["palisade"]["fields"]["scope"] == "ip")
        .count()
}

#[tokio::test]
async fn a_brute_force_split_across_two_guards_bans_at_the_one_guard_threshold() {
    let redis = RedisServer::start();
    let upstream = TestUpstream::start();
    let tail = format!("{}{LOGIN_ROUTE}", redis_book(&redis, "bf"));
    let a = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    let b = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    let attacker = "198.51.100.20";
    // Nine failures (the threshold is ten in five minutes), alternating: each guard saw
    // only four or five, and nobody is banned yet.
    for i in 0..9 {
        let g = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            failed_login(g, attacker).await,
            302,
            "failure {i} reaches the app"
        );
    }
    assert_eq!(status_through_guard(&a, attacker).await, 200);
    assert_eq!(status_through_guard(&b, attacker).await, 200);
    // The tenth, on guard B (which saw only four): the total is ten, so it is a brute force.
    assert_eq!(failed_login(&b, attacker).await, 302);
    let started = Instant::now();
    for g in [&a, &b] {
        while status_through_guard(g, attacker).await != 403 {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "banned on both guards within 1 s\nA: {}\nB: {}",
                a.stderr(),
                b.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Reported once, by the guard that saw the tenth failure.
    b.wait_events("brute_force", 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(brute_force_events(&b, attacker), 1);
    assert_eq!(brute_force_events(&a, attacker), 0);
    // Another address is not affected.
    assert_eq!(status_through_guard(&a, "198.51.100.21").await, 200);
}

#[tokio::test]
async fn a_rate_limit_is_shared_by_two_guards() {
    let redis = RedisServer::start();
    let upstream = TestUpstream::start();
    let tail = format!(
        "{}[ratelimit]\nrequests = 4\nper = \"1m\"\n",
        redis_book(&redis, "rl")
    );
    let a = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    let b = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    let client = "203.0.113.61";
    let mut statuses = Vec::new();
    for i in 0..6 {
        let g = if i % 2 == 0 { &a } else { &b };
        statuses.push(status_through_guard(g, client).await);
    }
    // Four per minute in all, not four on each guard.
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 429, 429],
        "A: {}",
        a.stderr()
    );
    assert_eq!(status_through_guard(&a, "203.0.113.62").await, 200);

    // Redis gone: each guard keeps serving and limits on its own (fail-open to the
    // local limiter), answering within the 50 ms bound rather than waiting on Redis.
    drop(redis);
    let fresh = "203.0.113.63";
    let started = Instant::now();
    let mut local = Vec::new();
    for _ in 0..6 {
        local.push(status_through_guard(&a, fresh).await);
    }
    assert_eq!(local, [200, 200, 200, 200, 429, 429], "A: {}", a.stderr());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

async fn good_login(guard: &GuardProcess, ip: &str) -> u16 {
    login(guard, ip, LOGIN_PASSWORD).await
}

#[tokio::test]
async fn login_networks_are_known_to_every_guard() {
    let redis = RedisServer::start();
    let upstream = TestUpstream::start();
    let tail = format!("{}{LOGIN_ROUTE}", state_table(&redis, "known"));
    let a = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    let b = GuardProcess::start(bin(), &upstream.url(), GUARD, &tail);
    // Alice's first login ever, through A: no alert (a first login is not news).
    assert_eq!(good_login(&a, "192.0.2.10").await, 302);
    // Through B from another network: B never saw her, but the deployment has — news.
    assert_eq!(good_login(&b, "198.51.100.5").await, 302);
    let on_b = b.wait_events("new_ip_login", 1);
    assert_eq!(on_b[0]["source"]["ip"], "198.51.100.5", "{on_b:?}");
    // Back through A from the network she just used on B: known, no alert.
    assert_eq!(good_login(&a, "198.51.100.6").await, 302);
    // A does alert on a network nobody has seen (so the check above could fail).
    assert_eq!(good_login(&a, "203.0.113.7").await, 302);
    let on_a = a.wait_events("new_ip_login", 1);
    let ips: Vec<&serde_json::Value> = on_a.iter().map(|e| &e["source"]["ip"]).collect();
    assert_eq!(ips, ["203.0.113.7"], "{on_a:?}");
}
