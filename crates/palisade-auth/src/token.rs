//! Signed, expiring, single-use "this wasn't me" links.
//!
//! A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, first part))`. The
//! claims name the user, the IP of the login, when it was issued, when it expires and a
//! random nonce. [`ReportTokens::redeem`] checks the MAC in constant time, then expiry, then
//! that the nonce was not used before.
//!
//! # Security
//!
//! The token is a capability (it bans an IP): it never goes into an event, and its Debug
//! prints `***`. Used nonces are remembered until the token expires; when more than the cap
//! are used within one TTL, the oldest are forgotten and every token issued at or before the
//! forgotten one is refused as possibly used (a high-water mark), so a link can never work
//! twice — at worst an old unused one stops working.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use lru::LruCache;
use palisade_core::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The path prefix the guard answers for report links: `/.palisade/report/{token}`.
pub const REPORT_PATH: &str = "/.palisade/report/";

const MAX_TOKEN_LEN: usize = 2048;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportClaims {
    /// The user the login was for.
    #[serde(rename = "u")]
    pub user: String,
    /// The IP the login came from.
    pub ip: IpAddr,
    /// When the link was issued.
    #[serde(rename = "iat")]
    pub issued_at: Timestamp,
    /// When it stops working.
    #[serde(rename = "exp")]
    pub expires_at: Timestamp,
    /// Random, makes the link single-use.
    #[serde(rename = "n", with = "hex_nonce")]
    pub nonce: [u8; 16],
}

mod hex_nonce {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(n: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(n))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; 16];
        hex::decode_to_slice(s.as_bytes(), &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

/// A signed token, ready to put in a link. Debug prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ReportToken(String);

impl ReportToken {
    /// The token text (URL-safe).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full link: `{base}/.palisade/report/{token}`.
    pub fn link(&self, base: &str) -> String {
        format!("{}{REPORT_PATH}{}", base.trim_end_matches('/'), self.0)
    }
}

impl fmt::Debug for ReportToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReportToken(***)")
    }
}

/// Why a token was refused. Shown to whoever opened the link as a generic page; the kind is
/// for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token at all.
    #[error("malformed report token")]
    Malformed,
    /// The MAC does not match (tampered, or another secret).
    #[error("report token signature does not match")]
    BadSignature,
    /// Past its expiry.
    #[error("report token expired")]
    Expired,
    /// Already used (or possibly used: older than the remembered window).
    #[error("report token already used")]
    AlreadyUsed,
    /// Report links are not configured (`[auth.new_ip] secret`).
    #[error("report links are not configured")]
    NotConfigured,
}

/// Signs and verifies tokens. Holds the secret (zeroed on drop; Debug hides it).
pub struct ReportSigner {
    key: Zeroizing<Vec<u8>>,
    ttl: Duration,
}

impl fmt::Debug for ReportSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportSigner")
            .field("key", &"***")
            .field("ttl", &self.ttl)
            .finish()
    }
}

type HmacSha256 = Hmac<Sha256>;

impl ReportSigner {
    /// A signer with this secret (validated by config to be at least 32 bytes) and link lifetime.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        ReportSigner {
            key: Zeroizing::new(secret.to_vec()),
            ttl,
        }
    }

    /// How long links live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("hmac takes any key"))
    }

    /// Issues a token with a fresh random nonce.
    pub fn issue(&self, user: &str, ip: IpAddr, now: Timestamp) -> ReportToken {
        let mut nonce = [0u8; 16];
        // The OS random source failing is not something a login should fail on; a zero
        // nonce still gives a valid single-use token, keyed by (iat, user, ip) too.
        let _ = getrandom::fill(&mut nonce);
        self.issue_with_nonce(user, ip, now, nonce)
    }

    /// Issues a token with the given nonce (tests, reproducible fixtures).
    pub fn issue_with_nonce(
        &self,
        user: &str,
        ip: IpAddr,
        now: Timestamp,
        nonce: [u8; 16],
    ) -> ReportToken {
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let claims = ReportClaims {
            user: user.to_owned(),
            ip,
            issued_at: now,
            expires_at: Timestamp(now.0.saturating_add(ttl_ms)),
            nonce,
        };
        let json = serde_json::to_vec(&claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        ReportToken(format!("{payload}.{sig}"))
    }

    /// Checks signature and expiry (not single use: see [`ReportTokens::redeem`]).
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<ReportClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (payload, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: ReportClaims =
            serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// A signer plus the set of used nonces: redeeming a token works once.
#[derive(Debug)]
pub struct ReportTokens {
    signer: ReportSigner,
    /// nonce → (issued at, expires at)
    used: LruCache<[u8; 16], (i64, i64)>,
    /// Tokens issued at or before this are refused (their nonce may have been forgotten).
    high_water: i64,
}

impl ReportTokens {
    /// Remembers up to `cap` used nonces.
    pub fn new(signer: ReportSigner, cap: NonZeroUsize) -> Self {
        ReportTokens {
            signer,
            used: LruCache::new(cap),
            high_water: i64::MIN,
        }
    }

    /// The signer, to issue tokens.
    pub fn signer(&self) -> &ReportSigner {
        &self.signer
    }

    /// Verifies the token and marks it used. The second redemption fails with
    /// [`TokenError::AlreadyUsed`].
    pub fn redeem(&mut self, token: &str, now: Timestamp) -> Result<ReportClaims, TokenError> {
        let claims = self.signer.verify(token, now)?;
        if claims.issued_at.0 <= self.high_water || self.used.contains(&claims.nonce) {
            return Err(TokenError::AlreadyUsed);
        }
        if self.used.len() >= self.used.cap().get() {
            self.used.retain(|_, (_, exp)| *exp > now.0);
        }
        if let Some((_, (iat, exp))) = self
            .used
            .push(claims.nonce, (claims.issued_at.0, claims.expires_at.0))
            && exp > now.0
        {
            self.high_water = self.high_water.max(iat);
        }
        Ok(claims)
    }

    /// Used nonces remembered.
    pub fn used_len(&self) -> usize {
        self.used.len()
    }
}
