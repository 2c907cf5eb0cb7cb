//! The systemd journal, read through a `journalctl -f -o json` child process.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use self::child::{ReaderThread, spawn_child};
use self::entry::Entry;
use super::offsets::Offsets;
use super::{PollStats, SourceError, Start};

mod child;
mod entry;

/// Entries waiting between the reader thread and `poll`; when full, the thread stops reading
/// and journalctl blocks on its pipe: back-pressure instead of unbounded memory.
const CHANNEL: usize = 256;
/// The most entries one `poll` delivers, so that a busy journal cannot keep it from returning.
const MAX_PER_POLL: usize = 4 * CHANNEL;

/// Configures a [`JournalSource`]; made by [`JournalSource::builder`].
#[derive(Debug, Clone)]
pub struct JournalBuilder {
    name: String,
    program: PathBuf,
    matches: Vec<String>,
    start: Start,
    backoff_first: Duration,
    backoff_max: Duration,
}

impl JournalBuilder {
    /// The journalctl program (default `journalctl`, looked up on `PATH`).
    pub fn program(mut self, program: impl Into<PathBuf>) -> JournalBuilder {
        self.program = program.into();
        self
    }

    /// Journal matches, passed to journalctl as they are: `_SYSTEMD_UNIT=ssh.service`, `+`
    /// between groups for OR. None means the whole journal.
    pub fn matches<I, S>(mut self, matches: I) -> JournalBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.matches = matches.into_iter().map(Into::into).collect();
        self
    }

    /// Where to start without a saved cursor (default [`Start::End`]).
    pub fn start(mut self, start: Start) -> JournalBuilder {
        self.start = start;
        self
    }

    /// The wait before restarting journalctl after it exits, doubled after each quick exit up
    /// to `max` (default 1 s to 60 s).
    pub fn restart_backoff(mut self, first: Duration, max: Duration) -> JournalBuilder {
        // Never zero: a program that exits at once would be restarted in a busy loop.
        self.backoff_first = first.max(Duration::from_millis(1));
        self.backoff_max = max.max(self.backoff_first);
        self
    }

    /// Starts journalctl and the thread reading it.
    ///
    /// Errors: an empty name, a match starting with `-` (it would be taken for an option), or a
    /// program that cannot be started. Later exits are logged and the program restarted.
    pub fn spawn(self, offsets: Arc<Offsets>) -> Result<JournalSource, SourceError> {
        JournalSource::start(self, offsets)
    }
}

/// A journal source: journalctl's entries as syslog-like lines, `IDENT[PID]: MESSAGE`.
///
/// The identifier is `SYSLOG_IDENTIFIER`, or `_COMM` when absent; the PID is `_PID` (or
/// `SYSLOG_PID`). A `MESSAGE` stored as bytes is decoded lossily; line breaks inside a message
/// become spaces, so that one entry is always one line, and it is cut at
/// [`MAX_LINE`](super::MAX_LINE) bytes.
///
/// The cursor of the last entry delivered is recorded in [`Offsets`] under `journal:<name>`;
/// a later start resumes after it (`--after-cursor`). Without a cursor, [`Start::End`] reads
/// only new entries (`--lines=0`) and [`Start::Beginning`] the whole journal (`--no-tail`).
///
/// journalctl runs in a background thread; if it exits it is restarted with backoff, after the
/// last entry read. Dropping the source kills it.
///
/// # Security
///
/// `SYSLOG_IDENTIFIER` and `MESSAGE` are written by the logging process: any local user can
/// log `sshd: Failed password for root from 192.0.2.1` with `logger -t sshd`. Match on
/// fields journald sets itself (`_SYSTEMD_UNIT=ssh.service`, `_COMM=sshd`, `_UID=0`) so that
/// only the daemon's own entries are read.
#[derive(Debug)]
pub struct JournalSource {
    name: String,
    offsets: Arc<Offsets>,
    rx: Option<Receiver<Entry>>,
    shared: Arc<Mutex<Shared>>,
    errors: Arc<AtomicU64>,
    /// Dropped to wake the thread from its backoff wait.
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    stopped: bool,
    child: Option<Child>,
}

