//! The supervisor against real child processes: shell and Python programs that crash, hang,
//! hog memory, fork and ignore signals.

use std::ffi::OsString;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palisade_core::app::AppControl;
use palisade_core::{Availability, Category, Emit, Event};
use palisade_supervisor::{
    HealthSettings, LogSettings, RestartPolicy, RunSettings, SpawnError, StartError, Supervisor,
    WatchSettings,
};

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Emit for Recorder {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn of(&self, category: Category) -> Vec<Event> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.category == category)
            .cloned()
            .collect()
    }

    /// Waits until `n` events of `category` were emitted.
    fn wait_for(&self, category: Category, n: usize, within: Duration) -> Vec<Event> {
        let until = Instant::now() + within;
        loop {
            let got = self.of(category.clone());
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < until,
                "expected {n} {category:?} events within {within:?}, got {}: {:#?}",
                got.len(),
                self.0
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|e| &e.message)
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn sh(script: &str) -> Vec<OsString> {
    vec!["/bin/sh".into(), "-c".into(), script.into()]
}

fn settings(name: &str, command: Vec<OsString>) -> RunSettings {
    let mut s = RunSettings::new(name, command);
    s.restart = RestartPolicy {
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(400),
        min_uptime: Duration::from_secs(2),
        ..RestartPolicy::default()
    };
    s.logs = LogSettings {
        echo: false,
        ..LogSettings::default()
    };
    s.stop_timeout = Duration::from_secs(2);
    s.handle_stop_signals = false;
    s
}

fn start(s: RunSettings) -> (Arc<Supervisor>, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let sup = Supervisor::start(s, rec.clone()).expect("supervisor starts");
    (sup, rec)
}

fn stop(sup: &Supervisor) -> i32 {
    sup.request_stop();
    sup.wait(Duration::from_secs(10))
        .expect("the supervisor ends")
}

fn alive(pid: i32) -> bool {
    // A zombie is dead for our purposes; /proc still lists it until reaped.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn field<'a>(e: &'a Event, k: &str) -> &'a str {
    e.fields.get(k).map(String::as_str).unwrap_or("")
}

#[test]
fn a_crash_is_restarted_with_growing_backoff_and_reported_with_its_stderr() {
    let (sup, rec) = start(settings(
        "crasher",
        sh("echo starting; echo 'fatal: db gone' >&2; exit 3"),
    ));
    let restarts = rec.wait_for(Category::AppRestart, 4, Duration::from_secs(10));
    let delays: Vec<u64> = restarts
        .iter()
        .map(|e| field(e, "delay_ms").parse().unwrap())
        .collect();
    assert!(
        delays.windows(2).all(|w| w[1] >= w[0]) && delays[3] > delays[0],
        "{delays:?}"
    );
    // Another test's leftover-process sweep (the test binary is one child subreaper for all
    // its tests) can SIGTERM one of these runs; the crashes that are this app's own say why.
    let crashes = rec.of(Category::AppCrash);
    let crash = crashes
        .iter()
        .find(|c| field(c, "exit") == "exit code 3")
        .unwrap_or_else(|| panic!("no crash with exit code 3: {crashes:?}"));
    assert!(
        field(crash, "stderr_tail").contains("fatal: db gone"),
        "{crash:?}"
    );
    assert_eq!(field(crash, "app"), "crasher");
    assert!(sup.status().restarts >= 3);
    assert_eq!(sup.status().last_exit.unwrap().reason, "crashed");
    assert_eq!(stop(&sup), 0);
}

#[test]
fn a_crash_loop_is_reported_once_and_retried_at_the_ceiling() {
    let mut s = settings("looper", sh("exit 1"));
    s.restart.max_restarts = 3;
    s.restart.max_delay = Duration::from_millis(300);
    let (sup, rec) = start(s);
    let restarts = rec.wait_for(Category::AppRestart, 7, Duration::from_secs(15));
    let loops = rec.of(Category::CrashLoop);
    assert_eq!(loops.len(), 1, "{loops:?}");
    assert_eq!(loops[0].severity, palisade_core::Severity::Critical);
    // From the loop on, every retry waits the ceiling.
    for r in &restarts[3..] {
        assert_eq!(field(r, "delay_ms"), "300", "{r:?}");
    }
    assert_eq!(sup.status().state, "crash_loop");
    assert!(matches!(
        *sup.availability().borrow(),
        Availability::Down { .. } | Availability::Starting
    ));
    assert_eq!(stop(&sup), 0);
}

#[test]
fn give_up_ends_a_crash_loop() {
    let mut s = settings("quitter", sh("exit 1"));
    s.restart.max_restarts = 2;
    s.restart.give_up = true;
    let (sup, rec) = start(s);
    assert_eq!(sup.wait(Duration::from_secs(10)), Some(1));
    let loops = rec.of(Category::CrashLoop);
    assert_eq!(loops.len(), 1);
    assert!(loops[0].message.contains("giving up"), "{loops:?}");
    assert_eq!(rec.of(Category::AppStart).len(), 3);
    assert_eq!(sup.status().state, "stopped");
}

#[test]
fn a_clean_exit_ends_on_failure_supervision_with_its_code() {
    let (sup, rec) = start(settings("oneshot", sh("exit 0")));
    assert_eq!(sup.wait(Duration::from_secs(10)), Some(0));
    assert!(rec.of(Category::AppRestart).is_empty());
    let mut s = settings("never", sh("exit 7"));
    s.restart.mode = palisade_supervisor::RestartMode::Never;
    let (sup, _) = start(s);
    assert_eq!(sup.wait(Duration::from_secs(10)), Some(7));
}

const HTTP_APP: &str = r#"
import http.server, os, sys, time
mode = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if mode == "hang":
            time.sleep(3600)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
if mode == "hog":
    hog = bytearray(200 * 1024 * 1024)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"#;

fn python_app(mode: &str) -> Vec<OsString> {
    vec!["python3".into(), "-c".into(), HTTP_APP.into(), mode.into()]
}

#[test]
fn a_hung_app_fails_its_health_checks_and_is_restarted() {
    let mut s = settings("hung", python_app("hang"));
    s.port = Some(free_port());
    s.health = Some(HealthSettings {
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(150),
        failures: 2,
        grace: Duration::from_secs(10),
        ..HealthSettings::default()
    });
    let (sup, rec) = start(s);
    let unhealthy = rec.wait_for(Category::AppUnhealthy, 1, Duration::from_secs(20));
    assert_eq!(field(&unhealthy[0], "check"), "health");
    assert!(field(&unhealthy[0], "error").contains("no answer"));
    let starts = rec.wait_for(Category::AppStart, 2, Duration::from_secs(10));
    assert_eq!(field(&starts[1], "after"), "unhealthy");
    assert_eq!(stop(&sup), 0);
}

#[test]
fn a_healthy_app_becomes_available_and_stays_up() {
    let mut s = settings("healthy", python_app("ok"));
    let port = free_port();
    s.port = Some(port);
    s.health = Some(HealthSettings {
        interval: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
        failures: 1,
        grace: Duration::from_secs(10),
        ..HealthSettings::default()
    });
    let (sup, rec) = start(s);
    let mut avail = sup.availability();
    let up = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            // The borrow must end at once: a held `Ref` would block the supervisor's sends.
            tokio::time::timeout(Duration::from_secs(10), async {
                avail.wait_for(|a| a.is_up()).await.map(|_| ())
            })
            .await
        });
    assert!(up.is_ok(), "the app never became available");
    std::thread::sleep(Duration::from_millis(400));
    assert!(rec.of(Category::AppUnhealthy).is_empty());
    let status = sup.status();
    assert_eq!(status.state, "running");
    assert_eq!(status.port, Some(port));
    assert!(status.memory_bytes.unwrap() > 1 << 20, "{status:?}");
    assert_eq!(stop(&sup), 0);
}

