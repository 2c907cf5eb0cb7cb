//! Running one command to completion, a timeout, or cancellation, keeping the tail of its
//! output.
//!
//! The command runs in its own process group, so a timeout or a cancellation kills everything
//! it started (a test runner's workers, a dev server), and a Ctrl-C in the terminal reaches
//! palisade only, which then decides what to stop.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::error::UpdateError;

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code (`None`: killed by a signal).
    Exited(Option<i32>),
    /// It ran past its timeout and was killed.
    TimedOut,
}

impl Exit {
    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        *self == Exit::Exited(Some(0))
    }
}

/// What a finished command left: how it ended, the last lines of stdout and stderr
/// interleaved as written, and how long it took.
#[derive(Clone, Debug)]
pub struct Finished {
    /// How it ended.
    pub exit: Exit,
    /// The last lines of its output.
    pub tail: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// A cancellation flag shared with a signal handler: set, and the running command is killed
/// and the current step returns [`UpdateError::Cancelled`].
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Sets the flag.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// `Err(Cancelled)` once the flag is set.
    pub fn check(&self) -> Result<(), UpdateError> {
        if self.is_cancelled() {
            Err(UpdateError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// How long and how much to keep.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub timeout: Duration,
    pub tail_lines: usize,
}

/// Runs `program args…` in `dir` with extra `env`.
pub(crate) fn run(
    program: &str,
    args: &[&str],
    dir: &Path,
    env: &[(String, String)],
    limits: &Limits,
    cancel: &Cancel,
) -> Result<Finished, UpdateError> {
    cancel.check()?;
    let describe = || {
        std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (reader, writer) = std::io::pipe().map_err(|e| UpdateError::io("a pipe", e))?;
    let writer_err = writer
        .try_clone()
        .map_err(|e| UpdateError::io("a pipe", e))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_err)
        .process_group(0);
    for key in GIT_ENV {
        command.env_remove(key);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| UpdateError::Spawn {
        command: describe(),
        source: e,
    })?;
    // The pipe's write ends now live only in the child (and its children): the reader sees
    // end-of-file when they have all exited.
    drop(command);

    let tail_lines = limits.tail_lines.max(1);
    // Shared, so the tail survives a collector that never finishes: a daemon the command
    // started in a session of its own (`setsid`, `--daemonize`) can keep the pipe open after
    // the group is gone.
    let tail: Arc<Mutex<VecDeque<String>>> =
        Arc::new(Mutex::new(VecDeque::with_capacity(tail_lines)));
    let collector = {
        let tail = tail.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                // A runaway line (a progress bar redrawn with `\r`, binary output) is read in
                // bounded pieces.
                match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        if let Ok(mut tail) = tail.lock() {
                            if tail.len() == tail_lines {
                                tail.pop_front();
                            }
                            tail.push_back(text);
                        }
                    }
                }
            }
        })
    };

    let pgid = Pid::from_raw(child.id() as i32);
    // No deadline when the timeout is too large to add (`--timeout 1000y`).
    let deadline = started.checked_add(limits.timeout);
    let exit = loop {
        let status = child.try_wait();
        let expired = deadline.is_some_and(|d| Instant::now() >= d);
        match status {
            Ok(Some(status)) => break Exit::Exited(status.code()),
            Ok(None) if !cancel.is_cancelled() && !expired => {
                thread::sleep(Duration::from_millis(20));
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                let _ = killpg(pgid, Signal::SIGKILL);
                let _ = child.wait();
                finish(collector);
                return Err(UpdateError::io("waiting for a command", e));
            }
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = child.wait();
        if cancel.is_cancelled() {
            finish(collector);
            return Err(UpdateError::Cancelled);
        }
        break Exit::TimedOut;
    };
    // Processes the command left behind in its group (a server started in the background)
    // would keep the pipe open; the group goes with the command.
    let _ = killpg(pgid, Signal::SIGKILL);
    finish(collector);
    let tail = tail
        .lock()
        .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    Ok(Finished {
        exit,
        tail,
        elapsed: started.elapsed(),
    })
}

/// The longest piece of a line kept; the rest of a longer one is read and dropped.
const MAX_LINE: u64 = 4096;

/// Waits briefly for the output collector; one still blocked on a pipe that a daemon holds is
/// left behind (it ends when the daemon does) rather than hanging palisade.
fn finish(collector: thread::JoinHandle<()>) {
    let until = Instant::now() + Duration::from_secs(2);
    while !collector.is_finished() && Instant::now() < until {
        thread::sleep(Duration::from_millis(10));
    }
    if collector.is_finished() {
        let _ = collector.join();
    }
}

/// Environment variables a git hook sets that would point git — in a trial, the user's
/// repository — at the user's own `.git`, index and work tree instead of the worktree's.
pub(crate) const GIT_ENV: [&str; 7] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
];

/// Runs a shell command line (`sh -c LINE`), as a test command is given.
pub(crate) fn run_shell(
    line: &str,
    dir: &Path,
    env: &[(String, String)],
    limits: &Limits,
    cancel: &Cancel,
) -> Result<Finished, UpdateError> {
    run("sh", &["-c", line], dir, env, limits, cancel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(timeout_ms: u64) -> Limits {
        Limits {
            timeout: Duration::from_millis(timeout_ms),
            tail_lines: 3,
        }
    }

    #[test]
    fn keeps_the_tail_of_both_streams_and_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let done = run_shell(
            "for i in 1 2 3 4 5; do echo out$i; done; echo err >&2; exit 3",
            dir.path(),
            &[],
            &limits(10_000),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(done.exit, Exit::Exited(Some(3)));
        assert_eq!(done.tail, "out4\nout5\nerr");
    }

    #[test]
    fn a_timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let line = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let done = run_shell(&line, dir.path(), &[], &limits(300), &Cancel::new()).unwrap();
        assert_eq!(done.exit, Exit::TimedOut);
        thread::sleep(Duration::from_millis(2_500));
        assert!(!marker.exists(), "a background child outlived the timeout");
    }

    #[test]
    fn cancellation_stops_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = Cancel::new();
        let flag = cancel.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            flag.cancel();
        });
        let started = Instant::now();
        let result = run_shell("sleep 30", dir.path(), &[], &limits(60_000), &cancel);
        t.join().unwrap();
        assert!(matches!(result, Err(UpdateError::Cancelled)));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(
            "palisade-no-such-program",
            &[],
            dir.path(),
            &[],
            &limits(1_000),
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("palisade-no-such-program"),
            "{err}"
        );
    }
}
