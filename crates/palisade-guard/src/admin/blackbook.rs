//! `GET /v1/blackbook` (active bans), `POST /v1/blackbook` (ban) and
//! `DELETE /v1/blackbook?target=IP|CIDR` (unban): operators and scripts edit the running
//! guard's black book. Each change is announced as an `ip_banned` / `ip_unbanned` event.
//! (`palisade blackbook` edits the SQLite file instead; the guard picks that up within its
//! `refresh` interval.)

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_state::net::parse_target;
use palisade_state::{BanRequest, BanSource};
use serde::Deserialize;

use super::{AdminState, authorize};
use crate::defence::ban_event;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn off() -> Response {
    error(
        StatusCode::CONFLICT,
        "the black book is off ([blackbook] enabled = false)",
    )
}

pub(super) async fn list(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, true) {
        return denied;
    }
    let Some(book) = &state.defences.book else {
        return off();
    };
    Json(book.state.list(Timestamp::now())).into_response()
}

/// The body of `POST /v1/blackbook`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewBan {
    target: String,
    #[serde(default)]
    reason: Option<String>,
    /// A duration (`"1h"`); absent: permanent.
    #[serde(default, rename = "for")]
    duration: Option<String>,
}

pub(super) async fn ban(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Result<Json<NewBan>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, true) {
        return denied;
    }
    let Some(book) = &state.defences.book else {
        return off();
    };
    let new = match body {
        Ok(Json(n)) => n,
        Err(r) => return error(StatusCode::UNPROCESSABLE_ENTITY, r.body_text()),
    };
    let target = match parse_target(&new.target) {
        Ok(t) => t,
        Err(m) => return error(StatusCode::UNPROCESSABLE_ENTITY, m),
    };
    let ttl: Option<Duration> = match new.duration.as_deref().map(humantime::parse_duration) {
        None => None,
        Some(Ok(d)) if !d.is_zero() => Some(d),
        Some(_) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "`for` must be a positive duration such as \"1h\"",
            );
        }
    };
    let now = Timestamp::now();
    let reason = new
        .reason
        .unwrap_or_else(|| "banned through the admin API".into());
    let mut request = BanRequest::permanent(target, BanSource::Manual, reason);
    if let Some(d) = ttl {
        request = BanRequest::lasting(target, BanSource::Manual, request.reason, d, now);
    }
    match book.state.ban_async(request, now).await {
        Ok(b) => {
            state.defences.events.emit(ban_event(&b, None, None));
            (StatusCode::CREATED, Json(b)).into_response()
        }
        Err(e @ palisade_state::StateError::Allowlisted(_)) => {
            error(StatusCode::CONFLICT, e.to_string())
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `?target=`
#[derive(Debug, Deserialize)]
pub(super) struct Target {
    target: String,
}

pub(super) async fn unban(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<Target>,
) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, true) {
        return denied;
    }
    let Some(book) = &state.defences.book else {
        return off();
    };
    let target = match parse_target(&q.target) {
        Ok(t) => t,
        Err(m) => return error(StatusCode::UNPROCESSABLE_ENTITY, m),
    };
    match book.state.unban(target, Timestamp::now()) {
        Ok(Some(b)) => {
            let event = Event::new(
                Category::IpUnbanned,
                Severity::Info,
                format!("{} unbanned through the admin API", b.target),
            )
            .with_source_ip(b.target.addr())
            .with_field("target", b.target.to_string());
            state.defences.events.emit(event);
            Json(b).into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("{target} is not in the black book"),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
