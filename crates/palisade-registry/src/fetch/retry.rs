//! When to try a request again, and how long to wait first. Pure, so the schedule is tested
//! without clocks or servers.

use std::time::Duration;

use reqwest::StatusCode;

/// Statuses that say "not now" rather than "no": the same request may succeed later.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The wait before retry number `retry` (1 for the first retry): `first`, doubled each time,
/// never more than `max`. A `Retry-After` the server sent is honoured up to `max`: waiting
/// less than it asked only earns another 429.
pub(crate) fn delay(
    first: Duration,
    max: Duration,
    retry: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let doublings = retry.saturating_sub(1).min(31);
    let backoff = first.saturating_mul(1 << doublings).min(max);
    match retry_after {
        Some(asked) => backoff.max(asked.min(max)),
        None => backoff,
    }
}

/// `Retry-After` in its delay-seconds form. The HTTP-date form is ignored (the backoff
/// applies): registries send seconds, and a date needs a trustworthy clock on both sides.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let waits: Vec<Duration> = (1..=6)
            .map(|r| delay(100 * MS, 1000 * MS, r, None))
            .collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1000, 1000].map(|n| n * MS).to_vec()
        );
        // Far past any real retry count: no overflow, still the cap.
        assert_eq!(delay(100 * MS, 1000 * MS, u32::MAX, None), 1000 * MS);
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let secs = Duration::from_secs;
        assert_eq!(delay(100 * MS, secs(30), 1, Some(secs(2))), secs(2));
        assert_eq!(delay(100 * MS, secs(30), 1, Some(secs(3600))), secs(30));
        // A server asking for less than the backoff does not shorten it.
        assert_eq!(delay(secs(1), secs(30), 2, Some(secs(0))), secs(2));
    }

    #[test]
    fn retry_after_seconds_parse_and_dates_do_not() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn retryable_statuses() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 304, 400, 401, 403, 404, 410] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
