//! Pre-aggregated hourly counts: what the console's overview and `palisade events stats` read
//! instead of scanning the log.
//!
//! Maintained in the transaction that changes the log — [`Store::append`](super::Store::append)
//! adds, [`Store::expire`](super::Store::expire) subtracts — so they always equal a count over
//! the stored rows:
//!
//! - `hourly_counts`: events per hour, category and severity; exact.
//! - `hourly_keys`: events per hour and key — source IP, rule, path, and the user and source IP
//!   of failed logins ([`LOGIN_FAILURES`]) — for the top lists. At most
//!   [`KEYS_PER_HOUR`] keys per hour and kind get a row; events of further keys are counted in
//!   `hourly_overflow` only. A flood of one-off paths (every scanner request has its own query
//!   string) cannot grow the table past that bound, and a top list read from such an hour says
//!   it may be incomplete ([`TopList::complete`]).
//!
//! Hours are UTC hours of the event's time (`ts - ts mod 1 h`), the same in Rust and SQL.

use std::collections::HashMap;

use palisade_core::{Event, Timestamp};
use rusqlite::{Connection, Transaction, params};

use super::StatRow;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// The most keys (IPs, rules, paths) counted per hour and kind; more are counted as overflow.
///
/// An attack burst of 12,000 events an hour from a long tail of 5,000 addresses had ~2,400
/// distinct IPs and ~2,700 distinct paths: such hours stay exact. The bound keeps what the
/// overview reads to 24 × 5,000 rows per kind (~100 ms with every hour full) however many
/// one-off paths a scanner sends.
pub const KEYS_PER_HOUR: usize = 5_000;

/// The start of the hour `ts` falls in.
pub(crate) fn hour_of(ts: i64) -> i64 {
    ts - ts.rem_euclid(HOUR_MS)
}

/// The first hour start at or after `ts`.
fn hour_ceil(ts: i64) -> i64 {
    let h = hour_of(ts);
    if h == ts {
        h
    } else {
        h.saturating_add(HOUR_MS)
    }
}

/// [`hour_of`] in SQL, over the `ts` column.
const HOUR_SQL: &str = "(ts - ((ts % 3600000) + 3600000) % 3600000)";

/// The categories of a failed login, whatever the service: the events
/// [`TopKey::LoginUser`] and [`TopKey::LoginIp`] count.
pub const LOGIN_FAILURES: [&str; 4] = [
    "auth_failure",
    "ssh_auth_failure",
    "ftp_auth_failure",
    "mail_auth_failure",
];

/// `category IN (…)` of [`LOGIN_FAILURES`], as SQL literals (constants, never caller text).
fn login_failure_sql() -> String {
    let names: Vec<String> = LOGIN_FAILURES.iter().map(|c| format!("'{c}'")).collect();
    format!("category IN ({})", names.join(", "))
}

/// What a top list ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopKey {
    /// The client address.
    SourceIp,
    /// A rule that fired (an event with two rules counts for both).
    Rule,
    /// The request path, as stored (with its redacted query).
    Path,
    /// The user name of a failed login ([`LOGIN_FAILURES`]).
    LoginUser,
    /// The client address of a failed login ([`LOGIN_FAILURES`]).
    LoginIp,
}

impl TopKey {
    /// Every kind, in the order the tables use.
    pub const ALL: [TopKey; 5] = [
        TopKey::SourceIp,
        TopKey::Rule,
        TopKey::Path,
        TopKey::LoginUser,
        TopKey::LoginIp,
    ];

    /// The kinds of failed logins, added in schema version 3.
    pub(crate) const LOGINS: [TopKey; 2] = [TopKey::LoginUser, TopKey::LoginIp];

