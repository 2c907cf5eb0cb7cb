//! `palisade run`, `status`, `restart` and `stop` as users run them: the binary supervising
//! a real Python app behind the guard.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::{free_port, raw_get};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

/// The app: answers 200, `/crash` makes it exit 1 (after a line on stderr), `/pid` says its pid.
const APP: &str = r#"
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/crash":
            sys.stderr.write("fatal: the app fell over\n")
            sys.stderr.flush()
            os._exit(1)
        body = str(os.getpid()).encode() if self.path == "/pid" else b"hello"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.do_GET()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"#;

struct Run {
    child: Child,
    dir: tempfile::TempDir,
    addr: SocketAddr,
    admin: SocketAddr,
}

impl Run {
    /// `palisade run --name NAME [extra] -- CMD` in a fresh directory with `config`.
    fn start(name: &str, config: &str, extra: &[&str], cmd: &[&str]) -> Run {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), APP).unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let admin = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let text =
            format!("[guard]\nlisten = \"{addr}\"\n[admin]\nlisten = \"{admin}\"\n{config}\n");
        std::fs::File::create(dir.path().join("palisade.toml"))
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .unwrap();
        let child = Self::command(dir.path())
            .args(["run", "--name", name])
            .args(extra)
            .arg("--")
            .args(cmd)
            .stdout(std::fs::File::create(dir.path().join("run.stdout")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("run.stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut run = Run {
            child,
            dir,
            addr,
            admin,
        };
        run.wait_listening(admin);
        if !extra.contains(&"--no-guard") {
            run.wait_listening(addr);
        }
        run
    }

    fn command(dir: &Path) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(dir)
            .env("PALISADE_HOME", dir.join("home"))
            .env(
                "PALISADE_LOG",
                std::env::var("PALISADE_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null());
        c
    }

    /// Another palisade command run from the same place (same PALISADE_HOME).
    fn palisade(&self, args: &[&str]) -> std::process::Output {
        Self::command(self.dir.path()).args(args).output().unwrap()
    }

    fn wait_listening(&mut self, addr: SocketAddr) {
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("palisade run exited early ({status}):\n{}", self.stderr());
            }
            assert!(
                Instant::now() < until,
                "nothing listens on {addr}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until a GET of `path` through the guard answers `status`.
    fn wait_status(&self, path: &str, status: u16) {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let got = raw_get(self.addr, path, &[]).status();
            if got == status {
                return;
            }
            assert!(
                Instant::now() < until,
                "{path} answered {got}, not {status}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("run.stderr")).unwrap_or_default()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn events(&self, category: &str) -> Vec<serde_json::Value> {
        palisade_test_support::stored_events(Path::new(BIN), self.dir.path(), category)
    }

    fn wait_events(&self, category: &str, n: usize) -> Vec<serde_json::Value> {
        palisade_test_support::wait_stored_events(
            Path::new(BIN),
            self.dir.path(),
            category,
            n,
            Duration::from_secs(15),
        )
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < until,
                "palisade run still running:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn app_pid(&self) -> i32 {
        String::from_utf8_lossy(&raw_get(self.addr, "/pid", &[]).body)
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A graceful stop, so the app does not outlive the test.
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z')
    })
}

#[test]
fn the_guard_answers_503_while_the_app_restarts_and_200_after() {
    let run = Run::start(
        "web",
        "[run]\nmin_delay = \"3s\"\nhold = \"500ms\"\n",
        &[],
        &["python3", "app.py"],
    );
    run.wait_status("/", 200);
    let first = run.app_pid();
    // Security headers are applied to the app's answers as usual.
    let ok = raw_get(run.addr, "/", &[]);
    assert_eq!(ok.header("x-content-type-options"), Some("nosniff"));

    let _ = raw_get(run.addr, "/crash", &[]);
    // Backing off for 3 s: longer than the hold, so clients are told when to come back.
    let until = Instant::now() + Duration::from_secs(2);
    let down = loop {
        let r = raw_get(run.addr, "/", &[]);
        if r.status() == 503 || Instant::now() > until {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(down.status(), 503, "{}", run.stderr());
    let retry: u32 = down.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=4).contains(&retry), "Retry-After {retry}");
    assert_eq!(down.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(raw_get(run.addr, "/again", &[]).status(), 503);

    run.wait_status("/", 200);
    assert_ne!(run.app_pid(), first, "a new process answers");
    assert!(!alive(first));

    // One outage, one upstream_down, however many requests met it.
    assert_eq!(run.wait_events("upstream_down", 1).len(), 1);
    let crash = run.wait_events("app_crash", 1);
    assert_eq!(crash.len(), 1);
    let doc = crash[0].to_string();
    assert!(doc.contains("the app fell over"), "{doc}");
    assert!(run.wait_events("app_restart", 1).len() == 1);
    assert!(run.wait_events("app_start", 2).len() == 2);
}

#[test]
fn an_idempotent_request_waits_for_a_quick_restart() {
    let run = Run::start(
        "quick",
        // A generous hold: on a loaded CI machine a Python app can take seconds to restart.
        "[run]\nmin_delay = \"50ms\"\nhold = \"15s\"\n",
        &[],
        &["python3", "app.py"],
    );
    run.wait_status("/", 200);
    let _ = raw_get(run.addr, "/crash", &[]);
    // Sent while the app is down or starting: held, then proxied to the new process.
    for _ in 0..5 {
        let r = raw_get(run.addr, "/", &[]);
        assert_eq!(r.status(), 200, "{}", run.stderr());
    }
}

#[test]
fn status_restart_and_stop_work_through_the_admin_api() {
    let mut run = Run::start("svc", "", &[], &["python3", "app.py"]);
    run.wait_status("/", 200);
    let out = run.palisade(&["status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let app = &st[0];
    assert_eq!(app["name"], "svc");
    assert_eq!(app["state"], "running");
    assert_eq!(app["restarts"], 0);
    assert_eq!(app["supervisor_pid"], run.child.id());
    assert!(app["memory_bytes"].as_u64().unwrap() > 1 << 20);
    assert_eq!(app["guard"], format!("http://{}", run.addr));
    let first = run.app_pid();

    let table = run.palisade(&["status"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("svc") && text.contains("running"), "{text}");

    let out = run.palisade(&["restart", "svc"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run.wait_status("/", 200);
    let until = Instant::now() + Duration::from_secs(10);
    while run.app_pid() == first {
        assert!(Instant::now() < until, "not restarted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let st: serde_json::Value =
        serde_json::from_slice(&run.palisade(&["status", "svc", "--json"]).stdout).unwrap();
    assert_eq!(st[0]["restarts"], 1);
    assert_eq!(st[0]["last_exit"]["reason"], "restart_requested");

    // The admin API wants the token the run record holds.
    let anon = raw_get(run.admin, "/v1/app", &[]);
    assert_eq!(anon.status(), 401);

    let second = run.app_pid();
    let out = run.palisade(&["stop", "svc"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = run.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status}");
    assert!(!alive(second));
    let out = run.palisade(&["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no app is running"));
}

#[test]
fn signals_are_forwarded_and_sigterm_stops_the_app_gracefully() {
    let script = "trap 'echo HUP >> signals' HUP; \
                  trap 'echo TERM >> signals; exit 0' TERM; \
                  while true; do sleep 0.05; done";
    let mut run = Run::start("sig", "", &[], &["sh", "-c", script]);
    let signals = run.file("signals");
    std::thread::sleep(Duration::from_millis(300));
    run.signal("HUP");
    let until = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&signals)
        .unwrap_or_default()
        .contains("HUP")
    {
        assert!(
            Instant::now() < until,
            "SIGHUP not forwarded:\n{}",
            run.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    run.signal("TERM");
    let status = run.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status}:\n{}", run.stderr());
    let got = std::fs::read_to_string(&signals).unwrap();
    assert_eq!(got.lines().collect::<Vec<_>>(), ["HUP", "TERM"]);
    // The app stopped on request: an exit, not a crash.
    assert!(run.events("app_crash").is_empty());
    assert_eq!(run.wait_events("app_exit", 1).len(), 1);
}

#[test]
fn no_guard_supervises_and_ends_with_the_app() {
    let mut run = Run::start(
        "worker",
        "[run]\nrestart = \"never\"\n",
        &["--no-guard"],
        &["sh", "-c", "sleep 0.5; exit 4"],
    );
    let out = run.palisade(&["status", "worker", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = run.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(4), "{}", run.stderr());
    assert!(
        std::net::TcpStream::connect(run.addr).is_err(),
        "no guard runs"
    );
}

#[test]
fn a_bad_command_is_a_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = Run::command(dir.path())
        .args(["run", "--", "/no/such/program", "--flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/program") && err.contains("command not found"),
        "{err}"
    );

    let script = dir.path().join("app.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = Run::command(dir.path())
        .args(["run", "--"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permission denied"), "{err}");

    let out = Run::command(dir.path()).args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
