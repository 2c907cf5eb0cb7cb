//! `POST /v1/auth/events`: login outcomes an app reports itself (SSO callbacks, mobile
//! APIs, MFA steps), fed to the same monitor as the login routes the guard watches — so
//! they count toward brute force, stuffing and new-IP logins, and may ban.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_auth::AuthEventReport;

use super::{AdminState, authorize};

pub(super) async fn post_auth_event(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Result<Json<AuthEventReport>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, true) {
        return denied;
    }
    let report = match body {
        Ok(Json(r)) => r,
        Err(rejection) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({ "error": rejection.body_text() })),
            )
                .into_response();
        }
    };
    let Some(auth) = &state.defences.auth else {
        return (
            StatusCode::CONFLICT,
            Json(serde_json::json!({
                "error": "login monitoring is off: configure at least one [[auth.login]] route"
            })),
        )
            .into_response();
    };
    let Some((attempt, outcome, ip)) = report.into_observation(&auth.usernames()) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": "`user` is empty" })),
        )
            .into_response();
    };
    let cluster = state.defences.cluster().map(|c| &**c);
    let decisions = auth.observe_shared(&attempt, outcome, ip, cluster).await;
    let categories: Vec<String> = decisions.iter().map(|d| d.category().to_string()).collect();
    state.defences.decide_async(decisions, None).await;
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "decisions": categories })),
    )
        .into_response()
}
