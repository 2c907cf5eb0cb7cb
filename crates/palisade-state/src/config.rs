//! Runtime settings of the black book (validated values; the binary maps `palisade.toml`
//! onto them).

use std::collections::BTreeMap;
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::Category;

use crate::error::StateError;

/// The black book's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BookConfig {
    /// Most entries (active bans plus expired ones remembered for repeat offences). When full,
    /// expired entries go first, then automatic and imported bans closest to expiry; manual
    /// bans are never evicted. Default 100 000.
    pub max_entries: usize,
    /// Addresses and networks never banned; checked before any ban and wins. Default empty.
    pub allowlist: Vec<IpNet>,
    /// How long an expired ban is remembered so that a repeat offender gets a longer one.
    /// Default 30 days.
    pub repeat_memory: Duration,
    /// Automatic decisions about an IPv6 client apply to its `/ipv6_prefix`. Default 64.
    pub ipv6_prefix: u8,
    /// Offence scoring.
    pub scoring: ScoreConfig,
}

impl Default for BookConfig {
    fn default() -> Self {
        BookConfig {
            max_entries: 100_000,
            allowlist: Vec::new(),
            repeat_memory: Duration::from_secs(30 * 24 * 3600),
            ipv6_prefix: 64,
            scoring: ScoreConfig::default(),
        }
    }
}

/// Score-based automatic bans: each offence adds its kind's weight to the client's score,
/// which halves every `half_life`; reaching `threshold` bans the client for
/// `base_ttl × ttl_factor^(previous bans)`, at most `max_ttl`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreConfig {
    /// The score that triggers a ban. Default 100.
    pub threshold: f64,
    /// Scores halve after this long without offences. Default 10 minutes.
    pub half_life: Duration,
    /// Weight per event kind. Defaults: scanner 50, brute_force 100, credential_stuffing 100,
    /// malicious_traffic 25, sensitive_file_probe 20, auth_failure 10, rate_limited 5.
    pub weights: BTreeMap<Category, f64>,
    /// Weight of kinds not in `weights`. Default 10.
    pub default_weight: f64,
    /// First ban length. Default 15 minutes.
    pub base_ttl: Duration,
    /// Each previous ban multiplies the length by this (≥ 1). Default 4.
    pub ttl_factor: f64,
    /// Longest automatic ban. Default 7 days.
    pub max_ttl: Duration,
    /// Most clients with a live score; when full, decayed scores go first, then the oldest.
    /// Default 100 000.
    pub max_tracked: usize,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        let weights = [
            (Category::Scanner, 50.0),
            (Category::BruteForce, 100.0),
            (Category::CredentialStuffing, 100.0),
            (Category::MaliciousTraffic, 25.0),
            (Category::SensitiveFileProbe, 20.0),
            (Category::AuthFailure, 10.0),
            (Category::RateLimited, 5.0),
        ]
        .into_iter()
        .collect();
        ScoreConfig {
            threshold: 100.0,
            half_life: Duration::from_secs(600),
            weights,
            default_weight: 10.0,
            base_ttl: Duration::from_secs(15 * 60),
            ttl_factor: 4.0,
            max_ttl: Duration::from_secs(7 * 24 * 3600),
            max_tracked: 100_000,
        }
    }
}

impl ScoreConfig {
    /// The weight of one offence of this kind.
    pub fn weight(&self, kind: &Category) -> f64 {
        if let Some(w) = self.weights.get(kind) {
            return *w;
        }
        // A service's failed login weighs what a failed login weighs, unless given its own.
        let login = matches!(
            kind,
            Category::SshAuthFailure | Category::FtpAuthFailure | Category::MailAuthFailure
        );
        match self.weights.get(&Category::AuthFailure) {
            Some(w) if login => *w,
            _ => self.default_weight,
        }
    }

    /// The length of a ban after `previous` earlier ones.
    pub fn ttl(&self, previous: u32) -> Duration {
        let secs = self.base_ttl.as_secs_f64()
            * self
                .ttl_factor
                .powi(i32::try_from(previous).unwrap_or(i32::MAX));
        let max = self.max_ttl.as_secs_f64();
        Duration::from_secs_f64(if secs.is_finite() { secs.min(max) } else { max })
    }
}

impl BookConfig {
    pub(crate) fn validate(&self) -> Result<(), StateError> {
        let s = &self.scoring;
        let bad = |m: &str| Err(StateError::Config(m.to_owned()));
        if self.max_entries == 0 || s.max_tracked == 0 {
            return bad("max_entries and scoring.max_tracked must be at least 1");
        }
        if self.ipv6_prefix > 128 {
            return bad("ipv6_prefix must be at most 128");
        }
        if !(s.threshold.is_finite() && s.threshold > 0.0) {
            return bad("scoring.threshold must be a positive number");
        }
        if !(s.ttl_factor.is_finite() && s.ttl_factor >= 1.0) {
            return bad("scoring.ttl_factor must be at least 1");
        }
        if s.half_life.is_zero() || s.base_ttl.is_zero() || s.max_ttl < s.base_ttl {
            return bad("scoring: half_life and base_ttl must be positive, max_ttl >= base_ttl");
        }
        if s.weights
            .values()
            .chain([&s.default_weight])
            .any(|w| !w.is_finite() || *w < 0.0)
        {
            return bad("scoring weights must be finite and not negative");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_grows_and_is_capped() {
        let s = ScoreConfig::default();
        assert_eq!(s.ttl(0), Duration::from_secs(900));
        assert_eq!(s.ttl(1), Duration::from_secs(3600));
        assert_eq!(s.ttl(2), Duration::from_secs(4 * 3600));
        assert_eq!(s.ttl(10), s.max_ttl);
        assert_eq!(s.ttl(u32::MAX), s.max_ttl);
    }

    #[test]
    fn defaults_validate_and_nonsense_does_not() {
        assert!(BookConfig::default().validate().is_ok());
        let mut c = BookConfig::default();
        c.scoring.threshold = 0.0;
        assert!(c.validate().is_err());
        let c = BookConfig {
            ipv6_prefix: 129,
            ..BookConfig::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn service_login_failures_weigh_what_auth_failure_weighs() {
        let mut s = ScoreConfig::default();
        assert_eq!(s.weight(&Category::SshAuthFailure), 10.0);
        s.weights.insert(Category::AuthFailure, 0.0);
        assert_eq!(s.weight(&Category::FtpAuthFailure), 0.0);
        s.weights.insert(Category::FtpAuthFailure, 3.0);
        assert_eq!(s.weight(&Category::FtpAuthFailure), 3.0);
        s.weights.clear();
        assert_eq!(s.weight(&Category::MailAuthFailure), s.default_weight);
    }
}
