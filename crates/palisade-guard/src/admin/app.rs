//! `GET /v1/app` (the supervised app's status), `POST /v1/app/restart` and
//! `POST /v1/app/stop`: what `palisade status`, `palisade restart` and `palisade stop` call
//! on a running `palisade run`.
//!
//! Reading the status follows `/metrics` (open on loopback when no token is set); restart and
//! stop change state, so they need a token. A guard started with `palisade guard` has no app:
//! these routes answer `404`, saying so.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use palisade_core::AppControl;
use palisade_core::app::ControlError;

use super::authorize;

/// What the app routes need: the admin token and the supervisor's controls.
#[derive(Clone)]
pub(super) struct AppApi {
    pub(super) token: Option<String>,
    /// `None` under `palisade guard`.
    pub(super) control: Option<Arc<dyn AppControl>>,
}

pub(super) fn routes(api: AppApi) -> Router {
    Router::new()
        .route("/v1/app", get(status))
        .route("/v1/app/restart", post(restart))
        .route("/v1/app/stop", post(stop))
        .with_state(api)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

impl AppApi {
    /// The controls, once the caller is authorized (authorization first, so an unauthorized
    /// caller does not learn whether an app is supervised).
    #[allow(clippy::result_large_err)]
    fn control(&self, headers: &HeaderMap, required: bool) -> Result<&dyn AppControl, Response> {
        authorize(self.token.as_deref(), headers, required)?;
        self.control.as_deref().ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "no supervised app: this guard was started with `palisade guard`",
            )
        })
    }
}

async fn status(State(api): State<AppApi>, headers: HeaderMap) -> Response {
    match api.control(&headers, false) {
        Ok(control) => Json(control.status()).into_response(),
        Err(denied) => denied,
    }
}

async fn restart(State(api): State<AppApi>, headers: HeaderMap) -> Response {
    act(&api, &headers, |c| c.restart(), "restarting")
}

async fn stop(State(api): State<AppApi>, headers: HeaderMap) -> Response {
    act(&api, &headers, |c| c.stop(), "stopping")
}

/// The control calls return at once (the supervisor does the work on its own thread), hence
/// `202 Accepted` rather than `200`.
fn act(
    api: &AppApi,
    headers: &HeaderMap,
    call: impl FnOnce(&dyn AppControl) -> Result<(), ControlError>,
    doing: &'static str,
) -> Response {
    let control = match api.control(headers, true) {
        Ok(c) => c,
        Err(denied) => return denied,
    };
    match call(control) {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "status": doing })),
        )
            .into_response(),
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::Mutex;

    use axum::body::{Body, to_bytes};
    use axum::http::{Method, Request, header};
    use palisade_core::AppStatus;
    use tower::ServiceExt;

    use super::*;

    const TOKEN: &str = "s3cret";

    /// Records the calls; refuses them with `refuse` when set.
    #[derive(Default)]
    pub(in crate::admin) struct FakeApp {
        pub(in crate::admin) calls: Mutex<Vec<&'static str>>,
        refuse: Option<&'static str>,
    }

    impl FakeApp {
        fn called(&self, what: &'static str) -> Result<(), ControlError> {
            self.calls.lock().unwrap().push(what);
            match self.refuse {
                Some(m) => Err(ControlError(m.into())),
                None => Ok(()),
            }
        }
    }

    impl AppControl for FakeApp {
        fn status(&self) -> AppStatus {
            AppStatus {
                name: "web".into(),
                command: vec!["node".into(), "server.js".into()],
                state: "running".into(),
                pid: Some(4242),
                supervisor_pid: 4241,
                uptime_secs: Some(12),
                restarts: 3,
                last_exit: None,
                memory_bytes: Some(50 << 20),
                port: Some(3000),
                health_failures: 0,
            }
        }
        fn restart(&self) -> Result<(), ControlError> {
            self.called("restart")
        }
        fn stop(&self) -> Result<(), ControlError> {
            self.called("stop")
        }
    }

    fn api(token: Option<&str>, app: Option<Arc<FakeApp>>) -> Router {
        routes(AppApi {
            token: token.map(str::to_owned),
            control: app.map(|a| a as Arc<dyn AppControl>),
        })
    }

    async fn call(
        router: Router,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let response = router
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    #[tokio::test]
    async fn status_is_the_apps_status_as_json() {
        let app = Arc::new(FakeApp::default());
        let (status, json) = call(
            api(Some(TOKEN), Some(app)),
            Method::GET,
            "/v1/app",
            Some(TOKEN),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["name"], "web");
        assert_eq!(json["state"], "running");
        assert_eq!(json["pid"], 4242);
        assert_eq!(json["restarts"], 3);
        assert_eq!(json["port"], 3000);
        assert_eq!(json["last_exit"], serde_json::Value::Null);
        let back: AppStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, FakeApp::default().status());
    }

    #[tokio::test]
    async fn status_is_open_without_a_token_configured_like_metrics() {
        let app = Arc::new(FakeApp::default());
        let (status, _) = call(api(None, Some(app)), Method::GET, "/v1/app", None).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_set_token_is_required_everywhere() {
        let app = Arc::new(FakeApp::default());
        for (method, path) in [
            (Method::GET, "/v1/app"),
            (Method::POST, "/v1/app/restart"),
            (Method::POST, "/v1/app/stop"),
        ] {
            for given in [None, Some("wrong")] {
                let router = api(Some(TOKEN), Some(app.clone()));
                let (status, _) = call(router, method.clone(), path, given).await;
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} {given:?}"
                );
            }
        }
        assert!(app.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn controls_are_refused_when_no_token_is_configured() {
        let app = Arc::new(FakeApp::default());
        for path in ["/v1/app/restart", "/v1/app/stop"] {
            let (status, _) = call(api(None, Some(app.clone())), Method::POST, path, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        assert!(app.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn restart_and_stop_call_the_supervisor() {
        let app = Arc::new(FakeApp::default());
        let router = api(Some(TOKEN), Some(app.clone()));
        let (status, json) =
            call(router.clone(), Method::POST, "/v1/app/restart", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(json, serde_json::json!({ "status": "restarting" }));
        let (status, json) = call(router, Method::POST, "/v1/app/stop", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(json, serde_json::json!({ "status": "stopping" }));
        assert_eq!(*app.calls.lock().unwrap(), ["restart", "stop"]);
    }

    #[tokio::test]
    async fn a_refused_control_is_a_conflict_with_the_reason() {
        let app = Arc::new(FakeApp {
            refuse: Some("the app is already stopping"),
            ..FakeApp::default()
        });
        let router = api(Some(TOKEN), Some(app));
        for path in ["/v1/app/restart", "/v1/app/stop"] {
            let (status, json) = call(router.clone(), Method::POST, path, Some(TOKEN)).await;
            assert_eq!(status, StatusCode::CONFLICT, "{path}");
            assert_eq!(json["error"], "the app is already stopping");
        }
    }

    #[tokio::test]
    async fn a_plain_guard_has_no_app() {
        for (method, path) in [
            (Method::GET, "/v1/app"),
            (Method::POST, "/v1/app/restart"),
            (Method::POST, "/v1/app/stop"),
        ] {
            let (status, json) =
                call(api(Some(TOKEN), None), method.clone(), path, Some(TOKEN)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(
                json["error"],
                "no supervised app: this guard was started with `palisade guard`"
            );
        }
        // Authorization comes first: no answer about the app to a caller without the token.
        let (status, _) = call(api(Some(TOKEN), None), Method::GET, "/v1/app", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
