//! The Redis backend: a black book shared by every guard of a deployment, with the hot
//! path kept local.
//!
//! # How it stays fast
//!
//! [`State::check`] only reads the local in-memory black book, exactly as the other
//! backends do: a banned client is refused without a network round trip. The local copy is
//! kept current by a background thread subscribed to the deployment's channel
//! (`palisade:{<prefix>}:book`), which carries every changed entry, and by a full resync every
//! [`RedisConfig::resync`] and after every reconnect.
//!
//! # Writes
//!
//! `ban`, `unban` and `record` are one `EVALSHA` each (see [`scripts`](self) for the key
//! layout): the script changes the entry, its index and (for `record`) the decaying score
//! atomically and publishes the result, so two guards adding offences at once ban once, at
//! the total one guard would have needed. The answer is applied to the local copy at once.
//!
//! # Client and timeouts
//!
//! Two clients, each where it fits. The synchronous one serves the CLI (no runtime), the
//! background threads and the rare admin writes (`ban`, `unban`, `import`): every command
//! runs on a pooled connection whose connect, read and write timeouts are
//! [`RedisConfig::timeout`] (default 50 ms). Decisions on a request's path — an offence's
//! score ([`State::record_async`]), shared rate limits and login counts
//! ([`RedisState::rate_limit`], [`RedisState::tally`]) — go through the async connection
//! manager on a thread of their own (see [`aio`]), so the guard's workers never block on
//! Redis. Bulk reads (resync, import, maintenance) run on the background threads with
//! [`BULK_TIMEOUT`].
//!
//! # Faults
//!
//! A connection error or timeout marks Redis down (logged once, counted in
//! [`BookStats::outages`] and `palisade_blackbook_redis_outages_total`). While it is down,
//! reads answer from the last-known book, offences are scored locally (fail-open), and bans
//! and unbans apply locally at once and wait in a bounded queue
//! ([`RedisConfig::max_pending`], oldest dropped first). The background thread reconnects
//! with backoff, replays the queue, then resyncs.
//!
//! # Security
//!
//! The URL may hold a password (`redis://user:pass@host`); it is never logged or put in an
//! error. Use `rediss://` across untrusted networks. Anyone who can write to the Redis
//! keys can ban or unban at will: give palisade its own ACL user.

mod aio;
mod cluster;
mod counters;
pub use counters::{KnownLogin, MAX_NAME as MAX_COUNT_NAME, Refusal, Tally, WindowCount};
mod scripts;
mod shards;
mod source;
mod sync;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use ::redis::{Client, Connection, ErrorKind, RedisError, RedisResult, ScriptInvocation};
use ipnet::IpNet;
use palisade_core::Timestamp;

use crate::ban::{Ban, BanRequest, BanSource, Offence, Verdict};
use crate::book::{BlackBook, Change};
use crate::config::BookConfig;
use crate::error::StateError;
use crate::net::{client_net, normalize_ip, normalize_net};
use crate::state::{BoxFuture, State};
use crate::stats::{BookStats, ImportSummary, PurgeSummary};

use scripts::{Keys, Scripts, ban_from_row, target_key};
use source::Source;

pub use cluster::{
    BackendHealth, ClusterStatus, GuardBeat, GuardSeen, GuardStatus, LIVE_BEATS, cluster_status,
};

/// The metric counting times Redis became unreachable.
pub const REDIS_OUTAGES_METRIC: &str = "palisade_blackbook_redis_outages_total";

/// Bound on the bulk commands of the background threads (resync, import, maintenance).
pub const BULK_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections kept for reuse (more are opened under contention, then closed).
const POOL: usize = 8;

