//! An upstream app that shows what the guard sent it and can misbehave on request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use futures_util::StreamExt;

/// A running upstream; stops when dropped.
pub struct TestUpstream {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    requests: Arc<AtomicU64>,
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestUpstream {
    /// Starts the app on 127.0.0.1, port 0, on its own runtime.
    ///
    /// Routes: `/echo` (the request as JSON), `/slow/{ms}`, `/download/{bytes}`
    /// (streamed), `/upload` (counts a streamed body), `/ws` (WebSocket echo),
    /// `/own-headers` (sets X-Frame-Options, X-Powered-By, Server), `/peer` (the client address),
    /// `/page` (an HTML page streamed in small chunks that cut through its tags, see
    /// [`PAGE_SCRIPTS`]), `/json` (JSON that contains markup), `/fail/{status}` (that status
    /// with a stack-trace page), `/cookies` (several `Set-Cookie`s), `/not-modified` (304).
    ///
    /// It runs on a thread of its own, so it works from sync and async tests alike.
    pub fn start() -> TestUpstream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind test upstream");
        let addr = listener.local_addr().expect("upstream addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("test upstream runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = app()
                    .layer(axum::middleware::from_fn(
                        move |req: Request, next: Next| {
                            counter.fetch_add(1, Ordering::SeqCst);
                            next.run(req)
                        },
                    ))
                    .into_make_service_with_connect_info::<SocketAddr>();
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
            // In-flight handlers (a slow or streaming one) are dropped with the runtime.
            runtime.shutdown_background();
        });
        TestUpstream {
            addr,
            stop: Some(stop),
            requests,
        }
    }

    /// Requests the app has received so far (to prove a blocked one never reached it).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn app() -> Router {
    Router::new()
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route("/slow/{ms}", get(slow))
        .route("/download/{bytes}", get(download))
        .route("/upload", post(upload))
        .route("/ws", get(ws))
        .route("/own-headers", get(own_headers))
        .route("/peer", get(peer))
        .route("/login", post(login))
        .route("/page", get(page))
        .route("/json", get(json_with_markup))
        .route("/fail/{status}", any(fail))
        .route("/cookies", get(cookies))
        .route("/not-modified", get(not_modified))
}

/// The one password `/login` accepts.
pub const LOGIN_PASSWORD: &str = "correct horse battery staple";

/// The `[[auth.login]]` route that watches this app's `/login` (a failure redirects to
/// `/login?error=1`): ten failures from one IP ban it.
pub const LOGIN_ROUTE: &str = r#"
[[auth.login]]
path = "/login"
username = "form:username"
password = "form:password"
success = { status = [302], location_not = "/login?error" }
"#;

/// `POST /login` (form `username`, `password`): `302 /home` for [`LOGIN_PASSWORD`], else
/// `302 /login?error=1` — the shape of most server-rendered apps' logins.
async fn login(body: Bytes) -> Response {
    let ok = form_urlencoded::parse(&body).any(|(k, v)| k == "password" && v == LOGIN_PASSWORD);
    let to = if ok { "/home" } else { "/login?error=1" };
    Response::builder()
        .status(302)
        .header("location", to)
        .body(Body::empty())
        .unwrap_or_default()
}

async fn echo(req: Request) -> Json<serde_json::Value> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let req = Request::from_parts(parts, ());
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .keys()
        .map(|k| {
            let all: Vec<&str> = req
                .headers()
                .get_all(k)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (
                k.as_str().to_owned(),
                serde_json::Value::from(all.join(", ")),
            )
        })
        .collect();
    Json(serde_json::json!({
        "method": req.method().as_str(),
        "uri": req.uri().to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
        "body_len": body.len(),
    }))
}

/// The address the request came from: the same port twice means a reused connection.
async fn peer(ConnectInfo(from): ConnectInfo<SocketAddr>) -> String {
    from.to_string()
}

async fn slow(Path(ms): Path<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "slow done"
}

async fn download(Path(bytes): Path<u64>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let stream = futures_util::stream::unfold(bytes, move |left| {
        let chunk = chunk.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = left.min(CHUNK as u64);
            Some((Ok::<_, std::io::Error>(chunk.slice(..n as usize)), left - n))
        }
    });
    Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

async fn upload(headers: HeaderMap, body: Body) -> Json<serde_json::Value> {
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    let mut error = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => bytes += c.len() as u64,
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    Json(serde_json::json!({
        "bytes": bytes,
        "error": error,
        "content_length": headers.get("content-length").and_then(|v| v.to_str().ok()),
    }))
}

async fn ws(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            let reply = match msg {
                Message::Text(t) => Message::Text(format!("echo: {t}").into()),
                Message::Binary(b) => Message::Binary(b),
                Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(reply).await.is_err() {
                break;
            }
        }
    })
}

async fn own_headers() -> impl IntoResponse {
    (
        [
            ("x-frame-options", "DENY"),
            ("x-powered-by", "Express"),
            ("server", "test-upstream/1.0"),
            ("referrer-policy", "origin"),
        ],
        "own headers",
    )
}

/// How many elements of `/page` should receive a CSP nonce (scripts, styles, style sheets).
pub const PAGE_SCRIPTS: usize = 6;

/// The stack trace `/fail/{status}` answers with: it must never reach a client.
pub const STACK_TRACE: &str = "TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/srv/app/routes/users.js:42:17)";

async fn page() -> Response {
    let html = concat!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>t</title>",
        "<link rel=\"stylesheet\" href=\"/app.css\"><link rel=\"icon\" href=\"/favicon.ico\">",
        "<style>body { color: #333 }</style>",
        "<script src=\"/app.js\" defer></script>",
        "<script>window.config = { greeting: '<script>' };</script>",
        "</head><body><h1 onclick=\"alert(1)\">Hello</h1>",
        "<SCRIPT type=\"module\">import('/m.js')</SCRIPT>",
        "<p>text with a < sign and </p><!-- <script>not a tag</script> -->",
        "<script nonce=\"app-chosen\">console.log('x')</script>",
        "</body></html>",
    );
    // Cuts every few bytes, through tag names and attributes: the guard must cope with
    // markup arriving in any pieces.
    let pieces: Vec<Result<Bytes, std::io::Error>> = html
        .as_bytes()
        .chunks(7)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .header("etag", "\"v1\"")
        .body(Body::from_stream(futures_util::stream::iter(pieces)))
        .unwrap_or_default()
}

async fn json_with_markup() -> impl IntoResponse {
    (
        [("content-type", "application/json")],
        r#"{"html":"<script>x()</script><style></style>"}"#,
    )
}

async fn fail(Path(status): Path<u16>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("x-powered-by", "Express")
        .body(Body::from(format!("<pre>{STACK_TRACE}</pre>")))
        .unwrap_or_default()
}

async fn cookies() -> Response {
    Response::builder()
        .header("content-type", "text/plain")
        .header("set-cookie", "sid=abc123; Path=/")
        .header("set-cookie", "XSRF-TOKEN=t0k; Path=/")
        .header("set-cookie", "theme=dark; SameSite=Strict; Priority=High")
        .header("set-cookie", "__Host-id=1; Domain=example.com; Path=/app")
        .body(Body::from("cookies"))
        .unwrap_or_default()
}

async fn not_modified() -> Response {
    Response::builder()
        .status(304)
        .header("etag", "\"v1\"")
        .body(Body::empty())
        .unwrap_or_default()
}
