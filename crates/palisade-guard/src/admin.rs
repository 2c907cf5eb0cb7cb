//! The admin listener, on its own (loopback by default) address: health and metrics, event
//! ingestion (`POST /v1/events`, `POST /v1/auth/events`), the black book
//! (`GET`/`POST`/`DELETE /v1/blackbook`) and the supervised app (`/v1/app`, under
//! `palisade run`).
//!
//! Without a guard (`palisade run --no-guard`), [`serve_app_admin`] serves only `/healthz` and
//! `/v1/app`, with the same token rules.

use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::defence::Defences;
use metrics_exporter_prometheus::PrometheusHandle;
use palisade_core::{AppControl, Emit};
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

mod app;
mod auth_events;
mod blackbook;
mod ingest;

#[derive(Clone)]
struct AdminState {
    metrics: PrometheusHandle,
    token: Option<String>,
    events: Arc<dyn Emit>,
    defences: Arc<Defences>,
}

/// The admin HTTP API (axum), served as a pingora background service.
pub struct AdminService {
    listener: Mutex<Option<std::net::TcpListener>>,
    state: AdminState,
    app: Option<Arc<dyn AppControl>>,
    extra: Option<Router>,
}

impl AdminService {
    /// Serve on an already bound listener (bound early so a busy port is a start-up error).
    pub fn new(
        listener: std::net::TcpListener,
        metrics: PrometheusHandle,
        token: Option<String>,
        events: Arc<dyn Emit>,
        defences: Arc<Defences>,
    ) -> Self {
        AdminService {
            listener: Mutex::new(Some(listener)),
            state: AdminState {
                metrics,
                token,
                events,
                defences,
            },
            app: None,
            extra: None,
        }
    }

    /// Serves `routes` too (the console), beside the admin API.
    pub fn with_routes(mut self, routes: Option<Router>) -> Self {
        self.extra = routes;
        self
    }

    /// Serves `/v1/app` with the supervised app's controls (`None`: those routes answer 404).
    pub fn with_app(mut self, control: Option<Arc<dyn AppControl>>) -> Self {
        self.app = control;
        self
    }
}

/// The admin routes, for serving and for tests.
fn router(state: AdminState, app: Option<Arc<dyn AppControl>>) -> Router {
    let app = app::routes(app::AppApi {
        token: state.token.clone(),
        control: app,
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(
            "/v1/events",
            post(ingest::post_event).layer(DefaultBodyLimit::max(ingest::MAX_BODY)),
        )
        .route(
            "/v1/auth/events",
            post(auth_events::post_auth_event).layer(DefaultBodyLimit::max(ingest::MAX_BODY)),
        )
        .route(
            "/v1/blackbook",
            get(blackbook::list)
                .post(blackbook::ban)
                .delete(blackbook::unban)
                .layer(DefaultBodyLimit::max(ingest::MAX_BODY)),
        )
        .with_state(state)
        .merge(app)
}

/// Serves the supervised app's admin API alone — `/healthz`, `GET /v1/app`,
/// `POST /v1/app/restart`, `POST /v1/app/stop` — for `palisade run --no-guard`, where there is
/// no guard to carry it. `token` follows the guard's rules: reading the status needs it when
/// one is set; restart and stop are refused (`403`) when none is.
///
/// Returns once `shutdown` completes and open requests have finished.
pub async fn serve_app_admin(
    listener: tokio::net::TcpListener,
    token: Option<String>,
    control: Arc<dyn AppControl>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .merge(app::routes(app::AppApi {
            token,
            control: Some(control),
        }));
    axum::serve(listener, routes)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}\n",
    )
}

/// Checks the bearer token. `required`: refuse outright when no token is configured (APIs
/// that change state); otherwise an unset token leaves the endpoint open on loopback.
#[allow(clippy::result_large_err)]
fn authorize(token: Option<&str>, headers: &HeaderMap, required: bool) -> Result<(), Response> {
    let Some(token) = token else {
        return if required {
            Err((
                StatusCode::FORBIDDEN,
                "this endpoint needs an admin token: set `token` under [admin]\n",
            )
                .into_response())
        } else {
            Ok(())
        };
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        Ok(())
    } else {
        Err((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "admin token required\n",
        )
            .into_response())
    }
}

async fn metrics(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, false) {
        return denied;
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Compares without an early exit, so response time does not reveal the token's prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[async_trait]
impl BackgroundService for AdminService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let Some(std_listener) = self.listener.lock().ok().and_then(|mut l| l.take()) else {
            return;
        };
        let listener = match tokio::net::TcpListener::from_std(std_listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("admin listener: {e}");
                return;
            }
        };
        let mut app = router(self.state.clone(), self.app.clone());
        if let Some(extra) = &self.extra {
            app = app.merge(extra.clone());
        }
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.changed().await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("admin listener stopped: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::tests::FakeApp;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tower::ServiceExt;

    /// One request over a real connection; the status line and the body.
    async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response.lines().next().unwrap_or_default().to_owned();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    #[tokio::test]
    async fn the_app_admin_alone_serves_health_and_app_routes_only() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Arc::new(FakeApp::default());
        let server = tokio::spawn(serve_app_admin(listener, None, app, async {
            let _ = stopped.await;
        }));

        let (status, body) = get(addr, "/healthz").await;
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        assert!(body.contains("\"ok\""), "{body}");
        let (status, body) = get(addr, "/v1/app").await;
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        assert!(body.contains("\"name\":\"web\""), "{body}");
        let (status, _) = get(addr, "/metrics").await;
        assert!(status.starts_with("HTTP/1.1 404"), "{status}");

        stop.send(()).unwrap();
        let served = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        assert!(matches!(served, Ok(Ok(Ok(())))), "{served:?}");
    }

    #[tokio::test]
    async fn the_guards_admin_carries_the_app_routes() {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .build_recorder()
            .handle();
        let events: Arc<dyn Emit> = Arc::new(palisade_core::Discard);
        let state = AdminState {
            metrics: handle,
            token: None,
            events: events.clone(),
            defences: Arc::new(Defences::new(events, None, None, None)),
        };
        for (control, expected) in [
            (None, StatusCode::NOT_FOUND),
            (
                Some(Arc::new(FakeApp::default()) as Arc<dyn AppControl>),
                StatusCode::OK,
            ),
        ] {
            let router = router(state.clone(), control);
            let request = Request::get("/v1/app").body(Body::empty()).unwrap();
            let response = router.oneshot(request).await.unwrap();
            assert_eq!(response.status(), expected);
            to_bytes(response.into_body(), 1 << 16).await.unwrap();
        }
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let response = router(state, None).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
