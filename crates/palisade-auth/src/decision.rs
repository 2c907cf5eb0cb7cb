//! What the monitor decided: data for the guard to act on (ban, header, 429, mail) and to turn
//! into [`Event`]s. None of it ever holds a password.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::{Category, Event, Severity};
use serde::{Deserialize, Serialize};

use crate::route::{ChangeKind, Outcome};
use crate::token::ReportToken;

/// The header the guard sets on requests to the upstream when a login is risky.
pub const RISK_HEADER: &str = "X-Palisade-Auth-Risk";
/// The header the guard sets on a login request whose password is in the breach corpus; the
/// value is the breach count.
pub const BREACHED_HEADER: &str = "X-Palisade-Breached-Password";

/// How much an account is under attack, for [`RISK_HEADER`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Nothing unusual.
    #[default]
    None,
    /// Several recent failures on this username, or the IP is suspicious.
    Elevated,
    /// Many failures: the account is being attacked.
    High,
}

impl RiskLevel {
    /// The lowercase name (the header value).
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::None => "none",
            RiskLevel::Elevated => "elevated",
            RiskLevel::High => "high",
        }
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request-phase answer for one (user, IP): what header to send upstream and whether to
/// answer `429` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Risk {
    /// The level.
    pub level: RiskLevel,
    /// Answer `429 Too Many Requests` rather than forwarding (only with `[auth.user] block`,
    /// at `high`, from an IP not known for the user).
    pub block: bool,
    /// How long the client should wait (the `Retry-After`), when blocked.
    pub retry_after: Option<Duration>,
}

impl Risk {
    /// The [`RISK_HEADER`] value, `None` when there is nothing to say.
    pub fn header_value(&self) -> Option<&'static str> {
        (self.level != RiskLevel::None).then(|| self.level.as_str())
    }
}

/// One decision of the monitor.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// A login failed.
    AuthFailure {
        /// The username tried.
        user: String,
        /// From where.
        ip: IpAddr,
        /// The route's name.
        route: String,
    },
    /// Too many failures from one IP: ban it.
    BruteForce {
        /// The IP.
        ip: IpAddr,
        /// Failures within the window.
        failures: u32,
        /// How long to ban (`None`: event only).
        ban: Option<Duration>,
    },
    /// Too many failures from one prefix (a spread-out brute force).
    PrefixFailures {
        /// The prefix.
        prefix: IpNet,
        /// Failures within the window.
        failures: u32,
    },
    /// One IP failing on many usernames.
    StuffingFromIp {
        /// The IP.
        ip: IpAddr,
        /// The usernames it tried within the window (at most the cap).
        users: Vec<String>,
    },
    /// Many IPs failing on one username.
    StuffingOnUser {
        /// The username.
        user: String,
        /// The IPs within the window (at most the cap).
        ips: Vec<IpAddr>,
    },
    /// The global failure ratio went over the threshold.
    FailureSpike {
        /// failures / attempts within the window.
        ratio: f64,
        /// Attempts within the window.
        attempts: u32,
        /// Failures within the window.
        failures: u32,
    },
    /// A username's risk rose (the guard sends [`RISK_HEADER`], maybe `429`s, see `Monitor::risk`).
    UserAtRisk {
        /// The username.
        user: String,
        /// The new level.
        level: RiskLevel,
        /// Failures within the window.
        failures: u32,
    },
    /// A login used a password from the breach corpus.
    BreachedPassword {
        /// The username.
        user: String,
        /// From where.
        ip: IpAddr,
        /// How often the password appears in breaches.
        count: u64,
        /// Whether the login succeeded.
        outcome: Outcome,
    },
    /// A successful login from a prefix never seen for this user.
    NewIpLogin {
        /// The username.
        user: String,
        /// From where.
        ip: IpAddr,
        /// The new prefix.
        prefix: IpNet,
        /// Where to mail the user, when known.
        email: Option<String>,
        /// The "this wasn't me" token, when links are configured and the email is known. A
        /// capability: goes in the mail, never in an event.
        report: Option<ReportToken>,
    },
    /// An account-change route succeeded.
    AccountChange {
        /// The acting user, when the route names one.
        user: Option<String>,
        /// From where.
        ip: IpAddr,
        /// What changed.
        kind: ChangeKind,
        /// Whether the IP's prefix is new for the user (`None`: user unknown).
        new_ip: Option<bool>,
    },
    /// The user opened a "this wasn't me" link: ban the IP.
    LoginReported {
        /// The user.
        user: String,
        /// The IP of the reported login.
        ip: IpAddr,
        /// How long to ban it.
        ban: Duration,
    },
}

