//! The questions pages and the API both ask: input parsing and the reads and writes behind
//! them. Everything here is synchronous (SQLite, the black book); handlers run it on the
//! blocking pool.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::{Category, Event, EventId, Severity, Timestamp};
use palisade_events::{EventQuery, Store, StoreError, Stored};
use palisade_state::{Ban, BanRequest, BanSource, State};
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

/// The most events one overview or filtered listing reads from the store, so a busy day cannot
/// make a console request read the whole log.
pub const SCAN_LIMIT: usize = 100_000;

/// The most rows an event listing returns.
pub const MAX_LIMIT: usize = 1_000;

/// The longest reason a manual ban may carry.
pub const MAX_REASON: usize = 500;

const HOUR_MS: i64 = 3_600_000;

/// The chart groups of the overview and the categories each counts.
pub const GROUPS: [(&str, &[&str]); 3] = [
    (
        "blocked",
        &["malicious_traffic", "sensitive_file_probe", "scanner"],
    ),
    ("bans", &["ip_banned"]),
    (
        "login_failures",
        &[
            "auth_failure",
            "ssh_auth_failure",
            "ftp_auth_failure",
            "mail_auth_failure",
            "brute_force",
        ],
    ),
];

/// Event filters as they arrive in a query string; empty values mean "any" because HTML
/// forms submit every field.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EventParams {
    /// A category name (`malicious_traffic`).
    pub category: Option<String>,
    /// A minimum severity (`low`, `high`, …).
    pub severity: Option<String>,
    /// A source address.
    pub ip: Option<String>,
    /// An exact user name.
    pub user: Option<String>,
    /// A substring of the request path.
    pub path: Option<String>,
    /// How far back, as a duration (`1h`, `7d`); default 24 h.
    pub since: Option<String>,
    /// At most this many rows (1 to 1,000); default 100.
    pub limit: Option<String>,
}

