//! [`Database`]: importing sources, keeping them on disk, and loading the merged index. The
//! steps behind it — parsing a source, storing it, building and saving the index — are in
//! `build`.

mod build;

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use palisade_advisory::{Advisory, INDEX_FORMAT, Index, MergeStats, Wanted};

use crate::catalogue::{self, Catalogue, IndexHeader, IndexMeta, SourceMeta};
use crate::error::{DbError, RecordError};
use crate::name::SourceName;
use crate::status::{IndexSummary, SourceStatus, Status};
use crate::store::{self, DirLock, FrameError, INDEX_MAGIC, LAYOUT, Paths};

use build::{
    bad_meta, build, current_catalogue, ingest, invalidate_cache, read_cache, save, write_source,
};

/// The advisory database in one directory (see the [crate docs](crate) for its layout).
///
/// `open` reads only the small catalogue; [`load_index`](Self::load_index) reads the index
/// cache, rebuilding it from the stored sources when it is missing, damaged, of another
/// format, or older than the sources.
#[derive(Debug)]
pub struct Database {
    paths: Paths,
    sources: Vec<SourceStatus>,
    index: Option<IndexSummary>,
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    /// The source as now stored.
    pub source: SourceStatus,
    /// The earlier import it replaced (same name), if any.
    pub replaced: Option<SourceStatus>,
    /// Files that are not advisory records (README, LICENSE, …), passed over.
    pub skipped: usize,
    /// Record files that failed and were left out.
    pub failed: usize,
    /// Their errors, located (at most [`MAX_REPORTED_ERRORS`](crate::MAX_REPORTED_ERRORS)).
    pub errors: Vec<RecordError>,
    /// The merged index over all sources after the import.
    pub index: MergeStats,
}

/// A loaded index, and whether the cache had to be rebuilt.
#[derive(Debug)]
pub struct Loaded {
    /// The merged index over all sources.
    pub index: Index,
    /// Set when the cache was not used.
    pub rebuilt: Option<Rebuilt>,
}

/// Why the index cache was rebuilt, and whether the new one could be saved.
#[derive(Debug)]
pub struct Rebuilt {
    /// Why the cache was not used.
    pub reason: CacheMiss,
    /// Why the rebuilt cache was not written (a read-only database is rebuilt in memory on
    /// every load: slower, still correct).
    pub not_saved: Option<DbError>,
}

/// Why an index cache was not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheMiss {
    /// There is no cache file.
    #[error("no index cache")]
    Missing,
    /// The file is damaged or not a cache (checksum, truncation, decoding).
    #[error("index cache unreadable: {0}")]
    Unreadable(String),
    /// Written by a palisade with another file layout or advisory format.
    #[error("index cache of another format: {0}")]
    OtherFormat(String),
    /// Built from other sources than the ones stored now (an import since, or an import
    /// that was interrupted before the cache was written).
    #[error("index cache older than the sources")]
    OutOfDate,
}

/// A parsed source, ready to store.
struct Ingested {
    meta: SourceMeta,
    records: Vec<Advisory>,
    skipped: usize,
    failed: usize,
    errors: Vec<RecordError>,
}

/// An index built from the stored sources, with the catalogue describing it.
struct Built {
    catalogue: Catalogue,
    index: Index,
}

