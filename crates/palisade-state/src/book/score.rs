//! Decaying offence scores per client (pure arithmetic; the map around it is bounded).

use palisade_core::Timestamp;

use crate::bounded::Aged;
use crate::config::ScoreConfig;

/// How far below the threshold a score may be and still ban (relative): with the default
/// 10-minute half-life, a second offence of half the threshold still bans up to ~8 s later.
pub(crate) const SLACK: f64 = 0.005;

/// A client's score as of `at`; it halves every `half_life` from there.
pub(crate) struct ScoreCell {
    score: f64,
    at: i64,
    /// When the score will have decayed below 1% of the threshold (then it is as good as gone).
    stale_at: i64,
}

impl ScoreCell {
    pub(crate) fn new(now: Timestamp) -> Self {
        ScoreCell {
            score: 0.0,
            at: now.0,
            stale_at: now.0,
        }
    }

    pub(crate) fn value(&self, now: Timestamp, cfg: &ScoreConfig) -> f64 {
        let dt = (now.0 - self.at).max(0) as f64 / 1000.0;
        self.score * (-dt / cfg.half_life.as_secs_f64()).exp2()
    }

    /// Adds `weight`; true when the threshold is reached.
    pub(crate) fn add(&mut self, weight: f64, now: Timestamp, cfg: &ScoreConfig) -> bool {
        self.score = self.value(now, cfg) + weight;
        self.at = self.at.max(now.0);
        let floor = cfg.threshold * 0.01;
        let halvings = if self.score > floor {
            (self.score / floor).log2()
        } else {
            0.0
        };
        self.stale_at = self.at + (halvings * cfg.half_life.as_secs_f64() * 1000.0) as i64;
        // Offences of one burst add up to the threshold as configured (two scanner hits of
        // 50 make 100) even though the first decayed by a hair in the milliseconds between.
        self.score >= cfg.threshold * (1.0 - SLACK)
    }
}

impl Aged for ScoreCell {
    fn is_stale(&self, now: u64) -> bool {
        now as i64 >= self.stale_at
    }

    fn last_used(&self) -> u64 {
        self.at.max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_by_half_life_and_crosses_threshold() {
        let cfg = ScoreConfig::default(); // threshold 100, half-life 10 min
        let t0 = Timestamp(1_000_000);
        let mut c = ScoreCell::new(t0);
        assert!(!c.add(60.0, t0, &cfg));
        let later = Timestamp(t0.0 + 600_000);
        assert!((c.value(later, &cfg) - 30.0).abs() < 1e-9);
        assert!(!c.add(60.0, later, &cfg)); // 90
        assert!(c.add(10.0, later, &cfg)); // 100
        assert!(!c.is_stale(later.0 as u64));
        // 100 → 1 takes log2(100) ≈ 6.64 half-lives.
        assert!(c.is_stale((later.0 + 7 * 600_000) as u64));
    }
}
