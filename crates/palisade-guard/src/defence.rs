//! The black book and rate-limit phases' glue: their settings, offences turned into bans
//! (each new ban an `ip_banned` event), throttled `rate_limited` events, and the upkeep loop
//! that picks up bans other processes wrote and purges expired state.
//!
//! [`Defences`] is shared by the proxy phases and the admin API, so a ban is the same ban
//! wherever it comes from.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use palisade_auth::Decision;
use palisade_core::{Category, Emit, Event, Severity, Timestamp};
use palisade_state::ratelimit::{ConnLimiter, Decision as RateDecision, PolicyId, RateLimiter};
use palisade_state::{Ban, BanRequest, BanSource, Offence, RedisState, State, StateError};

use crate::auth::AuthRuntime;

/// What a banned client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanAnswer {
    /// `403 Forbidden` (default).
    Forbidden,
    /// `429 Too Many Requests`, with a `Retry-After` when the ban expires.
    TooManyRequests,
    /// Wait this long, then `403`: slows down tools that retry at once.
    Tarpit(Duration),
}

/// The black book, validated.
#[derive(Clone)]
pub struct BlackbookSettings {
    /// The backend (memory or SQLite).
    pub state: Arc<dyn State>,
    /// What a banned client gets.
    pub answer: BanAnswer,
    /// How often to pick up bans other processes (`palisade blackbook ban`) wrote.
    pub refresh: Duration,
    /// The same black book when it is shared through Redis: rate limits and login failure
    /// counts are then shared by every guard too.
    pub cluster: Option<Arc<RedisState>>,
}

impl fmt::Debug for BlackbookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlackbookSettings")
            .field("entries", &self.state.stats().entries)
            .field("answer", &self.answer)
            .field("refresh", &self.refresh)
            .finish()
    }
}

/// One `[[ratelimit.rule]]`: requests whose path starts with `prefix` (and, when given,
/// with this method) count against `policy` too.
#[derive(Debug, Clone)]
pub struct RateRule {
    /// Path prefix.
    pub prefix: String,
    /// Only this method, when set.
    pub method: Option<http::Method>,
    /// The rule's quota in the limiter.
    pub policy: PolicyId,
}

/// Rate limits, validated.
#[derive(Clone)]
pub struct RateLimitSettings {
    /// The limiter holding every quota.
    pub limiter: Arc<RateLimiter>,
    /// The per-client quota every request counts against, if any.
    pub global: Option<PolicyId>,
    /// Route rules, first match wins.
    pub rules: Vec<RateRule>,
    /// Open connections per client, counted at accept.
    pub connections: Option<ConnLimiter>,
    /// At most one `rate_limited` event per client per this long.
    pub event_every: Duration,
}

impl fmt::Debug for RateLimitSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitSettings")
            .field("global", &self.global)
            .field("rules", &self.rules)
            .field("connections", &self.connections.is_some())
            .field("event_every", &self.event_every)
            .finish()
    }
}

impl RateLimitSettings {
    /// The rule for a request, if one matches.
    pub fn rule(&self, method: &http::Method, path: &str) -> Option<&RateRule> {
        self.rules
            .iter()
            .find(|r| path.starts_with(&r.prefix) && r.method.as_ref().is_none_or(|m| m == method))
    }
}

/// A ban of `ip` for `ttl` from now.
fn ban_request(
    ip: IpAddr,
    ttl: Duration,
    source: BanSource,
    reason: &str,
) -> (BanRequest, Timestamp) {
    let now = Timestamp::now();
    (
        BanRequest::lasting(IpNet::from(ip), source, reason, ttl, now),
        now,
    )
}

/// The bans the decisions ask for: (ip, ttl, source, reason as the black book keeps it).
fn bans_of(
    decisions: &[Decision],
    req: Option<&dyn Origin>,
) -> Vec<(IpAddr, Duration, BanSource, String)> {
    decisions
        .iter()
        .filter_map(|d| {
            let (ip, ttl) = d.ban()?;
            let source = match d {
                Decision::LoginReported { .. } => BanSource::Report,
                _ => BanSource::Rule,
            };
            let reason = d.to_event().message;
            let reason = match req {
                Some(r) => r.reason(reason),
                None => reason,
            };
            Some((ip, ttl, source, reason))
        })
        .collect()
}

/// A `429`: the quota's name and the headers it carries.
pub(crate) struct RateRefusal {
    pub name: String,
    pub retry: Option<String>,
    pub policy: String,
    pub state: String,
}

impl RateRefusal {
    pub fn of(d: &RateDecision<'_>) -> Self {
        RateRefusal {
            name: d.quota.name().to_owned(),
            retry: d.retry_after_header(),
            policy: d.policy_header(),
            state: d.ratelimit_header(),
        }
    }
}

/// The request an event is about.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestInfo {
    pub id: String,
    pub method: String,
    pub host: Option<String>,
    pub path: String,
}

/// Where a decision came from, written into its events: a request through the guard, or a
/// log line `palisade watch` read.
pub(crate) trait Origin: Sync {
    /// Adds what is known of the origin to an event.
    fn stamp(&self, event: Event) -> Event;
    /// A ban's reason, as the black book keeps it.
    fn reason(&self, reason: String) -> String {
        reason
    }
}

