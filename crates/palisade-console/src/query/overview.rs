//! The overview: the last 24 hours at a glance — events per hour in three groups, totals, and
//! the most frequent source IPs, rules and paths.
//!
//! Read from the store's hourly aggregates ([`Store::stats`], [`Store::top`]) — a few hundred
//! rows per hour whatever the traffic — rather than from the events themselves, so the page
//! costs the same with a million events stored as with ten.

use std::path::Path;

use palisade_core::Timestamp;
use palisade_events::store::HOUR_MS;
use palisade_events::{Store, TopKey};
use serde::Serialize;

use super::{open, store_err};
use crate::error::ConsoleError;

/// Rows in each top list.
const TOP: usize = 10;

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
    /// Requests the guard answered (all of them, not only events).
    pub requests: u64,
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
    /// Start of the window: the first chart hour (RFC 3339). The window is the chart's 24
    /// hours, the current one included, so the totals are the sums of the bars.
    pub since: String,
    /// Every event in the window, whatever its category.
    pub total: u64,
    /// Requests the guard answered in the window (recorded about once a minute).
    pub requests: u64,
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
    /// True when an hour of the window had more distinct IPs, rules or paths than the store
    /// counts one by one ([`KEYS_PER_HOUR`](palisade_events::store::KEYS_PER_HOUR)): a key
    /// first seen late in such an hour may be missing from a top list or undercounted. The
    /// hourly counts and totals are always exact.
    pub truncated: bool,
}

/// The overview of the 24 hours up to `now`: the current hour and the 23 before it.
pub fn overview(db: Option<&Path>, now: Timestamp) -> Result<Overview, ConsoleError> {
    let current_hour = now.0.div_euclid(HOUR_MS) * HOUR_MS;
    let first_hour = current_hour - 23 * HOUR_MS;
    let (since, until) = (Timestamp(first_hour), Timestamp(current_hour + HOUR_MS));
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
    for row in store.stats(since).map_err(store_err)? {
        // Events dated in the future (a skewed clock) are no part of "the last 24 hours".
        let Ok(i) = usize::try_from((row.hour.0 - first_hour) / HOUR_MS) else {
            continue;
        };
        let Some(bucket) = out.hours.get_mut(i) else {
            continue;
        };
        out.total += row.count;
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
    for row in store.traffic(since).map_err(store_err)? {
        let Ok(i) = usize::try_from((row.hour.0 - first_hour) / HOUR_MS) else {
            continue;
        };
        if let Some(bucket) = out.hours.get_mut(i) {
            bucket.requests += row.requests;
        }
    }
    out.requests = out.hours.iter().map(|h| h.requests).sum();
    out.blocked = out.hours.iter().map(|h| h.blocked).sum();
    out.bans = out.hours.iter().map(|h| h.bans).sum();
    out.login_failures = out.hours.iter().map(|h| h.login_failures).sum();
    out.top_ips = top(&store, TopKey::SourceIp, since, until, &mut out.truncated)?;
    out.top_rules = top(&store, TopKey::Rule, since, until, &mut out.truncated)?;
    out.top_paths = top(&store, TopKey::Path, since, until, &mut out.truncated)?;
    Ok(out)
}

fn top(
    store: &Store,
    key: TopKey,
    since: Timestamp,
    until: Timestamp,
    truncated: &mut bool,
) -> Result<Vec<Count>, ConsoleError> {
    let list = store.top(key, since, until, TOP).map_err(store_err)?;
    *truncated |= !list.complete;
    Ok(list
        .entries
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect())
}
