//! The SQLite event store: the durable log every sink reads from.
//!
//! One table of events in arrival order (`seq`), one cursor per sink into it, and an outbox of
//! alert notifications per sink. Delivery is "read after my cursor, ship, move the cursor", so
//! a sink that is down simply falls behind on disk and catches up in order when it returns.
//!
//! Beside the log, hourly aggregates (events per hour and category, and per hour and IP, rule,
//! path, or user and IP of a failed login) are kept in step with it, so the console's overview
//! and logins page and `palisade events stats` read a few hundred rows instead of a day of
//! events ([`TopKey`], [`Store::stats`]).

mod hourly;
mod query;
mod schema;
mod traffic;

use std::path::Path;
use std::time::Duration;

use palisade_core::{Event, EventId, Severity, Timestamp};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::alerts::Notification;
use crate::error::StoreError;

pub use hourly::{HOUR_MS, KEYS_PER_HOUR, LOGIN_FAILURES, TopKey, TopList};
pub use query::{EventQuery, Narrow};
pub use traffic::TrafficRow;

/// An event with its position in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Position in the log (strictly increasing).
    pub seq: i64,
    /// The event, as redacted when it was stored.
    pub event: Event,
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
    /// The schema version: which aggregates exist and are current (those of version 2 and
    /// later, [`TopKey`]'s since 3). A read-only store an older palisade wrote lacks some:
    /// reads of those count the log itself.
    version: i64,
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
        let mut conn = Connection::open(path).map_err(|e| StoreError::sqlite(path, e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|()| {
                // WAL: readers (sinks, the CLI) never block the writer. NORMAL: a commit is in
                // the WAL file when it returns, so a killed process loses nothing it committed.
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                schema::migrate(&mut conn)
            })
            .map_err(|e| StoreError::sqlite(path, e))?;
        // Current, or newer (written by a later palisade, which keeps these too).
        let version = schema::version(&conn).map_err(|e| StoreError::sqlite(path, e))?;
        Ok(Store { conn, version })
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
        let version = conn
            .busy_timeout(Duration::from_secs(10))
            .and_then(|()| schema::version(&conn))
            .map_err(|e| StoreError::sqlite(path, e))?;
        Ok(Store { conn, version })
    }

    /// Appends events and alert notifications in one transaction, and counts the new events
    /// in the hourly aggregates; an event whose id is already stored (a re-ingested spool) is
    /// skipped. Returns how many events were new.
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
            let mut tally = hourly::Tally::default();
            for e in events {
                let body = serde_json::to_string(e).map_err(json_err)?;
                let ip = e.source_ip.map(|ip| ip.to_string());
                let severity = severity_rank(e.severity);
                let new = ins.execute(params![
                    e.id.to_string(),
                    e.time.0,
                    e.category.as_str(),
                    severity,
                    ip,
                    e.user,
                    body,
                ])?;
                if new > 0 {
                    tally.add(e, ip.as_deref(), severity);
                }
                inserted += new;
            }
            tally.apply(&tx)?;
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
    /// `max_events`, and takes them off the hourly aggregates in the same transaction. Returns the deleted count and, per sink, how many of them it had not
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
        traffic::expire(&tx, Timestamp(cutoff_ts))?;
        let deleted = if upto > 0 {
            hourly::forget(&tx, upto)?;
            tx.execute("DELETE FROM events WHERE seq <= ?1", [upto])?
        } else {
            0
        };
        tx.commit()?;
        Ok((deleted, lost))
    }

    /// Counts by hour and category since a time, newest hour first. Read from the hourly
    /// aggregates (the hour `since` falls in, when it is not on the hour, from the log).
    pub fn stats(&self, since: Timestamp) -> rusqlite::Result<Vec<StatRow>> {
        hourly::stats(&self.conn, self.version >= schema::AGGREGATES_SINCE, since)
    }

    /// The `n` most frequent source IPs, rules or paths of the events in `[since, until)`, or
    /// users or IPs of the failed logins among them, from the hourly aggregates (parts of hours
    /// at either end from the log).
    pub fn top(
        &self,
        key: TopKey,
        since: Timestamp,
        until: Timestamp,
        n: usize,
    ) -> rusqlite::Result<TopList> {
        let aggregates = self.version >= key.since();
        hourly::top(&self.conn, aggregates, key, since, until, n)
    }

    /// Adds `requests` served to the hour `at` falls in (the guard, about once a minute).
    pub fn add_traffic(&self, at: Timestamp, requests: u64) -> rusqlite::Result<()> {
        traffic::add(&self.conn, at, requests)
    }

    /// Requests per hour from the hour `since` falls in, oldest first; hours without
    /// requests (or before a guard wrote any) are absent.
    pub fn traffic(&self, since: Timestamp) -> rusqlite::Result<Vec<TrafficRow>> {
        traffic::since(&self.conn, since)
    }

    /// The event with this id, if it is stored.
    pub fn get(&self, id: EventId) -> rusqlite::Result<Option<Stored>> {
        self.conn
            .prepare_cached("SELECT seq, body FROM events WHERE id = ?1")?
            .query_row([id.to_string()], stored_row)
            .optional()?
            .map(Stored::decode)
            .transpose()
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
