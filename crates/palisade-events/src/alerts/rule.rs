use std::time::Duration;

use ipnet::IpNet;
use palisade_core::{Category, Event, Severity};

use crate::settings::EventFilter;

/// What a rule counts and cools down by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// The client IP (events without one share a key).
    Ip,
    /// The user.
    User,
    /// The request path.
    Path,
    /// The event category.
    Category,
    /// A free-form field of the event (e.g. `package`).
    Field(String),
    /// One key for everything.
    Nothing,
}

impl GroupBy {
    /// Parses `ip`, `user`, `path`, `category`, `none` or `field:NAME`.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "ip" => GroupBy::Ip,
            "user" => GroupBy::User,
            "path" => GroupBy::Path,
            "category" => GroupBy::Category,
            "none" => GroupBy::Nothing,
            other => match other.strip_prefix("field:") {
                Some(name) if !name.is_empty() => GroupBy::Field(name.to_owned()),
                _ => {
                    return Err(format!(
                        "`{s}` is not a key (ip, user, path, category, none, field:NAME)"
                    ));
                }
            },
        })
    }

    pub(crate) fn key_of(&self, e: &Event) -> String {
        match self {
            GroupBy::Ip => e.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            GroupBy::User => e.user.clone().unwrap_or_default(),
            GroupBy::Path => e.path.clone().unwrap_or_default(),
            GroupBy::Category => e.category.to_string(),
            GroupBy::Field(name) => e.fields.get(name).cloned().unwrap_or_default(),
            GroupBy::Nothing => String::new(),
        }
    }
}

/// One `[[alerts]]` rule, validated.
#[derive(Debug, Clone)]
pub struct AlertRule {
    /// Name, shown in messages and used in logs.
    pub name: String,
    /// Categories and minimum severity.
    pub filter: EventFilter,
    /// Only events whose path starts with this.
    pub path_prefix: Option<String>,
    /// Only events from these networks (empty: any).
    pub ips: Vec<IpNet>,
    /// Events needed within `window` to fire (≥ 1).
    pub threshold: u32,
    /// The sliding window for `threshold`.
    pub window: Duration,
    /// What is counted and cooled down separately.
    pub group_by: GroupBy,
    /// Quiet time per key after firing.
    pub cooldown: Duration,
    /// Instead of one message per firing, one summary per interval.
    pub digest: Option<Duration>,
    /// Sink names to notify.
    pub channels: Vec<String>,
}

impl AlertRule {
    /// A rule firing on every matching event, one message per key per cooldown.
    pub fn on(name: &str, categories: &[Category], group_by: GroupBy, cooldown: Duration) -> Self {
        AlertRule {
            name: name.to_owned(),
            filter: EventFilter {
                categories: categories.to_vec(),
                min_severity: Severity::Info,
            },
            path_prefix: None,
            ips: Vec::new(),
            threshold: 1,
            window: Duration::from_secs(60),
            group_by,
            cooldown,
            digest: None,
            channels: Vec::new(),
        }
    }

    /// True when the event is one this rule counts.
    pub fn matches(&self, e: &Event) -> bool {
        self.filter.matches(e)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| e.path.as_deref().is_some_and(|p| p.starts_with(prefix)))
            && (self.ips.is_empty()
                || e.source_ip
                    .is_some_and(|ip| self.ips.iter().any(|net| net.contains(&ip))))
    }
}

/// The rules palisade ships, sending to `channels`: brute force, new-IP login, account
/// change, breached password, app crash, critical vulnerable dependency, and many malicious
/// requests from one IP.
pub fn default_rules(channels: &[String]) -> Vec<AlertRule> {
    use Category::*;
    let min = |m: u64| Duration::from_secs(60 * m);
    let mut rules = vec![
        AlertRule::on(
            "brute-force",
            &[BruteForce, CredentialStuffing],
            GroupBy::Ip,
            min(30),
        ),
        AlertRule::on("new-ip-login", &[NewIpLogin], GroupBy::User, min(0)),
        AlertRule::on("account-change", &[AccountChange], GroupBy::User, min(0)),
        AlertRule::on(
            "breached-password",
            &[BreachedPassword],
            GroupBy::User,
            min(60),
        ),
        AlertRule::on(
            "app-crash",
            &[AppCrash, CrashLoop],
            GroupBy::Category,
            min(5),
        ),
        AlertRule {
            filter: EventFilter {
                categories: vec![VulnerableDependency],
                min_severity: Severity::Critical,
            },
            ..AlertRule::on(
                "critical-vulnerability",
                &[],
                GroupBy::Field("package".into()),
                min(24 * 60),
            )
        },
        AlertRule {
            threshold: 20,
            window: min(5),
            ..AlertRule::on(
                "attack-flood",
                &[MaliciousTraffic, SensitiveFileProbe, Scanner],
                GroupBy::Ip,
                min(60),
            )
        },
    ];
    for rule in &mut rules {
        rule.channels = channels.to_vec();
    }
    rules
}