/// Where the shared black book lives and how patient to be with it.
#[derive(Clone, PartialEq)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS.
    pub url: String,
    /// Namespaces the keys (`palisade:{<prefix>}:…`) so deployments can share a server.
    /// Default `default`.
    pub prefix: String,
    /// Bound on connecting and on each command. Default 50 ms.
    pub timeout: Duration,
    /// Full resync of the local copy this often (and after every reconnect). Default 30 s.
    pub resync: Duration,
    /// Writes queued while Redis is down, at most. Default 10 000.
    pub max_pending: usize,
    /// Redis Sentinel addresses (`host:port`, or a `redis://` URL for a sentinel with its
    /// own password or TLS), asked in order for the master. Empty (the default): talk to
    /// the server of `url` directly. With sentinels, `url` only supplies the database,
    /// user, password and TLS of the data nodes; its host is ignored.
    pub sentinels: Vec<String>,
    /// The service name the sentinels monitor (`sentinel monitor <name> …`); required
    /// with `sentinels`. Default none.
    pub master: Option<String>,
    /// Redis Cluster seed nodes (`host:port`), asked for the master of the deployment's
    /// slot (every key shares the hash tag `{prefix}`). Empty (the default): not a
    /// cluster. The URL then only supplies the password and TLS; not with `sentinels`.
    pub cluster: Vec<String>,
    /// A PEM bundle of the CA certificates trusted for `rediss://` (the data nodes, and
    /// sentinels reached over `rediss://`), in place of the system roots: for a Redis
    /// whose certificate comes from a private CA. Default none (the system roots).
    pub ca_file: Option<PathBuf>,
}

impl RedisConfig {
    /// The defaults, for the server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            prefix: "default".into(),
            timeout: Duration::from_millis(50),
            resync: Duration::from_secs(30),
            max_pending: 10_000,
            sentinels: Vec::new(),
            master: None,
            cluster: Vec::new(),
            ca_file: None,
        }
    }
}

impl RedisConfig {
    /// Checks the settings without connecting: a URL the client accepts, timeouts above
    /// zero, sentinel addresses with a service name, a readable `ca_file` only with
    /// `rediss://`. The error never quotes the URL (it may hold a password).
    pub fn check(&self) -> Result<(), StateError> {
        // Also reads `ca_file`, and refuses one with a plain `redis://` URL.
        Source::new(self)?;
        if self.timeout.is_zero() || self.resync.is_zero() {
            return Err(StateError::Config(
                "redis timeout and resync must be longer than zero".into(),
            ));
        }
        if self.prefix.is_empty() || self.prefix.contains(char::is_whitespace) {
            return Err(StateError::Config(
                "redis prefix must be a non-empty word".into(),
            ));
        }
        Ok(())
    }

    /// The URL with its password (if any) replaced by `redacted`, for printing.
    pub fn redacted_url(&self, redacted: &str) -> String {
        redact_url(&self.url, redacted)
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.redacted_url("***"))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("resync", &self.resync)
            .field("max_pending", &self.max_pending)
            .field(
                "sentinels",
                &self
                    .sentinels
                    .iter()
                    .map(|s| redact_url(s, "***"))
                    .collect::<Vec<_>>(),
            )
            .field("master", &self.master)
            .field("cluster", &self.cluster)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// `scheme://user:password@host/…` → `scheme://user:<redacted>@host/…`; unchanged when the
/// URL has no password.
pub fn redact_url(url: &str, redacted: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:{redacted}@{host}{tail}"),
        None => url.to_owned(),
    }
}

/// How the shared store is doing, for health checks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RedisHealth {
    /// False while Redis is unreachable (the local copy answers, writes queue).
    pub connected: bool,
    /// Times Redis became unreachable.
    pub outages: u64,
    /// Writes waiting for Redis.
    pub pending: usize,
    /// Queued writes dropped because the queue was full.
    pub dropped: u64,
    /// Full resyncs done.
    pub resyncs: u64,
    /// Times Redis had lost the book (restarted without persistence, flushed, or failed
    /// over to a replica that had not synced) and this guard wrote its copy back.
    pub reseeds: u64,
}

/// A write waiting for Redis to come back.
#[derive(Debug, Clone)]
enum Pending {
    Ban(BanRequest, Timestamp),
    Unban(IpNet),
}