impl Origin for RequestInfo {
    fn stamp(&self, event: Event) -> Event {
        event.with_request(
            self.id.clone(),
            self.method.clone(),
            self.host.clone(),
            self.path.clone(),
        )
    }
}

/// Remembers when each client last got an event, in bounded memory.
struct Throttle {
    every: Duration,
    last: Mutex<HashMap<IpAddr, Instant>>,
}

const THROTTLE_CAP: usize = 10_000;

impl Throttle {
    fn new(every: Duration) -> Self {
        Throttle {
            every,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// True when `ip` may have another event now.
    fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last
            .get(&ip)
            .is_some_and(|t| now.saturating_duration_since(*t) < self.every)
        {
            return false;
        }
        if last.len() >= THROTTLE_CAP {
            last.retain(|_, t| now.saturating_duration_since(*t) < self.every);
            if last.len() >= THROTTLE_CAP {
                // A spray of addresses: forgetting means at worst one extra event each.
                last.clear();
            }
        }
        last.insert(ip, now);
        true
    }
}

/// The black book, rate limits and login monitor, shared by the proxy and the admin API.
pub(crate) struct Defences {
    pub events: Arc<dyn Emit>,
    pub book: Option<BlackbookSettings>,
    pub limits: Option<RateLimitSettings>,
    pub auth: Option<AuthRuntime>,
    throttle: Throttle,
}

impl Defences {
    pub fn new(
        events: Arc<dyn Emit>,
        book: Option<BlackbookSettings>,
        limits: Option<RateLimitSettings>,
        auth: Option<AuthRuntime>,
    ) -> Self {
        let every = limits
            .as_ref()
            .map_or(Duration::from_secs(60), |l| l.event_every);
        Defences {
            events,
            book,
            limits,
            auth,
            throttle: Throttle::new(every),
        }
    }

    /// Counts an offence toward the client's score; a resulting ban is announced. For
    /// threads without a runtime (log sources); the proxy uses [`Defences::offence_async`].
    pub fn offence(&self, offence: &Offence, req: Option<&dyn Origin>) {
        let Some(book) = &self.book else { return };
        self.recorded(book.state.record(offence, Timestamp::now()), offence, req);
    }

    /// [`Defences::offence`] without holding the worker thread while a shared black book
    /// decides.
    pub async fn offence_async(&self, offence: &Offence, req: Option<&dyn Origin>) {
        let Some(book) = &self.book else { return };
        let answer = book.state.record_async(offence, Timestamp::now()).await;
        self.recorded(answer, offence, req);
    }

    fn recorded(
        &self,
        answer: Result<Option<Ban>, StateError>,
        offence: &Offence,
        req: Option<&dyn Origin>,
    ) {
        match answer {
            Ok(Some(ban)) => self.announce(&ban, offence.ip, req),
            Ok(None) => {}
            Err(e) => tracing::warn!("black book: {e}"),
        }
    }

    /// The Redis state shared by every guard, when the black book is on Redis.
    pub fn cluster(&self) -> Option<&Arc<RedisState>> {
        self.book.as_ref().and_then(|b| b.cluster.as_ref())
    }

    /// Bans `ip` for `ttl` (the auth monitor's or a report's decision); announced. For
    /// threads without a runtime; the proxy uses [`Defences::ban_ip_async`].
    pub fn ban_ip(
        &self,
        ip: IpAddr,
        ttl: Duration,
        source: BanSource,
        reason: &str,
        req: Option<&dyn Origin>,
    ) -> Option<Ban> {
        let book = self.book.as_ref()?;
        let (request, now) = ban_request(ip, ttl, source, reason);
        self.banned(book.state.ban(request, now), ip, req)
    }

    /// [`Defences::ban_ip`] without holding the worker thread while a shared black book
    /// stores it.
    pub async fn ban_ip_async(
        &self,
        ip: IpAddr,
        ttl: Duration,
        source: BanSource,
        reason: &str,
        req: Option<&dyn Origin>,
    ) -> Option<Ban> {
        let book = self.book.as_ref()?;
        let (request, now) = ban_request(ip, ttl, source, reason);
        let answer = book.state.ban_async(request, now).await;
        self.banned(answer, ip, req)
    }

    fn banned(
        &self,
        answer: Result<Ban, StateError>,
        ip: IpAddr,
        req: Option<&dyn Origin>,
    ) -> Option<Ban> {
        match answer {
            Ok(ban) => {
                self.announce(&ban, ip, req);
                Some(ban)
            }
            Err(StateError::Allowlisted(_)) => None,
            Err(e) => {
                tracing::warn!("black book: {e}");
                None
            }
        }
    }

    /// The `ip_banned` event of a new ban.
    pub fn announce(&self, ban: &Ban, ip: IpAddr, req: Option<&dyn Origin>) {
        self.events.emit(ban_event(ban, Some(ip), req));
    }

