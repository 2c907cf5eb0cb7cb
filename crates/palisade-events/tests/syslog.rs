//! The syslog sink against real receivers: rsyslogd over TCP and TLS (started by the test
//! with its own config), and a UDP socket.
//!
//! rsyslogd comes from the `rsyslog` and `rsyslog-openssl` packages; `./scripts/test` installs
//! them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palisade_core::{Category, Emit, Event, Severity};
use palisade_events::sinks::syslog::{SyslogConfig, SyslogTransport};
use palisade_events::sinks::{Delivery, SinkKind, SinkSettings};
use palisade_events::{EventsSettings, Pipeline};
use palisade_test_support::free_port;

const DEADLINE: Duration = Duration::from_secs(30);

fn attack(n: usize) -> Event {
    Event::new(
        Category::MaliciousTraffic,
        Severity::High,
        format!("event {n}"),
    )
    .with_source_ip(IpAddr::from([203, 0, 113, 9]))
    .with_rule("sqli-union")
    .with_request(format!("req-{n}"), "GET", None, "/search?q=1")
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rsyslogd() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join("rsyslogd"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "rsyslogd not found: these tests need a real rsyslog. Run ./scripts/test (it \
                 installs rsyslog and rsyslog-openssl), or `apt-get install rsyslog rsyslog-openssl`"
            )
        })
}

/// A CA and a server certificate for 127.0.0.1, as PEM files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn generate(dir: &Path) -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "palisade test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::from_params(&ca, &ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        let pki = Pki {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
        std::fs::write(&pki.cert, cert.pem()).unwrap();
        std::fs::write(&pki.key, key.serialize_pem()).unwrap();
        pki
    }
}

/// rsyslogd in the foreground with a config of the test's own; killed on drop. What it
/// receives from palisade lands in `out.log` as `MSGID|STRUCTURED-DATA|MSG`.
struct Rsyslog {
    child: Child,
    stderr: PathBuf,
}

