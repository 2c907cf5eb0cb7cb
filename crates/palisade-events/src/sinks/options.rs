//! Value types shared by the sink configs: durations written the humantime way (`"10s"`), and
//! secrets that never print.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A password, token or signing key. `Debug` and `Display` print `***`, so a config or an
/// error that holds one never leaks it into a log; [`Secret::expose`] is the one way out.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `#[serde(deserialize_with = "…")]` for durations written as `"10s"`, `"500ms"`, `"1m 30s"`.
pub(crate) fn humantime<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    humantime::parse_duration(&raw).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration `{raw}`: {e} (write e.g. \"10s\", \"500ms\", \"2m\")"
        ))
    })
}

/// The default request timeout of the message-like sinks.
pub(crate) fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?} {s}"), "\"***\" ***");
        assert_eq!(s.expose(), "hunter2");
    }
}
