//! The server-rendered pages: login, overview, events, black book.
//!
//! Pages need a browser session; without one a GET is sent to the login form. Forms that
//! change state carry the session's CSRF token in a hidden `csrf` field.

use std::path::PathBuf;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use palisade_core::{Category, Severity, Timestamp};
use serde::Deserialize;

use crate::Console;
use crate::auth::{Caller, Denied, check_csrf};
use crate::error::ConsoleError;
use crate::query::{self, BanInput, EventParams, EventView};
use crate::session::{COOKIE_NAME, SESSION_TTL, Session};

const STYLESHEET: &str = include_str!("../assets/console.css");
const SCRIPT: &str = include_str!("../assets/console.js");

/// The compiled templates. Their names end in `.html`, which turns on minijinja's HTML
/// auto-escaping: every value an attacker could have put in an event is escaped on output.
pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.html", include_str!("../templates/layout.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("message.html", include_str!("../templates/message.html")),
        ("overview.html", include_str!("../templates/overview.html")),
        ("events.html", include_str!("../templates/events.html")),
        ("event.html", include_str!("../templates/event.html")),
        (
            "blackbook.html",
            include_str!("../templates/blackbook.html"),
        ),
        ("logins.html", include_str!("../templates/logins.html")),
        ("rules.html", include_str!("../templates/rules.html")),
        (
            "dependencies.html",
            include_str!("../templates/dependencies.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are compiled into the binary and covered by tests; a broken one
            // renders as an error page rather than taking the admin listener down.
            tracing::error!(template = name, error = %e, "console template does not compile");
        }
    }
    env.add_global("book_formats", Value::from(crate::exchange::format_names()));
    env.add_filter("urlencode", |v: String| {
        form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
    });
    env
}

