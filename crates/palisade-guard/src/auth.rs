//! The login-monitoring phase's glue: the guard's settings for `palisade-auth`, the shared
//! [`Monitor`] behind a `std::sync::Mutex` (held for microseconds, never across an await),
//! the breached-password check off the proxy threads, and the new-IP mail.
//!
//! # Security
//!
//! Passwords stay in `palisade_auth::Password` (zeroed on drop) from extraction until their
//! SHA-1 is taken, which is the first thing done with them; they never reach an event, a log
//! line or the black book. Report tokens go only into the user's mail.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use palisade_auth::pwned::Pwned;
use palisade_auth::{
    Attempt, AuthSettings, Decision, Monitor, Outcome, PasswordHash, Risk, TokenError,
    UsernamePolicy,
};
use palisade_auth::{SharedCount, SharedCounts, SharedLogin};
use palisade_core::Timestamp;
use palisade_state::{RedisState, WindowCount};

/// How long every guard remembers a user's login networks after the last login from them.
const KNOWN_KEEP: Duration = Duration::from_secs(180 * 24 * 3600);

/// Networks remembered per user across guards (the least recently used go first).
const KNOWN_CAP: u32 = 50;

/// Sends one plain-text mail to one address (the binary builds it from an email sink).
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends; the error is for logs and must not contain the text.
    async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), String>;
}

/// Login monitoring, validated.
#[derive(Clone)]
pub struct AuthGuardSettings {
    /// Routes, thresholds, report links (from `[auth]`).
    pub settings: AuthSettings,
    /// The breached-password sources, opened.
    pub pwned: Pwned,
    /// Mails users about logins from new networks, when configured.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Where the (user, network) pairs of successful logins are kept across restarts (JSON
    /// lines); `None` keeps them in memory only.
    pub known_logins: Option<std::path::PathBuf>,
}

impl fmt::Debug for AuthGuardSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthGuardSettings")
            .field("settings", &self.settings)
            .field("pwned", &self.pwned.is_enabled())
            .field("mailer", &self.mailer.is_some())
            .finish()
    }
}

/// Which watched route a request is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Watched {
    /// `settings.routes.login[i]`.
    Login(usize),
    /// `settings.routes.account_change[i]`.
    Change(usize),
}

/// The shared monitor and what it needs.
pub(crate) struct AuthRuntime {
    pub settings: AuthSettings,
    pwned: Pwned,
    monitor: Mutex<Monitor>,
    mailer: Option<Arc<dyn Mailer>>,
    known_logins: Option<std::path::PathBuf>,
}

impl AuthRuntime {
    pub fn new(s: AuthGuardSettings) -> Self {
        let mut monitor = s.settings.monitor();
        if let Some(path) = &s.known_logins {
            load_known(&mut monitor, path);
        }
        AuthRuntime {
            monitor: Mutex::new(monitor),
            settings: s.settings,
            pwned: s.pwned,
            mailer: s.mailer,
            known_logins: s.known_logins,
        }
    }

    /// Appends the pairs learnt since the last call to the known-logins file (upkeep thread).
    pub fn persist_learned(&self) {
        let Some(path) = &self.known_logins else {
            return;
        };
        let (pairs, overflowed) = self.monitor().drain_learned();
        let result = if overflowed > 0 {
            // More were learnt than the buffer holds: write the whole set instead.
            let all = self.monitor().export_known();
            write_known(path, &all)
        } else if pairs.is_empty() {
            Ok(())
        } else {
            append_known(path, &pairs)
        };
        if let Err(e) = result {
            tracing::warn!(file = %path.display(), "cannot save known logins: {e}");
        }
    }

    fn monitor(&self) -> MutexGuard<'_, Monitor> {
        // A panic inside observe cannot leave the maps unusable: they are plain LRU caches.
        self.monitor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The watched route a request is on, if any.
    pub fn watched(&self, method: &http::Method, target: &str) -> Option<Watched> {
        let routes = &self.settings.routes;
        if let Some(i) = routes.login.iter().position(|r| r.matches(method, target)) {
            return Some(Watched::Login(i));
        }
        routes
            .account_change
            .iter()
            .position(|r| r.matches(method, target))
            .map(Watched::Change)
    }

