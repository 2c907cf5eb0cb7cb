//! The login monitor: sliding windows per IP, per username, per prefix and overall, and the
//! known (user, prefix) pairs. Pure: the time is passed in, nothing is read or written.
//!
//! # Concurrency
//!
//! [`Monitor::observe`] takes `&mut self`; [`Monitor::risk`] takes `&self`. The guard keeps one
//! `Monitor` behind a `std::sync::Mutex` (an `observe` is a few map look-ups, microseconds;
//! the lock is never held across an await). `Monitor` is `Send + Sync`.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use ipnet::IpNet;
use lru::LruCache;
use palisade_core::Timestamp;

use crate::decision::{Decision, Risk, RiskLevel};
use crate::known::{KnownPair, KnownPairs};
use crate::route::{Attempt, ChangeKind, Outcome};
use crate::token::{ReportClaims, ReportSigner, ReportTokens, TokenError};
use crate::window::{Buckets, Distinct, Recent, prefix_of};

/// A count within a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// How many.
    pub count: u32,
    /// Within how long.
    pub window: Duration,
}

/// Caps on every map (least recently used entries are evicted first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// IPs tracked.
    pub ips: NonZeroUsize,
    /// Usernames tracked.
    pub users: NonZeroUsize,
    /// Prefixes tracked.
    pub prefixes: NonZeroUsize,
    /// Known (user, prefix) pairs.
    pub known_pairs: NonZeroUsize,
    /// Used report-link nonces.
    pub used_nonces: NonZeroUsize,
}

/// The monitor's validated settings (from `[auth]`; see `AuthConfig::validate`).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSettings {
    /// IPv4 prefix length for grouping.
    pub ipv4_prefix: u8,
    /// IPv6 prefix length for grouping.
    pub ipv6_prefix: u8,
    /// Failures from one IP → [`Decision::BruteForce`].
    pub brute_force: Threshold,
    /// Ban asked for with a brute force (`None`: event only).
    pub brute_force_ban: Option<Duration>,
    /// Failures from one prefix → [`Decision::PrefixFailures`].
    pub prefix: Threshold,
    /// Failures on one username → risk `elevated`.
    pub user_risk: Threshold,
    /// Failures on one username (same window) → risk `high`.
    pub user_block_failures: u32,
    /// Answer `429` at `high` to IPs not known for the user.
    pub user_block: bool,
    /// How long `high` lasts.
    pub user_cooldown: Duration,
    /// Distinct usernames failing from one IP → [`Decision::StuffingFromIp`].
    pub users_per_ip: Threshold,
    /// Distinct IPs failing on one username → [`Decision::StuffingOnUser`].
    pub ips_per_user: Threshold,
    /// Global failure ratio → [`Decision::FailureSpike`].
    pub spike_ratio: f64,
    /// Attempts needed before the ratio counts.
    pub spike_min_attempts: u32,
    /// The ratio's window.
    pub spike_window: Duration,
    /// Watch for new-prefix logins.
    pub new_ip: bool,
    /// Report a user's first login too.
    pub alert_first_login: bool,
    /// Ban asked for when a login is reported through a link.
    pub report_ban: Duration,
    /// Breach count from which a password is breached.
    pub breached_min_count: u64,
    /// Report breached passwords on failed logins too.
    pub breached_on_failure: bool,
    /// Map caps.
    pub limits: Limits,
}

const fn nz(n: usize) -> NonZeroUsize {
    match NonZeroUsize::new(n) {
        Some(n) => n,
        None => NonZeroUsize::MIN,
    }
}

const MIN: u64 = 60;