/// Parsed, validated event filters.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    /// Only this category.
    pub category: Option<Category>,
    /// Only at least this severity.
    pub min_severity: Option<Severity>,
    /// Only from this address.
    pub ip: Option<IpAddr>,
    /// Only this user.
    pub user: Option<String>,
    /// Only paths containing this.
    pub path: Option<String>,
    /// How far back.
    pub since: Duration,
    /// At most this many.
    pub limit: usize,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl EventParams {
    /// Validates the filters; a bad one is reported by its field name.
    pub fn parse(&self) -> Result<EventFilter, ConsoleError> {
        let category = given(&self.category)
            .map(|c| {
                let cat: Category = c.parse().map_err(|_| {
                    ConsoleError::bad("category", format!("`{c}` is not a category"))
                })?;
                Ok::<_, ConsoleError>(cat)
            })
            .transpose()?;
        let min_severity = given(&self.severity)
            .map(|s| {
                s.parse::<Severity>()
                    .map_err(|_| ConsoleError::bad("severity", format!("`{s}` is not a severity")))
            })
            .transpose()?;
        let ip = given(&self.ip)
            .map(|s| {
                s.parse::<IpAddr>()
                    .map_err(|_| ConsoleError::bad("ip", format!("`{s}` is not an IP address")))
            })
            .transpose()?;
        let since = match given(&self.since) {
            None => Duration::from_secs(24 * 3600),
            Some(s) => humantime::parse_duration(s)
                .map_err(|e| ConsoleError::bad("since", format!("`{s}` is not a duration: {e}")))?,
        };
        let limit = match given(&self.limit) {
            None => 100,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ConsoleError::bad(
                        "limit",
                        format!("`{s}` is not a number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        Ok(EventFilter {
            category,
            min_severity,
            ip,
            user: given(&self.user).map(str::to_owned),
            path: given(&self.path).map(str::to_owned),
            since,
            limit,
        })
    }
}

fn minus(now: Timestamp, d: Duration) -> Timestamp {
    Timestamp(
        now.0
            .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// Opens the store read-only; `Ok(None)` when there is nothing to read yet (no store
/// configured is an error, a store the guard has not created yet is simply empty).
fn open(db: Option<&Path>) -> Result<Option<Store>, ConsoleError> {
    let Some(db) = db else {
        return Err(ConsoleError::Unavailable(
            "no event store is configured".into(),
        ));
    };
    match Store::open_read_only(db) {
        Ok(s) => Ok(Some(s)),
        Err(StoreError::Missing(_)) => Ok(None),
        Err(e) => Err(ConsoleError::Unavailable(e.to_string())),
    }
}

fn store_err(e: impl std::fmt::Display) -> ConsoleError {
    ConsoleError::Unavailable(format!("event store: {e}"))
}

/// Events matching a filter, newest first. Filters the store cannot apply (user, path) are
/// applied to at most [`SCAN_LIMIT`] of the newest events that match the others.
pub fn events(
    db: Option<&Path>,
    filter: &EventFilter,
    now: Timestamp,
) -> Result<Vec<Stored>, ConsoleError> {
    let Some(store) = open(db)? else {
        return Ok(Vec::new());
    };
    let post_filter = filter.user.is_some() || filter.path.is_some();
    let q = EventQuery {
        since: Some(minus(now, filter.since)),
        categories: filter.category.iter().cloned().collect(),
        ip: filter.ip,
        min_severity: filter.min_severity,
        after_seq: None,
        limit: if post_filter {
            SCAN_LIMIT
        } else {
            filter.limit
        },
    };
    let rows = store.query(&q).map_err(store_err)?;
    Ok(rows
        .into_iter()
        .filter(|s| {
            filter
                .user
                .as_deref()
                .is_none_or(|u| s.event.user.as_deref() == Some(u))
                && filter
                    .path
                    .as_deref()
                    .is_none_or(|p| s.event.path.as_deref().is_some_and(|ep| ep.contains(p)))
        })
        .take(filter.limit)
        .collect())
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

/// One event by id.
pub fn event(db: Option<&Path>, id: &str) -> Result<Stored, ConsoleError> {
    let parsed: EventId = id
        .parse()
        .map_err(|_| ConsoleError::bad("id", format!("`{id}` is not an event id")))?;
    let not_found = || ConsoleError::NotFound(format!("no event {parsed}"));
    let Some(store) = open(db)? else {
        return Err(not_found());
    };
    let wanted = parsed.to_string();
    let matches = |s: &Stored| s.event.id.to_string() == wanted;
    // Ids are UUIDv7: their creation time bounds where the event sits in the log, so look
    // there first (oldest first from an hour before it), then fall back to a bounded scan of
    // the newest events for ids whose event time was set from a log line.
    if let Ok(uuid) = uuid::Uuid::parse_str(&wanted)
        && let Some(ts) = uuid.get_timestamp()
    {
        let (secs, nanos) = ts.to_unix();
        let created = Timestamp(
            i64::try_from(secs)
                .unwrap_or(i64::MAX / 2_000)
                .saturating_mul(1000)
                .saturating_add(i64::from(nanos / 1_000_000)),
        );
        let q = EventQuery {
            since: Some(Timestamp(created.0.saturating_sub(HOUR_MS))),
            after_seq: Some(0),
            limit: 10_000,
            ..EventQuery::default()
        };
        if let Some(found) = store
            .query(&q)
            .map_err(store_err)?
            .into_iter()
            .find(matches)
        {
            return Ok(found);
        }
    }
    let q = EventQuery {
        limit: SCAN_LIMIT,
        ..EventQuery::default()
    };
    store
        .query(&q)
        .map_err(store_err)?
        .into_iter()
        .find(matches)
        .ok_or_else(not_found)
}

/// Counts for one hour of the overview chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HourCounts {
    /// Start of the hour (UTC, RFC 3339).
    pub hour: String,
    /// Blocked attacks.
    pub blocked: u64,
    /// IPs banned.
    pub bans: u64,
    /// Failed logins.
    pub login_failures: u64,
}

/// A key and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The IP, rule or path.
    pub key: String,
    /// Occurrences.
    pub count: u64,
}

/// The last 24 hours at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Start of the window (RFC 3339).
    pub since: String,
    /// Every event in the window, whatever its category.
    pub total: u64,
    /// Sums of the hourly groups.
    pub blocked: u64,
    /// Bans in the window.
    pub bans: u64,
    /// Login failures in the window.
    pub login_failures: u64,
    /// 24 hourly buckets, oldest first.
    pub hours: Vec<HourCounts>,
    /// The 10 most frequent source IPs.
    pub top_ips: Vec<Count>,
    /// The 10 most frequent rules.
    pub top_rules: Vec<Count>,
    /// The 10 most frequent paths.
    pub top_paths: Vec<Count>,
    /// True when the window held more than [`SCAN_LIMIT`] events, so the top lists count
    /// only the newest of them (the hourly counts are always exact).
    pub truncated: bool,
}

/// The overview of the 24 hours before `now`.
pub fn overview(db: Option<&Path>, now: Timestamp) -> Result<Overview, ConsoleError> {
    let current_hour = now.0.div_euclid(HOUR_MS) * HOUR_MS;
    let first_hour = current_hour - 23 * HOUR_MS;
    let since = minus(now, Duration::from_secs(24 * 3600));
    let mut out = Overview {
        since: since.rfc3339(),
        hours: (0..24)
            .map(|i| HourCounts {
                hour: Timestamp(first_hour + i * HOUR_MS).rfc3339(),
                ..HourCounts::default()
            })
            .collect(),
        ..Overview::default()
    };
    let Some(store) = open(db)? else {
        return Ok(out);
    };
    // Hourly counts come from the store's GROUP BY, exact however busy the day was; the
    // chart's first bucket starts on the hour, so ask from there.
    for row in store.stats(Timestamp(first_hour)).map_err(store_err)? {
        let Ok(i) = usize::try_from((row.hour.0 - first_hour) / HOUR_MS) else {
            continue;
        };
        let Some(bucket) = out.hours.get_mut(i) else {
            continue;
        };
        let group = GROUPS
            .iter()
            .find(|(_, cats)| cats.contains(&row.category.as_str()))
            .map(|(g, _)| *g);
        match group {
            Some("blocked") => bucket.blocked += row.count,
            Some("bans") => bucket.bans += row.count,
            Some("login_failures") => bucket.login_failures += row.count,
            _ => {}
        }
    }
    out.blocked = out.hours.iter().map(|h| h.blocked).sum();
    out.bans = out.hours.iter().map(|h| h.bans).sum();
    out.login_failures = out.hours.iter().map(|h| h.login_failures).sum();

    let q = EventQuery {
        since: Some(since),
        limit: SCAN_LIMIT + 1,
        ..EventQuery::default()
    };
    let mut rows = store.query(&q).map_err(store_err)?;
    out.truncated = rows.len() > SCAN_LIMIT;
    rows.truncate(SCAN_LIMIT);
    out.total = rows.len() as u64;
    let (mut ips, mut rules, mut paths) = (HashMap::new(), HashMap::new(), HashMap::new());
    for Stored { event, .. } in &rows {
        if let Some(ip) = event.source_ip {
            *ips.entry(ip.to_string()).or_insert(0u64) += 1;
        }
        for r in &event.rules {
            *rules.entry(r.clone()).or_insert(0u64) += 1;
        }
        if let Some(p) = &event.path {
            *paths.entry(p.clone()).or_insert(0u64) += 1;
        }
    }
    out.top_ips = top(ips, 10);
    out.top_rules = top(rules, 10);
    out.top_paths = top(paths, 10);
    Ok(out)
}

fn top(counts: HashMap<String, u64>, n: usize) -> Vec<Count> {
    let mut v: Vec<Count> = counts
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(n);
    v
}

/// A black book entry as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BanView {
    /// The address or network.
    pub target: String,
    /// Why.
    pub reason: String,
    /// Who decided (`rule`, `manual`, …).
    pub source: String,
    /// Checks that matched it.
    pub hits: u64,
    /// When it lifts (RFC 3339), `None` when permanent.
    pub expires_at: Option<String>,
}

