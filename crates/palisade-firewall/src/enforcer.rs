//! The sync engine: makes the actions agree with the black book.
//!
//! Each [`Enforcer::sync`] compares the black book's active bans with the applied set (what
//! each action has applied, with which expiry) and issues only the difference: ban what is
//! new, ban again what got a different expiry, unban what left the book or expired. The
//! applied set is persisted, so after a restart the first sync lifts bans that expired while
//! palisade was down (a command action's rules do not expire by themselves), and re-applies
//! everything to actions whose `start` began from an empty firewall (nftables).
//!
//! A failing command is logged and reported in the [`SyncReport`]; the difference it left is
//! retried on the next sync. Nothing here is fatal.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use palisade_core::Timestamp;
use palisade_state::{Ban, State};

use crate::action::Action;
use crate::applied::{self, AppliedSet};
use crate::error::{ActionError, FirewallError};

// After this many failures in one sync an action is left alone until the next sync: a missing
// `nft` must not cost one failed process per ban.
const MAX_FAILURES_PER_SYNC: usize = 5;
// Individual failures logged per sync; the rest are counted in the report.
const MAX_LOGGED_FAILURES: usize = 10;

/// What a failed step was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Starting an action.
    Start,
    /// Banning a target.
    Ban(IpNet),
    /// Unbanning a target.
    Unban(IpNet),
    /// Stopping an action.
    Stop,
    /// Writing the applied set to its file.
    SaveState,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Start => f.write_str("start"),
            Operation::Ban(t) => write!(f, "ban {t}"),
            Operation::Unban(t) => write!(f, "unban {t}"),
            Operation::Stop => f.write_str("stop"),
            Operation::SaveState => f.write_str("save state"),
        }
    }
}

/// One step that failed; it is retried on the next sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The action's name; `None` for the enforcer's own steps (saving state).
    pub action: Option<String>,
    /// What it was doing.
    pub operation: Operation,
    /// The error, as text (command line, status and stderr for a command).
    pub error: String,
}

/// What one [`Enforcer::sync`] (or [`Enforcer::shutdown`]) did, counted per action and target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct SyncReport {
    /// Targets newly banned.
    pub banned: usize,
    /// Targets banned again because their expiry changed.
    pub rebanned: usize,
    /// Targets unbanned (left the black book, or expired).
    pub unbanned: usize,
    /// Steps skipped because their action failed too often in this sync; retried next time.
    pub deferred: usize,
    /// Steps that failed.
    pub failures: Vec<Failure>,
}

impl SyncReport {
    /// True when nothing failed or was deferred.
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty() && self.deferred == 0
    }

    fn fail(&mut self, action: Option<&str>, operation: Operation, error: &dyn fmt::Display) {
        let error = error.to_string();
        if self.failures.len() < MAX_LOGGED_FAILURES {
            tracing::warn!(action = action.unwrap_or("-"), %operation, %error, "firewall step failed; retried on the next sync");
        }
        self.failures.push(Failure {
            action: action.map(str::to_owned),
            operation,
            error,
        });
    }
}

struct Slot {
    action: Box<dyn Action>,
    started: bool,
    /// Failures in the current sync.
    failures: usize,
}

/// Keeps the actions in line with the black book: each [`Enforcer::sync`] applies only the
/// difference between the active bans and what each action applied (the applied set,
/// persisted so a restart neither forgets to lift an expired ban nor loses bans an action's
/// `start` wiped). Dropping it leaves the firewall as it is (a crash does the same); call
/// [`Enforcer::shutdown`] to remove what the actions created.
pub struct Enforcer {
    slots: Vec<Slot>,
    applied: AppliedSet,
    path: Option<PathBuf>,
    /// Start failures from construction, reported by the first sync.
    pending: Vec<Failure>,
}

impl fmt::Debug for Enforcer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enforcer")
            .field(
                "actions",
                &self
                    .slots
                    .iter()
                    .map(|s| s.action.name())
                    .collect::<Vec<_>>(),
            )
            .field("applied", &self.applied.len())
            .field("path", &self.path)
            .finish()
    }
}

