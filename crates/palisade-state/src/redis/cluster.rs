//! Who shares the black book: every guard heartbeats its name, version and counts to Redis,
//! and [`cluster_status`] reads them back with the server's health, for
//! `palisade cluster status`.
//!
//! Layout under `palisade:{<prefix>}:` (beside the black book's, see [`scripts`](super)):
//! `guard:<name>` is a hash of the last beat, expiring a few intervals after the guard
//! stops; `guards` is a sorted set of names scored by the ms of their last beat, kept a day,
//! so a guard whose hash expired is still reported, as gone, with when it was last seen.
//!
//! Times are the guards' clocks (as everywhere in the black book): a guard with a skewed
//! clock looks older or younger than it is.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ::redis::{Connection, RedisResult};
use palisade_core::Timestamp;
use serde::Serialize;

use super::scripts::Keys;
use super::source::Source;
use super::{BULK_TIMEOUT, RedisConfig, RedisState, is_outage, ms};
use crate::error::StateError;

/// A guard is live while its last beat is at most this many intervals old; after that it
/// is stale until its hash expires, then gone.
pub const LIVE_BEATS: u32 = 3;

/// How long the `guards` index remembers a guard that stopped beating.
const REMEMBER_MS: i64 = 24 * 3_600_000;

/// The most guards `cluster_status` reads (the most recently seen first): names that change
/// at every restart must not make the command slow.
const MAX_GUARDS: isize = 1_000;

/// Timed PINGs for the latency figures.
const PINGS: usize = 20;

/// The interval assumed for a beat that does not say (an older or foreign writer).
const DEFAULT_INTERVAL_MS: u64 = 5_000;

/// One guard's heartbeat: who it is and how it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardBeat {
    /// Its name in the cluster (`[blackbook.redis] name`, default `<host>:<port>`).
    pub name: String,
    /// The palisade version it runs.
    pub version: String,
    /// Its process id.
    pub pid: u32,
    /// The address it serves on.
    pub listen: String,
    /// When it started (ms since the epoch).
    pub started_ms: i64,
    /// When this beat was sent (ms since the epoch, the guard's clock).
    pub at_ms: i64,
    /// How often it beats (ms): readers judge liveness by it.
    pub interval_ms: u64,
    /// Responses served since it started.
    pub requests: u64,
    /// Requests refused since it started (0 when the guard does not count them).
    pub blocked: u64,
    /// Active bans in its copy of the black book.
    pub bans: u64,
    /// Whether its connection to Redis is up (false only in a beat queued across an
    /// outage's end, as a guard cannot beat while Redis is down).
    pub redis_connected: bool,
    /// Times Redis became unreachable for it.
    pub outages: u64,
    /// Its writes waiting for Redis.
    pub pending: u64,
}

impl GuardBeat {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("version", self.version.clone()),
            ("pid", self.pid.to_string()),
            ("listen", self.listen.clone()),
            ("started", self.started_ms.to_string()),
            ("at", self.at_ms.to_string()),
            ("interval", self.interval_ms.to_string()),
            ("requests", self.requests.to_string()),
            ("blocked", self.blocked.to_string()),
            ("bans", self.bans.to_string()),
            ("connected", u8::from(self.redis_connected).to_string()),
            ("outages", self.outages.to_string()),
            ("pending", self.pending.to_string()),
        ]
    }

    /// Reads a beat back; missing or garbled fields read as zero or empty (a reader must
    /// not fail on one odd writer). `None` for an empty (expired) hash.
    fn from_fields(name: &str, h: &HashMap<String, String>) -> Option<GuardBeat> {
        if h.is_empty() {
            return None;
        }
        let text = |k: &str| h.get(k).cloned().unwrap_or_default();
        let num = |k: &str| h.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let int = |k: &str| h.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        Some(GuardBeat {
            name: name.to_owned(),
            version: text("version"),
            pid: h.get("pid").and_then(|v| v.parse().ok()).unwrap_or(0),
            listen: text("listen"),
            started_ms: int("started"),
            at_ms: int("at"),
            interval_ms: num("interval"),
            requests: num("requests"),
            blocked: num("blocked"),
            bans: num("bans"),
            redis_connected: h.get("connected").is_some_and(|v| v == "1"),
            outages: num("outages"),
            pending: num("pending"),
        })
    }
}

/// Whether a guard is still beating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GuardStatus {
    /// Beat within the last [`LIVE_BEATS`] intervals.
    Live,
    /// Missed beats, but its last beat has not expired yet.
    Stale,
    /// Its last beat expired; only when it was last seen is known.
    Gone,
}

