//! `palisade headers check`: the built binary against small HTTP and HTTPS servers on
//! 127.0.0.1, graded end to end, with its exit codes (0 graded, 1 below `--fail-under` or fetch
//! failed, 2 bad input).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use palisade_test_support::HELMET_DEFAULTS;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

const SESSION_COOKIE: &str = "sessionid=3f1c9a; Path=/; Secure; HttpOnly; SameSite=Strict";

/// A test CA and a certificate for 127.0.0.1 signed by it.
struct Pki {
    dir: tempfile::TempDir,
    server: Arc<rustls::ServerConfig>,
}

impl Pki {
    fn new() -> Pki {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "palisade test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
        Pki {
            dir,
            server: Arc::new(server),
        }
    }

    fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// A server answering every request with the same status, headers and body, over plain TCP
/// or TLS, on its own thread and runtime (the test itself runs the binary synchronously).
fn serve(
    tls: Option<Arc<rustls::ServerConfig>>,
    status: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> SocketAddr {
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let response = Arc::new(response);
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let acceptor = tls.map(TlsAcceptor::from);
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let response = Arc::clone(&response);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            // A client that rejects the certificate aborts the handshake.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                answer(stream, &response).await;
                            }
                        }
                        None => answer(stream, &response).await,
                    }
                });
            }
        });
    });
    addr
}

async fn answer<S>(mut stream: S, response: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn helmet_site(pki: &Pki) -> SocketAddr {
    let mut headers = HELMET_DEFAULTS.to_vec();
    headers.push(("Content-Type", "text/html; charset=utf-8"));
    headers.push(("Set-Cookie", SESSION_COOKIE));
    serve(
        Some(Arc::clone(&pki.server)),
        "200 OK",
        &headers,
        "<!doctype html><title>app</title><script src=\"/app.js\"></script>",
    )
}

fn palisade(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["headers", "check", "--timeout", "5s"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run palisade");
    // A hung fetch fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "palisade hung");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Each test's `[result, modifier, pass]` by test name.
fn results(report: &Value) -> Vec<(String, Value)> {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["test"].as_str().unwrap().to_owned(),
                serde_json::json!([t["result"], t["modifier"], t["pass"]]),
            )
        })
        .collect()
}

fn expect(name: &str, result: &str, modifier: i64, pass: Value) -> (String, Value) {
    (name.to_owned(), serde_json::json!([result, modifier, pass]))
}

fn ca_arg(pki: &Pki) -> String {
    pki.ca_path().display().to_string()
}

#[test]
fn helmet_over_https_with_a_secure_session_cookie_scores_a_plus() {
    let pki = Pki::new();
    let https = helmet_site(&pki);
    let https_url = format!("https://{https}/");
    // The plain-HTTP site redirects to the HTTPS one, same host.
    let http = serve(
        None,
        "301 Moved Permanently",
        &[("Location", &https_url)],
        "",
    );
    let output = palisade(&[
        "--json",
        "--ca-cert",
        &ca_arg(&pki),
        "--http-url",
        &format!("http://{http}/"),
        &https_url,
    ]);
    assert!(output.status.success(), "{output:?}");
    let report = json(&output);
    let t = Value::Bool(true);
    assert_eq!(
        results(&report),
        vec![
            expect(
                "content-security-policy",
                "csp-implemented-with-unsafe-inline-in-style-src-only",
                0,
                t.clone()
            ),
            expect(
                "cookies",
                "cookies-secure-with-httponly-sessions-and-samesite",
                5,
                t.clone()
            ),
            expect(
                "cross-origin-resource-sharing",
                "cross-origin-resource-sharing-not-implemented",
                0,
                t.clone()
            ),
            expect("redirection", "redirection-to-https", 0, t.clone()),
            expect("referrer-policy", "referrer-policy-private", 5, t.clone()),
            expect(
                "strict-transport-security",
                "hsts-implemented-max-age-at-least-six-months",
                0,
                t.clone()
            ),
            expect(
                "subresource-integrity",
                "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
                0,
                t.clone()
            ),
            expect(
                "x-content-type-options",
                "x-content-type-options-nosniff",
                0,
                t.clone()
            ),
            expect(
                "x-frame-options",
                "x-frame-options-implemented-via-csp",
                5,
                t.clone()
            ),
            expect(
                "cross-origin-resource-policy",
                "corp-implemented-with-same-origin",
                10,
                t
            ),
        ]
    );
    assert_eq!(report["score"], 125);
    assert_eq!(report["grade"], "A+");
    assert_eq!(report["url"], https_url);
}

