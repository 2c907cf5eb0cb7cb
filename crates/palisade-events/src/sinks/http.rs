//! What the HTTP sinks (webhook, SMS) share: the client, and how an answer becomes "delivered",
//! "retry" or "refused".
//!
//! # Security
//!
//! Errors never carry the URL: a Slack or Teams webhook URL is itself the credential.

use std::time::Duration;

use reqwest::StatusCode;

use crate::error::SinkError;

/// A client with `timeout` for the whole request (connect, send, answer).
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the body, signature and custom headers to wherever the
        // answer points; the configured URL is the only destination.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
}

/// Parses and checks an `http(s)://` URL; the error names the config key, not the value.
pub(crate) fn parse_url(key: &str, raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("`{key}` is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(format!(
            "`{key}` must be an http:// or https:// URL with a host"
        )),
    }
}

/// Turns the outcome of one request into the worker's language. `delivered` is how many items
/// before this one got through; `what` says which sink and item, for the log.
///
/// 2xx: delivered. 408, 429, 5xx and transport errors (refused, reset, timeout): retry.
/// Any other status (4xx; 3xx, as redirects are not followed): the receiver refuses this
/// item, so retrying cannot help.
pub(crate) async fn outcome(
    delivered: usize,
    what: &str,
    result: Result<reqwest::Response, reqwest::Error>,
) -> Result<(), SinkError> {
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(SinkError::retry(
                delivered,
                format!("{what}: {}", e.without_url()),
            ));
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(|v| format!(" (Retry-After: {v})"))
        .unwrap_or_default();
    // A little of the answer helps whoever reads the log (the provider's error message).
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(200).collect();
    let message = format!("{what}: HTTP {status}{retry_after}: {}", body.trim());
    if retryable(status) {
        Err(SinkError::retry(delivered, message))
    } else {
        Err(SinkError::permanent(delivered, message))
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        for s in [408, 429, 500, 502, 503] {
            assert!(retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [301, 302, 400, 401, 403, 404, 410, 413, 422] {
            assert!(!retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn urls_must_be_http() {
        assert!(parse_url("url", "https://hooks.example/x").is_ok());
        let err = parse_url("url", "ftp://x/secret-token").unwrap_err();
        assert!(!err.contains("secret-token"), "{err}");
        assert!(parse_url("url", "not a url").is_err());
    }
}
