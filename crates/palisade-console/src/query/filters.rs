//! The event filters of a query string (pages, API, live tail), validated once into an
//! [`EventFilter`]; a bad value is reported by its field name.

use std::net::IpAddr;
use std::time::Duration;

use palisade_core::{Category, Severity};
use serde::{Deserialize, Serialize};

use super::given;
use crate::error::ConsoleError;

/// The most rows an event listing returns.
pub const MAX_LIMIT: usize = 1_000;

/// Event filters as they arrive in a query string; empty values mean "any" because HTML
/// forms submit every field.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EventParams {
    /// A category name (`malicious_traffic`).
    pub category: Option<String>,
    /// A minimum severity (`low`, `high`, …).
    pub severity: Option<String>,
    /// A source address.
    pub ip: Option<String>,
    /// An exact user name.
    pub user: Option<String>,
    /// A substring of the request path.
    pub path: Option<String>,
    /// How far back, as a duration (`1h`, `7d`); default 24 h.
    pub since: Option<String>,
    /// At most this many rows (1 to 1,000); default 100.
    pub limit: Option<String>,
}

/// Parsed, validated event filters.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    /// Only this category.
    pub category: Option<Category>,
    /// Only at least this severity.
    pub min_severity: Option<Severity>,
    /// Only from this address.
    pub ip: Option<IpAddr>,
    /// Only this user.
    pub user: Option<String>,
    /// Only paths containing this.
    pub path: Option<String>,
    /// How far back.
    pub since: Duration,
    /// At most this many.
    pub limit: usize,
}

impl EventParams {
    /// Validates the filters; a bad one is reported by its field name.
    pub fn parse(&self) -> Result<EventFilter, ConsoleError> {
        let category = given(&self.category)
            .map(|c| {
                let cat: Category = c.parse().map_err(|_| {
                    ConsoleError::bad("category", format!("`{c}` is not a category"))
                })?;
                Ok::<_, ConsoleError>(cat)
            })
            .transpose()?;
        let min_severity = given(&self.severity)
            .map(|s| {
                s.parse::<Severity>()
                    .map_err(|_| ConsoleError::bad("severity", format!("`{s}` is not a severity")))
            })
            .transpose()?;
        let ip = given(&self.ip)
            .map(|s| {
                s.parse::<IpAddr>()
                    .map_err(|_| ConsoleError::bad("ip", format!("`{s}` is not an IP address")))
            })
            .transpose()?;
        let since = match given(&self.since) {
            None => Duration::from_secs(24 * 3600),
            Some(s) => humantime::parse_duration(s)
                .map_err(|e| ConsoleError::bad("since", format!("`{s}` is not a duration: {e}")))?,
        };
        let limit = match given(&self.limit) {
            None => 100,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ConsoleError::bad(
                        "limit",
                        format!("`{s}` is not a number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        Ok(EventFilter {
            category,
            min_severity,
            ip,
            user: given(&self.user).map(str::to_owned),
            path: given(&self.path).map(str::to_owned),
            since,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_params_mean_defaults() {
        let f = EventParams {
            category: Some(String::new()),
            ..EventParams::default()
        }
        .parse()
        .unwrap();
        assert_eq!(f.category, None);
        assert_eq!(f.limit, 100);
        assert_eq!(f.since, Duration::from_secs(86_400));
    }

    #[test]
    fn bad_params_name_their_field() {
        let bad = |p: EventParams, field: &str| match p.parse() {
            Err(ConsoleError::BadInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a bad {field}, got {other:?}"),
        };
        bad(
            EventParams {
                ip: Some("nope".into()),
                ..Default::default()
            },
            "ip",
        );
        bad(
            EventParams {
                since: Some("soon".into()),
                ..Default::default()
            },
            "since",
        );
        bad(
            EventParams {
                limit: Some("0".into()),
                ..Default::default()
            },
            "limit",
        );
        bad(
            EventParams {
                limit: Some("5000".into()),
                ..Default::default()
            },
            "limit",
        );
        bad(
            EventParams {
                severity: Some("dire".into()),
                ..Default::default()
            },
            "severity",
        );
    }
}
