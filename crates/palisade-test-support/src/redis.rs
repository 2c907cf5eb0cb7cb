//! A `redis-server` of the test's own, on a free loopback port, without persistence; stopped
//! on drop. Needs `redis-server` on PATH (`scripts/lib/prereqs.sh` installs it).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` of our own; SIGTERM on drop.
pub struct RedisServer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Waited for: its pid may belong to another process now, never signal it.
    reaped: bool,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers PING.
    pub fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        RedisServer::on(port)
    }

    /// Starts one on `port` (a restart on the port a stopped one had).
    pub fn on(port: u16) -> RedisServer {
        spawn_and_wait(port, &[], None)
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Sends `sig` (`-STOP`, `-CONT`, …) with kill(1).
    pub fn signal(&self, sig: &str) {
        if self.reaped {
            return;
        }
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Stops it and waits until it is gone.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reaped = true;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.signal("-CONT");
        self.signal("-TERM");
        if !self.reaped {
            let _ = self.child.wait();
        }
    }
}

impl RedisServer {
    /// Starts one on a free port that only lets in the ACL user `palisade` with `password`,
    /// limited to palisade's keys and channels (`~palisade:*`, `&palisade:*`): the setup
    /// the docs recommend. The default user is off.
    pub fn with_acl_user(password: &str) -> RedisServer {
        let args = [
            "--user",
            "default",
            "off",
            "--user",
            "palisade",
            "on",
            &format!(">{password}"),
            "~palisade:*",
            "&palisade:*",
            "+@all",
        ];
        spawn_and_wait(free_port(), &args.map(String::from), None)
    }

    /// Starts a replica of the server on `master` (a port on 127.0.0.1), on a free port,
    /// and waits until it answers PING (not until it has synced: ask `INFO replication`).
    pub fn replica_of(master: u16) -> RedisServer {
        let port = free_port();
        let master = master.to_string();
        // `swapdb`: the initial sync is loaded from the socket, never written as a
        // `dump.rdb` into the test's working directory.
        let args = [
            "--replicaof",
            "127.0.0.1",
            &master,
            "--repl-diskless-load",
            "swapdb",
        ];
        spawn_and_wait(port, &args.map(String::from), None)
    }
}

/// A Redis Sentinel of our own, watching one master as `mymaster` with a quorum of 1 and
/// short delays (down after 1 s), so a failover takes a couple of seconds; stopped on drop.
///
/// `redis-sentinel` is only a link to `redis-server`: `redis-server <conf> --sentinel` is
/// the same program, and is what Debian's `redis-server` package alone provides.
pub struct RedisSentinel {
    /// Its process; its port on 127.0.0.1 is `server.port`.
    pub server: RedisServer,
    /// Holds the config file: a sentinel rewrites it as it learns (it must be writable).
    _dir: tempfile::TempDir,
}

impl RedisSentinel {
    /// The service name it monitors.
    pub const MASTER: &'static str = "mymaster";

    /// Starts one on a free port watching the master on 127.0.0.1:`master`; waits until it
    /// answers PING.
    pub fn watching(master: u16) -> RedisSentinel {
        let dir = tempfile::tempdir().expect("a sentinel dir");
        let port = free_port();
        let conf = dir.path().join("sentinel.conf");
        let name = RedisSentinel::MASTER;
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\n\
             sentinel monitor {name} 127.0.0.1 {master} 1\n\
             sentinel down-after-milliseconds {name} 1000\n\
             sentinel failover-timeout {name} 5000\n",
            dir.path().display()
        );
        std::fs::write(&conf, text).expect("a sentinel config");
        let conf = conf.to_string_lossy().into_owned();
        let server = spawn_and_wait(port, &[], Some(&conf));
        RedisSentinel { server, _dir: dir }
    }

    /// `host:port` of the sentinel, as `[blackbook.redis] sentinels` takes it.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.server.port)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `redis-server [conf] --port P --bind 127.0.0.1 <extra>` (`--sentinel` with a config
/// file), without persistence for a data node; waits until it answers PING.
fn spawn_and_wait(port: u16, extra: &[String], sentinel_conf: Option<&str>) -> RedisServer {
    let mut cmd = Command::new("redis-server");
    match sentinel_conf {
        // The config file must come first; the sentinel takes its port from it.
        Some(conf) => cmd.args([conf, "--sentinel"]),
        None => cmd
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"]),
    };
    let child = cmd
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server on PATH (scripts/lib/prereqs.sh installs it)");
    let server = RedisServer {
        child,
        port,
        reaped: false,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 16];
            if s.write_all(b"PING\r\n").is_ok() && s.read(&mut buf).is_ok_and(|n| n > 0) {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}
