//! Following the files of one glob pattern across rotation, truncation and restarts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::reader::{CHUNK, Reader};
use self::rotation::{ident, is_replaced};
use super::offsets::{FileOffset, Offsets};
use super::{PollStats, SourceError, Start};

mod reader;
mod rotation;

/// How long a rotated-away file is still read after it last grew, by default.
const DEFAULT_ROTATION_GRACE: Duration = Duration::from_secs(5);

/// Follows every file matching one glob pattern, line by line.
///
/// The pattern is expanded again on every [`poll`](FileFollower::poll), so files created
/// later (a new virtual host's log) are picked up and read from their beginning. Files already
/// there when the follower is created start at their end (or their beginning with
/// [`Start::Beginning`]), unless [`Offsets`] holds a position for the same file — same device,
/// inode and first bytes — which always wins.
///
/// # Guarantees
///
/// Every complete line is delivered once, in file order, across:
/// - rename rotation (logrotate's default `create`): the old file, still open, is read to its
///   end before the new file is read from its start, and is read again on later polls for a
///   grace period ([`with_rotation_grace`](FileFollower::with_rotation_grace), 5 s by default)
///   for daemons that keep writing to it until they reopen their log;
/// - copy-and-truncate (`copytruncate`): noticed because the file got shorter than our offset
///   or its first 256 bytes changed; what we had not read yet is read from the copy (a file in
///   the same directory whose name starts with the log's name, that is at least as long as our
///   offset and begins with the same bytes), then the truncated file from its start;
/// - restarts: with the positions saved in [`Offsets`] after processing, a new follower
///   resumes at the saved offset; if the file was rotated while palisade was down, the rest of
///   the old file is found by its inode in the same directory (`auth.log.1`), or by its first
///   bytes if it was copied and truncated, and read before the new file.
///
/// A line is delivered once its `\n` is written, without the `\n` and a trailing `\r`;
/// invalid UTF-8 is replaced (U+FFFD). A line longer than [`MAX_LINE`](super::MAX_LINE) is
/// delivered once, cut, and the rest of it skipped. A last line without `\n` is delivered
/// only when its file is rotated away (or truncated without a copy) and will not grow again.
///
/// # Limits
///
/// - A file created and rotated away entirely between two polls is never seen (nothing names
///   it any more when we look); poll every second or so.
/// - `copytruncate` itself loses the lines a writer adds between the copy and the truncation;
///   nothing a reader does can recover them.
/// - A truncated file rewritten past our offset with the same first 256 bytes as before, or a
///   copy whose first bytes match another copy's, can fool the fingerprint (log lines start
///   with a timestamp, so this takes lines identical to the byte).
/// - Compressed rotations (`auth.log.1.gz`) are not read: a remainder rotated away *and*
///   compressed while palisade was down is lost, and logged.
/// - A restart in the middle of an over-long line delivers the rest of it as a line; lines a
///   daemon writes to a rotated-away file after the grace period, or while palisade is down
///   after the file was rotated, are not read.
/// - A deleted or renamed-away path's position is forgotten. If positions are saved in the
///   moment between a rename and the creation of the new file, a restart with [`Start::End`]
///   takes the new file for one present at startup and starts at its end.
/// - Patterns of two followers should not match the same file: positions are keyed by path.
///
/// I/O failures are never fatal: they are logged (a warning the first time for each file,
/// e.g. permission denied), returned by `poll` after the other files were read, and retried
/// on the next poll. A missing file is not an error: it may appear later.
#[derive(Debug)]
pub struct FileFollower {
    pattern: String,
    offsets: Arc<Offsets>,
    rotation_grace: Duration,
    /// The file each matched path names now, with our position in it.
    current: BTreeMap<PathBuf, Reader>,
    /// Files rotated away from a path, still read until the grace period ends.
    retired: Vec<Retired>,
    /// Where to start the paths that existed at startup and have not been opened yet.
    startup: HashMap<PathBuf, Placement>,
    /// Paths already warned about, so that a file we may not read warns once, not every poll.
    warned: HashSet<PathBuf>,
    /// The first failure of the current poll, returned once every file has been read.
    failure: Option<SourceError>,
    buf: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
enum Placement {
    /// A position saved by an earlier run.
    Saved(FileOffset),
    /// The file's end at startup (`Start::End`), if it is still the same file when opened.
    End { dev: u64, ino: u64, size: u64 },
}

#[derive(Debug)]
struct Retired {
    path: PathBuf,
    reader: Reader,
    last_growth: Instant,
}

impl FileFollower {
    /// A follower for `pattern` (a path, or a glob such as `/var/log/nginx/*.log`); give an
    /// absolute pattern, since positions are keyed by the paths it produces.
    ///
    /// Errors only on an invalid pattern; the files need not exist yet.
    pub fn new(
        pattern: &str,
        start: Start,
        offsets: Arc<Offsets>,
    ) -> Result<FileFollower, SourceError> {
        let matcher = glob::Pattern::new(pattern).map_err(|source| SourceError::Pattern {
            pattern: pattern.to_owned(),
            source,
        })?;
        let mut follower = FileFollower {
            pattern: pattern.to_owned(),
            offsets,
            rotation_grace: DEFAULT_ROTATION_GRACE,
            current: BTreeMap::new(),
            retired: Vec::new(),
            startup: HashMap::new(),
            warned: HashSet::new(),
            failure: None,
            buf: vec![0; CHUNK],
        };
        let present = follower.expand();
        for path in &present {
            if let Some(saved) = follower.offsets.file(path) {
                follower
                    .startup
                    .insert(path.clone(), Placement::Saved(saved));
            } else if start == Start::End
                && let Ok(meta) = fs::metadata(path)
                && meta.is_file()
            {
                let end = Placement::End {
                    dev: meta.dev(),
                    ino: meta.ino(),
                    size: meta.len(),
                };
                follower.startup.insert(path.clone(), end);
            }
        }
        // As the expansion: a `*` does not match a `/`.
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        for path in follower.offsets.file_paths() {
            if !present.contains(&path)
                && matcher.matches_path_with(&path, options)
                && let Some(saved) = follower.offsets.file(&path)
            {
                // Saved but gone: rotated while we were down, with no new file yet, or deleted.
                // The first poll looks for the rest of it.
                follower.startup.insert(path, Placement::Saved(saved));
            }
        }
        Ok(follower)
    }