    /// A client went over a rate limit: a throttled event, and a small offence.
    pub async fn rate_limited(&self, ip: IpAddr, quota: &str, req: &dyn Origin) {
        if !self.throttle.allow(ip, Instant::now()) {
            return;
        }
        let event = Event::new(
            Category::RateLimited,
            Severity::Low,
            format!("rate limit `{quota}` exceeded"),
        )
        .with_source_ip(ip)
        .with_field("quota", quota);
        self.events.emit(req.stamp(event));
        self.offence_async(
            &Offence::new(ip, Category::RateLimited, format!("rate limit `{quota}`")),
            Some(req),
        )
        .await;
    }

    /// Acts on the login monitor's decisions: each becomes an event; bans first (so a ban
    /// is not announced twice by the scores), then offences, then mails. For threads
    /// without a runtime; the proxy uses [`Defences::decide_async`].
    pub fn decide(&self, decisions: Vec<Decision>, req: Option<&dyn Origin>) {
        for (ip, ttl, source, reason) in bans_of(&decisions, req) {
            self.ban_ip(ip, ttl, source, &reason, req);
        }
        for o in self.decided(decisions, req) {
            self.offence(&o, req);
        }
    }

    /// [`Defences::decide`], storing bans and offences without holding the worker thread.
    pub async fn decide_async(&self, decisions: Vec<Decision>, req: Option<&dyn Origin>) {
        for (ip, ttl, source, reason) in bans_of(&decisions, req) {
            self.ban_ip_async(ip, ttl, source, &reason, req).await;
        }
        for o in self.decided(decisions, req) {
            self.offence_async(&o, req).await;
        }
    }

    /// Events and mails of the decisions; returns the offences to record.
    fn decided(&self, decisions: Vec<Decision>, req: Option<&dyn Origin>) -> Vec<Offence> {
        let mut offences = Vec::new();
        for d in decisions {
            let mut event = d.to_event();
            if let Some(r) = req {
                event = r.stamp(event);
            }
            let offence = match &d {
                Decision::StuffingFromIp { ip, .. } => Some(Offence::new(
                    *ip,
                    Category::CredentialStuffing,
                    event.message.clone(),
                )),
                // The origin may have named the failure's service (`ssh_auth_failure`).
                Decision::AuthFailure { ip, .. } => Some(Offence::new(
                    *ip,
                    event.category.clone(),
                    event.message.clone(),
                )),
                _ => None,
            };
            self.events.emit(event);
            offences.extend(offence);
            if let (Decision::NewIpLogin { .. }, Some(auth)) = (&d, &self.auth) {
                auth.mail_new_ip(&d);
            }
        }
        offences
    }

    /// Starts the upkeep thread: picks up other processes' bans every `refresh`, and once a
    /// minute drops expired entries, decayed scores and refilled rate-limit buckets.
    pub fn start_upkeep(self: &Arc<Self>) {
        if self.book.is_none() && self.limits.is_none() && self.auth.is_none() {
            return;
        }
        let me = Arc::downgrade(self);
        let refresh = self
            .book
            .as_ref()
            .map_or(Duration::from_secs(60), |b| b.refresh)
            .max(Duration::from_millis(100));
        let spawned = std::thread::Builder::new()
            .name("palisade-upkeep".into())
            .spawn(move || {
                let mut last_purge = Instant::now();
                loop {
                    std::thread::sleep(refresh);
                    let Some(me) = me.upgrade() else { return };
                    let now = Timestamp::now();
                    if let Some(auth) = &me.auth {
                        auth.persist_learned();
                    }
                    if let Some(book) = &me.book
                        && let Err(e) = book.state.refresh(now)
                    {
                        tracing::warn!("black book refresh: {e}");
                    }
                    if last_purge.elapsed() >= Duration::from_secs(60) {
                        last_purge = Instant::now();
                        if let Some(book) = &me.book
                            && let Err(e) = book.state.maintain(now)
                        {
                            tracing::warn!("black book upkeep: {e}");
                        }
                        if let Some(l) = &me.limits {
                            l.limiter.purge(Instant::now());
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the black book upkeep thread: {e}");
        }
    }
}

/// The `ip_banned` event for a ban (`ip`: the client that triggered it, when one did).
pub(crate) fn ban_event(ban: &Ban, ip: Option<IpAddr>, req: Option<&dyn Origin>) -> Event {
    let until = ban
        .expires_at
        .map_or_else(|| "permanent".to_owned(), Timestamp::rfc3339);
    let mut event = Event::new(
        Category::IpBanned,
        Severity::High,
        format!("{} banned: {}", ban.target, ban.reason),
    )
    .with_source_ip(ip.unwrap_or(ban.target.addr()))
    .with_field("target", ban.target.to_string())
    .with_field("source", ban.source.as_str())
    .with_field("until", until)
    .with_field("bans", ban.bans.to_string());
    if let Some(r) = req {
        event = r.stamp(event);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_allows_one_event_per_interval() {
        let t = Throttle::new(Duration::from_secs(60));
        let ip: IpAddr = "203.0.113.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let now = Instant::now();
        assert!(t.allow(ip, now));
        assert!(!t.allow(ip, now + Duration::from_secs(30)));
        assert!(t.allow(ip, now + Duration::from_secs(61)));
    }
}