impl Enforcer {
    /// Loads the applied set from `state_path` (missing: empty) and starts each action. An
    /// action that fails to start is logged and started again by the next sync; an unreadable
    /// state file or two actions with one name is an error.
    pub fn new(
        actions: Vec<Box<dyn Action>>,
        state_path: impl Into<PathBuf>,
    ) -> Result<Self, FirewallError> {
        let path = state_path.into();
        let applied = applied::load(&path)?;
        Self::build(actions, applied, Some(path))
    }

    /// Like [`Enforcer::new`] with nothing persisted: for dry runs, which must not record
    /// bans that were never applied.
    pub fn without_state(actions: Vec<Box<dyn Action>>) -> Result<Self, FirewallError> {
        Self::build(actions, AppliedSet::new(), None)
    }

    fn build(
        actions: Vec<Box<dyn Action>>,
        applied: AppliedSet,
        path: Option<PathBuf>,
    ) -> Result<Self, FirewallError> {
        let mut seen = std::collections::BTreeSet::new();
        for a in &actions {
            if !seen.insert(a.name().to_owned()) {
                return Err(FirewallError::DuplicateAction(a.name().to_owned()));
            }
        }
        let mut enforcer = Enforcer {
            slots: actions
                .into_iter()
                .map(|action| Slot {
                    action,
                    started: false,
                    failures: 0,
                })
                .collect(),
            applied,
            path,
            pending: Vec::new(),
        };
        let mut report = SyncReport::default();
        enforcer.start_actions(&mut report);
        enforcer.pending = report.failures;
        Ok(enforcer)
    }

    fn start_actions(&mut self, report: &mut SyncReport) {
        for slot in self.slots.iter_mut().filter(|s| !s.started) {
            match slot.action.start() {
                Ok(()) => {
                    slot.started = true;
                    if !slot.action.persistent_across_start() {
                        // Its firewall starts empty: forget what it had, so sync applies it all again.
                        let name = slot.action.name();
                        for actions in self.applied.values_mut() {
                            actions.remove(name);
                        }
                        self.applied.retain(|_, actions| !actions.is_empty());
                    }
                }
                Err(e) => {
                    slot.failures += 1;
                    report.fail(Some(slot.action.name()), Operation::Start, &e);
                }
            }
        }
    }

    /// Makes the actions enforce exactly the active `bans` at `now` (bans with
    /// `expires_at <= now` count as gone), then saves the applied set.
    pub fn sync(&mut self, bans: &[Ban], now: Timestamp) -> SyncReport {
        let mut report = SyncReport {
            failures: std::mem::take(&mut self.pending),
            ..SyncReport::default()
        };
        for slot in &mut self.slots {
            slot.failures = 0;
        }
        self.start_actions(&mut report);

        let mut desired: BTreeMap<IpNet, (Option<i64>, &str)> = BTreeMap::new();
        for ban in bans.iter().filter(|b| b.is_active(now)) {
            let expiry = ban.expires_at.map(|t| t.0);
            let slot = desired
                .entry(ban.target.trunc())
                .or_insert((expiry, &ban.reason));
            // Two entries for one target: the longer ban wins.
            if later(expiry, slot.0) {
                *slot = (expiry, &ban.reason);
            }
        }
        let before = self.applied.clone();

        // Unbans first: a lifted network may make room for the bans below.
        let targets: Vec<IpNet> = self.applied.keys().copied().collect();
        for target in targets {
            if desired.contains_key(&target) {
                continue;
            }
            let names: Vec<(String, Option<i64>)> = self.applied[&target]
                .iter()
                .map(|(n, e)| (n.clone(), *e))
                .collect();
            for (name, expiry) in names {
                let Some(slot) = self.slots.iter_mut().find(|s| s.action.name() == name) else {
                    // No longer configured: nothing can lift it; forget it once it expired.
                    if expiry.is_some_and(|e| e <= now.0) {
                        forget(&mut self.applied, target, &name);
                    }
                    continue;
                };
                if step(slot, &mut report, Operation::Unban(target), |a| {
                    a.unban(target)
                }) {
                    forget(&mut self.applied, target, &name);
                    report.unbanned += 1;
                }
            }
        }

        for (target, (expiry, reason)) in &desired {
            let ttl = expiry.map(|e| Duration::from_millis(u64::try_from(e - now.0).unwrap_or(0)));
            for slot in &mut self.slots {
                let name = slot.action.name().to_owned();
                let current = self.applied.get(target).and_then(|a| a.get(&name));
                let rebanning = match current {
                    None => false,
                    Some(applied) if applied == expiry => continue,
                    Some(_) => true,
                };
                if step(slot, &mut report, Operation::Ban(*target), |a| {
                    a.ban(*target, ttl, reason)
                }) {
                    self.applied
                        .entry(*target)
                        .or_default()
                        .insert(name, *expiry);
                    if rebanning {
                        report.rebanned += 1;
                    } else {
                        report.banned += 1;
                    }
                }
            }
        }

        if self.applied != before {
            self.save(&mut report);
        }
        if report.failures.len() > MAX_LOGGED_FAILURES {
            tracing::warn!(
                failures = report.failures.len(),
                "firewall sync: more failures than logged"
            );
        }
        report
    }