#[test]
fn untrusted_certificate_is_graded_as_invalid_not_a_crash() {
    let pki = Pki::new();
    let https = helmet_site(&pki);
    // No --ca-cert: the test CA is unknown. No --http-url on a non-default port: the
    // redirection test is not run.
    let output = palisade(&["--json", &format!("https://{https}/")]);
    assert!(output.status.success(), "{output:?}");
    let report = json(&output);
    let tests = report["tests"].as_array().unwrap();
    let by_name = |name: &str| tests.iter().find(|t| t["test"] == name).unwrap();
    assert_eq!(
        by_name("strict-transport-security")["result"],
        "hsts-invalid-cert"
    );
    assert_eq!(by_name("strict-transport-security")["modifier"], -20);
    assert_eq!(by_name("redirection")["result"], "redirection-not-tested");
    assert_eq!(by_name("redirection")["pass"], Value::Null);
    // The rest is still graded from the unverified response.
    assert_eq!(by_name("content-security-policy")["modifier"], 0);
    // 100 - 20 leaves 80: the bonuses do not count.
    assert_eq!(report["score"], 80);
    assert_eq!(report["grade"], "B+");
}

fn bare_http_site() -> SocketAddr {
    serve(None, "200 OK", &[], "hello")
}

#[test]
fn plain_http_without_headers_scores_f() {
    let addr = bare_http_site();
    let output = palisade(&["--json", &format!("http://{addr}/")]);
    assert!(output.status.success(), "{output:?}");
    let report = json(&output);
    let penalties: Vec<(String, Value)> = results(&report)
        .into_iter()
        .filter(|(_, r)| r[1].as_i64().unwrap() != 0)
        .collect();
    let f = Value::Bool(false);
    assert_eq!(
        penalties,
        vec![
            expect(
                "content-security-policy",
                "csp-not-implemented",
                -25,
                f.clone()
            ),
            expect("redirection", "redirection-missing", -20, f.clone()),
            expect(
                "strict-transport-security",
                "hsts-not-implemented-no-https",
                -20,
                f.clone()
            ),
            expect(
                "x-content-type-options",
                "x-content-type-options-not-implemented",
                -5,
                f.clone()
            ),
            expect("x-frame-options", "x-frame-options-not-implemented", -20, f),
        ]
    );
    assert_eq!(report["score"], 10);
    assert_eq!(report["grade"], "F");
}

#[test]
fn table_output_lists_every_test_then_score_and_grade() {
    let addr = bare_http_site();
    let output = palisade(&[&format!("http://{addr}/")]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    for id in [
        "csp-not-implemented",
        "redirection-missing",
        "cookies-not-found",
    ] {
        assert!(stdout.contains(id), "{id} in {stdout}");
    }
    assert!(stdout.contains("-25"));
    assert!(stdout.contains("FAIL"));
    assert!(
        stdout.trim_end().ends_with("Score: 10/100  Grade: F"),
        "{stdout}"
    );
}

#[test]
fn fail_under_exits_1_after_printing() {
    let addr = bare_http_site();
    let url = format!("http://{addr}/");
    let below = palisade(&["--fail-under", "A", "--json", &url]);
    assert_eq!(below.status.code(), Some(1), "{below:?}");
    assert_eq!(json(&below)["grade"], "F");
    assert!(String::from_utf8_lossy(&below.stderr).contains("below --fail-under A"));
    let at = palisade(&["--fail-under", "f", &url]);
    assert_eq!(at.status.code(), Some(0), "{at:?}");
}

#[test]
fn bad_input_exits_2() {
    let unreadable = Path::new("/nonexistent/ca.pem").display().to_string();
    let cases: [&[&str]; 5] = [
        &["not a url"],
        &["ftp://example.com/"],
        &["--fail-under", "E", "http://127.0.0.1:1/"],
        &["--ca-cert", &unreadable, "https://127.0.0.1:1/"],
        &["--http-url", "https://127.0.0.1:1/", "https://127.0.0.1:1/"],
    ];
    for args in cases {
        let output = palisade(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn unreachable_site_exits_1() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = palisade(&[&format!("http://{closed}/")]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("fetching"));
}