impl Default for MonitorSettings {
    /// The documented defaults of `[auth]`.
    fn default() -> Self {
        MonitorSettings {
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            brute_force: Threshold {
                count: 10,
                window: Duration::from_secs(5 * MIN),
            },
            brute_force_ban: Some(Duration::from_secs(60 * MIN)),
            prefix: Threshold {
                count: 50,
                window: Duration::from_secs(10 * MIN),
            },
            user_risk: Threshold {
                count: 5,
                window: Duration::from_secs(15 * MIN),
            },
            user_block_failures: 20,
            user_block: false,
            user_cooldown: Duration::from_secs(15 * MIN),
            users_per_ip: Threshold {
                count: 5,
                window: Duration::from_secs(10 * MIN),
            },
            ips_per_user: Threshold {
                count: 5,
                window: Duration::from_secs(10 * MIN),
            },
            spike_ratio: 0.8,
            spike_min_attempts: 50,
            spike_window: Duration::from_secs(5 * MIN),
            new_ip: true,
            alert_first_login: false,
            report_ban: Duration::from_secs(24 * 60 * MIN),
            breached_min_count: 1,
            breached_on_failure: false,
            limits: Limits {
                ips: nz(100_000),
                users: nz(100_000),
                prefixes: nz(50_000),
                known_pairs: nz(200_000),
                used_nonces: nz(100_000),
            },
        }
    }
}

/// A failure count kept outside this monitor (by every guard of a deployment, in Redis),
/// after adding the failure being observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedCount {
    /// Failures within the threshold's window, across every guard.
    pub count: u32,
    /// This failure is the first to reach the threshold in its window: this monitor acts
    /// (the others stay quiet, so a brute force is reported and banned once).
    pub first: bool,
}

/// The shared counts of one failed login; `None` fields are counted locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedCounts {
    /// Failures from the IP (the brute-force threshold).
    pub ip: Option<SharedCount>,
    /// Failures from the IP's prefix.
    pub prefix: Option<SharedCount>,
    /// Failures on the username (risk levels).
    pub user: Option<SharedCount>,
    /// For a successful login: what every guard knew of the user before it.
    pub login: Option<SharedLogin>,
}

/// What a store shared by every guard knew of a user before a successful login (which it
/// has now recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedLogin {
    /// The user had logged in before, from anywhere.
    pub user_known: bool,
    /// The user had logged in before from this login's prefix.
    pub prefix_known: bool,
}

/// What a [`SharedCounts`] counts, for the store that keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountKey {
    /// A stable name: `auth:ip:<ip>`, `auth:net:<prefix>` or `auth:user:<name>`.
    pub name: String,
    /// The window.
    pub window: Duration,
    /// The threshold that matters.
    pub threshold: u32,
}

/// How many entries each map holds, and an estimate of their memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorSizes {
    /// IPs tracked.
    pub ips: usize,
    /// Usernames tracked.
    pub users: usize,
    /// Prefixes tracked.
    pub prefixes: usize,
    /// Known (user, prefix) pairs.
    pub known_pairs: usize,
    /// Users with at least one known pair.
    pub known_users: usize,
    /// Used report nonces remembered.
    pub used_nonces: usize,
    /// Rough bytes for all of it (O(n) to compute: for metrics, not the hot path).
    pub approx_bytes: usize,
}

#[derive(Debug, Default)]
struct IpState {
    failures: Recent,
    users: Distinct<String>,
    brute_force_quiet_until: i64,
    stuffing_quiet_until: i64,
}

#[derive(Debug, Default)]
struct UserState {
    failures: Recent,
    ips: Distinct<IpAddr>,
    high_until: i64,
    stuffing_quiet_until: i64,
}

#[derive(Debug, Default)]
struct PrefixState {
    failures: Recent,
    quiet_until: i64,
}

