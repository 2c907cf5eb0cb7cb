//! Guards sharing a Redis black book: each heartbeats its name, version and counts to
//! Redis from a background thread, and `palisade cluster status` shows who is there and how
//! the server is doing (see [`palisade_state::cluster_status`] for the key layout).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use palisade_core::Timestamp;
use palisade_guard::BlackbookSettings;
use palisade_state::{
    ClusterStatus, GuardBeat, GuardSeen, GuardStatus, RedisConfig, RedisState, State, StateError,
};

use crate::Failure;
use crate::cli::ClusterCommand;
use crate::commands::load_config;
use crate::config::protect::{BlackbookPlan, ClusterPlan};
use crate::config::{Overrides, Runtime};

/// A beat lives this many intervals: stale (missed [`palisade_state::LIVE_BEATS`]) for a
/// while before it expires and the guard shows as gone.
const TTL_BEATS: u32 = 10;

/// How long stopping the guard waits for a beat in flight (at most `BULK_TIMEOUT` on a
/// silent Redis) before leaving the thread to the process's exit.
const STOP_WAIT: Duration = Duration::from_secs(1);

/// A guard on a Redis black book, not beating yet (the served counter comes from the
/// server, built later).
pub struct Member {
    state: Arc<RedisState>,
    plan: ClusterPlan,
}

/// Opens the black book with [`crate::blackbook::open`], keeping hold of the Redis backend
/// (when it is one) for the heartbeat.
pub fn open(plan: &BlackbookPlan) -> Result<(BlackbookSettings, Option<Member>), Failure> {
    let settings = crate::blackbook::open(plan)?;
    let member = settings.cluster.clone().map(|state| Member {
        state,
        plan: plan.cluster.clone(),
    });
    Ok((settings, member))
}

