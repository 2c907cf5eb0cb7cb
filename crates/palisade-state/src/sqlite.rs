//! The SQLite backend: the in-memory black book for every read, written through to SQLite on
//! every change and loaded back at start, so bans survive a restart.
//!
//! Hit counters are bumped lock-free in memory and written back by [`State::maintain`] (they
//! are statistics; losing the last minute of them on a crash is fine). Offence scores are not
//! persisted: they decay within minutes anyway.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::Timestamp;
use rusqlite::{Connection, params};

use crate::ban::{Ban, BanRequest, Offence, Verdict};
use crate::book::{BlackBook, Change};
use crate::config::BookConfig;
use crate::error::StateError;
use crate::net::parse_target;
use crate::state::State;
use crate::stats::{BookStats, ImportSummary, PurgeSummary};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bans (
    target     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    source     TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    hits       INTEGER NOT NULL,
    expires_at INTEGER,
    bans       INTEGER NOT NULL
);
";

/// The black book persisted in a SQLite file (WAL mode).
pub struct SqliteState {
    book: BlackBook,
    conn: Mutex<Connection>,
    path: PathBuf,
    /// SQLite's `data_version` when last checked (it moves when another connection commits).
    data_version: Mutex<Option<i64>>,
}

impl SqliteState {
    /// Opens (creating when missing) the database at `path` and loads its bans (rows this
    /// version cannot read are skipped, so the rest still protects).
    pub fn open(path: &Path, config: BookConfig, now: Timestamp) -> Result<Self, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StateError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let sql = |e| StateError::sqlite(path, e);
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|()| {
                // WAL: the CLI can read while the guard writes. NORMAL: a committed ban is in
                // the WAL when the call returns, so a killed process keeps it.
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn.execute_batch(SCHEMA)?;
                conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            })
            .map_err(sql)?;
        let bans = load(&conn).map_err(sql)?;
        let version: Option<i64> = conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .ok();
        let book = BlackBook::new(config)?;
        book.load(bans, now);
        Ok(SqliteState {
            book,
            conn: Mutex::new(conn),
            path: path.to_owned(),
            data_version: Mutex::new(version),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Picks up changes another process (`palisade blackbook ban`, a second guard) committed
    /// to the database since the last call: when SQLite's `data_version` moved, the hit
    /// counters are written back and every entry is reloaded. Returns whether it reloaded.
    /// Cheap when nothing changed (one pragma), so a guard can call it every few seconds.
    pub fn reload_if_changed(&self, now: Timestamp) -> Result<bool, StateError> {
        let mut conn = self.conn();
        let sql = |e| StateError::sqlite(&self.path, e);
        let version: i64 = conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(sql)?;
        let mut seen = self.data_version.lock().unwrap_or_else(|p| p.into_inner());
        if *seen == Some(version) {
            return Ok(false);
        }
        *seen = Some(version);
        drop(seen);
        let dirty: Vec<Change> = self.book.dirty().into_iter().map(Change::Upsert).collect();
        if !dirty.is_empty() {
            persist_hits(&mut conn, &dirty).map_err(sql)?;
        }
        let bans = load(&conn).map_err(sql)?;
        self.book.replace(bans, now);
        Ok(true)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a book operation and writes its changes through, in one transaction. The
    /// connection lock is held across both so the database sees changes in the book's order.
    fn write<T>(
        &self,
        op: impl FnOnce(&BlackBook, &mut Vec<Change>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut conn = self.conn();
        let mut changes = Vec::new();
        let out = op(&self.book, &mut changes);
        if !changes.is_empty() {
            persist(&mut conn, &changes).map_err(|e| StateError::sqlite(&self.path, e))?;
        }
        out
    }
}

fn load(conn: &Connection) -> rusqlite::Result<Vec<Ban>> {
    let mut stmt = conn.prepare(
        "SELECT target, reason, source, first_seen, last_seen, hits, expires_at, bans FROM bans",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, Option<i64>>(6)?,
            r.get::<_, i64>(7)?,
        ))
    })?;
    let mut bans = Vec::new();
    for row in rows {
        let (target, reason, source, first, last, hits, expires, count) = row?;
        // A row this version cannot read (edited by hand) is skipped rather than failing
        // the start: the rest of the black book still protects.
        let (Ok(target), Ok(source)) = (parse_target(&target), source.parse()) else {
            continue;
        };
        bans.push(Ban {
            target,
            reason,
            source,
            first_seen: Timestamp(first),
            last_seen: Timestamp(last),
            hits: u64::try_from(hits).unwrap_or(0),
            expires_at: expires.map(Timestamp),
            bans: u32::try_from(count).unwrap_or(u32::MAX),
        });
    }
    Ok(bans)
}