/// The login monitor. See the module docs for how to share it.
#[derive(Debug)]
pub struct Monitor {
    settings: MonitorSettings,
    ips: LruCache<IpAddr, IpState>,
    users: LruCache<String, UserState>,
    prefixes: LruCache<IpNet, PrefixState>,
    global: Buckets,
    spike_quiet_until: i64,
    known: KnownPairs,
    reports: Option<ReportTokens>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn list_cap(threshold: u32) -> usize {
    (threshold as usize).saturating_mul(2).clamp(1, 256)
}

impl Monitor {
    /// A monitor without report links.
    pub fn new(settings: MonitorSettings) -> Self {
        let global = Buckets::new(ms(settings.spike_window), 30);
        Monitor {
            ips: LruCache::new(settings.limits.ips),
            users: LruCache::new(settings.limits.users),
            prefixes: LruCache::new(settings.limits.prefixes),
            known: KnownPairs::new(settings.limits.known_pairs),
            global,
            spike_quiet_until: i64::MIN,
            reports: None,
            settings,
        }
    }

    /// Adds "this wasn't me" links: [`Decision::NewIpLogin`] then carries a token when the
    /// user's email is known, and [`Monitor::redeem_report`] accepts them.
    pub fn with_report_links(mut self, signer: ReportSigner) -> Self {
        self.reports = Some(ReportTokens::new(signer, self.settings.limits.used_nonces));
        self
    }

    /// The settings.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// The prefix an IP is grouped in.
    pub fn prefix(&self, ip: IpAddr) -> IpNet {
        prefix_of(ip, self.settings.ipv4_prefix, self.settings.ipv6_prefix)
    }

    /// Records one login and its outcome; returns what to do about it (possibly nothing).
    pub fn observe(
        &mut self,
        attempt: &Attempt,
        outcome: Outcome,
        ip: IpAddr,
        now: Timestamp,
    ) -> Vec<Decision> {
        self.observe_shared(attempt, outcome, ip, now, &SharedCounts::default())
    }

    /// The counts a failed login by `user` from `ip` adds to, for a store shared by several
    /// monitors (ip, prefix, then user when there is one); their totals go back in through
    /// [`Monitor::observe_shared`].
    pub fn shared_keys(&self, user: &str, ip: IpAddr) -> Vec<CountKey> {
        let s = &self.settings;
        let ip = ip.to_canonical();
        let mut keys = vec![
            CountKey {
                name: format!("auth:ip:{ip}"),
                window: s.brute_force.window,
                threshold: s.brute_force.count,
            },
            CountKey {
                name: format!("auth:net:{}", self.prefix(ip)),
                window: s.prefix.window,
                threshold: s.prefix.count,
            },
        ];
        if !user.is_empty() {
            keys.push(CountKey {
                name: format!("auth:user:{user}"),
                window: s.user_risk.window,
                threshold: s.user_block_failures.max(s.user_risk.count),
            });
        }
        keys
    }

    /// [`Monitor::observe`] with failure counts kept by every guard of a deployment: a
    /// brute force spread over several guards reaches the same thresholds as on one, and is
    /// acted on once (by the monitor whose count is `first`). Distinct-name counts
    /// (credential stuffing) and the failure ratio stay per monitor.
    pub fn observe_shared(
        &mut self,
        attempt: &Attempt,
        outcome: Outcome,
        ip: IpAddr,
        now: Timestamp,
        shared: &SharedCounts,
    ) -> Vec<Decision> {
        let ip = ip.to_canonical();
        let mut out = Vec::new();
        match outcome {
            Outcome::Unknown => return out,
            Outcome::Failure => self.failure(attempt, ip, now.0, shared, &mut out),
            Outcome::Success => self.success(attempt, ip, now, shared.login, &mut out),
        }
        if let Some(count) = attempt.breach_count
            && count >= self.settings.breached_min_count
            && (outcome == Outcome::Success || self.settings.breached_on_failure)
        {
            out.push(Decision::BreachedPassword {
                user: attempt.username.clone(),
                ip,
                count,
                outcome,
            });
        }
        self.global.add(now.0, outcome == Outcome::Failure);
        self.spike(now.0, &mut out);
        out
    }

