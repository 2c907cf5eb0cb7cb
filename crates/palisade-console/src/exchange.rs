//! Black book export and import in the console: a download per format of
//! [`palisade_state::exchange`], and an import form (pasted text or an uploaded file) and API
//! that apply a list the same way `palisade blackbook import` does.
//!
//! # Security
//!
//! An import changes the black book, so a browser must echo its session's CSRF token like
//! ban and unban do; the session is checked before the body is read, so an unauthenticated
//! caller cannot make the console buffer megabytes. Accepted text is capped at
//! [`MAX_IMPORT`] bytes (`413` beyond).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use minijinja::{Value, context};
use palisade_core::Timestamp;
use palisade_state::exchange::{self, Format, ImportDefaults};
use palisade_state::{ImportSummary, StateError};
use serde::{Deserialize, Serialize};

use crate::Console;
use crate::auth::{Caller, Denied, check_csrf};
use crate::error::ConsoleError;
use crate::pages::blocking;
use crate::query;

/// The most text an import accepts: 5 MiB, a few hundred thousand addresses.
pub const MAX_IMPORT: usize = 5 * 1024 * 1024;

/// Room for the form's other fields and multipart framing around an import of
/// [`MAX_IMPORT`] bytes.
const FORM_OVERHEAD: usize = 64 * 1024;

/// Submitted text up to this size is put back in the form when the import fails, so the
/// admin can fix the line at fault; beyond it the page would get heavy.
const ECHO_LIMIT: usize = 64 * 1024;

/// The body limit of the import routes (axum's default of 2 MB is below [`MAX_IMPORT`]).
pub(crate) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_IMPORT + FORM_OVERHEAD)
}

/// Every format, in the order the page offers them.
pub const FORMATS: [Format; 3] = [Format::Csv, Format::Json, Format::Plain];

/// The name a format goes by in query strings and forms (what `Format::from_str` reads).
pub fn format_name(format: Format) -> &'static str {
    // Exhaustive on purpose: a new format fails to compile here until it has a name.
    match format {
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Plain => "plain",
    }
}

/// The format names, for the templates.
pub(crate) fn format_names() -> Vec<&'static str> {
    FORMATS.iter().map(|f| format_name(*f)).collect()
}

fn parse_format(s: Option<&str>) -> Result<Format, ConsoleError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Err(ConsoleError::bad(
            "format",
            format!("required: one of {}", format_names().join(", ")),
        )),
        Some(s) => s
            .parse()
            .map_err(|e: String| ConsoleError::bad("format", e)),
    }
}

/// What an import did: how many entries the text held, and what became of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Entries parsed from the text.
    pub parsed: usize,
    /// Added, updated, and skipped (expired, allowlisted, kept manual bans).
    #[serde(flatten)]
    pub summary: ImportSummary,
}

/// An import that failed, with the line at fault when the parser names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// What went wrong (a bad input is `400`, a failing black book `503`).
    pub error: ConsoleError,
    /// The 1-based line of the text at fault.
    pub line: Option<usize>,
}

impl From<ConsoleError> for ImportError {
    fn from(error: ConsoleError) -> Self {
        ImportError { error, line: None }
    }
}

impl IntoResponse for ImportError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.error.message() });
        if let ConsoleError::BadInput { field, .. } = &self.error {
            body["field"] = serde_json::Value::from(*field);
        }
        if let Some(line) = self.line {
            body["line"] = serde_json::Value::from(line);
        }
        (self.error.status(), Json(body)).into_response()
    }
}

fn book(
    state: Option<&dyn palisade_state::State>,
) -> Result<&dyn palisade_state::State, ConsoleError> {
    state.ok_or_else(|| ConsoleError::Unavailable("no black book is configured".into()))
}

/// The active bans rendered in `format`.
pub fn export(
    state: Option<&dyn palisade_state::State>,
    format: Format,
    now: Timestamp,
) -> Result<String, ConsoleError> {
    Ok(exchange::export(&book(state)?.list(now), format))
}

/// Parses `text` (the input named `field`) and applies it to the black book, as
/// `palisade blackbook import` does: entries without a source count as imported, and an
/// active manual ban wins over an imported one.
pub fn import(
    state: Option<&dyn palisade_state::State>,
    text: &str,
    format: Format,
    field: &'static str,
    now: Timestamp,
) -> Result<ImportReport, ImportError> {
    let state = book(state)?;
    let requests =
        exchange::parse(text, format, &ImportDefaults::default()).map_err(|e| ImportError {
            error: ConsoleError::bad(field, e.to_string()),
            line: (e.line > 0).then_some(e.line),
        })?;
    let parsed = requests.len();
    let summary = state.import(requests, now).map_err(|e| match e {
        StateError::Allowlisted(_) | StateError::Parse(_) => {
            ConsoleError::bad(field, e.to_string())
        }
        other => ConsoleError::Unavailable(format!("black book: {other}")),
    })?;
    Ok(ImportReport { parsed, summary })
}

