//! `rediss://` with a private CA (`ca_file`) against a real `redis-server` that speaks only
//! TLS, with a self-signed certificate for `localhost`: the sync connections, the
//! subscriber and the async path all trust the CA, and nothing else does.
//!
//! Needs `redis-server` built with TLS on PATH (Debian's is; `scripts/lib/prereqs.sh`
//! installs it).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_state::ratelimit::Quota;
use palisade_state::{
    BanRequest, BanSource, BookConfig, RedisConfig, RedisState, State, StateError, Timestamp,
};
use palisade_test_support::SelfSigned;
use palisade_test_support::eventually;
use palisade_test_support::redis::RedisServer as Server;

/// A generous timeout: a TLS handshake on a loaded test machine must not turn into an
/// outage; these tests are about whom the client trusts. (Not longer: dropping a state
/// waits for its subscriber's read, which is bounded by it.)
fn config(url: &str, ca_file: Option<PathBuf>) -> RedisConfig {
    RedisConfig {
        prefix: "tls".into(),
        timeout: Duration::from_millis(500),
        ca_file,
        ..RedisConfig::new(url)
    }
}

fn guard(url: &str, ca_file: &std::path::Path) -> Arc<RedisState> {
    let state = RedisState::start(
        config(url, Some(ca_file.to_owned())),
        BookConfig::default(),
        Timestamp::now(),
    )
    .expect("a RedisState");
    assert!(state.health().connected, "TLS with the private CA connects");
    Arc::new(state)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Waits until `n` connections are subscribed to palisade's channel, asked over TLS with
/// the same CA: a ban published before the other guard's subscriber is in would only
/// reach it at the next resync.
fn wait_for_subscribers(url: &str, cert: &SelfSigned, n: i64) {
    let certs = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(cert.pem.clone().into_bytes()),
    };
    let client = redis::Client::build_with_tls(url, certs).expect("a TLS client");
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .expect("a TLS connection");
    assert!(
        eventually(Duration::from_secs(5), || {
            // The channel's exact name (hash tags and all) is the backend's business.
            let channels: Vec<String> = redis::cmd("PUBSUB")
                .arg("CHANNELS")
                .arg("palisade:*")
                .query(&mut conn)
                .unwrap_or_default();
            let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(&channels)
                .query(&mut conn)
                .unwrap_or_default();
            counts.iter().map(|(_, c)| c).sum::<i64>() >= n
        }),
        "both guards subscribed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_serves_bans_pub_sub_and_rate_limits() {
    let cert = SelfSigned::localhost();
    let server = Server::with_tls(&cert.cert, &cert.key);
    let url = server.tls_url();
    let (a, b) = (guard(&url, &cert.cert), guard(&url, &cert.cert));
    wait_for_subscribers(&url, &cert, 2);

    // A ban through one guard reaches the other through the channel, over TLS.
    let now = Timestamp::now();
    let target = palisade_state::net::parse_target("198.51.100.7").unwrap();
    let request = BanRequest::lasting(
        target,
        BanSource::Manual,
        "over TLS",
        Duration::from_secs(600),
        now,
    );
    a.ban(request, now).expect("a ban through Redis");
    let started = Instant::now();
    assert!(eventually(Duration::from_secs(1), || {
        b.check(ip("198.51.100.7"), Timestamp::now()).is_banned()
    }));
    assert!(started.elapsed() < Duration::from_secs(1));

    // A shared rate limit goes through the async connection manager, which must trust
    // the same CA.
    let quota = Quota::new("api", 3, Duration::from_secs(60), 3).unwrap();
    let client = ip("203.0.113.9");
    let mut allowed = 0;
    for g in [&a, &b, &a, &b] {
        if g.rate_limit(&[&quota], client, 64)
            .await
            .expect("Redis answers over TLS")
            .is_none()
        {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 3, "the burst is shared by both guards");
    assert!(a.health().connected && b.health().connected);
}

#[test]
fn the_system_roots_refuse_a_private_certificate_without_leaking_the_password() {
    let cert = SelfSigned::localhost();
    let server = Server::with_tls(&cert.cert, &cert.key);
    let url = format!("rediss://:tls-s3cret@127.0.0.1:{}/", server.port);
    let err = RedisState::connect(config(&url, None), BookConfig::default(), Timestamp::now())
        .err()
        .expect("the handshake is refused");
    assert!(matches!(err, StateError::Redis(_)), "{err}");
    // Refused for the certificate (rustls: `UnknownIssuer`), not for anything else.
    assert!(err.to_string().contains("certificate"), "{err}");
    let debug = format!("{err:?}");
    assert!(!err.to_string().contains("tls-s3cret"), "{err}");
    assert!(!debug.contains("tls-s3cret"), "{debug}");
    // Trusting the CA, the same server answers (by the name the certificate holds).
    let trusted = config(&server.tls_url(), Some(cert.cert.clone()));
    RedisState::connect(trusted, BookConfig::default(), Timestamp::now())
        .expect("the handshake with the private CA");
}

#[test]
fn a_missing_or_misplaced_ca_file_is_a_config_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-ca.pem");
    let err = config("rediss://:pw@localhost:6380/", Some(missing.clone()))
        .check()
        .unwrap_err();
    let StateError::Config(message) = &err else {
        panic!("a config error: {err}");
    };
    assert!(message.contains(&missing.display().to_string()), "{err}");
    assert!(!message.contains("pw@"), "{err}");
    // `start` reads it too, before anything connects.
    assert!(matches!(
        RedisState::start(
            config("rediss://localhost:6380/", Some(missing)),
            BookConfig::default(),
            Timestamp::now(),
        ),
        Err(StateError::Config(_))
    ));

    // A file without a certificate, and a CA for a plain-text URL, are refused too.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = config("rediss://localhost:6380/", Some(empty.clone()))
        .check()
        .unwrap_err();
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
    let err = config("redis://:pw@localhost:6380/", Some(empty))
        .check()
        .unwrap_err();
    assert!(
        err.to_string().contains("ca_file needs a rediss:// url"),
        "{err}"
    );
    assert!(!err.to_string().contains("pw@"), "{err}");
}