impl From<&Ban> for BanView {
    fn from(b: &Ban) -> Self {
        BanView {
            target: b.target.to_string(),
            reason: b.reason.clone(),
            source: b.source.as_str().to_owned(),
            hits: b.hits,
            expires_at: b.expires_at.map(Timestamp::rfc3339),
        }
    }
}

fn book(book: Option<&dyn State>) -> Result<&dyn State, ConsoleError> {
    book.ok_or_else(|| ConsoleError::Unavailable("no black book is configured".into()))
}

/// Active bans whose target or reason contains `q` (case-insensitive), sorted by target.
pub fn blackbook(
    state: Option<&dyn State>,
    q: Option<&str>,
    now: Timestamp,
) -> Result<Vec<BanView>, ConsoleError> {
    let needle = q.map(str::trim).unwrap_or("").to_lowercase();
    Ok(book(state)?
        .list(now)
        .iter()
        .map(BanView::from)
        .filter(|b| {
            needle.is_empty()
                || b.target.to_lowercase().contains(&needle)
                || b.reason.to_lowercase().contains(&needle)
        })
        .collect())
}

/// A manual ban as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BanInput {
    /// An address or CIDR network.
    #[serde(default)]
    pub target: String,
    /// How long (`1h`, `7d`); empty or absent: permanent.
    #[serde(default)]
    pub ttl: Option<String>,
    /// Why, for the other admins.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Parses a target the way the CLI does, naming `field` when it is wrong.
