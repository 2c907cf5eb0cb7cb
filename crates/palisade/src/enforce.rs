//! `[[enforce]]`: the black book's bans applied to the firewall (nftables) or through
//! commands, kept in sync by one thread; expiries are honoured across restarts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use palisade_core::Timestamp;
use palisade_firewall::{Action, CommandAction, Enforcer, NftVerdict, Nftables, Runner};
use palisade_state::State;

use crate::Failure;
use crate::commands::Loaded;
use crate::config::watch::EnforceFile;

/// How often the black book is compared with what the actions applied.
const EVERY: Duration = Duration::from_secs(1);

/// The enforcer's thread; dropping it stops the thread and removes what the actions set up.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn input(loaded: &Loaded, i: usize, message: impl std::fmt::Display) -> Failure {
    Failure::Input(format!("{}: `enforce[{i}]`: {message}", loaded.name))
}

/// Builds the actions of `[[enforce]]` (a dry run prints their commands instead).
fn actions(loaded: &Loaded, dry_run: bool) -> Result<Vec<Box<dyn Action>>, Failure> {
    let mut out: Vec<Box<dyn Action>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, e) in loaded.config.enforce.iter().enumerate() {
        let runner = || {
            if dry_run {
                Runner::printing(Box::new(std::io::stdout()))
            } else {
                Runner::executing()
            }
        };
        let base = e.name.clone().unwrap_or_else(|| e.kind.clone());
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            if e.name.is_some() {
                return Err(input(loaded, i, format!("two actions are named `{name}`")));
            }
            n += 1;
            name = format!("{base}-{n}");
        }
        names.push(name.clone());
        let action: Box<dyn Action> = match e.kind.as_str() {
            "nftables" => Box::new(nftables(e, &name, runner()).map_err(|m| input(loaded, i, m))?),
            "command" => Box::new(command(e, &name, runner()).map_err(|m| input(loaded, i, m))?),
            other => {
                return Err(input(
                    loaded,
                    i,
                    format!("unknown kind `{other}` (nftables, command)"),
                ));
            }
        };
        out.push(action);
    }
    Ok(out)
}

fn nftables(e: &EnforceFile, name: &str, runner: Runner) -> Result<Nftables, String> {
    if e.ban.is_some() || e.unban.is_some() || e.start.is_some() || e.stop.is_some() {
        return Err("`ban`, `unban`, `start` and `stop` are for kind = \"command\"".into());
    }
    let mut nft = Nftables::new(runner)
        .named(name)
        .map_err(|e| e.to_string())?;
    if let Some(t) = &e.table {
        nft = nft.in_table(t).map_err(|e| e.to_string())?;
    }
    if !e.nft.is_empty() {
        nft = nft.with_program(e.nft.clone()).map_err(|e| e.to_string())?;
    }
    if let Some(v) = &e.verdict {
        let v: NftVerdict = v
            .parse()
            .map_err(|e: palisade_firewall::FirewallError| e.to_string())?;
        nft = nft.with_verdict(v);
    }
    if e.forward {
        nft = nft.guarding_forward();
    }
    Ok(nft)
}

fn command(e: &EnforceFile, name: &str, runner: Runner) -> Result<CommandAction, String> {
    if e.table.is_some() || !e.nft.is_empty() || e.verdict.is_some() || e.forward {
        return Err("`table`, `nft`, `verdict` and `forward` are for kind = \"nftables\"".into());
    }
    let (Some(ban), Some(unban)) = (&e.ban, &e.unban) else {
        return Err("kind = \"command\" needs `ban` and `unban`".into());
    };
    let mut action = CommandAction::new(name, runner, ban, unban).map_err(|e| e.to_string())?;
    if let Some(t) = &e.start {
        action = action.on_start(t).map_err(|e| e.to_string())?;
    }
    if let Some(t) = &e.stop {
        action = action.on_stop(t).map_err(|e| e.to_string())?;
    }
    Ok(action)
}

/// Where the enforcer remembers what it applied: beside the events database.
fn state_file(loaded: &Loaded) -> PathBuf {
    loaded
        .config
        .events
        .database
        .with_file_name("palisade-enforce.json")
}

