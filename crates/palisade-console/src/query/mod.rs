//! The questions pages and the API both ask: input parsing and the reads and writes behind
//! them. Everything here is synchronous (SQLite, the black book); handlers run it on the
//! blocking pool.
//!
//! - `filters`: the event filters of a query string, validated ([`EventParams::parse`]);
//! - `events`: the events listing, one event by id, the live tail's reads ([`events()`],
//!   [`event()`], [`events_after()`]);
//! - `overview`: the last 24 hours at a glance, from the store's hourly aggregates
//!   ([`overview()`]);
//! - `blackbook`: the black book listed, banned into, unbanned from ([`blackbook()`]).

mod blackbook;
mod events;
mod filters;
mod overview;

use std::path::Path;
use std::time::Duration;

use palisade_core::Timestamp;
use palisade_events::{Store, StoreError};

use crate::error::ConsoleError;

pub use blackbook::{BanInput, BanView, MAX_REASON, ban, blackbook, parse_target, unban};
pub use events::{EventView, TAIL_BATCH, event, events, events_after, last_seq};
pub use filters::{EventFilter, EventParams, MAX_LIMIT};
pub use overview::{Count, GROUPS, HourCounts, Overview, overview};

/// The most events a filtered listing reads from the store to apply the filters the store
/// cannot (user, path), so a busy day cannot make a console request read the whole log.
pub const SCAN_LIMIT: usize = 100_000;

/// A form value, trimmed; empty means "not given" because HTML forms submit every field.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn minus(now: Timestamp, d: Duration) -> Timestamp {
    Timestamp(
        now.0
            .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// Opens the store read-only; `Ok(None)` when there is nothing to read yet (no store
/// configured is an error, a store the guard has not created yet is simply empty).
fn open(db: Option<&Path>) -> Result<Option<Store>, ConsoleError> {
    let Some(db) = db else {
        return Err(ConsoleError::Unavailable(
            "no event store is configured".into(),
        ));
    };
    match Store::open_read_only(db) {
        Ok(s) => Ok(Some(s)),
        Err(StoreError::Missing(_)) => Ok(None),
        Err(e) => Err(ConsoleError::Unavailable(e.to_string())),
    }
}

fn store_err(e: impl std::fmt::Display) -> ConsoleError {
    ConsoleError::Unavailable(format!("event store: {e}"))
}
