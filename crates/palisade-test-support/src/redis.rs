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
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
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
