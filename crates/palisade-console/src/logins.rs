//! The logins page and `/api/v1/logins`: failed logins by user and by IP, brute-force and
//! credential-stuffing detections, logins from new IPs (and those reported as "this wasn't
//! me"), and breached-password hits, over a time range.
//!
//! The failure count and the top users and IPs come from the store's hourly aggregates
//! ([`Store::stats`], [`Store::top`] with [`TopKey::LoginUser`] and [`TopKey::LoginIp`]: whole
//! hours from a few thousand rows, the part of the first hour from the log), and only then are
//! the last failure and the services of those [`TOP`] keys read, through the `(user, ts)` and
//! `(ip, ts)` indexes. The other counts and lists are SQL over the event store, each bounded by
//! a `LIMIT`, answered from its `(category, ts)` index instead of being read into memory. The
//! store's schema belongs to `palisade-events`; these queries read its `events` table (`ts`,
//! `category`, `ip`, `user` columns and the JSON `body`) read-only.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use minijinja::context;
use palisade_core::{Event, Timestamp};
use palisade_events::{Store, StoreError, Stored, TopKey};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::Console;
use crate::auth::Denied;
use crate::error::ConsoleError;
use crate::pages::blocking;
use crate::query::EventParams;

/// The categories of a failed login, whatever the service.
pub const FAILURE_CATEGORIES: [&str; 4] = [
    "auth_failure",
    "ssh_auth_failure",
    "ftp_auth_failure",
    "mail_auth_failure",
];

/// The detections listed among the attacks.
pub const ATTACK_CATEGORIES: [&str; 2] = ["brute_force", "credential_stuffing"];

/// Rows in each "top" list (by user, by IP).
pub const TOP: usize = 20;

/// Events in each "latest" list.
pub const LATEST: usize = 50;

/// The service an event is about: the watched log's `service` field, else the supervised
/// `app`. SQL, so it can be grouped on.
const SERVICE_SQL: &str =
    "COALESCE(json_extract(body, '$.fields.service'), json_extract(body, '$.fields.app'))";

/// A new-IP login the user reported as not theirs carries this field.
const REPORTED_SQL: &str = "json_extract(body, '$.fields.reported') = 'true'";

/// The query string of the logins page and API.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct LoginParams {
    /// How far back, as a duration (`1h`, `7d`); default 24 h.
    pub since: Option<String>,
}

impl LoginParams {
    /// The time range, validated by the events filters' own parser (so both pages accept
    /// and reject the same values).
    pub fn range(&self) -> Result<Duration, ConsoleError> {
        let filter = EventParams {
            since: self.since.clone(),
            ..EventParams::default()
        }
        .parse()?;
        Ok(filter.since)
    }
}

/// Failed logins of one user or from one IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureCount {
    /// The user name or the address.
    pub key: String,
    /// Failed logins in the range.
    pub count: u64,
    /// The newest of them (RFC 3339).
    pub last_seen: String,
    /// The services they were against (`ssh`, `mail`, an app name…), sorted; empty when the
    /// events name none.
    pub services: Vec<String>,
}

/// A login-related event as the logins page lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginEvent {
    /// Position in the log.
    pub seq: i64,
    /// The event id (links to its detail page).
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
    /// The service (`service` field, else `app`).
    pub service: Option<String>,
    /// True for a new-IP login the user reported as "this wasn't me".
    pub reported: bool,
}

impl From<&Stored> for LoginEvent {
    fn from(s: &Stored) -> Self {
        let e: &Event = &s.event;
        LoginEvent {
            seq: s.seq,
            id: e.id.to_string(),
            time: e.time.rfc3339(),
            category: e.category.as_str().to_owned(),
            severity: e.severity.as_str().to_owned(),
            message: e.message.clone(),
            ip: e.source_ip.map(|ip| ip.to_string()),
            user: e.user.clone(),
            service: e
                .fields
                .get("service")
                .or_else(|| e.fields.get("app"))
                .cloned(),
            reported: e.fields.get("reported").is_some_and(|v| v == "true"),
        }
    }
}

