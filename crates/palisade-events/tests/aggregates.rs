//! The hourly aggregates always equal a count over the stored rows: after appends (new and
//! re-ingested), after retention by count and by age, when an hour has more keys than are
//! kept, and in a store from before the aggregates existed, or from before the login-failure
//! keys existed (backfilled when opened).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use palisade_core::{Category, Event, Severity, Timestamp};
use palisade_events::store::{HOUR_MS, KEYS_PER_HOUR, LOGIN_FAILURES};
use palisade_events::{EventQuery, Store, Stored, TopKey};
use rusqlite::Connection;

/// 2026-11-28T00:00:00Z, a start on the hour.
const T0: i64 = 1_795_824_000_000;

const CATEGORIES: [Category; 6] = [
    Category::MaliciousTraffic,
    Category::Scanner,
    Category::AuthFailure,
    Category::SshAuthFailure,
    Category::IpBanned,
    Category::AppCrash,
];

/// A varied event `n` at `ts`: some without IP, path or rules, some with two rules (once the
/// same rule twice), IPv4 and IPv6; most failed logins with a user, some without.
fn event(n: u64, ts: i64) -> Event {
    let cat = CATEGORIES[(n % 6) as usize].clone();
    let sev = Severity::ALL[(n % 5) as usize];
    let mut e = Event::new(cat, sev, format!("event {n}"));
    e.time = Timestamp(ts);
    if !n.is_multiple_of(7) {
        let ip: IpAddr = if n.is_multiple_of(5) {
            format!("2001:db8::{:x}", n % 13).parse().unwrap()
        } else {
            IpAddr::from([203, 0, 113, (n % 29) as u8])
        };
        e = e.with_source_ip(ip);
    }
    if !n.is_multiple_of(3) {
        e = e.with_request(format!("r{n}"), "GET", None, format!("/p/{}", n % 11));
    }
    match n % 4 {
        0 => {}
        1 => e = e.with_rule(format!("rule-{}", n % 9)),
        2 => {
            e = e
                .with_rule("sqli-union")
                .with_rule(format!("rule-{}", n % 5))
        }
        _ => e = e.with_rule("xss").with_rule("xss"),
    }
    if n.is_multiple_of(10) {
        e = e.with_user(format!("user{}", n % 3));
    } else if matches!(n % 6, 2 | 3) && n % 4 != 1 {
        e = e.with_user(format!("login{}", n % 17));
    }
    e
}

/// `count` events from `first`, `step_ms` apart from `start`.
fn events(first: u64, count: u64, start: i64, step_ms: i64) -> Vec<Event> {
    (0..count)
        .map(|i| event(first + i, start + i as i64 * step_ms))
        .collect()
}

fn all(store: &Store) -> Vec<Stored> {
    store
        .query(&EventQuery {
            limit: 10_000_000,
            ..EventQuery::default()
        })
        .unwrap()
}

fn hour(ts: i64) -> i64 {
    ts - ts.rem_euclid(HOUR_MS)
}

fn kind_name(k: TopKey) -> &'static str {
    match k {
        TopKey::SourceIp => "ip",
        TopKey::Rule => "rule",
        TopKey::Path => "path",
        TopKey::LoginUser => "login_user",
        TopKey::LoginIp => "login_ip",
        _ => unreachable!("a kind this test does not know: {k:?}"),
    }
}

fn login_failure(e: &Event) -> bool {
    LOGIN_FAILURES.contains(&e.category.as_str())
}

/// The keys of an event, one per occurrence, decoded in Rust (not by SQLite's JSON functions,
/// which the aggregates' SQL uses).
fn keys(e: &Event, kind: TopKey) -> Vec<String> {
    match kind {
        TopKey::SourceIp => e.source_ip.iter().map(|ip| ip.to_string()).collect(),
        TopKey::Rule => e.rules.clone(),
        TopKey::Path => e.path.iter().cloned().collect(),
        TopKey::LoginUser if login_failure(e) => e.user.iter().cloned().collect(),
        TopKey::LoginIp if login_failure(e) => {
            e.source_ip.iter().map(|ip| ip.to_string()).collect()
        }
        _ => Vec::new(),
    }
}

