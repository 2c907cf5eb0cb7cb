//! The black book as the console shows and edits it: listed and searched, banned into by hand
//! (with the CLI's target syntax), unbanned from.

use ipnet::IpNet;
use palisade_core::Timestamp;
use palisade_state::{Ban, BanRequest, BanSource, State};
use serde::{Deserialize, Serialize};

use super::given;
use crate::error::ConsoleError;

/// The longest reason a manual ban may carry.
pub const MAX_REASON: usize = 500;

/// A black book entry as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BanView {
    /// The address or network.
    pub target: String,
    /// Why.
    pub reason: String,
    /// Who decided (`rule`, `manual`, …).
    pub source: String,
    /// Checks that matched it.
    pub hits: u64,
    /// When it lifts (RFC 3339), `None` when permanent.
    pub expires_at: Option<String>,
}

impl From<&Ban> for BanView {
    fn from(b: &Ban) -> Self {
        BanView {
            target: b.target.to_string(),
            reason: b.reason.clone(),
            source: b.source.as_str().to_owned(),
            hits: b.hits,
            expires_at: b.expires_at.map(Timestamp::rfc3339),
        }
    }
}

fn book(book: Option<&dyn State>) -> Result<&dyn State, ConsoleError> {
    book.ok_or_else(|| ConsoleError::Unavailable("no black book is configured".into()))
}

/// Active bans whose target or reason contains `q` (case-insensitive), sorted by target.
pub fn blackbook(
    state: Option<&dyn State>,
    q: Option<&str>,
    now: Timestamp,
) -> Result<Vec<BanView>, ConsoleError> {
    let needle = q.map(str::trim).unwrap_or("").to_lowercase();
    Ok(book(state)?
        .list(now)
        .iter()
        .map(BanView::from)
        .filter(|b| {
            needle.is_empty()
                || b.target.to_lowercase().contains(&needle)
                || b.reason.to_lowercase().contains(&needle)
        })
        .collect())
}

/// A manual ban as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BanInput {
    /// An address or CIDR network.
    #[serde(default)]
    pub target: String,
    /// How long (`1h`, `7d`); empty or absent: permanent.
    #[serde(default)]
    pub ttl: Option<String>,
    /// Why, for the other admins.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Parses a target the way the CLI does, naming `field` when it is wrong.
pub fn parse_target(field: &'static str, s: &str) -> Result<IpNet, ConsoleError> {
    if s.trim().is_empty() {
        return Err(ConsoleError::bad(
            field,
            "an IP address or CIDR network is required",
        ));
    }
    palisade_state::net::parse_target(s).map_err(|e| ConsoleError::bad(field, e))
}

/// Bans by hand.
pub fn ban(
    state: Option<&dyn State>,
    input: &BanInput,
    now: Timestamp,
) -> Result<BanView, ConsoleError> {
    let target = parse_target("target", &input.target)?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("banned from the console");
    if reason.chars().count() > MAX_REASON {
        return Err(ConsoleError::bad(
            "reason",
            format!("longer than {MAX_REASON} characters"),
        ));
    }
    let request = match given(&input.ttl) {
        None => BanRequest::permanent(target, BanSource::Manual, reason),
        Some(ttl) => {
            let d = humantime::parse_duration(ttl)
                .map_err(|e| ConsoleError::bad("ttl", format!("`{ttl}` is not a duration: {e}")))?;
            if d.is_zero() {
                return Err(ConsoleError::bad("ttl", "must be longer than zero"));
            }
            BanRequest::lasting(target, BanSource::Manual, reason, d, now)
        }
    };
    book(state)?
        .ban(request, now)
        .map(|b| BanView::from(&b))
        .map_err(|e| ConsoleError::Unavailable(format!("black book: {e}")))
}

/// Lifts a ban; `NotFound` when there was none for exactly that target.
pub fn unban(
    state: Option<&dyn State>,
    target: &str,
    now: Timestamp,
) -> Result<BanView, ConsoleError> {
    let target = parse_target("target", target)?;
    match book(state)?
        .unban(target, now)
        .map_err(|e| ConsoleError::Unavailable(format!("black book: {e}")))?
    {
        Some(b) => Ok(BanView::from(&b)),
        None => Err(ConsoleError::NotFound(format!(
            "{target} is not in the black book"
        ))),
    }
}
