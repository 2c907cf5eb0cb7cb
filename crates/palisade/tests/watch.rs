//! `palisade watch` against real daemons on 127.0.0.1: OpenSSH (`sshd -D -E file`) with
//! wrong and right passwords through sshpass, vsftpd with Python's ftplib, an app log
//! rotated in the middle of a burst, and the command action recording bans and unbans.
//! Daemon tests print why and return when the daemon or root is missing (./scripts/test
//! installs openssh-server, sshpass and vsftpd).

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_test_support::free_port;
use serde_json::Value;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_palisade"))
}

const USER: &str = "palisade-watch-test";
const PASSWORD: &str = "Corr3ct-horse-battery";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Why a daemon test cannot run here, if it cannot.
fn missing(programs: &[&str]) -> Option<String> {
    if !is_root() {
        return Some("needs root (a local user, daemons on loopback)".into());
    }
    programs
        .iter()
        .find(|p| !Path::new(p).exists())
        .map(|p| format!("{p} is not installed (./scripts/test installs it)"))
}

/// A local account with a known password and no shell, created once.
fn ensure_user() {
    let exists = Command::new("id")
        .arg(USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ])
            .status()
            .expect("useradd");
        // Another test process may have created it meanwhile.
        assert!(status.success() || Command::new("id").arg(USER).status().unwrap().success());
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("chpasswd");
    chpasswd
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(chpasswd.wait().unwrap().success());
}

fn wait_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited at start: {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{what} did not listen on {port}");
}

struct Daemon(Child);