/// Compares the aggregate tables with a brute-force count of the stored events; returns how
/// many (kind, hour) had an overflow.
fn assert_consistent(db: &Path) -> usize {
    let store = Store::open_read_only(db).unwrap();
    let rows = all(&store);
    let conn = Connection::open(db).unwrap();

    let mut want: BTreeMap<(i64, String, i64), i64> = BTreeMap::new();
    for s in &rows {
        let e = &s.event;
        let sev = Severity::ALL.iter().position(|x| *x == e.severity).unwrap() as i64;
        *want
            .entry((hour(e.time.0), e.category.as_str().to_owned(), sev))
            .or_default() += 1;
    }
    let got: BTreeMap<(i64, String, i64), i64> = conn
        .prepare("SELECT hour, category, severity, n FROM hourly_counts")
        .unwrap()
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got, want, "hourly_counts");

    let mut overflowed = 0;
    for kind in TopKey::ALL {
        let mut want: BTreeMap<i64, HashMap<String, i64>> = BTreeMap::new();
        for s in &rows {
            for k in keys(&s.event, kind) {
                *want
                    .entry(hour(s.event.time.0))
                    .or_default()
                    .entry(k)
                    .or_default() += 1;
            }
        }
        let mut got: BTreeMap<i64, HashMap<String, i64>> = BTreeMap::new();
        let mut stmt = conn
            .prepare("SELECT hour, key, n FROM hourly_keys WHERE kind = ?1")
            .unwrap();
        for row in stmt
            .query_map([kind_name(kind)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })
            .unwrap()
        {
            let (h, k, n) = row.unwrap();
            assert!(n > 0, "{kind:?} {h} {k}: a row of {n}");
            got.entry(h).or_default().insert(k, n);
        }
        let over: HashMap<i64, i64> = conn
            .prepare("SELECT hour, n FROM hourly_overflow WHERE kind = ?1")
            .unwrap()
            .query_map([kind_name(kind)], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let hours: Vec<i64> = want.keys().chain(got.keys()).copied().collect();
        for h in hours {
            let w = want.get(&h).cloned().unwrap_or_default();
            let g = got.get(&h).cloned().unwrap_or_default();
            let o = over.get(&h).copied().unwrap_or(0);
            assert!(g.len() <= KEYS_PER_HOUR, "{kind:?} {h}: {} keys", g.len());
            assert_eq!(
                g.values().sum::<i64>() + o,
                w.values().sum::<i64>(),
                "{kind:?} hour {h}: rows + overflow = events"
            );
            if o == 0 {
                assert_eq!(g, w, "{kind:?} hour {h}");
            } else {
                overflowed += 1;
                for (k, n) in &g {
                    assert!(w.get(k).is_some_and(|c| c >= n), "{kind:?} {h} {k}");
                }
            }
        }
        assert!(over.keys().all(|h| want.contains_key(h)), "stale overflow");
    }
    overflowed
}

/// `Store::stats` and `Store::top` against the same brute force, for a range that starts or
/// ends off the hour.
fn assert_reads(store: &Store, since: i64, until: i64) {
    let rows = all(store);
    let inside = |s: &&Stored| s.event.time.0 >= since && s.event.time.0 < until;
    for kind in TopKey::ALL {
        let mut counts: HashMap<String, u64> = HashMap::new();
        for s in rows.iter().filter(inside) {
            for k in keys(&s.event, kind) {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut want: Vec<(String, u64)> = counts.into_iter().collect();
        want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        want.truncate(5);
        let got = store
            .top(kind, Timestamp(since), Timestamp(until), 5)
            .unwrap();
        assert!(got.complete);
        assert_eq!(got.entries, want, "top {kind:?} in [{since}, {until})");
    }
    let mut want: BTreeMap<(i64, String), u64> = BTreeMap::new();
    for s in rows.iter().filter(|s| s.event.time.0 >= since) {
        *want
            .entry((hour(s.event.time.0), s.event.category.as_str().to_owned()))
            .or_default() += 1;
    }
    let got: BTreeMap<(i64, String), u64> = store
        .stats(Timestamp(since))
        .unwrap()
        .into_iter()
        .map(|r| ((r.hour.0, r.category), r.count))
        .collect();
    assert_eq!(got, want, "stats since {since}");
}

#[test]
fn appends_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    // Six hours, in several batches, one of them with events from hours already counted.
    let first = events(0, 3000, T0, 7_000);
    assert_eq!(store.append(&first[..1000], &[]).unwrap(), 1000);
    assert_eq!(store.append(&first[1000..], &[]).unwrap(), 2000);
    let late = events(3000, 300, T0 + 600_000, 60_000);
    assert_eq!(store.append(&late, &[]).unwrap(), 300);
    // A re-ingested spool: the same ids again, plus one new.
    let mut again = first[500..700].to_vec();
    again.push(event(9_999, T0 + 5));
    assert_eq!(store.append(&again, &[]).unwrap(), 1);
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0, T0 + 6 * HOUR_MS);
    assert_reads(&store, T0 + 1_234_567, T0 + 4 * HOUR_MS + 99_000);
    assert_reads(&store, T0 + 2 * HOUR_MS + 5, T0 + 2 * HOUR_MS + 900_000);
}

