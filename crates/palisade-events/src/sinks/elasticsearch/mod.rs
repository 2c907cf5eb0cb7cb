//! `kind = "elasticsearch"`: events as ECS documents into Elasticsearch 8 or OpenSearch 2,
//! through the `_bulk` API, so a team searches the events of every guard in one place.
//!
//! Each batch is one `POST {url}/_bulk` (NDJSON, see [`bulk`]) of `create` actions with
//! `_id` = the event id. By default documents go into the **data stream** `palisade-events`:
//! the shape Elasticsearch and OpenSearch recommend for append-only, timestamped data (rollover
//! and retention by ILM / ISM instead of a date in the name), and the one Beats and Elastic
//! Agent write to. Data streams accept only `create`, which is also what makes a retry
//! idempotent. An `index` with `%Y`, `%m`, `%d` instead writes classic dated indices, each
//! event into the one of its own day.
//!
//! Before the first bulk request (and again after a `404` for a missing index), palisade
//! installs its composable index template (see [`template`]) so the fields get ECS types
//! (`@timestamp` date, `source.ip` ip, `event.*` keyword, …) instead of guessed ones.
//!
//! Answers: a transport error, `408`, `429` or `5xx` → retry with backoff; `401`, `403`,
//! `404` (misconfiguration: retrying keeps the events until it is fixed) → retry; any other
//! `4xx` for the whole request → the documents are sent one by one to find the refused one,
//! which is skipped. A `200` with `"errors": true` is read item by item: `201` and `409`
//! (already stored) are delivered, `429`/`5xx` items are retried, other refused items
//! (mapping conflicts, malformed documents) are skipped with a log line naming the event id
//! and Elasticsearch's reason, and never sent again.
//!
//! # Example
//!
//! ```
//! use palisade_events::sinks::elasticsearch::ElasticsearchConfig;
//!
//! // The keys of `[[sinks]] kind = "elasticsearch"`, as the config file gives them.
//! let config: ElasticsearchConfig = serde_json::from_value(serde_json::json!({
//!     "url": "https://es.example.com:9200",
//!     "api_key": "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
//! }))
//! .unwrap();
//! assert_eq!(config.index, "palisade-events");
//! assert!(config.validate().is_ok());
//! ```
//!
//! # Security
//!
//! Passwords and API keys are [`Secret`]s, sent as sensitive headers; errors never carry the
//! URL, and credentials inside the URL are refused (`config print` shows the URL's host).

mod bulk;
mod config;
mod template;

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use self::bulk::{Doc, Item};
pub use self::config::ElasticsearchConfig;
use self::config::IndexName;
use super::options::Secret;
use super::template::delivery_id;
use super::{Delivery, Sink, json_line, tls};
use crate::error::SinkError;

/// Ships ECS documents through the `_bulk` API.
pub struct ElasticsearchSink {
    client: reqwest::Client,
    /// The configured URL, ending in `/`, so `_bulk` joins below any path prefix.
    base: reqwest::Url,
    index: IndexName,
    auth: Auth,
    install_template: bool,
    template_ready: bool,
    batch_max: usize,
    batch_bytes: usize,
    /// Items of the current batch settled by an earlier attempt (stored, or refused with a
    /// reason), so a retry sends only what is still open and a refusal is not retried.
    settled: HashMap<String, Settled>,
}

enum Auth {
    None,
    Basic(String, Secret),
    ApiKey(HeaderValue),
}

#[derive(Clone)]
enum Settled {
    Stored,
    Refused(String),
}

/// One item's state during a `send`.
enum State {
    Open,
    Stored,
    Retry(String),
    Refused(String),
}

/// What the cluster said about one request.
enum Answer {
    Items(Vec<Item>),
    /// Retry the whole request; `true` when the index or template may be missing.
    Retry(String, bool),
    /// The cluster refuses the request as a whole.
    Refused(String),
}