impl Console {
    pub(crate) fn render(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        let out = self
            .inner
            .templates
            .get_template(name)
            .and_then(|t| t.render(ctx));
        match out {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "console template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }

    pub(crate) fn page_error(&self, csrf: &str, e: &ConsoleError, back: &str) -> Response {
        self.render(
            e.status(),
            "message.html",
            context! { csrf, heading => "Request failed", back, error => e.message() },
        )
    }

    fn db(&self) -> Option<PathBuf> {
        self.settings().events_db.clone()
    }
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Runs a store or black-book query on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(ConsoleError::Unavailable(format!("query failed: {e}"))))
}

/// The session of a page request, or the redirect to the login form.
fn require(console: &Console, headers: &HeaderMap) -> Result<(String, Session), Denied> {
    console.session(headers).ok_or(Denied::Login)
}

pub(crate) async fn login_form(State(console): State<Console>) -> Response {
    console.render(StatusCode::OK, "login.html", context! {})
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    token: String,
}

pub(crate) async fn login(
    State(console): State<Console>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    if console.throttled() {
        return console.render(
            StatusCode::TOO_MANY_REQUESTS,
            "login.html",
            context! { error => "Too many wrong tokens in the last minute; wait a minute and try again." },
        );
    }
    if !console.token_matches(&token) {
        return console.render(
            StatusCode::UNAUTHORIZED,
            "login.html",
            context! { error => "That is not the admin token." },
        );
    }
    let Some((id, _)) = console.inner.sessions.create() else {
        return console.render(
            StatusCode::SERVICE_UNAVAILABLE,
            "login.html",
            context! { error => "No randomness available for a session; try again." },
        );
    };
    let secure = if console.settings().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE_NAME}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_TTL.as_secs()
    );
    let mut res = see_other("/console");
    match HeaderValue::from_str(&cookie) {
        Ok(v) => {
            res.headers_mut().insert(header::SET_COOKIE, v);
            res
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cookie error").into_response(),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: Option<String>,
}

pub(crate) async fn logout(
    State(console): State<Console>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Some((id, session)) = console.session(&headers) else {
        return see_other("/console/login");
    };
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let caller = Caller::Session { id, session };
    if let Err(d) = check_csrf(&caller, &headers, form.csrf.as_deref()) {
        return d.into_response();
    }
    if let Caller::Session { id, .. } = &caller {
        console.inner.sessions.remove(id);
    }
    let mut res = see_other("/console/login");
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("palisade_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    res
}

pub(crate) async fn overview(State(console): State<Console>, headers: HeaderMap) -> Response {
    let (_, session) = match require(&console, &headers) {
        Ok(s) => s,
        Err(d) => return d.into_response(),
    };
    let db = console.db();
    match blocking(move || query::overview(db.as_deref(), Timestamp::now())).await {
        Ok(o) => {
            let chart = crate::chart::hourly(&o.hours);
            console.render(
                StatusCode::OK,
                "overview.html",
                context! {
                    csrf => session.csrf, nav => "overview", o, chart,
                    app => console.app_status().as_ref().map(crate::app::AppView::from),
                },
            )
        }
        Err(e) => console.page_error(&session.csrf, &e, "/console"),
    }
}

pub(crate) async fn events(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<EventParams>, QueryRejection>,
) -> Response {
    let (_, session) = match require(&console, &headers) {
        Ok(s) => s,
        Err(d) => return d.into_response(),
    };
    let Ok(Query(params)) = params else {
        let e = ConsoleError::bad("query", "malformed query string");
        return console.page_error(&session.csrf, &e, "/console/events");
    };
    let filter = match params.parse() {
        Ok(f) => f,
        Err(e) => return console.page_error(&session.csrf, &e, "/console/events"),
    };
    let db = console.db();
    match blocking(move || query::events(db.as_deref(), &filter, Timestamp::now())).await {
        Ok(rows) => {
            let rows: Vec<EventView> = rows.iter().map(EventView::from).collect();
            let categories: Vec<&str> = Category::known().collect();
            let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
            console.render(
                StatusCode::OK,
                "events.html",
                context! {
                    csrf => session.csrf, nav => "events", rows, params, categories, severities,
                },
            )
        }
        Err(e) => console.page_error(&session.csrf, &e, "/console/events"),
    }
}

pub(crate) async fn event(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (_, session) = match require(&console, &headers) {
        Ok(s) => s,
        Err(d) => return d.into_response(),
    };
    let db = console.db();
    match blocking(move || query::event(db.as_deref(), &id)).await {
        Ok(stored) => console.render(
            StatusCode::OK,
            "event.html",
            context! {
                csrf => session.csrf, nav => "events", e => EventView::from(&stored),
                exclude => crate::rules::suggestion(&stored.event),
            },
        ),
        Err(e) => console.page_error(&session.csrf, &e, "/console/events"),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct BookParams {
    q: Option<String>,
}

pub(crate) async fn blackbook(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<BookParams>, QueryRejection>,
) -> Response {
    let (_, session) = match require(&console, &headers) {
        Ok(s) => s,
        Err(d) => return d.into_response(),
    };
    let q = params.map(|Query(p)| p.q).unwrap_or_default();
    let book = console.settings().book.clone();
    let search = q.clone();
    let listed =
        blocking(move || query::blackbook(book.as_deref(), search.as_deref(), Timestamp::now()))
            .await;
    match listed {
        Ok(bans) => console.render(
            StatusCode::OK,
            "blackbook.html",
            context! { csrf => session.csrf, nav => "blackbook", bans, q },
        ),
        Err(e) => console.page_error(&session.csrf, &e, "/console"),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct BanForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(flatten)]
    ban: BanInput,
}

/// Authenticates and CSRF-checks a form post; the session's CSRF token on success.
pub(crate) fn form_caller(
    console: &Console,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<String, Denied> {
    let (id, session) = console.session(headers).ok_or(Denied::Unauthorized)?;
    let token = session.csrf.clone();
    check_csrf(&Caller::Session { id, session }, headers, csrf)?;
    Ok(token)
}

pub(crate) async fn ban(
    State(console): State<Console>,
    headers: HeaderMap,
    form: Result<Form<BanForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let input = form.ban;
    book_form(&console, &headers, form.csrf.as_deref(), move |book| {
        query::ban(book, &input, Timestamp::now()).map(drop)
    })
    .await
}

/// A black-book form: authenticated and CSRF-checked, the change made off the async threads,
/// then back to the black-book page (or the error shown there).
async fn book_form(
    console: &Console,
    headers: &HeaderMap,
    csrf: Option<&str>,
    change: impl FnOnce(Option<&dyn palisade_state::State>) -> Result<(), ConsoleError> + Send + 'static,
) -> Response {
    let csrf = match form_caller(console, headers, csrf) {
        Ok(t) => t,
        Err(d) => return d.into_response(),
    };
    let book = console.settings().book.clone();
    match blocking(move || change(book.as_deref())).await {
        Ok(()) => see_other("/console/blackbook"),
        Err(e) => console.page_error(&csrf, &e, "/console/blackbook"),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct UnbanForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    target: String,
}

pub(crate) async fn unban(
    State(console): State<Console>,
    headers: HeaderMap,
    form: Result<Form<UnbanForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let target = form.target;
    book_form(&console, &headers, form.csrf.as_deref(), move |book| {
        query::unban(book, &target, Timestamp::now()).map(drop)
    })
    .await
}

pub(crate) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

pub(crate) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
        .into_response()
}
