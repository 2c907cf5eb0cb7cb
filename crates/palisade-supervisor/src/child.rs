//! Starting the app in its own process group, and stopping the whole group.

use std::ffi::OsString;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use palisade_core::app::ExitKind;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::proc::{AppProcs, reap_adopted, spawn_registered};
use crate::settings::RunSettings;

/// Why the app could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// No command was given.
    #[error("no command to run: give one after `--`, e.g. `palisade run -- node app.js`")]
    Empty,
    /// The program is not on PATH or does not exist.
    #[error("cannot run {program:?}: command not found")]
    NotFound {
        /// The program as given.
        program: String,
    },
    /// The file exists but may not be executed.
    #[error("cannot run {program:?}: permission denied (is it executable?)")]
    NotExecutable {
        /// The program as given.
        program: String,
    },
    /// Another failure (bad working directory, resource limits…).
    #[error("cannot run {program:?}: {source}")]
    Other {
        /// The program as given.
        program: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Starts the app: its own process group (so signals reach every process it starts, and a
/// Ctrl-C in palisade's terminal reaches palisade first), `PORT` set, output piped.
pub fn spawn(settings: &RunSettings) -> Result<Child, SpawnError> {
    let (program, args) = settings.command.split_first().ok_or(SpawnError::Empty)?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(false);
    if let Some(dir) = &settings.cwd {
        cmd.current_dir(dir);
    }
    if let Some(port) = settings.port {
        cmd.env("PORT", port.to_string());
    }
    for (k, v) in &settings.env {
        cmd.env(k, v);
    }
    let child = spawn_registered(|| cmd.spawn(), |c| c.id()).map_err(|source| {
        let program = display(program);
        match source.kind() {
            std::io::ErrorKind::NotFound => SpawnError::NotFound { program },
            std::io::ErrorKind::PermissionDenied => SpawnError::NotExecutable { program },
            _ => SpawnError::Other { program, source },
        }
    })?;
    Ok(child)
}

fn display(s: &OsString) -> String {
    s.to_string_lossy().into_owned()
}

/// How a process ended, for events and status.
pub fn exit_kind(status: ExitStatus) -> ExitKind {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitKind::Code { code },
        (None, Some(signal)) => ExitKind::Signal {
            signal,
            name: Signal::try_from(signal)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|_| format!("signal {signal}")),
        },
        (None, None) => ExitKind::Code { code: -1 },
    }
}

/// The shell's convention for a process's status as an exit code.
pub fn exit_code(kind: &ExitKind) -> i32 {
    match kind {
        ExitKind::Code { code } => *code,
        ExitKind::Signal { signal, .. } => 128 + signal,
    }
}

/// Stops the app: `first` (SIGTERM, or the signal palisade itself received) to the group and
/// to adopted orphans, SIGKILL for whatever is left after `timeout`.
pub async fn stop(
    child: &mut Child,
    procs: AppProcs,
    first: Signal,
    timeout: Duration,
) -> std::io::Result<ExitStatus> {
    let deadline = Instant::now() + timeout;
    procs.signal(first);
    // SIGCONT so that a stopped (Ctrl-Z'd, traced) process can act on the SIGTERM.
    procs.signal(Signal::SIGCONT);
    let status = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(status) => status?,
        Err(_) => {
            tracing::warn!(pid = procs.pgid, "the app ignored {first}; killing it");
            procs.signal(Signal::SIGKILL);
            child.wait().await?
        }
    };
    sweep(procs, deadline).await;
    Ok(status)
}

/// Ends what remains of the app after its main process is gone: grandchildren still in the
/// group, or orphans handed back to us. They get until `deadline` after a SIGTERM.
pub async fn sweep(procs: AppProcs, deadline: Instant) {
    if procs.live().is_empty() {
        reap_adopted();
        return;
    }
    procs.signal(Signal::SIGTERM);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        reap_adopted();
        if procs.live().is_empty() {
            return;
        }
    }
    let left = procs.live();
    if !left.is_empty() {
        tracing::warn!(pids = ?left, "killing the app's leftover processes");
        procs.signal(Signal::SIGKILL);
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until && !procs.live().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
            reap_adopted();
        }
    }
    reap_adopted();
}