impl ElasticsearchSink {
    /// Validates the settings (see [`ElasticsearchConfig::validate`]); connects on first use.
    pub fn new(config: ElasticsearchConfig) -> Result<Self, String> {
        config
            .validate()
            .map_err(|(_, message)| format!("elasticsearch: {message}"))?;
        let mut base = reqwest::Url::parse(&config.url).map_err(|e| e.to_string())?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let index = IndexName::parse(&config.index)?;
        let auth = match (config.username, config.password, config.api_key) {
            (Some(user), Some(password), None) => Auth::Basic(user, password),
            (None, None, Some(key)) => {
                let mut v = HeaderValue::from_str(&format!("ApiKey {}", key.expose().trim()))
                    .map_err(|_| "elasticsearch: `api_key` is not a valid header value")?;
                v.set_sensitive(true);
                Auth::ApiKey(v)
            }
            _ => Auth::None,
        };
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirected POST turns into a GET; the configured URL is the only destination.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")));
        if base.scheme() == "https" {
            builder = builder.use_preconfigured_tls(
                tls::client_config(config.ca_file.as_deref())
                    .map_err(|e| format!("elasticsearch: {e}"))?,
            );
        }
        let client = builder
            .build()
            .map_err(|e| format!("elasticsearch: cannot build the HTTP client: {e}"))?;
        Ok(ElasticsearchSink {
            client,
            base,
            index,
            auth,
            install_template: config.install_template,
            template_ready: false,
            batch_max: config.batch_max,
            batch_bytes: usize::try_from(config.batch_bytes.as_u64()).unwrap_or(usize::MAX),
            settled: HashMap::new(),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = self.base.join(path).unwrap_or_else(|_| self.base.clone());
        let request = self.client.request(method, url);
        match &self.auth {
            Auth::None => request,
            Auth::Basic(user, password) => request.basic_auth(user, Some(password.expose())),
            Auth::ApiKey(value) => request.header(AUTHORIZATION, value.clone()),
        }
    }

    /// `PUT _index_template/<name>`. Only a transient failure is an error: a refusal (no
    /// privilege to manage templates, a cluster that rejects the template) is logged and
    /// shipping goes on with whatever mappings the cluster applies.
    async fn install(&mut self) -> Result<(), String> {
        let name = self.index.template_name().to_owned();
        let body = template::body(&self.index);
        let result = self
            .request(reqwest::Method::PUT, &format!("_index_template/{name}"))
            .json(&body)
            .send()
            .await;
        let response = result.map_err(|e| {
            format!(
                "elasticsearch: installing the index template: {}",
                e.without_url()
            )
        })?;
        let status = response.status();
        if status.is_success() {
            tracing::info!(template = %name, version = template::VERSION, "elasticsearch index template installed");
        } else {
            let text = excerpt(response).await;
            let message =
                format!("elasticsearch: installing the index template: HTTP {status}: {text}");
            // 403 (no `manage_index_templates`) and 400/404 (a cluster that takes no such
            // template) are refusals; wrong credentials would fail the bulk request too.
            if retryable(status) && !matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
            {
                return Err(message);
            }
            tracing::warn!(
                template = %name,
                error = %message,
                "index template refused; shipping without it (set install_template = false to silence this)"
            );
        }
        self.template_ready = true;
        Ok(())
    }

    async fn post(&self, docs: &[&Doc]) -> Answer {
        let mut body = String::with_capacity(docs.iter().map(|d| d.lines.len()).sum());
        for d in docs {
            body.push_str(&d.lines);
        }
        let result = self
            .request(reqwest::Method::POST, "_bulk")
            .header(CONTENT_TYPE, "application/x-ndjson")
            .body(body)
            .send()
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => return Answer::Retry(format!("elasticsearch: {}", e.without_url()), false),
        };
        let status = response.status();
        if status.is_success() {
            return match response.bytes().await {
                Ok(body) => match bulk::parse_response(&body, docs.len()) {
                    Ok(items) => Answer::Items(items),
                    Err(e) => Answer::Retry(format!("elasticsearch: {e}"), false),
                },
                Err(e) => Answer::Retry(format!("elasticsearch: {}", e.without_url()), false),
            };
        }
        let message = format!("elasticsearch: HTTP {status}: {}", excerpt(response).await);
        if retryable(status) {
            Answer::Retry(message, status == StatusCode::NOT_FOUND)
        } else {
            Answer::Refused(message)
        }
    }

    /// Sends the open documents in requests within the limits; stops at the first request
    /// that leaves something to retry (an overloaded cluster gets no more for now).
    async fn ship(&mut self, docs: &[Doc], states: &mut [State]) {
        let open: Vec<usize> = (0..docs.len())
            .filter(|&i| matches!(states[i], State::Open))
            .collect();
        let mut requests: VecDeque<Vec<usize>> = VecDeque::new();
        let mut current = Vec::new();
        let mut bytes = 0;
        for i in open {
            let size = docs[i].lines.len();
            if !current.is_empty()
                && (current.len() >= self.batch_max || bytes + size > self.batch_bytes)
            {
                requests.push_back(std::mem::take(&mut current));
                bytes = 0;
            }
            current.push(i);
            bytes += size;
        }
        if !current.is_empty() {
            requests.push_back(current);
        }
        while let Some(request) = requests.pop_front() {
            let chunk: Vec<&Doc> = request.iter().map(|&i| &docs[i]).collect();
            match self.post(&chunk).await {
                Answer::Items(items) => {
                    let mut again = false;
                    for (&i, item) in request.iter().zip(items) {
                        states[i] = match item {
                            Item::Stored => State::Stored,
                            Item::Refused(r) => State::Refused(r),
                            Item::Retry(r) => {
                                again = true;
                                State::Retry(r)
                            }
                            Item::MissingIndex(r) => {
                                again = true;
                                self.template_ready = false;
                                State::Retry(r)
                            }
                        };
                    }
                    if again {
                        return;
                    }
                }
                Answer::Retry(message, missing) => {
                    if missing {
                        self.template_ready = false;
                    }
                    for &i in &request {
                        states[i] = State::Retry(message.clone());
                    }
                    return;
                }
                Answer::Refused(message) if request.len() == 1 => {
                    states[request[0]] = State::Refused(message);
                }
                // One document spoils the request (or the request is too large): find
                // which, one at a time, so only that one is skipped.
                Answer::Refused(_) => {
                    for i in request.into_iter().rev() {
                        requests.push_front(vec![i]);
                    }
                }
            }
        }
    }

    /// Turns the states into the worker's language: the settled front is delivered; the
    /// first open item is retried or skipped. Items settled after it are remembered.
    fn conclude(&mut self, docs: &[Doc], states: Vec<State>) -> Result<(), SinkError> {
        let Some(first) = states.iter().position(|s| !matches!(s, State::Stored)) else {
            return Ok(());
        };
        for (doc, state) in docs.iter().zip(&states).skip(first + 1) {
            match state {
                State::Stored => {
                    self.settled.insert(doc.id.clone(), Settled::Stored);
                }
                State::Refused(r) => {
                    self.settled
                        .insert(doc.id.clone(), Settled::Refused(r.clone()));
                }
                State::Open | State::Retry(_) => {}
            }
        }
        Err(match &states[first] {
            State::Refused(r) => SinkError::permanent(first, refusal(&docs[first].id, r)),
            State::Retry(r) => SinkError::retry(first, r.clone()),
            State::Open | State::Stored => SinkError::retry(first, "elasticsearch: not sent yet"),
        })
    }
}

fn refusal(id: &str, reason: &str) -> String {
    if reason.starts_with("elasticsearch: ") {
        format!("{reason} (event {id})")
    } else {
        format!("elasticsearch refused event {id}: {reason}; dropped")
    }
}

/// 401, 403 and 404 are retried like transient errors: they mean palisade or the cluster is
/// misconfigured, and refusing would drop every event until someone fixes it.
fn retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::PROXY_AUTHENTICATION_REQUIRED
    ) || status.is_server_error()
}

