//! The black book (pure: no I/O): bans of addresses and networks, the allowlist, offence
//! scoring, and the lock-free read path.
//!
//! Writers take one mutex over the master map and publish a new [`snapshot::Snapshot`]
//! through `arc-swap`; readers load the current snapshot and never block. Every change is
//! also reported as a [`Change`] so a backend can persist it (the SQLite one writes it
//! through). Expired bans stay in the master map for `repeat_memory` — that is how a repeat
//! offender's next ban is longer — but drop out of the snapshot at the next rebuild and are
//! treated as absent by lookups before that.

mod entry;
mod score;
mod snapshot;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use foldhash::fast::RandomState;
use ipnet::IpNet;
use palisade_core::Timestamp;

use crate::ban::{Ban, BanRequest, BanSource, Offence, Verdict, add};
use crate::bounded::BoundedMap;
use crate::config::BookConfig;
use crate::error::StateError;
use crate::net::{client_net, normalize_ip, normalize_net};
use crate::stats::{BookStats, ImportSummary, PurgeSummary};

use entry::Entry;
pub(crate) use score::SLACK as SCORE_SLACK;
use score::ScoreCell;
use snapshot::{Slot, Snapshot, Tables};

/// The metric counting black book entries dropped to stay under `max_entries`.
pub const BOOK_EVICTIONS_METRIC: &str = "palisade_blackbook_evictions_total";
/// The metric counting offence scores dropped to stay under `scoring.max_tracked`.
pub const SCORE_EVICTIONS_METRIC: &str = "palisade_blackbook_score_evictions_total";

/// A change a backend must persist.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// Insert or replace this entry.
    Upsert(Ban),
    /// Delete the entry for this network.
    Remove(IpNet),
}

struct Master {
    records: HashMap<IpNet, Arc<Entry>, RandomState>,
}

pub(crate) struct BlackBook {
    config: BookConfig,
    allow: Arc<Tables>,
    snapshot: ArcSwap<Snapshot>,
    master: Mutex<Master>,
    scores: BoundedMap<IpNet, ScoreCell>,
    evictions: AtomicU64,
}

fn ms(t: Timestamp) -> u64 {
    t.0.max(0) as u64
}

