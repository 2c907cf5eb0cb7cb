//! Finding what a rotation left behind: the rest of a file renamed away or copied before
//! it was truncated, while we followed it or while palisade was down.

use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

use super::FileFollower;
use super::reader::{Reader, head_fingerprint};
use crate::source::PollStats;
use crate::source::offsets::{FileOffset, Fingerprint};

impl FileFollower {
    /// Places a file at a saved position, or, if it changed while we were down, reads what
    /// was left of the old file (rotated or copied) and places it at its start.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resume(
        &mut self,
        path: &Path,
        file: File,
        meta: &Metadata,
        saved: FileOffset,
        buf: &mut [u8],
        stats: &mut PollStats,
        line: &mut dyn FnMut(&Path, &str),
    ) -> io::Result<Reader> {
        if ident(meta) != (saved.dev, saved.ino) {
            stats.rotations += 1;
            self.recover_rotated(path, &saved);
            return Reader::from_start(file);
        }
        let intact = meta.len() >= saved.offset
            && head_fingerprint(&file, saved.fingerprint.len)? == Some(saved.fingerprint);
        if intact {
            return Reader::at(file, saved.offset, saved.fingerprint);
        }
        let mut old = Reader::at(file, saved.offset, saved.fingerprint)?;
        self.on_truncated(path, &mut old, buf, stats, line);
        Ok(old)
    }

    /// Queues the rest of a file rotated away while we were down, found in the same directory
    /// by its device and inode (and first bytes, since inodes are reused).
    pub(super) fn recover_rotated(&mut self, path: &Path, saved: &FileOffset) {
        let found = find_sibling(
            path,
            |meta| ident(meta) == (saved.dev, saved.ino) && meta.len() >= saved.offset,
            saved.fingerprint,
        );
        match found.and_then(|(file, _)| Reader::at(file, saved.offset, saved.fingerprint).ok()) {
            Some(reader) => {
                tracing::info!(path = %path.display(), "reading the rest of a file rotated while stopped");
                self.retire(path, reader);
            }
            None => tracing::warn!(
                path = %path.display(),
                offset = saved.offset,
                "file rotated while stopped and its old copy is gone (deleted or compressed); \
                 lines written after the saved position were not read"
            ),
        }
    }

    /// The file was truncated (copy-and-truncate rotation): read the rest of what we had not
    /// read from the copy, if one can be found, then start the file over.
    pub(super) fn on_truncated(
        &mut self,
        path: &Path,
        reader: &mut Reader,
        buf: &mut [u8],
        stats: &mut PollStats,
        line: &mut dyn FnMut(&Path, &str),
    ) {
        stats.truncations += 1;
        if reader.committed() > 0 || reader.has_partial() {
            let (dev, ino) = (reader.dev, reader.ino);
            let min_len = reader.committed();
            let copy = find_sibling(
                path,
                |meta| ident(meta) != (dev, ino) && meta.len() >= min_len,
                reader.fingerprint(),
            );
            let mut rest = copy.and_then(|(file, _)| reader.continue_in(file).ok());
            match &mut rest {
                Some(copy) => match copy.read(buf, false, &mut |text| line(path, text)) {
                    Ok(out) => {
                        stats.lines += out.lines + copy.flush_partial(&mut |text| line(path, text));
                        stats.bytes += out.bytes;
                    }
                    Err(e) => self.warn_once(path, "read the copy of", e, stats),
                },
                None => {
                    stats.lines += reader.flush_partial(&mut |text| line(path, text));
                    tracing::debug!(path = %path.display(), "truncated; no copy of the old content found");
                }
            }
        }
        reader.restart();
    }
}

pub(super) fn ident(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// Whether `path` now names another file than the one `reader` has open (renamed away and
/// replaced). A path that cannot be looked at is not taken as replaced: its file is still read.
pub(super) fn is_replaced(path: &Path, reader: &Reader) -> bool {
    fs::metadata(path).is_ok_and(|meta| ident(&meta) != (reader.dev, reader.ino))
}

/// A file in `path`'s directory, other than `path`, that `wanted` accepts and that begins with
/// the bytes of `fp`; the most recently modified if several do.
///
/// Only names starting with `path`'s name are looked at (`auth.log.1`, `auth.log-20250101`):
/// that is how every rotation scheme names the old files, and it keeps the scan to a few files.
fn find_sibling(
    path: &Path,
    wanted: impl Fn(&Metadata) -> bool,
    fp: Fingerprint,
) -> Option<(File, Metadata)> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = path.file_name()?.as_bytes();
    let entries = fs::read_dir(dir)
        .inspect_err(|e| tracing::debug!(dir = %dir.display(), error = %e, "cannot list"))
        .ok()?;
    let mut best: Option<(File, Metadata, SystemTime)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.as_bytes().starts_with(base) || name.as_bytes() == base {
            continue;
        }
        // Not following symlinks, and looking before opening: opening a FIFO would block.
        match entry.metadata() {
            Ok(meta) if meta.is_file() && wanted(&meta) => {}
            _ => continue,
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        let Ok(meta) = file.metadata() else { continue };
        if !meta.is_file() || !wanted(&meta) {
            continue;
        }
        if !matches!(head_fingerprint(&file, fp.len), Ok(Some(head)) if head == fp) {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if best.as_ref().is_none_or(|(_, _, t)| modified > *t) {
            best = Some((file, meta, modified));
        }
    }
    best.map(|(file, meta, _)| (file, meta))
}