/// The export as a download.
fn download(format: Format, text: String) -> Response {
    let (content_type, disposition) = match format {
        Format::Csv => (
            "text/csv; charset=utf-8",
            "attachment; filename=\"palisade-blackbook.csv\"",
        ),
        Format::Json => (
            "application/json",
            "attachment; filename=\"palisade-blackbook.json\"",
        ),
        Format::Plain => (
            "text/plain; charset=utf-8",
            "attachment; filename=\"palisade-blackbook.txt\"",
        ),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response()
}

/// The query string of an export or an API import.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FormatParams {
    format: Option<String>,
}

fn format_of(params: Result<Query<FormatParams>, QueryRejection>) -> Result<Format, ConsoleError> {
    match params {
        Ok(Query(p)) => parse_format(p.format.as_deref()),
        Err(_) => Err(ConsoleError::bad("query", "malformed query string")),
    }
}

async fn export_blocking(console: &Console, format: Format) -> Result<String, ConsoleError> {
    let state = console.settings().book.clone();
    blocking(move || export(state.as_deref(), format, Timestamp::now())).await
}

/// `GET /console/blackbook/export?format=`: the Export links of the black book page.
pub(crate) async fn export_page(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<FormatParams>, QueryRejection>,
) -> Response {
    let Some((_, session)) = console.session(&headers) else {
        return Denied::Login.into_response();
    };
    let result = match format_of(params) {
        Ok(f) => export_blocking(&console, f).await.map(|text| (f, text)),
        Err(e) => Err(e),
    };
    match result {
        Ok((f, text)) => download(f, text),
        Err(e) => console.page_error(&session.csrf, &e, "/console/blackbook"),
    }
}

/// `GET /api/v1/blackbook/export?format=`
pub(crate) async fn export_api(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<FormatParams>, QueryRejection>,
) -> Response {
    if console.api_caller(&headers).is_none() {
        return Denied::Unauthorized.into_response();
    }
    let format = match format_of(params) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match export_blocking(&console, format).await {
        Ok(text) => download(format, text),
        Err(e) => e.into_response(),
    }
}

async fn import_blocking(
    console: &Console,
    text: String,
    format: Format,
    field: &'static str,
) -> Result<ImportReport, ImportError> {
    let state = console.settings().book.clone();
    tokio::task::spawn_blocking(move || {
        import(state.as_deref(), &text, format, field, Timestamp::now())
    })
    .await
    .unwrap_or_else(|e| Err(ConsoleError::Unavailable(format!("import failed: {e}")).into()))
}

fn too_large(field: &'static str) -> ConsoleError {
    ConsoleError::bad(
        field,
        format!("larger than the {} MiB an import accepts", MAX_IMPORT >> 20),
    )
}

/// `POST /api/v1/blackbook/import?format=`: the body is the text; answers the counts.
pub(crate) async fn import_api(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<FormatParams>, QueryRejection>,
    req: Request,
) -> Response {
    let Some(who) = console.api_caller(&headers) else {
        return Denied::Unauthorized.into_response();
    };
    if let Err(d) = check_csrf(&who, &headers, None) {
        return d.into_response();
    }
    let format = match format_of(params) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let body = match Bytes::from_request(req, &()).await {
        Ok(b) => b,
        Err(r) => {
            return (
                r.status(),
                Json(serde_json::json!({ "error": r.body_text() })),
            )
                .into_response();
        }
    };
    if body.len() > MAX_IMPORT {
        return (StatusCode::PAYLOAD_TOO_LARGE, too_large("body")).into_response();
    }
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return ConsoleError::bad("body", "not UTF-8 text").into_response();
    };
    match import_blocking(&console, text, format, "body").await {
        Ok(report) => Json(report).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The import form's fields, from either encoding.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImportFields {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    text: String,
    /// An uploaded file (multipart only).
    #[serde(skip)]
    file: Vec<u8>,
}

/// Reads the form, multipart (the page's own, with a file input) or URL-encoded (scripts);
/// a failure is the status to answer with and why.
async fn read_form(
    headers: &HeaderMap,
    req: Request,
) -> Result<ImportFields, (StatusCode, String)> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        return Form::<ImportFields>::from_request(req, &())
            .await
            .map(|Form(f)| f)
            .map_err(|r| (r.status(), r.body_text()));
    }
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|r| (r.status(), r.body_text()))?;
    let mut out = ImportFields::default();
    let failed = |e: axum::extract::multipart::MultipartError| (e.status(), e.body_text());
    while let Some(field) = form.next_field().await.map_err(failed)? {
        match field.name() {
            Some("csrf") => out.csrf = Some(field.text().await.map_err(failed)?),
            Some("format") => out.format = Some(field.text().await.map_err(failed)?),
            Some("text") => out.text = field.text().await.map_err(failed)?,
            Some("file") => out.file = field.bytes().await.map_err(failed)?.to_vec(),
            // Unknown fields are skipped unread; the body limit still bounds them.
            _ => {}
        }
    }
    Ok(out)
}