pub(crate) struct Shared {
    book: BlackBook,
    config: BookConfig,
    redis: RedisConfig,
    /// The server, or the sentinels that name it.
    source: Source,
    keys: Keys,
    scripts: Scripts,
    counters: counters::CounterScripts,
    pool: Mutex<Vec<Connection>>,
    /// Set while Redis is unreachable; cleared under the `pending` lock once it is drained.
    down: AtomicBool,
    pending: Mutex<VecDeque<Pending>>,
    outages: AtomicU64,
    dropped: AtomicU64,
    resyncs: AtomicU64,
    /// The book's epoch as last read from Redis (see [`Keys::epoch`]): a different or
    /// missing one means Redis lost the book.
    epoch: Mutex<Option<String>>,
    /// Times the book was written back to a Redis that had lost it.
    reseeds: AtomicU64,
    /// A resync happened since the last `refresh` call.
    reloaded: AtomicBool,
    stop: AtomicBool,
    /// The thread of the async round trips (see [`aio`]), started on first use.
    io: OnceLock<Option<aio::Io>>,
}

/// The black book shared through Redis; see the [module docs](self).
pub struct RedisState {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

impl RedisState {
    /// For the CLI: connects, loads the black book, and fails when Redis cannot be reached
    /// (a one-shot command must not report a ban it could not store).
    pub fn connect(
        redis: RedisConfig,
        config: BookConfig,
        now: Timestamp,
    ) -> Result<Self, StateError> {
        let shared = Shared::new(redis, config)?;
        shared.resync(now).map_err(StateError::Redis)?;
        Ok(Self::running(shared))
    }

    /// For a guard: starts even when Redis is unreachable (with an empty book, counted as
    /// an outage), and keeps reconnecting in the background. Returns within about
    /// `timeout` when Redis is down or silent.
    pub fn start(
        redis: RedisConfig,
        config: BookConfig,
        now: Timestamp,
    ) -> Result<Self, StateError> {
        let shared = Shared::new(redis, config)?;
        let ping = shared.with_conn(shared.redis.timeout, |c| {
            ::redis::cmd("PING").query::<String>(c)
        });
        match ping.and_then(|_| shared.resync(now)) {
            Ok(()) => {}
            Err(e) => shared.mark_down(&e),
        }
        let state = Self::running(shared);
        state.shared.warm_up();
        Ok(state)
    }

    fn running(shared: Shared) -> Self {
        let shared = Arc::new(shared);
        let worker = sync::spawn(shared.clone());
        RedisState { shared, worker }
    }

    /// Connection state, outage count and queue length.
    pub fn health(&self) -> RedisHealth {
        let s = &self.shared;
        RedisHealth {
            connected: !s.down.load(Ordering::Acquire),
            outages: s.outages.load(Ordering::Relaxed),
            pending: s.lock_pending().len(),
            dropped: s.dropped.load(Ordering::Relaxed),
            resyncs: s.resyncs.load(Ordering::Relaxed),
            reseeds: s.reseeds.load(Ordering::Relaxed),
        }
    }

    /// Writes waiting for Redis (the CLI refuses to exit silently with any).
    pub fn pending(&self) -> usize {
        self.shared.lock_pending().len()
    }
}

impl Drop for RedisState {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(worker) = self.worker.take() {
            // The worker polls `stop` at least every `sync::POLL`.
            let _ = worker.join();
        }
        if let Some(io) = self.shared.io.get().and_then(Option::as_ref) {
            io.shutdown();
        }
    }
}

/// A connection-class failure: Redis is down, unreachable or silent, as opposed to a
/// refusal (a script or permission error) that retrying will not fix.
fn is_outage(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        // No sentinel named a master yet (a failover is under way).
        || e.kind() == ErrorKind::MasterNameNotFoundBySentinel
        // The master was demoted to a replica by a failover: the writes belong elsewhere,
        // so treat it as lost and ask the sentinels again.
        || e.code() == Some("READONLY")
        // Redis Cluster: the slot moved (failover, resharding) or the cluster is
        // reconfiguring; ask the seeds again for the master of palisade's slot.
        || e.kind() == ErrorKind::ClusterConnectionNotFound
        || matches!(e.code(), Some("MOVED" | "ASK" | "CLUSTERDOWN" | "TRYAGAIN"))
}