impl Decision {
    /// The IP to ban and for how long, when the decision asks for a ban.
    pub fn ban(&self) -> Option<(IpAddr, Duration)> {
        match self {
            Decision::BruteForce {
                ip, ban: Some(d), ..
            } => Some((*ip, *d)),
            Decision::LoginReported { ip, ban, .. } => Some((*ip, *ban)),
            _ => None,
        }
    }

    /// The event category.
    pub fn category(&self) -> Category {
        match self {
            Decision::AuthFailure { .. } => Category::AuthFailure,
            Decision::BruteForce { .. }
            | Decision::PrefixFailures { .. }
            | Decision::UserAtRisk { .. } => Category::BruteForce,
            Decision::StuffingFromIp { .. }
            | Decision::StuffingOnUser { .. }
            | Decision::FailureSpike { .. } => Category::CredentialStuffing,
            Decision::BreachedPassword { .. } => Category::BreachedPassword,
            Decision::NewIpLogin { .. } | Decision::LoginReported { .. } => Category::NewIpLogin,
            Decision::AccountChange { .. } => Category::AccountChange,
        }
    }

    /// The event severity.
    pub fn severity(&self) -> Severity {
        match self {
            Decision::AuthFailure { .. } => Severity::Low,
            Decision::BruteForce { .. }
            | Decision::PrefixFailures { .. }
            | Decision::StuffingFromIp { .. }
            | Decision::StuffingOnUser { .. }
            | Decision::FailureSpike { .. } => Severity::High,
            Decision::UserAtRisk { level, .. } => match level {
                RiskLevel::High => Severity::High,
                _ => Severity::Medium,
            },
            Decision::BreachedPassword { outcome, .. } => match outcome {
                Outcome::Success => Severity::High,
                _ => Severity::Medium,
            },
            Decision::NewIpLogin { .. } => Severity::Medium,
            Decision::AccountChange { kind, new_ip, .. } => match (new_ip, kind) {
                (Some(true), ChangeKind::Profile) => Severity::Medium,
                (Some(true), _) => Severity::High,
                (None, _) => Severity::Medium,
                (Some(false), _) => Severity::Low,
            },
            Decision::LoginReported { .. } => Severity::Critical,
        }
    }