#[test]
fn expiry_takes_deleted_events_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    store.append(&events(0, 2000, T0, 9_000), &[]).unwrap();
    let now = Timestamp(T0 + 2000 * 9_000);

    // By age: older than 2 h 50 min before `now`, cutting an hour in the middle.
    let (deleted, _) = store
        .expire(now, Duration::from_secs(2 * 3600 + 3000), 1_000_000)
        .unwrap();
    assert_eq!(deleted, 867);
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0, now.0);

    // Out of time order: events of an expired hour stored last survive a cut by count.
    store
        .append(&events(2000, 200, T0 + 60_000, 1_000), &[])
        .unwrap();
    let (deleted, _) = store
        .expire(now, Duration::from_secs(365 * 86_400), 500)
        .unwrap();
    assert_eq!(deleted, 833);
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0, now.0 + 1);
    assert_reads(&store, T0 + 30_000, now.0 - 1_000_000);

    // Everything.
    store.expire(now, Duration::ZERO, 0).unwrap();
    assert_eq!(store.count().unwrap(), 0);
    assert_eq!(assert_consistent(&db), 0);
    let conn = Connection::open(&db).unwrap();
    for table in ["hourly_counts", "hourly_keys", "hourly_overflow"] {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} is empty");
    }
}

#[test]
fn an_hour_with_too_many_keys_overflows_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    // One hour: a frequent path, then more distinct one-off paths than an hour keeps.
    let mut batch: Vec<Event> = (0..50)
        .map(|i| event(i, T0 + i as i64).with_request("r", "GET", None, "/login"))
        .collect();
    store.append(&batch, &[]).unwrap();
    batch = (0..KEYS_PER_HOUR as u64 + 300)
        .map(|i| {
            let mut e = event(i, T0 + 1000 + i as i64);
            e.path = Some(format!("/probe/{i}"));
            e
        })
        .collect();
    store.append(&batch[..700], &[]).unwrap();
    store.append(&batch[700..], &[]).unwrap();
    assert!(assert_consistent(&db) > 0);
    let top = store
        .top(TopKey::Path, Timestamp(T0), Timestamp(T0 + HOUR_MS), 3)
        .unwrap();
    assert!(!top.complete);
    assert_eq!(top.entries[0], ("/login".to_owned(), 50));
    // Another hour is not affected.
    store
        .append(&events(5000, 10, T0 + HOUR_MS, 1000), &[])
        .unwrap();
    let other = store
        .top(
            TopKey::Path,
            Timestamp(T0 + HOUR_MS),
            Timestamp(T0 + 2 * HOUR_MS),
            3,
        )
        .unwrap();
    assert!(other.complete);

    // Expiring part of the full hour, then all of it, keeps the sums exact.
    store
        .expire(Timestamp(T0), Duration::from_secs(86_400), 800)
        .unwrap();
    assert_consistent(&db);
    store
        .append(&events(6000, 20, T0 + 5_000, 10), &[])
        .unwrap();
    assert_consistent(&db);
    store
        .expire(Timestamp(T0 + HOUR_MS), Duration::ZERO, u64::MAX)
        .unwrap();
    assert_consistent(&db);
}