impl Rsyslog {
    fn start(dir: &Path, port: u16, tls: Option<&Pki>) -> Rsyslog {
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let (global, driver) = match tls {
            None => (String::new(), String::new()),
            Some(p) => (
                format!(
                    "\n  DefaultNetstreamDriverCAFile=\"{}\"\n  DefaultNetstreamDriverCertFile=\"{}\"\n  DefaultNetstreamDriverKeyFile=\"{}\"",
                    p.ca.display(),
                    p.cert.display(),
                    p.key.display()
                ),
                " streamDriver.name=\"ossl\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\""
                    .to_owned(),
            ),
        };
        let conf = dir.join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{work}"{global})
module(load="imtcp"{driver})
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="palisade" type="string" string="%msgid%|%structured-data%|%msg%\n")
if $app-name == "palisade" then {{
  action(type="omfile" file="{out}" template="palisade")
}}
"#,
                work = work.display(),
                out = dir.join("out.log").display(),
            ),
        )
        .unwrap();
        let check = Command::new(rsyslogd())
            .args(["-N1", "-f"])
            .arg(&conf)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "rsyslogd rejects the test config: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let stderr = dir.join("rsyslogd.err");
        let child = Command::new(rsyslogd())
            .args(["-n", "-f"])
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut rsyslog = Rsyslog { child, stderr };
        wait_until("rsyslogd to listen", || {
            if let Some(status) = rsyslog.child.try_wait().unwrap() {
                panic!(
                    "rsyslogd exited ({status}): {}",
                    std::fs::read_to_string(&rsyslog.stderr).unwrap_or_default()
                );
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        rsyslog
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `(msgid, structured data, msg)` per line rsyslog wrote.
fn received(dir: &Path) -> Vec<(String, String, String)> {
    std::fs::read_to_string(dir.join("out.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '|');
            let mut next = || parts.next().unwrap_or_default().trim().to_owned();
            (next(), next(), next())
        })
        .collect()
}

fn assert_structured(line: &(String, String, String), message: &str) {
    let (msgid, sd, msg) = line;
    assert_eq!(msgid, "malicious_traffic");
    assert_eq!(msg, message);
    for param in [
        "[palisade@32473 ",
        "category=\"malicious_traffic\"",
        "severity=\"high\"",
        "ip=\"203.0.113.9\"",
        "rule=\"sqli-union\"",
        "method=\"GET\"",
    ] {
        assert!(sd.contains(param), "{param} missing from {sd}");
    }
}

async fn send_one(config: SyslogConfig, event: &Event) -> Result<(), String> {
    let mut sink = SinkKind::Syslog(config).build()?;
    sink.send(&[Delivery::Event(event)])
        .await
        .map_err(|e| e.message)
}

#[tokio::test]
async fn rfc5424_over_tcp_reaches_rsyslog_with_structured_data() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _rsyslog = Rsyslog::start(dir.path(), port, None);
    let mut config = SyslogConfig::new("127.0.0.1", SyslogTransport::Tcp);
    config.port = Some(port);
    let mut sink = SinkKind::Syslog(config).build().unwrap();
    let events: Vec<Event> = (0..3).map(attack).collect();
    let batch: Vec<Delivery<'_>> = events.iter().map(Delivery::Event).collect();
    sink.send(&batch).await.unwrap();
    wait_until("3 messages in rsyslog's file", || {
        received(dir.path()).len() == 3
    });
    for (n, line) in received(dir.path()).iter().enumerate() {
        assert_structured(line, &format!("event {n}"));
    }
}

#[tokio::test]
async fn rfc5424_over_tls_reaches_rsyslog_and_the_certificate_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::generate(dir.path());
    let port = free_port();
    let _rsyslog = Rsyslog::start(dir.path(), port, Some(&pki));

    let mut config = SyslogConfig::new("127.0.0.1", SyslogTransport::Tls);
    config.port = Some(port);
    config.ca_file = Some(pki.ca.clone());
    send_one(config.clone(), &attack(7)).await.unwrap();
    wait_until("the message in rsyslog's file", || {
        received(dir.path()).len() == 1
    });
    assert_structured(&received(dir.path())[0], "event 7");

    // The system roots do not vouch for the test CA: the handshake must fail.
    config.ca_file = None;
    let err = send_one(config, &attack(8)).await.unwrap_err();
    assert!(
        err.contains("TLS handshake") || err.contains("CA certificates"),
        "{err}"
    );
}

#[tokio::test]
async fn udp_sends_one_datagram_per_message_cut_at_a_character_boundary() {
    let receiver = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = receiver.local_addr().unwrap().port();
    let mut config = SyslogConfig::new("127.0.0.1", SyslogTransport::Udp);
    config.port = Some(port);
    config.max_datagram = 600;
    let short = attack(1);
    let long = Event::new(Category::Scanner, Severity::Low, "é".repeat(1000));
    let mut sink = SinkKind::Syslog(config).build().unwrap();
    sink.send(&[Delivery::Event(&short), Delivery::Event(&long)])
        .await
        .unwrap();
    let mut buf = vec![0u8; 65536];
    let mut datagrams = Vec::new();
    for _ in 0..2 {
        let n = tokio::time::timeout(DEADLINE, receiver.recv(&mut buf))
            .await
            .expect("a datagram")
            .unwrap();
        datagrams.push(String::from_utf8(buf[..n].to_vec()).expect("valid UTF-8"));
    }
    assert!(datagrams[0].starts_with("<35>1 "), "{}", datagrams[0]);
    assert!(datagrams[0].ends_with("] event 1"), "{}", datagrams[0]);
    // auth (4) * 8 + notice (5, low)
    assert!(datagrams[1].starts_with("<37>1 "), "{}", datagrams[1]);
    assert!(datagrams[1].len() <= 600 && datagrams[1].len() >= 598);
    assert!(datagrams[1].ends_with('é'));
}

/// The issue's fault test: the receiver is down while 1,000 events are emitted; once it is
/// back, all of them arrive exactly once, in order — including the first batch, which would
/// vanish into the dead connection's send buffer without the liveness check.
#[test]
fn syslog_over_tcp_survives_an_rsyslog_outage_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut rsyslog = Rsyslog::start(dir.path(), port, None);

    let mut settings = EventsSettings::new(dir.path().join("events.db"));
    let mut config = SyslogConfig::new("127.0.0.1", SyslogTransport::Tcp);
    config.port = Some(port);
    let mut sink = SinkSettings::new("syslog", SinkKind::Syslog(config));
    sink.retry_min = Duration::from_millis(20);
    sink.retry_max = Duration::from_millis(200);
    settings.sinks.push(sink);
    let pipeline = Pipeline::start(settings).unwrap();
    let emitter = pipeline.emitter();

    emitter.emit(Event::new(Category::AppStart, Severity::Info, "warm-up"));
    wait_until("the warm-up message", || received(dir.path()).len() == 1);

    rsyslog.kill();
    for n in 0..1000 {
        emitter.emit(attack(n));
    }
    assert!(pipeline.flush(DEADLINE));
    // Let the worker find the receiver gone and back off a few times (not a success wait).
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        received(dir.path()).len(),
        1,
        "nothing can arrive while it is down"
    );

    let _rsyslog = Rsyslog::start(dir.path(), port, None);
    wait_until("1,000 messages after the restart", || {
        received(dir.path()).len() >= 1001
    });
    // Anything sent twice would arrive right behind.
    std::thread::sleep(Duration::from_millis(300));
    let got: Vec<String> = received(dir.path())
        .into_iter()
        .skip(1)
        .map(|(_, _, msg)| msg)
        .collect();
    let want: Vec<String> = (0..1000).map(|n| format!("event {n}")).collect();
    assert_eq!(got.len(), 1000, "exactly once");
    assert_eq!(got, want, "in order");
    pipeline.shutdown(Duration::from_secs(5));
}
