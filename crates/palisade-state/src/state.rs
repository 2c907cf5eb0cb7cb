//! The `State` trait the guard and CLI talk to, and its in-memory backend.
//!
//! # Why a trait object
//!
//! The backend is chosen by configuration at start (`memory`, `sqlite`, `redis`), so
//! the guard holds an `Arc<dyn State>`; the trait is object-safe for that. The dynamic call
//! costs about a nanosecond against a ~30 ns lookup. Its shape suits a Redis backend too:
//! no SQLite types; `check` is synchronous and infallible because every backend answers it
//! from a local in-memory snapshot (the Redis one keeps it current from pub/sub), and
//! writes return `Result` so a remote store can fail without lying.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use ipnet::IpNet;
use palisade_core::Timestamp;

use crate::ban::{Ban, BanRequest, Offence, Verdict};
use crate::book::BlackBook;
use crate::config::BookConfig;
use crate::error::StateError;
use crate::stats::{BookStats, ImportSummary, PurgeSummary};

/// A boxed future, for the trait's async methods (it stays object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The black book and offence scores, whatever stores them.
pub trait State: Send + Sync {
    /// The hot path: is `ip` banned at `now`? Lock-free; the allowlist is checked first and
    /// wins; expired bans count as absent; IPv4-mapped IPv6 addresses are treated as IPv4.
    /// A banned answer counts a hit on the matching entry.
    fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict;

    /// True when `ip` is on the allowlist (never banned; callers may also skip limits).
    fn is_allowlisted(&self, ip: IpAddr) -> bool;

    /// Adds an offence to the client's decaying score. When that crosses the threshold the
    /// client (its /64 for IPv6) is banned for a TTL that grows with its previous bans, and
    /// the new ban is returned so the caller can emit an `ip_banned` event.
    fn record(&self, offence: &Offence, now: Timestamp) -> Result<Option<Ban>, StateError>;

    /// [`State::record`] for callers on an async runtime (the guard). A backend whose
    /// decision needs a network round trip makes it without holding the caller's thread;
    /// the local backends answer at once.
    fn record_async<'a>(
        &'a self,
        offence: &'a Offence,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Option<Ban>, StateError>> {
        Box::pin(std::future::ready(self.record(offence, now)))
    }

    /// Bans (or re-bans, replacing reason, source and expiry) an address or network.
    fn ban(&self, request: BanRequest, now: Timestamp) -> Result<Ban, StateError>;

    /// [`State::ban`] for callers on an async runtime, as [`State::record_async`].
    fn ban_async(
        &self,
        request: BanRequest,
        now: Timestamp,
    ) -> BoxFuture<'_, Result<Ban, StateError>> {
        Box::pin(std::future::ready(self.ban(request, now)))
    }

    /// Removes an entry (and its repeat-offence memory); returns it when there was one.
    fn unban(&self, target: IpNet, now: Timestamp) -> Result<Option<Ban>, StateError>;

    /// The entry for exactly this address or network, active or remembered.
    fn get(&self, target: IpNet) -> Option<Ban>;

    /// Active bans, sorted by target.
    fn list(&self, now: Timestamp) -> Vec<Ban>;

    /// Adds many bans at once (one snapshot rebuild). Expired and allowlisted ones are
    /// skipped, and an active manual ban is kept over an imported one.
    fn import(
        &self,
        requests: Vec<BanRequest>,
        now: Timestamp,
    ) -> Result<ImportSummary, StateError>;

    /// Periodic upkeep (every minute or so): drops expired bans from the lookup snapshot,
    /// forgets those past `repeat_memory`, drops decayed scores, and persists hit counters.
    fn maintain(&self, now: Timestamp) -> Result<PurgeSummary, StateError>;

    /// Size accounting.
    fn stats(&self) -> BookStats;

    /// Picks up changes other processes made to shared storage (every few seconds); true
    /// when the book was reloaded. Backends without shared storage have nothing to do.
    fn refresh(&self, now: Timestamp) -> Result<bool, StateError> {
        let _ = now;
        Ok(false)
    }
}

/// The in-memory backend: everything is lost on restart. For tests, demos, and instances
/// that only need rate-of-attack bans.
pub struct MemoryState {
    book: BlackBook,
}

impl MemoryState {
    /// An empty black book.
    pub fn new(config: BookConfig) -> Result<Self, StateError> {
        Ok(MemoryState {
            book: BlackBook::new(config)?,
        })
    }
}

impl State for MemoryState {
    fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict {
        self.book.check(ip, now)
    }

    fn is_allowlisted(&self, ip: IpAddr) -> bool {
        self.book.is_allowlisted(ip)
    }

    fn record(&self, offence: &Offence, now: Timestamp) -> Result<Option<Ban>, StateError> {
        self.book.record(offence, now, &mut Vec::new())
    }

    fn ban(&self, request: BanRequest, now: Timestamp) -> Result<Ban, StateError> {
        self.book.ban(request, now, &mut Vec::new())
    }

    fn unban(&self, target: IpNet, now: Timestamp) -> Result<Option<Ban>, StateError> {
        Ok(self.book.unban(target, now, &mut Vec::new()))
    }

    fn get(&self, target: IpNet) -> Option<Ban> {
        self.book.get(target)
    }

    fn list(&self, now: Timestamp) -> Vec<Ban> {
        self.book.list(now)
    }

    fn import(
        &self,
        requests: Vec<BanRequest>,
        now: Timestamp,
    ) -> Result<ImportSummary, StateError> {
        self.book.import(requests, now, &mut Vec::new())
    }

    fn maintain(&self, now: Timestamp) -> Result<PurgeSummary, StateError> {
        let summary = self.book.purge(now, &mut Vec::new());
        self.book.dirty();
        Ok(summary)
    }

    fn stats(&self) -> BookStats {
        self.book.stats()
    }
}
