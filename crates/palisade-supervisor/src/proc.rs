//! The app's processes as /proc shows them: its process group, plus descendants that left
//! the group and were handed back to us as orphans (we are a child subreaper).

use std::collections::BTreeSet;
use std::sync::Mutex;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Main pids of the apps supervised in this process. Their statuses belong to tokio, and
/// their groups to their own supervisor: no sweep or reap may touch them. (One `palisade run`
/// supervises one app; several supervisors share a process only in tests.)
static APPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Spawns a supervised app's main process and records it, until [`unregister`]. The
/// registry stays locked from the spawn to the record, and [`AppProcs`] reads /proc under the
/// same lock: another supervisor's sweep can never see a just-spawned app that is not yet
/// registered and take it for an orphan of its own (seen in CI as an app killed at birth).
pub fn spawn_registered<C>(
    spawn: impl FnOnce() -> std::io::Result<C>,
    pid: impl Fn(&C) -> Option<u32>,
) -> std::io::Result<C> {
    let mut apps = APPS.lock().unwrap_or_else(|p| p.into_inner());
    let child = spawn()?;
    if let Some(id) = pid(&child) {
        apps.insert(id as i32);
    }
    Ok(child)
}

/// Forgets an app's main process once it is reaped and swept.
pub fn unregister(pid: u32) {
    if let Ok(mut apps) = APPS.lock() {
        apps.remove(&(pid as i32));
    }
}

/// The registered apps and a /proc snapshot taken while no app can be spawned.
fn registered_snapshot() -> (BTreeSet<i32>, Vec<Proc>) {
    let apps = APPS.lock().unwrap_or_else(|p| p.into_inner());
    (apps.clone(), snapshot())
}

/// One process, as much of it as supervision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    rss_pages: u64,
    zombie: bool,
}

fn snapshot() -> Vec<Proc> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    all.filter_map(Result::ok)
        .filter_map(|p| p.stat().ok())
        .map(|s| Proc {
            pid: s.pid,
            ppid: s.ppid,
            pgrp: s.pgrp,
            rss_pages: s.rss,
            zombie: s.state == 'Z',
        })
        .collect()
}

/// The processes that belong to the app whose group is `pgid`: the group's members and the
/// orphans adopted by this process (other than `own_children`, which tokio reaps).
#[derive(Debug, Clone, Copy)]
pub struct AppProcs {
    /// The app's process group (its main pid).
    pub pgid: i32,
}

impl AppProcs {
    fn members(self) -> impl Iterator<Item = Proc> {
        let me = std::process::id() as i32;
        let (apps, procs) = registered_snapshot();
        procs.into_iter().filter(move |p| {
            p.pid != me
                && (p.pgrp == self.pgid
                    || (p.ppid == me && !apps.contains(&p.pgrp) && !apps.contains(&p.pid)))
        })
    }

    /// Resident memory of every live process of the app, in bytes.
    pub fn rss_bytes(self) -> u64 {
        let pages: u64 = self
            .members()
            .filter(|p| !p.zombie)
            .map(|p| p.rss_pages)
            .sum();
        pages.saturating_mul(procfs::page_size())
    }

    /// Live processes of the app (zombies don't count: they only wait to be reaped).
    pub fn live(self) -> Vec<i32> {
        self.members()
            .filter(|p| !p.zombie)
            .map(|p| p.pid)
            .collect()
    }

    /// Sends `signal` to the group and to every adopted orphan.
    pub fn signal(self, signal: Signal) {
        match killpg(Pid::from_raw(self.pgid), signal) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(e) => tracing::debug!(pgid = self.pgid, "killpg {signal}: {e}"),
        }
        for p in self.members() {
            if p.pgrp != self.pgid && !p.zombie {
                let _ = kill(Pid::from_raw(p.pid), signal);
            }
        }
    }
}

/// Reaps adopted orphans that have exited, leaving the apps' main processes (whose statuses
/// tokio waits for) alone. Only exact pids are waited for, never "any child".
pub fn reap_adopted() {
    let me = std::process::id() as i32;
    let (apps, procs) = registered_snapshot();
    for p in procs {
        if p.ppid == me && p.zombie && !apps.contains(&p.pid) {
            let _ = waitpid(Pid::from_raw(p.pid), Some(WaitPidFlag::WNOHANG));
        }
    }
}

/// Makes orphaned descendants of our children come back to us instead of to init, so that a
/// stop can find and end them even when they left the app's process group.
pub fn become_subreaper() {
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        tracing::warn!(
            "cannot become a child subreaper ({e}): processes that leave the app's group may outlive it"
        );
    }
}
