//! The OSV API as the online option: which advisories affect these package versions
//! (`POST /v1/querybatch`), and their full records (`GET /v1/vulns/{id}`), parsed with
//! `palisade-advisory` into the same model the offline database holds.
//!
//! Blocking: each call runs reqwest (the workspace's HTTP client, rustls) on a current-thread
//! Tokio runtime built for that call and dropped before it returns, so no runtime or
//! connection pool outlives it and callers stay synchronous. Call it from plain threads (or
//! `spawn_blocking`); on a runtime thread it answers [`DbError::InsideAsyncRuntime`] rather
//! than blocking the runtime.
//!
//! Queries are sent in batches of at most [`MAX_BATCH`] (the API's limit), a few batches at a
//! time ([`Settings::concurrency`]); results the API pages (`next_page_token`) are fetched
//! page by page for just those queries, up to [`Settings::max_pages`]. Every request has a
//! timeout, and every answer a size bound.
//!
//! # Security
//!
//! What is sent: each package's ecosystem, name and version. For private packages that is
//! information leaving the machine; the offline database sends nothing.

mod wire;

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use palisade_advisory::{Advisory, Ecosystem, osv};
use palisade_core::text::error_chain;
use reqwest::{StatusCode, Url};

use crate::error::{DbError, RecordError, RecordErrorKind};
use crate::source::MAX_RECORD_BYTES;

/// osv.dev's API.
pub const DEFAULT_BASE_URL: &str = "https://api.osv.dev";

/// The most queries the API takes in one `querybatch` request.
pub const MAX_BATCH: usize = 1000;

/// The largest `querybatch` answer read (ids and dates only; a full batch is a few MiB).
const MAX_BATCH_BODY: u64 = 64 << 20;

/// How the client talks to the API. The binary fills it from `[audit]` config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// For each request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// For establishing a connection.
    pub connect_timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Queries per `querybatch` request (1 to [`MAX_BATCH`]).
    pub batch_size: usize,
    /// Pages fetched for one query before giving up: a server that pages for ever is an
    /// error, not a hang.
    pub max_pages: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            concurrency: 4,
            batch_size: MAX_BATCH,
            max_pages: 50,
        }
    }
}

/// One package version to ask about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query<'a> {
    /// Its ecosystem.
    pub ecosystem: &'a Ecosystem,
    /// Its name, as the ecosystem spells it.
    pub name: &'a str,
    /// The installed version.
    pub version: &'a str,
}

/// Records fetched by id.
#[derive(Debug, Default)]
pub struct Fetched {
    /// Records that parsed, in the order asked.
    pub advisories: Vec<Advisory>,
    /// Records that did not parse or that the API does not have (HTTP 404).
    pub errors: Vec<RecordError>,
}

/// A client for one OSV API base URL.
///
/// ```no_run
/// use palisade_advisory::{Ecosystem, Index};
/// use palisade_vulndb::osv_api::{Client, Query, Settings, DEFAULT_BASE_URL};
///
/// let client = Client::new(DEFAULT_BASE_URL, Settings::default())?;
/// let ecosystem = Ecosystem::CratesIo;
/// let ids = client.query_batch(&[Query { ecosystem: &ecosystem, name: "smallvec", version: "0.6.2" }])?;
/// let fetched = client.fetch(ids.iter().flatten().map(String::as_str))?;
/// let index = Index::new(fetched.advisories);
/// assert!(!index.affected(&ecosystem, "smallvec", "0.6.2").is_empty());
/// # Ok::<(), palisade_vulndb::DbError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    base: Url,
    settings: Settings,
}

