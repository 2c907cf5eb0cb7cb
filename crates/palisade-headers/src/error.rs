//! The one error type of this crate: a config that cannot be compiled into a [`Policy`].
//!
//! [`Policy`]: crate::Policy

/// A `[headers]` config that failed validation.
///
/// `path` names the offending key inside [`HeadersConfig`](crate::HeadersConfig), so the binary
/// can point at it; `message` reads like the error helmet throws for the same options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.join("."))]
pub struct PolicyError {
    path: Vec<String>,
    message: String,
}

impl PolicyError {
    pub(crate) fn new<P, S>(path: P, message: impl Into<String>) -> Self
    where
        P: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            path: path.into_iter().map(Into::into).collect(),
            message: message.into(),
        }
    }

    /// Prepends `prefix` to the key path; used when a path override is compiled.
    pub(crate) fn within<P, S>(mut self, prefix: P) -> Self
    where
        P: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut path: Vec<String> = prefix.into_iter().map(Into::into).collect();
        path.append(&mut self.path);
        self.path = path;
        self
    }

    /// Key path inside `HeadersConfig`, e.g. `["content_security_policy", "directives"]`.
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// What is wrong, in helmet's words where helmet has them.
    pub fn message(&self) -> &str {
        &self.message
    }
}