    /// How usernames reported through the admin API are normalised (the first route's policy).
    pub fn usernames(&self) -> UsernamePolicy {
        let routes = &self.settings.routes;
        routes
            .login
            .first()
            .map(|r| r.usernames)
            .or_else(|| routes.account_change.first().map(|r| r.usernames))
            .unwrap_or_default()
    }

    pub fn observe(&self, attempt: &Attempt, outcome: Outcome, ip: IpAddr) -> Vec<Decision> {
        self.monitor()
            .observe(attempt, outcome, ip, Timestamp::now())
    }

    /// [`AuthRuntime::observe`] with a failure's counts shared by every guard through
    /// `cluster` (one round trip for the IP, prefix and user counts). When Redis does not
    /// answer in time the failure is counted locally only.
    pub async fn observe_shared(
        &self,
        attempt: &Attempt,
        outcome: Outcome,
        ip: IpAddr,
        cluster: Option<&RedisState>,
    ) -> Vec<Decision> {
        let mut shared = SharedCounts::default();
        if let (Some(cluster), Outcome::Success) = (cluster, outcome)
            && !attempt.username.is_empty()
        {
            let network = self.monitor().prefix(ip.to_canonical()).to_string();
            match cluster
                .known_login(&attempt.username, &network, KNOWN_KEEP, KNOWN_CAP)
                .await
            {
                Ok(k) => {
                    shared.login = Some(SharedLogin {
                        user_known: k.user_known,
                        prefix_known: k.network_known,
                    })
                }
                Err(e) => {
                    tracing::debug!("shared login memory unavailable, using this guard's: {e}")
                }
            }
        }
        if let (Some(cluster), Outcome::Failure) = (cluster, outcome) {
            let counts: Vec<WindowCount> = self
                .monitor()
                .shared_keys(&attempt.username, ip)
                .into_iter()
                .map(|k| WindowCount {
                    name: k.name,
                    window: k.window,
                    threshold: k.threshold,
                })
                .collect();
            match cluster.tally(&counts).await {
                Ok(t) => {
                    let count = |i: usize| {
                        t.get(i).map(|t| SharedCount {
                            count: t.count,
                            first: t.first,
                        })
                    };
                    shared.ip = count(0);
                    shared.prefix = count(1);
                    shared.user = count(2);
                }
                Err(e) => tracing::debug!("shared login counts unavailable, counting locally: {e}"),
            }
        }
        self.monitor()
            .observe_shared(attempt, outcome, ip, Timestamp::now(), &shared)
    }

    pub fn risk(&self, user: &str, ip: IpAddr) -> Risk {
        self.monitor().risk(user, ip, Timestamp::now())
    }

    pub fn account_change(&self, i: usize, user: Option<&str>, ip: IpAddr) -> Option<Decision> {
        let route = self.settings.routes.account_change.get(i)?;
        Some(
            self.monitor()
                .account_change(route.kind, user, ip, Timestamp::now()),
        )
    }

    /// Uses a "this wasn't me" link: once across every guard when `cluster` is given (when
    /// Redis does not answer, once on this guard).
    pub async fn redeem(
        &self,
        token: &str,
        cluster: Option<&RedisState>,
    ) -> Result<Decision, TokenError> {
        if let Some(cluster) = cluster {
            let now = Timestamp::now();
            let claims = self.monitor().verify_report(token, now)?;
            let nonce: String = claims.nonce.iter().map(|b| format!("{b:02x}")).collect();
            let ttl =
                Duration::from_millis(claims.expires_at.0.saturating_sub(now.0).max(1) as u64);
            let network = self.monitor().prefix(claims.ip).to_string();
            match cluster
                .redeem_once(&nonce, ttl, &claims.user, &network)
                .await
            {
                Ok(true) => {}
                Ok(false) => return Err(TokenError::AlreadyUsed),
                Err(e) => tracing::debug!("shared report links unavailable, checking locally: {e}"),
            }
        }
        self.monitor().redeem_report(token, Timestamp::now())
    }

    pub fn reports_enabled(&self) -> bool {
        self.settings.report.is_some()
    }

    pub fn pwned_enabled(&self) -> bool {
        self.pwned.is_enabled()
    }

    pub fn block_breached(&self) -> bool {
        self.settings.pwned.block
    }