impl Drop for Daemon {
    /// SIGTERM first: a killed nginx master leaves its workers behind, and they hold the
    /// test's output pipes open.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// sshd on a loopback port with its own host key and config, logging to `log`.
fn start_sshd(dir: &Path, log: &Path) -> (Daemon, u16) {
    let port = free_port();
    let key = dir.join("host_ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "{out:?}");
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nUsePAM no\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication no\n\
             StrictModes no\nLogLevel INFO\nMaxStartups 100\n",
            key.display(),
            dir.join("sshd.pid").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let mut child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-f"])
        .arg(&config)
        .arg("-E")
        .arg(log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd");
    wait_port(port, &mut child, "sshd");
    (Daemon(child), port)
}

/// One ssh login from `from`; true when it got in.
fn ssh(port: u16, from: &str, user: &str, password: &str) -> bool {
    let out = Command::new("sshpass")
        .args(["-p", password, "ssh"])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "-p",
        ])
        .arg(port.to_string())
        .args(["-b", from])
        .arg(format!("{user}@127.0.0.1"))
        .arg("true")
        .stdin(Stdio::null())
        .output()
        .expect("run sshpass");
    // nologin refuses the session after authentication: "This account is currently not
    // available." — the login itself succeeded (exit 1, not 255 / sshpass's 5).
    String::from_utf8_lossy(&out.stdout).contains("not available") || out.status.code() == Some(1)
}

/// `palisade watch` in a directory of its own (events in `palisade.db` there).
struct Watch {
    /// `None` for a directory whose palisade commands the test runs itself (`--once`).
    child: Option<Child>,
    dir: PathBuf,
}

impl Watch {
    fn config(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("palisade.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn start(dir: &Path, args: &[&str]) -> Watch {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("watch.stderr"))
            .unwrap();
        let child = Command::new(bin())
            .args(["watch", "--config", "palisade.toml"])
            .args(args)
            .current_dir(dir)
            .env("PALISADE_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn palisade watch");
        let w = Watch {
            child: Some(child),
            dir: dir.to_owned(),
        };
        w.wait_log("watching");
        w
    }

    /// The directory of a watch the test runs by hand (`palisade watch --once`, `blackbook`).
    fn offline(dir: &Path) -> Watch {
        Watch {
            child: None,
            dir: dir.to_owned(),
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("watch.stderr")).unwrap_or_default()
    }

    fn wait_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn palisade(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn events(&self, category: &str) -> Vec<Value> {
        palisade_test_support::stored_events(bin(), &self.dir, category)
    }

    fn wait_events(&self, category: &str, n: usize) -> Vec<Value> {
        palisade_test_support::wait_stored_events(
            bin(),
            &self.dir,
            category,
            n,
            Duration::from_secs(15),
        )
    }

    fn bans(&self) -> Vec<Value> {
        let out = self.palisade(&["blackbook", "--config", "palisade.toml", "list", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    }

    fn stop(&mut self) {
        let Some(child) = &mut self.child else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("palisade watch did not stop on SIGTERM:\n{}", self.stderr());
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn field<'a>(e: &'a Value, name: &str) -> &'a Value {
    &e["palisade"]["fields"][name]
}

#[test]
fn sshd_failures_ban_the_address_and_a_login_from_a_new_address_is_reported() {
    if let Some(why) = missing(&["/usr/sbin/sshd", "/usr/bin/sshpass"]) {
        eprintln!("skipped: {why}");
        return;
    }
    ensure_user();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sshd.log");
    let (_sshd, port) = start_sshd(dir.path(), &log);
    Watch::config(
        dir.path(),
        &format!(
            r#"
[[watch]]
path = "{}"
parser = "sshd"

# The test's clients are loopback addresses, which the default allowlist never bans.
[blackbook]
allowlist = []

[auth]
ipv4_prefix = 32
[auth.brute_force]
failures = 4
window = "5m"
ban = "1h"
"#,
            log.display()
        ),
    );
    let w = Watch::start(dir.path(), &["--from-start"]);

    // The user's usual address, then a new one.
    assert!(
        ssh(port, "127.0.0.1", USER, PASSWORD),
        "the right password works"
    );
    assert!(ssh(port, "127.0.0.2", USER, PASSWORD));
    let new_ip = w.wait_events("new_ip_login", 1);
    assert_eq!(new_ip.len(), 1, "{new_ip:?}\n{}", w.stderr());
    assert_eq!(new_ip[0]["source"]["ip"], "127.0.0.2");
    assert_eq!(new_ip[0]["user"]["name"], USER);
    assert_eq!(field(&new_ip[0], "service"), "ssh");

    // Wrong passwords from a third address: each is an ssh_auth_failure, the fourth bans.
    for _ in 0..4 {
        assert!(!ssh(port, "127.0.0.3", USER, "wrong password"));
    }
    let failures = w.wait_events("ssh_auth_failure", 4);
    assert_eq!(failures.len(), 4, "{failures:?}\n{}", w.stderr());
    assert!(failures.iter().all(|e| e["source"]["ip"] == "127.0.0.3"));
    assert!(failures.iter().all(|e| e["user"]["name"] == USER));
    assert!(
        failures
            .iter()
            .all(|e| field(e, "log_kind") == "failed_password")
    );
    let brute = w.wait_events("brute_force", 1);
    assert_eq!(brute[0]["source"]["ip"], "127.0.0.3");
    assert_eq!(field(&brute[0], "service"), "ssh");
    let bans = w.wait_events("ip_banned", 1);
    assert_eq!(bans[0]["source"]["ip"], "127.0.0.3", "{bans:?}");
    let book = w.bans();
    let ban = book
        .iter()
        .find(|b| b["target"] == "127.0.0.3/32")
        .unwrap_or_else(|| panic!("127.0.0.3 in the black book: {book:?}"));
    assert!(
        ban["reason"].as_str().unwrap().starts_with("ssh: "),
        "{ban}"
    );
    // The good addresses were never banned, and no password reached the events.
    assert!(
        book.iter()
            .all(|b| b["target"] != "127.0.0.1/32" && b["target"] != "127.0.0.2/32")
    );
    let all = w.palisade(&[
        "events",
        "--json",
        "--database",
        "palisade.db",
        "--limit",
        "1000",
    ]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(!text.contains(PASSWORD) && !text.contains("wrong password"));

    // An unknown user: "Invalid user" and "Failed password for invalid user" (fail2ban's
    // sshd filter counts both lines too).
    assert!(!ssh(port, "127.0.0.4", "no-such-user-x", "whatever"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: Vec<Value> = w
            .events("ssh_auth_failure")
            .into_iter()
            .filter(|e| e["source"]["ip"] == "127.0.0.4")
            .collect();
        if got.len() >= 2 || Instant::now() > deadline {
            assert_eq!(got.len(), 2, "{got:?}");
            assert!(got.iter().all(|e| e["user"]["name"] == "no-such-user-x"));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn vsftpd_bad_credentials_are_ftp_auth_failures() {
    if let Some(why) = missing(&["/usr/sbin/vsftpd"]) {
        eprintln!("skipped: {why}");
        return;
    }
    ensure_user();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vsftpd.log");
    let port = free_port();
    std::fs::create_dir_all("/var/run/vsftpd/empty").unwrap();
    let conf = dir.path().join("vsftpd.conf");
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
             anonymous_enable=NO\nlocal_enable=YES\npam_service_name=vsftpd\nxferlog_enable=YES\n\
             xferlog_std_format=NO\nvsftpd_log_file={}\nseccomp_sandbox=NO\n\
             secure_chroot_dir=/var/run/vsftpd/empty\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::write(&log, "").unwrap();
    let mut child = Command::new("/usr/sbin/vsftpd")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vsftpd");
    wait_port(port, &mut child, "vsftpd");
    let _vsftpd = Daemon(child);
    Watch::config(
        dir.path(),
        &format!(
            "[[watch]]\nname = \"ftp\"\npath = \"{}\"\nparser = \"vsftpd\"\n",
            log.display()
        ),
    );
    let w = Watch::start(dir.path(), &["--from-start"]);
    let script = format!(
        r#"
import ftplib
for user, password in [("{USER}", "wrong"), ("nobody-here", "x"), ("{USER}", "wrong-again")]:
    f = ftplib.FTP(source_address=("127.0.0.5", 0))
    f.connect("127.0.0.1", {port}, timeout=15)
    try:
        f.login(user, password)
        print("logged in", user)
    except ftplib.error_perm as e:
        print("refused", user, e)
    f.close()
"#
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3");
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches("refused").count(), 3, "{said}{out:?}");
    let failures = w.wait_events("ftp_auth_failure", 3);
    assert_eq!(failures.len(), 3, "{failures:?}\n{}", w.stderr());
    assert!(failures.iter().all(|e| e["source"]["ip"] == "127.0.0.5"));
    let mut users: Vec<&str> = failures
        .iter()
        .map(|e| e["user"]["name"].as_str().unwrap())
        .collect();
    users.sort();
    assert_eq!(users, ["nobody-here", USER, USER]);
    assert!(failures.iter().all(|e| field(e, "service") == "ftp"));
}

/// An app's own log through a custom regex, rotated by rename and by copytruncate in the
/// middle of a burst, with `palisade watch` restarted half-way: every line is one event.
#[test]
fn rotation_and_restart_in_the_middle_of_a_burst_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").unwrap();
    Watch::config(
        dir.path(),
        &format!(
            r#"
[[watch]]
name = "app"
path = "{}"
regex = ['login (?P<outcome>failed|ok) for (?P<user>\S+) from (?P<ip>\S+)']
service = "app"

[watching]
poll = "50ms"

[auth.brute_force]
failures = 10000
[auth.prefix]
failures = 10000
"#,
            log.display()
        ),
    );
    let mut w = Watch::start(dir.path(), &[]);
    let append = |range: std::ops::Range<u32>| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        for i in range {
            // One address per line: nothing is rate- or threshold-limited.
            writeln!(
                f,
                "app[1]: login failed for user{i} from 10.{}.{}.{}",
                i / 65536 % 256,
                i / 256 % 256,
                i % 256
            )
            .unwrap();
        }
    };
    append(0..100);
    std::thread::sleep(Duration::from_millis(120));
    append(100..150);
    // Rename rotation with lines still unread in the old file.
    std::fs::rename(&log, log.with_extension("log.1")).unwrap();
    append_to_new(&log);
    append(150..200);
    w.wait_events("auth_failure", 150);
    // Stopped; lines written while palisade is down are read at the restart.
    w.stop();
    append(200..260);
    let mut w = Watch::start(dir.path(), &[]);
    w.wait_events("auth_failure", 260);
    // copytruncate (the writer paused while it copies), then more lines.
    let copy = std::fs::read(&log).unwrap();
    std::fs::write(log.with_extension("log.2"), copy).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(260..300);
    w.wait_events("auth_failure", 300);
    // A rename rotation while palisade is down: the rest of the old file is found by its
    // inode beside the new one.
    w.stop();
    append(300..320);
    std::fs::rename(&log, log.with_extension("log.3")).unwrap();
    append_to_new(&log);
    append(320..340);
    let w = Watch::start(dir.path(), &[]);
    w.wait_events("auth_failure", 340);
    // Anything read twice would show up a little later.
    std::thread::sleep(Duration::from_millis(500));
    let events = w.events("auth_failure");
    let mut users: Vec<String> = events
        .iter()
        .map(|e| e["user"]["name"].as_str().unwrap().to_owned())
        .collect();
    users.sort();
    let before = users.len();
    users.dedup();
    assert_eq!(before, users.len(), "a line was read twice");
    assert_eq!(
        users.len(),
        340,
        "lost lines: {}\n{}",
        340 - users.len(),
        w.stderr()
    );
    assert!(events.iter().all(|e| field(e, "service") == "app"));
}

fn append_to_new(log: &Path) {
    std::fs::write(log, "").unwrap();
}

/// A guard with a `[[watch]]` source: SSH failures from the log and web login failures
/// through the guard add up in one window, and the ban is enforced by the guard.
#[test]
fn the_guard_counts_log_failures_and_web_failures_together() {
    use palisade_test_support::{GuardProcess, TestUpstream};
    let upstream = TestUpstream::start();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("auth.log");
    std::fs::write(&log, "").unwrap();
    let guard = GuardProcess::start(
        bin(),
        &upstream.url(),
        "trusted_proxies = [\"127.0.0.1/32\"]",
        &format!(
            r#"
[[watch]]
path = "{}"
parser = "sshd"

[watching]
poll = "50ms"

[[auth.login]]
path = "/login"
username = "form:username"
password = "form:password"
success = {{ status = [302], location_not = "/login?error" }}

[auth.brute_force]
failures = 6
"#,
            log.display()
        ),
    );
    let attacker = "203.0.113.50";
    // Three SSH failures in the log...
    {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        for port in 0..3 {
            writeln!(
                f,
                "Failed password for root from {attacker} port 5{port} ssh2"
            )
            .unwrap();
        }
    }
    let failures = guard.wait_events("ssh_auth_failure", 3);
    assert_eq!(failures.len(), 3, "{failures:?}\n{}", guard.stderr());
    // ...and three failed web logins make six: banned, by the guard too.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |password: &'static str| {
        rt.block_on(async {
            client
                .post(format!("{}/login", guard.url()))
                .header("x-forwarded-for", attacker)
                .form(&[("username", "alice"), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    for _ in 0..3 {
        assert_eq!(post("wrong"), 302);
    }
    let brute = guard.wait_events("brute_force", 1);
    assert_eq!(brute.len(), 1, "{}", guard.stderr());
    assert_eq!(brute[0]["source"]["ip"], attacker);
    assert_eq!(post("wrong"), 403, "the guard refuses the banned address");
}

/// `[[enforce]]` with a command action: a ban from the log reaches the script, an unban by
/// hand too; `--dry-run` prints and runs nothing.
#[test]
fn the_command_action_applies_bans_and_unbans() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").unwrap();
    let calls = dir.path().join("calls.txt");
    let script = dir.path().join("fw.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1 $2 $3\" >> {}\n", calls.display()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    Watch::config(
        dir.path(),
        &format!(
            r#"
[[watch]]
name = "app"
path = "{log}"
regex = ['bad login from (?P<ip>\S+)']
service = "ssh"

[watching]
poll = "50ms"

[auth.brute_force]
failures = 3
ban = "2h"

[[enforce]]
kind = "command"
ban = "{script} ban {{ip}} {{ttl}}"
unban = "{script} unban {{ip}} 0"
"#,
            log = log.display(),
            script = script.display()
        ),
    );

    // A dry run with a ban already in the book: prints the command, runs nothing.
    let w0 = Watch::offline(dir.path());
    let out = w0.palisade(&[
        "blackbook",
        "--config",
        "palisade.toml",
        "ban",
        "198.51.100.7",
        "--for",
        "1h",
    ]);
    assert!(out.status.success(), "{out:?}");
    let dry = w0.palisade(&["watch", "--config", "palisade.toml", "--dry-run", "--once"]);
    let said = String::from_utf8_lossy(&dry.stdout);
    assert!(said.contains("ban 198.51.100.7"), "{said}\n{dry:?}");
    assert!(!calls.exists(), "a dry run ran a command");
    // `--once`: one sync, and the ban stays applied when it exits.
    let once = w0.palisade(&["watch", "--config", "palisade.toml", "--once"]);
    assert!(once.status.success(), "{once:?}");
    assert!(
        std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .contains("ban 198.51.100.7"),
        "{once:?}"
    );
    drop(w0);

    let w = Watch::start(dir.path(), &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let read = || std::fs::read_to_string(&calls).unwrap_or_default();
    while !read().contains("ban 198.51.100.7") {
        assert!(Instant::now() < deadline, "{}\n{}", read(), w.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        for _ in 0..3 {
            writeln!(f, "bad login from 192.0.2.33").unwrap();
        }
    }
    while !read().contains("ban 192.0.2.33 7200") {
        assert!(Instant::now() < deadline, "{}\n{}", read(), w.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = w.palisade(&[
        "blackbook",
        "--config",
        "palisade.toml",
        "unban",
        "192.0.2.33",
    ]);
    assert!(out.status.success(), "{out:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !read().contains("unban 192.0.2.33") {
        assert!(Instant::now() < deadline, "{}\n{}", read(), w.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        read().matches("ban 192.0.2.33 7200").count(),
        1,
        "{}",
        read()
    );
    // What `--once` applied was remembered: the running watch did not apply it again.
    assert_eq!(read().matches("ban 198.51.100.7").count(), 1, "{}", read());
}

/// nginx's own access log (combined format, written by a real nginx on loopback): a probe for
/// `.env` is a `sensitive_file_probe`, a burst of 404s a `scanner` event, both offences of the
/// client; ordinary requests are left alone.
#[test]
fn nginx_access_log_probes_and_404_bursts_are_reported() {
    if let Some(why) = missing(&["/usr/sbin/nginx"]) {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "hello\n").unwrap();
    // nginx's workers run unprivileged; tempdirs are 0700.
    Command::new("chmod")
        .args(["755"])
        .arg(dir.path())
        .arg(&www)
        .status()
        .unwrap();
    let port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes 1;\ndaemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx.err warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{ access_log {log} combined; \
             server {{ listen 127.0.0.1:{port}; root {www}; }} }}\n",
            dir = dir.path().display(),
            log = log.display(),
            www = www.display()
        ),
    )
    .unwrap();
    let mut child = Command::new("/usr/sbin/nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    wait_port(port, &mut child, "nginx");
    let _nginx = Daemon(child);
    std::fs::write(&log, "").ok();
    Watch::config(
        dir.path(),
        &format!(
            "[[watch]]\npath = \"{}\"\nparser = \"nginx\"\n\n[watching]\npoll = \"50ms\"\nnot_found_burst = 10\n",
            log.display()
        ),
    );
    let w = Watch::start(dir.path(), &["--from-start"]);
    let get = |path: &str| {
        palisade_test_support::raw_get(
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            path,
            &[],
        )
        .status()
    };
    assert_eq!(get("/index.html"), 200);
    assert_eq!(get("/.env"), 404);
    let probes = w.wait_events("sensitive_file_probe", 1);
    assert_eq!(probes.len(), 1, "{probes:?}\n{}", w.stderr());
    assert_eq!(probes[0]["source"]["ip"], "127.0.0.1");
    assert_eq!(field(&probes[0], "path"), "/.env");
    assert_eq!(field(&probes[0], "service"), "http");
    for i in 0..12 {
        assert_eq!(get(&format!("/missing-{i}")), 404);
    }
    let bursts = w.wait_events("scanner", 1);
    assert_eq!(bursts.len(), 1, "{bursts:?}\n{}", w.stderr());
    assert_eq!(field(&bursts[0], "status"), "404");
    // The index page was not an event of any kind.
    let all = w.palisade(&[
        "events",
        "--json",
        "--database",
        "palisade.db",
        "--limit",
        "100",
    ]);
    assert!(!String::from_utf8_lossy(&all.stdout).contains("index.html"));
}

/// A backfill (`--from-start`) counts recent lines only: a failure dated last year is not
/// an offence today (fail2ban ignores lines older than its findtime the same way).
#[test]
fn old_lines_in_a_backfill_are_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent = rfc3339(now - 60);
    std::fs::write(
        &log,
        format!(
            "2025-01-01T10:00:00Z host sshd[1]: Failed password for root from 198.51.100.1 port 1 ssh2\n\
             {recent} host sshd[2]: Failed password for root from 198.51.100.2 port 2 ssh2\n\
             Failed password for root from 198.51.100.3 port 3 ssh2\n"
        ),
    )
    .unwrap();
    Watch::config(
        dir.path(),
        &format!(
            "[[watch]]\npath = \"{}\"\nparser = \"sshd\"\n",
            log.display()
        ),
    );
    let w = Watch::offline(dir.path());
    let out = w.palisade(&[
        "watch",
        "--config",
        "palisade.toml",
        "--from-start",
        "--once",
    ]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("3 lines read, 3 matched, 1 lines older"),
        "{said}"
    );
    let mut ips: Vec<String> = w
        .events("ssh_auth_failure")
        .iter()
        .map(|e| e["source"]["ip"].as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    assert_eq!(ips, ["198.51.100.2", "198.51.100.3"]);
}

/// `2026-11-28T10:00:00Z` for a Unix time, without a date library.
fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