impl GuardStatus {
    /// `live`, `stale` or `gone`.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardStatus::Live => "live",
            GuardStatus::Stale => "stale",
            GuardStatus::Gone => "gone",
        }
    }
}

/// A guard seen in the last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardSeen {
    /// Its name.
    pub name: String,
    /// Its last beat (ms since the epoch), from the index.
    pub last_seen_ms: i64,
    /// Live, stale or gone when it was read.
    pub status: GuardStatus,
    /// Its last beat, while it has not expired.
    pub beat: Option<GuardBeat>,
}

impl GuardStatus {
    /// A guard's status at `now`, from its last beat (`None`: expired).
    pub fn at(beat: Option<&GuardBeat>, now: Timestamp) -> GuardStatus {
        let Some(beat) = beat else {
            return GuardStatus::Gone;
        };
        let interval = if beat.interval_ms == 0 {
            DEFAULT_INTERVAL_MS
        } else {
            beat.interval_ms
        };
        let window =
            i64::try_from(interval.saturating_mul(u64::from(LIVE_BEATS))).unwrap_or(i64::MAX);
        if now.0.saturating_sub(beat.at_ms) <= window {
            GuardStatus::Live
        } else {
            GuardStatus::Stale
        }
    }
}

/// The Redis server's health, as one client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendHealth {
    /// `host:port` of the server asked (with Sentinel, the master the sentinels named).
    pub address: String,
    /// `redis_version` (`None` when `INFO` is not allowed, as on some managed services).
    pub server_version: Option<String>,
    /// `master` or `slave` (a replica).
    pub role: Option<String>,
    /// Clients connected to the server.
    pub connected_clients: Option<u64>,
    /// Memory in use, as Redis prints it (`1.02M`).
    pub used_memory_human: Option<String>,
    /// Median PING round trip, in µs.
    pub ping_p50_us: u64,
    /// Slowest PING round trip, in µs.
    pub ping_max_us: u64,
    /// PINGs timed.
    pub pings: u32,
}

/// What `palisade cluster status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterStatus {
    /// The server.
    pub backend: BackendHealth,
    /// The guards seen in the last day, by name.
    pub guards: Vec<GuardSeen>,
}

impl RedisState {
    /// Records this guard's heartbeat in one round trip: its hash (expiring after `ttl`,
    /// so a guard that stops disappears on its own) and its place in the index, from which
    /// guards not seen for a day are dropped. Runs with [`BULK_TIMEOUT`]: it is called from
    /// a background thread, never on a request's path.
    pub fn heartbeat(&self, beat: &GuardBeat, ttl: Duration) -> Result<(), StateError> {
        if beat.name.is_empty() {
            return Err(StateError::Config(
                "a guard's name must not be empty".into(),
            ));
        }
        let s = &self.shared;
        let key = s.keys.guard(&beat.name);
        let index = s.keys.guards();
        s.with_conn(BULK_TIMEOUT, |c| {
            ::redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg(beat.fields())
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(ms(ttl).max(1))
                .ignore()
                .cmd("ZADD")
                .arg(&index)
                .arg(beat.at_ms)
                .arg(&beat.name)
                .ignore()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&index)
                .arg("-inf")
                .arg(format!("({}", beat.at_ms.saturating_sub(REMEMBER_MS)))
                .ignore()
                .query::<()>(c)
        })
        .map_err(StateError::Redis)
    }
}

/// Reads the guards and the server's health with a connection of its own (the black book
/// is not loaded). Fails when Redis cannot be reached; the error never quotes the URL.
pub fn cluster_status(config: &RedisConfig, now: Timestamp) -> Result<ClusterStatus, StateError> {
    // With Sentinel, the master the sentinels name now, as the guards would find it.
    let client = Source::new(config)?.client().map_err(StateError::Redis)?;
    // A one-shot command can afford more patience than a request: the bulk bound.
    let mut c = client
        .get_connection_with_timeout(BULK_TIMEOUT)
        .map_err(StateError::Redis)?;
    c.set_read_timeout(Some(BULK_TIMEOUT))
        .map_err(StateError::Redis)?;
    c.set_write_timeout(Some(BULK_TIMEOUT))
        .map_err(StateError::Redis)?;
    let address = client.get_connection_info().addr().to_string();
    let backend = backend_health(&mut c, address).map_err(StateError::Redis)?;
    let guards = guards(&mut c, &Keys::new(&config.prefix), now).map_err(StateError::Redis)?;
    Ok(ClusterStatus { backend, guards })
}

