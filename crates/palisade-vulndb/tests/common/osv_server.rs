//! A test double of the OSV API on 127.0.0.1 port 0, speaking the real protocol
//! (`POST /v1/querybatch` with per-query paging, `GET /v1/vulns/{id}`) over the shared OSV
//! JSON records (crates.io and npm). Versions are matched with `palisade-advisory`, per record.
//!
//! Besides `/`, it answers under prefixes that misbehave: `/mirror` (same data, for base URLs
//! with a path), `/broken` (HTTP 500), `/hang` (never answers), `/loop` (pages for ever) and
//! `/short` (fewer results than queries).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use palisade_advisory::{Advisory, Ecosystem, Outcome, osv};
use serde_json::{Value, json};

/// The running double. The server thread is left to end with the test process: a handler
/// that hangs on purpose would keep a graceful shutdown waiting.
pub struct OsvDouble {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What it serves and what it saw.
    pub state: Arc<Shared>,
}

/// The double's data and counters.
pub struct Shared {
    /// Raw JSON by record id.
    records: HashMap<String, String>,
    /// Parsed records by (ecosystem, package).
    by_package: HashMap<(String, String), Vec<Advisory>>,
    /// Vulns per page of one query's results.
    pub page_size: AtomicUsize,
    /// The size of each `querybatch` request received.
    pub batches: Mutex<Vec<usize>>,
    /// `GET /v1/vulns/{id}` requests received.
    pub vuln_gets: AtomicUsize,
}

impl Shared {
    fn affected(&self, ecosystem: &str, name: &str, version: &str) -> Vec<String> {
        let eco = Ecosystem::from_osv(ecosystem);
        let key = (ecosystem.to_owned(), eco.normalise_name(name).into_owned());
        let mut ids: Vec<String> = self
            .by_package
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|a| a.check(&eco, name, version) != Outcome::NotAffected)
            .map(|a| a.id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl OsvDouble {
    /// Starts the double on its own thread and runtime.
    pub fn start() -> OsvDouble {
        let mut records = HashMap::new();
        let mut by_package: HashMap<(String, String), Vec<Advisory>> = HashMap::new();
        for dir in ["osv/crates", "osv/npm"] {
            for entry in std::fs::read_dir(super::data().join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|x| x != "json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let advisory = osv::parse_json(&text, &path.display().to_string()).unwrap();
                for affected in &advisory.affected {
                    let key = (affected.ecosystem.to_string(), affected.package.clone());
                    let list = by_package.entry(key).or_default();
                    if !list.iter().any(|a| a.id == advisory.id) {
                        list.push(advisory.clone());
                    }
                }
                records.insert(advisory.id.to_string(), text);
            }
        }
        let state = Arc::new(Shared {
            records,
            by_package,
            page_size: AtomicUsize::new(1000),
            batches: Mutex::new(Vec::new()),
            vuln_gets: AtomicUsize::new(0),
        });

        let normal = Router::new()
            .route("/v1/querybatch", post(querybatch))
            .route("/v1/vulns/{id}", get(vuln))
            .with_state(state.clone());
        let fail = || async {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: the database exploded",
            )
        };
        let app = Router::new()
            .merge(normal.clone())
            .nest("/mirror", normal)
            .route("/broken/v1/querybatch", post(fail))
            .route("/broken/v1/vulns/{id}", get(fail))
            .route(
                "/hang/v1/querybatch",
                post(|| async {
                    std::future::pending::<()>().await;
                    ""
                }),
            )
            .route("/loop/v1/querybatch", post(paging_for_ever))
            .route(
                "/short/v1/querybatch",
                post(|| async { Json(json!({"results": []})) }),
            );

        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        OsvDouble {
            base: format!("http://{addr}"),
            state,
        }
    }

    /// The sizes of the `querybatch` requests so far, sorted.
    pub fn batches(&self) -> Vec<usize> {
        let mut sizes = self.state.batches.lock().unwrap().clone();
        sizes.sort();
        sizes
    }
}

async fn querybatch(State(state): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let Some(queries) = body["queries"].as_array() else {
        return (StatusCode::BAD_REQUEST, "no queries").into_response();
    };
    // The real API's limit.
    if queries.len() > 1000 {
        return (StatusCode::BAD_REQUEST, "Too many queries.").into_response();
    }
    state.batches.lock().unwrap().push(queries.len());
    let page = state.page_size.load(Ordering::Relaxed);
    let mut results = Vec::new();
    for query in queries {
        let (Some(ecosystem), Some(name), Some(version)) = (
            query["package"]["ecosystem"].as_str(),
            query["package"]["name"].as_str(),
            query["version"].as_str(),
        ) else {
            return (StatusCode::BAD_REQUEST, "malformed query").into_response();
        };
        let offset: usize = match query.get("page_token") {
            None => 0,
            Some(token) => match token.as_str().and_then(|t| t.parse().ok()) {
                Some(offset) => offset,
                None => return (StatusCode::BAD_REQUEST, "bad page_token").into_response(),
            },
        };
        let ids = state.affected(ecosystem, name, version);
        let end = (offset + page).min(ids.len());
        let mut result = serde_json::Map::new();
        let vulns: Vec<Value> = ids[offset.min(end)..end]
            .iter()
            .map(|id| json!({"id": id, "modified": "2026-08-21T00:00:00Z"}))
            .collect();
        // Like the real API: an empty object for a package without advisories.
        if !vulns.is_empty() {
            result.insert("vulns".into(), Value::Array(vulns));
        }
        if end < ids.len() {
            result.insert("next_page_token".into(), Value::String(end.to_string()));
        }
        results.push(Value::Object(result));
    }
    Json(json!({ "results": results })).into_response()
}

async fn vuln(State(state): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    state.vuln_gets.fetch_add(1, Ordering::Relaxed);
    match state.records.get(&id) {
        Some(text) => ([("content-type", "application/json")], text.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 5, "message": "Bug not found."})),
        )
            .into_response(),
    }
}

async fn paging_for_ever(Json(body): Json<Value>) -> Json<Value> {
    let n = body["queries"].as_array().map_or(0, Vec::len);
    let results: Vec<Value> = (0..n)
        .map(|_| json!({"vulns": [{"id": "GHSA-loop-loop-loop"}], "next_page_token": "again"}))
        .collect();
    Json(json!({ "results": results }))
}