impl BlackBook {
    pub(crate) fn new(mut config: BookConfig) -> Result<Self, StateError> {
        config.validate()?;
        config.allowlist = config
            .allowlist
            .iter()
            .copied()
            .map(normalize_net)
            .collect();
        let mut allow = Tables::default();
        for net in &config.allowlist {
            allow.insert(*net, None);
        }
        let allow = Arc::new(allow);
        Ok(BlackBook {
            scores: BoundedMap::new(config.scoring.max_tracked, SCORE_EVICTIONS_METRIC),
            snapshot: ArcSwap::from_pointee(Snapshot {
                allow: allow.clone(),
                ..Snapshot::default()
            }),
            allow,
            master: Mutex::new(Master {
                records: HashMap::default(),
            }),
            evictions: AtomicU64::new(0),
            config,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Master> {
        self.master.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict {
        let ip = normalize_ip(ip);
        let snap = self.snapshot.load();
        match snap.lookup(ip, now) {
            Some(e) => {
                e.hit(now);
                Verdict::Banned(e.info())
            }
            None => Verdict::Allowed,
        }
    }

    pub(crate) fn is_allowlisted(&self, ip: IpAddr) -> bool {
        self.allow.covers(normalize_ip(ip))
    }

    pub(crate) fn allowlist_contains(&self, target: &IpNet) -> bool {
        self.config.allowlist.iter().any(|a| a.contains(target))
    }

    pub(crate) fn record(
        &self,
        offence: &Offence,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<Option<Ban>, StateError> {
        let ip = normalize_ip(offence.ip);
        let cfg = &self.config.scoring;
        let weight = offence.score.unwrap_or_else(|| cfg.weight(&offence.kind));
        if !(weight.is_finite() && weight > 0.0)
            || self.allow.covers(ip)
            || self.snapshot.load().lookup(ip, now).is_some()
        {
            return Ok(None);
        }
        let key = client_net(ip, self.config.ipv6_prefix);
        let crossed = self.scores.update(
            key,
            ms(now),
            || ScoreCell::new(now),
            |cell| {
                let crossed = cell.add(weight, now, cfg);
                (crossed, !crossed)
            },
        );
        if !crossed {
            return Ok(None);
        }
        let mut m = self.lock();
        let previous = m
            .records
            .get(&key)
            .filter(|e| !self.forgotten(e, now))
            .map_or(0, |e| e.ban.bans);
        let request = BanRequest::lasting(
            key,
            BanSource::Rule,
            offence.reason.clone(),
            cfg.ttl(previous),
            now,
        );
        self.put_and_publish(&mut m, request, now, changes)
            .map(Some)
    }

    pub(crate) fn ban(
        &self,
        request: BanRequest,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<Ban, StateError> {
        let mut m = self.lock();
        self.put_and_publish(&mut m, request, now, changes)
    }

    fn put_and_publish(
        &self,
        m: &mut Master,
        request: BanRequest,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<Ban, StateError> {
        let (entry, evicted) = self.put(m, request, now, changes)?;
        let ban = entry.current();
        self.publish(m, &[(ban.target, Some(entry))], now, evicted);
        self.scores.remove(&ban.target);
        Ok(ban)
    }

    /// Inserts or replaces an entry; true when others were evicted to make room.
    fn put(
        &self,
        m: &mut Master,
        request: BanRequest,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<(Arc<Entry>, bool), StateError> {
        let target = normalize_net(request.target);
        if self.allowlist_contains(&target) {
            return Err(StateError::Allowlisted(target));
        }
        let old = m
            .records
            .get(&target)
            .filter(|e| !self.forgotten(e, now))
            .map(|e| e.current());
        let mut evicted = false;
        if !m.records.contains_key(&target) && m.records.len() >= self.config.max_entries {
            self.make_room(m, now, changes)?;
            evicted = true;
        }
        let ban = Ban {
            target,
            reason: request.reason,
            source: request.source,
            first_seen: old.as_ref().map_or(now, |b| b.first_seen),
            last_seen: now,
            hits: old.as_ref().map_or(0, |b| b.hits),
            expires_at: request.expires_at,
            bans: old.as_ref().map_or(0, |b| b.bans).saturating_add(1),
        };
        let entry = Arc::new(Entry::new(ban.clone()));
        m.records.insert(target, entry.clone());
        changes.push(Change::Upsert(ban));
        Ok((entry, evicted))
    }

    /// An expired entry past `repeat_memory`: as if it never existed.
    fn forgotten(&self, e: &Entry, now: Timestamp) -> bool {
        e.ban
            .expires_at
            .is_some_and(|t| add(t, self.config.repeat_memory) <= now)
    }

    /// Frees at least 1/16 of the cap: expired entries first, then automatic, reported and
    /// imported bans closest to expiry. Manual bans are never evicted.
    fn make_room(
        &self,
        m: &mut Master,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<(), StateError> {
        let max = self.config.max_entries;
        let low_water = max - max.div_ceil(16);
        let before = m.records.len();
        let mut gone: Vec<IpNet> = m
            .records
            .iter()
            .filter(|(_, e)| !e.is_active(now))
            .map(|(k, _)| *k)
            .collect();
        if before - gone.len() > low_water {
            let excess = before - gone.len() - low_water;
            let mut candidates: Vec<(i64, IpNet)> = m
                .records
                .iter()
                .filter(|(_, e)| e.is_active(now) && e.ban.source != BanSource::Manual)
                .map(|(k, e)| (e.ban.expires_at.map_or(i64::MAX, |t| t.0), *k))
                .collect();
            let take = excess.min(candidates.len());
            if take > 0 {
                candidates.select_nth_unstable(take - 1);
                gone.extend(candidates[..take].iter().map(|(_, k)| *k));
            }
        }
        for k in &gone {
            m.records.remove(k);
            changes.push(Change::Remove(*k));
        }
        let n = gone.len() as u64;
        self.evictions.fetch_add(n, Ordering::Relaxed);
        metrics::counter!(BOOK_EVICTIONS_METRIC).increment(n);
        if m.records.len() >= max {
            return Err(StateError::Full(m.records.len()));
        }
        Ok(())
    }

    /// Makes changes visible to readers: a copy of the small delta, or a full rebuild when
    /// the delta has outgrown √n (or entries were evicted).
    fn publish(&self, m: &Master, changed: &[(IpNet, Slot)], now: Timestamp, rebuild: bool) {
        let cur = self.snapshot.load();
        let bound = 64 + 4 * m.records.len().isqrt();
        if rebuild || cur.delta.len() + changed.len() > bound {
            self.rebuild(m, now);
            return;
        }
        let mut delta = cur.delta.clone();
        for (net, slot) in changed {
            delta.insert(*net, slot.clone());
        }
        self.snapshot.store(Arc::new(Snapshot {
            allow: self.allow.clone(),
            base: cur.base.clone(),
            delta,
        }));
    }

    fn rebuild(&self, m: &Master, now: Timestamp) {
        let mut base = Tables::default();
        for (net, e) in &m.records {
            if e.is_active(now) {
                base.insert(*net, Some(e.clone()));
            }
        }
        self.snapshot.store(Arc::new(Snapshot {
            allow: self.allow.clone(),
            base: Arc::new(base),
            delta: Tables::default(),
        }));
    }

    pub(crate) fn unban(
        &self,
        target: IpNet,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Option<Ban> {
        let target = normalize_net(target);
        let mut m = self.lock();
        let removed = m.records.remove(&target)?;
        changes.push(Change::Remove(target));
        self.publish(&m, &[(target, None)], now, false);
        Some(removed.current())
    }

    pub(crate) fn import(
        &self,
        requests: Vec<BanRequest>,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) -> Result<ImportSummary, StateError> {
        let mut summary = ImportSummary::default();
        let mut m = self.lock();
        let mut result = Ok(());
        for request in requests {
            let target = normalize_net(request.target);
            if request.expires_at.is_some_and(|t| t <= now) {
                summary.expired += 1;
                continue;
            }
            if self.allowlist_contains(&target) {
                summary.allowlisted += 1;
                continue;
            }
            let existing = m.records.get(&target).filter(|e| e.is_active(now));
            if existing.is_some_and(|e| {
                e.ban.source == BanSource::Manual && request.source != BanSource::Manual
            }) {
                summary.kept_manual += 1;
                continue;
            }
            let replacing = existing.is_some();
            match self.put(&mut m, request, now, changes) {
                Ok(_) if replacing => summary.updated += 1,
                Ok(_) => summary.added += 1,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.rebuild(&m, now);
        result.map(|()| summary)
    }

    /// Puts an entry exactly as a shared store decided it (a change another guard
    /// published). The local hit counter is kept when higher: it counts this guard's refusals.
    pub(crate) fn apply(&self, mut ban: Ban, now: Timestamp) {
        ban.target = normalize_net(ban.target);
        let target = ban.target;
        let mut m = self.lock();
        if let Some(old) = m.records.get(&target) {
            let old = old.current();
            ban.hits = ban.hits.max(old.hits);
            ban.last_seen = ban.last_seen.max(old.last_seen);
        }
        let mut evicted = false;
        if !m.records.contains_key(&target) && m.records.len() >= self.config.max_entries {
            evicted = true;
            if self.make_room(&mut m, now, &mut Vec::new()).is_err() {
                // Full of manual bans: the store still holds it; the next resync retries.
                self.rebuild(&m, now);
                return;
            }
        }
        let entry = Arc::new(Entry::new(ban));
        m.records.insert(target, entry.clone());
        self.publish(&m, &[(target, Some(entry))], now, evicted);
        self.scores.remove(&target);
    }

    /// Initial load from storage (no changes reported: they are already stored).
    pub(crate) fn load(&self, bans: Vec<Ban>, now: Timestamp) {
        let mut m = self.lock();
        for mut ban in bans {
            ban.target = normalize_net(ban.target);
            let e = Arc::new(Entry::new(ban));
            if self.forgotten(&e, now) {
                continue;
            }
            m.records.insert(e.ban.target, e);
        }
        self.rebuild(&m, now);
    }

    /// Replaces every entry with `bans` (the storage's current contents, after another
    /// process changed it). Offence scores are kept.
    pub(crate) fn replace(&self, bans: Vec<Ban>, now: Timestamp) {
        let mut m = self.lock();
        m.records.clear();
        for mut ban in bans {
            ban.target = normalize_net(ban.target);
            let e = Arc::new(Entry::new(ban));
            if self.forgotten(&e, now) {
                continue;
            }
            m.records.insert(e.ban.target, e);
        }
        self.rebuild(&m, now);
    }

    pub(crate) fn purge(&self, now: Timestamp, changes: &mut Vec<Change>) -> PurgeSummary {
        let mut m = self.lock();
        let before = m.records.len();
        let expired = m.records.values().filter(|e| !e.is_active(now)).count();
        let forgotten: Vec<IpNet> = m
            .records
            .iter()
            .filter(|(_, e)| self.forgotten(e, now))
            .map(|(k, _)| *k)
            .collect();
        for k in &forgotten {
            m.records.remove(k);
            changes.push(Change::Remove(*k));
        }
        self.rebuild(&m, now);
        PurgeSummary {
            entries: before - forgotten.len(),
            expired: expired - forgotten.len(),
            forgotten: forgotten.len(),
            stale_scores: self.scores.purge_stale(ms(now)),
        }
    }

    /// Entries whose hit counters moved since the last call (for write-back).
    pub(crate) fn dirty(&self) -> Vec<Ban> {
        let m = self.lock();
        m.records.values().filter_map(|e| e.take_dirty()).collect()
    }

    pub(crate) fn get(&self, target: IpNet) -> Option<Ban> {
        self.lock()
            .records
            .get(&normalize_net(target))
            .map(|e| e.current())
    }

    pub(crate) fn list(&self, now: Timestamp) -> Vec<Ban> {
        let mut bans: Vec<Ban> = self
            .lock()
            .records
            .values()
            .filter(|e| e.is_active(now))
            .map(|e| e.current())
            .collect();
        bans.sort_by_key(|b| b.target);
        bans
    }

    pub(crate) fn stats(&self) -> BookStats {
        let m = self.lock();
        let slot = std::mem::size_of::<(IpNet, Arc<Entry>)>() + 1;
        let entries_bytes: usize = m
            .records
            .values()
            .map(|e| std::mem::size_of::<Entry>() + 16 + e.ban.reason.capacity())
            .sum();
        BookStats {
            entries: m.records.len(),
            max_entries: self.config.max_entries,
            bytes: m.records.capacity() * slot + entries_bytes + self.snapshot.load().bytes(),
            evictions: self.evictions.load(Ordering::Relaxed),
            scores: self.scores.len(),
            max_scores: self.scores.capacity(),
            score_bytes: self.scores.approx_bytes(),
            score_evictions: self.scores.evictions(),
            outages: 0,
        }
    }
}
