//! The SQLite event store: the durable log every sink reads from.
//!
//! One table of events in arrival order (`seq`), one cursor per sink into it, and an outbox of
//! alert notifications per sink. Delivery is "read after my cursor, ship, move the cursor", so
//! a sink that is down simply falls behind on disk and catches up in order when it returns.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use palisade_core::{Category, Event, Severity, Timestamp};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::alerts::Notification;
use crate::error::StoreError;

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    ts       INTEGER NOT NULL,
    category TEXT NOT NULL,
    severity INTEGER NOT NULL,
    ip       TEXT,
    user     TEXT,
    body     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_category_ts ON events(category, ts);
CREATE INDEX IF NOT EXISTS events_ip_ts ON events(ip, ts);
CREATE TABLE IF NOT EXISTS sink_cursors (
    sink TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    sink    TEXT NOT NULL,
    created INTEGER NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_sink_seq ON outbox(sink, seq);
";

/// An event with its position in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Position in the log (strictly increasing).
    pub seq: i64,
    /// The event, as redacted when it was stored.
    pub event: Event,
}

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

/// One row of `palisade events stats`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatRow {
    /// Start of the hour (UTC).
    pub hour: Timestamp,
    /// The category.
    pub category: String,
    /// Events in that hour.
    pub count: u64,
}

/// A connection to the event store.
pub struct Store {
    conn: Connection,
}

fn severity_rank(s: Severity) -> i64 {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0) as i64
}