impl JournalSource {
    /// The configuration for a journal source named `name` (the name keys its cursor).
    pub fn builder(name: &str) -> JournalBuilder {
        JournalBuilder {
            name: name.to_owned(),
            program: PathBuf::from("journalctl"),
            matches: Vec::new(),
            start: Start::End,
            backoff_first: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }

    /// Starts a source with the default backoff; see [`JournalBuilder`].
    pub fn spawn(
        name: &str,
        program: impl Into<PathBuf>,
        matches: &[String],
        start: Start,
        offsets: Arc<Offsets>,
    ) -> Result<JournalSource, SourceError> {
        JournalSource::builder(name)
            .program(program)
            .matches(matches.iter().cloned())
            .start(start)
            .spawn(offsets)
    }

    /// Whether `program` runs and answers `--version`: the journal can be read on this
    /// machine. (It does not say that journald runs or that we may read the system journal.)
    pub fn available(program: impl AsRef<OsStr>) -> bool {
        Command::new(program)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Delivers the entries that arrived since the last poll (at most 1024), then records the
    /// cursor of the last one in [`Offsets`] (call [`Offsets::save`] once they are processed).
    ///
    /// Never blocks. [`PollStats::errors`] counts journalctl exits and failed restarts.
    pub fn poll(&mut self, line: &mut dyn FnMut(&str)) -> PollStats {
        let mut stats = PollStats {
            errors: self.errors.swap(0, Ordering::Relaxed),
            ..PollStats::default()
        };
        let Some(rx) = &self.rx else { return stats };
        let mut cursor = None;
        for _ in 0..MAX_PER_POLL {
            match rx.try_recv() {
                Ok(entry) => {
                    stats.bytes += entry.bytes;
                    if let Some(text) = &entry.line {
                        line(text);
                        stats.lines += 1;
                    }
                    if entry.cursor.is_some() {
                        cursor = entry.cursor;
                    }
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if let Some(cursor) = cursor {
            self.offsets.set_journal_cursor(&self.name, &cursor);
        }
        stats
    }

    fn start(config: JournalBuilder, offsets: Arc<Offsets>) -> Result<JournalSource, SourceError> {
        if config.name.is_empty() {
            return Err(SourceError::EmptyName);
        }
        if let Some(bad) = config.matches.iter().find(|m| m.starts_with('-')) {
            return Err(SourceError::InvalidMatch { value: bad.clone() });
        }
        let cursor = offsets.journal_cursor(&config.name);
        let first = spawn_child(&config, cursor.as_deref())?;
        let (tx, rx) = mpsc::sync_channel(CHANNEL);
        let (wake, wait) = mpsc::sync_channel(0);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let errors = Arc::new(AtomicU64::new(0));
        let name = config.name.clone();
        let reader = ReaderThread {
            config,
            cursor,
            tx,
            wait,
            shared: shared.clone(),
            errors: errors.clone(),
        };
        let thread = thread::Builder::new()
            .name(format!("journal-{name}"))
            .spawn(move || reader.run(first))
            .map_err(|source| SourceError::Spawn {
                program: PathBuf::from("journal reader thread"),
                source,
            })?;
        Ok(JournalSource {
            name,
            offsets,
            rx: Some(rx),
            shared,
            errors,
            wake: Some(wake),
            thread: Some(thread),
        })
    }
}

impl Drop for JournalSource {
    fn drop(&mut self) {
        {
            let mut shared = lock(&self.shared);
            shared.stopped = true;
            if let Some(mut child) = shared.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        // Unblocks the thread wherever it waits: a full channel, the backoff, a dead pipe.
        self.rx = None;
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            // journalctl is killed, so its pipe ends at once; only a program that left a
            // descendant holding the pipe could keep the thread reading: leave it then.
            let deadline = Instant::now() + Duration::from_secs(2);
            while !thread.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                tracing::warn!(source = %self.name, "journal reader thread still blocked; left behind");
            }
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}
