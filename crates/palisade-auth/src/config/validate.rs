//! `AuthConfig` → `AuthSettings`: every check, each error naming its key.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use zeroize::Zeroizing;

use super::file::{AuthConfig, FailureConfig, SuccessConfig};
use super::{AuthSettings, ConfigError, PwnedSettings, ReportSettings};
use crate::monitor::{Limits, MonitorSettings, Threshold};
use crate::route::{
    AccountChangeRoute, ChangeKind, FailureRule, LoginRoute, Routes, SuccessRule, UsernameCase,
    UsernamePolicy, normalise_path,
};
use crate::selector::Selector;

/// Largest per-entry threshold (each counted event costs 8 bytes per tracked key).
const MAX_COUNT: u32 = 10_000;
/// Largest distinct-key threshold (the lists kept per key are twice this).
const MAX_DISTINCT: u32 = 128;

fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

fn duration(field: &str, text: &str, allow_zero: bool) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(text).map_err(|e| {
        err(
            field,
            format!("`{text}` is not a duration ({e}); e.g. \"5m\""),
        )
    })?;
    if d.is_zero() && !allow_zero {
        return Err(err(field, "must be longer than zero"));
    }
    Ok(d)
}

fn count(field: &str, n: u32, max: u32) -> Result<u32, ConfigError> {
    if n == 0 || n > max {
        return Err(err(field, format!("must be between 1 and {max}, not {n}")));
    }
    Ok(n)
}

fn cap(field: &str, n: usize) -> Result<NonZeroUsize, ConfigError> {
    NonZeroUsize::new(n).ok_or_else(|| err(field, "must be at least 1"))
}

fn selector(field: &str, text: &str) -> Result<Selector, ConfigError> {
    Selector::parse(text).map_err(|m| err(field, m))
}

fn method(field: &str, text: &str) -> Result<Method, ConfigError> {
    let upper = text.to_ascii_uppercase();
    Method::from_bytes(upper.as_bytes())
        .map_err(|_| err(field, format!("`{text}` is not an HTTP method")))
}

fn path(field: &str, text: &str) -> Result<String, ConfigError> {
    if !text.starts_with('/') || text.contains('?') || text.contains('#') {
        return Err(err(
            field,
            format!("`{text}` must be a path starting with `/`, without query"),
        ));
    }
    Ok(normalise_path(text).into_owned())
}

fn statuses(field: &str, list: &[u16]) -> Result<Vec<StatusCode>, ConfigError> {
    list.iter()
        .map(|s| {
            StatusCode::from_u16(*s)
                .ok()
                .filter(|_| (100..=599).contains(s))
                .ok_or_else(|| err(field, format!("{s} is not an HTTP status")))
        })
        .collect()
}

fn success(field: &str, c: &SuccessConfig) -> Result<SuccessRule, ConfigError> {
    if c.body_not_contains.as_deref() == Some("") {
        return Err(err(
            format!("{field}.body_not_contains"),
            "must not be empty",
        ));
    }
    Ok(SuccessRule {
        status: statuses(&format!("{field}.status"), &c.status)?,
        location_not: c.location_not.clone().filter(|s| !s.is_empty()),
        body_not_contains: c.body_not_contains.clone().map(String::into_bytes),
    })
}

fn failure(field: &str, c: &FailureConfig) -> Result<FailureRule, ConfigError> {
    if c.status.is_empty() && c.location.is_none() {
        return Err(err(
            field,
            "give `status` and/or `location` (or leave `failure` out: failure = not success)",
        ));
    }
    Ok(FailureRule {
        status: statuses(&format!("{field}.status"), &c.status)?,
        location: c.location.clone(),
    })
}

