//! Reading a source into advisory records: recognising its kind, finding its record files, and
//! parsing them (in parallel) with `palisade-advisory`'s parsers. A bad record is reported and
//! skipped; the others are kept.

mod archive;
mod walk;

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::thread;

use palisade_advisory::{Advisory, Ecosystem, ParseError, osv, rustsec};

use crate::error::{DbError, RecordError, RecordErrorKind};
use crate::name::{SourceKind, SourceName};

/// The largest record file read. Real OSV records are at most a few hundred KiB (long
/// `versions` lists); the bound keeps a hostile archive entry from exhausting memory.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;

/// The most record errors an import report keeps (the count is always complete).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// How a record file is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
    RustSec(rustsec::Collection),
}

impl Format {
    /// The OSV format of a file name, by extension.
    fn osv(file_name: &str) -> Option<Format> {
        let (_, ext) = file_name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    fn parse(self, text: &str, name: &str) -> Result<Advisory, ParseError> {
        match self {
            Format::Json => osv::parse_json(text, name),
            Format::Yaml => osv::parse_yaml(text, name),
            Format::RustSec(collection) => rustsec::parse(text, name, collection),
        }
    }
}

/// What reading a source gave.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Good records, in file order.
    pub(crate) records: Vec<Advisory>,
    /// Files that failed (all of them counted in `failed`; the first
    /// [`MAX_REPORTED_ERRORS`] kept).
    pub(crate) errors: Vec<RecordError>,
    pub(crate) failed: usize,
    /// Files that are not records (README, LICENSE, …).
    pub(crate) skipped: usize,
}

impl Parsed {
    fn push(&mut self, result: Result<Advisory, RecordError>) {
        match result {
            Ok(record) => self.records.push(record),
            Err(error) => {
                self.failed += 1;
                if self.errors.len() < MAX_REPORTED_ERRORS {
                    self.errors.push(error);
                }
            }
        }
    }
}

/// Recognises a source by its structure.
pub(crate) fn detect(path: &Path) -> Result<SourceKind, DbError> {
    let meta = fs::metadata(path).map_err(DbError::io(path))?;
    if meta.is_dir() {
        return Ok(if walk::is_rustsec(path)? {
            SourceKind::RustSec
        } else {
            SourceKind::OsvDir
        });
    }
    if meta.is_file() && archive::is_zip(path)? {
        return Ok(SourceKind::OsvZip);
    }
    Err(DbError::UnrecognisedSource {
        path: path.to_path_buf(),
    })
}

/// Reads and parses every record of a source.
pub(crate) fn read(path: &Path, kind: SourceKind) -> Result<Parsed, DbError> {
    match kind {
        SourceKind::OsvDir | SourceKind::RustSec => {
            let listing = if kind == SourceKind::RustSec {
                walk::rustsec_files(path)?
            } else {
                walk::osv_files(path)?
            };
            let results = parallel_map(
                listing.files.len(),
                || Ok::<_, DbError>(()),
                |(), i| {
                    let (file, format) = &listing.files[i];
                    let name = file.display().to_string();
                    read_file(file, &name).and_then(|text| Ok(format.parse(&text, &name)?))
                },
            )?;
            let mut parsed = Parsed {
                skipped: listing.skipped,
                ..Parsed::default()
            };
            results.into_iter().for_each(|r| parsed.push(r));
            Ok(parsed)
        }
        SourceKind::OsvZip => archive::read(path),
    }
}