    /// [`Enforcer::sync`] with the black book's current list.
    pub fn sync_state(&mut self, state: &dyn State, now: Timestamp) -> SyncReport {
        self.sync(&state.list(now), now)
    }

    /// The earliest expiry among applied bans: when the next unban is due. A caller's loop
    /// sleeps until then (or its refresh interval, whichever is sooner). It is in the past
    /// while an unban keeps failing, so wait at least a short retry interval.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.applied
            .values()
            .flat_map(|actions| actions.values())
            .filter_map(|e| *e)
            .min()
            .map(Timestamp)
    }

    /// What is applied: target, action name and the expiry it was applied with.
    pub fn applied(&self) -> impl Iterator<Item = (IpNet, &str, Option<Timestamp>)> {
        self.applied.iter().flat_map(|(target, actions)| {
            actions
                .iter()
                .map(|(name, e)| (*target, name.as_str(), e.map(Timestamp)))
        })
    }

    /// Stops each action (nftables removes its table; a command action runs its stop
    /// template). The applied set keeps what survives a stop — a command action's bans — so
    /// the next start can still lift them. A later sync starts the actions again.
    pub fn shutdown(&mut self) -> SyncReport {
        let mut report = SyncReport::default();
        let before = self.applied.clone();
        for slot in self.slots.iter_mut().filter(|s| s.started) {
            if let Err(e) = slot.action.stop() {
                report.fail(Some(slot.action.name()), Operation::Stop, &e);
            }
            // Even after a failed stop: the next start begins again from scratch.
            slot.started = false;
            if !slot.action.persistent_across_start() {
                let name = slot.action.name();
                for actions in self.applied.values_mut() {
                    actions.remove(name);
                }
                self.applied.retain(|_, actions| !actions.is_empty());
            }
        }
        if self.applied != before {
            self.save(&mut report);
        }
        report
    }

    fn save(&self, report: &mut SyncReport) {
        if let Some(path) = &self.path
            && let Err(e) = applied::save(path, &self.applied)
        {
            report.fail(
                None,
                Operation::SaveState,
                &format!("{}: {e}", path.display()),
            );
        }
    }
}

// The binary runs the enforcer on its own thread.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Enforcer>();
};

/// Runs one action step unless the action is stopped or failing; true when it ran and
/// succeeded.
fn step(
    slot: &mut Slot,
    report: &mut SyncReport,
    operation: Operation,
    f: impl FnOnce(&mut dyn Action) -> Result<(), ActionError>,
) -> bool {
    if !slot.started {
        return false;
    }
    if slot.failures >= MAX_FAILURES_PER_SYNC {
        report.deferred += 1;
        return false;
    }
    match f(slot.action.as_mut()) {
        Ok(()) => true,
        Err(e) => {
            slot.failures += 1;
            report.fail(Some(slot.action.name()), operation, &e);
            false
        }
    }
}

fn forget(applied: &mut AppliedSet, target: IpNet, name: &str) {
    if let Some(actions) = applied.get_mut(&target) {
        actions.remove(name);
        if actions.is_empty() {
            applied.remove(&target);
        }
    }
}

/// `a` lifts later than `b` (`None` is never).
fn later(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}