impl Store {
    /// Opens (creating when missing) the store for reading and writing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(path, e))?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store { conn };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .and_then(|()| {
                // WAL: readers (sinks, the CLI) never block the writer. NORMAL: a commit is in
                // the WAL file when it returns, so a killed process loses nothing it committed.
                store.conn.pragma_update(None, "journal_mode", "WAL")?;
                store.conn.pragma_update(None, "synchronous", "NORMAL")?;
                store.conn.execute_batch(SCHEMA)?;
                store
                    .conn
                    .pragma_update(None, "user_version", SCHEMA_VERSION)
            })
            .map_err(|e| StoreError::sqlite(path, e))?;
        Ok(store)
    }

    /// Opens an existing store read-only (the CLI), failing clearly when it does not exist.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::sqlite(path, e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| StoreError::sqlite(path, e))?;
        Ok(Store { conn })
    }

    /// Appends events and alert notifications in one transaction; an event whose id is
    /// already stored (a re-ingested spool) is skipped. Returns how many events were new.
    pub fn append(
        &mut self,
        events: &[Event],
        notifications: &[(String, Notification)],
    ) -> rusqlite::Result<usize> {
        let tx = self.conn.transaction()?;
        let mut inserted = 0;
        {
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, ts, category, severity, ip, user, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in events {
                let body = serde_json::to_string(e).map_err(json_err)?;
                inserted += ins.execute(params![
                    e.id.to_string(),
                    e.time.0,
                    e.category.as_str(),
                    severity_rank(e.severity),
                    e.source_ip.map(|ip| ip.to_string()),
                    e.user,
                    body,
                ])?;
            }
            let mut out =
                tx.prepare_cached("INSERT INTO outbox (sink, created, body) VALUES (?1, ?2, ?3)")?;
            for (sink, n) in notifications {
                let body = serde_json::to_string(n).map_err(json_err)?;
                out.execute(params![sink, n.time.0, body])?;
            }
        }
        tx.commit()?;
        Ok(inserted)
    }

    /// The newest position, 0 for an empty log.
    pub fn max_seq(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))
    }

    /// Events after `seq`, oldest first.
    pub fn read_after(&self, seq: i64, limit: usize) -> rusqlite::Result<Vec<Stored>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![seq, limit as i64], stored_row)?;
        rows.map(|row| row.and_then(Stored::decode)).collect()
    }

    /// A sink's cursor; a sink seen for the first time starts at the end of the log, so adding
    /// a sink does not replay months of history into it.
    pub fn cursor(&self, sink: &str) -> rusqlite::Result<i64> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sink_cursors WHERE sink = ?1",
                [sink],
                |r| r.get(0),
            )
            .optional()?;
        match found {
            Some(seq) => Ok(seq),
            None => {
                let end = self.max_seq()?;
                self.set_cursor(sink, end)?;
                Ok(end)
            }
        }
    }

    /// Moves a sink's cursor (after a successful delivery).
    pub fn set_cursor(&self, sink: &str, seq: i64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sink_cursors (sink, seq) VALUES (?1, ?2)
                 ON CONFLICT(sink) DO UPDATE SET seq = excluded.seq",
            )?
            .execute(params![sink, seq])?;
        Ok(())
    }

    /// Pending notifications for a sink, oldest first.
    pub fn outbox(&self, sink: &str, limit: usize) -> rusqlite::Result<Vec<(i64, Notification)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM outbox WHERE sink = ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![sink, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (seq, body) = row?;
            Ok((seq, serde_json::from_str(&body).map_err(json_err)?))
        })
        .collect()
    }

    /// Removes delivered notifications of a sink, up to and including `seq`.
    pub fn outbox_done(&self, sink: &str, seq: i64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("DELETE FROM outbox WHERE sink = ?1 AND seq <= ?2")?
            .execute(params![sink, seq])?;
        Ok(())
    }

    /// Events not yet delivered to a sink.
    pub fn backlog(&self, cursor: i64) -> rusqlite::Result<u64> {
        let max = self.max_seq()?;
        Ok(u64::try_from(max - cursor).unwrap_or(0))
    }

    /// Applies retention: deletes events older than `max_age` and beyond the newest
    /// `max_events`. Returns the deleted count and, per sink, how many of them it had not
    /// delivered yet (lost to that sink: the disk bound was hit).
    pub fn expire(
        &mut self,
        now: Timestamp,
        max_age: Duration,
        max_events: u64,
    ) -> rusqlite::Result<(usize, Vec<(String, u64)>)> {
        let tx = self.conn.transaction()?;
        let cutoff_ts = now.0 - i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        let max: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
        let by_count = max - i64::try_from(max_events).unwrap_or(i64::MAX);
        // Everything at or below `upto` goes; events are appended in time order, so the age
        // cut is the largest seq older than the cutoff.
        let by_age: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE ts < ?1",
            [cutoff_ts],
            |r| r.get(0),
        )?;
        let upto = by_count.max(by_age);
        let mut lost = Vec::new();
        if upto > 0 {
            let mut stmt = tx.prepare("SELECT sink, seq FROM sink_cursors WHERE seq < ?1")?;
            let behind = stmt
                .query_map([upto], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            for (sink, cursor) in behind {
                let n: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM events WHERE seq > ?1 AND seq <= ?2",
                    [cursor, upto],
                    |r| r.get(0),
                )?;
                if n > 0 {
                    lost.push((sink, n as u64));
                }
            }
        }
        let deleted = if upto > 0 {
            tx.execute("DELETE FROM events WHERE seq <= ?1", [upto])?
        } else {
            0
        };
        tx.commit()?;
        Ok((deleted, lost))
    }

    /// Events matching a query.
    pub fn query(&self, q: &EventQuery) -> rusqlite::Result<Vec<Stored>> {
        let mut sql = String::from("SELECT seq, body FROM events WHERE 1=1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
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
            sql.push_str(" AND seq > ? ORDER BY seq ASC");
            args.push(after.into());
        } else {
            sql.push_str(" ORDER BY seq DESC");
        }
        sql.push_str(" LIMIT ?");
        args.push((q.limit.max(1) as i64).into());
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), stored_row)?;
        rows.map(|row| row.and_then(Stored::decode)).collect()
    }

    /// Counts by hour and category since a time, newest hour first.
    pub fn stats(&self, since: Timestamp) -> rusqlite::Result<Vec<StatRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT (ts / 3600000) * 3600000 AS hour, category, COUNT(*) FROM events
             WHERE ts >= ?1 GROUP BY hour, category ORDER BY hour DESC, COUNT(*) DESC",
        )?;
        let rows = stmt.query_map([since.0], |r| {
            Ok(StatRow {
                hour: Timestamp(r.get(0)?),
                category: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
            })
        })?;
        rows.collect()
    }

    /// Number of stored events.
    pub fn count(&self) -> rusqlite::Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
    }
}

/// `(seq, body)` of a row selected as `SELECT seq, body`.
fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String)> {
    Ok((r.get(0)?, r.get(1)?))
}

impl Stored {
    fn decode((seq, body): (i64, String)) -> rusqlite::Result<Stored> {
        Ok(Stored {
            seq,
            event: serde_json::from_str(&body).map_err(json_err)?,
        })
    }
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}
