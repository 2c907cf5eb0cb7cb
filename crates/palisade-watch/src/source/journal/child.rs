//! The reader thread: runs journalctl, reads its JSON lines, restarts it with backoff.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::entry::{Entry, parse_entry};
use super::{JournalBuilder, Shared, lock};
use crate::source::{SourceError, Start};

/// The longest JSON entry read; longer ones (binary fields) are skipped.
const MAX_JSON: usize = 1024 * 1024;
/// A child that ran this long was healthy: the backoff starts over.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

pub(super) struct ReaderThread {
    pub(super) config: JournalBuilder,
    /// The cursor of the last entry read from journalctl (not necessarily delivered yet).
    pub(super) cursor: Option<String>,
    pub(super) tx: SyncSender<Entry>,
    pub(super) wait: Receiver<()>,
    pub(super) shared: Arc<Mutex<Shared>>,
    pub(super) errors: Arc<AtomicU64>,
}

impl ReaderThread {
    pub(super) fn run(mut self, first: Child) {
        let mut next = Some(first);
        let mut backoff = self.config.backoff_first;
        loop {
            let child = match next.take() {
                Some(child) => Ok(child),
                None => spawn_child(&self.config, self.cursor.as_deref()),
            };
            match child {
                Ok(child) => {
                    let started = Instant::now();
                    let used_cursor = self.cursor.is_some();
                    let Some((status, entries)) = self.follow(child) else {
                        return;
                    };
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        program = %self.config.program.display(),
                        %status,
                        retry_in = ?backoff,
                        "journalctl exited; restarting"
                    );
                    if used_cursor && entries == 0 && !status.success() {
                        // Most likely a cursor it rejects (malformed, or from another
                        // machine): without one, read new entries only, since replaying the
                        // whole journal would repeat old failed logins.
                        tracing::warn!(source = %self.config.name, "journalctl refused the saved cursor; continuing from the journal's tail");
                        self.cursor = None;
                        self.config.start = Start::End;
                    }
                    if started.elapsed() >= HEALTHY_RUN {
                        backoff = self.config.backoff_first;
                    }
                }
                Err(e) => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot restart journalctl");
                }
            }
            match self.wait.recv_timeout(backoff) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            backoff = (backoff * 2).min(self.config.backoff_max);
        }
    }

    /// Reads one child's entries until its output ends; returns how it exited and how many
    /// entries it gave, or `None` when the source is stopping.
    fn follow(&mut self, mut child: Child) -> Option<(ExitStatus, u64)> {
        let stdout = child.stdout.take();
        if let Some(stderr) = child.stderr.take() {
            let program = self.config.program.clone();
            let _ = thread::Builder::new()
                .name("journalctl-stderr".into())
                .spawn(move || log_stderr(stderr, &program));
        }
        {
            let mut shared = lock(&self.shared);
            if shared.stopped {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            shared.child = Some(child);
        }
        let mut entries = 0;
        if let Some(stdout) = stdout {
            let mut stdout = BufReader::with_capacity(64 * 1024, stdout);
            let mut json = Vec::new();
            loop {
                match read_bounded_line(&mut stdout, &mut json, MAX_JSON) {
                    Ok(None) => break,
                    Ok(Some(true)) => {
                        tracing::warn!(bytes = json.len(), "journal entry too long; skipped");
                    }
                    Ok(Some(false)) => {
                        let Some(entry) = parse_entry(&json) else {
                            tracing::debug!(
                                "journalctl printed something that is not a JSON entry"
                            );
                            continue;
                        };
                        entries += 1;
                        if let Some(cursor) = &entry.cursor {
                            self.cursor = Some(cursor.clone());
                        }
                        if self.tx.send(entry).is_err() {
                            return None;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read journalctl's output");
                        break;
                    }
                }
            }
        }
        let mut shared = lock(&self.shared);
        let mut child = shared.child.take()?;
        drop(shared);
        // Its output ended: whatever it still does, it is of no use; reap it.
        let status = match child.try_wait() {
            Ok(Some(status)) => status,
            _ => {
                let _ = child.kill();
                child.wait().ok()?
            }
        };
        Some((status, entries))
    }
}

pub(super) fn spawn_child(
    config: &JournalBuilder,
    cursor: Option<&str>,
) -> Result<Child, SourceError> {
    let mut cmd = Command::new(&config.program);
    cmd.args(["-f", "-o", "json", "--no-pager", "--all", "--quiet"]);
    match (cursor, config.start) {
        (Some(cursor), _) => cmd.arg(format!("--after-cursor={cursor}")),
        (None, Start::End) => cmd.arg("--lines=0"),
        // `-f` alone shows the last ten entries; `--no-tail` shows them all.
        (None, Start::Beginning) => cmd.arg("--no-tail"),
    };
    cmd.args(&config.matches)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| SourceError::Spawn {
            program: config.program.clone(),
            source,
        })
}

/// Logs what journalctl says on stderr (permission hints, a rejected cursor).
fn log_stderr(stderr: impl Read, program: &Path) {
    let mut stderr = BufReader::new(stderr);
    let mut line = Vec::new();
    while let Ok(Some(_)) = read_bounded_line(&mut stderr, &mut line, 4096) {
        let text = String::from_utf8_lossy(&line);
        if !text.trim().is_empty() {
            tracing::warn!(program = %program.display(), "{}", text.trim_end());
        }
    }
}

/// Reads one `\n`-terminated line into `out` (without the `\n`), keeping at most `max` bytes.
/// `None` at the end of input; `Some(true)` if the line was longer than `max`.
pub(super) fn read_bounded_line(
    r: &mut impl BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<bool>> {
    out.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let (part, used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = max.saturating_sub(out.len());
        too_long |= part.len() > room;
        out.extend_from_slice(&part[..part.len().min(room)]);
        r.consume(used);
        if done {
            return Ok(Some(too_long));
        }
    }
}