    /// The event for this decision, stamped now. Never carries a password or a report token;
    /// the guard adds request id, method, host and path.
    pub fn to_event(&self) -> Event {
        let event = Event::new(self.category(), self.severity(), self.message());
        match self {
            Decision::AuthFailure { user, ip, route } => event
                .with_user(user)
                .with_source_ip(*ip)
                .with_field("outcome", "failure")
                .with_field("route", route),
            Decision::BruteForce { ip, failures, ban } => {
                let e = event
                    .with_source_ip(*ip)
                    .with_field("scope", "ip")
                    .with_field("failures", failures.to_string());
                match ban {
                    Some(d) => e.with_field("ban", humantime::format_duration(*d).to_string()),
                    None => e,
                }
            }
            Decision::PrefixFailures { prefix, failures } => event
                .with_source_ip(prefix.network())
                .with_field("scope", "prefix")
                .with_field("prefix", prefix.to_string())
                .with_field("failures", failures.to_string()),
            Decision::StuffingFromIp { ip, users } => event
                .with_source_ip(*ip)
                .with_field("pattern", "many_users_from_ip")
                .with_field("users", users.len().to_string())
                .with_field("usernames", users.join(", ")),
            Decision::StuffingOnUser { user, ips } => event
                .with_user(user)
                .with_field("pattern", "many_ips_on_user")
                .with_field("ips", ips.len().to_string())
                .with_field(
                    "addresses",
                    ips.iter()
                        .map(IpAddr::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            Decision::FailureSpike {
                ratio,
                attempts,
                failures,
            } => event
                .with_field("pattern", "failure_spike")
                .with_field("ratio", format!("{ratio:.2}"))
                .with_field("attempts", attempts.to_string())
                .with_field("failures", failures.to_string()),
            Decision::UserAtRisk {
                user,
                level,
                failures,
            } => event
                .with_user(user)
                .with_field("scope", "user")
                .with_field("risk", level.as_str())
                .with_field("failures", failures.to_string()),
            Decision::BreachedPassword {
                user,
                ip,
                count,
                outcome,
            } => event
                .with_user(user)
                .with_source_ip(*ip)
                .with_field("breach_count", count.to_string())
                .with_field("outcome", outcome_str(*outcome)),
            Decision::NewIpLogin {
                user,
                ip,
                prefix,
                email,
                report: _,
            } => event
                .with_user(user)
                .with_source_ip(*ip)
                .with_field("outcome", "success")
                .with_field("prefix", prefix.to_string())
                .with_field("notified", if email.is_some() { "true" } else { "false" }),
            Decision::AccountChange {
                user,
                ip,
                kind,
                new_ip,
            } => {
                let e = event
                    .with_source_ip(*ip)
                    .with_field("change", kind.as_str())
                    .with_field(
                        "new_ip",
                        match new_ip {
                            Some(true) => "true",
                            Some(false) => "false",
                            None => "unknown",
                        },
                    );
                match user {
                    Some(u) => e.with_user(u),
                    None => e,
                }
            }
            Decision::LoginReported { user, ip, ban } => event
                .with_user(user)
                .with_source_ip(*ip)
                .with_field("reported", "true")
                .with_field("ban", humantime::format_duration(*ban).to_string()),
        }
    }

    fn message(&self) -> String {
        match self {
            Decision::AuthFailure { route, .. } => format!("failed login on {route}"),
            Decision::BruteForce { failures, .. } => {
                format!("brute force: {failures} failed logins from one IP")
            }
            Decision::PrefixFailures { prefix, failures } => {
                format!("brute force: {failures} failed logins from {prefix}")
            }
            Decision::StuffingFromIp { users, .. } => format!(
                "credential stuffing: one IP failed on {} usernames",
                users.len()
            ),
            Decision::StuffingOnUser { ips, .. } => format!(
                "credential stuffing: {} IPs failed on one username",
                ips.len()
            ),
            Decision::FailureSpike {
                ratio, attempts, ..
            } => format!(
                "login failure spike: {:.0}% of {attempts} attempts failed",
                ratio * 100.0
            ),
            Decision::UserAtRisk {
                level, failures, ..
            } => {
                format!("account under attack: risk {level} after {failures} failed logins")
            }
            Decision::BreachedPassword { count, outcome, .. } => format!(
                "{} login with a password seen {count} times in breaches",
                outcome_str(*outcome)
            ),
            Decision::NewIpLogin { prefix, .. } => {
                format!("login from a new network ({prefix})")
            }
            Decision::AccountChange { kind, new_ip, .. } => match new_ip {
                Some(true) => format!("account {kind} changed from a new network"),
                _ => format!("account {kind} changed"),
            },
            Decision::LoginReported { .. } => {
                "user reported a login as not theirs: IP banned".to_owned()
            }
        }
    }
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Unknown => "unknown",
    }
}