/// Everything the logins page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Logins {
    /// Start of the range (RFC 3339).
    pub since: String,
    /// Failed logins in the range.
    pub failures: u64,
    /// The [`TOP`] users with the most failed logins.
    pub by_user: Vec<FailureCount>,
    /// The [`TOP`] addresses with the most failed logins.
    pub by_ip: Vec<FailureCount>,
    /// True when an hour of the range had more distinct users or addresses among its failed
    /// logins than the store counts one by one
    /// ([`KEYS_PER_HOUR`](palisade_events::store::KEYS_PER_HOUR)): one first seen late in such
    /// an hour may be missing from [`Logins::by_user`] or [`Logins::by_ip`] or undercounted.
    /// [`Logins::failures`] is always exact.
    pub truncated: bool,
    /// Brute-force and credential-stuffing detections in the range.
    pub attacks_total: u64,
    /// The newest [`LATEST`] of them.
    pub attacks: Vec<LoginEvent>,
    /// Logins from a new IP in the range, reported ones included.
    pub new_ip_total: u64,
    /// Of those, the ones users reported as "this wasn't me".
    pub reported_total: u64,
    /// The newest [`LATEST`] new-IP logins (reported ones flagged).
    pub new_ip_logins: Vec<LoginEvent>,
    /// The newest [`LATEST`] reported ones, so a flood of ordinary new-IP logins cannot
    /// push them off the page.
    pub reported: Vec<LoginEvent>,
    /// Logins with a password known from breaches in the range.
    pub breached_total: u64,
    /// The newest [`LATEST`] of them.
    pub breached: Vec<LoginEvent>,
}

/// Opens the event store read-only, for its aggregates and for SQL of our own; `Ok(None)` when
/// the file does not exist yet (nothing stored is not an error, no store configured is).
fn open(db: Option<&Path>) -> Result<Option<(Store, Connection)>, ConsoleError> {
    let Some(db) = db else {
        return Err(ConsoleError::Unavailable(
            "no event store is configured".into(),
        ));
    };
    let store = match Store::open_read_only(db) {
        Ok(s) => s,
        Err(StoreError::Missing(_)) => return Ok(None),
        Err(e) => return Err(store_err(e)),
    };
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(store_err)?;
    // The writer holds its lock only for a batch; wait for it rather than fail the page.
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(store_err)?;
    Ok(Some((store, conn)))
}

fn store_err(e: impl std::fmt::Display) -> ConsoleError {
    ConsoleError::Unavailable(format!("event store: {e}"))
}

/// `?, ?, …` for `n` values.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The SQL condition "one of `categories`, at or after the first parameter"; the categories
/// are this module's constants, bound as parameters all the same.
fn in_range(categories: &[&str]) -> String {
    format!(
        "category IN ({}) AND ts >= ?",
        placeholders(categories.len())
    )
}

fn range_args(categories: &[&str], since: Timestamp) -> Vec<rusqlite::types::Value> {
    let mut args: Vec<rusqlite::types::Value> =
        categories.iter().map(|c| (*c).to_owned().into()).collect();
    args.push(since.0.into());
    args
}

fn count_sql(categories: &[&str], extra: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM events WHERE {}{extra}",
        in_range(categories)
    )
}

/// The newest [`LATEST`] events of `categories` from the first parameter on. The positions
/// are sorted alone (the index covers them) and only then are the bodies read: sorting whole
/// rows would read every body in the range first.
fn latest_sql(categories: &[&str], extra: &str) -> String {
    format!(
        "SELECT seq, body FROM events WHERE seq IN (
             SELECT seq FROM events WHERE {}{extra} ORDER BY seq DESC LIMIT {LATEST}
         ) ORDER BY seq DESC",
        in_range(categories)
    )
}

/// The services of `keys` values of `col` among the failed logins from the first parameter
/// on, with the newest failure per service. The rows are found through `col`'s index
/// (`(user, ts)`, `(ip, ts)`) — a few keys' rows — never the `(category, ts)` one, which
/// would walk every failure of the range: the unary `+` keeps the category test off indexes.
fn details_sql(col: Column, keys: usize) -> String {
    let col = col.sql();
    format!(
        "SELECT {col}, {SERVICE_SQL} AS service, MAX(ts) FROM events
         WHERE {col} IN ({}) AND ts >= ? AND +category IN ({})
         GROUP BY {col}, service",
        placeholders(keys),
        placeholders(FAILURE_CATEGORIES.len())
    )
}

