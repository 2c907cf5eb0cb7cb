//! `[blackbook]` and `[ratelimit]`: the file structs and their validation into the black
//! book's [`BookConfig`] and the guard's [`RateLimitSettings`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use palisade_core::Category;
use palisade_guard::{BanAnswer, RateLimitSettings, RateRule};
use palisade_state::ratelimit::{
    ConnLimitConfig, ConnLimiter, Quota, RateLimitConfig, RateLimiter,
};
use palisade_state::{BookConfig, RedisConfig, ScoreConfig};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::file::{FileConfig, humantime_serde};
use super::load::locate;
use super::runtime::Source;

/// Where the black book lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageFile {
    /// A SQLite file: bans survive restarts; `palisade blackbook` edits it.
    Sqlite,
    /// Memory only: lost on restart.
    Memory,
    /// A Redis server shared by every guard (`[blackbook.redis]`); each guard still answers
    /// from a local copy.
    Redis,
}

/// What a banned client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerFile {
    /// 403.
    Forbidden,
    /// 429 with `Retry-After`.
    TooManyRequests,
    /// Wait `tarpit_delay`, then 403.
    Tarpit,
}

/// `[blackbook]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlackbookFile {
    /// Refuse banned clients and ban repeat offenders.
    pub enabled: bool,
    /// `sqlite` or `memory`.
    pub storage: StorageFile,
    /// The SQLite file [default: `palisade-blackbook.db` beside the events database].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<PathBuf>,
    /// `forbidden`, `too_many_requests` or `tarpit`.
    pub answer: AnswerFile,
    /// How long `tarpit` holds a banned client before its 403.
    #[serde(with = "humantime_serde")]
    pub tarpit_delay: Duration,
    /// How often the guard picks up bans written by `palisade blackbook`.
    #[serde(with = "humantime_serde")]
    pub refresh: Duration,
    /// Never banned, never rate limited (CIDRs).
    pub allowlist: Vec<IpNet>,
    /// Most entries (bans plus remembered expired ones).
    pub max_entries: usize,
    /// How long an expired ban is remembered to lengthen a repeat offender's next one.
    #[serde(with = "humantime_serde")]
    pub repeat_memory: Duration,
    /// Automatic bans of an IPv6 client cover its /N.
    pub ipv6_prefix: u8,
    /// Offence scoring.
    pub scoring: ScoringFile,
    /// The Redis server, for `storage = "redis"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisFile>,
}

/// `[state]`: where the state every guard shares lives — the black book and, on Redis, the
/// rate limits and login counts. `backend` is `[blackbook] storage`; for `redis` the other
/// keys are those of `[blackbook.redis]` (one or the other, not both).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateFile {
    /// `sqlite`, `memory` or `redis`.
    pub backend: StorageFile,
    /// The Redis server, for `backend = "redis"`.
    #[serde(flatten)]
    pub redis: RedisFile,
}

/// `[blackbook.redis]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisFile {
    /// `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS).
    #[serde(serialize_with = "redacted_url")]
    pub url: String,
    /// Keys are `palisade:{<prefix>}:…`, so deployments can share a server.
    pub prefix: String,
    /// Bound on connecting and on each command.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Full resync of the local copy this often (and after every reconnect).
    #[serde(with = "humantime_serde")]
    pub resync: Duration,
    /// Writes queued while Redis is unreachable, at most.
    pub max_pending: usize,
    /// This guard's name in `palisade cluster status` [default: `<hostname>:<listen port>`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How often this guard heartbeats its name, version and counts to Redis (1s to 60s).
    #[serde(with = "humantime_serde")]
    pub heartbeat: Duration,
    /// Redis Sentinel addresses (`host:port`, or `redis://:password@host:port` for a
    /// sentinel with its own password), asked in order for the current master of `master`;
    /// `url` then only supplies the database, password and TLS. Empty: `url` directly.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "redacted_urls"
    )]
    pub sentinels: Vec<String>,
    /// The service name the sentinels monitor (`sentinel monitor <name> …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// PEM CA certificates trusted for `rediss://` instead of the system roots (a Redis
    /// with a private CA). Relative to the working directory, as `database` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Redis Cluster seed nodes (`host:port`), asked for the master of palisade's slot;
    /// `url` then only supplies the password and TLS. Not with `sentinels`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cluster: Vec<String>,
}

