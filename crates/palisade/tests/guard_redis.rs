//! Two real guards sharing one black book through Redis (`[blackbook] storage = "redis"`):
//! a ban through guard A's admin API is refused by guard B within a second, and
//! `palisade blackbook` edits the same book. Starts its own `redis-server` on a free
//! loopback port (`scripts/lib/prereqs.sh` installs it), stopped on drop.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::console::status_through_guard;
use palisade_test_support::redis::RedisServer;
use palisade_test_support::{GuardProcess, TestUpstream};

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