fn count(
    conn: &Connection,
    categories: &[&str],
    since: Timestamp,
    extra: &str,
) -> Result<u64, ConsoleError> {
    let sql = count_sql(categories, extra);
    let n: i64 = conn
        .query_row(&sql, params_from_iter(range_args(categories, since)), |r| {
            r.get(0)
        })
        .map_err(store_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The newest `LATEST` events of `categories` in the range, newest first.
fn latest(
    conn: &Connection,
    categories: &[&str],
    since: Timestamp,
    extra: &str,
) -> Result<Vec<LoginEvent>, ConsoleError> {
    let mut stmt = conn
        .prepare(&latest_sql(categories, extra))
        .map_err(store_err)?;
    let rows = stmt
        .query_map(params_from_iter(range_args(categories, since)), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(store_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, body) = row.map_err(store_err)?;
        let event: Event = serde_json::from_str(&body).map_err(store_err)?;
        out.push(LoginEvent::from(&Stored { seq, event }));
    }
    Ok(out)
}

/// The `TOP` values of `column` (`user` or `ip`) by failed logins, with the newest failure
/// and the services each was seen on; `truncated` is set when the ranking may be incomplete.
fn top_failures(
    store: &Store,
    conn: &Connection,
    column: Column,
    since: Timestamp,
    truncated: &mut bool,
) -> Result<Vec<FailureCount>, ConsoleError> {
    // No upper bound, as the counts have none: whole hours up to the current one from the
    // aggregates, which hold everything stored.
    let list = store
        .top(column.key(), since, Timestamp(i64::MAX), TOP)
        .map_err(store_err)?;
    *truncated |= !list.complete;
    let mut top: Vec<FailureCount> = list
        .entries
        .into_iter()
        .map(|(key, count)| FailureCount {
            key,
            count,
            last_seen: String::new(),
            services: Vec::new(),
        })
        .collect();
    if top.is_empty() {
        return Ok(top);
    }
    // A second pass for the top keys only: the newest time and the services need their rows
    // (the services their JSON bodies), which for every key would be the whole range.
    let mut args: Vec<rusqlite::types::Value> = top.iter().map(|t| t.key.clone().into()).collect();
    args.push(since.0.into());
    args.extend(FAILURE_CATEGORIES.iter().map(|c| (*c).to_owned().into()));
    let mut stmt = conn
        .prepare(&details_sql(column, top.len()))
        .map_err(store_err)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(store_err)?;
    let mut services: Vec<BTreeSet<String>> = vec![BTreeSet::new(); top.len()];
    let mut newest: Vec<Option<i64>> = vec![None; top.len()];
    for row in rows {
        let (key, service, ts) = row.map_err(store_err)?;
        let Some(i) = top.iter().position(|t| t.key == key) else {
            continue;
        };
        newest[i] = newest[i].max(Some(ts));
        if let Some(service) = service {
            services[i].insert(service);
        }
    }
    for ((t, s), ts) in top.iter_mut().zip(services).zip(newest) {
        t.services = s.into_iter().collect();
        // Always found (the key was counted from these rows); `since` only if the store
        // changed between the two reads.
        t.last_seen = Timestamp(ts.unwrap_or(since.0)).rfc3339();
    }
    Ok(top)
}

/// The grouping columns: a closed set, so no caller text ever reaches the SQL.
#[derive(Clone, Copy)]
enum Column {
    User,
    Ip,
}

impl Column {
    fn sql(self) -> &'static str {
        match self {
            Column::User => "user",
            Column::Ip => "ip",
        }
    }

    /// The aggregate that ranks this column's failed logins.
    fn key(self) -> TopKey {
        match self {
            Column::User => TopKey::LoginUser,
            Column::Ip => TopKey::LoginIp,
        }
    }
}

fn minus(now: Timestamp, d: Duration) -> Timestamp {
    Timestamp(
        now.0
            .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// The logins of the `range` before `now`. The page and the API both show this.
pub fn logins(db: Option<&Path>, range: Duration, now: Timestamp) -> Result<Logins, ConsoleError> {
    let since = minus(now, range);
    let mut out = Logins {
        since: since.rfc3339(),
        ..Logins::default()
    };
    let Some((store, conn)) = open(db)? else {
        return Ok(out);
    };
    let reported = format!(" AND {REPORTED_SQL}");
    // Exact, from the hourly counts: whole hours from the table, the first part-hour from
    // the log.
    out.failures = store
        .stats(since)
        .map_err(store_err)?
        .iter()
        .filter(|row| FAILURE_CATEGORIES.contains(&row.category.as_str()))
        .map(|row| row.count)
        .sum();
    let truncated = &mut out.truncated;
    out.by_user = top_failures(&store, &conn, Column::User, since, truncated)?;
    out.by_ip = top_failures(&store, &conn, Column::Ip, since, truncated)?;
    out.attacks_total = count(&conn, &ATTACK_CATEGORIES, since, "")?;
    out.attacks = latest(&conn, &ATTACK_CATEGORIES, since, "")?;
    out.new_ip_total = count(&conn, &["new_ip_login"], since, "")?;
    out.reported_total = count(&conn, &["new_ip_login"], since, &reported)?;
    out.new_ip_logins = latest(&conn, &["new_ip_login"], since, "")?;
    out.reported = latest(&conn, &["new_ip_login"], since, &reported)?;
    out.breached_total = count(&conn, &["breached_password"], since, "")?;
    out.breached = latest(&conn, &["breached_password"], since, "")?;
    Ok(out)
}

fn parse_params(
    params: Result<Query<LoginParams>, QueryRejection>,
) -> Result<(LoginParams, Duration), ConsoleError> {
    let Ok(Query(params)) = params else {
        return Err(ConsoleError::bad("query", "malformed query string"));
    };
    let range = params.range()?;
    Ok((params, range))
}

/// `GET /console/logins`
pub(crate) async fn page(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<LoginParams>, QueryRejection>,
) -> Response {
    let Some((_, session)) = console.session(&headers) else {
        return Denied::Login.into_response();
    };
    let (params, range) = match parse_params(params) {
        Ok(p) => p,
        Err(e) => return console.page_error(&session.csrf, &e, "/console/logins"),
    };
    let db = console.settings().events_db.clone();
    match blocking(move || logins(db.as_deref(), range, Timestamp::now())).await {
        Ok(l) => {
            // The links to the events page keep the range the admin chose.
            let since = params
                .since
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("24h")
                .to_owned();
            console.render(
                StatusCode::OK,
                "logins.html",
                context! {
                    csrf => session.csrf, nav => "logins", l, since,
                    top => TOP, latest => LATEST,
                },
            )
        }
        Err(e) => console.page_error(&session.csrf, &e, "/console/logins"),
    }
}

/// `GET /api/v1/logins`
pub(crate) async fn api(
    State(console): State<Console>,
    headers: HeaderMap,
    params: Result<Query<LoginParams>, QueryRejection>,
) -> Response {
    if console.api_caller(&headers).is_none() {
        return Denied::Unauthorized.into_response();
    }
    let range = match parse_params(params) {
        Ok((_, r)) => r,
        Err(e) => return e.into_response(),
    };
    let db = console.settings().events_db.clone();
    match blocking(move || logins(db.as_deref(), range, Timestamp::now())).await {
        Ok(l) => Json(l).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Category, Severity};

    fn failure(user: &str, ip: &str, service: &str, at: i64) -> Event {
        let mut e = Event::new(Category::SshAuthFailure, Severity::Low, "failed")
            .with_user(user)
            .with_source_ip(ip.parse().unwrap())
            .with_field("service", service);
        e.time = Timestamp(at);
        e
    }

    #[test]
    fn counts_group_and_rank() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        let now = Timestamp::now();
        let mut store = palisade_events::Store::open(&db).unwrap();
        let events = vec![
            failure("alice", "192.0.2.1", "ssh", now.0 - 1_000),
            failure("alice", "192.0.2.1", "mail", now.0 - 2_000),
            failure("bob", "192.0.2.2", "ssh", now.0 - 3_000),
            // Outside the hour asked for.
            failure("carol", "192.0.2.3", "ssh", now.0 - 7_200_000),
        ];
        store.append(&events, &[]).unwrap();
        let l = logins(Some(&db), Duration::from_secs(3600), now).unwrap();
        assert_eq!(l.failures, 3);
        assert_eq!(l.by_user.len(), 2);
        assert_eq!(l.by_user[0].key, "alice");
        assert_eq!(l.by_user[0].count, 2);
        assert_eq!(l.by_user[0].services, ["mail", "ssh"]);
        assert_eq!(l.by_user[0].last_seen, Timestamp(now.0 - 1_000).rfc3339());
        assert_eq!(l.by_ip[1].key, "192.0.2.2");
    }

    /// Every statement must find its rows through an index (`(category, ts)`, or `(user, ts)`
    /// and `(ip, ts)` for a few users and addresses): a full scan of a store holding a million
    /// events stalls the page.
    #[test]
    fn every_query_searches_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        drop(palisade_events::Store::open(&db).unwrap());
        let conn = Connection::open(&db).unwrap();
        let reported = format!(" AND {REPORTED_SQL}");
        let statements = [
            count_sql(&FAILURE_CATEGORIES, ""),
            count_sql(&["new_ip_login"], &reported),
            latest_sql(&ATTACK_CATEGORIES, ""),
            latest_sql(&["new_ip_login"], &reported),
            details_sql(Column::User, TOP),
            details_sql(Column::Ip, 1),
        ];
        for (i, sql) in statements.iter().enumerate() {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Value::Null; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(params_from_iter(nulls), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("\n");
            // `SEARCH … USING INDEX`, never `SCAN events` (a full table scan).
            assert!(!plan.contains("SCAN events"), "{sql}\n{plan}");
            assert!(plan.contains("USING"), "{sql}\n{plan}");
            // The per-key reads walk that key's rows, not every failure of the range.
            match i {
                4 => assert!(plan.contains("INDEX events_user_ts"), "{sql}\n{plan}"),
                5 => assert!(plan.contains("INDEX events_ip_ts"), "{sql}\n{plan}"),
                _ => {}
            }
        }
    }

    #[test]
    fn the_failure_categories_are_those_the_store_counts() {
        assert_eq!(FAILURE_CATEGORIES, palisade_events::store::LOGIN_FAILURES);
    }

    /// Counts from the aggregates (whole hours) and the log (the first part-hour) add up, and
    /// an hour with more users than the store counts one by one says the list may be short.
    #[test]
    fn aggregates_and_log_add_up_and_overflow_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        let hour = palisade_events::store::HOUR_MS;
        let now = Timestamp(1_795_824_000_000 + 5 * hour + 600_000);
        let mut store = palisade_events::Store::open(&db).unwrap();
        // 3 h 30 min ago (the log's part-hour), 2 h ago and 10 min ago (whole hours).
        let mut events = vec![
            failure("alice", "192.0.2.1", "ssh", now.0 - 3 * hour - 1_800_000),
            failure("alice", "192.0.2.1", "mail", now.0 - 2 * hour),
            failure("alice", "192.0.2.9", "ssh", now.0 - 600_000),
            failure("bob", "192.0.2.1", "ftp", now.0 - 4 * hour),
        ];
        store.append(&events, &[]).unwrap();
        let l = logins(Some(&db), Duration::from_secs(4 * 3600 - 60), now).unwrap();
        assert_eq!(l.failures, 3);
        assert!(!l.truncated);
        assert_eq!(l.by_user.len(), 1);
        assert_eq!(l.by_user[0].count, 3);
        assert_eq!(l.by_user[0].services, ["mail", "ssh"]);
        assert_eq!(l.by_user[0].last_seen, Timestamp(now.0 - 600_000).rfc3339());
        assert_eq!(l.by_ip[0].key, "192.0.2.1");
        assert_eq!(l.by_ip[0].count, 2);
        assert_eq!(l.by_ip[0].last_seen, Timestamp(now.0 - 2 * hour).rfc3339());

        let first = now.0 - now.0.rem_euclid(hour) - hour;
        events = (0..palisade_events::store::KEYS_PER_HOUR as i64 + 1)
            .map(|i| failure(&format!("c{i}"), "192.0.2.7", "smtp", first + i))
            .collect();
        store.append(&events, &[]).unwrap();
        let l = logins(Some(&db), Duration::from_secs(4 * 3600 - 60), now).unwrap();
        assert!(l.truncated);
        assert_eq!(l.by_user[0].key, "alice");
        assert_eq!(l.by_ip[0].key, "192.0.2.7");
        assert_eq!(l.failures, 3 + events.len() as u64);
    }

    #[test]
    fn no_store_configured_is_unavailable_and_a_missing_file_is_empty() {
        let now = Timestamp::now();
        let day = Duration::from_secs(86_400);
        assert!(matches!(
            logins(None, day, now),
            Err(ConsoleError::Unavailable(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let l = logins(Some(&dir.path().join("later.db")), day, now).unwrap();
        assert_eq!(l.failures, 0);
        assert!(l.by_user.is_empty());
    }
}
