//! The password as a value that cannot leak by accident.
//!
//! # Security
//!
//! A [`Password`] prints as `***` (Debug and Display), implements neither `Serialize` nor
//! `Clone`, and zeroes its bytes when dropped. The only thing palisade ever does with it is
//! [`Password::sha1`]: the breached-password check needs the SHA-1, and even that leaves the
//! process only as its first five hex digits (the k-anonymity range API).

use std::fmt;

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// A password taken from a login request. Debug prints `***`; the bytes are zeroed on drop.
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// Wraps the bytes, taking ownership so no other copy is left by this crate.
    pub fn new(bytes: Vec<u8>) -> Self {
        Password(Zeroizing::new(bytes))
    }

    /// The SHA-1 of the password, as HIBP's Pwned Passwords indexes it.
    pub fn sha1(&self) -> PasswordHash {
        PasswordHash(Sha1::digest(self.0.as_slice()).into())
    }

    /// True for an empty password (nothing worth checking).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes (for tests and sanity checks; never log it either).
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password::new(s.into_bytes())
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password::new(s.as_bytes().to_vec())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The SHA-1 of a password (20 bytes). Debug prints only the five-digit range prefix, which is
/// what the range API is told anyway.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PasswordHash(pub [u8; 20]);

impl PasswordHash {
    /// Parses 40 hex digits (either case).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut out = [0u8; 20];
        hex::decode_to_slice(hex.trim(), &mut out).ok()?;
        Some(PasswordHash(out))
    }

    /// The first five uppercase hex digits: the k-anonymity range.
    pub fn range_prefix(&self) -> String {
        let mut s = hex::encode_upper(&self.0[..3]);
        s.truncate(5);
        s
    }

    /// The uppercase hex digest (40 characters). Keep it in memory only.
    pub fn to_hex_upper(&self) -> String {
        hex::encode_upper(self.0)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash({}…)", self.range_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_and_hash_matches_hibp() {
        let p = Password::from("password");
        assert_eq!(format!("{p:?} {p}"), "*** ***");
        // The best-known entry of the Pwned Passwords list.
        let h = p.sha1();
        assert_eq!(h.to_hex_upper(), "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8");
        assert_eq!(h.range_prefix(), "5BAA6");
        assert_eq!(format!("{h:?}"), "PasswordHash(5BAA6…)");
        assert_eq!(
            PasswordHash::from_hex(&h.to_hex_upper().to_lowercase()),
            Some(h)
        );
    }
}
