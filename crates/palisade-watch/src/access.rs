//! Web access logs: bursts of `401`/`403`/`404` per address, and attack probes found by the
//! detection engine in the logged request line. Pure: time is passed in.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use lru::LruCache;
use palisade_detect::{Engine, Verdict};
use palisade_logparse::Request;

/// Thresholds for access-log bursts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSettings {
    /// The sliding window the counts below are taken over.
    pub window: Duration,
    /// `404`s from one address within the window → a `scanner` event (0: off).
    pub not_found: u32,
    /// `403`s from one address within the window → a `scanner` event (0: off).
    pub forbidden: u32,
    /// Addresses tracked; the least recently seen are forgotten first.
    pub max_ips: NonZeroUsize,
}

impl Default for AccessSettings {
    /// 30 `404`s or 20 `403`s a minute: well above a browser's missing favicons and
    /// source maps, well below a content-discovery scan's hundreds.
    fn default() -> Self {
        AccessSettings {
            window: Duration::from_secs(60),
            not_found: 30,
            forbidden: 20,
            max_ips: NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// What an access-log line showed.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessFinding {
    /// Too many responses of one status from one address.
    Burst {
        /// The address.
        ip: IpAddr,
        /// `403` or `404`.
        status: u16,
        /// Responses within the window.
        count: u32,
    },
    /// The detection engine scored the request line over its threshold.
    Detected(Verdict),
}

#[derive(Default)]
struct Counts {
    not_found: Vec<i64>,
    forbidden: Vec<i64>,
    quiet_404: i64,
    quiet_403: i64,
}

/// Per-address counts over access-log lines, in bounded memory.
pub struct AccessMonitor {
    settings: AccessSettings,
    ips: LruCache<IpAddr, Counts>,
}

impl AccessMonitor {
    /// A monitor with these thresholds.
    pub fn new(settings: AccessSettings) -> Self {
        AccessMonitor {
            ips: LruCache::new(settings.max_ips),
            settings,
        }
    }

    /// Looks at one request; `now_ms` is the time it is seen at.
    pub fn observe(
        &mut self,
        req: &Request<'_>,
        engine: Option<&Engine>,
        now_ms: i64,
    ) -> Vec<AccessFinding> {
        let mut out = Vec::new();
        if let Some(engine) = engine
            && !req.target.is_empty()
        {
            // A log line has no headers: the request reached a virtual host (no
            // missing-Host finding), and the User-Agent is passed when the format logs it.
            let mut headers: Vec<(&str, &[u8])> = vec![("host", b"access-log")];
            if let Some(agent) = req.user_agent {
                headers.push(("user-agent", agent.as_bytes()));
            }
            let verdict = engine.inspect(&palisade_detect::Request {
                method: if req.method.is_empty() {
                    "GET"
                } else {
                    req.method
                },
                target: req.target,
                headers: &headers,
                body: &[],
            });
            if verdict.over_threshold {
                out.push(AccessFinding::Detected(verdict));
            }
        }
        let (threshold, status) = match req.status {
            404 => (self.settings.not_found, 404),
            403 => (self.settings.forbidden, 403),
            _ => return out,
        };
        if threshold == 0 {
            return out;
        }
        let window = i64::try_from(self.settings.window.as_millis()).unwrap_or(i64::MAX);
        let counts = self.ips.get_or_insert_mut(req.ip, Counts::default);
        let (times, quiet) = if status == 404 {
            (&mut counts.not_found, &mut counts.quiet_404)
        } else {
            (&mut counts.forbidden, &mut counts.quiet_403)
        };
        times.retain(|t| now_ms.saturating_sub(*t) < window);
        // Bounded: never more than the threshold's worth of times per address.
        if times.len() >= threshold as usize {
            times.remove(0);
        }
        times.push(now_ms);
        if times.len() >= threshold as usize && now_ms >= *quiet {
            *quiet = now_ms.saturating_add(window);
            out.push(AccessFinding::Burst {
                ip: req.ip,
                status,
                count: times.len() as u32,
            });
        }
        out
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.ips.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(ip: &str, target: &'static str, status: u16) -> Request<'static> {
        Request {
            ip: ip.parse().unwrap(),
            method: "GET",
            target,
            status,
            user: None,
            user_agent: None,
        }
    }

    #[test]
    fn a_burst_of_404s_is_reported_once_per_window() {
        let mut m = AccessMonitor::new(AccessSettings {
            not_found: 5,
            ..AccessSettings::default()
        });
        let mut bursts = 0;
        for i in 0..20 {
            bursts += m
                .observe(&req("203.0.113.5", "/x", 404), None, i * 100)
                .len();
        }
        assert_eq!(bursts, 1);
        // After the window, a new burst is a new finding.
        for i in 0..5 {
            bursts += m
                .observe(&req("203.0.113.5", "/x", 404), None, 70_000 + i)
                .len();
        }
        assert_eq!(bursts, 2);
        // Spread-out 404s never add up.
        let mut slow = 0;
        for i in 0..50 {
            slow += m
                .observe(&req("203.0.113.6", "/x", 404), None, i * 20_000)
                .len();
        }
        assert_eq!(slow, 0);
    }

    #[test]
    fn memory_is_bounded_by_the_address_cap() {
        let mut m = AccessMonitor::new(AccessSettings {
            max_ips: NonZeroUsize::new(100).unwrap(),
            ..AccessSettings::default()
        });
        for i in 0..10_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            m.observe(
                &Request {
                    ip,
                    ..req("0.0.0.0", "/", 404)
                },
                None,
                0,
            );
        }
        assert_eq!(m.tracked(), 100);
    }

    #[test]
    fn probes_in_the_request_line_are_detected() {
        let engine = Engine::new(palisade_detect::DetectConfig::default()).unwrap();
        let mut m = AccessMonitor::new(AccessSettings::default());
        let found = m.observe(&req("203.0.113.5", "/.env", 404), Some(&engine), 0);
        assert!(
            matches!(found.as_slice(), [AccessFinding::Detected(v)] if v.over_threshold),
            "{found:?}"
        );
        assert!(
            m.observe(&req("203.0.113.5", "/index.html", 200), Some(&engine), 0)
                .is_empty()
        );
    }
}
