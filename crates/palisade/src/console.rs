//! The web console on the admin listener: built when `[admin] console` is on and a token is
//! set (the token is the console's login).

use std::sync::Arc;

use palisade_console::{Console, ConsoleSettings};
use palisade_core::AppControl;
use palisade_state::State;

use crate::config::Runtime;
use crate::rules::ConfigRules;

/// The console's routes for the admin listener, or `None` (with the reason logged). `token`
/// is the admin listener's (`palisade run` makes one up when none is configured).
pub fn routes(
    rt: &Runtime,
    console: bool,
    token: Option<String>,
    book: Option<Arc<dyn State>>,
    rules: Arc<ConfigRules>,
    app: Option<Arc<dyn AppControl>>,
) -> Option<axum::Router> {
    if !console {
        return None;
    }
    let Some(token) = token else {
        tracing::info!("the console is off: set [admin] token to log in with");
        return None;
    };
    let console = Console::new(ConsoleSettings {
        token,
        // The admin listener speaks plain HTTP (loopback by default).
        secure_cookies: false,
        events_db: rt.events.as_ref().map(|e| e.database.clone()),
        book,
        // Where `palisade audit` and `palisade outdated` save their latest reports.
        reports: Some(crate::reports::dir()),
        rules: Some(rules),
        app,
    });
    Some(palisade_console::router(console))
}