/// The version-1 schema and insert of palisade 0.1, before the aggregates.
const OLD_SCHEMA: &str = "
CREATE TABLE events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    ts       INTEGER NOT NULL,
    category TEXT NOT NULL,
    severity INTEGER NOT NULL,
    ip       TEXT,
    user     TEXT,
    body     TEXT NOT NULL
);
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_category_ts ON events(category, ts);
CREATE INDEX events_ip_ts ON events(ip, ts);
CREATE TABLE sink_cursors (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, created INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX outbox_sink_seq ON outbox(sink, seq);
PRAGMA user_version = 1;
";

/// Inserts events the way palisade 0.1 did: the log only.
fn insert_uncounted(db: &Path, events: &[Event]) {
    let mut conn = Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    for e in events {
        tx.execute(
            "INSERT INTO events (id, ts, category, severity, ip, user, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                e.id.to_string(),
                e.time.0,
                e.category.as_str(),
                Severity::ALL.iter().position(|x| *x == e.severity).unwrap() as i64,
                e.source_ip.map(|ip| ip.to_string()),
                e.user,
                serde_json::to_string(e).unwrap(),
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn user_version(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_old_store_is_backfilled_once_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut old = events(0, 2500, T0, 5_000);
    // One hour with more paths than are kept: the backfill keeps the most frequent.
    old.extend((0..KEYS_PER_HOUR as u64 + 5).map(|i| {
        let mut e = event(10_000 + i, T0 + 20 * HOUR_MS + i as i64);
        e.path = Some(format!("/probe/{i}"));
        e
    }));
    old.extend((0..30).map(|i| {
        event(20_000 + i, T0 + 20 * HOUR_MS + 5_000 + i as i64).with_request(
            "r",
            "GET",
            None,
            "/wp-login.php",
        )
    }));
    Connection::open(&db)
        .unwrap()
        .execute_batch(OLD_SCHEMA)
        .unwrap();
    insert_uncounted(&db, &old);

    // Read-only (the console, the CLI) before any writer migrated it: counted from the log.
    let ro = Store::open_read_only(&db).unwrap();
    assert_reads(&ro, T0, T0 + 3 * HOUR_MS);
    assert_reads(&ro, T0 + 100_000, T0 + 2 * HOUR_MS + 7);
    drop(ro);
    assert_eq!(user_version(&db), 1);

    let mut store = Store::open(&db).unwrap();
    assert_eq!(user_version(&db), 3);
    assert!(assert_consistent(&db) > 0);
    assert_reads(&store, T0, T0 + 3 * HOUR_MS);
    assert_reads(&store, T0 + 100_000, T0 + 2 * HOUR_MS + 7);
    let top = store
        .top(
            TopKey::Path,
            Timestamp(T0 + 20 * HOUR_MS),
            Timestamp(T0 + 21 * HOUR_MS),
            1,
        )
        .unwrap();
    assert_eq!(top.entries, [("/wp-login.php".to_owned(), 30)]);
    assert!(!top.complete);

    // Appending and reopening (a second start) count nothing twice.
    store
        .append(&events(30_000, 100, T0 + HOUR_MS, 1_000), &[])
        .unwrap();
    drop(store);
    let store = Store::open(&db).unwrap();
    assert_consistent(&db);
    assert_reads(&store, T0, T0 + 3 * HOUR_MS);
    drop(store);

    // An older palisade opening it sets the version back and stores events uncounted: the
    // next open rebuilds the aggregates from the log.
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA user_version = 1").unwrap();
    drop(conn);
    insert_uncounted(&db, &events(40_000, 50, T0 + 2 * HOUR_MS, 1_000));
    Store::open(&db).unwrap();
    assert_eq!(user_version(&db), 3);
    assert_consistent(&db);
}

/// Turns a current store into what palisade 0.2 left: aggregates without the login-failure
/// kinds, no `(user, ts)` index, version 2.
fn downgrade_to_v2(db: &Path) {
    Connection::open(db)
        .unwrap()
        .execute_batch(
            "DELETE FROM hourly_keys WHERE kind IN ('login_user', 'login_ip');
             DELETE FROM hourly_overflow WHERE kind IN ('login_user', 'login_ip');
             DROP INDEX events_user_ts;
             PRAGMA user_version = 2;",
        )
        .unwrap();
}

fn failed_login(n: u64, ts: i64, user: &str) -> Event {
    let mut e = Event::new(Category::SshAuthFailure, Severity::Low, "failed password")
        .with_source_ip(IpAddr::from([198, 51, 100, (n % 200) as u8]))
        .with_user(user);
    e.time = Timestamp(ts);
    e
}

#[test]
fn failed_logins_are_counted_by_user_and_ip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    store.append(&events(0, 3000, T0, 6_000), &[]).unwrap();
    let hits: Vec<Event> = (0..40)
        .map(|i| failed_login(i, T0 + HOUR_MS + i as i64 * 1000, "admin"))
        .collect();
    store.append(&hits, &[]).unwrap();
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0, T0 + 5 * HOUR_MS);
    assert_reads(&store, T0 + 1_234_567, T0 + 3 * HOUR_MS + 99_000);

    // Expiry by age (cutting an hour), then by count.
    let now = Timestamp(T0 + 3000 * 6_000);
    store
        .expire(now, Duration::from_secs(3 * 3600 + 1000), 1_000_000)
        .unwrap();
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0, now.0);
    store
        .expire(now, Duration::from_secs(365 * 86_400), 700)
        .unwrap();
    assert_eq!(assert_consistent(&db), 0);
    assert_reads(&store, T0 + 30_000, now.0 - 100_000);
}

#[test]
fn an_hour_with_too_many_users_overflows_and_expires_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    let mut batch: Vec<Event> = (0..30)
        .map(|i| failed_login(i, T0 + i as i64, "root"))
        .collect();
    // A combo list: more distinct users in the hour than are kept.
    batch.extend(
        (0..KEYS_PER_HOUR as u64 + 200)
            .map(|i| failed_login(i, T0 + 1_000 + i as i64, &format!("c{i}@mail.example"))),
    );
    store.append(&batch[..900], &[]).unwrap();
    store.append(&batch[900..], &[]).unwrap();
    assert!(assert_consistent(&db) > 0);
    let top = store
        .top(TopKey::LoginUser, Timestamp(T0), Timestamp(T0 + HOUR_MS), 1)
        .unwrap();
    assert_eq!(top.entries, [("root".to_owned(), 30)]);
    assert!(!top.complete);
    // 200 addresses: that kind is exact in the same hour.
    let ips = store
        .top(TopKey::LoginIp, Timestamp(T0), Timestamp(T0 + HOUR_MS), 1)
        .unwrap();
    assert!(ips.complete);

    store
        .expire(Timestamp(T0), Duration::from_secs(86_400), 2_000)
        .unwrap();
    assert!(assert_consistent(&db) > 0);
    store
        .expire(Timestamp(T0 + HOUR_MS), Duration::ZERO, u64::MAX)
        .unwrap();
    assert_eq!(assert_consistent(&db), 0);
}

