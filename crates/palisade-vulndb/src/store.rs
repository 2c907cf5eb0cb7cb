//! The database's binary files and how they are written: framing with a checksum, atomic
//! replacement, and the directory lock.
//!
//! Every binary file is `magic (8 bytes) | layout (u32 LE) | CRC-32 of the rest (u32 LE) |
//! postcard header | postcard body`. The layout number comes before anything decoded, so a
//! file from another version of palisade is recognised without decoding it; the checksum
//! catches a torn or bit-flipped file, which postcard alone could misread as valid data (a
//! corrupted version string is a missed vulnerability, not a crash).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::DbError;

/// The layout of this crate's files (framing, headers, the catalogue). Bumped when they
/// change; [`palisade_advisory::INDEX_FORMAT`] covers the advisory model inside.
pub const LAYOUT: u32 = 1;

/// `sources/<name>.postcard`.
pub(crate) const SOURCE_MAGIC: &[u8; 8] = b"PSDVSRC\0";
/// `index.postcard`.
pub(crate) const INDEX_MAGIC: &[u8; 8] = b"PSDVIDX\0";

const PREFIX: usize = 16;

/// Why a framed file could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Not one of this crate's files, or cut short.
    NotOurs,
    /// Another layout version.
    Layout(u32),
    /// The checksum does not match.
    Checksum,
    /// The header or body does not decode.
    Decode(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::NotOurs => f.write_str("not a palisade advisory file, or cut short"),
            FrameError::Layout(found) => {
                write!(
                    f,
                    "written in layout {found} (this palisade writes {LAYOUT})"
                )
            }
            FrameError::Checksum => f.write_str("checksum mismatch (the file is corrupt)"),
            FrameError::Decode(message) => write!(f, "does not decode: {message}"),
        }
    }
}

/// Frames a header and a body.
pub(crate) fn frame<H: Serialize, B: Serialize + ?Sized>(
    magic: &[u8; 8],
    header: &H,
    body: &B,
) -> Result<Vec<u8>, postcard::Error> {
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(magic);
    out.extend_from_slice(&LAYOUT.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let out = postcard::to_extend(header, out)?;
    let mut out = postcard::to_extend(body, out)?;
    let crc = crc32fast::hash(&out[PREFIX..]);
    out[12..PREFIX].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// [`frame`] with a body that is already encoded (the index encodes itself).
pub(crate) fn frame_bytes<H: Serialize>(
    magic: &[u8; 8],
    header: &H,
    body: &[u8],
) -> Result<Vec<u8>, postcard::Error> {
    let mut out = Vec::with_capacity(PREFIX + 1024 + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&LAYOUT.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let mut out = postcard::to_extend(header, out)?;
    out.extend_from_slice(body);
    let crc = crc32fast::hash(&out[PREFIX..]);
    out[12..PREFIX].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks the framing and decodes the header; returns it with the body's bytes.
pub(crate) fn unframe<'a, H: DeserializeOwned>(
    magic: &[u8; 8],
    bytes: &'a [u8],
) -> Result<(H, &'a [u8]), FrameError> {
    if bytes.len() < PREFIX || &bytes[..8] != magic {
        return Err(FrameError::NotOurs);
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let layout = word(8);
    if layout != LAYOUT {
        return Err(FrameError::Layout(layout));
    }
    if word(12) != crc32fast::hash(&bytes[PREFIX..]) {
        return Err(FrameError::Checksum);
    }
    postcard::take_from_bytes(&bytes[PREFIX..]).map_err(|e| FrameError::Decode(e.to_string()))
}

/// Decodes only the header from the start of a file (the rest may be missing), without the
/// checksum: for recovering the catalogue, where the file's body is checked later anyway.
pub(crate) fn peek_header<H: DeserializeOwned>(magic: &[u8; 8], bytes: &[u8]) -> Option<H> {
    if bytes.len() < PREFIX || &bytes[..8] != magic || bytes[8..12] != LAYOUT.to_le_bytes() {
        return None;
    }
    postcard::take_from_bytes(&bytes[PREFIX..])
        .ok()
        .map(|(h, _)| h)
}

/// Replaces `path` with `bytes` atomically: readers see the old file or the new one, never a
/// part. Written to a temporary file beside it, flushed to disk, then renamed over it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DbError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(DbError::io(dir))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        DbError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// An exclusive lock on the database directory, held while sources or the index are
/// written, so two imports (or an import and a rebuild) do not interleave. Readers take no
/// lock: every file is replaced atomically. Released when dropped (the file is closed).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, DbError> {
        fs::create_dir_all(dir).map_err(DbError::io(dir))?;
        let path = dir.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(DbError::io(&path))?;
        file.lock().map_err(DbError::io(&path))?;
        Ok(DirLock { _file: file })
    }
}

/// The files of a database directory.
#[derive(Clone, Debug)]
pub(crate) struct Paths {
    pub(crate) dir: PathBuf,
}

impl Paths {
    pub(crate) fn catalogue(&self) -> PathBuf {
        self.dir.join("meta.json")
    }

    pub(crate) fn index(&self) -> PathBuf {
        self.dir.join("index.postcard")
    }

    pub(crate) fn sources(&self) -> PathBuf {
        self.dir.join("sources")
    }

    pub(crate) fn source(&self, name: &str) -> PathBuf {
        self.sources().join(format!("{name}.postcard"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_damage() {
        let bytes = frame(SOURCE_MAGIC, &7u32, &vec!["a".to_owned(), "b".to_owned()]).unwrap();
        let (header, body): (u32, _) = unframe(SOURCE_MAGIC, &bytes).unwrap();
        assert_eq!(header, 7);
        assert_eq!(
            postcard::from_bytes::<Vec<String>>(body).unwrap(),
            ["a", "b"]
        );
        assert_eq!(peek_header::<u32>(SOURCE_MAGIC, &bytes[..17]), Some(7));

        assert_eq!(
            unframe::<u32>(INDEX_MAGIC, &bytes).unwrap_err(),
            FrameError::NotOurs
        );
        assert_eq!(
            unframe::<u32>(SOURCE_MAGIC, &bytes[..10]).unwrap_err(),
            FrameError::NotOurs
        );
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            unframe::<u32>(SOURCE_MAGIC, &flipped).unwrap_err(),
            FrameError::Checksum
        );
        let mut other = bytes.clone();
        other[8] = 9;
        assert_eq!(
            unframe::<u32>(SOURCE_MAGIC, &other).unwrap_err(),
            FrameError::Layout(9)
        );
    }
}
