//! The store's tables and their migrations, versioned by SQLite's `PRAGMA user_version`.
//!
//! - 1: the event log, sink cursors, the alert outbox.
//! - 2: the hourly aggregates ([`super::hourly`]), backfilled from the log once.
//! - 3: two more kinds of hourly keys, the user and the source IP of failed logins
//!   ([`TopKey::LoginUser`](super::TopKey::LoginUser), [`TopKey::LoginIp`](super::TopKey::LoginIp)),
//!   backfilled from the log once; an index on `(user, ts)` for the logins page's per-user reads.
//!
//! A migration runs in an immediate transaction that first re-reads the version, so two
//! processes opening an old store at once migrate it once. A store at version 1 that already
//! has aggregate tables (a later store an older palisade opened, which wrote events without
//! counting them and set the version back) has them rebuilt from the log, so the counts match
//! the rows again; likewise a store at version 2 has whatever login-failure rows it holds
//! rebuilt.
//!
//! A palisade of version 2 leaves a newer store's version alone (it only migrates up), so if
//! one writes to a version-3 store, the login-failure keys miss what it appended or expired
//! until they are rebuilt (`PRAGMA user_version = 2`, then open it with this palisade).

use rusqlite::{Connection, TransactionBehavior};

use super::{TopKey, hourly};

/// The version this palisade writes.
pub(crate) const SCHEMA_VERSION: i64 = 3;

/// Since this version, the aggregates exist and are maintained.
pub(crate) const AGGREGATES_SINCE: i64 = 2;

/// Since this version, the login-failure keys are counted too.
pub(crate) const LOGIN_KEYS_SINCE: i64 = 3;

const BASE: &str = "
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

/// Version 2: events per hour and category/severity, and per hour and key (IP, rule, path)
/// for the top lists, bounded per hour with an overflow count. WITHOUT ROWID: the key is the
/// row, stored once.
const AGGREGATES: &str = "
CREATE TABLE IF NOT EXISTS hourly_counts (
    hour     INTEGER NOT NULL,
    category TEXT NOT NULL,
    severity INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (hour, category, severity)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly_keys (
    kind TEXT NOT NULL,
    hour INTEGER NOT NULL,
    key  TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (kind, hour, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly_overflow (
    kind TEXT NOT NULL,
    hour INTEGER NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (kind, hour)
) WITHOUT ROWID;
";

/// Version 3: failed logins by user are read per user (the logins page's last failure and
/// services of its top users), as they are per IP through `events_ip_ts`.
const LOGINS: &str = "CREATE INDEX IF NOT EXISTS events_user_ts ON events(user, ts);";

/// The store's version (0 for a new file).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings a store opened for writing to [`SCHEMA_VERSION`]; a store written by a newer
/// palisade is left at its version.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(BASE)?;
    conn.execute_batch(super::traffic::TABLE)?;
    if version(conn)? >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found < AGGREGATES_SINCE {
        tx.execute_batch(AGGREGATES)?;
        hourly::rebuild(&tx)?;
    } else if found < LOGIN_KEYS_SINCE {
        hourly::rebuild_keys(&tx, &TopKey::LOGINS)?;
    }
    if found < LOGIN_KEYS_SINCE {
        tx.execute_batch(LOGINS)?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()
}
