//! Logins and requests read from other daemons' logs (`palisade watch`): fed into the same
//! login monitor, offence scores and black book as the guard's own, so an address that
//! fails on SSH and then on the web app is counted once, and banned everywhere.

use std::net::IpAddr;
use std::sync::Arc;

use palisade_auth::{Attempt, Outcome, UsernameCase, UsernamePolicy};
use palisade_core::{Category, Emit, Event};
use palisade_state::Offence;

use crate::auth::{AuthGuardSettings, AuthRuntime};
use crate::defence::{BlackbookSettings, Defences, Origin};

/// A handle that feeds log-read logins and offences into a guard's defences (or, for
/// `palisade watch` alone, into defences of its own). Cheap to clone.
#[derive(Clone)]
pub struct LoginFeed {
    defences: Arc<Defences>,
}

/// One login read from a log line.
#[derive(Debug, Clone, Copy)]
pub struct LogLogin<'a> {
    /// The service: `ssh`, `ftp`, `mail`, `http`, or a custom source's.
    pub service: &'a str,
    /// The `[[watch]]` source that read it.
    pub source: &'a str,
    /// The client address.
    pub ip: IpAddr,
    /// The username, when the line names one.
    pub user: Option<&'a str>,
    /// True for a successful login.
    pub success: bool,
    /// What the line said (`failed_password`, `invalid_user`, …).
    pub kind: &'a str,
}

/// The service a log line came from, written into the events it causes.
struct LogOrigin<'a> {
    service: &'a str,
    source: &'a str,
    kind: Option<&'a str>,
}

impl Origin for LogOrigin<'_> {
    fn stamp(&self, mut event: Event) -> Event {
        if event.category == Category::AuthFailure {
            event.category = auth_failure_category(self.service);
        }
        event = event
            .with_field("service", self.service)
            .with_field("log_source", self.source);
        if let Some(kind) = self.kind {
            event = event.with_field("log_kind", kind);
        }
        event
    }

    fn reason(&self, reason: String) -> String {
        format!("{}: {reason}", self.service)
    }
}

/// `ssh_auth_failure` for SSH, and so on; `auth_failure` for web and custom services.
pub fn auth_failure_category(service: &str) -> Category {
    match service {
        "ssh" => Category::SshAuthFailure,
        "ftp" => Category::FtpAuthFailure,
        "mail" => Category::MailAuthFailure,
        _ => Category::AuthFailure,
    }
}

impl LoginFeed {
    pub(crate) fn new(defences: Arc<Defences>) -> Self {
        LoginFeed { defences }
    }

    /// Defences of its own, for `palisade watch` without a guard: the black book is the
    /// guard's (shared through its SQLite file), the monitor's windows are this process's.
    pub fn standalone(
        events: Arc<dyn Emit>,
        book: Option<BlackbookSettings>,
        auth: AuthGuardSettings,
    ) -> Self {
        let defences = Arc::new(Defences::new(
            events,
            book,
            None,
            Some(AuthRuntime::new(auth)),
        ));
        defences.start_upkeep();
        LoginFeed { defences }
    }

    /// Records a login: the monitor decides (failures, brute force, stuffing, new-IP logins),
    /// each decision becomes an event stamped with the service, bans go to the black book.
    pub fn login(&self, login: &LogLogin<'_>) {
        let Some(auth) = &self.defences.auth else {
            return;
        };
        // System accounts are case-sensitive (`Root` is not `root`); web logins follow the
        // routes' policy.
        let policy = if login.service == "http" {
            auth.usernames()
        } else {
            UsernamePolicy {
                case: UsernameCase::Exact,
                ..UsernamePolicy::default()
            }
        };
        let user = login.user.and_then(|u| policy.normalise(u));
        let attempt = Attempt::reported(login.service, user.unwrap_or_default(), None);
        let outcome = if login.success {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let decisions = auth.observe(&attempt, outcome, login.ip);
        let origin = LogOrigin {
            service: login.service,
            source: login.source,
            kind: Some(login.kind),
        };
        self.defences.decide(decisions, Some(&origin));
    }

    /// Records something else a log showed (a burst of 404s, a probe for `.env`): the event,
    /// and an offence of the event's category toward its source address's score.
    pub fn offence(&self, service: &str, source: &str, event: Event) {
        let origin = LogOrigin {
            service,
            source,
            kind: None,
        };
        let offence = event
            .source_ip
            .map(|ip| Offence::new(ip, event.category.clone(), event.message.clone()));
        self.defences.events.emit(origin.stamp(event));
        if let Some(o) = offence {
            self.defences.offence(&o, Some(&origin));
        }
    }

    /// True when the address is in the black book now (lines from banned addresses still
    /// count: a daemon the firewall does not cover keeps logging them).
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        self.defences.book.as_ref().is_some_and(|b| {
            b.state
                .check(ip, palisade_core::Timestamp::now())
                .is_banned()
        })
    }
}