impl Default for RedisFile {
    fn default() -> Self {
        let d = RedisConfig::new("");
        RedisFile {
            url: d.url,
            prefix: d.prefix,
            timeout: d.timeout,
            resync: d.resync,
            max_pending: d.max_pending,
            name: None,
            heartbeat: DEFAULT_HEARTBEAT,
            sentinels: d.sentinels,
            master: d.master,
            ca_file: d.ca_file,
            cluster: d.cluster,
        }
    }
}

/// `[blackbook.redis] heartbeat` unless set.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);

/// `config print` never shows the password in the URL.
fn redacted_url<S: serde::Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&palisade_state::redact_url(url, super::file::REDACTED))
}

/// Nor in a sentinel's.
fn redacted_urls<S: serde::Serializer>(urls: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        urls.iter()
            .map(|u| palisade_state::redact_url(u, super::file::REDACTED)),
    )
}

impl Default for BlackbookFile {
    fn default() -> Self {
        let d = BookConfig::default();
        BlackbookFile {
            enabled: true,
            storage: StorageFile::Sqlite,
            database: None,
            answer: AnswerFile::Forbidden,
            tarpit_delay: Duration::from_secs(2),
            refresh: Duration::from_secs(2),
            allowlist: loopback(),
            max_entries: d.max_entries,
            repeat_memory: d.repeat_memory,
            ipv6_prefix: d.ipv6_prefix,
            scoring: ScoringFile::default(),
            redis: None,
        }
    }
}

/// The default allowlist: the machine itself is never banned — local health checks, and,
/// when a local proxy is not listed in `trusted_proxies`, every client would look like it.
fn loopback() -> Vec<IpNet> {
    let v4 = ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(127, 0, 0, 0), 8)
        .into_iter()
        .map(IpNet::V4);
    v4.chain([IpNet::from(std::net::IpAddr::from(
        std::net::Ipv6Addr::LOCALHOST,
    ))])
    .collect()
}

/// `[blackbook.scoring]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringFile {
    /// The score that bans.
    pub threshold: f64,
    /// Scores halve after this long without offences.
    #[serde(with = "humantime_serde")]
    pub half_life: Duration,
    /// First ban length.
    #[serde(with = "humantime_serde")]
    pub base_ttl: Duration,
    /// Each previous ban multiplies the length by this.
    pub ttl_factor: f64,
    /// Longest automatic ban.
    #[serde(with = "humantime_serde")]
    pub max_ttl: Duration,
    /// Clients with a live score at most.
    pub max_tracked: usize,
    /// Weight of kinds not in `weights`.
    pub default_weight: f64,
    /// Weight per event category (`scanner = 50`).
    pub weights: BTreeMap<String, f64>,
}

impl Default for ScoringFile {
    fn default() -> Self {
        let d = ScoreConfig::default();
        ScoringFile {
            threshold: d.threshold,
            half_life: d.half_life,
            base_ttl: d.base_ttl,
            ttl_factor: d.ttl_factor,
            max_ttl: d.max_ttl,
            max_tracked: d.max_tracked,
            default_weight: d.default_weight,
            weights: d.weights.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }
}

/// `[ratelimit]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitFile {
    /// Requests per client per `per` for every path (0: no global quota).
    pub requests: u32,
    /// The period of `requests`.
    #[serde(with = "humantime_serde")]
    pub per: Duration,
    /// Requests allowed at once [default: `requests`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
    /// Open connections per client (0: no limit); counted at accept, by TCP peer.
    pub max_connections_per_ip: u32,
    /// Clients (× quotas) tracked at most.
    pub max_keys: usize,
    /// At most one `rate_limited` event per client per this long.
    #[serde(with = "humantime_serde")]
    pub event_every: Duration,
    /// Route rules, first match wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule: Vec<RateRuleFile>,
}

impl Default for RateLimitFile {
    fn default() -> Self {
        RateLimitFile {
            requests: 0,
            per: Duration::from_secs(1),
            burst: None,
            max_connections_per_ip: 0,
            max_keys: RateLimitConfig::default().max_keys,
            event_every: Duration::from_secs(60),
            rule: Vec::new(),
        }
    }
}

