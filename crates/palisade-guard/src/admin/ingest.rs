//! `POST /v1/events`: apps (or scripts) report security events of their own — a failed login
//! the guard cannot see, an account change — into the same store, sinks and alert rules.
//!
//! Answers `202 {"id": …}` only once the event is on disk, so a caller that got 202 knows it
//! survives a crash of the guard right after.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_core::{Category, Event, Severity};
use serde::Deserialize;

use super::{AdminState, authorize};

/// Largest accepted body.
pub(super) const MAX_BODY: usize = 64 * 1024;
const MAX_TEXT: usize = 2048;
const MAX_FIELDS: usize = 32;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewEvent {
    category: Category,
    #[serde(default)]
    severity: Severity,
    message: String,
    #[serde(default)]
    source_ip: Option<IpAddr>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

fn bad(message: String) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

impl NewEvent {
    fn into_event(self) -> Result<Event, String> {
        let texts = [
            ("message", Some(&self.message)),
            ("user", self.user.as_ref()),
            ("request_id", self.request_id.as_ref()),
            ("method", self.method.as_ref()),
            ("host", self.host.as_ref()),
            ("path", self.path.as_ref()),
        ];
        for (name, value) in texts {
            if value.is_some_and(|v| v.len() > MAX_TEXT) {
                return Err(format!("`{name}` is longer than {MAX_TEXT} bytes"));
            }
        }
        if self.message.trim().is_empty() {
            return Err("`message` is empty".into());
        }
        if self.fields.len() > MAX_FIELDS || self.rules.len() > MAX_FIELDS {
            return Err(format!(
                "at most {MAX_FIELDS} fields and {MAX_FIELDS} rules"
            ));
        }
        if let Some((k, _)) = self
            .fields
            .iter()
            .find(|(k, v)| k.len() > 64 || v.len() > MAX_TEXT)
        {
            return Err(format!("field `{k}` is too long"));
        }
        let mut e = Event::new(self.category, self.severity, self.message);
        e.source_ip = self.source_ip;
        e.user = self.user;
        e.request_id = self.request_id;
        e.method = self.method;
        e.host = self.host;
        e.path = self.path;
        e.rules = self.rules;
        e.fields = self.fields;
        Ok(e.with_field("reported_by", "api"))
    }
}

pub(super) async fn post_event(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Result<Json<NewEvent>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err(denied) = authorize(state.token.as_deref(), &headers, true) {
        return denied;
    }
    let new = match body {
        Ok(Json(new)) => new,
        Err(rejection) => return bad(rejection.body_text()),
    };
    let event = match new.into_event() {
        Ok(e) => e,
        Err(message) => return bad(message),
    };
    let id = event.id.to_string();
    if state.events.emit_durable(event).await {
        (StatusCode::ACCEPTED, Json(serde_json::json!({ "id": id }))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "error": "the event could not be stored" })),
        )
            .into_response()
    }
}
