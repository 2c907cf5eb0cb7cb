//! The HTTP machinery every registry shares: one `reqwest::Client`, a bound on requests in
//! flight, retries with exponential backoff, and the on-disk cache.
//!
//! A request's life: a fresh cache entry answers it without the network; otherwise it waits
//! for a permit (at most [`Settings::concurrency`] requests in flight, across every caller
//! of the client), is sent (conditional when a stale entry exists), and its answer decides:
//! 200 is stored and returned, 304 renews the entry, 404/410/451 is [`NotFound`] and 401/403
//! [`Denied`] at once, while connection failures, timeouts, 429 and 5xx are retried after a
//! growing delay (the permit is released while waiting) until [`Settings::retries`] run out.
//!
//! [`NotFound`]: crate::FetchErrorKind::NotFound
//! [`Denied`]: crate::FetchErrorKind::Denied

mod retry;

use std::fmt;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use crate::cache::{CacheKey, DiskCache, Entry, now_ms};
use palisade_core::text::error_chain;

use crate::error::{Error, FetchErrorKind};

/// How the client talks to registries. The binary fills it from config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// For each request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// For establishing a connection.
    pub connect_timeout: Duration,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Retries after the first attempt, for connection failures, timeouts, 429 and 5xx.
    pub retries: u32,
    /// The wait before the first retry; each further retry waits twice as long.
    pub retry_delay: Duration,
    /// The longest wait before a retry, including one a `Retry-After` header asks for.
    pub max_retry_delay: Duration,
    /// The largest answer read, in bytes. Full packuments of long-lived packages run to tens
    /// of MiB; a registry sending more is refused rather than filling memory.
    pub max_body: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            concurrency: 16,
            retries: 3,
            retry_delay: Duration::from_millis(250),
            max_retry_delay: Duration::from_secs(30),
            max_body: 64 << 20,
        }
    }
}

/// What the `Authorization` header carries for a registry. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Bearer <token>` (npm's `_authToken`).
    Bearer(String),
    /// `Basic <base64>` (npm's `_auth`, already encoded).
    Basic(String),
}

impl Credential {
    fn header(&self) -> Option<HeaderValue> {
        let text = match self {
            Credential::Bearer(token) => format!("Bearer {token}"),
            Credential::Basic(encoded) => format!("Basic {encoded}"),
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        // Sensitive values are left out of hyper's and reqwest's debug output.
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credential::Basic(_) => f.write_str("Basic(<redacted>)"),
        }
    }
}

/// One GET to make.
pub(crate) struct Target<'a> {
    pub url: Url,
    pub accept: &'static str,
    pub credential: Option<&'a Credential>,
}

/// The shared HTTP client, permits and cache.
pub(crate) struct Fetcher {
    http: reqwest::Client,
    settings: Settings,
    permits: Semaphore,
    cache: Option<DiskCache>,
}

/// What one attempt came to.
enum Attempt {
    Fresh(Entry),
    NotModified,
    Retry {
        failure: Transient,
        retry_after: Option<Duration>,
    },
    Fatal(FetchErrorKind),
}

/// A failure worth retrying.
enum Transient {
    Transport(String),
    Status(StatusCode),
}