    /// The name stored in `hourly_keys.kind`.
    fn name(self) -> &'static str {
        match self {
            TopKey::SourceIp => "ip",
            TopKey::Rule => "rule",
            TopKey::Path => "path",
            TopKey::LoginUser => "login_user",
            TopKey::LoginIp => "login_ip",
        }
    }

    /// The schema version since which this kind is counted: a store an older palisade wrote
    /// has no rows of it, so its top lists are counted from the log.
    pub(crate) fn since(self) -> i64 {
        match self {
            TopKey::SourceIp | TopKey::Rule | TopKey::Path => super::schema::AGGREGATES_SINCE,
            TopKey::LoginUser | TopKey::LoginIp => super::schema::LOGIN_KEYS_SINCE,
        }
    }

    /// `SELECT hour, k` over the events matching `cond` (on `seq`, `ts`): one row per
    /// occurrence of this kind of key, like [`Tally::add`] counts them.
    fn raw(self, cond: &str) -> String {
        match self {
            TopKey::SourceIp => format!(
                "SELECT {HOUR_SQL} AS hour, ip AS k FROM events WHERE ({cond}) AND ip IS NOT NULL"
            ),
            TopKey::Rule => format!(
                "SELECT {HOUR_SQL} AS hour, j.value AS k \
                 FROM events, json_each(events.body, '$.rules') AS j WHERE {cond}"
            ),
            TopKey::Path => format!(
                "SELECT hour, k FROM (SELECT {HOUR_SQL} AS hour, \
                 json_extract(body, '$.path') AS k FROM events WHERE {cond}) WHERE k IS NOT NULL"
            ),
            TopKey::LoginUser => format!(
                "SELECT {HOUR_SQL} AS hour, user AS k FROM events \
                 WHERE ({cond}) AND {} AND user IS NOT NULL",
                login_failure_sql()
            ),
            TopKey::LoginIp => format!(
                "SELECT {HOUR_SQL} AS hour, ip AS k FROM events \
                 WHERE ({cond}) AND {} AND ip IS NOT NULL",
                login_failure_sql()
            ),
        }
    }
}

/// The most frequent keys of a time range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopList {
    /// Keys and their counts, most frequent first, ties by key.
    pub entries: Vec<(String, u64)>,
    /// False when an hour of the range had more than [`KEYS_PER_HOUR`] keys: a key first seen
    /// after that was counted in the hour's overflow, so it may be missing or undercounted.
    pub complete: bool,
}

/// The aggregates of one append, summed in memory so each (hour, key) costs one write per
/// transaction, however many of the batch's events share it.
#[derive(Default)]
pub(crate) struct Tally {
    /// (hour, severity rank) → category → events.
    counts: HashMap<(i64, i64), HashMap<String, i64>>,
    /// (kind, hour) → key → events.
    keys: HashMap<(TopKey, i64), HashMap<String, i64>>,
}

fn bump(map: &mut HashMap<String, i64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

impl Tally {
    /// Counts one stored event; `ip` as in the `ip` column, `e.user` as in the `user` column.
    pub(crate) fn add(&mut self, e: &Event, ip: Option<&str>, severity: i64) {
        let hour = hour_of(e.time.0);
        bump(
            self.counts.entry((hour, severity)).or_default(),
            e.category.as_str(),
        );
        if let Some(ip) = ip {
            bump(self.keys.entry((TopKey::SourceIp, hour)).or_default(), ip);
        }
        if !e.rules.is_empty() {
            let rules = self.keys.entry((TopKey::Rule, hour)).or_default();
            for r in &e.rules {
                bump(rules, r);
            }
        }
        if let Some(p) = &e.path {
            bump(self.keys.entry((TopKey::Path, hour)).or_default(), p);
        }
        if LOGIN_FAILURES.contains(&e.category.as_str()) {
            if let Some(user) = &e.user {
                bump(
                    self.keys.entry((TopKey::LoginUser, hour)).or_default(),
                    user,
                );
            }
            if let Some(ip) = ip {
                bump(self.keys.entry((TopKey::LoginIp, hour)).or_default(), ip);
            }
        }
    }

    /// Adds the tally to the tables, within the append's transaction.
    pub(crate) fn apply(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut counts = tx.prepare_cached(
            "INSERT INTO hourly_counts (hour, category, severity, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hour, category, severity) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((hour, severity), cats) in &self.counts {
            for (category, n) in cats {
                counts.execute(params![hour, category, severity, n])?;
            }
        }
        let mut present =
            tx.prepare_cached("SELECT COUNT(*) FROM hourly_keys WHERE kind = ?1 AND hour = ?2")?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO hourly_keys (kind, hour, key, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, hour, key) DO UPDATE SET n = n + excluded.n",
        )?;
        let mut add = tx.prepare_cached(
            "UPDATE hourly_keys SET n = n + ?4 WHERE kind = ?1 AND hour = ?2 AND key = ?3",
        )?;
        let mut overflow = tx.prepare_cached(
            "INSERT INTO hourly_overflow (kind, hour, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, hour) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((kind, hour), keys) in self.keys {
            let kind = kind.name();
            let mut rows: usize = present.query_row(params![kind, hour], |r| r.get(0))?;
            if rows + keys.len() <= KEYS_PER_HOUR {
                for (key, n) in &keys {
                    upsert.execute(params![kind, hour, key, n])?;
                }
                continue;
            }
            // The hour is (nearly) full: known keys still count; of the new ones, the batch's
            // most frequent take the free rows, the rest go to the overflow.
            let mut keys: Vec<(String, i64)> = keys.into_iter().collect();
            keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut over = 0;
            for (key, n) in &keys {
                if add.execute(params![kind, hour, key, n])? > 0 {
                    continue;
                }
                if rows < KEYS_PER_HOUR {
                    upsert.execute(params![kind, hour, key, n])?;
                    rows += 1;
                } else {
                    over += n;
                }
            }
            if over > 0 {
                overflow.execute(params![kind, hour, over])?;
            }
        }
        Ok(())
    }
}

