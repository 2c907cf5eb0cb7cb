//! Per-response CSP nonces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A fresh CSP nonce: 16 bytes from the OS RNG, base64-encoded.
///
/// Generate one per response; [`HeaderSet::apply`](crate::HeaderSet::apply) appends
/// `'nonce-<value>'` to `script-src` and `style-src`, and the page must carry the same value in
/// its `nonce` attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CspNonce(String);

impl CspNonce {
    /// Draws a new nonce.
    ///
    /// # Panics
    ///
    /// If the operating system's RNG fails. No secure nonce can exist then, and weaker
    /// randomness would let an attacker predict it; use [`CspNonce::try_generate`] to handle it.
    pub fn generate() -> CspNonce {
        match Self::try_generate() {
            Ok(nonce) => nonce,
            Err(err) => panic!("the OS random number generator failed: {err}"),
        }
    }

    /// Draws a new nonce, reporting a failure of the OS RNG.
    pub fn try_generate() -> Result<CspNonce, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(CspNonce(STANDARD.encode(bytes)))
    }

    /// The base64 value, as it goes into `nonce="…"` attributes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CspNonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
