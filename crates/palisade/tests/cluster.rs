//! `palisade cluster status` against two real guards heartbeating to one `redis-server`
//! (started here on a free loopback port, stopped on drop; `scripts/lib/prereqs.sh`
//! installs it): both are listed with their counts, a stopped one turns stale, and the
//! command's failures have the documented exit codes and never print the password.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::redis::RedisServer;
use palisade_test_support::{GuardProcess, TestUpstream, free_port, raw_get};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const GUARD: &str = "trusted_proxies = [\"127.0.0.1/32\"]";
const SENT: u64 = 5;

fn book(port: u16, name: &str) -> String {
    format!(
        "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://127.0.0.1:{port}/\"\nprefix = \"cluster-e2e\"\nname = \"{name}\"\nheartbeat = \"1s\"\n"
    )
}

fn status(config: &Path, json: bool) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(["cluster", "status", "--config"]).arg(config);
    if json {
        cmd.arg("--json");
    }
    cmd.stdin(Stdio::null()).output().expect("run palisade")
}

fn status_json(config: &Path) -> serde_json::Value {
    let out = status(config, true);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn guard<'a>(doc: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    doc["guards"].as_array()?.iter().find(|g| g["name"] == name)
}

/// Polls `cond` on fresh `cluster status --json` output until it holds or `within` passes.
fn wait_for(
    config: &Path,
    within: Duration,
    what: &str,
    cond: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let doc = status_json(config);
        if cond(&doc) {
            return doc;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {within:?}: {doc:#}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_guards_heartbeat_and_a_stopped_one_turns_stale() {
    let redis = RedisServer::start();
    let upstream = TestUpstream::start();
    let a = GuardProcess::start(bin(), &upstream.url(), GUARD, &book(redis.port, "guard-a"));
    let mut b = GuardProcess::start(bin(), &upstream.url(), GUARD, &book(redis.port, "guard-b"));
    for _ in 0..SENT {
        assert_eq!(raw_get(a.addr, "/echo", &[]).status(), 200);
    }

    let doc = wait_for(
        a.config_path(),
        Duration::from_secs(10),
        "both guards listed, A with its requests",
        |doc| {
            guard(doc, "guard-b").is_some()
                && guard(doc, "guard-a")
                    .and_then(|g| g["beat"]["requests"].as_u64())
                    .is_some_and(|n| n >= SENT)
        },
    );
    let ga = guard(&doc, "guard-a").unwrap();
    assert_eq!(ga["status"], "live");
    assert_eq!(ga["beat"]["pid"], a.pid());
    assert_eq!(ga["beat"]["listen"], a.addr.to_string());
    assert_eq!(ga["beat"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(ga["beat"]["redis_connected"], true);
    assert_eq!(ga["beat"]["interval_ms"], 1000);
    assert_eq!(doc["backend"]["role"], "master");
    assert_eq!(doc["backend"]["pings"], 20);
    assert_eq!(doc["prefix"], "cluster-e2e");

    let out = status(a.config_path(), false);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("backend  redis://127.0.0.1:"), "{text}");
    assert!(
        text.contains("NAME") && text.contains("LAST SEEN"),
        "{text}"
    );
    for name in ["guard-a", "guard-b"] {
        let line = text.lines().find(|l| l.starts_with(name));
        assert!(line.is_some_and(|l| l.contains("live")), "{name}:\n{text}");
    }

    // B stops cleanly; its last beat stays until it expires, so it shows stale, not gone.
    b.signal(15);
    assert!(
        b.wait_exit(Duration::from_secs(10)).is_some(),
        "B did not stop"
    );
    let stopped = Instant::now();
    wait_for(
        a.config_path(),
        Duration::from_secs(8),
        "guard-b stale",
        |doc| guard(doc, "guard-b").is_some_and(|g| g["status"] == "stale"),
    );
    // Three missed beats of one second, give or take one in flight.
    assert!(
        stopped.elapsed() >= Duration::from_secs(1),
        "{:?}",
        stopped.elapsed()
    );
    let doc = status_json(a.config_path());
    assert_eq!(guard(&doc, "guard-a").unwrap()["status"], "live");
}

#[test]
fn no_redis_is_exit_2_and_unreachable_redis_is_exit_1_without_the_password() {
    let dir = std::env::temp_dir().join(format!("palisade-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let plain = dir.join("plain.toml");
    std::fs::write(&plain, "[blackbook]\nstorage = \"memory\"\n").unwrap();
    let out = status(&plain, false);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("storage = \"redis\""), "{err}");

    let closed = dir.join("closed.toml");
    let port = free_port();
    std::fs::write(
        &closed,
        format!(
            "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://:secret@127.0.0.1:{port}/\"\n"
        ),
    )
    .unwrap();
    for json in [false, true] {
        let out = status(&closed, json);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("secret"), "{all}");
        assert!(all.contains("unreachable"), "{all}");
        assert!(all.contains(&format!("127.0.0.1:{port}")), "{all}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