fn backend_health(c: &mut Connection, address: String) -> RedisResult<BackendHealth> {
    let mut pipe = ::redis::pipe();
    // One section per INFO: servers before 7.0 take only one.
    for section in ["server", "replication", "clients", "memory"] {
        pipe.cmd("INFO").arg(section);
    }
    let info: HashMap<String, String> = match pipe.query::<Vec<String>>(c) {
        Ok(sections) => sections.iter().flat_map(|s| parse_info(s)).collect(),
        Err(e) if is_outage(&e) => return Err(e),
        // Refused (an ACL without INFO): the figures are unknown, the pings still tell.
        Err(_) => HashMap::new(),
    };
    let mut times = Vec::with_capacity(PINGS);
    for _ in 0..PINGS {
        let started = Instant::now();
        ::redis::cmd("PING").query::<String>(c)?;
        times.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    times.sort_unstable();
    Ok(BackendHealth {
        address,
        server_version: info.get("redis_version").cloned(),
        role: info.get("role").cloned(),
        connected_clients: info.get("connected_clients").and_then(|v| v.parse().ok()),
        used_memory_human: info.get("used_memory_human").cloned(),
        ping_p50_us: times.get(times.len() / 2).copied().unwrap_or(0),
        ping_max_us: times.last().copied().unwrap_or(0),
        pings: u32::try_from(times.len()).unwrap_or(u32::MAX),
    })
}

/// `key:value` lines of an `INFO` reply (comments and blank lines skipped).
fn parse_info(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
}

fn guards(c: &mut Connection, keys: &Keys, now: Timestamp) -> RedisResult<Vec<GuardSeen>> {
    let index: Vec<(String, f64)> = ::redis::cmd("ZREVRANGE")
        .arg(keys.guards())
        .arg(0)
        .arg(MAX_GUARDS - 1)
        .arg("WITHSCORES")
        .query(c)?;
    if index.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = ::redis::pipe();
    for (name, _) in &index {
        pipe.cmd("HGETALL").arg(keys.guard(name));
    }
    let hashes: Vec<HashMap<String, String>> = pipe.query(c)?;
    let mut seen: Vec<GuardSeen> = index
        .into_iter()
        .zip(hashes)
        .map(|((name, score), hash)| {
            let beat = GuardBeat::from_fields(&name, &hash);
            GuardSeen {
                status: GuardStatus::at(beat.as_ref(), now),
                // Scores are whole ms; the cast saturates on anything odd.
                last_seen_ms: score as i64,
                beat,
                name,
            }
        })
        .collect();
    seen.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(at_ms: i64) -> GuardBeat {
        GuardBeat {
            name: "web-1".into(),
            version: "1.2.3".into(),
            pid: 42,
            listen: "0.0.0.0:8080".into(),
            started_ms: 1,
            at_ms,
            interval_ms: 1_000,
            requests: 7,
            blocked: 2,
            bans: 3,
            redis_connected: true,
            outages: 1,
            pending: 0,
        }
    }

    #[test]
    fn a_beat_reads_back_and_odd_fields_read_as_zero() {
        let b = beat(10);
        let h: HashMap<String, String> = b
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(GuardBeat::from_fields("web-1", &h), Some(b));
        assert_eq!(GuardBeat::from_fields("x", &HashMap::new()), None);
        let odd: HashMap<String, String> = [("requests".to_owned(), "lots".to_owned())].into();
        let read = GuardBeat::from_fields("x", &odd).unwrap();
        assert_eq!(read.requests, 0);
        assert!(!read.redis_connected);
    }

    #[test]
    fn liveness_is_three_intervals() {
        let b = beat(10_000);
        let at = |now| GuardStatus::at(Some(&b), Timestamp(now));
        assert_eq!(at(13_000), GuardStatus::Live);
        assert_eq!(at(13_001), GuardStatus::Stale);
        // A clock behind the guard's: still live.
        assert_eq!(at(9_000), GuardStatus::Live);
        assert_eq!(GuardStatus::at(None, Timestamp(0)), GuardStatus::Gone);
    }

    #[test]
    fn info_lines_are_parsed() {
        let text = "# Server\r\nredis_version:7.2.4\r\nrole:master\r\n\r\n";
        let m: HashMap<String, String> = parse_info(text).collect();
        assert_eq!(m["redis_version"], "7.2.4");
        assert_eq!(m["role"], "master");
    }
}