#[test]
fn a_memory_hog_is_restarted() {
    let mut s = settings("hog", python_app("hog"));
    s.port = Some(free_port());
    s.max_memory = Some(100 << 20);
    s.memory_interval = Duration::from_millis(100);
    let (sup, rec) = start(s);
    let unhealthy = rec.wait_for(Category::AppUnhealthy, 1, Duration::from_secs(20));
    assert_eq!(field(&unhealthy[0], "check"), "memory");
    assert!(field(&unhealthy[0], "rss_bytes").parse::<u64>().unwrap() > 100 << 20);
    let starts = rec.wait_for(Category::AppStart, 2, Duration::from_secs(10));
    assert_eq!(field(&starts[1], "after"), "memory");
    assert_eq!(stop(&sup), 0);
}

/// Reads pids a script wrote, one per line, once it has written `n` of them.
fn read_pids(path: &Path, n: usize) -> Vec<i32> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let pids: Vec<i32> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.len() >= n {
            return pids;
        }
        assert!(Instant::now() < until, "the app never wrote {n} pids");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn forked_grandchildren_are_gone_after_stop_even_outside_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // One grandchild stays in the group and ignores SIGTERM; one leaves it with setsid and
    // its parent exits, so it is orphaned.
    let script = format!(
        "trap '' TERM; sleep 1000 & echo $! >> {p}; \
         setsid sh -c 'echo $$ >> {p}; exec sleep 1000' & \
         echo $$ >> {p}; wait",
        p = pids.display()
    );
    let mut s = settings("forker", sh(&script));
    s.stop_timeout = Duration::from_millis(500);
    let (sup, _) = start(s);
    let pids = read_pids(&pids, 3);
    assert!(pids.iter().all(|&p| alive(p)), "{pids:?}");
    assert_eq!(stop(&sup), 0);
    let left: Vec<_> = pids.iter().filter(|&&p| alive(p)).collect();
    assert!(left.is_empty(), "still running after stop: {left:?}");
}

