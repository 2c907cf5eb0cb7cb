//! A local Pwned Passwords file, searched on disk: positioned reads, never loaded whole.
//!
//! Two formats are accepted by [`PwnedFile::open`]:
//!
//! - HIBP's download as it is: `HASH:COUNT` lines (40 hex digits, SHA-1), sorted by hash,
//!   `\n` or `\r\n`. Binary search over byte offsets: about log2(size) steps of one small read.
//! - The compact index written by [`import`]: a magic line, a 65 537-entry fan-out table on the
//!   first two bytes of the hash (kept in memory, 512 KiB), then fixed 24-byte records
//!   (20-byte hash, u32 count, big-endian). A lookup is one binary search within one bucket.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::pwned::PwnedError;
use crate::secret::PasswordHash;

const MAGIC: &[u8; 16] = b"PALISADE-PWNED1\n";
const FANOUT: usize = 65_537;
const RECORD: u64 = 24;
const HEADER: u64 = MAGIC.len() as u64 + FANOUT as u64 * 8;
/// Longest line accepted in the text format (hash, colon, a count, CRLF).
const MAX_LINE: usize = 128;

/// An open local Pwned Passwords file. `lookup` takes `&self`: share it behind an `Arc`.
#[derive(Debug)]
pub struct PwnedFile {
    path: PathBuf,
    file: File,
    len: u64,
    format: Format,
}

#[derive(Debug)]
enum Format {
    Text,
    Index { fanout: Vec<u64> },
}

/// What [`import`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportStats {
    /// Hashes written.
    pub hashes: u64,
    /// Bytes of the index.
    pub bytes: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PwnedError + '_ {
    move |source| PwnedError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
}

fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read_at(file, &mut buf[done..], offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

impl PwnedFile {
    /// Opens a text file or an index, telling them apart by the magic line.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PwnedError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        let mut head = [0u8; MAGIC.len()];
        let n = read_full_at(&file, &mut head, 0).map_err(io(path))?;
        let format = if n == MAGIC.len() && &head == MAGIC {
            let mut table = vec![0u8; FANOUT * 8];
            read_full_at(&file, &mut table, MAGIC.len() as u64).map_err(io(path))?;
            let fanout: Vec<u64> = table
                .chunks_exact(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
                .collect();
            let records = fanout[FANOUT - 1];
            if len != HEADER + records * RECORD || fanout.windows(2).any(|w| w[0] > w[1]) {
                return Err(PwnedError::Format {
                    path: path.to_owned(),
                    line: 0,
                    message: "index is truncated or corrupt; import it again".into(),
                });
            }
            Format::Index { fanout }
        } else {
            // A quick sanity check of the first line, so a wrong file is an error at start-up
            // rather than a silent "never breached".
            let mut first = [0u8; MAX_LINE];
            let n = read_full_at(&file, &mut first, 0).map_err(io(path))?;
            if n > 0 {
                let line = first[..n].split(|b| *b == b'\n').next().unwrap_or_default();
                parse_line(line).ok_or_else(|| PwnedError::Format {
                    path: path.to_owned(),
                    line: 1,
                    message: "expected `HASH:COUNT` (40 hex digits, a colon, a count)".into(),
                })?;
            }
            Format::Text
        };
        Ok(PwnedFile {
            path: path.to_owned(),
            file,
            len,
            format,
        })
    }

    /// True when this is the compact index.
    pub fn is_index(&self) -> bool {
        matches!(self.format, Format::Index { .. })
    }

    /// How often the password behind `hash` was seen in breaches, `None` when never.
    /// Blocking I/O (a few small positioned reads, usually from the page cache).
    pub fn lookup(&self, hash: &PasswordHash) -> Result<Option<u64>, PwnedError> {
        match &self.format {
            Format::Text => self.lookup_text(hash),
            Format::Index { fanout } => self.lookup_index(fanout, hash),
        }
    }

    fn lookup_index(&self, fanout: &[u64], hash: &PasswordHash) -> Result<Option<u64>, PwnedError> {
        let bucket = usize::from(u16::from_be_bytes([hash.0[0], hash.0[1]]));
        let (mut lo, mut hi) = (fanout[bucket], fanout[bucket + 1]);
        let mut rec = [0u8; RECORD as usize];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let n = read_full_at(&self.file, &mut rec, HEADER + mid * RECORD)
                .map_err(io(&self.path))?;
            if n != rec.len() {
                return Err(self.corrupt(0));
            }
            match rec[..20].cmp(&hash.0[..]) {
                std::cmp::Ordering::Equal => {
                    let count = u32::from_be_bytes([rec[20], rec[21], rec[22], rec[23]]);
                    return Ok((count > 0).then_some(u64::from(count)));
                }
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }

    fn lookup_text(&self, hash: &PasswordHash) -> Result<Option<u64>, PwnedError> {
        let (mut lo, mut hi) = (0u64, self.len);
        // Room for the rest of the line before `mid` and one whole line after it.
        let mut buf = [0u8; 2 * MAX_LINE];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            // Find the first line starting at or after `mid`.
            let from = mid.saturating_sub(1).max(lo);
            let n = read_full_at(&self.file, &mut buf, from).map_err(io(&self.path))?;
            let chunk = &buf[..n];
            let start_in_chunk = if from == 0 && mid == 0 {
                0
            } else if from < mid {
                // `from` is `mid - 1`: the line starts after the first newline at or after it.
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(p) => p + 1,
                    None if n < buf.len() => n, // end of file
                    None => return Err(self.corrupt(0)),
                }
            } else {
                0 // from == lo == mid: a line start by the invariant
            };
            let start = from + start_in_chunk as u64;
            if start >= hi {
                hi = mid;
                continue;
            }
            let rest = &chunk[start_in_chunk..];
            let end = match rest.iter().position(|b| *b == b'\n') {
                Some(p) => p,
                None if (n as u64) < buf.len() as u64 => rest.len(), // last line, no newline
                None => return Err(self.corrupt(0)),
            };
            let line = &rest[..end];
            let Some((line_hash, count)) = parse_line(line) else {
                return Err(self.corrupt(0));
            };
            match line_hash.cmp(&hash.0) {
                std::cmp::Ordering::Equal => return Ok((count > 0).then_some(count)),
                std::cmp::Ordering::Less => lo = start + end as u64 + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Ok(None)
    }

    fn corrupt(&self, line: u64) -> PwnedError {
        PwnedError::Format {
            path: self.path.clone(),
            line,
            message: "not a sorted HASH:COUNT file".into(),
        }
    }
}

/// Parses `HASH:COUNT` (hash in either case; trailing `\r` allowed).
fn parse_line(line: &[u8]) -> Option<([u8; 20], u64)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() < 42 || line[40] != b':' {
        return None;
    }
    let mut hash = [0u8; 20];
    hex::decode_to_slice(&line[..40], &mut hash).ok()?;
    let count = std::str::from_utf8(&line[41..]).ok()?.trim().parse().ok()?;
    Some((hash, count))
}

/// Builds the compact index from a HIBP text file (`palisade pwned import FILE`). Streams:
/// memory use is the fan-out table whatever the file size. The text must be sorted by hash;
/// an unsorted or malformed line is an error naming it. Writes `dst` atomically (a temporary
/// file beside it, then a rename).
pub fn import(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> Result<ImportStats, PwnedError> {
    let (src, dst) = (src.as_ref(), dst.as_ref());
    let input = BufReader::with_capacity(1 << 20, File::open(src).map_err(io(src))?);
    let tmp = dst.with_extension("importing");
    let out_file = File::create(&tmp).map_err(io(&tmp))?;
    let mut out = BufWriter::with_capacity(1 << 20, out_file);
    out.write_all(MAGIC).map_err(io(&tmp))?;
    out.write_all(&vec![0u8; FANOUT * 8]).map_err(io(&tmp))?;

    let mut counts = vec![0u64; FANOUT - 1];
    let mut previous: Option<[u8; 20]> = None;
    let mut hashes = 0u64;
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(io(src))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad = |message: &str| PwnedError::Format {
            path: src.to_owned(),
            line: i as u64 + 1,
            message: message.into(),
        };
        let (hash, count) = parse_line(&line).ok_or_else(|| bad("expected `HASH:COUNT`"))?;
        if previous.is_some_and(|p| p >= hash) {
            return Err(bad(
                "not sorted by hash (download the `ordered by hash` file)",
            ));
        }
        previous = Some(hash);
        counts[usize::from(u16::from_be_bytes([hash[0], hash[1]]))] += 1;
        out.write_all(&hash).map_err(io(&tmp))?;
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        out.write_all(&count.to_be_bytes()).map_err(io(&tmp))?;
        hashes += 1;
    }
    let mut out_file = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    let mut table = Vec::with_capacity(FANOUT * 8);
    let mut total = 0u64;
    table.extend_from_slice(&0u64.to_be_bytes());
    for c in counts {
        total += c;
        table.extend_from_slice(&total.to_be_bytes());
    }
    out_file
        .seek(SeekFrom::Start(MAGIC.len() as u64))
        .map_err(io(&tmp))?;
    out_file.write_all(&table).map_err(io(&tmp))?;
    out_file.sync_all().map_err(io(&tmp))?;
    drop(out_file);
    std::fs::rename(&tmp, dst).map_err(io(dst))?;
    Ok(ImportStats {
        hashes,
        bytes: HEADER + hashes * RECORD,
    })
}