impl Fetcher {
    pub(crate) fn new(settings: Settings) -> Result<Fetcher, Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::Internal(format!("building the HTTP client: {}", error_chain(&e)))
            })?;
        Ok(Fetcher {
            http,
            permits: Semaphore::new(settings.concurrency.max(1)),
            settings,
            cache: None,
        })
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.settings.concurrency.max(1)
    }

    pub(crate) fn set_cache(&mut self, cache: DiskCache) {
        self.cache = Some(cache);
    }

    /// The body of a successful GET, from the cache when fresh.
    pub(crate) async fn get(&self, target: &Target<'_>) -> Result<Vec<u8>, Error> {
        let key = CacheKey::new(&target.url, target.accept);
        let mut cached = None;
        if let Some(cache) = &self.cache
            && let Some(entry) = cache.load(&key)
        {
            if cache.is_fresh(&entry, now_ms()) {
                return Ok(entry.body);
            }
            cached = Some(entry);
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let attempt = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| Error::Internal(format!("request pool closed: {e}")))?;
                self.attempt(target, cached.as_ref()).await
            };
            match attempt {
                Attempt::Fresh(entry) => {
                    self.remember(&key, &entry);
                    return Ok(entry.body);
                }
                Attempt::NotModified => {
                    let Some(mut entry) = cached else {
                        // Only a conditional request can be answered 304.
                        let kind = FetchErrorKind::Status { status: 304 };
                        return Err(Error::fetch(&target.url, kind));
                    };
                    entry.fetched_at_ms = now_ms();
                    self.remember(&key, &entry);
                    return Ok(entry.body);
                }
                Attempt::Fatal(kind) => return Err(Error::fetch(&target.url, kind)),
                Attempt::Retry {
                    failure,
                    retry_after,
                } => {
                    if attempts > self.settings.retries {
                        let kind = match failure {
                            Transient::Transport(reason) => {
                                FetchErrorKind::Unreachable { attempts, reason }
                            }
                            Transient::Status(status) => FetchErrorKind::Unavailable {
                                status: status.as_u16(),
                                attempts,
                            },
                        };
                        return Err(Error::fetch(&target.url, kind));
                    }
                    let wait = retry::delay(
                        self.settings.retry_delay,
                        self.settings.max_retry_delay,
                        attempts,
                        retry_after,
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn remember(&self, key: &CacheKey, entry: &Entry) {
        if let Some(cache) = &self.cache {
            // A cache that cannot be written costs the next run a download, nothing more.
            let _ = cache.store(key, entry);
        }
    }

    async fn attempt(&self, target: &Target<'_>, cached: Option<&Entry>) -> Attempt {
        let mut request = self
            .http
            .get(target.url.clone())
            .header(ACCEPT, target.accept);
        if let Some(value) = target.credential.and_then(Credential::header) {
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(entry) = cached {
            if let Some(etag) = &entry.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = &entry.last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return self.transport_failure(&e),
        };
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        match status.as_u16() {
            200 => {}
            304 => return Attempt::NotModified,
            404 | 410 | 451 => {
                return Attempt::Fatal(FetchErrorKind::NotFound {
                    status: status.as_u16(),
                });
            }
            401 | 403 => {
                return Attempt::Fatal(FetchErrorKind::Denied {
                    status: status.as_u16(),
                });
            }
            _ if retry::is_retryable(status) => {
                return Attempt::Retry {
                    failure: Transient::Status(status),
                    retry_after: header(RETRY_AFTER)
                        .as_deref()
                        .and_then(retry::parse_retry_after),
                };
            }
            _ => {
                return Attempt::Fatal(FetchErrorKind::Status {
                    status: status.as_u16(),
                });
            }
        }
        let etag = header(ETAG);
        let last_modified = header(LAST_MODIFIED);
        match self.body(response).await {
            Ok(body) => Attempt::Fresh(Entry {
                fetched_at_ms: now_ms(),
                etag,
                last_modified,
                body,
            }),
            Err(attempt) => attempt,
        }
    }

    /// The answer's body, refused past [`Settings::max_body`].
    async fn body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, Attempt> {
        let limit = self.settings.max_body;
        let too_large = || Attempt::Fatal(FetchErrorKind::TooLarge { limit });
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(&e))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_failure(&self, e: &reqwest::Error) -> Attempt {
        let reason = if e.is_timeout() {
            format!("timed out after {:?}", self.settings.timeout)
        } else {
            error_chain(e)
        };
        Attempt::Retry {
            failure: Transient::Transport(reason),
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_do_not_show_in_debug_output() {
        let shown = format!(
            "{:?} {:?}",
            Credential::Bearer("s3cret".into()),
            Credential::Basic("czNjcmV0".into())
        );
        assert!(
            !shown.contains("s3cret") && !shown.contains("czNjcmV0"),
            "{shown}"
        );
        let header = Credential::Bearer("s3cret".into()).header().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("s3cret"));
    }
}
