//! Registries on 127.0.0.1 port 0 for the tests: an npm registry and a sparse index served
//! from `tests/fixtures`, recording what they are asked and how many requests are in flight,
//! with scripted failures per path.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use palisade_registry::{CargoSources, Client, NpmConfig, Settings};

/// What a server serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/<escaped name>` → `npm-registry/<escaped name>.{abbreviated,full}.json` by `Accept`;
    /// `/gen-<n>` → a generated one-version packument.
    Npm,
    /// `/<path>` → `sparse-index/<path>`.
    Sparse,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}

/// A scripted answer for a path: `status` for the next `times` requests.
struct Script {
    status: StatusCode,
    times: usize,
    retry_after: Option<&'static str>,
}

pub struct Shared {
    kind: Kind,
    seen: Mutex<Vec<Seen>>,
    scripts: Mutex<HashMap<String, Script>>,
    delay: Mutex<Duration>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

pub struct Server {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    pub port: u16,
    pub state: Arc<Shared>,
}

impl Server {
    pub async fn start(kind: Kind) -> Server {
        let state = Arc::new(Shared {
            kind,
            seen: Mutex::new(Vec::new()),
            scripts: Mutex::new(HashMap::new()),
            delay: Mutex::new(Duration::ZERO),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().fallback(handle).with_state(state.clone());
        // Left to end with the test's runtime: a handler sleeping on purpose would hold up a
        // graceful shutdown.
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server {
            url: format!("http://127.0.0.1:{port}/"),
            port,
            state,
        }
    }

    /// Answer `status` to the next `times` requests for `path`.
    pub fn fail(&self, path: &str, status: u16, times: usize, retry_after: Option<&'static str>) {
        self.state.scripts.lock().unwrap().insert(
            path.to_owned(),
            Script {
                status: StatusCode::from_u16(status).unwrap(),
                times,
                retry_after,
            },
        );
    }

    /// Hold every answer this long.
    pub fn delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn requests_for(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(State(state): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&state);
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = uri.path().to_owned();
    state.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        accept: text(header::ACCEPT),
        authorization: text(header::AUTHORIZATION),
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
    });
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(script) = state.scripts.lock().unwrap().get_mut(&path)
        && script.times > 0
    {
        script.times -= 1;
        let mut response = (script.status, "scripted failure").into_response();
        if let Some(seconds) = script.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.parse().unwrap());
        }
        return response;
    }
    let Some(body) = body_for(state.kind, &path, text(header::ACCEPT).as_deref()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    // A weak validator is enough for a test: the content never changes under it.
    let etag = format!(
        "\"{}-{}\"",
        body.len(),
        body.iter().map(|&b| u32::from(b)).sum::<u32>()
    );
    if text(header::IF_NONE_MATCH).as_deref() == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.parse().unwrap());
    headers.insert(header::LAST_MODIFIED, LAST_MODIFIED.parse().unwrap());
    response
}

/// Every answer's `Last-Modified`: the fixtures never change.
pub const LAST_MODIFIED: &str = "Tue, 01 Apr 2025 12:00:00 GMT";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn body_for(kind: Kind, path: &str, accept: Option<&str>) -> Option<Vec<u8>> {
    let relative = path.strip_prefix('/')?;
    if relative.is_empty() || relative.split('/').any(|part| part == "..") {
        return None;
    }
    match kind {
        Kind::Npm => {
            if let Some(n) = relative.strip_prefix("gen-") {
                let doc = format!(
                    r#"{{"name":"gen-{n}","dist-tags":{{"latest":"1.0.{n}"}},"versions":{{"1.0.{n}":{{}}}}}}"#
                );
                return Some(doc.into_bytes());
            }
            if relative == "broken-json" {
                return Some(b"<html>proxy error</html>".to_vec());
            }
            let abbreviated =
                accept.is_some_and(|a| a.starts_with("application/vnd.npm.install-v1+json"));
            let variant = if abbreviated { "abbreviated" } else { "full" };
            let name = relative.replace("%2F", "%2f");
            std::fs::read(fixtures().join(format!("npm-registry/{name}.{variant}.json"))).ok()
        }
        Kind::Sparse => std::fs::read(fixtures().join("sparse-index").join(relative)).ok(),
    }
}

/// Settings that keep failing tests fast: tiny retry delays and short timeouts.
/// A client with [`quick_settings`] for one npm registry and no cargo configuration.
pub fn npm_client(url: &str) -> palisade_registry::Client {
    palisade_registry::Client::new(
        quick_settings(),
        palisade_registry::NpmConfig::single_registry(url).unwrap(),
        palisade_registry::CargoSources::default(),
    )
    .unwrap()
}

pub fn quick_settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retries: 2,
        retry_delay: Duration::from_millis(5),
        max_retry_delay: Duration::from_millis(20),
        ..Settings::default()
    }
}

/// A client whose npm registry is `npm` and whose crates.io is replaced with `sparse`.
pub fn client_for(npm: &Server, sparse: &Server, settings: Settings) -> Client {
    let npm_config = NpmConfig::single_registry(&npm.url).unwrap();
    Client::new(settings, npm_config, crates_io_replaced_with(sparse)).unwrap()
}

/// Cargo sources replacing crates.io with `server`, from a config file in a temporary project.
pub fn crates_io_replaced_with(server: &Server) -> CargoSources {
    let project = tempfile::tempdir().unwrap();
    write(
        &project.path().join(".cargo/config.toml"),
        &format!(
            "[source.crates-io]\nreplace-with = \"local\"\n\n[source.local]\nregistry = \"sparse+{}\"\n",
            server.url
        ),
    );
    CargoSources::load(project.path(), None).unwrap()
}

pub fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