/// [`Client::query_batch`] with default [`Settings`].
pub fn query_batch(base_url: &str, queries: &[Query<'_>]) -> Result<Vec<Vec<String>>, DbError> {
    Client::new(base_url, Settings::default())?.query_batch(queries)
}

impl Client {
    /// A client for the API at `base_url` (`https://api.osv.dev`, or a mirror; a path prefix
    /// is kept: `http://mirror/osv` asks `http://mirror/osv/v1/querybatch`).
    pub fn new(base_url: &str, settings: Settings) -> Result<Client, DbError> {
        let invalid = |reason: &str| DbError::InvalidBaseUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let base = Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("not an http or https URL"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("has a query or fragment"));
        }
        let settings = Settings {
            concurrency: settings.concurrency.max(1),
            batch_size: settings.batch_size.clamp(1, MAX_BATCH),
            max_pages: settings.max_pages.max(1),
            ..settings
        };
        Ok(Client { base, settings })
    }

    /// The ids of the advisories affecting each package version, one list per query in
    /// order (empty when none). Ecosystems OSV has no name for (the Rust toolchain) are not
    /// sent and answer empty.
    pub fn query_batch(&self, queries: &[Query<'_>]) -> Result<Vec<Vec<String>>, DbError> {
        self.run(|http| self.query_all(http, queries))
    }

    /// The full records of these ids (duplicates fetched once), parsed. A record the API
    /// does not have or that does not parse is listed in [`Fetched::errors`]; any other
    /// failure fails the call.
    pub fn fetch<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<Fetched, DbError> {
        let mut unique: Vec<&str> = Vec::new();
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        self.run(|http| async move {
            let results: Vec<Result<Advisory, RecordError>> = stream::iter(&unique)
                .map(|id| self.fetch_one(&http, id))
                .buffered(self.settings.concurrency)
                .try_collect()
                .await?;
            let mut fetched = Fetched::default();
            for result in results {
                match result {
                    Ok(advisory) => fetched.advisories.push(advisory),
                    Err(error) => fetched.errors.push(error),
                }
            }
            Ok(fetched)
        })
    }

    /// Runs one call on its own current-thread runtime with its own HTTP client.
    fn run<T, F>(&self, call: impl FnOnce(reqwest::Client) -> F) -> Result<T, DbError>
    where
        F: Future<Output = Result<T, DbError>>,
    {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(DbError::InsideAsyncRuntime);
        }
        let upstream = |message: String| DbError::Upstream {
            url: self.base.to_string(),
            message,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| upstream(format!("starting the HTTP runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(self.settings.timeout)
            .connect_timeout(self.settings.connect_timeout)
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| upstream(format!("building the HTTP client: {}", error_chain(&e))))?;
        runtime.block_on(call(http))
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // `new` checked the URL can be a base, so it has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn query_all(
        &self,
        http: reqwest::Client,
        queries: &[Query<'_>],
    ) -> Result<Vec<Vec<String>>, DbError> {
        let url = self.url(&["v1", "querybatch"]);
        let mut results: Vec<Vec<String>> = vec![Vec::new(); queries.len()];
        // OSV has no ecosystem for the Rust toolchain; sending one would fail the batch.
        let mut pending: Vec<(usize, Option<String>)> = queries
            .iter()
            .enumerate()
            .filter(|(_, q)| !matches!(q.ecosystem, Ecosystem::RustToolchain))
            .map(|(i, _)| (i, None))
            .collect();
        let mut pages = 0;
        while !pending.is_empty() {
            if pages == self.settings.max_pages {
                return Err(DbError::Upstream {
                    url: url.to_string(),
                    message: format!("results still paging after {pages} pages"),
                });
            }
            pages += 1;
            let batches: Vec<&[(usize, Option<String>)]> =
                pending.chunks(self.settings.batch_size).collect();
            let answers: Vec<Vec<wire::BatchResult>> = stream::iter(&batches)
                .map(|batch| self.send_batch(&http, &url, queries, batch))
                .buffered(self.settings.concurrency)
                .try_collect()
                .await?;
            let mut next = Vec::new();
            for (batch, answer) in batches.iter().zip(answers) {
                for (&(i, _), result) in batch.iter().zip(answer) {
                    for vuln in result.vulns {
                        if !results[i].contains(&vuln.id) {
                            results[i].push(vuln.id);
                        }
                    }
                    if let Some(token) = result.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((i, Some(token)));
                    }
                }
            }
            pending = next;
        }
        Ok(results)
    }

    async fn send_batch(
        &self,
        http: &reqwest::Client,
        url: &Url,
        queries: &[Query<'_>],
        batch: &[(usize, Option<String>)],
    ) -> Result<Vec<wire::BatchResult>, DbError> {
        let request = wire::BatchRequest {
            queries: batch
                .iter()
                .map(|(i, token)| wire::Query {
                    package: wire::Package {
                        name: queries[*i].name,
                        ecosystem: queries[*i].ecosystem.as_str(),
                    },
                    version: queries[*i].version,
                    page_token: token.as_deref(),
                })
                .collect(),
        };
        let upstream = |message: String| DbError::Upstream {
            url: url.to_string(),
            message,
        };
        let response = http
            .post(url.clone())
            .json(&request)
            .send()
            .await
            .map_err(|e| upstream(self.describe(&e)))?;
        let status = response.status();
        let body = self
            .body(response, MAX_BATCH_BODY)
            .await
            .map_err(upstream)?;
        if !status.is_success() {
            return Err(upstream(status_message(status, &body)));
        }
        let answer: wire::BatchResponse = serde_json::from_slice(&body)
            .map_err(|e| upstream(format!("malformed querybatch answer: {e}")))?;
        if answer.results.len() != batch.len() {
            return Err(upstream(format!(
                "{} results for {} queries",
                answer.results.len(),
                batch.len()
            )));
        }
        Ok(answer.results)
    }

    /// One record; `Ok(Err(_))` for a record that is missing or does not parse.
    async fn fetch_one(
        &self,
        http: &reqwest::Client,
        id: &str,
    ) -> Result<Result<Advisory, RecordError>, DbError> {
        let url = self.url(&["v1", "vulns", id]);
        let upstream = |message: String| DbError::Upstream {
            url: url.to_string(),
            message,
        };
        let response = http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| upstream(self.describe(&e)))?;
        let status = response.status();
        let body = self
            .body(response, MAX_RECORD_BYTES)
            .await
            .map_err(upstream)?;
        if status == StatusCode::NOT_FOUND {
            return Ok(Err(RecordError::whole_file(
                url.to_string(),
                RecordErrorKind::Read(format!("{id}: not in the OSV database (HTTP 404)")),
            )));
        }
        if !status.is_success() {
            return Err(upstream(status_message(status, &body)));
        }
        let Ok(text) = String::from_utf8(body) else {
            return Ok(Err(RecordError::whole_file(
                url.to_string(),
                RecordErrorKind::Read("not UTF-8 text".into()),
            )));
        };
        Ok(osv::parse_json(&text, url.as_str()).map_err(RecordError::from))
    }

    /// The answer's body, refused past `limit` bytes.
    async fn body(&self, mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, String> {
        let too_large = || format!("answer larger than {limit} bytes");
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.describe(&e))? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!(
                "timed out (limit {})",
                humantime::format_duration(self.settings.timeout)
            )
        } else {
            error_chain(e)
        }
    }
}

/// `HTTP 500 Internal Server Error: <start of the body>`.
fn status_message(status: StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut message = format!("HTTP {status}");
    if !text.is_empty() {
        message.push_str(": ");
        message.extend(text.chars().take(200));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_joined() {
        let settings = Settings::default;
        let url = |base: &str, segments: &[&str]| {
            Client::new(base, settings())
                .unwrap()
                .url(segments)
                .to_string()
        };
        assert_eq!(
            url("https://api.osv.dev", &["v1", "querybatch"]),
            "https://api.osv.dev/v1/querybatch"
        );
        assert_eq!(
            url("http://127.0.0.1:9/osv/", &["v1", "vulns", "GHSA-x/y?z"]),
            "http://127.0.0.1:9/osv/v1/vulns/GHSA-x%2Fy%3Fz"
        );
        assert_eq!(
            url("http://mirror/osv", &["v1", "querybatch"]),
            "http://mirror/osv/v1/querybatch"
        );
        for bad in ["", "api.osv.dev", "ftp://x/", "mailto:a@b", "http://x/?q=1"] {
            assert!(
                matches!(
                    Client::new(bad, settings()),
                    Err(DbError::InvalidBaseUrl { .. })
                ),
                "{bad}"
            );
        }
        let clamped = Client::new(
            "http://x",
            Settings {
                batch_size: 5000,
                concurrency: 0,
                ..Settings::default()
            },
        )
        .unwrap();
        assert_eq!(clamped.settings.batch_size, MAX_BATCH);
        assert_eq!(clamped.settings.concurrency, 1);
    }

    #[test]
    fn status_messages_are_one_short_line() {
        let long = "x ".repeat(500);
        let m = status_message(StatusCode::INTERNAL_SERVER_ERROR, long.as_bytes());
        assert!(m.starts_with("HTTP 500 Internal Server Error: x x"), "{m}");
        assert!(m.len() < 250);
        assert_eq!(
            status_message(StatusCode::BAD_GATEWAY, b""),
            "HTTP 502 Bad Gateway"
        );
    }
}
