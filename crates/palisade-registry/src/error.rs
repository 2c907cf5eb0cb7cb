//! The crate's one error type. Each variant says which side failed: a registry (upstream), the
//! user's configuration, or palisade itself.

use std::path::PathBuf;

/// A failure to learn what a registry publishes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A registry request failed: the registry is down, refused, or answered something
    /// unusable. `url` is the request's URL without any user info.
    #[error("registry request {url} failed: {kind}")]
    Fetch {
        /// The URL asked.
        url: String,
        /// What went wrong.
        kind: FetchErrorKind,
    },
    /// A configuration file (`.npmrc`, `.cargo/config.toml`) cannot be read or is malformed.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The configuration resolves to a registry or source palisade cannot query (a git
    /// index other than crates.io's, a local registry, a vendored directory, an unknown name).
    #[error("{0}")]
    Unsupported(String),
    /// The name cannot be a package of that ecosystem; asking for it could build a URL that
    /// points somewhere else.
    #[error("`{name}` is not a valid {ecosystem} package name")]
    InvalidName {
        /// The name given.
        name: String,
        /// `npm` or `cargo`.
        ecosystem: &'static str,
    },
    /// palisade itself failed (the HTTP client could not be built).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The registry does not have this package (HTTP 404, 410 or 451): for a lockfile entry
    /// that is usually a private or unpublished package, not a failure of the run.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::Fetch {
                kind: FetchErrorKind::NotFound { .. },
                ..
            }
        )
    }

    /// The registry could not be reached or kept failing after every retry.
    pub fn is_registry_down(&self) -> bool {
        matches!(
            self,
            Error::Fetch {
                kind: FetchErrorKind::Unreachable { .. } | FetchErrorKind::Unavailable { .. },
                ..
            }
        )
    }

    pub(crate) fn fetch(url: &reqwest::Url, kind: FetchErrorKind) -> Error {
        Error::Fetch {
            url: display_url(url),
            kind,
        }
    }
}

/// Why a registry request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// The registry has no such package. Not retried.
    #[error("not found (HTTP {status})")]
    NotFound {
        /// 404, 410 or 451.
        status: u16,
    },
    /// The registry wants credentials it did not get or refused them. Not retried.
    #[error("access denied (HTTP {status}): check the credentials configured for this registry")]
    Denied {
        /// 401 or 403.
        status: u16,
    },
    /// No answer: connection refused, DNS failure, timeout — after every retry.
    #[error("registry unreachable after {attempts} attempts: {reason}")]
    Unreachable {
        /// Requests made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The registry kept answering 429 or 5xx until the retries ran out.
    #[error("registry unavailable: HTTP {status} after {attempts} attempts")]
    Unavailable {
        /// The last status.
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// A status that is neither success, not-found, denied nor worth retrying.
    #[error("unexpected HTTP {status}")]
    Status {
        /// The status.
        status: u16,
    },
    /// The answer exceeded [`Settings::max_body`](crate::Settings::max_body).
    #[error("answer larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The answer is not a packument, index file or index config.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

/// A URL as errors show it: user info is removed, as it may hold a password.
pub(crate) fn display_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    // Fails only for URLs that cannot have user info, which then have none to hide.
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_errors_lose_their_user_info() {
        let url = reqwest::Url::parse("https://me:hunter2@npm.example.com/pkg").unwrap();
        let error = Error::fetch(&url, FetchErrorKind::Status { status: 418 });
        let text = error.to_string();
        assert!(!text.contains("hunter2") && !text.contains("me@"), "{text}");
        assert!(text.contains("https://npm.example.com/pkg"), "{text}");
    }
}