    fn failure(
        &mut self,
        attempt: &Attempt,
        ip: IpAddr,
        now: i64,
        shared: &SharedCounts,
        out: &mut Vec<Decision>,
    ) {
        let s = &self.settings;
        let user = attempt.username.as_str();
        out.push(Decision::AuthFailure {
            user: user.to_owned(),
            ip,
            route: attempt.route.to_string(),
        });

        // Per IP: brute force, and many usernames.
        let st = self.ips.get_or_insert_mut(ip, IpState::default);
        st.failures.push(now, s.brute_force.count as usize);
        let window = ms(s.brute_force.window);
        let (failures, act) = reach(
            st.failures.count(now, window),
            now >= st.brute_force_quiet_until,
            shared.ip,
        );
        if failures >= s.brute_force.count as usize && act {
            st.brute_force_quiet_until = now.saturating_add(window);
            out.push(Decision::BruteForce {
                ip,
                failures: failures as u32,
                ban: s.brute_force_ban,
            });
        }
        let window = ms(s.users_per_ip.window);
        // An empty username is a failure whose log line named nobody (a Postfix SASL
        // failure): it counts for the IP and its prefix, not for any user.
        if !user.is_empty() {
            st.users
                .touch(user.to_owned(), now, window, list_cap(s.users_per_ip.count));
        }
        if st.users.count(now, window) >= s.users_per_ip.count as usize
            && now >= st.stuffing_quiet_until
        {
            st.stuffing_quiet_until = now.saturating_add(window);
            out.push(Decision::StuffingFromIp {
                ip,
                users: st.users.keys(now, window).cloned().collect(),
            });
        }

        // Per prefix.
        let prefix = prefix_of(ip, s.ipv4_prefix, s.ipv6_prefix);
        let ps = self
            .prefixes
            .get_or_insert_mut(prefix, PrefixState::default);
        ps.failures.push(now, s.prefix.count as usize);
        let window = ms(s.prefix.window);
        let (failures, act) = reach(
            ps.failures.count(now, window),
            now >= ps.quiet_until,
            shared.prefix,
        );
        if failures >= s.prefix.count as usize && act {
            ps.quiet_until = now.saturating_add(window);
            out.push(Decision::PrefixFailures {
                prefix,
                failures: failures as u32,
            });
        }

        // Per user: risk level, and many IPs.
        if user.is_empty() {
            return;
        }
        let us = match self.users.get_mut(user) {
            Some(us) => us,
            None => self
                .users
                .get_or_insert_mut(user.to_owned(), UserState::default),
        };
        let window = ms(s.user_risk.window);
        let before = user_level(us, now, window, s);
        us.failures
            .push(now, s.user_block_failures.max(s.user_risk.count) as usize);
        let mut failures = us.failures.count(now, window);
        if let Some(c) = shared.user {
            // Every guard's failures on this user: the local list is topped up to the
            // shared count so the risk level (read later by `risk`) sees them too.
            let total =
                (c.count as usize).min(s.user_block_failures.max(s.user_risk.count) as usize);
            while failures < total {
                us.failures
                    .push(now, s.user_block_failures.max(s.user_risk.count) as usize);
                failures += 1;
            }
        }
        if failures >= s.user_block_failures as usize {
            us.high_until = now.saturating_add(ms(s.user_cooldown));
            // A fresh start once the cool-down is over: the user is never locked out for good.
            us.failures.clear();
        }
        let after = user_level(us, now, window, s);
        if after > before {
            out.push(Decision::UserAtRisk {
                user: user.to_owned(),
                level: after,
                failures: failures as u32,
            });
        }
        let window = ms(s.ips_per_user.window);
        us.ips
            .touch(ip, now, window, list_cap(s.ips_per_user.count));
        if us.ips.count(now, window) >= s.ips_per_user.count as usize
            && now >= us.stuffing_quiet_until
        {
            us.stuffing_quiet_until = now.saturating_add(window);
            out.push(Decision::StuffingOnUser {
                user: user.to_owned(),
                ips: us.ips.keys(now, window).copied().collect(),
            });
        }
    }

