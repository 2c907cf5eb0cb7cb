//! Report tokens: verify once, never twice, never after expiry, never when tampered with.

use std::num::NonZeroUsize;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palisade_auth::{ReportSigner, ReportTokens, TokenError};
use palisade_core::Timestamp;

const KEY: &[u8] = b"an HMAC key that is long enough, 32+ bytes";

fn tokens(cap: usize) -> ReportTokens {
    ReportTokens::new(
        ReportSigner::new(KEY, Duration::from_secs(3600)),
        NonZeroUsize::new(cap).unwrap(),
    )
}

#[test]
fn once_then_never() {
    let mut r = tokens(100);
    let ip = "203.0.113.5".parse().unwrap();
    let tok = r.signer().issue("alice@example.com", ip, Timestamp(1_000));
    let claims = r.redeem(tok.as_str(), Timestamp(2_000)).unwrap();
    assert_eq!((claims.user.as_str(), claims.ip), ("alice@example.com", ip));
    assert_eq!(claims.expires_at, Timestamp(1_000 + 3_600_000));
    assert_eq!(
        r.redeem(tok.as_str(), Timestamp(3_000)),
        Err(TokenError::AlreadyUsed)
    );
    // A second link for the same login has its own nonce.
    let other = r.signer().issue("alice@example.com", ip, Timestamp(1_000));
    assert_ne!(other, tok);
    assert!(r.redeem(other.as_str(), Timestamp(3_000)).is_ok());
}

#[test]
fn expiry() {
    let mut r = tokens(100);
    let tok = r
        .signer()
        .issue("a", "192.0.2.1".parse().unwrap(), Timestamp(0));
    assert_eq!(
        r.redeem(tok.as_str(), Timestamp(3_600_000)),
        Err(TokenError::Expired)
    );
    assert!(r.redeem(tok.as_str(), Timestamp(3_599_999)).is_ok());
}

#[test]
fn tampering_and_foreign_keys() {
    let mut r = tokens(100);
    let tok = r
        .signer()
        .issue("alice", "192.0.2.1".parse().unwrap(), Timestamp(0));
    let (payload, sig) = tok.as_str().split_once('.').unwrap();

    // A different user, IP or expiry in the claims: the MAC no longer matches.
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    for (from, to) in [
        ("alice", "mallory"),
        ("192.0.2.1", "192.0.2.2"),
        ("\"exp\":", "\"exp\":9"),
    ] {
        let forged = URL_SAFE_NO_PAD.encode(json.replacen(from, to, 1));
        let t = format!("{forged}.{sig}");
        assert_eq!(
            r.redeem(&t, Timestamp(1)),
            Err(TokenError::BadSignature),
            "{from}"
        );
    }
    // A flipped signature character.
    let mut bad_sig = sig.to_owned().into_bytes();
    bad_sig[3] = if bad_sig[3] == b'A' { b'B' } else { b'A' };
    let t = format!("{payload}.{}", String::from_utf8(bad_sig).unwrap());
    assert_eq!(r.redeem(&t, Timestamp(1)), Err(TokenError::BadSignature));
    // Another secret.
    let other = ReportSigner::new(
        b"another key, also long enough to be used",
        Duration::from_secs(3600),
    );
    assert_eq!(
        other.verify(tok.as_str(), Timestamp(1)),
        Err(TokenError::BadSignature)
    );
    // Garbage.
    for g in ["", ".", "abc", "a.b.c", &"x".repeat(5000)] {
        assert!(r.redeem(g, Timestamp(1)).is_err(), "{g:.10}");
    }
    // The untouched token still works (tampering did not burn it).
    assert!(r.redeem(tok.as_str(), Timestamp(1)).is_ok());
}

#[test]
fn a_full_nonce_set_never_lets_a_token_work_twice() {
    let mut r = tokens(2);
    let ip = "192.0.2.1".parse().unwrap();
    let toks: Vec<_> = (0..4)
        .map(|i| r.signer().issue("u", ip, Timestamp(i * 10)))
        .collect();
    for t in &toks[..3] {
        r.redeem(t.as_str(), Timestamp(100)).unwrap();
    }
    assert!(r.used_len() <= 2);
    // The first one's nonce was forgotten, but it is still refused (high-water mark).
    for t in &toks[..3] {
        assert_eq!(
            r.redeem(t.as_str(), Timestamp(101)),
            Err(TokenError::AlreadyUsed)
        );
    }
    // One issued after the mark still works.
    assert!(r.redeem(toks[3].as_str(), Timestamp(101)).is_ok());
}
