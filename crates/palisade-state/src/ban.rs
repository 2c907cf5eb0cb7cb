//! What the black book holds and answers: bans, where they came from, and the verdict for a
//! client address.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::{Category, Timestamp};
use serde::{Deserialize, Serialize};

/// Who put a ban in the black book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BanSource {
    /// Offence scoring crossed the threshold (automatic).
    Rule,
    /// An operator (`palisade blackbook ban`, the admin API).
    Manual,
    /// Another system reported the address (a peer instance, an app callback).
    Report,
    /// A list imported from a file (fail2ban, CrowdSec, another palisade).
    Import,
}

impl BanSource {
    /// Every source, in declaration order.
    pub const ALL: [BanSource; 4] = [
        BanSource::Rule,
        BanSource::Manual,
        BanSource::Report,
        BanSource::Import,
    ];

    /// The lowercase name, as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            BanSource::Rule => "rule",
            BanSource::Manual => "manual",
            BanSource::Report => "report",
            BanSource::Import => "import",
        }
    }
}

impl fmt::Display for BanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BanSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BanSource::ALL
            .into_iter()
            .find(|src| src.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a ban source (rule, manual, report, import)"))
    }
}

/// One entry of the black book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    /// The banned address or network (normalised: see [`crate::net`]).
    pub target: IpNet,
    /// Why, for humans (`sqli in query`, `imported from crowdsec`).
    pub reason: String,
    /// Who decided.
    pub source: BanSource,
    /// When the target was first banned (kept across re-bans while it is remembered).
    pub first_seen: Timestamp,
    /// The last ban, offence or refused request.
    pub last_seen: Timestamp,
    /// Requests refused because of this entry.
    pub hits: u64,
    /// When it lifts; `None` is permanent.
    pub expires_at: Option<Timestamp>,
    /// How many times the target has been banned (drives the growing TTL of repeat offenders).
    pub bans: u32,
}

impl Ban {
    /// True when in force at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }

    /// The hot-path summary of this ban.
    pub fn info(&self) -> BanInfo {
        BanInfo {
            target: self.target,
            source: self.source,
            expires_at: self.expires_at,
        }
    }
}

/// What [`crate::State::check`] says about a banned client: small and `Copy`, so the hot path
/// never allocates. The full [`Ban`] (reason, counters) is one [`crate::State::get`] away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanInfo {
    /// The entry that matched (the most specific one).
    pub target: IpNet,
    /// Who decided.
    pub source: BanSource,
    /// When it lifts; `None` is permanent.
    pub expires_at: Option<Timestamp>,
}

impl BanInfo {
    /// Time left at `now`, for a `Retry-After` on a 429 answer; `None` when permanent.
    pub fn remaining(&self, now: Timestamp) -> Option<Duration> {
        self.expires_at
            .map(|t| Duration::from_millis(u64::try_from(t.0 - now.0).unwrap_or(0)))
    }
}

/// The black book's answer for one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not banned (or on the allowlist): go on with the request.
    Allowed,
    /// Banned: answer 403 (or the configured 429/tarpit) before any other work.
    Banned(BanInfo),
}

impl Verdict {
    /// True for [`Verdict::Banned`].
    pub fn is_banned(&self) -> bool {
        matches!(self, Verdict::Banned(_))
    }
}

/// A ban to put in the black book (manual, reported or imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanRequest {
    /// The address or network.
    pub target: IpNet,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub source: BanSource,
    /// When it lifts; `None` is permanent.
    pub expires_at: Option<Timestamp>,
}

impl BanRequest {
    /// A permanent ban of `target` (normalised here).
    pub fn permanent(target: IpNet, source: BanSource, reason: impl Into<String>) -> Self {
        BanRequest {
            target: crate::net::normalize_net(target),
            reason: reason.into(),
            source,
            expires_at: None,
        }
    }

    /// A ban of `target` lasting `ttl` from `now`.
    pub fn lasting(
        target: IpNet,
        source: BanSource,
        reason: impl Into<String>,
        ttl: Duration,
        now: Timestamp,
    ) -> Self {
        BanRequest::permanent(target, source, reason).until(Some(add(now, ttl)))
    }

    /// Sets when it lifts (`None`: permanent).
    pub fn until(mut self, expires_at: Option<Timestamp>) -> Self {
        self.expires_at = expires_at;
        self
    }
}

/// Something a client did that counts toward an automatic ban.
#[derive(Debug, Clone, PartialEq)]
pub struct Offence {
    /// The client.
    pub ip: IpAddr,
    /// What kind of event it was; its weight comes from [`crate::ScoreConfig::weights`].
    pub kind: Category,
    /// Why, for the ban's reason if this offence triggers one.
    pub reason: String,
    /// A score that overrides the configured weight (e.g. a detection's own score).
    pub score: Option<f64>,
}

impl Offence {
    /// An offence weighted by its kind.
    pub fn new(ip: IpAddr, kind: Category, reason: impl Into<String>) -> Self {
        Offence {
            ip,
            kind,
            reason: reason.into(),
            score: None,
        }
    }

    /// Uses this score instead of the kind's configured weight.
    pub fn with_score(mut self, score: f64) -> Self {
        self.score = Some(score);
        self
    }
}

/// `t + d`, saturating.
pub(crate) fn add(t: Timestamp, d: Duration) -> Timestamp {
    Timestamp(t.0.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
}