    /// The breach count of a password hash, at least `min_count`; `None` when not breached
    /// or the check failed (logged: a broken source must not lock users out). The file is
    /// searched on a blocking thread so a cold disk never stalls the proxy.
    pub async fn breach_count(&self, hash: PasswordHash) -> Option<u64> {
        let mut found = None;
        if let Some(file) = self.pwned.file.clone() {
            match tokio::task::spawn_blocking(move || file.lookup(&hash)).await {
                Ok(Ok(n)) => found = n,
                Ok(Err(e)) => tracing::warn!("breached-password file: {e}"),
                Err(e) => tracing::warn!("breached-password file lookup: {e}"),
            }
        }
        if found.is_none()
            && let Some(api) = &self.pwned.api
        {
            match api.lookup(&hash).await {
                Ok(n) => found = n,
                Err(e) => tracing::warn!("breached-password API: {e}"),
            }
        }
        found.filter(|n| *n >= self.settings.pwned.min_count)
    }

    /// Mails the user of a new-IP login their "this wasn't me" link, on a background task.
    pub fn mail_new_ip(&self, decision: &Decision) {
        let Decision::NewIpLogin {
            user,
            ip,
            prefix,
            email: Some(email),
            report,
        } = decision
        else {
            return;
        };
        let (Some(mailer), Some(links)) = (&self.mailer, &self.settings.report) else {
            return;
        };
        let link = report.as_ref().map(|t| t.link(&links.link_base));
        let ttl = humantime::format_duration(links.ttl).to_string();
        let text = new_ip_text(user, *ip, &prefix.to_string(), link.as_deref(), &ttl);
        let mailer = mailer.clone();
        let to = email.clone();
        tokio::spawn(async move {
            if let Err(e) = mailer.send(&to, "New sign-in to your account", &text).await {
                tracing::warn!("new-IP login mail could not be sent: {e}");
            }
        });
    }
}

fn new_ip_text(user: &str, ip: IpAddr, prefix: &str, link: Option<&str>, ttl: &str) -> String {
    let mut text = format!(
        "Hello,\n\nyour account {user} was just signed in to from a network it has not used \
         before ({prefix}, address {ip}).\n\nIf this was you, there is nothing to do.\n"
    );
    if let Some(link) = link {
        text.push_str(&format!(
            "If it was not you, open this link: the address will be blocked and the sign-in \
             reported.\n\n{link}\n\nThe link works once and for {ttl}. Then change your password.\n"
        ));
    } else {
        text.push_str("If it was not you, change your password now.\n");
    }
    text
}

/// Loads the known-logins file, then rewrites it from what the monitor kept (its cap applies),
/// so the file does not grow without bound across restarts.
fn load_known(monitor: &mut Monitor, path: &std::path::Path) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            tracing::warn!(file = %path.display(), "cannot read known logins: {e}");
            return;
        }
    };
    let pairs = text
        .lines()
        .filter_map(|l| serde_json::from_str::<palisade_auth::KnownPair>(l).ok());
    monitor.import_known(pairs);
    if let Err(e) = write_known(path, &monitor.export_known()) {
        tracing::warn!(file = %path.display(), "cannot compact known logins: {e}");
    }
}

fn known_lines(pairs: &[palisade_auth::KnownPair]) -> String {
    let mut text = String::new();
    for p in pairs {
        if let Ok(line) = serde_json::to_string(p) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

fn append_known(path: &std::path::Path, pairs: &[palisade_auth::KnownPair]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(known_lines(pairs).as_bytes())
}

/// Replaces the file atomically (write aside, rename).
fn write_known(path: &std::path::Path, pairs: &[palisade_auth::KnownPair]) -> std::io::Result<()> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".tmp");
    std::fs::write(&aside, known_lines(pairs))?;
    std::fs::rename(&aside, path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_mail_carries_the_link_on_a_line_of_its_own() {
        let ip = std::net::IpAddr::from([203, 0, 113, 7]);
        let text = super::new_ip_text(
            "alice",
            ip,
            "203.0.113.0/24",
            Some("https://x/.palisade/report/t"),
            "7days",
        );
        assert!(
            text.contains("\n\nhttps://x/.palisade/report/t\n\n"),
            "{text}"
        );
        assert!(text.contains("203.0.113.7"));
    }
}