/// The default name for a source: `rustsec`; for OSV, the ecosystem every record affects
/// (`osv-npm`, `osv-pypi`: one source per ecosystem, as osv.dev exports them, so a newer
/// export replaces the older wherever it was downloaded), else the directory or archive name
/// (an archive called `all.zip` is named by its directory, osv.dev's `<Ecosystem>/all.zip`).
pub(crate) fn default_name(path: &Path, kind: SourceKind, records: &[Advisory]) -> SourceName {
    if kind == SourceKind::RustSec {
        return SourceName::slug("", "rustsec");
    }
    let mut common: Option<BTreeSet<&Ecosystem>> = None;
    for record in records {
        let own: BTreeSet<&Ecosystem> = record.affected.iter().map(|a| &a.ecosystem).collect();
        common = Some(match common {
            None => own,
            Some(before) => before.intersection(&own).copied().collect(),
        });
    }
    if let Some(common) = common
        && common.len() == 1
        && let Some(ecosystem) = common.first()
    {
        return SourceName::slug("osv-", ecosystem.as_str());
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let label = if kind == SourceKind::OsvZip && stem.eq_ignore_ascii_case("all") {
        path.parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or(stem)
    } else if kind == SourceKind::OsvZip {
        stem
    } else {
        path.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    };
    SourceName::slug("osv-", label)
}

fn read_file(path: &Path, name: &str) -> Result<String, RecordError> {
    let file = fs::File::open(path).map_err(|e| {
        RecordError::whole_file(name.to_owned(), RecordErrorKind::Read(e.to_string()))
    })?;
    read_bounded(file, name, MAX_RECORD_BYTES)
}

/// Reads at most `limit` bytes of UTF-8 text; a longer input is [`RecordErrorKind::TooLarge`]
/// whatever its size claimed (archive headers can lie).
pub(crate) fn read_bounded(
    reader: impl Read,
    name: &str,
    limit: u64,
) -> Result<String, RecordError> {
    let whole = |kind| RecordError::whole_file(name.to_owned(), kind);
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| whole(RecordErrorKind::Read(e.to_string())))?;
    if bytes.len() as u64 > limit {
        return Err(whole(RecordErrorKind::TooLarge { limit }));
    }
    String::from_utf8(bytes).map_err(|_| whole(RecordErrorKind::Read("not UTF-8 text".into())))
}

/// Maps `f` over `0..n` on a few threads, each with its own state from `init` (an open
/// archive), keeping the order. Parsing dominates an import (~17 µs a record), and osv.dev's
/// larger exports hold over 100,000 records.
fn parallel_map<S, T, E>(
    n: usize,
    init: impl Fn() -> Result<S, E> + Sync,
    f: impl Fn(&mut S, usize) -> T + Sync,
) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
{
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(n.div_ceil(64))
        .max(1);
    let chunk = n.div_ceil(threads).max(1);
    let run = |range: std::ops::Range<usize>| -> Result<Vec<T>, E> {
        let mut state = init()?;
        Ok(range.map(|i| f(&mut state, i)).collect())
    };
    if threads == 1 {
        return run(0..n);
    }
    thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let run = &run;
                scope.spawn(move || run(start..(start + chunk).min(n)))
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part?),
                // A parser panic is a bug in palisade; surface it rather than drop records.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_reject_long_input() {
        assert_eq!(
            read_bounded(&b"0123456789"[..], "f", 10).unwrap(),
            "0123456789"
        );
        let e = read_bounded(&b"0123456789x"[..], "f", 10).unwrap_err();
        assert_eq!(e.kind, RecordErrorKind::TooLarge { limit: 10 });
        assert_eq!(e.to_string(), "f:1:1: record larger than 10 bytes; skipped");
        let e = read_bounded(&[0xff, 0xfe][..], "f", 10).unwrap_err();
        assert!(matches!(e.kind, RecordErrorKind::Read(_)));
    }

    #[test]
    fn parallel_map_keeps_order() {
        for n in [0, 1, 63, 64, 65, 1000] {
            let out = parallel_map(n, || Ok::<_, ()>(10), |s, i| *s + i).unwrap();
            assert_eq!(out, (0..n).map(|i| i + 10).collect::<Vec<_>>());
        }
        assert_eq!(
            parallel_map(500, || Err::<(), _>("no"), |(), i| i),
            Err("no")
        );
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::osv("a.json"), Some(Format::Json));
        assert_eq!(Format::osv("a.YML"), Some(Format::Yaml));
        assert_eq!(Format::osv("README.md"), None);
        assert_eq!(Format::osv("json"), None);
    }
}