/// The heartbeat thread; dropping it stops it.
pub struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Member {
    /// Starts beating every `heartbeat` as the guard on `listen`, reporting `served` as its
    /// request count and `refused` as its blocked count. A failure to start the thread is logged, not fatal: the proxy matters
    /// more than its place in `cluster status`.
    pub fn start(
        self,
        listen: SocketAddr,
        served: impl Fn() -> u64 + Send + 'static,
        refused: impl Fn() -> u64 + Send + 'static,
    ) -> Option<Heartbeat> {
        let name = self
            .plan
            .name
            .clone()
            .unwrap_or_else(|| default_name(listen));
        let (stop, stopped) = mpsc::channel();
        let (finished, done) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("palisade-heartbeat".into())
            .spawn(move || {
                // Dropped when the loop ends: `Heartbeat::drop` waits for that.
                let _finished = finished;
                beat_loop(&self, &name, listen, (&served, &refused), &stopped);
            })
            .inspect_err(|e| tracing::warn!("cluster heartbeat not started: {e}"))
            .ok()?;
        Some(Heartbeat {
            stop: Some(stop),
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        // A beat stuck on a silent Redis must not hold up the guard's exit.
        if let Err(RecvTimeoutError::Disconnected) = self.done.recv_timeout(STOP_WAIT)
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }
}

fn beat_loop(
    member: &Member,
    name: &str,
    listen: SocketAddr,
    (served, refused): (&dyn Fn() -> u64, &dyn Fn() -> u64),
    stopped: &mpsc::Receiver<()>,
) {
    let interval = member.plan.heartbeat;
    let ttl = interval.saturating_mul(TTL_BEATS);
    let started_ms = Timestamp::now().0;
    let mut failing = false;
    loop {
        let health = member.state.health();
        // While Redis is down the black book's own thread reconnects (and logs it); a beat
        // would only wait out its timeout.
        if health.connected {
            let now = Timestamp::now();
            let beat = GuardBeat {
                name: name.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                pid: std::process::id(),
                listen: listen.to_string(),
                started_ms,
                at_ms: now.0,
                interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
                requests: served(),
                blocked: refused(),
                // Active bans only (the book also remembers expired ones for repeat
                // offenders); a clone of the snapshot every few seconds is cheap enough.
                bans: member.state.list(now).len() as u64,
                redis_connected: health.connected,
                outages: health.outages,
                pending: health.pending as u64,
            };
            match member.state.heartbeat(&beat, ttl) {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("cluster heartbeat: Redis takes beats again");
                }
                Ok(()) => {}
                // Once per run of failures: a refusal (an ACL without HSET, say) would
                // otherwise log at every beat.
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!("cluster heartbeat as {name:?} failed: {e}");
                }
                Err(e) => tracing::debug!("cluster heartbeat still failing: {e}"),
            }
        }
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// `<hostname>:<listen port>`: unique per host and guard, and stable across restarts.
fn default_name(listen: SocketAddr) -> String {
    format!("{}:{}", hostname(), listen.port())
}

/// The kernel's hostname, else `$HOSTNAME`, else `localhost` (no crate for one file read).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

/// `palisade cluster …`
pub fn run(cmd: ClusterCommand) -> Result<(), Failure> {
    let ClusterCommand::Status { config, json } = cmd;
    let loaded = load_config(config.as_deref())?;
    let rt: Runtime = loaded.runtime(&Overrides {
        upstream: Some("http://127.0.0.1:1".into()),
        ..Overrides::default()
    })?;
    let Some(redis) = rt.blackbook.and_then(|b| b.redis) else {
        return Err(Failure::Input(format!(
            "{}: the black book is not shared through Redis, so there is no cluster: set \
             `[blackbook] storage = \"redis\"` and `[blackbook.redis] url`",
            loaded.name
        )));
    };
    let url = redis.redacted_url("<redacted>");
    let now = Timestamp::now();
    let status = palisade_state::cluster_status(&redis, now).map_err(|e| match e {
        StateError::Config(m) => Failure::Input(format!("{}: {m}", loaded.name)),
        // Down or silent, as opposed to answering with a refusal (a wrong password, an
        // ACL without the commands): the fix differs, so does the wording.
        StateError::Redis(e)
            if e.is_io_error()
                || e.is_timeout()
                || e.is_connection_refusal()
                || e.is_connection_dropped() =>
        {
            Failure::Runtime(anyhow::anyhow!(
                "Redis at {url} is unreachable: {}",
                scrub(&e.to_string(), &redis)
            ))
        }
        StateError::Redis(e) => Failure::Runtime(anyhow::anyhow!(
            "Redis at {url} refused: {}",
            scrub(&e.to_string(), &redis)
        )),
        other => Failure::Runtime(anyhow::anyhow!(
            "Redis at {url}: {}",
            scrub(&other.to_string(), &redis)
        )),
    })?;
    let mut out = std::io::stdout().lock();
    let text = if json {
        let doc = serde_json::json!({
            "url": url,
            "prefix": redis.prefix,
            "now_ms": now.0,
            "backend": status.backend,
            "guards": status.guards,
        });
        serde_json::to_string_pretty(&doc).context("rendering")? + "\n"
    } else {
        // With Sentinel the URL's host is not the server: say which one answered.
        let place = match &redis.master {
            Some(master) if !redis.sentinels.is_empty() => format!(
                "{url}, master {master} at {} via {} sentinels",
                status.backend.address,
                redis.sentinels.len()
            ),
            _ => url,
        };
        render(&status, &place, &redis.prefix, now)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(())
}

/// The error text without the URL's password, should a client error ever quote it.
fn scrub(message: &str, redis: &RedisConfig) -> String {
    let mut message = message.replace(&redis.url, &redis.redacted_url("<redacted>"));
    if let Some(password) = password(&redis.url) {
        message = message.replace(password, "<redacted>");
    }
    message
}

fn password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// The backend line, then a table of guards.
fn render(status: &ClusterStatus, place: &str, prefix: &str, now: Timestamp) -> String {
    let b = &status.backend;
    let unknown = || "?".to_owned();
    let mut text = format!(
        "backend  {place} (prefix {prefix}): Redis {}, {}, {} clients, {} used, ping p50 {} max {} ({} pings)\n\n",
        b.server_version.clone().unwrap_or_else(unknown),
        b.role.clone().unwrap_or_else(unknown),
        b.connected_clients.map_or_else(unknown, |n| n.to_string()),
        b.used_memory_human.clone().unwrap_or_else(unknown),
        micros(b.ping_p50_us),
        micros(b.ping_max_us),
        b.pings,
    );
    if status.guards.is_empty() {
        text.push_str("no guard has sent a heartbeat in the last day\n");
        return text;
    }
    let header = [
        "NAME",
        "VERSION",
        "LAST SEEN",
        "STATUS",
        "REQUESTS",
        "BANS",
        "REDIS",
    ];
    let rows: Vec<[String; 7]> = status.guards.iter().map(|g| row(g, now)).collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(&format!("{cell:<w$}  "));
            }
        }
        l.trim_end().to_owned() + "\n"
    };
    text.push_str(&line(header));
    for r in &rows {
        text.push_str(&line(r.each_ref().map(String::as_str)));
    }
    text
}