fn persist(conn: &mut Connection, changes: &[Change]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO bans (target, reason, source, first_seen, last_seen, hits, expires_at, bans)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(target) DO UPDATE SET reason = excluded.reason,
               source = excluded.source, first_seen = excluded.first_seen,
               last_seen = excluded.last_seen, hits = excluded.hits,
               expires_at = excluded.expires_at, bans = excluded.bans",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM bans WHERE target = ?1")?;
        for change in changes {
            match change {
                Change::Upsert(b) => {
                    upsert.execute(params![
                        b.target.to_string(),
                        b.reason,
                        b.source.as_str(),
                        b.first_seen.0,
                        b.last_seen.0,
                        i64::try_from(b.hits).unwrap_or(i64::MAX),
                        b.expires_at.map(|t| t.0),
                        i64::from(b.bans),
                    ])?;
                }
                Change::Remove(net) => {
                    delete.execute([net.to_string()])?;
                }
            }
        }
    }
    tx.commit()
}

/// Writes back only hit counters and last-seen times (a reload must not resurrect a row
/// another process deleted).
fn persist_hits(conn: &mut Connection, changes: &[Change]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut update =
            tx.prepare_cached("UPDATE bans SET hits = ?2, last_seen = ?3 WHERE target = ?1")?;
        for change in changes {
            if let Change::Upsert(b) = change {
                update.execute(params![
                    b.target.to_string(),
                    i64::try_from(b.hits).unwrap_or(i64::MAX),
                    b.last_seen.0,
                ])?;
            }
        }
    }
    tx.commit()
}

impl State for SqliteState {
    fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict {
        self.book.check(ip, now)
    }

    fn is_allowlisted(&self, ip: IpAddr) -> bool {
        self.book.is_allowlisted(ip)
    }

    fn record(&self, offence: &Offence, now: Timestamp) -> Result<Option<Ban>, StateError> {
        // Most offences only move a score: the (uncontended) lock is then all it costs.
        self.write(|book, changes| book.record(offence, now, changes))
    }

    fn ban(&self, request: BanRequest, now: Timestamp) -> Result<Ban, StateError> {
        self.write(|book, changes| book.ban(request, now, changes))
    }

    fn unban(&self, target: IpNet, now: Timestamp) -> Result<Option<Ban>, StateError> {
        self.write(|book, changes| Ok(book.unban(target, now, changes)))
    }

    fn get(&self, target: IpNet) -> Option<Ban> {
        self.book.get(target)
    }

    fn list(&self, now: Timestamp) -> Vec<Ban> {
        self.book.list(now)
    }

    fn import(
        &self,
        requests: Vec<BanRequest>,
        now: Timestamp,
    ) -> Result<ImportSummary, StateError> {
        self.write(|book, changes| book.import(requests, now, changes))
    }

    fn maintain(&self, now: Timestamp) -> Result<PurgeSummary, StateError> {
        self.write(|book, changes| {
            let summary = book.purge(now, changes);
            changes.extend(book.dirty().into_iter().map(Change::Upsert));
            Ok(summary)
        })
    }

    fn stats(&self) -> BookStats {
        self.book.stats()
    }

    fn refresh(&self, now: Timestamp) -> Result<bool, StateError> {
        self.reload_if_changed(now)
    }
}
