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

impl RedisServer {
    /// Starts one that speaks only TLS, with `cert` and `key` (see `SelfSigned`), on a free
    /// port, without asking clients for a certificate; waits until the port accepts
    /// connections. `port` is then its TLS port (there is no plain-text one, `--port 0`):
    /// use [`RedisServer::tls_url`], not `url`.
    pub fn with_tls(cert: &std::path::Path, key: &std::path::Path) -> RedisServer {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            // `-::1`: also on ::1 when the host has it, so `localhost` (the certificate's
            // name) answers whichever address it resolves to first.
            .args(["--bind", "127.0.0.1 -::1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--tls-cert-file")
            .arg(cert)
            .arg("--tls-key-file")
            .arg(key)
            .args(["--tls-auth-clients", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (scripts/lib/prereqs.sh installs it)");
        let mut server = RedisServer {
            child,
            port,
            reaped: false,
        };
        // redis-server loads the certificate before it listens, so a port that accepts
        // connections also completes handshakes.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            // A redis-server built without TLS, or refusing the files, exits at once.
            if let Ok(Some(status)) = server.child.try_wait() {
                server.reaped = true;
                panic!("redis-server with TLS exited: {status}");
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// `rediss://localhost:PORT/`, for a server started [`with_tls`](Self::with_tls):
    /// `localhost`, not 127.0.0.1, because that is the name `SelfSigned` certifies.
    pub fn tls_url(&self) -> String {
        format!("rediss://localhost:{}/", self.port)
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

/// A Redis Cluster of our own: three masters and a replica each on free loopback ports,
/// made with `redis-cli --cluster create` (Debian's `redis-tools`, installed with
/// `redis-server`), failure detection after 1 s; every node stopped on drop.
pub struct RedisCluster {
    /// The nodes, masters first as `--cluster create` paired them (their roles change
    /// after a failover: ask the nodes).
    pub nodes: Vec<RedisServer>,
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Starts six nodes and waits until the cluster reports `cluster_state:ok` on all and
    /// every replica has synced.
    pub fn start() -> RedisCluster {
        let dir = tempfile::tempdir().expect("a temp dir");
        let nodes: Vec<RedisServer> = (0..6)
            .map(|_| {
                let port = free_port();
                let conf = dir.path().join(format!("nodes-{port}.conf"));
                let args = [
                    "--cluster-enabled".into(),
                    "yes".into(),
                    "--cluster-config-file".into(),
                    conf.display().to_string(),
                    "--cluster-node-timeout".into(),
                    "1000".into(),
                    // An idle replica's last word from its master may be older than the
                    // default validity window allows; any replica may take over here.
                    "--cluster-replica-validity-factor".into(),
                    "0".into(),
                    // Replicas sync at once (diskless sync otherwise waits 5 s for more).
                    "--repl-diskless-sync-delay".into(),
                    "0".into(),
                    "--dir".into(),
                    dir.path().display().to_string(),
                ];
                spawn_and_wait(port, &args, None)
            })
            .collect();
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for n in &nodes {
            create.arg(format!("127.0.0.1:{}", n.port));
        }
        let out = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli on PATH (redis-tools, installed with redis-server)");
        assert!(
            out.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let cluster = RedisCluster { nodes, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cluster
            .nodes
            .iter()
            .all(|n| cluster.info(n.port).contains("cluster_state:ok") && cluster.synced(n.port))
        {
            assert!(Instant::now() < deadline, "the cluster did not become ok");
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster
    }

    /// `redis-cli -p PORT <args>`'s output ("" when the node does not answer).
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// A master, or a replica whose link to its master is up (synced).
    fn synced(&self, port: u16) -> bool {
        let r = self.cli(port, &["info", "replication"]);
        r.contains("role:master") || r.contains("master_link_status:up")
    }

    fn info(&self, port: u16) -> String {
        self.cli(port, &["cluster", "info"])
    }

    /// `host:port` of every node, for a config's seed list.
    pub fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect()
    }
}