/// The start of an error answer (Elasticsearch's JSON error says what is wrong).
async fn excerpt(response: reqwest::Response) -> String {
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    body.trim().to_owned()
}

#[async_trait]
impl Sink for ElasticsearchSink {
    async fn send(&mut self, batch: &[Delivery<'_>]) -> Result<(), SinkError> {
        let remembered = std::mem::take(&mut self.settled);
        let mut docs = Vec::with_capacity(batch.len());
        let mut states = Vec::with_capacity(batch.len());
        for item in batch {
            let id = delivery_id(item);
            states.push(match remembered.get(&id) {
                Some(Settled::Stored) => State::Stored,
                Some(Settled::Refused(r)) => State::Refused(r.clone()),
                None => State::Open,
            });
            let index = self.index.for_item(item);
            docs.push(Doc::new(id, &index, &json_line(item)));
        }
        let anything_open = states.iter().any(|s| matches!(s, State::Open));
        if anything_open
            && self.install_template
            && !self.template_ready
            && let Err(message) = self.install().await
        {
            for s in states.iter_mut().filter(|s| matches!(s, State::Open)) {
                *s = State::Retry(message.clone());
            }
        }
        // A refusal remembered at the front needs no request: the worker skips it first.
        if anything_open && !matches!(states.first(), Some(State::Refused(_))) {
            self.ship(&docs, &mut states).await;
        }
        self.conclude(&docs, states)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        for s in [401, 403, 404, 408, 429, 500, 502, 503] {
            assert!(retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 405, 413, 415, 422] {
            assert!(!retryable(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }

    #[test]
    fn the_bulk_url_keeps_a_path_prefix() {
        let sink =
            ElasticsearchSink::new(ElasticsearchConfig::new("http://proxy:8080/es")).unwrap();
        let r = sink
            .request(reqwest::Method::POST, "_bulk")
            .build()
            .unwrap();
        assert_eq!(r.url().as_str(), "http://proxy:8080/es/_bulk");
    }
}