impl Shared {
    fn new(redis: RedisConfig, config: BookConfig) -> Result<Self, StateError> {
        // The client's own error may quote the URL, password included: `Source` says what
        // is wrong without it.
        let source = Source::new(&redis)?;
        if redis.timeout.is_zero() || redis.resync.is_zero() {
            return Err(StateError::Config(
                "redis timeout and resync must be longer than zero".into(),
            ));
        }
        Ok(Shared {
            book: BlackBook::new(config.clone())?,
            keys: Keys::new(&redis.prefix),
            scripts: Scripts::new(),
            counters: counters::CounterScripts::new(),
            source,
            config,
            redis,
            pool: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
            pending: Mutex::new(VecDeque::new()),
            outages: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
            epoch: Mutex::new(None),
            reseeds: AtomicU64::new(0),
            reloaded: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            io: OnceLock::new(),
        })
    }

    /// The client for the server to talk to now (the master, when it can move: see
    /// [`Source`]).
    pub(crate) fn current_client(&self) -> RedisResult<Client> {
        self.source.client()
    }

    fn lock_pending(&self) -> MutexGuard<'_, VecDeque<Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on a pooled connection with `timeout` on every socket operation. A failed
    /// connection is dropped, not returned to the pool (it may hold half a reply).
    fn with_conn<T>(
        &self,
        timeout: Duration,
        f: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self
                .current_client()?
                .get_connection_with_timeout(self.redis.timeout)?,
        };
        conn.set_read_timeout(Some(timeout))?;
        conn.set_write_timeout(Some(timeout))?;
        let out = f(&mut conn)?;
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL {
            pool.push(conn);
        }
        Ok(out)
    }

    /// Redis became unreachable: counted and logged once per outage.
    fn mark_down(&self, e: &RedisError) {
        // On every failure, not only the first of an outage: a reconnect may have found
        // the old master again (a sentinel that had not noticed the failover yet), and its
        // connections must not be reused.
        self.source.invalidate();
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).clear();
        if !self.down.swap(true, Ordering::AcqRel) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(REDIS_OUTAGES_METRIC).increment(1);
            if let Some(io) = self.io.get().and_then(Option::as_ref) {
                io.reset();
            }
            tracing::warn!(
                "black book: Redis unreachable ({e}); serving the last-known black book \
                 and queueing writes until it returns"
            );
        }
    }

    /// Queues a write when Redis is down; hands it back otherwise. The `down` check and
    /// the push share the queue's lock with the drain, so nothing is stranded.
    fn queue_if_down(&self, p: Pending) -> Option<Pending> {
        let mut q = self.lock_pending();
        if !self.down.load(Ordering::Acquire) {
            return Some(p);
        }
        self.push(&mut q, p);
        None
    }

    fn push(&self, q: &mut VecDeque<Pending>, p: Pending) {
        if q.len() >= self.redis.max_pending.max(1) {
            q.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        q.push_back(p);
    }

    /// A write failed: an outage queues it (Redis will get it on replay); a refusal is
    /// the caller's error.
    fn failed(&self, e: RedisError, p: Pending) -> Result<(), StateError> {
        if is_outage(&e) {
            self.mark_down(&e);
            let mut q = self.lock_pending();
            self.push(&mut q, p);
            Ok(())
        } else {
            Err(StateError::Redis(e))
        }
    }

    /// The `ban` script's call (the sync and async paths share it).
    fn ban_call<'a>(&'a self, request: &BanRequest, now: Timestamp) -> ScriptInvocation<'a> {
        let target = target_key(&request.target);
        let mut call = self.scripts.ban.prepare_invoke();
        call.key(self.keys.ban(&target))
            .key(self.keys.index())
            .arg(&target)
            .arg(&request.reason)
            .arg(request.source.as_str())
            .arg(now.0)
            .arg(
                request
                    .expires_at
                    .map_or(String::new(), |t| t.0.to_string()),
            )
            .arg(ms(self.config.repeat_memory))
            .arg(self.keys.channel());
        call
    }

    fn ban_remote(&self, request: &BanRequest, now: Timestamp) -> RedisResult<Option<Ban>> {
        let row: Vec<String> = self.with_conn(self.redis.timeout, |c| {
            self.ban_call(request, now).invoke(c)
        })?;
        Ok(ban_from_row(&row))
    }

    /// What `ban` answers without Redis: the normalised request to send, or the answer
    /// (allowlisted; or Redis is down: applied locally and queued).
    fn ban_plan(
        &self,
        mut request: BanRequest,
        now: Timestamp,
    ) -> Result<BanRequest, Result<Ban, StateError>> {
        request.target = normalize_net(request.target);
        if self.book.allowlist_contains(&request.target) {
            return Err(Err(StateError::Allowlisted(request.target)));
        }
        if self
            .queue_if_down(Pending::Ban(request.clone(), now))
            .is_none()
        {
            return Err(self.book.ban(request, now, &mut Vec::new()));
        }
        Ok(request)
    }

    /// Applies Redis's answer to a ban; on an outage the ban applies locally and queues.
    fn ban_done(
        &self,
        answer: RedisResult<Option<Ban>>,
        request: BanRequest,
        now: Timestamp,
    ) -> Result<Ban, StateError> {
        match answer {
            Ok(Some(ban)) => {
                self.book.apply(ban.clone(), now);
                Ok(ban)
            }
            Ok(None) => self.book.ban(request, now, &mut Vec::new()),
            Err(e) => {
                let local = self.book.ban(request.clone(), now, &mut Vec::new())?;
                self.failed(e, Pending::Ban(request, now))?;
                Ok(local)
            }
        }
    }

    fn unban_remote(&self, target: IpNet) -> RedisResult<Option<Ban>> {
        let target = target_key(&target);
        let row: Option<Vec<String>> = self.with_conn(self.redis.timeout, |c| {
            self.scripts
                .unban
                .key(self.keys.ban(&target))
                .key(self.keys.index())
                .arg(&target)
                .arg(self.keys.channel())
                .invoke(c)
        })?;
        Ok(row.as_deref().and_then(ban_from_row))
    }

    /// The `record` script's call for one offence (the sync and async paths share it).
    fn record_call<'a>(
        &'a self,
        client: IpNet,
        reason: &str,
        weight: f64,
        now: Timestamp,
    ) -> ScriptInvocation<'a> {
        let s = &self.config.scoring;
        let target = target_key(&client);
        let mut call = self.scripts.record.prepare_invoke();
        call.key(self.keys.score(&target))
            .key(self.keys.ban(&target))
            .key(self.keys.index())
            .arg(&target)
            .arg(reason)
            .arg(now.0)
            .arg(weight)
            .arg(s.threshold)
            .arg(ms(s.half_life))
            .arg(ms(s.base_ttl))
            .arg(s.ttl_factor)
            .arg(ms(s.max_ttl))
            .arg(ms(self.config.repeat_memory))
            .arg(self.keys.channel())
            .arg(crate::book::SCORE_SLACK);
        call
    }

    fn record_remote(
        &self,
        client: IpNet,
        offence: &Offence,
        weight: f64,
        now: Timestamp,
    ) -> RedisResult<Option<Ban>> {
        let row: Option<Vec<String>> = self.with_conn(self.redis.timeout, |c| {
            self.record_call(client, &offence.reason, weight, now)
                .invoke(c)
        })?;
        Ok(row.as_deref().and_then(ban_from_row))
    }

    /// What `record` answers without Redis: `Err(answer)` when nothing needs counting (no
    /// weight, allowlisted, already banned: no round trip per request of a banned attacker)
    /// or Redis is down (scored locally); otherwise the client network and weight to send.
    fn record_plan(
        &self,
        offence: &Offence,
        now: Timestamp,
    ) -> Result<(IpNet, f64), Result<Option<Ban>, StateError>> {
        let ip = normalize_ip(offence.ip);
        let weight = offence
            .score
            .unwrap_or_else(|| self.config.scoring.weight(&offence.kind));
        if !(weight.is_finite() && weight > 0.0)
            || self.book.is_allowlisted(ip)
            || self.book.check(ip, now).is_banned()
        {
            return Err(Ok(None));
        }
        if self.down.load(Ordering::Acquire) {
            return Err(self.record_locally(offence, now));
        }
        Ok((client_net(ip, self.config.ipv6_prefix), weight))
    }

    /// Applies Redis's answer to an offence; an outage falls back to local scoring.
    fn record_done(
        &self,
        answer: RedisResult<Option<Ban>>,
        offence: &Offence,
        now: Timestamp,
    ) -> Result<Option<Ban>, StateError> {
        match answer {
            Ok(Some(ban)) => {
                self.book.apply(ban.clone(), now);
                Ok(Some(ban))
            }
            Ok(None) => Ok(None),
            Err(e) if is_outage(&e) => {
                self.mark_down(&e);
                self.record_locally(offence, now)
            }
            Err(e) => Err(StateError::Redis(e)),
        }
    }

    /// Fail-open scoring while Redis is down: this guard's own count decides, and a ban it
    /// reaches is applied at once and queued for Redis.
    fn record_locally(&self, offence: &Offence, now: Timestamp) -> Result<Option<Ban>, StateError> {
        let ban = self.book.record(offence, now, &mut Vec::new())?;
        if let Some(b) = &ban {
            let request =
                BanRequest::permanent(b.target, BanSource::Rule, &b.reason).until(b.expires_at);
            let mut q = self.lock_pending();
            self.push(&mut q, Pending::Ban(request, now));
        }
        Ok(ban)
    }

    /// Replays queued writes in order; on failure the write goes back to the front. Clears
    /// `down` once the queue is empty (under its lock: see [`Shared::queue_if_down`]).
    fn replay(&self) -> RedisResult<usize> {
        let mut done = 0;
        loop {
            let next = {
                let mut q = self.lock_pending();
                match q.pop_front() {
                    Some(p) => p,
                    None => {
                        self.down.store(false, Ordering::Release);
                        return Ok(done);
                    }
                }
            };
            let result = match &next {
                Pending::Ban(request, at) => self.ban_remote(request, *at).map(drop),
                Pending::Unban(target) => self.unban_remote(*target).map(drop),
            };
            match result {
                Ok(()) => done += 1,
                Err(e) if is_outage(&e) => {
                    self.lock_pending().push_front(next);
                    return Err(e);
                }
                // Refused (say, a script error): dropping it is all replaying can do.
                Err(e) => {
                    done += 1;
                    tracing::warn!("black book: Redis refused a queued write: {e}");
                }
            }
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl State for RedisState {
    fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict {
        self.shared.book.check(ip, now)
    }

    fn is_allowlisted(&self, ip: IpAddr) -> bool {
        self.shared.book.is_allowlisted(ip)
    }

    fn record(&self, offence: &Offence, now: Timestamp) -> Result<Option<Ban>, StateError> {
        let s = &self.shared;
        let (client, weight) = match s.record_plan(offence, now) {
            Ok(plan) => plan,
            Err(answer) => return answer,
        };
        let answer = s.record_remote(client, offence, weight, now);
        s.record_done(answer, offence, now)
    }

    /// The round trip runs on the I/O thread (see [`aio`]): the caller's worker serves
    /// other requests meanwhile.
    fn record_async<'a>(
        &'a self,
        offence: &'a Offence,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Option<Ban>, StateError>> {
        Box::pin(async move {
            let s = &self.shared;
            let (client, weight) = match s.record_plan(offence, now) {
                Ok(plan) => plan,
                Err(answer) => return answer,
            };
            let reason = offence.reason.clone();
            let answer = s
                .run(move |s, mut conn| async move {
                    let row: Option<Vec<String>> = s
                        .record_call(client, &reason, weight, now)
                        .invoke_async(&mut conn)
                        .await?;
                    Ok(row.as_deref().and_then(ban_from_row))
                })
                .await;
            s.record_done(answer, offence, now)
        })
    }

    fn ban(&self, request: BanRequest, now: Timestamp) -> Result<Ban, StateError> {
        let s = &self.shared;
        let request = match s.ban_plan(request, now) {
            Ok(r) => r,
            Err(answer) => return answer,
        };
        let answer = s.ban_remote(&request, now);
        s.ban_done(answer, request, now)
    }

    /// The round trip runs on the I/O thread, as [`State::record_async`]'s.
    fn ban_async(
        &self,
        request: BanRequest,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<Ban, StateError>> {
        Box::pin(async move {
            let s = &self.shared;
            let request = match s.ban_plan(request, now) {
                Ok(r) => r,
                Err(answer) => return answer,
            };
            let sent = request.clone();
            let answer = s
                .run(move |s, mut conn| async move {
                    let row: Vec<String> = s.ban_call(&sent, now).invoke_async(&mut conn).await?;
                    Ok(ban_from_row(&row))
                })
                .await;
            s.ban_done(answer, request, now)
        })
    }

    fn unban(&self, target: IpNet, now: Timestamp) -> Result<Option<Ban>, StateError> {
        let s = &self.shared;
        let target = normalize_net(target);
        let local = s.book.unban(target, now, &mut Vec::new());
        if s.queue_if_down(Pending::Unban(target)).is_none() {
            return Ok(local);
        }
        match s.unban_remote(target) {
            Ok(remote) => Ok(remote.or(local)),
            Err(e) => {
                s.failed(e, Pending::Unban(target))?;
                Ok(local)
            }
        }
    }

    fn get(&self, target: IpNet) -> Option<Ban> {
        self.shared.book.get(target)
    }

    fn list(&self, now: Timestamp) -> Vec<Ban> {
        self.shared.book.list(now)
    }

    fn import(
        &self,
        requests: Vec<BanRequest>,
        now: Timestamp,
    ) -> Result<ImportSummary, StateError> {
        let s = &self.shared;
        // The local copy mirrors Redis, so it decides what is added, kept or skipped; the
        // decisions then go to Redis in pipelined batches.
        let mut changes = Vec::new();
        let summary = s.book.import(requests, now, &mut changes)?;
        let writes: Vec<Pending> = changes
            .into_iter()
            .map(|c| match c {
                Change::Upsert(b) => Pending::Ban(
                    BanRequest::permanent(b.target, b.source, b.reason).until(b.expires_at),
                    now,
                ),
                Change::Remove(net) => Pending::Unban(net),
            })
            .collect();
        s.write_batch(writes)?;
        Ok(summary)
    }

    fn maintain(&self, now: Timestamp) -> Result<PurgeSummary, StateError> {
        let s = &self.shared;
        let summary = s.book.purge(now, &mut Vec::new());
        let dirty = s.book.dirty();
        if !s.down.load(Ordering::Acquire)
            && let Err(e) = s.upkeep(&dirty, now)
        {
            if is_outage(&e) {
                s.mark_down(&e);
            } else {
                return Err(StateError::Redis(e));
            }
        }
        Ok(summary)
    }

    fn stats(&self) -> BookStats {
        BookStats {
            outages: self.shared.outages.load(Ordering::Relaxed),
            ..self.shared.book.stats()
        }
    }

    /// The background thread keeps the copy current; this only reports whether it
    /// reloaded everything since the last call.
    fn refresh(&self, _now: Timestamp) -> Result<bool, StateError> {
        Ok(self.shared.reloaded.swap(false, Ordering::AcqRel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_bad_urls_refused() {
        let r = |u: &str| redact_url(u, "<redacted>");
        assert_eq!(
            r("rediss://palisade:s3cret@cache:6380/2"),
            "rediss://palisade:<redacted>@cache:6380/2"
        );
        assert_eq!(r("redis://:s3cret@cache"), "redis://:<redacted>@cache");
        assert_eq!(r("redis://cache:6379"), "redis://cache:6379");
        let with = RedisConfig::new("redis://u:p4ss@h/");
        assert!(!format!("{with:?}").contains("p4ss"));
        assert!(with.check().is_ok());
        let err = RedisConfig::new("http://u:p4ss@h/").check().unwrap_err();
        assert!(!err.to_string().contains("p4ss"), "{err}");
        let zero = RedisConfig {
            timeout: Duration::ZERO,
            ..RedisConfig::new("redis://h/")
        };
        assert!(zero.check().is_err());
    }
}
