//! Keeping the local copy current: the subscriber thread (changes from the channel, the
//! periodic resync, reconnects and the replay after an outage) and the bulk operations.
//!
//! The thread subscribes *before* it resyncs, so a change published during the resync is
//! read after it; changes are applied in channel order, so the copy converges on Redis.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ::redis::{Connection, RedisError, RedisResult};
use palisade_core::Timestamp;

use super::scripts::{Message, ban_from_hash, parse_message, target_key};
use super::{BULK_TIMEOUT, Pending, Shared, is_outage, ms};
use crate::ban::{Ban, BanRequest};
use crate::error::StateError;

/// How often the thread wakes without messages (to notice `stop`, a writer's outage, or a
/// due resync).
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// Targets read per pipelined batch during a resync; writes sent per batch by an import.
const BATCH: usize = 500;

/// Starts the subscriber thread; `None` (logged) when the OS refuses a thread: the book
/// then still works, without other guards' changes.
pub(super) fn spawn(shared: Arc<Shared>) -> Option<JoinHandle<()>> {
    let spawned = std::thread::Builder::new()
        .name("palisade-redis".into())
        .spawn(move || run(&shared));
    match spawned {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::error!("black book: cannot start the Redis subscriber thread: {e}");
            None
        }
    }
}

fn run(s: &Shared) {
    let mut backoff = POLL;
    while !s.stop.load(Ordering::Acquire) {
        match subscribe(s) {
            Ok(conn) => {
                backoff = POLL;
                listen(s, conn);
            }
            Err(e) => {
                s.mark_down(&e);
                sleep(s, backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Sleeps `d`, waking early on `stop`.
fn sleep(s: &Shared, d: Duration) {
    let until = Instant::now() + d;
    while !s.stop.load(Ordering::Acquire) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(POLL));
    }
}

fn subscribe(s: &Shared) -> RedisResult<Connection> {
    let conn = s
        .current_client()?
        .get_connection_with_timeout(s.redis.timeout)?;
    conn.set_write_timeout(Some(s.redis.timeout))?;
    conn.set_read_timeout(Some(s.redis.timeout.max(POLL)))?;
    Ok(conn)
}

/// Reconciles (replay, then resync), then applies messages until the connection fails.
fn listen(s: &Shared, mut conn: Connection) {
    let mut synced: Option<Instant> = None;
    // One `PubSub` for the connection's life: dropping it unsubscribes.
    let mut pubsub = conn.as_pubsub();
    if let Err(e) = pubsub.subscribe(s.keys.channel()) {
        s.mark_down(&e);
        return;
    }
    while !s.stop.load(Ordering::Acquire) {
        // After a (re)connect, and whenever a writer saw Redis fail since.
        let due = synced.is_none_or(|t| t.elapsed() >= s.redis.resync);
        if due || s.down.load(Ordering::Acquire) {
            match reconcile(s) {
                Ok(()) => synced = Some(Instant::now()),
                Err(e) => {
                    s.mark_down(&e);
                    // The channel may still work; retry the commands a little later.
                    sleep(s, POLL * 5);
                }
            }
        }
        match pubsub.get_message() {
            Ok(msg) => {
                if let Ok(payload) = msg.get_payload::<String>() {
                    apply(s, &payload);
                }
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => {
                s.mark_down(&e);
                return;
            }
        }
    }
}

fn apply(s: &Shared, payload: &str) {
    let now = Timestamp::now();
    match parse_message(payload) {
        Some(Message::Upsert(ban)) => s.book.apply(ban, now),
        Some(Message::Remove(target)) => {
            s.book.unban(target, now, &mut Vec::new());
        }
        None => tracing::debug!("black book: unreadable change on the Redis channel"),
    }
}

/// Replays queued writes, then reloads everything. Logs the end of an outage.
fn reconcile(s: &Shared) -> RedisResult<()> {
    let was_down = s.down.load(Ordering::Acquire);
    let replayed = s.replay()?;
    s.resync(Timestamp::now())?;
    if was_down {
        tracing::info!("black book: Redis is back; replayed {replayed} queued writes and resynced");
    }
    Ok(())
}

impl Shared {
    /// Reads every entry from Redis and replaces the local copy with them (scores kept).
    ///
    /// Unless Redis lost the book: a Redis restarted without persistence, flushed, or
    /// failed over to a replica that had not synced comes back empty, and replacing the
    /// copy with that would lift every ban at once. The book's epoch (a word set once in
    /// Redis) tells the two apart — an empty book with the epoch this guard knows is
    /// really empty — and a lost one gets this guard's active bans written back.
    pub(super) fn resync(&self, now: Timestamp) -> RedisResult<()> {
        let epoch = self.with_conn(BULK_TIMEOUT, |c| {
            // Set once by whoever finds it missing first; then read (one of us won).
            let fresh = format!("{}-{}", now.0, std::process::id());
            ::redis::cmd("SET")
                .arg(self.keys.epoch())
                .arg(&fresh)
                .arg("NX")
                .query::<Option<String>>(c)?;
            let epoch: Option<String> = ::redis::cmd("GET").arg(self.keys.epoch()).query(c)?;
            Ok(epoch.unwrap_or(fresh))
        })?;
        let known = self
            .epoch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(epoch.clone());
        if known.is_some_and(|k| k != epoch) {
            // What another guard (or a replayed write) already put back stays as it is.
            let present: std::collections::HashSet<String> = self
                .with_conn(BULK_TIMEOUT, |c| {
                    ::redis::cmd("ZRANGE")
                        .arg(self.keys.index())
                        .arg(0)
                        .arg(-1)
                        .query::<Vec<String>>(c)
                })?
                .into_iter()
                .collect();
            let bans: Vec<Ban> = self
                .book
                .list(now)
                .into_iter()
                .filter(|b| !present.contains(&target_key(&b.target)))
                .collect();
            if !bans.is_empty() {
                let writes = bans
                    .into_iter()
                    .map(|b| {
                        Pending::Ban(
                            BanRequest::permanent(b.target, b.source, b.reason).until(b.expires_at),
                            now,
                        )
                    })
                    .collect::<Vec<_>>();
                let n = writes.len();
                self.with_conn(BULK_TIMEOUT, |c| self.send_batch(c, &writes))?;
                self.reseeds.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "black book: Redis had lost the black book (restarted without persistence, \
                     flushed, or failed over to an unsynced replica); wrote this guard's {n} \
                     active bans back"
                );
            }
        }
        let bans = self.with_conn(BULK_TIMEOUT, |c| {
            let targets: Vec<String> = ::redis::cmd("ZRANGE")
                .arg(self.keys.index())
                .arg(0)
                .arg(-1)
                .query(c)?;
            let mut bans: Vec<Ban> = Vec::with_capacity(targets.len());
            for chunk in targets.chunks(BATCH) {
                let mut pipe = ::redis::pipe();
                for t in chunk {
                    pipe.cmd("HGETALL").arg(self.keys.ban(t));
                }
                let hashes: Vec<HashMap<String, String>> = pipe.query(c)?;
                bans.extend(
                    chunk
                        .iter()
                        .zip(&hashes)
                        .filter_map(|(t, h)| ban_from_hash(t, h)),
                );
            }
            Ok(bans)
        })?;
        self.book.replace(bans, now);
        self.resyncs.fetch_add(1, Ordering::Relaxed);
        self.reloaded.store(true, Ordering::Release);
        Ok(())
    }

    /// Sends many writes (an import), pipelined; queued instead while Redis is down.
    pub(super) fn write_batch(&self, writes: Vec<Pending>) -> Result<(), StateError> {
        if writes.is_empty() {
            return Ok(());
        }
        if !self.down.load(Ordering::Acquire) {
            match self.with_conn(BULK_TIMEOUT, |c| self.send_batch(c, &writes)) {
                Ok(()) => return Ok(()),
                // A batch may have half-landed: all of it is replayed (a ban written twice
                // only counts one more previous ban for its target).
                Err(e) if is_outage(&e) => self.mark_down(&e),
                Err(e) => return Err(StateError::Redis(e)),
            }
        }
        let mut q = self.lock_pending();
        for w in writes {
            self.push(&mut q, w);
        }
        Ok(())
    }

    fn send_batch(&self, c: &mut Connection, writes: &[Pending]) -> RedisResult<()> {
        let ban_sha = self.scripts.ban.prepare_invoke().load(c)?;
        let unban_sha = self.scripts.unban.prepare_invoke().load(c)?;
        for chunk in writes.chunks(BATCH) {
            let mut pipe = ::redis::pipe();
            for w in chunk {
                match w {
                    Pending::Ban(r, at) => {
                        let t = target_key(&r.target);
                        pipe.cmd("EVALSHA")
                            .arg(&ban_sha)
                            .arg(2)
                            .arg(self.keys.ban(&t))
                            .arg(self.keys.index())
                            .arg(&t)
                            .arg(&r.reason)
                            .arg(r.source.as_str())
                            .arg(at.0)
                            .arg(r.expires_at.map_or(String::new(), |t| t.0.to_string()))
                            .arg(ms(self.config.repeat_memory))
                            .arg(self.keys.channel())
                            .ignore();
                    }
                    Pending::Unban(net) => {
                        let t = target_key(net);
                        pipe.cmd("EVALSHA")
                            .arg(&unban_sha)
                            .arg(2)
                            .arg(self.keys.ban(&t))
                            .arg(self.keys.index())
                            .arg(&t)
                            .arg(self.keys.channel())
                            .ignore();
                    }
                }
            }
            pipe.query::<()>(c)?;
        }
        Ok(())
    }

    /// Maintenance on Redis: hit counters merged back, forgotten targets dropped.
    pub(super) fn upkeep(&self, dirty: &[Ban], now: Timestamp) -> Result<(), RedisError> {
        self.with_conn(BULK_TIMEOUT, |c| {
            for chunk in dirty.chunks(BATCH) {
                let mut inv = self.scripts.hits.prepare_invoke();
                for b in chunk {
                    inv.key(self.keys.ban(&target_key(&b.target)))
                        .arg(b.hits)
                        .arg(b.last_seen.0);
                }
                inv.invoke::<()>(c)?;
            }
            let cutoff = now.0.saturating_sub(ms(self.config.repeat_memory) as i64);
            self.scripts
                .purge
                .key(self.keys.index())
                .arg(cutoff)
                .arg(self.keys.ban_prefix())
                .invoke::<i64>(c)?;
            Ok(())
        })
    }
}
