//! GCRA arithmetic (pure) and the quota it enforces.

use std::time::Duration;

use crate::error::StateError;

/// A rate limit: `rate` requests per `period`, with up to `burst` at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    name: String,
    rate: u32,
    period: Duration,
    burst: u32,
    /// Nanoseconds between two requests at the sustained rate.
    pub(crate) interval: u64,
    /// Nanoseconds of credit a full bucket holds (`burst × interval`).
    pub(crate) tolerance: u64,
}

impl Quota {
    /// `rate` requests per `period`, `burst` at once. The name appears in the `RateLimit`
    /// headers: 1–64 of `A-Z a-z 0-9 _ - . :`.
    pub fn new(
        name: impl Into<String>,
        rate: u32,
        period: Duration,
        burst: u32,
    ) -> Result<Self, StateError> {
        let name = name.into();
        let bad = |m: String| Err(StateError::Config(m));
        if name.is_empty()
            || name.len() > 64
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        {
            return bad(format!(
                "rate limit name `{name}` must be 1-64 of A-Z a-z 0-9 _ - . :"
            ));
        }
        if rate == 0 || burst == 0 || period.is_zero() {
            return bad(format!(
                "rate limit `{name}`: rate, burst and period must be positive"
            ));
        }
        let interval = u64::try_from(period.as_nanos() / u128::from(rate))
            .unwrap_or(u64::MAX)
            .max(1);
        Ok(Quota {
            tolerance: interval.saturating_mul(u64::from(burst)),
            interval,
            name,
            rate,
            period,
            burst,
        })
    }

    /// The name used in headers and metrics.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Requests per period.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Requests allowed at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The time between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval)
    }

    /// The window the `RateLimit-Policy` header advertises: the time a full burst takes to
    /// refill, so "`burst` requests per window" is exactly what GCRA allows.
    pub fn window(&self) -> Duration {
        Duration::from_nanos(self.tolerance)
    }
}

impl Quota {
    /// A quota that never limits (answers for an unknown policy id).
    pub(crate) const fn unlimited() -> Quota {
        Quota {
            name: String::new(),
            rate: u32::MAX,
            period: Duration::from_secs(1),
            burst: u32::MAX,
            interval: 1,
            tolerance: u64::MAX,
        }
    }
}

/// The outcome of one GCRA step, in nanoseconds relative to the limiter's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// The new theoretical arrival time (unchanged when denied).
    pub(crate) tat: u64,
    pub(crate) allowed: bool,
    /// Requests still allowed right now after this one.
    pub(crate) remaining: u32,
    /// Until the bucket is full again.
    pub(crate) reset: u64,
    /// When denied: until the next request would be allowed.
    pub(crate) retry_after: u64,
}

/// One request at `now` against a key whose theoretical arrival time is `tat`.
pub(crate) fn step(q: &Quota, tat: u64, now: u64) -> Step {
    let tat = tat.max(now);
    let next = tat.saturating_add(q.interval);
    let allow_at = next.saturating_sub(q.tolerance);
    if now < allow_at {
        return Step {
            tat,
            allowed: false,
            remaining: 0,
            reset: tat - now,
            retry_after: allow_at - now,
        };
    }
    let credit = now.saturating_add(q.tolerance) - next;
    Step {
        tat: next,
        allowed: true,
        remaining: u32::try_from(credit / q.interval).unwrap_or(u32::MAX),
        reset: next - now,
        retry_after: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_sustained_rate() {
        let q = Quota::new("t", 10, Duration::from_secs(1), 3).unwrap();
        let mut tat = 0;
        let now = 1_000_000_000;
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let s = step(&q, tat, now);
            assert!(s.allowed);
            remaining.push(s.remaining);
            tat = s.tat;
        }
        assert_eq!(remaining, [2, 1, 0]);
        let denied = step(&q, tat, now);
        assert!(!denied.allowed);
        assert_eq!(denied.retry_after, 100_000_000);
        assert_eq!(denied.reset, 300_000_000);
        assert_eq!(denied.tat, tat, "a denied request costs nothing");
        // Exactly one interval later: one more.
        let s = step(&q, tat, now + 100_000_000);
        assert!(s.allowed);
        assert_eq!(s.remaining, 0);
        // A long pause refills the burst, never more.
        let s = step(&q, s.tat, now + 10_000_000_000);
        assert_eq!(s.remaining, 2);
    }

    #[test]
    fn rejects_nonsense() {
        assert!(Quota::new("", 1, Duration::from_secs(1), 1).is_err());
        assert!(Quota::new("a\"b", 1, Duration::from_secs(1), 1).is_err());
        assert!(Quota::new("a", 0, Duration::from_secs(1), 1).is_err());
        assert!(Quota::new("a", 1, Duration::ZERO, 1).is_err());
        assert!(Quota::new("a", 1, Duration::from_secs(1), 0).is_err());
    }
}