pub fn parse_target(field: &'static str, s: &str) -> Result<IpNet, ConsoleError> {
    if s.trim().is_empty() {
        return Err(ConsoleError::bad(
            field,
            "an IP address or CIDR network is required",
        ));
    }
    palisade_state::net::parse_target(s).map_err(|e| ConsoleError::bad(field, e))
}

/// Bans by hand.
pub fn ban(
    state: Option<&dyn State>,
    input: &BanInput,
    now: Timestamp,
) -> Result<BanView, ConsoleError> {
    let target = parse_target("target", &input.target)?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("banned from the console");
    if reason.chars().count() > MAX_REASON {
        return Err(ConsoleError::bad(
            "reason",
            format!("longer than {MAX_REASON} characters"),
        ));
    }
    let request = match given(&input.ttl) {
        None => BanRequest::permanent(target, BanSource::Manual, reason),
        Some(ttl) => {
            let d = humantime::parse_duration(ttl)
                .map_err(|e| ConsoleError::bad("ttl", format!("`{ttl}` is not a duration: {e}")))?;
            if d.is_zero() {
                return Err(ConsoleError::bad("ttl", "must be longer than zero"));
            }
            BanRequest::lasting(target, BanSource::Manual, reason, d, now)
        }
    };
    book(state)?
        .ban(request, now)
        .map(|b| BanView::from(&b))
        .map_err(|e| ConsoleError::Unavailable(format!("black book: {e}")))
}

/// Lifts a ban; `NotFound` when there was none for exactly that target.
pub fn unban(
    state: Option<&dyn State>,
    target: &str,
    now: Timestamp,
) -> Result<BanView, ConsoleError> {
    let target = parse_target("target", target)?;
    match book(state)?
        .unban(target, now)
        .map_err(|e| ConsoleError::Unavailable(format!("black book: {e}")))?
    {
        Some(b) => Ok(BanView::from(&b)),
        None => Err(ConsoleError::NotFound(format!(
            "{target} is not in the black book"
        ))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_params_mean_defaults() {
        let f = EventParams {
            category: Some(String::new()),
            ..EventParams::default()
        }
        .parse()
        .unwrap();
        assert_eq!(f.category, None);
        assert_eq!(f.limit, 100);
        assert_eq!(f.since, Duration::from_secs(86_400));
    }

    #[test]
    fn bad_params_name_their_field() {
        let bad = |p: EventParams, field: &str| match p.parse() {
            Err(ConsoleError::BadInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a bad {field}, got {other:?}"),
        };
        bad(
            EventParams {
                ip: Some("nope".into()),
                ..Default::default()
            },
            "ip",
        );
        bad(
            EventParams {
                since: Some("soon".into()),
                ..Default::default()
            },
            "since",
        );
        bad(
            EventParams {
                limit: Some("0".into()),
                ..Default::default()
            },
            "limit",
        );
        bad(
            EventParams {
                limit: Some("5000".into()),
                ..Default::default()
            },
            "limit",
        );
        bad(
            EventParams {
                severity: Some("dire".into()),
                ..Default::default()
            },
            "severity",
        );
    }
}