fn http_url(field: &str, text: &str) -> Result<String, ConfigError> {
    let ok = (text.starts_with("https://") || text.starts_with("http://"))
        && text.parse::<http::Uri>().is_ok_and(|u| u.host().is_some());
    if !ok {
        return Err(err(field, format!("`{text}` is not an http(s) URL")));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

impl AuthConfig {
    /// Checks every key and builds the runtime settings. The first problem found is returned.
    pub fn validate(&self) -> Result<AuthSettings, ConfigError> {
        let usernames = UsernamePolicy {
            case: match self.username_case.as_str() {
                "lower" => UsernameCase::Lower,
                "exact" => UsernameCase::Exact,
                other => {
                    return Err(err(
                        "auth.username_case",
                        format!("`{other}`: expected \"lower\" or \"exact\""),
                    ));
                }
            },
            max_bytes: match self.limits.username_bytes {
                n @ 16..=4096 => n,
                n => {
                    return Err(err(
                        "auth.limits.username_bytes",
                        format!("must be between 16 and 4096, not {n}"),
                    ));
                }
            },
        };
        if !(8..=32).contains(&self.ipv4_prefix) {
            return Err(err("auth.ipv4_prefix", "must be between 8 and 32"));
        }
        if !(32..=128).contains(&self.ipv6_prefix) {
            return Err(err("auth.ipv6_prefix", "must be between 32 and 128"));
        }

        let mut routes = Routes::default();
        let mut seen = HashSet::new();
        for (i, r) in self.login.iter().enumerate() {
            let f = format!("auth.login[{i}]");
            let method = method(&format!("{f}.method"), &r.method)?;
            let path = path(&format!("{f}.path"), &r.path)?;
            if !seen.insert((method.clone(), path.clone())) {
                return Err(err(
                    format!("{f}.path"),
                    format!("{method} {path} is already a login route"),
                ));
            }
            let name = match &r.name {
                Some(n) if n.trim().is_empty() => {
                    return Err(err(format!("{f}.name"), "must not be empty"));
                }
                Some(n) => n.clone(),
                None => format!("{method} {path}"),
            };
            routes.login.push(LoginRoute {
                name: Arc::from(name),
                username: selector(&format!("{f}.username"), &r.username)?,
                password: r
                    .password
                    .as_deref()
                    .map(|s| selector(&format!("{f}.password"), s))
                    .transpose()?,
                email: r
                    .email
                    .as_deref()
                    .map(|s| selector(&format!("{f}.email"), s))
                    .transpose()?,
                success: success(&format!("{f}.success"), &r.success)?,
                failure: r
                    .failure
                    .as_ref()
                    .map(|c| failure(&format!("{f}.failure"), c))
                    .transpose()?,
                method,
                path,
                usernames,
            });
        }
        let mut seen = HashSet::new();
        for (i, r) in self.account_change.iter().enumerate() {
            let f = format!("auth.account_change[{i}]");
            let method = method(&format!("{f}.method"), &r.method)?;
            let path = path(&format!("{f}.path"), &r.path)?;
            if !seen.insert((method.clone(), path.clone())) {
                return Err(err(
                    format!("{f}.path"),
                    format!("{method} {path} is already an account-change route"),
                ));
            }
            routes.account_change.push(AccountChangeRoute {
                kind: ChangeKind::parse(&r.kind).ok_or_else(|| {
                    err(
                        format!("{f}.kind"),
                        format!(
                            "`{}`: expected \"email\", \"password\", \"mfa\" or \"profile\"",
                            r.kind
                        ),
                    )
                })?,
                user: r
                    .user
                    .as_deref()
                    .map(|s| selector(&format!("{f}.user"), s))
                    .transpose()?,
                success: success(&format!("{f}.success"), &r.success)?,
                method,
                path,
                usernames,
            });
        }

        let b = &self.brute_force;
        let brute_force = Threshold {
            count: count("auth.brute_force.failures", b.failures, MAX_COUNT)?,
            window: duration("auth.brute_force.window", &b.window, false)?,
        };
        let ban = duration("auth.brute_force.ban", &b.ban, true)?;
        let prefix = Threshold {
            count: count("auth.prefix.failures", self.prefix.failures, MAX_COUNT)?,
            window: duration("auth.prefix.window", &self.prefix.window, false)?,
        };
        let u = &self.user;
        let user_risk = Threshold {
            count: count("auth.user.risk_failures", u.risk_failures, MAX_COUNT)?,
            window: duration("auth.user.window", &u.window, false)?,
        };
        let block_failures = count("auth.user.block_failures", u.block_failures, MAX_COUNT)?;
        if block_failures < user_risk.count {
            return Err(err(
                "auth.user.block_failures",
                format!(
                    "must be at least `risk_failures` ({}), not {block_failures}",
                    user_risk.count
                ),
            ));
        }
        let s = &self.stuffing;
        let window = duration("auth.stuffing.window", &s.window, false)?;
        if !(s.spike_ratio > 0.0 && s.spike_ratio <= 1.0) {
            return Err(err(
                "auth.stuffing.spike_ratio",
                format!("must be in (0, 1], not {}", s.spike_ratio),
            ));
        }
        let n = &self.new_ip;
        let report = match (&n.secret, &n.link_base) {
            (Some(secret), Some(base)) => {
                if secret.len() < 32 {
                    return Err(err(
                        "auth.new_ip.secret",
                        "must be at least 32 bytes (e.g. `openssl rand -hex 32`)",
                    ));
                }
                Some(ReportSettings {
                    secret: Zeroizing::new(secret.as_bytes().to_vec()),
                    link_base: http_url("auth.new_ip.link_base", base)?,
                    ttl: duration("auth.new_ip.link_ttl", &n.link_ttl, false)?,
                })
            }
            (Some(_), None) => {
                return Err(err(
                    "auth.new_ip.link_base",
                    "is needed with `secret` (the site's public URL, for the links)",
                ));
            }
            (None, Some(_)) => {
                return Err(err(
                    "auth.new_ip.secret",
                    "is needed with `link_base` (the key that signs the links)",
                ));
            }
            (None, None) => None,
        };
        let report_ban = duration("auth.new_ip.report_ban", &n.report_ban, false)?;
        let p = &self.pwned;
        if p.min_count == 0 {
            return Err(err("auth.pwned.min_count", "must be at least 1"));
        }
        let pwned = PwnedSettings {
            file: match p.file.as_deref() {
                Some("") => return Err(err("auth.pwned.file", "must not be empty")),
                f => f.map(PathBuf::from),
            },
            api: p
                .api
                .as_deref()
                .map(|a| http_url("auth.pwned.api", a))
                .transpose()?,
            api_timeout: duration("auth.pwned.api_timeout", &p.api_timeout, false)?,
            cache_ranges: cap("auth.pwned.cache_ranges", p.cache_ranges)?,
            cache_ttl: duration("auth.pwned.cache_ttl", &p.cache_ttl, false)?,
            min_count: p.min_count,
            block: p.block,
        };
        let l = &self.limits;
        let monitor = MonitorSettings {
            ipv4_prefix: self.ipv4_prefix,
            ipv6_prefix: self.ipv6_prefix,
            brute_force,
            brute_force_ban: (!ban.is_zero()).then_some(ban),
            prefix,
            user_risk,
            user_block_failures: block_failures,
            user_block: u.block,
            user_cooldown: duration("auth.user.cooldown", &u.cooldown, false)?,
            users_per_ip: Threshold {
                count: count("auth.stuffing.users_per_ip", s.users_per_ip, MAX_DISTINCT)?,
                window,
            },
            ips_per_user: Threshold {
                count: count("auth.stuffing.ips_per_user", s.ips_per_user, MAX_DISTINCT)?,
                window,
            },
            spike_ratio: s.spike_ratio,
            spike_min_attempts: count(
                "auth.stuffing.spike_min_attempts",
                s.spike_min_attempts,
                u32::MAX,
            )?,
            spike_window: duration("auth.stuffing.spike_window", &s.spike_window, false)?,
            new_ip: n.enabled,
            alert_first_login: n.alert_first_login,
            report_ban,
            breached_min_count: p.min_count,
            breached_on_failure: p.alert_on_failure,
            limits: Limits {
                ips: cap("auth.limits.ips", l.ips)?,
                users: cap("auth.limits.users", l.users)?,
                prefixes: cap("auth.limits.prefixes", l.prefixes)?,
                known_pairs: cap("auth.limits.known_pairs", l.known_pairs)?,
                used_nonces: cap("auth.limits.used_nonces", l.used_nonces)?,
            },
        };
        Ok(AuthSettings {
            routes,
            monitor,
            report,
            pwned,
        })
    }
}
