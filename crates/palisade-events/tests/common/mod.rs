//! A real HTTP receiver on 127.0.0.1 for the webhook and SMS tests: records every request and
//! answers with the status a test chooses. It runs on its own thread and runtime, so tests can
//! drive a `Pipeline` (which blocks) or a sink (async) alike.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use palisade_test_support::thread_server::ThreadServer;

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(30);

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The form fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("http://x/?{}", self.body))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

type Respond = Box<dyn FnMut(&Recorded) -> u16 + Send>;

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Recorded>>>,
    respond: Arc<Mutex<Respond>>,
}

/// The running receiver; stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    _server: ThreadServer,
}

impl Receiver {
    /// Answers 200 to everything, on a port of its own.
    pub fn start() -> Self {
        Self::start_on(0, |_| 200)
    }

    /// Listens on 127.0.0.1:`port` (0: any) and answers what `respond` says.
    pub fn start_on(port: u16, respond: impl FnMut(&Recorded) -> u16 + Send + 'static) -> Self {
        let shared = Shared {
            log: Arc::default(),
            respond: Arc::new(Mutex::new(Box::new(respond))),
        };
        let app = Router::new().fallback(record).with_state(shared.clone());
        let server = ThreadServer::start(port, app);
        Receiver {
            addr: server.addr,
            shared,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Waits (at most [`WAIT`]) until at least `n` requests arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} requests; got {}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

async fn record(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let r = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let status = (shared.respond.lock().unwrap())(&r);
    shared.log.lock().unwrap().push(r);
    StatusCode::from_u16(status).unwrap()
}
