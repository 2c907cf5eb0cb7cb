//! The nftables action in a network namespace this test creates, with real traffic.
//!
//! Needs root (or CAP_NET_ADMIN/CAP_SYS_ADMIN), `ip`, `nft` and python3; without them each
//! test prints why it is skipped and passes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use palisade_core::Timestamp;
use palisade_firewall::{Action, Enforcer, NftVerdict, Nftables, Runner};
use palisade_state::{Ban, BanSource};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A network namespace with `lo` up, deleted (with the servers in it) on drop.
struct Netns {
    name: String,
    servers: Vec<Child>,
}

impl Netns {
    fn create() -> Result<Self, String> {
        let name = format!(
            "palisade-fw-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(&["ip", "netns", "add", &name])?;
        let ns = Netns {
            name,
            servers: Vec::new(),
        };
        run(&["ip", "-n", &ns.name, "link", "set", "lo", "up"])?;
        // A second IPv6 source on lo; `nodad` so it is usable at once.
        run(&[
            "ip",
            "-n",
            &ns.name,
            "addr",
            "add",
            "fd00:1::2/64",
            "dev",
            "lo",
            "nodad",
        ])?;
        ns.exec(&["nft", "list", "tables"])?;
        ns.exec(&["python3", "-c", "pass"])?;
        Ok(ns)
    }

    fn exec(&self, argv: &[&str]) -> Result<String, String> {
        let mut full = vec!["ip", "netns", "exec", &self.name];
        full.extend_from_slice(argv);
        run(&full)
    }

    fn nft_program(&self) -> Vec<String> {
        ["ip", "netns", "exec", &self.name, "nft"]
            .map(str::to_owned)
            .to_vec()
    }

    fn nft(&self) -> Nftables {
        Nftables::new(Runner::executing())
            .with_program(self.nft_program())
            .unwrap()
    }

    /// A TCP server on `addr` that answers `ok` to each connection; returns its port.
    fn serve(&mut self, addr: &str) -> u16 {
        const SERVER: &str = "import socket, sys\n\
            fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n\
            s = socket.socket(fam)\n\
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
            s.bind((sys.argv[1], 0))\n\
            s.listen(16)\n\
            print(s.getsockname()[1], flush=True)\n\
            while True:\n\
            \x20   c, _ = s.accept()\n\
            \x20   c.sendall(b'ok')\n\
            \x20   c.close()\n";
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.name, "python3", "-c", SERVER, addr])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        self.servers.push(child);
        line.trim().parse().unwrap()
    }

    /// True when a TCP connection from `src` to `dst:port` gets the server's answer in 1 s.
    fn connects(&self, src: &str, dst: &str, port: u16) -> bool {
        const CLIENT: &str = "import socket, sys\n\
            fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n\
            s = socket.socket(fam)\n\
            s.settimeout(1)\n\
            s.bind((sys.argv[1], 0))\n\
            s.connect((sys.argv[2], int(sys.argv[3])))\n\
            sys.exit(0 if s.recv(2) == b'ok' else 1)\n";
        Command::new("ip")
            .args(["netns", "exec", &self.name, "python3", "-c", CLIENT])
            .args([src, dst, &port.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn list(&self, what: &[&str]) -> String {
        let mut argv = vec!["nft", "list"];
        argv.extend_from_slice(what);
        self.exec(&argv).unwrap_or_else(|e| e)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for child in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(argv: &[&str]) -> Result<String, String> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .map_err(|e| format!("{}: {e}", argv.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}: {}",
            argv.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

macro_rules! netns_or_skip {
    () => {
        match Netns::create() {
            Ok(ns) => ns,
            Err(why) => {
                eprintln!("SKIPPED: cannot run nft in a network namespace here ({why})");
                return;
            }
        }
    };
}

#[test]
fn bans_block_real_traffic_and_unbans_restore_it() {
    let mut ns = netns_or_skip!();
    let port4 = ns.serve("127.0.0.1");
    let port6 = ns.serve("::1");
    let mut nft = ns.nft();
    nft.start().unwrap();
    assert!(ns.list(&["tables"]).contains("table inet palisade"));
    assert!(ns.connects("127.0.0.2", "127.0.0.1", port4));
    assert!(ns.connects("fd00:1::2", "::1", port6));

    // IPv4: the banned source is dropped, the other still gets through.
    nft.ban(
        "127.0.0.2/32".parse().unwrap(),
        Some(Duration::from_secs(3600)),
        "test",
    )
    .unwrap();
    assert!(!ns.connects("127.0.0.2", "127.0.0.1", port4));
    assert!(ns.connects("127.0.0.1", "127.0.0.1", port4));
    let set = ns.list(&["set", "inet", "palisade", "banned4"]);
    assert!(set.contains("127.0.0.2 timeout 1h"), "{set}");

    nft.unban("127.0.0.2/32".parse().unwrap()).unwrap();
    assert!(ns.connects("127.0.0.2", "127.0.0.1", port4));
    // Already gone (as after a kernel expiry): still a success.
    nft.unban("127.0.0.2/32".parse().unwrap()).unwrap();

    // IPv6 network, permanent.
    nft.ban("fd00:1::/64".parse().unwrap(), None, "test")
        .unwrap();
    let set = ns.list(&["set", "inet", "palisade", "banned6"]);
    assert!(set.contains("fd00:1::/64"), "{set}");
    assert!(!ns.connects("fd00:1::2", "::1", port6));
    assert!(ns.connects("::1", "::1", port6));
    nft.unban("fd00:1::/64".parse().unwrap()).unwrap();
    let set = ns.list(&["set", "inet", "palisade", "banned6"]);
    assert!(!set.contains("fd00:1::"), "{set}");
    assert!(ns.connects("fd00:1::2", "::1", port6));

    // Stop removes the table; stopping again is harmless.
    nft.stop().unwrap();
    assert!(!ns.list(&["tables"]).contains("palisade"));
    nft.stop().unwrap();
}

#[test]
fn overlapping_bans_and_idempotent_start() {
    let ns = netns_or_skip!();
    let mut nft = ns.nft();
    nft.start().unwrap();
    let set = || ns.list(&["set", "inet", "palisade", "banned4"]);
    nft.ban("10.1.2.3/32".parse().unwrap(), None, "").unwrap();
    nft.ban(
        "10.0.0.0/8".parse().unwrap(),
        Some(Duration::from_secs(600)),
        "",
    )
    .unwrap();
    nft.ban("10.9.0.0/16".parse().unwrap(), None, "").unwrap();
    let s = set();
    assert!(s.contains("10.0.0.0/8 timeout 10m"), "{s}");
    assert!(!s.contains("10.1.2.3") && !s.contains("10.9.0.0"), "{s}");
    // Re-ban with another timeout replaces the element's timeout.
    nft.ban(
        "10.0.0.0/8".parse().unwrap(),
        Some(Duration::from_secs(1200)),
        "",
    )
    .unwrap();
    assert!(set().contains("10.0.0.0/8 timeout 20m"), "{}", set());
    nft.unban("10.0.0.0/8".parse().unwrap()).unwrap();
    let s = set();
    assert!(s.contains("10.1.2.3") && s.contains("10.9.0.0/16"), "{s}");
    assert!(!s.contains("10.0.0.0/8"), "{s}");

    // Starting again recreates the table empty, whatever was there.
    nft.start().unwrap();
    assert!(!set().contains("10."), "{}", set());
    nft.stop().unwrap();
}

#[test]
fn reject_verdict_and_forward_chain_load() {
    let mut ns = netns_or_skip!();
    let port = ns.serve("127.0.0.1");
    let mut nft = ns
        .nft()
        .in_table("palisade_test")
        .unwrap()
        .with_verdict(NftVerdict::Reject)
        .guarding_forward();
    nft.start().unwrap();
    let table = ns.list(&["table", "inet", "palisade_test"]);
    assert!(table.contains("hook forward"), "{table}");
    assert!(table.contains("ip saddr @banned4 reject"), "{table}");
    nft.ban("127.0.0.2/32".parse().unwrap(), None, "").unwrap();
    let started = std::time::Instant::now();
    assert!(!ns.connects("127.0.0.2", "127.0.0.1", port));
    // Refused at once rather than timing out.
    assert!(started.elapsed() < Duration::from_millis(900));
    nft.stop().unwrap();
    assert!(!ns.list(&["tables"]).contains("palisade_test"));
}

#[test]
fn enforcer_reapplies_after_restart_and_cleans_up_on_shutdown() {
    let ns = netns_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("applied.json");
    let now = Timestamp::now();
    let bans = [Ban {
        target: "192.0.2.0/24".parse().unwrap(),
        reason: "test".into(),
        source: BanSource::Manual,
        first_seen: now,
        last_seen: now,
        hits: 0,
        expires_at: Some(Timestamp(now.0 + 600_000)),
        bans: 1,
    }];
    let set = || ns.list(&["set", "inet", "palisade", "banned4"]);
    {
        let mut enforcer =
            Enforcer::new(vec![Box::new(ns.nft()) as Box<dyn Action>], &state_file).unwrap();
        assert_eq!(enforcer.sync(&bans, now).banned, 1);
        assert!(set().contains("192.0.2.0/24 timeout"), "{}", set());
        // Dropped without shutdown, like a crash: the table stays.
    }
    // The new start recreates the table empty; the first sync loads the ban again.
    let mut enforcer =
        Enforcer::new(vec![Box::new(ns.nft()) as Box<dyn Action>], &state_file).unwrap();
    assert!(!set().contains("192.0.2.0"), "{}", set());
    let report = enforcer.sync(&bans, Timestamp(now.0 + 1_000));
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.banned, 1);
    assert!(set().contains("192.0.2.0/24 timeout 9m59s"), "{}", set());

    assert!(enforcer.shutdown().is_clean());
    assert!(!ns.list(&["tables"]).contains("palisade"));
    assert_eq!(enforcer.applied().count(), 0);
}