/// `[[ratelimit.rule]]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRuleFile {
    /// Name in the `RateLimit` headers and events [default: the path].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path prefix.
    pub path: String,
    /// Only this method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Requests per client per `per`.
    pub requests: u32,
    /// The period.
    #[serde(default = "second", with = "humantime_serde")]
    pub per: Duration,
    /// Requests at once [default: `requests`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

fn second() -> Duration {
    Duration::from_secs(1)
}

/// The black book, validated but not opened (opening creates the database file).
#[derive(Debug, Clone)]
pub struct BlackbookPlan {
    /// `None`: memory only (or Redis).
    pub database: Option<PathBuf>,
    /// `Some`: the black book is shared through Redis (and `database` is `None`).
    pub redis: Option<RedisConfig>,
    /// The book's settings.
    pub config: BookConfig,
    /// What a banned client gets.
    pub answer: BanAnswer,
    /// How often to pick up other processes' changes.
    pub refresh: Duration,
    /// How this guard reports itself to the others sharing the Redis black book.
    pub cluster: ClusterPlan,
}

/// `[blackbook.redis] name` and `heartbeat`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlan {
    /// This guard's name; `None`: `<hostname>:<listen port>`, decided where the guard
    /// starts (the listen address may come from the command line).
    pub name: Option<String>,
    /// How often it heartbeats.
    pub heartbeat: Duration,
}

impl Default for ClusterPlan {
    fn default() -> Self {
        ClusterPlan {
            name: None,
            heartbeat: DEFAULT_HEARTBEAT,
        }
    }
}

fn located(src: &Source<'_>, path: &[&str], message: String) -> ConfigError {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let err = ConfigError::whole_file(src.name, message).with_key(path.join("."));
    match locate(src.text, &path) {
        Some(off) => err.at(src.text, off),
        None => err,
    }
}

/// The default black book file: beside the events database.
pub fn default_database(events_db: &Path) -> PathBuf {
    events_db
        .parent()
        .unwrap_or(Path::new(""))
        .join("palisade-blackbook.db")
}