    fn success(
        &mut self,
        attempt: &Attempt,
        ip: IpAddr,
        now: Timestamp,
        shared: Option<SharedLogin>,
        out: &mut Vec<Decision>,
    ) {
        let user = attempt.username.as_str();
        if user.is_empty() {
            return;
        }
        let prefix = self.prefix(ip);
        let known = match shared {
            Some(s) => s.prefix_known,
            None => self.known.contains(user, prefix),
        };
        if known && let Some(us) = self.users.peek_mut(user) {
            // The real user, from a network they use: whatever was going on, it's over for them.
            us.failures.clear();
            us.high_until = i64::MIN;
        }
        let first = match shared {
            Some(s) => !s.user_known,
            None => !self.known.user_known(user),
        };
        // Recorded here too, so `risk` and account changes know the pair on this guard.
        let new_here = self.known.record(user, prefix, now.0, true);
        let new = shared.map_or(new_here, |s| !s.prefix_known);
        if new && self.settings.new_ip && (!first || self.settings.alert_first_login) {
            let report = match (&attempt.email, &self.reports) {
                (Some(_), Some(r)) => Some(r.signer().issue(user, ip, now)),
                _ => None,
            };
            out.push(Decision::NewIpLogin {
                user: user.to_owned(),
                ip,
                prefix,
                email: attempt.email.clone(),
                report,
            });
        }
    }

    fn spike(&mut self, now: i64, out: &mut Vec<Decision>) {
        let (attempts, failures) = self.global.totals(now);
        if attempts == 0 || attempts < self.settings.spike_min_attempts {
            return;
        }
        let ratio = f64::from(failures) / f64::from(attempts);
        if ratio >= self.settings.spike_ratio && now >= self.spike_quiet_until {
            self.spike_quiet_until = now.saturating_add(ms(self.settings.spike_window));
            out.push(Decision::FailureSpike {
                ratio,
                attempts,
                failures,
            });
        }
    }

    /// The request-phase verdict for a login by `user` from `ip`: the [`RISK_HEADER`] value
    /// and whether to answer `429`. A `high` user is only blocked from IPs whose prefix is
    /// not known for them, so the real user keeps getting in.
    ///
    /// [`RISK_HEADER`]: crate::RISK_HEADER
    pub fn risk(&self, user: &str, ip: IpAddr, now: Timestamp) -> Risk {
        let s = &self.settings;
        let ip = ip.to_canonical();
        let mut level = RiskLevel::None;
        let mut retry_after = None;
        if let Some(us) = self.users.peek(user) {
            level = user_level(us, now.0, ms(s.user_risk.window), s);
            if us.high_until > now.0 {
                retry_after = Some(Duration::from_millis((us.high_until - now.0) as u64));
            }
        }
        if level < RiskLevel::Elevated
            && let Some(st) = self.ips.peek(&ip)
            && (st.brute_force_quiet_until > now.0 || st.stuffing_quiet_until > now.0)
        {
            // The IP itself was just flagged: tell the app, even for a fresh username.
            level = RiskLevel::Elevated;
        }
        let block =
            level == RiskLevel::High && s.user_block && !self.known.contains(user, self.prefix(ip));
        Risk {
            level,
            block,
            retry_after: if block { retry_after } else { None },
        }
    }

    /// Records a successful account change and says whether it came from a new network.
    pub fn account_change(
        &self,
        kind: ChangeKind,
        user: Option<&str>,
        ip: IpAddr,
        _now: Timestamp,
    ) -> Decision {
        let ip = ip.to_canonical();
        let new_ip = user.map(|u| !self.known.contains(u, self.prefix(ip)));
        Decision::AccountChange {
            user: user.map(str::to_owned),
            ip,
            kind,
            new_ip,
        }
    }