    /// How long a file rotated away is still read after it last grew (5 s by default): the
    /// daemon writing it may not reopen its log at once. Zero reads it to its end once.
    pub fn with_rotation_grace(mut self, grace: Duration) -> FileFollower {
        self.rotation_grace = grace;
        self
    }

    /// The glob pattern followed.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Reads every complete new line of every matched file and calls `line(path, text)` for
    /// each, in file order; then records the positions in [`Offsets`] (in memory: call
    /// [`Offsets::save`] once the lines are processed).
    ///
    /// `path` is the matched path, also for lines read from a rotated-away file or a copy.
    ///
    /// Errors: the first file or directory of the pattern that could not be read (permission
    /// denied…), returned after every other file was read and its position recorded; it is
    /// logged (a warning the first time for each path) and retried on every poll, so the
    /// same error comes back until it is fixed. A missing file is not an error.
    pub fn poll(&mut self, line: &mut dyn FnMut(&Path, &str)) -> Result<PollStats, SourceError> {
        let mut stats = PollStats::default();
        let mut buf = std::mem::take(&mut self.buf);
        let present = self.expand();
        let gone: Vec<PathBuf> = self
            .current
            .keys()
            .filter(|p| !present.contains(*p))
            .cloned()
            .collect();
        for path in gone {
            // Deleted, or renamed with no new file yet: finish it; a file that appears later
            // at this path is new and read from its start.
            if let Some(reader) = self.current.remove(&path) {
                self.retire(&path, reader);
            }
            self.offsets.forget_file(&path);
        }
        let vanished: Vec<PathBuf> = self
            .startup
            .keys()
            .filter(|p| !present.contains(*p))
            .cloned()
            .collect();
        for path in vanished {
            // Rotated between startup and this poll, before we opened it: what we had not read
            // is in the rotated file.
            if let Some(Placement::Saved(saved)) = self.startup.remove(&path) {
                stats.rotations += 1;
                self.recover_rotated(&path, &saved);
                self.offsets.forget_file(&path);
            }
        }
        for path in &present {
            self.poll_path(path, &mut buf, &mut stats, line);
        }
        self.drain_retired(None, &mut buf, &mut stats, line);
        self.buf = buf;
        match self.failure.take() {
            Some(error) => Err(error),
            None => Ok(stats),
        }
    }

