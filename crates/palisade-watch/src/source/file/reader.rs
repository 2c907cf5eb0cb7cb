//! One open file read from an offset: chunks in, complete lines out.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use crate::source::MAX_LINE;
use crate::source::offsets::{FINGERPRINT_MAX, FileOffset, Fingerprint};

/// Bytes read per system call; also the most a reader holds besides one partial line.
pub(crate) const CHUNK: usize = 64 * 1024;

/// What one [`Reader::read`] did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ReadOutcome {
    pub lines: u64,
    pub bytes: u64,
    /// The file's first bytes changed under us: it was truncated and written again. Nothing
    /// read after the change was delivered.
    pub replaced: bool,
}

/// An open file, the position read so far and the partial line not yet delivered.
#[derive(Debug)]
pub(crate) struct Reader {
    file: File,
    pub dev: u64,
    pub ino: u64,
    /// Bytes of the file consumed (delivered, pending or discarded).
    read_pos: u64,
    /// Just after the last line delivered (or skipped): where a restart resumes.
    committed: u64,
    /// The start of a line whose `\n` has not been written yet (at most `MAX_LINE` bytes).
    pending: Vec<u8>,
    /// Skipping to the next `\n`: the rest of an over-long line already delivered cut, or the
    /// tail of the line we started in the middle of.
    discard: bool,
    /// The file's first bytes, up to `FINGERPRINT_MAX`, as far as we have read them.
    fp: Fingerprint,
}

impl Reader {
    /// A reader at `offset`, with the fingerprint of the bytes before it (if it is within the
    /// first 256) or the given one.
    pub fn at(file: File, offset: u64, fp: Fingerprint) -> io::Result<Reader> {
        let meta = file.metadata()?;
        Ok(Reader {
            file,
            dev: meta.dev(),
            ino: meta.ino(),
            read_pos: offset,
            committed: offset,
            pending: Vec::new(),
            discard: false,
            fp,
        })
    }

    /// A reader at the start of `file`.
    pub fn from_start(file: File) -> io::Result<Reader> {
        Reader::at(file, 0, Fingerprint::EMPTY)
    }

    /// A reader at the current end of `file` (or `offset` if given), skipping the rest of a
    /// line it would start in the middle of: a fragment would only confuse the parsers.
    pub fn at_end(file: File, offset: u64) -> io::Result<Reader> {
        let fp =
            head_fingerprint(&file, offset.min(FINGERPRINT_MAX))?.unwrap_or(Fingerprint::EMPTY);
        let mut reader = Reader::at(file, offset, fp)?;
        if offset > 0 {
            let mut last = [0u8; 1];
            let n = reader.file.read_at(&mut last, offset - 1)?;
            reader.discard = n == 1 && last[0] != b'\n';
        }
        Ok(reader)
    }

    /// A second reader on another file holding the same bytes (a copy made by
    /// `copytruncate`), at the same position: it will deliver what this one has not yet.
    pub fn continue_in(&self, file: File) -> io::Result<Reader> {
        let mut other = Reader::at(file, self.committed, self.fp)?;
        other.discard = self.discard;
        Ok(other)
    }

    /// Starts over at the beginning of the file (it was truncated).
    pub fn restart(&mut self) {
        self.read_pos = 0;
        self.committed = 0;
        self.pending.clear();
        self.discard = false;
        self.fp = Fingerprint::EMPTY;
    }

    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// Whether a line was started but not finished.
    pub fn has_partial(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fp
    }

    /// What to persist to resume after the last line delivered.
    pub fn position(&self) -> FileOffset {
        FileOffset {
            dev: self.dev,
            ino: self.ino,
            offset: self.committed,
            fingerprint: self.fp,
        }
    }

    /// Whether the file is no longer the one we read: shorter than what we read, or its first
    /// bytes differ (truncated, then written past our position before we looked).
    pub fn was_truncated(&self) -> io::Result<bool> {
        if self.file.metadata()?.len() < self.read_pos {
            return Ok(true);
        }
        Ok(!self.head_matches()?)
    }

