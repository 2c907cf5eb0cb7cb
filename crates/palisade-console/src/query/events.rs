//! Events as the pages and the API list them: filtered listings, one event by id, and the live
//! tail's reads after a position.

use std::path::Path;

use palisade_core::{Event, EventId, Timestamp};
use palisade_events::{EventQuery, Narrow, Stored};
use serde::Serialize;

use super::{EventFilter, SCAN_LIMIT, minus, open, store_err};
use crate::error::ConsoleError;

/// Events matching a filter, newest first. The filters no index serves (user, part of the
/// path) are applied by the store to at most [`SCAN_LIMIT`] of the newest events that match
/// the others.
pub fn events(
    db: Option<&Path>,
    filter: &EventFilter,
    now: Timestamp,
) -> Result<Vec<Stored>, ConsoleError> {
    let Some(store) = open(db)? else {
        return Ok(Vec::new());
    };
    let q = EventQuery {
        since: Some(minus(now, filter.since)),
        categories: filter.category.iter().cloned().collect(),
        ip: filter.ip,
        min_severity: filter.min_severity,
        after_seq: None,
        limit: filter.limit,
    };
    let rows = if filter.user.is_some() || filter.path.is_some() {
        let narrow = Narrow {
            user: filter.user.clone(),
            path_contains: filter.path.clone(),
            scan: SCAN_LIMIT,
        };
        store.query_narrowed(&q, &narrow)
    } else {
        store.query(&q)
    };
    rows.map_err(store_err)
}

/// The newest stored event's position (0 for an empty or missing store): a live tail starts
/// after it.
pub fn last_seq(db: Option<&Path>) -> Result<i64, ConsoleError> {
    match open(db)? {
        Some(store) => store.max_seq().map_err(store_err),
        None => Ok(0),
    }
}

/// At most this many events per live-tail poll; the rest come with the next one.
pub const TAIL_BATCH: usize = 500;

/// Events stored after `seq` that pass `filter` (its `since` and `limit` aside), oldest first,
/// and the position to continue from (past the events filtered out too).
pub fn events_after(
    db: Option<&Path>,
    filter: &EventFilter,
    seq: i64,
) -> Result<(Vec<Stored>, i64), ConsoleError> {
    let Some(store) = open(db)? else {
        return Ok((Vec::new(), seq));
    };
    // Read unfiltered, so the position moves past events the filter drops.
    let rows = store.read_after(seq, TAIL_BATCH).map_err(store_err)?;
    let next = rows.last().map_or(seq, |r| r.seq);
    let kept = rows
        .into_iter()
        .filter(|s| {
            let e = &s.event;
            filter.category.as_ref().is_none_or(|c| &e.category == c)
                && filter.min_severity.is_none_or(|m| e.severity >= m)
                && filter.ip.is_none_or(|ip| e.source_ip == Some(ip))
                && filter
                    .user
                    .as_deref()
                    .is_none_or(|u| e.user.as_deref() == Some(u))
                && filter
                    .path
                    .as_deref()
                    .is_none_or(|p| e.path.as_deref().is_some_and(|ep| ep.contains(p)))
        })
        .collect();
    Ok((kept, next))
}

/// One event by id (the store's unique index on it).
pub fn event(db: Option<&Path>, id: &str) -> Result<Stored, ConsoleError> {
    let parsed: EventId = id
        .parse()
        .map_err(|_| ConsoleError::bad("id", format!("`{id}` is not an event id")))?;
    let not_found = || ConsoleError::NotFound(format!("no event {parsed}"));
    let Some(store) = open(db)? else {
        return Err(not_found());
    };
    store.get(parsed).map_err(store_err)?.ok_or_else(not_found)
}

/// An event as pages show it: every field flattened to text.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Position in the log.
    pub seq: i64,
    /// The id.
    pub id: String,
    /// When (RFC 3339).
    pub time: String,
    /// Category name.
    pub category: String,
    /// Severity name.
    pub severity: String,
    /// The message.
    pub message: String,
    /// Source IP.
    pub ip: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// Rules that matched.
    pub rules: Vec<String>,
    /// Instance.
    pub instance: Option<String>,
    /// Extra fields.
    pub fields: Vec<(String, String)>,
}

impl From<&Stored> for EventView {
    fn from(s: &Stored) -> Self {
        let e: &Event = &s.event;
        EventView {
            seq: s.seq,
            id: e.id.to_string(),
            time: e.time.rfc3339(),
            category: e.category.as_str().to_owned(),
            severity: e.severity.as_str().to_owned(),
            message: e.message.clone(),
            ip: e.source_ip.map(|ip| ip.to_string()),
            user: e.user.clone(),
            request_id: e.request_id.clone(),
            method: e.method.clone(),
            host: e.host.clone(),
            path: e.path.clone(),
            rules: e.rules.clone(),
            instance: e.instance.clone(),
            fields: e
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}