    fn poll_path(
        &mut self,
        path: &Path,
        buf: &mut [u8],
        stats: &mut PollStats,
        line: &mut dyn FnMut(&Path, &str),
    ) {
        let mut reader = self.current.remove(path);
        if let Some(old) = reader.take_if(|r| is_replaced(path, r)) {
            stats.rotations += 1;
            self.retire(path, old);
        }
        if reader.is_none() {
            reader = self.open(path, buf, stats, line);
        }
        // The rotated-away file first: its lines are older than the new file's.
        self.drain_retired(Some(path), buf, stats, line);
        let Some(mut reader) = reader else { return };
        match reader.was_truncated() {
            Ok(true) => self.on_truncated(path, &mut reader, buf, stats, line),
            Ok(false) => {}
            Err(e) => self.warn_once(path, "check", e, stats),
        }
        // A second pass only if the file was truncated and rewritten while we read it.
        for _ in 0..2 {
            match reader.read(buf, true, &mut |text| line(path, text)) {
                Ok(out) => {
                    stats.lines += out.lines;
                    stats.bytes += out.bytes;
                    if !out.replaced {
                        break;
                    }
                    self.on_truncated(path, &mut reader, buf, stats, line);
                }
                Err(e) => {
                    self.warn_once(path, "read", e, stats);
                    break;
                }
            }
        }
        self.offsets.set_file(path, reader.position());
        self.current.insert(path.to_owned(), reader);
    }

    /// Opens a path not followed yet, placed by the startup rule or a saved position, or at
    /// its start (a file that appeared after startup, or replaced one we followed).
    fn open(
        &mut self,
        path: &Path,
        buf: &mut [u8],
        stats: &mut PollStats,
        line: &mut dyn FnMut(&Path, &str),
    ) -> Option<Reader> {
        // Looking before opening: opening a FIFO that matches the pattern would block.
        match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => return None,
            _ => {}
        }
        let opened = File::open(path).and_then(|file| {
            let meta = file.metadata()?;
            Ok((file, meta))
        });
        let (file, meta) = match opened {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.warn_once(path, "open", e, stats);
                return None;
            }
        };
        if !meta.is_file() {
            return None;
        }
        if self.warned.remove(path) {
            tracing::info!(path = %path.display(), "log file readable again");
        }
        let placed = match self.startup.remove(path) {
            None => Reader::from_start(file),
            Some(Placement::End { dev, ino, size }) if (dev, ino) == ident(&meta) => {
                Reader::at_end(file, size)
            }
            Some(Placement::End { .. }) => Reader::from_start(file),
            Some(Placement::Saved(saved)) => {
                self.resume(path, file, &meta, saved, buf, stats, line)
            }
        };
        match placed {
            Ok(reader) => Some(reader),
            Err(e) => {
                self.warn_once(path, "read", e, stats);
                None
            }
        }
    }

    fn retire(&mut self, path: &Path, reader: Reader) {
        self.retired.push(Retired {
            path: path.to_owned(),
            reader,
            last_growth: Instant::now(),
        });
    }

    /// Reads the rotated-away files (of `only` that path, or all), and closes those that did
    /// not grow during the grace period, delivering their last line even without `\n`.
    fn drain_retired(
        &mut self,
        only: Option<&Path>,
        buf: &mut [u8],
        stats: &mut PollStats,
        line: &mut dyn FnMut(&Path, &str),
    ) {
        let now = Instant::now();
        let mut i = 0;
        while i < self.retired.len() {
            let r = &mut self.retired[i];
            if only.is_some_and(|p| p != r.path) {
                i += 1;
                continue;
            }
            let path = &r.path;
            let mut done = match r.reader.read(buf, false, &mut |text| line(path, text)) {
                Ok(out) => {
                    stats.lines += out.lines;
                    stats.bytes += out.bytes;
                    if out.bytes > 0 {
                        r.last_growth = now;
                    }
                    false
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read a rotated log file; dropping it");
                    stats.errors += 1;
                    true
                }
            };
            done |= now.duration_since(r.last_growth) >= self.rotation_grace;
            if done {
                let mut r = self.retired.remove(i);
                let path = &r.path;
                stats.lines += r.reader.flush_partial(&mut |text| line(path, text));
            } else {
                i += 1;
            }
        }
    }

    /// The paths the pattern matches now.
    fn expand(&mut self) -> BTreeSet<PathBuf> {
        let mut present = BTreeSet::new();
        let Ok(paths) = glob::glob(&self.pattern) else {
            return present; // validated in `new`
        };
        for entry in paths {
            match entry {
                Ok(path) => {
                    present.insert(path);
                }
                Err(e) => {
                    let path = e.path().to_owned();
                    let mut ignored = PollStats::default();
                    self.warn_once(&path, "list", e.into(), &mut ignored);
                }
            }
        }
        present
    }

    fn warn_once(
        &mut self,
        path: &Path,
        action: &'static str,
        e: io::Error,
        stats: &mut PollStats,
    ) {
        stats.errors += 1;
        if self.warned.insert(path.to_owned()) {
            tracing::warn!(path = %path.display(), error = %e, "cannot {action} log file; will retry");
        } else {
            tracing::debug!(path = %path.display(), error = %e, "cannot {action} log file");
        }
        if self.failure.is_none() {
            self.failure = Some(SourceError::io(action, path, e));
        }
    }
}
