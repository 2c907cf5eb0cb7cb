//! palisade's web console: server-rendered pages and a JSON API over the event store and the
//! black book, meant to be merged into the guard's admin listener.
//!
//! ```no_run
//! # use palisade_console::{Console, ConsoleSettings, router};
//! let console = Console::new(ConsoleSettings {
//!     token: "admin token".into(),
//!     secure_cookies: true,
//!     events_db: Some("/var/lib/palisade/events.db".into()),
//!     book: None,
//!     ..Default::default()
//! });
//! let admin: axum::Router = axum::Router::new().merge(router(console));
//! # let _ = admin;
//! ```
//!
//! # Security model
//!
//! Browsers log in once with the admin token and then carry a random session cookie
//! (`HttpOnly; SameSite=Strict`); every state-changing request made with that cookie must echo
//! the session's CSRF token. Scripts send `Authorization: Bearer <token>` to the API instead,
//! which a browser never attaches on its own, so those need no CSRF token. Every response
//! carries a strict CSP: pages have no inline script or style, and templates escape every
//! value, so a hostile string in an event (it came from an attacker's request) stays text.

#![warn(missing_docs)]

mod api;
mod app;
mod auth;
mod chart;
mod dependencies;
pub mod error;
mod exchange;
mod headers;
pub mod hooks;
mod logins;
mod pages;
pub mod query;
mod rules;
pub mod session;
mod tail;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
use minijinja::Environment;
use palisade_state::State;

pub use error::ConsoleError;
pub use headers::CONTENT_SECURITY_POLICY;
pub use hooks::{ExclusionSpec, RulesControl, RulesView};

use crate::session::Sessions;

/// What the console needs from its caller.
#[derive(Clone, Default)]
pub struct ConsoleSettings {
    /// The admin token: what the login form and `Authorization: Bearer` must present. An empty
    /// token disables logging in altogether.
    pub token: String,
    /// Adds `Secure` to the session cookie (set it whenever the console is served over HTTPS).
    pub secure_cookies: bool,
    /// The SQLite event store to read (opened read-only per request); `None`: event pages say
    /// so.
    pub events_db: Option<PathBuf>,
    /// The black book to show and edit; `None`: its pages say so.
    pub book: Option<Arc<dyn State>>,
    /// The detection rules to show and edit; `None`: the Rules page says so.
    pub rules: Option<Arc<dyn RulesControl>>,
    /// The directory `palisade audit` and `palisade outdated` save their latest reports in;
    /// `None`: the Dependencies page says so.
    pub reports: Option<PathBuf>,
    /// The supervised app (`palisade run`); `None` under `palisade guard`.
    pub app: Option<Arc<dyn palisade_core::AppControl>>,
}

impl std::fmt::Debug for ConsoleSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token, even in a debug log.
        f.debug_struct("ConsoleSettings")
            .field("token", &"<redacted>")
            .field("secure_cookies", &self.secure_cookies)
            .field("events_db", &self.events_db)
            .field("book", &self.book.as_ref().map(|_| "<state>"))
            .field("rules", &self.rules.as_ref().map(|_| "<rules>"))
            .field("reports", &self.reports)
            .field("app", &self.app.as_ref().map(|_| "<app>"))
            .finish()
    }
}

/// The console: settings, live sessions and compiled templates. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Console {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: ConsoleSettings,
    sessions: Sessions,
    throttle: session::Throttle,
    templates: Environment<'static>,
    tails: tail::Tails,
}

impl Console {
    /// A console with no sessions yet.
    pub fn new(settings: ConsoleSettings) -> Console {
        Console {
            inner: Arc::new(Inner {
                settings,
                sessions: Sessions::default(),
                throttle: session::Throttle::default(),
                templates: pages::templates(),
                tails: tail::Tails::default(),
            }),
        }
    }

    /// The live sessions (for tests and metrics).
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// The supervised app's status, when there is one. Asked per page view: the supervisor
    /// answers from memory (and reads /proc for the memory figure).
    fn app_status(&self) -> Option<palisade_core::AppStatus> {
        self.settings().app.as_ref().map(|a| a.status())
    }

    fn settings(&self) -> &ConsoleSettings {
        &self.inner.settings
    }

    fn tails(&self) -> &tail::Tails {
        &self.inner.tails
    }
}

/// The console's routes (`/console/...` pages, `/api/v1/...` JSON), each response carrying the
/// console's security headers. It sets no fallback, so it merges into an existing router.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/console", get(pages::overview))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route("/console/logout", post(pages::logout))
        .route("/console/events", get(pages::events))
        .route("/console/events/{id}", get(pages::event))
        .route("/console/blackbook", get(pages::blackbook))
        .route("/console/blackbook/ban", post(pages::ban))
        .route("/console/blackbook/unban", post(pages::unban))
        .route("/console/blackbook/export", get(exchange::export_page))
        .route(
            "/console/blackbook/import",
            post(exchange::import_page).layer(exchange::body_limit()),
        )
        .route("/console/logins", get(logins::page))
        .route("/console/dependencies", get(dependencies::page))
        .route("/console/rules", get(rules::page))
        .route("/console/rules/exclusions", post(rules::add))
        .route("/api/v1/rules", get(rules::api_view))
        .route("/api/v1/rules/exclusions", post(rules::api_add))
        .route("/console/assets/console.css", get(pages::stylesheet))
        .route("/console/assets/console.js", get(pages::script))
        .route("/api/v1/overview", get(api::overview))
        .route("/api/v1/events", get(api::events))
        .route("/api/v1/events/stream", get(tail::stream))
        .route("/api/v1/events/{id}", get(api::event))
        .route("/api/v1/blackbook", get(api::blackbook).post(api::ban))
        .route("/api/v1/blackbook/{target}", delete(api::unban))
        .route("/api/v1/blackbook/export", get(exchange::export_api))
        .route(
            "/api/v1/blackbook/import",
            post(exchange::import_api).layer(exchange::body_limit()),
        )
        .route("/api/v1/logins", get(logins::api))
        .route("/api/v1/dependencies", get(dependencies::api))
        .with_state(console)
        .layer(axum::middleware::map_response(headers::security_headers))
}
