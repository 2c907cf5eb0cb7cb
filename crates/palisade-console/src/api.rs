//! The JSON API under `/api/v1`: the same queries as the pages, for scripts (bearer token) and
//! for the console's own pages (session cookie plus `X-CSRF-Token` on writes).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_core::Timestamp;
use palisade_events::Stored;
use serde::Deserialize;
use serde_json::json;

use crate::Console;
use crate::auth::{Caller, Denied, check_csrf};
use crate::error::ConsoleError;
use crate::pages::blocking;
use crate::query::{self, BanInput, EventParams};

fn caller(console: &Console, headers: &HeaderMap) -> Result<Caller, Denied> {
    console.api_caller(headers).ok_or(Denied::Unauthorized)
}

/// The event filters of an API query string, validated.
pub(crate) fn filter_of(
    params: Result<Query<EventParams>, QueryRejection>,
) -> Result<query::EventFilter, ConsoleError> {
    match params {
        Ok(Query(p)) => p.parse(),
        Err(_) => Err(ConsoleError::bad("query", "malformed query string")),
    }
}

fn stored_json(s: &Stored) -> serde_json::Value {
    json!({ "seq": s.seq, "event": s.event })
}

fn answer<T>(r: Result<T, ConsoleError>, ok: impl FnOnce(T) -> Response) -> Response {
    match r {
        Ok(v) => ok(v),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn overview(State(console): State<Console>, headers: HeaderMap) -> Response {
    if let Err(d) = caller(&console, &headers) {
        return d.into_response();
    }
    let db = console.settings().events_db.clone();
    let r = blocking(move || query::overview(db.as_deref(), Timestamp::now())).await;
    let app = console.app_status();
    answer(r, |o| {
        let mut v = serde_json::to_value(o).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("app".into(), serde_json::to_value(app).unwrap_or_default());
        }
        Json(v).into_response()
    })
}

pub(crate) async fn events(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<EventParams>, QueryRejection>,
) -> Response {
    if let Err(d) = caller(&console, &headers) {
        return d.into_response();
    }
    let filter = match filter_of(params) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let db = console.settings().events_db.clone();
    let r = blocking(move || query::events(db.as_deref(), &filter, Timestamp::now())).await;
    answer(r, |rows| {
        let events: Vec<_> = rows.iter().map(stored_json).collect();
        Json(json!({ "count": events.len(), "events": events })).into_response()
    })
}

pub(crate) async fn event(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(d) = caller(&console, &headers) {
        return d.into_response();
    }
    let db = console.settings().events_db.clone();
    let r = blocking(move || query::event(db.as_deref(), &id)).await;
    answer(r, |s| Json(stored_json(&s)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct BookParams {
    q: Option<String>,
}

pub(crate) async fn blackbook(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<BookParams>, QueryRejection>,
) -> Response {
    if let Err(d) = caller(&console, &headers) {
        return d.into_response();
    }
    let q = params.ok().and_then(|Query(p)| p.q);
    let book = console.settings().book.clone();
    let r =
        blocking(move || query::blackbook(book.as_deref(), q.as_deref(), Timestamp::now())).await;
    answer(r, |bans| {
        Json(json!({ "count": bans.len(), "bans": bans })).into_response()
    })
}

pub(crate) async fn ban(
    State(console): State<Console>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = match caller(&console, &headers) {
        Ok(c) => c,
        Err(d) => return d.into_response(),
    };
    if let Err(d) = check_csrf(&who, &headers, None) {
        return d.into_response();
    }
    let input: BanInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => return ConsoleError::bad("body", format!("not a ban: {e}")).into_response(),
    };
    let book = console.settings().book.clone();
    let r = blocking(move || query::ban(book.as_deref(), &input, Timestamp::now())).await;
    answer(r, |b| (StatusCode::CREATED, Json(b)).into_response())
}

pub(crate) async fn unban(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(target): Path<String>,
) -> Response {
    let who = match caller(&console, &headers) {
        Ok(c) => c,
        Err(d) => return d.into_response(),
    };
    if let Err(d) = check_csrf(&who, &headers, None) {
        return d.into_response();
    }
    let book = console.settings().book.clone();
    let r = blocking(move || query::unban(book.as_deref(), &target, Timestamp::now())).await;
    answer(r, |b| Json(b).into_response())
}
