use std::fmt;

/// The longest incoming `X-Request-Id` the guard keeps; longer ones are replaced.
///
/// Long enough for UUIDs, ULIDs and the `Root=1-…` ids of cloud load balancers,
/// short enough that an attacker cannot use it to bloat every log line.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The id that ties one request's response, upstream request and events together.
///
/// Either kept from a valid incoming `X-Request-Id` (so a front proxy's id survives),
/// or generated as a UUIDv7, which sorts by time in logs and databases.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh, time-ordered id (UUIDv7).
    pub fn generate() -> Self {
        RequestId(uuid::Uuid::now_v7().hyphenated().to_string())
    }

    /// Accepts an incoming id only when it is 1–128 characters of `[A-Za-z0-9._:=+/-]`.
    ///
    /// Anything else (control characters, spaces, quotes) could forge log lines or
    /// headers downstream, so it is refused rather than escaped.
    pub fn from_incoming(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_REQUEST_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:=+/-".contains(&b));
        ok.then(|| RequestId(raw.to_owned()))
    }

    /// The id as text, ready for a header value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_time_ordered() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        assert!(a.as_str() < b.as_str());
    }

    #[test]
    fn incoming_ids_are_checked() {
        assert!(RequestId::from_incoming("Root=1-67891233-abcdef012345678912345678").is_some());
        assert!(RequestId::from_incoming("").is_none());
        assert!(RequestId::from_incoming("has space").is_none());
        assert!(RequestId::from_incoming("quote\"").is_none());
        assert!(RequestId::from_incoming(&"a".repeat(MAX_REQUEST_ID_LEN)).is_some());
        assert!(RequestId::from_incoming(&"a".repeat(MAX_REQUEST_ID_LEN + 1)).is_none());
    }
}
