//! What a console request can fail with, and how each failure answers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request the console could not serve. Pages and the API share the query functions that
/// return it; the API renders it as `{"error": "..."}`, pages as an HTML message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleError {
    /// The input was wrong; names the field so a client can point at it.
    BadInput {
        /// The query, form or JSON field at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing by that id.
    NotFound(String),
    /// A backend (event store, black book) is not configured or failed. The message is for
    /// the admin and never contains secrets.
    Unavailable(String),
}

impl ConsoleError {
    /// A bad value in `field`.
    pub fn bad(field: &'static str, message: impl Into<String>) -> Self {
        ConsoleError::BadInput {
            field,
            message: message.into(),
        }
    }

    /// The HTTP status this failure answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ConsoleError::BadInput { .. } => StatusCode::BAD_REQUEST,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The human-readable message (the field is named in it).
    pub fn message(&self) -> String {
        match self {
            ConsoleError::BadInput { field, message } => format!("{field}: {message}"),
            ConsoleError::NotFound(m) | ConsoleError::Unavailable(m) => m.clone(),
        }
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ConsoleError {}

/// The API's rendering: status plus `{"error": "...", "field": "..."}`.
impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message() });
        if let ConsoleError::BadInput { field, .. } = &self {
            body["field"] = serde_json::Value::from(*field);
        }
        (self.status(), Json(body)).into_response()
    }
}