/// Subtracts the events at or below `upto` (about to be deleted) from the aggregates.
pub(crate) fn forget(tx: &Transaction<'_>, upto: i64) -> rusqlite::Result<()> {
    tx.execute(
        &format!(
            "UPDATE hourly_counts AS c SET n = c.n - g.n
             FROM (SELECT {HOUR_SQL} AS hour, category, severity, COUNT(*) AS n FROM events
                   WHERE seq <= ?1 GROUP BY 1, 2, 3) AS g
             WHERE c.hour = g.hour AND c.category = g.category AND c.severity = g.severity"
        ),
        [upto],
    )?;
    tx.execute("DELETE FROM hourly_counts WHERE n <= 0", [])?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS gone_keys (
             kind TEXT NOT NULL, hour INTEGER NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,
             PRIMARY KEY (kind, hour, key)
         ) WITHOUT ROWID;
         DELETE FROM temp.gone_keys;",
    )?;
    let gone = keys_sql(&TopKey::ALL, "seq <= ?1");
    tx.execute(
        &format!(
            "INSERT INTO temp.gone_keys (kind, hour, key, n)
             SELECT kind, hour, k, COUNT(*) FROM ({gone}) GROUP BY 1, 2, 3"
        ),
        [upto],
    )?;
    // A deleted event was counted in its key's row if it had one, else in the overflow; when a
    // row holds fewer than are deleted (it was made after some of them overflowed), the rest
    // come off the overflow. So the sums stay exact either way.
    tx.execute_batch(
        "UPDATE hourly_overflow AS o SET n = MAX(o.n - d.n, 0)
         FROM (SELECT g.kind, g.hour, SUM(MAX(g.n - COALESCE(k.n, 0), 0)) AS n
               FROM temp.gone_keys AS g
               LEFT JOIN hourly_keys AS k ON k.kind = g.kind AND k.hour = g.hour AND k.key = g.key
               GROUP BY 1, 2) AS d
         WHERE o.kind = d.kind AND o.hour = d.hour;
         UPDATE hourly_keys AS k SET n = k.n - MIN(k.n, g.n)
         FROM temp.gone_keys AS g
         WHERE k.kind = g.kind AND k.hour = g.hour AND k.key = g.key;
         DELETE FROM hourly_keys
         WHERE n <= 0 AND (kind, hour, key) IN (SELECT kind, hour, key FROM temp.gone_keys);
         DELETE FROM hourly_overflow WHERE n <= 0;
         DELETE FROM temp.gone_keys;",
    )
}

