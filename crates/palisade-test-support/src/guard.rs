//! A guard process under test: its own config file, free ports, killed on drop.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// A free loopback port for a process that binds it later.
///
/// Port 0 would do for a listener we bind ourselves, but the guard binds inside
/// pingora, so we must name a port and release it first. Ports handed out by the
/// kernel (the ephemeral range, 32768 and up) get reused at once by outgoing
/// connections and by other tests' port-0 binds: a guard configured on one could
/// find it taken, or a test could end up talking to another test's guard. So ports
/// come from below the ephemeral range, a block per test process, never twice.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    const BLOCK: u16 = 100;
    let base = 20_000 + (std::process::id() % 120) as u16 * BLOCK;
    for _ in 0..BLOCK {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % BLOCK;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 127.0.0.1:{base}..{}", base + BLOCK);
}

/// A running `palisade guard`.
pub struct GuardProcess {
    child: Child,
    /// The proxy listener.
    pub addr: SocketAddr,
    /// The admin listener.
    pub admin: SocketAddr,
    bin: std::path::PathBuf,
    config: std::path::PathBuf,
    dir: tempfile::TempDir,
}

fn spawn(bin: &Path, config: &Path, dir: &Path) -> Child {
    // Appended across restarts, so a test can search everything the guard ever logged.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("guard.stderr"))
        .expect("guard log file");
    Command::new(bin)
        .args(["guard", "--config"])
        .arg(config)
        // The working directory is the test's own: the event store lands there.
        .current_dir(dir)
        // PALISADE_TEST_LOG raises the guard's log level when chasing a failure.
        .env(
            "PALISADE_LOG",
            std::env::var("PALISADE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn palisade guard")
}

impl GuardProcess {
    /// Starts `bin guard` with a config of `[guard]` listen/upstream plus
    /// `guard_lines` (more `[guard]` keys), then `tail` (other tables), and waits
    /// until both listeners accept connections.
    pub fn start(bin: &Path, upstream: &str, guard_lines: &str, tail: &str) -> GuardProcess {
        Self::start_with_admin(bin, upstream, guard_lines, "", tail)
    }

    /// Like [`GuardProcess::start`], with `admin_lines` added under `[admin]`.
    pub fn start_with_admin(
        bin: &Path,
        upstream: &str,
        guard_lines: &str,
        admin_lines: &str,
        tail: &str,
    ) -> GuardProcess {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let admin = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("palisade.toml");
        let text = format!(
            "[guard]\nlisten = \"{addr}\"\nupstream = \"{upstream}\"\n{guard_lines}\n\n[admin]\nlisten = \"{admin}\"\n{admin_lines}\n\n{tail}\n"
        );
        std::fs::File::create(&config)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("write config");
        let child = spawn(bin, &config, dir.path());
        let mut guard = GuardProcess {
            child,
            addr,
            admin,
            bin: bin.to_owned(),
            config,
            dir,
        };
        guard.wait_ready();
        guard
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("guard exited during start-up: {status}\n{}", self.stderr());
            }
            if TcpStream::connect(self.addr).is_ok() && TcpStream::connect(self.admin).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("guard did not start listening on {} within 20 s", self.addr);
    }

    /// Everything the guard wrote to stderr so far (its log), across restarts.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("guard.stderr")).unwrap_or_default()
    }

    /// The events of one category the guard stored, as `palisade events --json` prints them
    /// (ECS documents, newest first).
    pub fn events(&self, category: &str) -> Vec<serde_json::Value> {
        crate::stored_events(&self.bin, self.dir.path(), category)
    }

    /// [`events`](Self::events), waiting up to 10 s for at least `n` of them.
    pub fn wait_events(&self, category: &str, n: usize) -> Vec<serde_json::Value> {
        crate::wait_stored_events(
            &self.bin,
            self.dir.path(),
            category,
            n,
            Duration::from_secs(10),
        )
    }

    /// The guard's config file.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// The guard's working directory (its default event store, `palisade.db`, is here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the guard with SIGKILL (no shutdown hook runs) and waits for it.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the guard again with the same config and directory, and waits until it listens.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.bin, &self.config, self.dir.path());
        self.wait_ready();
    }

    /// `http://ADDR`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by number (15 = SIGTERM, 2 = SIGINT).
    pub fn signal(&self, sig: i32) {
        let pid = self.child.id() as i32;
        let rc = send_signal(pid, sig);
        assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Peak resident memory of the process so far (VmHWM), in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        self.status_kib("VmHWM:").map(|kb| kb * 1024)
    }

    /// Resident memory now (VmRSS), in bytes.
    pub fn rss(&self) -> Option<u64> {
        self.status_kib("VmRSS:").map(|kb| kb * 1024)
    }

    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for GuardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn send_signal(pid: i32, sig: i32) -> i32 {
    // The workspace forbids unsafe code; `kill(1)` does the same job from outside.
    match Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
    {
        Ok(s) if s.success() => 0,
        _ => -1,
    }
}
