//! Requests per hour, as the guard counted them: the overview's "requests" next to the event
//! counts. The guard adds what it served since its last write about once a minute; the rows
//! are not events (no sink sees them) and go with the events of their age.

use palisade_core::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::hourly::HOUR_MS;

/// The table, created on every writable open (a store from before it simply gains it).
pub(crate) const TABLE: &str = "
CREATE TABLE IF NOT EXISTS traffic (
    hour     INTEGER PRIMARY KEY,
    requests INTEGER NOT NULL
);
";

/// Requests served in one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficRow {
    /// Start of the hour.
    pub hour: Timestamp,
    /// Requests answered in it.
    pub requests: u64,
}

/// Adds `requests` to the hour `at` falls in.
pub(crate) fn add(conn: &Connection, at: Timestamp, requests: u64) -> rusqlite::Result<()> {
    let hour = at.0.div_euclid(HOUR_MS) * HOUR_MS;
    let n = i64::try_from(requests).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO traffic (hour, requests) VALUES (?1, ?2)
         ON CONFLICT(hour) DO UPDATE SET requests = requests + excluded.requests",
    )?
    .execute(params![hour, n])?;
    Ok(())
}

/// The hours from the one `since` falls in onwards, oldest first. A store no guard has
/// written to yet (or one opened read-only before any write) has none.
pub(crate) fn since(conn: &Connection, since: Timestamp) -> rusqlite::Result<Vec<TrafficRow>> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'traffic'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Ok(Vec::new());
    }
    let from = since.0.div_euclid(HOUR_MS) * HOUR_MS;
    conn.prepare_cached("SELECT hour, requests FROM traffic WHERE hour >= ?1 ORDER BY hour")?
        .query_map([from], |r| {
            Ok(TrafficRow {
                hour: Timestamp(r.get(0)?),
                requests: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            })
        })?
        .collect()
}

/// Forgets the hours that ended before `cutoff` (the events' age limit).
pub(crate) fn expire(conn: &Connection, cutoff: Timestamp) -> rusqlite::Result<usize> {
    let before = cutoff.0.div_euclid(HOUR_MS) * HOUR_MS;
    conn.execute("DELETE FROM traffic WHERE hour < ?1", [before])
}