/// Validates `[[enforce]]` (for `config check`).
pub fn check(loaded: &Loaded) -> Result<(), Failure> {
    actions(loaded, true).map(drop)
}

/// How `[[enforce]]` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A thread keeps the firewall in sync until the process stops, then removes what it set up.
    Follow,
    /// One sync, and what was applied stays (nftables elements expire on their own).
    Once,
    /// Print the commands one sync would run; run nothing, remember nothing.
    DryRun,
}

/// Holds the enforcer's lock file: one process per state file applies bans, so a guard and a
/// `palisade watch` on the same host do not undo each other's firewall table.
struct Lock {
    // Held, never read: the lock lasts as long as the file is open.
    _file: std::fs::File,
}

fn lock(loaded: &Loaded) -> Result<Option<Lock>, Failure> {
    let path = state_file(loaded).with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => {
            tracing::warn!(
                lock = %path.display(),
                "another palisade process enforces [[enforce]] on this host; this one does not"
            );
            Ok(None)
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::Runtime(anyhow::anyhow!(
            "locking {}: {e}",
            path.display()
        ))),
    }
}

/// Starts enforcing the black book, when `[[enforce]]` has actions: a thread (`Follow`), one
/// sync (`Once`), or the commands printed (`DryRun`).
pub fn start(
    loaded: &Loaded,
    state: Option<Arc<dyn State>>,
    mode: Mode,
) -> Result<Option<Running>, Failure> {
    if loaded.config.enforce.is_empty() {
        return Ok(None);
    }
    let Some(state) = state else {
        return Err(Failure::Input(format!(
            "{}: [[enforce]] applies the black book's bans, and [blackbook] enabled = false",
            loaded.name
        )));
    };
    let actions = actions(loaded, mode == Mode::DryRun)?;
    if mode == Mode::DryRun {
        let mut enforcer = Enforcer::without_state(actions)
            .map_err(|e| Failure::Input(format!("{}: [[enforce]]: {e}", loaded.name)))?;
        let report = enforcer.sync_state(state.as_ref(), Timestamp::now());
        println!(
            "dry run: {} bans would be applied; nothing was run",
            report.banned
        );
        return Ok(None);
    }
    let Some(lock) = lock(loaded)? else {
        return Ok(None);
    };
    let mut enforcer = Enforcer::new(actions, state_file(loaded))
        .map_err(|e| Failure::Input(format!("{}: [[enforce]]: {e}", loaded.name)))?;
    if mode == Mode::Once {
        let report = enforcer.sync_state(state.as_ref(), Timestamp::now());
        for f in &report.failures {
            tracing::warn!("enforce: {f:?}");
        }
        println!(
            "enforce: {} banned, {} unbanned, {} re-banned",
            report.banned, report.unbanned, report.rebanned
        );
        drop(lock);
        return Ok(None);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("palisade-enforce".into())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let now = Timestamp::now();
                // Another process (`palisade blackbook`, the guard) may have written bans.
                if let Err(e) = state.refresh(now) {
                    tracing::warn!("black book: {e}");
                }
                let report = enforcer.sync_state(state.as_ref(), now);
                for f in &report.failures {
                    tracing::warn!("enforce: {f:?}");
                }
                if report.banned + report.unbanned + report.rebanned > 0 {
                    tracing::info!(
                        banned = report.banned,
                        unbanned = report.unbanned,
                        rebanned = report.rebanned,
                        "firewall updated"
                    );
                }
                // Until the next expiry or the next look at the black book, whichever first.
                let due = enforcer.next_expiry().map_or(EVERY, |t| {
                    Duration::from_millis(u64::try_from(t.0 - now.0).unwrap_or(0))
                });
                let until = Instant::now() + due.clamp(Duration::from_millis(50), EVERY);
                while Instant::now() < until && !flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            let report = enforcer.shutdown();
            for f in &report.failures {
                tracing::warn!("enforce: {f:?}");
            }
            drop(lock);
        })
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("cannot start the enforcer: {e}")))?;
    Ok(Some(Running {
        stop,
        thread: Some(thread),
    }))
}