/// Validates `[blackbook]`; `None` when `enabled = false`.
pub fn blackbook(cfg: &FileConfig, src: &Source<'_>) -> Result<Option<BlackbookPlan>, ConfigError> {
    let merged;
    let (b, table): (&BlackbookFile, &[&'static str]) = match &cfg.state {
        None => (&cfg.blackbook, &["blackbook", "redis"]),
        Some(state) => {
            check_state_keys(src)?;
            if cfg.blackbook.redis.is_some() {
                return Err(located(
                    src,
                    &["blackbook", "redis"],
                    "`[state]` and `[blackbook.redis]` both name the Redis server: keep one".into(),
                ));
            }
            merged = BlackbookFile {
                storage: state.backend,
                redis: (state.backend == StorageFile::Redis
                    || !state.redis.url.is_empty()
                    || !state.redis.sentinels.is_empty()
                    || !state.redis.cluster.is_empty())
                .then(|| state.redis.clone()),
                ..cfg.blackbook.clone()
            };
            (&merged, &["state"])
        }
    };
    if !b.enabled {
        return Ok(None);
    }
    let s = &b.scoring;
    let mut weights = BTreeMap::new();
    for (name, w) in &s.weights {
        let category: Category = name.parse().map_err(|e: palisade_core::BadCategory| {
            located(
                src,
                &["blackbook", "scoring", "weights", name],
                e.to_string(),
            )
        })?;
        weights.insert(category, *w);
    }
    let config = BookConfig {
        max_entries: b.max_entries,
        allowlist: b.allowlist.clone(),
        repeat_memory: b.repeat_memory,
        ipv6_prefix: b.ipv6_prefix,
        scoring: ScoreConfig {
            threshold: s.threshold,
            half_life: s.half_life,
            weights,
            default_weight: s.default_weight,
            base_ttl: s.base_ttl,
            ttl_factor: s.ttl_factor,
            max_ttl: s.max_ttl,
            max_tracked: s.max_tracked,
        },
    };
    // The book's own checks (thresholds, factors, caps), reported against the section.
    if let Err(e) = palisade_state::MemoryState::new(BookConfig {
        max_entries: 1,
        scoring: ScoreConfig {
            max_tracked: 1,
            ..config.scoring.clone()
        },
        ..config.clone()
    }) {
        return Err(located(src, &["blackbook"], e.to_string()));
    }
    if b.max_entries == 0 || s.max_tracked == 0 {
        return Err(located(
            src,
            &["blackbook", "max_entries"],
            "max_entries and scoring.max_tracked must be at least 1".into(),
        ));
    }
    if b.refresh.is_zero() {
        return Err(located(
            src,
            &["blackbook", "refresh"],
            "`blackbook.refresh` must be longer than zero".into(),
        ));
    }
    let answer = match b.answer {
        AnswerFile::Forbidden => BanAnswer::Forbidden,
        AnswerFile::TooManyRequests => BanAnswer::TooManyRequests,
        AnswerFile::Tarpit => {
            if b.tarpit_delay > Duration::from_secs(60) {
                return Err(located(
                    src,
                    &["blackbook", "tarpit_delay"],
                    "`blackbook.tarpit_delay` is at most 60s".into(),
                ));
            }
            BanAnswer::Tarpit(b.tarpit_delay)
        }
    };
    let redis = redis_plan(b, table, src)?;
    let cluster = cluster_plan(b, table, src)?;
    let database = match b.storage {
        StorageFile::Memory | StorageFile::Redis => None,
        StorageFile::Sqlite => Some(
            b.database
                .clone()
                .unwrap_or_else(|| default_database(&cfg.events.database)),
        ),
    };
    Ok(Some(BlackbookPlan {
        database,
        redis,
        config,
        answer,
        refresh: b.refresh,
        cluster,
    }))
}

/// Validates `[blackbook.redis] name` and `heartbeat` (the section itself is checked by
/// [`redis_plan`]).
fn cluster_plan(
    b: &BlackbookFile,
    table: &[&'static str],
    src: &Source<'_>,
) -> Result<ClusterPlan, ConfigError> {
    let Some(r) = &b.redis else {
        return Ok(ClusterPlan::default());
    };
    let at = |k: &'static str| [table, &[k]].concat();
    let name = table.join(".");
    if !(Duration::from_secs(1)..=Duration::from_secs(60)).contains(&r.heartbeat) {
        return Err(located(
            src,
            &at("heartbeat"),
            format!("`{name}.heartbeat` must be between 1s and 60s"),
        ));
    }
    if let Some(name) = &r.name
        && (name.is_empty()
            || name.len() > 128
            || name.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        // It is part of a Redis key and a column of `palisade cluster status`.
        return Err(located(
            src,
            &at("name"),
            format!("`{name}.name` must be 1 to 128 characters without spaces"),
        ));
    }
    Ok(ClusterPlan {
        name: r.name.clone(),
        heartbeat: r.heartbeat,
    })
}

/// The keys `[state]` takes. (Its struct flattens `[blackbook.redis]`'s, and serde's
/// `deny_unknown_fields` does not see through a flatten: a typo is caught here instead.)
const STATE_KEYS: &[&str] = &[
    "backend",
    "url",
    "prefix",
    "timeout",
    "resync",
    "max_pending",
    "name",
    "heartbeat",
    "sentinels",
    "master",
    "ca_file",
    "cluster",
];

fn check_state_keys(src: &Source<'_>) -> Result<(), ConfigError> {
    let Ok(doc) = src.text.parse::<toml::Table>() else {
        return Ok(());
    };
    let Some(toml::Value::Table(state)) = doc.get("state") else {
        return Ok(());
    };
    match state.keys().find(|k| !STATE_KEYS.contains(&k.as_str())) {
        Some(k) => Err(located(
            src,
            &["state", k],
            format!(
                "unknown key `{k}` in `[state]`; expected one of {}",
                STATE_KEYS.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Validates `[blackbook.redis]` (or `[state]`) against `storage` (or `backend`).
fn redis_plan(
    b: &BlackbookFile,
    table: &[&'static str],
    src: &Source<'_>,
) -> Result<Option<RedisConfig>, ConfigError> {
    let at = |k: &'static str| [table, &[k]].concat();
    let name = table.join(".");
    if table == ["state"] {
        match (b.storage, &b.redis) {
            (StorageFile::Redis, Some(r))
                if !r.url.is_empty() || !r.sentinels.is_empty() || !r.cluster.is_empty() => {}
            (StorageFile::Redis, _) => {
                return Err(located(
                    src,
                    &["state", "backend"],
                    "`backend = \"redis\"` needs `url = \"redis://host:6379\"` (or `sentinels`)"
                        .into(),
                ));
            }
            (_, Some(_)) => {
                return Err(located(
                    src,
                    &["state", "url"],
                    "Redis keys are set in `[state]` but `backend` is not `\"redis\"`".into(),
                ));
            }
            (_, None) => return Ok(None),
        }
    }
    let r = match (b.storage, &b.redis) {
        // With sentinels the URL only carries the database, password and TLS.
        (StorageFile::Redis, Some(r))
            if !r.url.is_empty() || !r.sentinels.is_empty() || !r.cluster.is_empty() =>
        {
            r
        }
        (StorageFile::Redis, _) => {
            return Err(located(
                src,
                &["blackbook", "storage"],
                "`storage = \"redis\"` needs `[blackbook.redis] url = \"redis://host:6379\"`"
                    .into(),
            ));
        }
        (_, Some(_)) => {
            return Err(located(
                src,
                &["blackbook", "redis"],
                "`[blackbook.redis]` is set but `[blackbook] storage` is not `\"redis\"`".into(),
            ));
        }
        (_, None) => return Ok(None),
    };
    let placeholder = if r.url.contains(super::file::REDACTED) {
        Some("url")
    } else if r
        .sentinels
        .iter()
        .any(|s| s.contains(super::file::REDACTED))
    {
        Some("sentinels")
    } else {
        None
    };
    if let Some(key) = placeholder {
        return Err(located(
            src,
            &at(key),
            format!(
                "`{}` is the placeholder `config print` shows, not a password",
                super::file::REDACTED
            ),
        ));
    }
    if r.timeout > Duration::from_secs(5) {
        return Err(located(
            src,
            &at("timeout"),
            format!("`{name}.timeout` is at most 5s: requests wait up to this long"),
        ));
    }
    let config = RedisConfig {
        url: match r.url.as_str() {
            // Sentinels or cluster seeds without a URL: no password, database 0, no TLS
            // (the host is never used: the sentinels or the seeds name it).
            "" => "redis://sentinel-named-master/".into(),
            url => url.into(),
        },
        prefix: r.prefix.clone(),
        timeout: r.timeout,
        resync: r.resync,
        max_pending: r.max_pending,
        sentinels: r.sentinels.clone(),
        master: r.master.clone(),
        ca_file: r.ca_file.clone(),
        cluster: r.cluster.clone(),
    };
    if let Err(e) = config.check() {
        let key = match e.to_string() {
            // First: the message names the file, whose path may hold any word.
            m if m.contains("ca_file") => "ca_file",
            m if m.contains("redis url") => "url",
            m if m.contains("redis cluster node") => "cluster",
            m if m.contains("redis cluster") && m.contains("database") => "url",
            m if m.contains("redis cluster") => "cluster",
            m if m.contains("prefix") => "prefix",
            // Name the key that is set: a master without sentinels, or sentinels without
            // (or with a bad) master.
            m if m.contains("redis master") => "master",
            m if m.contains("redis sentinel") => match &r.master {
                Some(_) if m.contains("service name") => "master",
                _ => "sentinels",
            },
            _ => "timeout",
        };
        return Err(located(src, &at(key), e.to_string()));
    }
    Ok(Some(config))
}

fn quota(
    src: &Source<'_>,
    at: &[&str],
    name: &str,
    requests: u32,
    per: Duration,
    burst: Option<u32>,
) -> Result<Quota, ConfigError> {
    Quota::new(name, requests, per, burst.unwrap_or(requests))
        .map_err(|e| located(src, at, e.to_string()))
}

/// Validates `[ratelimit]`; `None` when it limits nothing.
pub fn ratelimit(
    cfg: &FileConfig,
    src: &Source<'_>,
) -> Result<Option<RateLimitSettings>, ConfigError> {
    let r = &cfg.ratelimit;
    if r.requests == 0 && r.rule.is_empty() && r.max_connections_per_ip == 0 {
        return Ok(None);
    }
    let mut quotas = Vec::new();
    if r.requests > 0 {
        quotas.push(quota(
            src,
            &["ratelimit", "requests"],
            "global",
            r.requests,
            r.per,
            r.burst,
        )?);
    }
    let mut rules = Vec::new();
    for (i, rule) in r.rule.iter().enumerate() {
        let idx = i.to_string();
        let at = |k: &'static str| ["ratelimit", "rule", idx.as_str(), k];
        if !rule.path.starts_with('/') {
            return Err(located(
                src,
                &at("path"),
                format!("`{}` must be a path starting with `/`", rule.path),
            ));
        }
        let method = match &rule.method {
            Some(m) => Some(
                http::Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                    located(src, &at("method"), format!("`{m}` is not an HTTP method"))
                })?,
            ),
            None => None,
        };
        let name = rule.name.clone().unwrap_or_else(|| rule.path.clone());
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_-.:".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = if quotas.iter().any(|q: &Quota| q.name() == name) {
            format!("{name}-{i}")
        } else {
            name
        };
        quotas.push(quota(
            src,
            &at("requests"),
            &name,
            rule.requests,
            rule.per,
            rule.burst,
        )?);
        rules.push((rule.path.clone(), method, name));
    }
    let ipv6_prefix = cfg.blackbook.ipv6_prefix.min(128);
    let limiter = RateLimiter::new(
        RateLimitConfig {
            max_keys: r.max_keys,
            ipv6_prefix,
        },
        quotas,
        Instant::now(),
    )
    .map_err(|e| located(src, &["ratelimit"], e.to_string()))?;
    let global = limiter.policy_id("global").filter(|_| r.requests > 0);
    let rules = rules
        .into_iter()
        .filter_map(|(prefix, method, name)| {
            limiter.policy_id(&name).map(|policy| RateRule {
                prefix,
                method,
                policy,
            })
        })
        .collect();
    let connections = (r.max_connections_per_ip > 0).then(|| {
        ConnLimiter::new(ConnLimitConfig {
            max_per_ip: r.max_connections_per_ip,
            ipv6_prefix,
            ..ConnLimitConfig::default()
        })
    });
    Ok(Some(RateLimitSettings {
        limiter: Arc::new(limiter),
        global,
        rules,
        connections,
        event_every: r.event_every,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::runtime::Source;
    use super::*;

    fn plan(text: &str) -> Result<Option<BlackbookPlan>, ConfigError> {
        let cfg = super::super::load::load_str(text, "p.toml")?;
        blackbook(
            &cfg,
            &Source {
                name: "p.toml",
                text,
            },
        )
    }

    #[test]
    fn a_redis_cluster_is_configured_by_its_seeds() {
        let ok = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\ncluster = [\"10.0.0.1:7000\", \"10.0.0.2:7000\"]\n";
        let r = plan(ok).unwrap().unwrap().redis.expect("Redis");
        assert_eq!(r.cluster, ["10.0.0.1:7000", "10.0.0.2:7000"]);
        let state = "[state]\nbackend = \"redis\"\nurl = \"redis://:pw@x/\"\ncluster = [\"10.0.0.1:7000\"]\n";
        assert!(plan(state).unwrap().unwrap().redis.is_some());
        for (text, line, needle) in [
            (
                "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\ncluster = [\"10.0.0.1\"]\n",
                4,
                "host:port",
            ),
            (
                "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://h/2\"\ncluster = [\"h:1\"]\n",
                4,
                "database 0",
            ),
            (
                "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\ncluster = [\"h:1\"]\nsentinels = [\"h:2\"]\nmaster = \"m\"\n",
                4,
                "not both",
            ),
        ] {
            let err = plan(text).unwrap_err();
            assert!(err.message.contains(needle), "{text}: {err}");
            assert_eq!(err.position.map(|p| p.0), Some(line), "{text}: {err}");
        }
    }

    #[test]
    fn the_state_table_is_the_same_redis_black_book() {
        let ok = "[state]\nbackend = \"redis\"\nurl = \"redis://pal:s3cret@cache:6380/1\"\nprefix = \"shop\"\ntimeout = \"80ms\"\nheartbeat = \"2s\"\n";
        let p = plan(ok).unwrap().unwrap();
        let r = p.redis.expect("a Redis black book");
        assert_eq!(r.prefix, "shop");
        assert_eq!(r.timeout, Duration::from_millis(80));
        assert_eq!(p.cluster.heartbeat, Duration::from_secs(2));
        assert!(p.database.is_none());
        let sqlite = plan("[state]\nbackend = \"sqlite\"\n").unwrap().unwrap();
        assert!(sqlite.redis.is_none() && sqlite.database.is_some());
        for (text, line, needle) in [
            ("[state]\nbackend = \"redis\"\n", 2, "needs `url"),
            (
                "[state]\nbackend = \"redis\"\nurl = \"redis://h\"\nprefx = \"x\"\n",
                4,
                "unknown key `prefx`",
            ),
            (
                "[state]\nbackend = \"memory\"\nurl = \"redis://h\"\n",
                3,
                "not `\"redis\"`",
            ),
            (
                "[state]\nbackend = \"redis\"\nurl = \"redis://h\"\ntimeout = \"9s\"\n",
                4,
                "`state.timeout` is at most 5s",
            ),
            (
                "[state]\nbackend = \"redis\"\nurl = \"redis://h\"\n[blackbook.redis]\nurl = \"redis://h\"\n",
                4,
                "keep one",
            ),
        ] {
            let err = plan(text).unwrap_err();
            assert!(err.message.contains(needle), "{text}: {err}");
            assert_eq!(err.position.map(|p| p.0), Some(line), "{text}: {err}");
        }
    }

    #[test]
    fn redis_storage_is_validated_and_located() {
        let ok = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"rediss://pal:s3cret@cache:6380/1\"\nprefix = \"shop\"\ntimeout = \"80ms\"\n";
        let p = plan(ok).unwrap().unwrap();
        assert_eq!(p.database, None);
        let r = p.redis.unwrap();
        assert_eq!(r.prefix, "shop");
        assert_eq!(r.timeout, Duration::from_millis(80));
        assert_eq!(r.resync, Duration::from_secs(30));

        let missing = "[blackbook]\nstorage = \"redis\"\n";
        let err = plan(missing).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");

        let unused = "[blackbook]\nstorage = \"sqlite\"\n[blackbook.redis]\nurl = \"redis://h\"\n";
        let err = plan(unused).unwrap_err();
        assert!(err.message.contains("storage"), "{err}");

        let bad = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"http://u:pw@h\"\n";
        let err = plan(bad).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(4), "{err}");
        assert!(!err.message.contains("pw@"), "{err}");

        let slow = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://h\"\ntimeout = \"10s\"\n";
        assert_eq!(plan(slow).unwrap_err().position.map(|p| p.0), Some(5));

        let typo = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://h\"\nprefx = \"x\"\n";
        assert!(plan(typo).is_err());
    }

    #[test]
    fn redis_ca_file_is_validated_and_located() {
        let base = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\n";
        // A CA for a plain-text URL: the operator meant TLS.
        let plain = format!("{base}url = \"redis://:s3cret@h\"\nca_file = \"ca.pem\"\n");
        let err = plan(&plain).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
        assert!(
            err.message.contains("ca_file needs a rediss:// url"),
            "{err}"
        );
        assert!(!err.message.contains("s3cret"), "{err}");
        // An unreadable file is named, at its line.
        let missing = format!(
            "{base}url = \"rediss://:s3cret@h\"\nca_file = \"/nonexistent/palisade-ca.pem\"\n"
        );
        let err = plan(&missing).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
        assert!(
            err.message.contains("/nonexistent/palisade-ca.pem"),
            "{err}"
        );
        assert!(!err.message.contains("s3cret"), "{err}");
        // `[state]` takes the key too.
        let state = "[state]\nbackend = \"redis\"\nurl = \"redis://h\"\nca_file = \"ca.pem\"\n";
        assert_eq!(plan(state).unwrap_err().position.map(|p| p.0), Some(4));
        // A readable CA with `rediss://` reaches the Redis settings.
        let ca = palisade_test_support::SelfSigned::localhost();
        let ok = format!(
            "{base}url = \"rediss://h\"\nca_file = \"{}\"\n",
            ca.cert.display()
        );
        let r = plan(&ok).unwrap().unwrap().redis.unwrap();
        assert_eq!(r.ca_file.as_deref(), Some(ca.cert.as_path()));
    }

    #[test]
    fn redis_sentinels_are_validated_and_located() {
        let base = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\n";
        let ok = format!(
            "{base}url = \"redis://:s3cret@ignored/2\"\nsentinels = [\"127.0.0.1:26379\", \"10.0.0.2:26379\"]\nmaster = \"mymaster\"\n"
        );
        let r = plan(&ok).unwrap().unwrap().redis.unwrap();
        assert_eq!(r.sentinels, ["127.0.0.1:26379", "10.0.0.2:26379"]);
        assert_eq!(r.master.as_deref(), Some("mymaster"));
        // The URL is optional with sentinels (no password, database 0).
        let bare = format!("{base}sentinels = [\"127.0.0.1:26379\"]\nmaster = \"mymaster\"\n");
        assert!(plan(&bare).unwrap().unwrap().redis.is_some());

        let line = |text: &str| plan(text).unwrap_err().position.map(|p| p.0);
        let no_master = format!("{base}url = \"redis://h\"\nsentinels = [\"127.0.0.1:26379\"]\n");
        assert_eq!(line(&no_master), Some(5));
        let no_sentinels = format!("{base}url = \"redis://h\"\nmaster = \"mymaster\"\n");
        assert_eq!(line(&no_sentinels), Some(5));
        let bad_master = format!("{base}sentinels = [\"h:26379\"]\nmaster = \"my master\"\n");
        assert_eq!(line(&bad_master), Some(5));
        let no_port = format!("{base}sentinels = [\"h\"]\nmaster = \"m\"\n");
        assert_eq!(line(&no_port), Some(4));
        let secret = format!("{base}sentinels = [\"http://:p4ss@h:1\"]\nmaster = \"m\"\n");
        let err = plan(&secret).unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(4), "{err}");
        assert!(!err.message.contains("p4ss"), "{err}");

        // `config print` hides a sentinel's password too.
        let own = format!("{base}sentinels = [\"redis://:p4ss@h:26379\"]\nmaster = \"m\"\n");
        let cfg = super::super::load::load_str(&own, "p.toml").unwrap();
        let printed = toml::to_string(&cfg.blackbook).unwrap();
        assert!(!printed.contains("p4ss"), "{printed}");
        assert!(printed.contains("master = \"m\""), "{printed}");
    }

    #[test]
    fn the_cluster_name_and_heartbeat_are_validated() {
        let base = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://h\"\n";
        let p = plan(base).unwrap().unwrap();
        assert_eq!(p.cluster, ClusterPlan::default());
        assert_eq!(p.cluster.heartbeat, Duration::from_secs(5));

        let set = format!("{base}name = \"web-1\"\nheartbeat = \"2s\"\n");
        let p = plan(&set).unwrap().unwrap();
        assert_eq!(p.cluster.name.as_deref(), Some("web-1"));
        assert_eq!(p.cluster.heartbeat, Duration::from_secs(2));

        for bad in ["heartbeat = \"500ms\"", "heartbeat = \"2m\""] {
            let err = plan(&format!("{base}{bad}\n")).unwrap_err();
            assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
            assert!(err.message.contains("heartbeat"), "{err}");
        }
        for bad in ["name = \"\"", "name = \"web 1\""] {
            let err = plan(&format!("{base}{bad}\n")).unwrap_err();
            assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
            assert!(err.message.contains("name"), "{err}");
        }
        // Without Redis there is no cluster to report to: the defaults, unchecked.
        let sqlite = plan("[blackbook]\nstorage = \"sqlite\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(sqlite.cluster, ClusterPlan::default());
    }

    #[test]
    fn the_redis_password_is_not_printed() {
        let text = "[blackbook]\nstorage = \"redis\"\n[blackbook.redis]\nurl = \"redis://pal:s3cret@cache:6379\"\n";
        let cfg = super::super::load::load_str(text, "p.toml").unwrap();
        let printed = toml::to_string(&cfg.blackbook).unwrap();
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("redis://pal:<redacted>@cache:6379"),
            "{printed}"
        );
        let reused = text.replace("s3cret", "<redacted>");
        let err = plan(&reused).unwrap_err();
        assert!(err.message.contains("placeholder"), "{err}");
    }
}