    /// Reads everything new, delivering each complete line.
    ///
    /// With `verify`, the file's first bytes are checked after each chunk is read and before
    /// its lines are delivered: if the file was truncated and rewritten between our check and
    /// our read, the chunk is new data at an old offset (the middle of some line) and is
    /// dropped, `replaced` is set, and the caller starts over. Files that are not truncated
    /// in place (rotated away, copies) skip the check.
    pub fn read(
        &mut self,
        buf: &mut [u8],
        verify: bool,
        emit: &mut dyn FnMut(&str),
    ) -> io::Result<ReadOutcome> {
        let mut out = ReadOutcome::default();
        loop {
            let n = match self.file.read_at(buf, self.read_pos) {
                Ok(0) => return Ok(out),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if verify && !self.head_matches()? {
                out.replaced = true;
                return Ok(out);
            }
            let chunk = &buf[..n];
            self.extend_fingerprint(chunk);
            out.lines += self.consume(chunk, emit);
            out.bytes += n as u64;
        }
    }

    /// Delivers the partial line left at the end of a file that will not grow any more.
    pub fn flush_partial(&mut self, emit: &mut dyn FnMut(&str)) -> u64 {
        if self.pending.is_empty() {
            return 0;
        }
        deliver(&self.pending, emit);
        self.pending.clear();
        self.committed = self.read_pos;
        1
    }

    fn head_matches(&self) -> io::Result<bool> {
        if self.fp.len == 0 {
            return Ok(true);
        }
        Ok(head_fingerprint(&self.file, self.fp.len)? == Some(self.fp))
    }

    fn extend_fingerprint(&mut self, chunk: &[u8]) {
        // `fp.len >= min(read_pos, 256)` always holds, so when it is short of 256 the bytes it
        // lacks start inside this chunk.
        if self.fp.len >= FINGERPRINT_MAX || self.fp.len < self.read_pos {
            return;
        }
        let from = (self.fp.len - self.read_pos) as usize;
        let to = (FINGERPRINT_MAX - self.read_pos).min(chunk.len() as u64) as usize;
        if from < to {
            self.fp.extend(&chunk[from..to]);
        }
    }

    /// Splits a chunk into lines; returns how many were delivered.
    fn consume(&mut self, chunk: &[u8], emit: &mut dyn FnMut(&str)) -> u64 {
        let mut lines = 0;
        let mut at = self.read_pos;
        let mut rest = chunk;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let segment = &rest[..i];
            if self.discard {
                self.discard = false;
            } else if self.pending.is_empty() {
                deliver(segment, emit);
                lines += 1;
            } else {
                let room = MAX_LINE - self.pending.len();
                self.pending
                    .extend_from_slice(&segment[..segment.len().min(room)]);
                deliver(&self.pending, emit);
                self.pending.clear();
                lines += 1;
            }
            at += i as u64 + 1;
            self.committed = at;
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            if self.discard {
                self.committed = at + rest.len() as u64;
            } else {
                let room = MAX_LINE - self.pending.len();
                if rest.len() >= room {
                    // The line reached the cap: deliver it cut, once, and skip its remainder.
                    self.pending.extend_from_slice(&rest[..room]);
                    deliver(&self.pending, emit);
                    self.pending.clear();
                    lines += 1;
                    self.discard = true;
                    self.committed = at + rest.len() as u64;
                } else {
                    self.pending.extend_from_slice(rest);
                }
            }
        }
        self.read_pos += chunk.len() as u64;
        lines
    }
}

/// The fingerprint of the first `len` bytes of `file`, or `None` if it is shorter.
pub(crate) fn head_fingerprint(file: &File, len: u64) -> io::Result<Option<Fingerprint>> {
    let mut head = [0u8; FINGERPRINT_MAX as usize];
    let want = len.min(FINGERPRINT_MAX) as usize;
    let mut got = 0;
    while got < want {
        match file.read_at(&mut head[got..want], got as u64) {
            Ok(0) => return Ok(None),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(Fingerprint::of(&head[..want])))
}

fn deliver(line: &[u8], emit: &mut dyn FnMut(&str)) {
    let line = &line[..line.len().min(MAX_LINE)];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    emit(&String::from_utf8_lossy(line));
}