fn row(g: &GuardSeen, now: Timestamp) -> [String; 7] {
    let seen = ago(now.0.saturating_sub(g.last_seen_ms));
    let status = g.status.as_str().to_owned();
    match &g.beat {
        Some(b) => [
            g.name.clone(),
            b.version.clone(),
            seen,
            status,
            b.requests.to_string(),
            b.bans.to_string(),
            format!(
                "{}, {} outages, {} pending",
                if b.redis_connected { "ok" } else { "down" },
                b.outages,
                b.pending
            ),
        ],
        None => {
            debug_assert_eq!(g.status, GuardStatus::Gone);
            let dash = || "-".to_owned();
            [g.name.clone(), dash(), seen, status, dash(), dash(), dash()]
        }
    }
}

/// `2s ago`, `5m ago`, `3h ago`; `just now` for a beat from a clock ahead of ours.
fn ago(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        ..=0 => "just now".to_owned(),
        1..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        _ => format!("{}h ago", s / 3600),
    }
}

fn micros(us: u64) -> String {
    if us >= 10_000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_state::BackendHealth;

    #[test]
    fn passwords_are_found_and_scrubbed() {
        assert_eq!(password("redis://:s3cret@h:1/"), Some("s3cret"));
        assert_eq!(password("rediss://u:p@h/0?x=@"), Some("p"));
        assert_eq!(password("redis://h:6379/"), None);
        let redis = RedisConfig::new("redis://:s3cret@h:1/");
        let m = scrub("failed for redis://:s3cret@h:1/ (s3cret)", &redis);
        assert!(!m.contains("s3cret"), "{m}");
    }

    #[test]
    fn the_table_lines_up_and_gone_guards_have_dashes() {
        let beat = GuardBeat {
            name: "web-1".into(),
            version: "0.1.0".into(),
            pid: 1,
            listen: "127.0.0.1:8080".into(),
            started_ms: 0,
            at_ms: 8_000,
            interval_ms: 1_000,
            requests: 12,
            blocked: 0,
            bans: 3,
            redis_connected: true,
            outages: 1,
            pending: 0,
        };
        let status = ClusterStatus {
            backend: BackendHealth {
                address: "h:6379".into(),
                server_version: Some("7.2.4".into()),
                role: Some("master".into()),
                connected_clients: Some(3),
                used_memory_human: None,
                ping_p50_us: 85,
                ping_max_us: 12_000,
                pings: 20,
            },
            guards: vec![
                GuardSeen {
                    name: "web-1".into(),
                    last_seen_ms: 8_000,
                    status: GuardStatus::Live,
                    beat: Some(beat),
                },
                GuardSeen {
                    name: "old-guard".into(),
                    last_seen_ms: -3_590_000,
                    status: GuardStatus::Gone,
                    beat: None,
                },
            ],
        };
        let text = render(&status, "redis://h/", "default", Timestamp(10_000));
        assert!(
            text.starts_with(
                "backend  redis://h/ (prefix default): Redis 7.2.4, master, 3 clients, ? used, ping p50 85µs max 12ms (20 pings)\n"
            ),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                "NAME       VERSION  LAST SEEN  STATUS  REQUESTS  BANS  REDIS",
                "web-1      0.1.0    2s ago     live    12        3     ok, 1 outages, 0 pending",
                "old-guard  -        1h ago     gone    -         -     -",
            ]
        );
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(-5), "just now");
        assert_eq!(ago(2_500), "2s ago");
        assert_eq!(ago(125_000), "2m ago");
        assert_eq!(ago(7_300_000), "2h ago");
    }

    #[test]
    fn the_default_name_is_host_and_port() {
        let name = default_name("0.0.0.0:8443".parse().unwrap());
        assert!(name.ends_with(":8443") && name.len() > 5, "{name}");
    }
}
