//! The admin listener, on its own (loopback by default) address: health and metrics, event
//! ingestion (`POST /v1/events`, `POST /v1/auth/events`) and the black book
//! (`GET`/`POST`/`DELETE /v1/blackbook`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::defence::Defences;
use metrics_exporter_prometheus::PrometheusHandle;
use palisade_core::Emit;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

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
        }
    }
}

/// The admin routes, for serving and for tests.
fn router(state: AdminState) -> Router {
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
fn authorize(state: &AdminState, headers: &HeaderMap, required: bool) -> Result<(), Response> {
    let Some(token) = &state.token else {
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
    if let Err(denied) = authorize(&state, &headers, false) {
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
        let app = router(self.state.clone());
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
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
