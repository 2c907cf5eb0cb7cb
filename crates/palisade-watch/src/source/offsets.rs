//! The persisted read positions: one JSON file shared by every source of a watcher.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::SourceError;

/// The format version written in the file; another version is treated as unreadable.
const VERSION: u32 = 1;

/// How many leading bytes of a file identify it.
pub(crate) const FINGERPRINT_MAX: u64 = 256;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A digest of the first bytes of a file (up to 256), with how many bytes it covers.
///
/// Inode numbers are reused as soon as a file is deleted, so (device, inode) alone would take a
/// new file for the old one after a rotation; the first bytes of a log (its first timestamp)
/// tell them apart. The digest is 64-bit FNV-1a, written here rather than taken from `std`
/// because `std`'s hasher may change between Rust releases and the value is stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// How many leading bytes are covered (0 to 256).
    pub len: u64,
    /// FNV-1a (64-bit) of those bytes.
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of no bytes: it matches every file.
    pub const EMPTY: Fingerprint = Fingerprint {
        len: 0,
        hash: FNV_OFFSET,
    };

    /// The fingerprint of `bytes` (all of them, whatever their length).
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let mut fp = Fingerprint::EMPTY;
        fp.extend(bytes);
        fp
    }

    /// Appends bytes to what the fingerprint covers.
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
        self.len += bytes.len() as u64;
    }
}

/// Where a file was left: which file (device, inode, fingerprint) and how far it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOffset {
    /// The device holding the file (`st_dev`).
    pub dev: u64,
    /// The file's inode number (`st_ino`).
    pub ino: u64,
    /// The byte offset just after the last line delivered.
    pub offset: u64,
    /// The first bytes of the file.
    pub fingerprint: Fingerprint,
}

/// One source's position, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Position {
    File(FileOffset),
    Journal { cursor: String },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    sources: BTreeMap<String, Position>,
}

#[derive(Debug, Default)]
struct State {
    sources: BTreeMap<String, Position>,
    /// Bumped on every change; compared with `saved` so that `save` writes only when needed.
    generation: u64,
    saved: u64,
}

/// The read positions of every source, persisted in one JSON file.
///
/// Keys are the file's path as the glob produced it (non-UTF-8 bytes replaced), or
/// `journal:<name>` for a journal source. Share one `Arc<Offsets>` between the sources of a
/// watcher; each records its positions as it reads, and the caller calls [`Offsets::save`]
/// after processing what a poll returned.
///
/// One process per offsets file: two watchers saving the same file would overwrite each
/// other's positions.
#[derive(Debug)]
pub struct Offsets {
    path: Option<PathBuf>,
    state: Mutex<State>,
    /// Serialises writers, so that an older snapshot never overwrites a newer one.
    save_lock: Mutex<()>,
}