impl Database {
    /// Opens the database in `dir`. A directory that does not exist yet is an empty database
    /// (it is created by the first import). A lost or damaged `meta.json` is recovered from
    /// the source files' headers.
    pub fn open(dir: &Path) -> Result<Database, DbError> {
        match fs::metadata(dir) {
            Ok(m) if !m.is_dir() => {
                return Err(DbError::Io {
                    path: dir.to_path_buf(),
                    source: std::io::Error::new(ErrorKind::NotADirectory, "not a directory"),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(source) => {
                return Err(DbError::Io {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        }
        let paths = Paths {
            dir: dir.to_path_buf(),
        };
        let catalogue = current_catalogue(&paths)?;
        let mut db = Database {
            paths,
            sources: Vec::new(),
            index: None,
        };
        db.adopt(&catalogue);
        Ok(db)
    }

    /// The database directory.
    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    /// Imports a source under its default name: `rustsec` for a RustSec advisory-db checkout;
    /// for OSV, `osv-<ecosystem>` when every record affects one ecosystem (`osv-npm`,
    /// `osv-pypi`, `osv-crates.io`), else `osv-<directory or archive name>`. Re-importing
    /// under a name replaces that source.
    ///
    /// The source kind is recognised by structure: a directory with `crates/` or `rust/`
    /// holding `<name>/<ID>.md` is RustSec; any other directory is searched for OSV
    /// records (`*.json`, `*.yaml`, `*.yml`; hidden entries passed over); a zip file is an
    /// OSV archive. Bad records are reported in [`ImportReport::errors`] and the good ones
    /// imported; a source without a single good record is [`DbError::NoRecords`].
    pub fn import(&mut self, source: &Path) -> Result<ImportReport, DbError> {
        self.import_named(source, None)
    }

    /// Imports a source under `name` (see [`import`](Self::import)).
    pub fn import_as(&mut self, source: &Path, name: SourceName) -> Result<ImportReport, DbError> {
        self.import_named(source, Some(name))
    }

    fn import_named(
        &mut self,
        source: &Path,
        name: Option<SourceName>,
    ) -> Result<ImportReport, DbError> {
        let origin = fs::canonicalize(source).map_err(DbError::io(source))?;
        // Parsing takes the time; the lock is only held for writing.
        let ingested = ingest(&origin, name)?;
        let _lock = DirLock::acquire(&self.paths.dir)?;
        let known = current_catalogue(&self.paths)?;
        let replaced = known
            .sources
            .iter()
            .find(|s| s.name == ingested.meta.name)
            .and_then(SourceMeta::to_status);
        invalidate_cache(&self.paths)?;
        write_source(&self.paths, &ingested.meta, &ingested.records)?;
        let meta = ingested.meta.clone();
        let built = build(
            &self.paths,
            Some((meta.clone(), ingested.records)),
            &known,
            true,
        )?;
        save(&self.paths, &built)?;
        self.adopt(&built.catalogue);
        Ok(ImportReport {
            source: meta
                .to_status()
                .ok_or_else(|| bad_meta(&self.paths, &meta))?,
            replaced,
            skipped: ingested.skipped,
            failed: ingested.failed,
            errors: ingested.errors,
            index: built.index.stats(),
        })
    }

    /// Removes a stored source and rebuilds the index without it.
    pub fn remove(&mut self, name: &SourceName) -> Result<(), DbError> {
        let _lock = DirLock::acquire(&self.paths.dir)?;
        let path = self.paths.source(name.as_str());
        if !path.exists() {
            return Err(DbError::UnknownSource(name.to_string()));
        }
        invalidate_cache(&self.paths)?;
        fs::remove_file(&path).map_err(DbError::io(&path))?;
        let known = current_catalogue(&self.paths)?;
        if catalogue::source_files(&self.paths)?.is_empty() {
            let empty = Catalogue {
                layout: LAYOUT,
                ..Catalogue::default()
            };
            catalogue::write(&self.paths, &empty)?;
            self.adopt(&empty);
            return Ok(());
        }
        let built = build(&self.paths, None, &known, true)?;
        save(&self.paths, &built)?;
        self.adopt(&built.catalogue);
        Ok(())
    }

    /// The sources and the last index build, as of `open` or this handle's last change.
    pub fn status(&self) -> Status {
        Status {
            dir: self.paths.dir.clone(),
            sources: self.sources.clone(),
            index: self.index,
        }
    }

    /// The merged index over all sources: the cache when it is current (the fast path: one
    /// read, a checksum, one decode), else rebuilt from the stored sources and saved.
    ///
    /// An empty database is [`DbError::Empty`], not an empty index: an audit against no data
    /// would report every lockfile clean.
    pub fn load_index(&self) -> Result<Index, DbError> {
        self.load().map(|loaded| loaded.index)
    }

    /// [`load_index`](Self::load_index), saying whether and why the cache was rebuilt.
    ///
    /// A stored source that cannot be read (damaged, or written with another advisory
    /// format by an older palisade) is imported again from its origin when that still
    /// exists; otherwise the load fails with [`DbError::SourceUnreadable`] rather than
    /// silently auditing without it.
    pub fn load(&self) -> Result<Loaded, DbError> {
        self.load_part(None)
    }

    /// [`load`](Self::load), decoding from the cache only the advisories for the `wanted`
    /// packages (see [`Index::from_bytes_for`]): what a one-off audit of known lockfiles
    /// needs, at a fraction of the cost. A rebuilt index is returned whole.
    pub fn load_for(&self, wanted: &Wanted) -> Result<Loaded, DbError> {
        self.load_part(Some(wanted))
    }

    fn load_part(&self, wanted: Option<&Wanted>) -> Result<Loaded, DbError> {
        if self.sources.is_empty() {
            return Err(DbError::Empty {
                dir: self.paths.dir.clone(),
            });
        }
        let expected: Vec<SourceMeta> = self.sources.iter().map(SourceMeta::from_status).collect();
        let reason = match read_cache(&self.paths, &expected, wanted) {
            Ok(index) => {
                return Ok(Loaded {
                    index,
                    rebuilt: None,
                });
            }
            Err(reason) => reason,
        };
        // Slow path. Without the lock (a read-only database) the index is built in memory.
        let lock = DirLock::acquire(&self.paths.dir);
        let known = current_catalogue(&self.paths)?;
        if lock.is_ok() {
            // Another process may have imported or rebuilt since `open` (or while this one
            // waited for the lock): the cache may match the sources now.
            if let Ok(index) = read_cache(&self.paths, &known.sources, wanted) {
                return Ok(Loaded {
                    index,
                    rebuilt: None,
                });
            }
        }
        let built = build(&self.paths, None, &known, lock.is_ok())?;
        if built.catalogue.sources.is_empty() {
            return Err(DbError::Empty {
                dir: self.paths.dir.clone(),
            });
        }
        let not_saved = match lock {
            Ok(_guard) => save(&self.paths, &built).err(),
            Err(e) => Some(e),
        };
        Ok(Loaded {
            index: built.index,
            rebuilt: Some(Rebuilt { reason, not_saved }),
        })
    }

    fn adopt(&mut self, catalogue: &Catalogue) {
        self.sources = catalogue
            .sources
            .iter()
            .filter_map(SourceMeta::to_status)
            .collect();
        self.index = catalogue.index.as_ref().and_then(IndexMeta::to_summary);
    }
}

/// Decodes an index cache (an `index.postcard`) held in memory — for instance one bundled
/// into a binary — checking its framing, checksum and format. Whether it is current is not
/// checked: there are no sources to compare it with.
pub fn decode_index(bytes: &[u8]) -> Result<Index, CacheMiss> {
    let (header, body) = unframe_index(bytes)?;
    if header.index_format != INDEX_FORMAT {
        return Err(other_format(header.index_format));
    }
    build::decode_body(body, None)
}

fn unframe_index(bytes: &[u8]) -> Result<(IndexHeader, &[u8]), CacheMiss> {
    store::unframe(INDEX_MAGIC, bytes).map_err(|e| match e {
        FrameError::Layout(_) => CacheMiss::OtherFormat(e.to_string()),
        other => CacheMiss::Unreadable(other.to_string()),
    })
}

fn other_format(found: u32) -> CacheMiss {
    CacheMiss::OtherFormat(format!(
        "advisory format {found} (this palisade reads {INDEX_FORMAT})"
    ))
}
