//! The email sink against a real SMTP server: Python's aiosmtpd, started per test as a child
//! process on a free port (`tests/fixtures/smtp_server.py`), which writes each mail it accepts
//! to a JSON file. Plain SMTP, STARTTLS with a private CA and login, and implicit TLS.
//!
//! Needs `python3-aiosmtpd` (Debian), which `./scripts/test` installs.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palisade_events::alerts::Notification;
use palisade_events::sinks::email::{EmailConfig, EmailSink, EmailTls};
use palisade_events::sinks::{Delivery, Sink};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const USER: &str = "palisade";
const PASSWORD: &str = "correct horse battery staple";

fn python() -> String {
    std::env::var("PALISADE_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".to_owned())
}

/// A running aiosmtpd; killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    out: PathBuf,
    log: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let py = python();
        let probe = Command::new(&py).args(["-c", "import aiosmtpd"]).output();
        if !probe.as_ref().is_ok_and(|o| o.status.success()) {
            panic!(
                "the email tests need Python's aiosmtpd at {py} ({}); run ./scripts/test, which \
                 installs python3-aiosmtpd, or `apt-get install python3-aiosmtpd` \
                 (PALISADE_TEST_PYTHON picks another interpreter)",
                match &probe {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                }
            );
        }
        let port = palisade_test_support::free_port();
        let out = dir.join("mail");
        std::fs::create_dir_all(&out).unwrap();
        let log = dir.join("smtp-server.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_server.py");
        let child = Command::new(&py)
            .arg(&script)
            .args(["--port", &port.to_string(), "--out"])
            .arg(&out)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {py} {}: {e}", script.display()));
        let mut server = SmtpServer {
            child,
            port,
            out,
            log,
        };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the SMTP server exited ({status}) before listening:\n{}\n\
                     (./scripts/test installs what it needs)",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server did not listen on 127.0.0.1:{} within {WAIT:?}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The mails received so far, in order.
    fn mails(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    fn wait_for_mail(&self) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(m) = self.mails().into_iter().next() {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no mail within {WAIT:?}; server log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "palisade test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

fn config(server: &SmtpServer, tls: EmailTls) -> EmailConfig {
    let mut c = EmailConfig::new(
        "127.0.0.1",
        "palisade <alerts@example.com>",
        vec![
            "ops@example.com".into(),
            "Second Person <oncall@example.com>".into(),
        ],
    );
    c.port = Some(server.port);
    c.tls = tls;
    c
}

#[tokio::test]
async fn mail_arrives_over_plain_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(dir.path(), &[]);
    let mut sink = EmailSink::new(config(&server, EmailTls::None)).unwrap();
    let n = Notification::test("mail");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let m = server.wait_for_mail();
    assert_eq!(m["mail_from"], "alerts@example.com");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["ops@example.com", "oncall@example.com"])
    );
    assert_eq!(m["from"], "palisade <alerts@example.com>");
    assert_eq!(
        m["to"],
        "ops@example.com, Second Person <oncall@example.com>"
    );
    assert_eq!(m["subject"], n.title);
    let body = m["body"].as_str().unwrap();
    assert!(body.starts_with(&n.text), "{body}");
    assert!(body.contains("for the alert rule test"), "{body}");
    assert!(body.contains(&format!("Id: {}", n.id)), "{body}");
    assert_eq!(m["message_id"], format!("<{}@palisade.invalid>", n.id));
    assert_eq!(
        (m["tls"].as_bool(), m["authenticated"].as_bool()),
        (Some(false), Some(false))
    );
}

#[tokio::test]
async fn mail_arrives_over_starttls_with_a_private_ca_and_login() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let auth = format!("{USER}:{PASSWORD}");
    let server = SmtpServer::start(
        dir.path(),
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--auth",
            &auth,
        ],
    );
    let mut c = config(&server, EmailTls::Starttls);
    c.ca_file = Some(ca);
    c.username = Some(USER.into());
    c.password = Some(PASSWORD.into());
    c.subject = "{{ severity|upper }}: {{ title }}".into();
    c.body = "{{ text }}\nrule={{ rule }}".into();
    let mut sink = EmailSink::new(c.clone()).unwrap();
    let n = Notification::test("mail");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();

    let m = server.wait_for_mail();
    assert_eq!(
        (m["tls"].as_bool(), m["authenticated"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(m["subject"], format!("INFO: {}", n.title));
    assert_eq!(
        m["body"].as_str().unwrap().trim_end(),
        format!("{}\nrule=test", n.text)
    );

    // A wrong password is refused (535): permanent, and never in the message.
    c.password = Some("wrong-password".into());
    let err = EmailSink::new(c.clone())
        .unwrap()
        .send(&[Delivery::Alert(&n)])
        .await
        .unwrap_err();
    assert!(!err.retryable, "{err:?}");
    assert!(!err.message.contains("wrong-password"), "{}", err.message);

    // Without the private CA the certificate is not trusted: nothing is sent.
    c.password = Some(PASSWORD.into());
    c.ca_file = None;
    let err = EmailSink::new(c)
        .unwrap()
        .send(&[Delivery::Alert(&n)])
        .await
        .unwrap_err();
    assert_eq!(err.delivered, 0, "{err:?}");
    assert_eq!(server.mails().len(), 1);
}

#[tokio::test]
async fn mail_arrives_over_implicit_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let server = SmtpServer::start(
        dir.path(),
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--implicit-tls",
        ],
    );
    let mut c = config(&server, EmailTls::Tls);
    c.ca_file = Some(ca);
    let mut sink = EmailSink::new(c).unwrap();
    let n = Notification::test("mail");
    sink.send(&[Delivery::Alert(&n)]).await.unwrap();
    let m = server.wait_for_mail();
    assert_eq!(m["tls"].as_bool(), Some(true));
    assert_eq!(m["subject"], n.title);
}

#[tokio::test]
async fn a_relay_that_is_down_means_retry() {
    let port = palisade_test_support::free_port();
    let mut c = EmailConfig::new(
        "127.0.0.1",
        "alerts@example.com",
        vec!["ops@example.com".into()],
    );
    c.port = Some(port);
    c.tls = EmailTls::None;
    let n = Notification::test("mail");
    let err = EmailSink::new(c)
        .unwrap()
        .send(&[Delivery::Alert(&n)])
        .await
        .unwrap_err();
    assert!(err.retryable && err.delivered == 0, "{err:?}");
}

#[tokio::test]
async fn a_relay_that_never_answers_times_out_and_is_retried() {
    // Accepts connections (the kernel does) but never sends its greeting.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = EmailConfig::new(
        "127.0.0.1",
        "alerts@example.com",
        vec!["ops@example.com".into()],
    );
    c.port = Some(silent.local_addr().unwrap().port());
    c.tls = EmailTls::None;
    c.timeout = Duration::from_millis(300);
    let n = Notification::test("mail");
    let started = Instant::now();
    let err = EmailSink::new(c)
        .unwrap()
        .send(&[Delivery::Alert(&n)])
        .await
        .unwrap_err();
    assert!(err.retryable, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by `timeout`"
    );
}