impl Offsets {
    /// Loads the positions saved at `path`; a missing file gives an empty store.
    ///
    /// A file that cannot be parsed (a disk that filled up mid-write on a filesystem without
    /// atomic rename, a hand edit) is renamed aside to `<path>.corrupt` and the store starts
    /// empty, with a warning: a watcher that refuses to start leaves the machine unprotected,
    /// while starting empty only means applying the [`Start`](super::Start) rule again.
    /// Errors: the file exists but cannot be read, or cannot be moved aside.
    pub fn open(path: impl Into<PathBuf>) -> Result<Offsets, SourceError> {
        let path = path.into();
        let sources = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Stored>(&bytes) {
                Ok(stored) if stored.version == VERSION => stored.sources,
                parsed => {
                    let why = match parsed {
                        Ok(stored) => format!("unknown version {}", stored.version),
                        Err(e) => e.to_string(),
                    };
                    let aside = sibling(&path, ".corrupt");
                    fs::rename(&path, &aside)
                        .map_err(|e| SourceError::io("move aside", &path, e))?;
                    tracing::warn!(
                        path = %path.display(),
                        moved_to = %aside.display(),
                        error = %why,
                        "unreadable offsets file moved aside; starting without saved positions"
                    );
                    BTreeMap::new()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(SourceError::io("read", &path, e)),
        };
        Ok(Offsets {
            path: Some(path),
            state: Mutex::new(State {
                sources,
                ..State::default()
            }),
            save_lock: Mutex::new(()),
        })
    }

    /// A store that is never written to disk (`save` does nothing): every start follows the
    /// [`Start`](super::Start) rule.
    pub fn in_memory() -> Offsets {
        Offsets {
            path: None,
            state: Mutex::new(State::default()),
            save_lock: Mutex::new(()),
        }
    }

    /// The file the positions are saved to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The saved position of a file, keyed by its path.
    pub fn file(&self, path: &Path) -> Option<FileOffset> {
        match self.lock().sources.get(&file_key(path)) {
            Some(Position::File(offset)) => Some(*offset),
            _ => None,
        }
    }

    /// Records a file's position (in memory, until the next [`save`](Offsets::save)).
    pub fn set_file(&self, path: &Path, offset: FileOffset) {
        self.set(file_key(path), Position::File(offset));
    }

    /// The paths that have a saved file position.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        self.lock()
            .sources
            .iter()
            .filter(|(_, pos)| matches!(pos, Position::File(_)))
            .map(|(key, _)| PathBuf::from(key))
            .collect()
    }

    /// Forgets a file's position (the file was deleted).
    pub fn forget_file(&self, path: &Path) {
        let mut state = self.lock();
        if state.sources.remove(&file_key(path)).is_some() {
            state.generation += 1;
        }
    }

    /// The cursor of the last journal entry delivered by the journal source `name`.
    pub fn journal_cursor(&self, name: &str) -> Option<String> {
        match self.lock().sources.get(&journal_key(name)) {
            Some(Position::Journal { cursor }) => Some(cursor.clone()),
            _ => None,
        }
    }

    /// Records a journal source's cursor (in memory, until the next [`save`](Offsets::save)).
    pub fn set_journal_cursor(&self, name: &str, cursor: &str) {
        self.set(
            journal_key(name),
            Position::Journal {
                cursor: cursor.to_owned(),
            },
        );
    }

    /// Whether positions changed since the last save.
    pub fn is_dirty(&self) -> bool {
        let state = self.lock();
        state.generation != state.saved
    }

    /// Writes the positions if they changed since the last save (see [`is_dirty`](Offsets::is_dirty)).
    ///
    /// The write is atomic: a temporary file in the same directory, flushed to disk, renamed
    /// over the old one, and the directory flushed; a crash leaves either the old or the new
    /// positions, never half a file. On error the positions stay dirty and the next call
    /// tries again.
    pub fn save(&self) -> Result<(), SourceError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _writer = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
        let (json, generation) = {
            let state = self.lock();
            if state.generation == state.saved {
                return Ok(());
            }
            let stored = Stored {
                version: VERSION,
                sources: state.sources.clone(),
            };
            let json =
                serde_json::to_vec_pretty(&stored).map_err(|source| SourceError::Encode {
                    path: path.clone(),
                    source,
                })?;
            (json, state.generation)
        };
        write_atomically(path, &json)?;
        self.lock().saved = generation;
        Ok(())
    }

    fn set(&self, key: String, position: Position) {
        let mut state = self.lock();
        if state.sources.get(&key) != Some(&position) {
            state.sources.insert(key, position);
            state.generation += 1;
        }
    }

    /// A panic elsewhere while holding the lock leaves plain data behind, still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn file_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn journal_key(name: &str) -> String {
    format!("journal:{name}")
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SourceError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(SourceError::io("write", &tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(SourceError::io("rename into place", path, e));
    }
    // The rename is durable only once the directory entry is; losing it would only replay
    // lines, so a failure here is worth a warning, not an error.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot flush the offsets directory");
    }
    Ok(())
}