#[test]
fn grandchildren_of_a_crashed_app_die_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let script = format!(
        "sleep 1000 & echo $! >> {p}; sleep 0.2; exit 9",
        p = pids.display()
    );
    let (sup, rec) = start(settings("leaky", sh(&script)));
    let first = read_pids(&pids, 1)[0];
    rec.wait_for(Category::AppCrash, 1, Duration::from_secs(10));
    rec.wait_for(Category::AppStart, 2, Duration::from_secs(10));
    assert!(
        !alive(first),
        "the crashed run's grandchild {first} survived"
    );
    stop(&sup);
}

#[test]
fn restart_requests_and_file_changes_restart_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let mut s = settings("watched", sh("sleep 1000"));
    s.watch = Some(WatchSettings {
        paths: vec![src.clone()],
        ignore: vec!["*.log".into()],
        debounce: Duration::from_millis(50),
    });
    let (sup, rec) = start(s);
    rec.wait_for(Category::AppStart, 1, Duration::from_secs(5));
    sup.restart().unwrap();
    let starts = rec.wait_for(Category::AppStart, 2, Duration::from_secs(10));
    assert_eq!(field(&starts[1], "after"), "restart_requested");
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(src.join("noise.log"), "x").unwrap();
    std::fs::write(src.join("app.js"), "x").unwrap();
    let starts = rec.wait_for(Category::AppStart, 3, Duration::from_secs(10));
    assert_eq!(field(&starts[2], "after"), "file_change");
    assert!(rec.of(Category::AppCrash).is_empty());
    assert_eq!(sup.status().restarts, 2);
    assert_eq!(stop(&sup), 0);
}

#[test]
fn output_is_captured_with_timestamps_into_rotating_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(
        "chatty",
        sh(
            "i=0; while [ $i -lt 300 ]; do echo \"out line $i\"; echo \"err line $i\" >&2; i=$((i+1)); done; sleep 1000",
        ),
    );
    s.logs = LogSettings {
        dir: Some(dir.path().to_path_buf()),
        max_bytes: 4096,
        keep: 2,
        echo: false,
        tail_lines: 5,
    };
    let (sup, _) = start(s);
    let out = dir.path().join("chatty.out.log");
    let err = dir.path().join("chatty.err.log");
    let until = Instant::now() + Duration::from_secs(10);
    // The two streams are pumped independently: wait for the end of both.
    for (file, last) in [(&out, "out line 299"), (&err, "err line 299")] {
        while !std::fs::read_to_string(file)
            .unwrap_or_default()
            .contains(last)
        {
            assert!(Instant::now() < until, "{last} never reached the log");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let current = std::fs::read_to_string(&out).unwrap();
    assert!(
        current.lines().all(|l| l.contains("Z out line ")),
        "{current}"
    );
    assert!(dir.path().join("chatty.out.log.1").exists());
    assert!(dir.path().join("chatty.err.log.2").exists());
    assert!(!dir.path().join("chatty.err.log.3").exists());
    stop(&sup);
}

#[test]
fn a_bad_command_is_a_clear_error() {
    let rec: Arc<dyn Emit> = Arc::new(Recorder::default());
    let err = Supervisor::start(
        settings("x", vec!["/definitely/not/here".into()]),
        rec.clone(),
    )
    .err()
    .unwrap();
    assert!(
        matches!(err, StartError::Spawn(SpawnError::NotFound { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("command not found"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("app.sh");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    let err = Supervisor::start(settings("x", vec![plain.into()]), rec.clone())
        .err()
        .unwrap();
    assert!(err.to_string().contains("permission denied"), "{err}");

    let err = Supervisor::start(settings("x", Vec::new()), rec)
        .err()
        .unwrap();
    assert!(err.to_string().contains("no command"), "{err}");
}