#[test]
fn a_version_2_store_gets_the_login_keys_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut store = Store::open(&db).unwrap();
    store.append(&events(0, 2500, T0, 5_000), &[]).unwrap();
    // An hour with more users than are kept: the backfill keeps the most frequent.
    let mut combo: Vec<Event> = (0..KEYS_PER_HOUR as u64 + 5)
        .map(|i| {
            failed_login(
                i,
                T0 + 20 * HOUR_MS + i as i64,
                &format!("c{i}@mail.example"),
            )
        })
        .collect();
    combo.extend((0..25).map(|i| failed_login(i, T0 + 20 * HOUR_MS + 9_000 + i as i64, "admin")));
    store.append(&combo, &[]).unwrap();
    drop(store);
    downgrade_to_v2(&db);

    // Read-only before a writer migrated it: the login lists are counted from the log.
    let ro = Store::open_read_only(&db).unwrap();
    assert_reads(&ro, T0, T0 + 3 * HOUR_MS);
    assert_reads(&ro, T0 + 100_000, T0 + 2 * HOUR_MS + 7);
    let top = ro
        .top(
            TopKey::LoginUser,
            Timestamp(T0 + 20 * HOUR_MS),
            Timestamp(T0 + 21 * HOUR_MS),
            1,
        )
        .unwrap();
    assert_eq!(top.entries, [("admin".to_owned(), 25)]);
    assert!(top.complete, "counted from the log");
    drop(ro);

    let mut store = Store::open(&db).unwrap();
    assert_eq!(user_version(&db), 3);
    assert!(assert_consistent(&db) > 0);
    assert_reads(&store, T0, T0 + 3 * HOUR_MS);
    assert_reads(&store, T0 + 100_000, T0 + 2 * HOUR_MS + 7);
    let top = store
        .top(
            TopKey::LoginUser,
            Timestamp(T0 + 20 * HOUR_MS),
            Timestamp(T0 + 21 * HOUR_MS),
            1,
        )
        .unwrap();
    assert_eq!(top.entries, [("admin".to_owned(), 25)]);
    assert!(!top.complete);

    // Appending, expiring and reopening count nothing twice.
    store
        .append(&events(30_000, 100, T0 + HOUR_MS, 1_000), &[])
        .unwrap();
    store
        .expire(Timestamp(T0 + HOUR_MS), Duration::ZERO, 1_000_000)
        .unwrap();
    drop(store);
    Store::open(&db).unwrap();
    assert_eq!(user_version(&db), 3);
    assert_consistent(&db);

    // A version-3 store set back to 2 with its login rows present and off (events a
    // version-2 writer stored and expired uncounted): they are rebuilt from the log.
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "UPDATE hourly_keys SET n = n + 7 WHERE kind = 'login_user';
         INSERT INTO hourly_keys (kind, hour, key, n) VALUES ('login_ip', 0, 'stale', 3);
         INSERT INTO hourly_overflow (kind, hour, n) VALUES ('login_user', 0, 4);
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    Store::open(&db).unwrap();
    assert_eq!(user_version(&db), 3);
    assert_consistent(&db);
}