/// The text to import: the uploaded file or the pasted text, not both.
fn chosen_text(fields: &mut ImportFields) -> Result<String, (StatusCode, ConsoleError)> {
    let bad = |field, m: &str| (StatusCode::BAD_REQUEST, ConsoleError::bad(field, m));
    let text = std::mem::take(&mut fields.text);
    let file = std::mem::take(&mut fields.file);
    let text = match (text.trim().is_empty(), file.is_empty()) {
        (true, true) => return Err(bad("text", "paste a list or choose a file to import")),
        (false, false) => {
            return Err(bad("file", "give either pasted text or a file, not both"));
        }
        (false, true) => text,
        (true, false) => String::from_utf8(file).map_err(|_| bad("file", "not UTF-8 text"))?,
    };
    if text.len() > MAX_IMPORT {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, too_large("text")));
    }
    Ok(text)
}

/// What the black book page shows after an import.
#[derive(Default)]
struct Outcome {
    report: Option<ImportReport>,
    error: Option<String>,
    /// The submitted text, put back in the form after a failure.
    text: Option<String>,
    format: Option<String>,
}

impl Outcome {
    fn failed(error: String, text: Option<String>) -> Self {
        Outcome {
            error: Some(error),
            text: text.filter(|t| t.len() <= ECHO_LIMIT),
            ..Outcome::default()
        }
    }
}

/// The black book page with an import's outcome on it.
async fn book_page(console: &Console, csrf: String, status: StatusCode, o: Outcome) -> Response {
    let state = console.settings().book.clone();
    let listed = blocking(move || query::blackbook(state.as_deref(), None, Timestamp::now())).await;
    match listed {
        Ok(bans) => console.render(
            status,
            "blackbook.html",
            context! {
                csrf, nav => "blackbook", bans, q => "",
                imported => o.report.map(Value::from_serialize),
                error => o.error,
                import_text => o.text, import_format => o.format,
            },
        ),
        Err(e) => console.page_error(&csrf, &e, "/console"),
    }
}

/// Applies a CSRF-checked import form: the report, or the status and outcome to show.
async fn apply_form(
    console: &Console,
    mut fields: ImportFields,
) -> Result<ImportReport, (StatusCode, Outcome)> {
    let text = chosen_text(&mut fields)
        .map_err(|(status, e)| (status, Outcome::failed(e.message(), None)))?;
    let format = match parse_format(fields.format.as_deref()) {
        Ok(f) => f,
        Err(e) => return Err((e.status(), Outcome::failed(e.message(), Some(text)))),
    };
    // A copy for the form to show again if the import fails; big ones are not shown.
    let echo = (text.len() <= ECHO_LIMIT).then(|| text.clone());
    import_blocking(console, text, format, "text")
        .await
        .map_err(|e| {
            let status = e.error.status();
            (status, Outcome::failed(e.error.message(), echo))
        })
}

/// `POST /console/blackbook/import`: the import form of the black book page.
pub(crate) async fn import_page(
    State(console): State<Console>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    // The session is checked before the body is read: only an admin may make us buffer it.
    let Some((id, session)) = console.session(&headers) else {
        return Denied::Unauthorized.into_response();
    };
    let csrf = session.csrf.clone();
    let fields = match read_form(&headers, req).await {
        Ok(f) => f,
        Err((status, why)) => {
            return book_page(&console, csrf, status, Outcome::failed(why, None)).await;
        }
    };
    let caller = Caller::Session { id, session };
    if let Err(d) = check_csrf(&caller, &headers, fields.csrf.as_deref()) {
        return d.into_response();
    }
    let format = fields.format.clone();
    let (status, mut outcome) = match apply_form(&console, fields).await {
        Ok(report) => (
            StatusCode::OK,
            Outcome {
                report: Some(report),
                ..Outcome::default()
            },
        ),
        Err(failed) => failed,
    };
    outcome.format = format;
    book_page(&console, csrf, status, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_name_parses_back() {
        for f in FORMATS {
            assert_eq!(parse_format(Some(format_name(f))).unwrap(), f);
        }
        assert!(matches!(
            parse_format(None),
            Err(ConsoleError::BadInput {
                field: "format",
                ..
            })
        ));
        assert!(matches!(
            parse_format(Some("xml")),
            Err(ConsoleError::BadInput {
                field: "format",
                ..
            })
        ));
    }

    #[test]
    fn a_bad_line_is_named() {
        use palisade_state::State as _;
        let state =
            palisade_state::MemoryState::new(palisade_state::BookConfig::default()).unwrap();
        let e = import(
            Some(&state),
            "192.0.2.1\nnot-an-ip\n",
            Format::Plain,
            "body",
            Timestamp::now(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.error.status(), StatusCode::BAD_REQUEST);
        assert!(e.error.message().contains("line 2"), "{}", e.error);
        assert!(state.list(Timestamp::now()).is_empty(), "nothing applied");
    }
}
