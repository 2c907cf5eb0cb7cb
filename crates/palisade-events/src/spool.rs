//! The overflow spool: where an event goes when the channel to the writer is full (or the
//! writer is gone), so a burst is slowed down to disk speed instead of being dropped.
//!
//! JSON lines in `overflow.jsonl`; the writer takes the file over (renames it to `*.ingest`),
//! stores its events and deletes it. Leftover files from a crash are ingested at start;
//! re-ingesting is harmless because the store skips event ids it already has.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use palisade_core::Event;

const CURRENT: &str = "overflow.jsonl";

pub(crate) enum SpoolError {
    Full,
    Io(std::io::Error),
}

struct Current {
    file: Option<File>,
    size: u64,
}

pub(crate) struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    current: Mutex<Current>,
    pending: AtomicBool,
}

impl Spool {
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let size = std::fs::metadata(dir.join(CURRENT)).map_or(0, |m| m.len());
        Ok(Spool {
            dir: dir.to_owned(),
            max_bytes,
            current: Mutex::new(Current { file: None, size }),
            pending: AtomicBool::new(size > 0),
        })
    }

    /// Appends one event (redacted here: the spool is storage too). The write reaches the
    /// kernel before this returns, so the event survives the process being killed.
    pub fn append(&self, mut event: Event) -> Result<(), SpoolError> {
        event.redact();
        let mut line = serde_json::to_vec(&event).map_err(|e| SpoolError::Io(e.into()))?;
        line.push(b'\n');
        let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if cur.size + line.len() as u64 > self.max_bytes {
            return Err(SpoolError::Full);
        }
        if cur.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(CURRENT))
                .map_err(SpoolError::Io)?;
            cur.file = Some(f);
        }
        let f = cur.file.as_mut().expect("opened above");
        f.write_all(&line).map_err(SpoolError::Io)?;
        cur.size += line.len() as u64;
        self.pending.store(true, Ordering::Release);
        Ok(())
    }

    pub fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Takes the current file over for ingestion; returns every file waiting to be ingested
    /// (also those left by a crash), oldest first.
    pub fn take(&self) -> std::io::Result<Vec<PathBuf>> {
        {
            let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
            self.pending.store(false, Ordering::Release);
            cur.file = None;
            let path = self.dir.join(CURRENT);
            if cur.size > 0 || path.exists() {
                let name = format!("overflow-{}.ingest", uuid::Uuid::now_v7().simple());
                std::fs::rename(&path, self.dir.join(name))?;
            }
            cur.size = 0;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ingest"))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// Reads a spool file in chunks of at most `chunk` events, so a large spool is ingested in
/// bounded memory; a torn last line (the process died mid-write) is skipped. Stops at the
/// first chunk `f` refuses, returning false.
pub(crate) fn ingest(
    path: &Path,
    chunk: usize,
    mut f: impl FnMut(Vec<Event>) -> bool,
) -> std::io::Result<bool> {
    let mut events = Vec::with_capacity(chunk);
    for (n, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(e) => events.push(e),
            Err(e) => tracing::warn!(
                file = %path.display(), line = n + 1, error = %e,
                "skipping an unreadable spooled event"
            ),
        }
        if events.len() >= chunk && !f(std::mem::replace(&mut events, Vec::with_capacity(chunk))) {
            return Ok(false);
        }
    }
    Ok(events.is_empty() || f(events))
}
