//! Reading events by filter: [`EventQuery`] for what the indexes serve (time, category, IP,
//! severity, position), [`Narrow`] for what only a row's user or body holds.

use std::net::IpAddr;

use palisade_core::{Category, Severity, Timestamp};
use rusqlite::types::Value;

use super::{Store, Stored, severity_rank, stored_row};

/// What `palisade events` asks for.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only these categories (empty: all).
    pub categories: Vec<Category>,
    /// Only events from this client.
    pub ip: Option<IpAddr>,
    /// Only at least this severity.
    pub min_severity: Option<Severity>,
    /// Only events after this position (for `tail`).
    pub after_seq: Option<i64>,
    /// At most this many (newest first, unless `after_seq` is set: then oldest first).
    pub limit: usize,
}

/// Filters no index serves — the user, a part of the path — applied by SQLite to at most
/// `scan` of the newest events (by time) that pass an [`EventQuery`]'s other filters, so a
/// filter that matches nothing still reads a bounded part of the log.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    /// Only events of this user (exactly).
    pub user: Option<String>,
    /// Only events whose request path (with its query) contains this.
    pub path_contains: Option<String>,
    /// Look at this many events at most.
    pub scan: usize,
}

/// The `WHERE` terms of a query's indexed filters (`ts`, `category`, `ip`, `severity`, `seq`).
fn conditions(q: &EventQuery, args: &mut Vec<Value>) -> String {
    let mut sql = String::from("1=1");
    if let Some(since) = q.since {
        sql.push_str(" AND ts >= ?");
        args.push(since.0.into());
    }
    if !q.categories.is_empty() {
        sql.push_str(" AND category IN (");
        for (i, c) in q.categories.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(c.as_str().to_owned().into());
        }
        sql.push(')');
    }
    if let Some(ip) = q.ip {
        sql.push_str(" AND ip = ?");
        args.push(ip.to_string().into());
    }
    if let Some(sev) = q.min_severity {
        sql.push_str(" AND severity >= ?");
        args.push(severity_rank(sev).into());
    }
    if let Some(after) = q.after_seq {
        sql.push_str(" AND seq > ?");
        args.push(after.into());
    }
    sql
}

impl Store {
    /// Events matching a query.
    pub fn query(&self, q: &EventQuery) -> rusqlite::Result<Vec<Stored>> {
        let mut args = Vec::new();
        let cond = conditions(q, &mut args);
        let order = if q.after_seq.is_some() { "ASC" } else { "DESC" };
        args.push((q.limit.max(1) as i64).into());
        self.select(
            &format!("SELECT seq, body FROM events WHERE {cond} ORDER BY seq {order} LIMIT ?"),
            args,
        )
    }

    /// Events matching a query and a narrowing, in the query's order, at most `q.limit`.
    pub fn query_narrowed(&self, q: &EventQuery, narrow: &Narrow) -> rusqlite::Result<Vec<Stored>> {
        let mut args = Vec::new();
        let cond = conditions(q, &mut args);
        // The candidates: the newest `scan` by time (a walk down the ts, category or ip index,
        // which all end in ts), or the oldest after a position.
        let (scan_order, order) = if q.after_seq.is_some() {
            ("seq ASC", "ASC")
        } else {
            ("ts DESC", "DESC")
        };
        args.push((narrow.scan.max(1) as i64).into());
        let mut sql = format!(
            "SELECT seq, body FROM events WHERE seq IN \
             (SELECT seq FROM events WHERE {cond} ORDER BY {scan_order} LIMIT ?)"
        );
        if let Some(user) = &narrow.user {
            sql.push_str(" AND user = ?");
            args.push(user.clone().into());
        }
        if let Some(part) = &narrow.path_contains {
            // The body holds the path JSON-escaped, character by character, so the escaped
            // part is in the body of every match: a cheap test before parsing the JSON.
            let escaped = serde_json::to_string(part).unwrap_or_default();
            let escaped = escaped
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or_default();
            sql.push_str(" AND instr(body, ?) > 0 AND instr(json_extract(body, '$.path'), ?) > 0");
            args.push(escaped.to_owned().into());
            args.push(part.clone().into());
        }
        sql.push_str(&format!(" ORDER BY seq {order} LIMIT ?"));
        args.push((q.limit.max(1) as i64).into());
        self.select(&sql, args)
    }

    fn select(&self, sql: &str, args: Vec<Value>) -> rusqlite::Result<Vec<Stored>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), stored_row)?;
        rows.map(|row| row.and_then(Stored::decode)).collect()
    }
}