    /// Checks a "this wasn't me" link's signature and expiry without using it up: for a
    /// store shared by several guards to claim it once before
    /// [`Monitor::redeem_report`].
    pub fn verify_report(&self, token: &str, now: Timestamp) -> Result<ReportClaims, TokenError> {
        let reports = self.reports.as_ref().ok_or(TokenError::NotConfigured)?;
        reports.signer().verify(token, now)
    }

    /// Handles an opened "this wasn't me" link: verifies it (once), forgets the reported
    /// (user, prefix) pair, and asks for the IP to be banned.
    pub fn redeem_report(&mut self, token: &str, now: Timestamp) -> Result<Decision, TokenError> {
        let reports = self.reports.as_mut().ok_or(TokenError::NotConfigured)?;
        let claims = reports.redeem(token, now)?;
        let prefix = prefix_of(
            claims.ip,
            self.settings.ipv4_prefix,
            self.settings.ipv6_prefix,
        );
        self.known.remove(&claims.user, prefix);
        Ok(Decision::LoginReported {
            user: claims.user,
            ip: claims.ip,
            ban: self.settings.report_ban,
        })
    }

    /// True when `user` has logged in successfully from `ip`'s prefix (and it is still remembered).
    pub fn is_known(&self, user: &str, ip: IpAddr) -> bool {
        self.known.contains(user, self.prefix(ip.to_canonical()))
    }

    /// Every known pair, least recently seen first (importing in this order restores recency).
    pub fn export_known(&self) -> Vec<KnownPair> {
        self.known.export()
    }

    /// Loads persisted pairs (no decisions, not reported by [`drain_learned`](Self::drain_learned)).
    pub fn import_known(&mut self, pairs: impl IntoIterator<Item = KnownPair>) {
        self.known.import(pairs);
    }

    /// Pairs learnt since the last call, for incremental persistence, and how many were not
    /// kept because the buffer was full (then persist [`export_known`](Self::export_known)).
    pub fn drain_learned(&mut self) -> (Vec<KnownPair>, u64) {
        self.known.drain_learned()
    }

    /// Entry counts and an estimate of memory.
    pub fn sizes(&self) -> MonitorSizes {
        let ip_bytes: usize = self
            .ips
            .iter()
            .map(|(_, st)| {
                64 + size_of::<(IpAddr, IpState)>()
                    + st.failures.bytes()
                    + st.users.len() * (size_of::<(String, i64)>() + 32)
            })
            .sum();
        let user_bytes: usize = self
            .users
            .iter()
            .map(|(u, st)| {
                64 + u.capacity()
                    + size_of::<(String, UserState)>()
                    + st.failures.bytes()
                    + st.ips.len() * size_of::<(IpAddr, i64)>()
            })
            .sum();
        let prefix_bytes: usize = self
            .prefixes
            .iter()
            .map(|(_, st)| 64 + size_of::<(IpNet, PrefixState)>() + st.failures.bytes())
            .sum();
        let used = self.reports.as_ref().map_or(0, ReportTokens::used_len);
        MonitorSizes {
            ips: self.ips.len(),
            users: self.users.len(),
            prefixes: self.prefixes.len(),
            known_pairs: self.known.len(),
            known_users: self.known.users(),
            used_nonces: used,
            approx_bytes: ip_bytes + user_bytes + prefix_bytes + self.known.bytes() + used * 64,
        }
    }
}

/// A threshold's count and whether this monitor may act on it: the shared count and its
/// `first` flag when there is one, else the local count and quiet period.
fn reach(local: usize, quiet_over: bool, shared: Option<SharedCount>) -> (usize, bool) {
    match shared {
        Some(c) => (local.max(c.count as usize), c.first),
        None => (local, quiet_over),
    }
}

fn user_level(us: &UserState, now: i64, window: i64, s: &MonitorSettings) -> RiskLevel {
    if us.high_until > now {
        RiskLevel::High
    } else if us.failures.count(now, window) >= s.user_risk.count as usize {
        RiskLevel::Elevated
    } else {
        RiskLevel::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Monitor>();
    }
}
