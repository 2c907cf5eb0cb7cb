//! OSV archives: osv.dev publishes each ecosystem's records as `<Ecosystem>/all.zip`, one
//! `<ID>.json` per entry. Entries are read into memory one at a time (nothing is extracted to
//! disk), each bounded by [`MAX_RECORD_BYTES`] whatever its header claims.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;

use super::{Format, MAX_RECORD_BYTES, Parsed, parallel_map, read_bounded};
use crate::error::{DbError, RecordError, RecordErrorKind};

/// A zip file starts with a local file header (`PK\x03\x04`), or, when empty, with the end of
/// central directory record (`PK\x05\x06`).
pub(super) fn is_zip(path: &Path) -> Result<bool, DbError> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path).map_err(DbError::io(path))?;
    match file.read_exact(&mut magic) {
        Ok(()) => Ok(&magic == b"PK\x03\x04" || &magic == b"PK\x05\x06"),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(source) => Err(DbError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn open(path: &Path) -> Result<ZipArchive<File>, DbError> {
    let file = File::open(path).map_err(DbError::io(path))?;
    ZipArchive::new(file).map_err(|e| DbError::Archive {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads every `*.json`, `*.yaml` and `*.yml` entry. Directories, other files, hidden entries
/// and macOS's `__MACOSX/` resource forks are passed over.
pub(super) fn read(path: &Path) -> Result<Parsed, DbError> {
    let archive = open(path)?;
    let mut entries = Vec::new();
    let mut parsed = Parsed::default();
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(|e| DbError::Archive {
            path: path.to_path_buf(),
            message: format!("entry {i}: {e}"),
        })?;
        if entry.is_dir() {
            continue;
        }
        let Ok(name) = entry.name() else {
            parsed.skipped += 1;
            continue;
        };
        let hidden = name
            .split('/')
            .any(|part| part.starts_with('.') || part == "__MACOSX");
        let file_name = name.rsplit('/').next().unwrap_or_default();
        match Format::osv(file_name) {
            Some(format) if !hidden && entry.is_file() => {
                entries.push((name.into_owned(), i, format));
            }
            _ => parsed.skipped += 1,
        }
    }
    drop(archive);
    entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));

    let display = path.display().to_string();
    // Each thread opens the archive itself: a reader seeks, so one cannot be shared.
    let results = parallel_map(
        entries.len(),
        || open(path),
        |archive, n| {
            let (entry_name, i, format) = &entries[n];
            let name = format!("{display}!/{entry_name}");
            let text = match archive.by_index(*i) {
                Ok(file) if file.size() > MAX_RECORD_BYTES => Err(RecordError::whole_file(
                    name.clone(),
                    RecordErrorKind::TooLarge {
                        limit: MAX_RECORD_BYTES,
                    },
                )),
                Ok(file) => read_bounded(file, &name, MAX_RECORD_BYTES),
                Err(e) => Err(RecordError::whole_file(
                    name.clone(),
                    RecordErrorKind::Read(e.to_string()),
                )),
            };
            text.and_then(|text| Ok(format.parse(&text, &name)?))
        },
    )?;
    results.into_iter().for_each(|r| parsed.push(r));
    Ok(parsed)
}