/// `SELECT kind, hour, k` over the events matching `cond`, for `kinds`.
fn keys_sql(kinds: &[TopKey], cond: &str) -> String {
    kinds
        .iter()
        .map(|t| {
            format!(
                "SELECT '{}' AS kind, hour, k FROM ({})",
                t.name(),
                t.raw(cond)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Recomputes every aggregate from the log (the migration's backfill). For keys, each hour
/// keeps its [`KEYS_PER_HOUR`] most frequent; the rest is overflow.
pub(crate) fn rebuild(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("DELETE FROM hourly_counts;")?;
    tx.execute(
        &format!(
            "INSERT INTO hourly_counts (hour, category, severity, n)
             SELECT {HOUR_SQL}, category, severity, COUNT(*) FROM events GROUP BY 1, 2, 3"
        ),
        [],
    )?;
    rebuild_keys(tx, &TopKey::ALL)
}

/// Recomputes the key counts of `kinds` from the log, whatever rows of them there were (a
/// kind added by a later schema version is backfilled with this alone).
pub(crate) fn rebuild_keys(tx: &Transaction<'_>, kinds: &[TopKey]) -> rusqlite::Result<()> {
    for kind in kinds {
        tx.execute("DELETE FROM hourly_keys WHERE kind = ?1", [kind.name()])?;
        tx.execute("DELETE FROM hourly_overflow WHERE kind = ?1", [kind.name()])?;
    }
    let all = keys_sql(kinds, "1");
    tx.execute_batch(&format!(
        "CREATE TEMP TABLE backfill_keys AS
         SELECT kind, hour, k, n, ROW_NUMBER() OVER (PARTITION BY kind, hour ORDER BY n DESC, k)
                AS place
         FROM (SELECT kind, hour, k, COUNT(*) AS n FROM ({all}) GROUP BY 1, 2, 3);
         INSERT INTO hourly_keys (kind, hour, key, n)
         SELECT kind, hour, k, n FROM temp.backfill_keys WHERE place <= {KEYS_PER_HOUR};
         INSERT INTO hourly_overflow (kind, hour, n)
         SELECT kind, hour, SUM(n) FROM temp.backfill_keys WHERE place > {KEYS_PER_HOUR}
         GROUP BY 1, 2;
         DROP TABLE temp.backfill_keys;"
    ))
}

/// Counts by hour and category since a time, newest hour first: whole hours from the
/// aggregates, the part of an hour before the first whole one from the log.
pub(crate) fn stats(
    conn: &Connection,
    aggregates: bool,
    since: Timestamp,
) -> rusqlite::Result<Vec<StatRow>> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(StatRow {
            hour: Timestamp(r.get(0)?),
            category: r.get(1)?,
            count: r.get::<_, i64>(2)? as u64,
        })
    };
    if !aggregates {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {HOUR_SQL} AS hour, category, COUNT(*) AS total FROM events
             WHERE ts >= ?1 GROUP BY hour, category ORDER BY hour DESC, total DESC, category"
        ))?;
        return stmt.query_map([since.0], row)?.collect();
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT hour, category, SUM(n) AS total FROM (
             SELECT hour, category, n FROM hourly_counts WHERE hour >= ?2
             UNION ALL
             SELECT {HOUR_SQL}, category, 1 FROM events WHERE ts >= ?1 AND ts < ?2
         ) GROUP BY hour, category ORDER BY hour DESC, total DESC, category"
    ))?;
    stmt.query_map(params![since.0, hour_ceil(since.0)], row)?
        .collect()
}

/// The `n` most frequent keys of a kind in `[since, until)`: whole hours from the aggregates,
/// the parts of hours at either end from the log.
pub(crate) fn top(
    conn: &Connection,
    aggregates: bool,
    kind: TopKey,
    since: Timestamp,
    until: Timestamp,
    n: usize,
) -> rusqlite::Result<TopList> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    if !aggregates {
        let raw = kind.raw("ts >= ?1 AND ts < ?2");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT k, COUNT(*) AS total FROM ({raw}) GROUP BY k ORDER BY total DESC, k LIMIT ?3"
        ))?;
        let entries = stmt
            .query_map(params![since.0, until.0, n], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<_>>()?;
        return Ok(TopList {
            entries,
            complete: true,
        });
    }
    // Whole hours [from, to) from the table, [since, from) and [to, until) from the log.
    let (from, to) = (hour_ceil(since.0), hour_of(until.0));
    let (from, to) = if from < to {
        (from, to)
    } else {
        (until.0, until.0)
    };
    let head = kind.raw("ts >= ?4 AND ts < ?2");
    let tail = kind.raw("ts >= ?3 AND ts < ?5");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT k, SUM(n) AS total FROM (
             SELECT key AS k, n FROM hourly_keys WHERE kind = ?1 AND hour >= ?2 AND hour < ?3
             UNION ALL SELECT k, 1 FROM ({head})
             UNION ALL SELECT k, 1 FROM ({tail})
         ) GROUP BY k ORDER BY total DESC, k LIMIT ?6"
    ))?;
    let entries = stmt
        .query_map(params![kind.name(), from, to, since.0, until.0, n], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let overflowed: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM hourly_overflow
                            WHERE kind = ?1 AND hour >= ?2 AND hour < ?3)",
        )?
        .query_row(params![kind.name(), from, to], |r| r.get(0))?;
    Ok(TopList {
        entries,
        complete: !overflowed,
    })
}
