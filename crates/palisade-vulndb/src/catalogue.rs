//! The wire form of what the database knows about its sources: `meta.json` (the catalogue) and
//! the headers of the source and index files. Kept apart from the public [`Status`] types:
//! times are RFC 3339 text here, so `meta.json` reads well and compares exactly.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use palisade_advisory::MergeStats;
use serde::{Deserialize, Serialize};

use crate::error::DbError;
use crate::name::{SourceKind, SourceName};
use crate::status::{IndexSummary, SourceStatus};
use crate::store::{self, LAYOUT, Paths};

/// One source as stored: in `meta.json`, in its own file's header, and in the index cache's
/// header (which is how a cache is known to match the sources).
///
/// No `skip_serializing_if` or untagged enums: postcard writes it too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceMeta {
    pub(crate) name: String,
    pub(crate) kind: SourceKind,
    pub(crate) origin: String,
    pub(crate) records: u64,
    pub(crate) withdrawn: u64,
    pub(crate) advisories: u64,
    pub(crate) failed: u64,
    /// RFC 3339 with nanoseconds: also what tells two imports of one source apart.
    pub(crate) imported_at: String,
    pub(crate) newest: Option<String>,
}

/// The last index build, in `meta.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexMeta {
    pub(crate) built_at: String,
    pub(crate) stats: MergeStats,
}

/// `meta.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Catalogue {
    pub(crate) layout: u32,
    pub(crate) sources: Vec<SourceMeta>,
    pub(crate) index: Option<IndexMeta>,
}

/// The header of `sources/<name>.postcard`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SourceHeader {
    pub(crate) index_format: u32,
    pub(crate) meta: SourceMeta,
}

/// The header of `index.postcard`: the format, when it was built and from which sources.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct IndexHeader {
    pub(crate) index_format: u32,
    pub(crate) built_at: String,
    pub(crate) stats: MergeStats,
    pub(crate) sources: Vec<SourceMeta>,
}

pub(crate) fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_nanos(t).to_string()
}

fn parse_time(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(text).ok()
}

impl SourceMeta {
    pub(crate) fn from_status(s: &SourceStatus) -> SourceMeta {
        SourceMeta {
            name: s.name.to_string(),
            kind: s.kind,
            origin: s.origin.to_string_lossy().into_owned(),
            records: s.records as u64,
            withdrawn: s.withdrawn as u64,
            advisories: s.advisories as u64,
            failed: s.failed as u64,
            imported_at: format_time(s.imported_at),
            newest: s.newest.clone(),
        }
    }

    /// Validated into the public form; `None` when a field is unusable (a hand-edited file).
    pub(crate) fn to_status(&self) -> Option<SourceStatus> {
        Some(SourceStatus {
            name: SourceName::parse(&self.name).ok()?,
            kind: self.kind,
            origin: PathBuf::from(&self.origin),
            records: usize::try_from(self.records).ok()?,
            withdrawn: usize::try_from(self.withdrawn).ok()?,
            advisories: usize::try_from(self.advisories).ok()?,
            failed: usize::try_from(self.failed).ok()?,
            imported_at: parse_time(&self.imported_at)?,
            newest: self.newest.clone(),
        })
    }
}

impl IndexMeta {
    pub(crate) fn to_summary(&self) -> Option<IndexSummary> {
        Some(IndexSummary {
            built_at: parse_time(&self.built_at)?,
            stats: self.stats,
        })
    }
}

/// Sorts sources into merge order: RustSec first, then by name.
pub(crate) fn sort_sources(sources: &mut [SourceMeta]) {
    sources.sort_by(|a, b| (a.kind.merge_rank(), &a.name).cmp(&(b.kind.merge_rank(), &b.name)));
}

/// What reading `meta.json` found.
pub(crate) enum Read {
    Found(Catalogue),
    Missing,
    /// Unreadable JSON, another layout, or a field that does not validate.
    Unusable,
}

pub(crate) fn read(paths: &Paths) -> Result<Read, DbError> {
    let path = paths.catalogue();
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) if e.kind() == ErrorKind::InvalidData => return Ok(Read::Unusable),
        Err(source) => return Err(DbError::Io { path, source }),
    };
    let Ok(catalogue) = serde_json::from_str::<Catalogue>(&text) else {
        return Ok(Read::Unusable);
    };
    let valid = catalogue.layout == LAYOUT
        && catalogue.sources.iter().all(|s| s.to_status().is_some())
        && catalogue
            .index
            .as_ref()
            .is_none_or(|i| i.to_summary().is_some());
    if !valid {
        return Ok(Read::Unusable);
    }
    Ok(Read::Found(catalogue))
}

pub(crate) fn write(paths: &Paths, catalogue: &Catalogue) -> Result<(), DbError> {
    let mut text = serde_json::to_string_pretty(catalogue).map_err(|e| DbError::Io {
        path: paths.catalogue(),
        source: e.into(),
    })?;
    text.push('\n');
    store::write_atomic(&paths.catalogue(), text.as_bytes())
}

/// Rebuilds the catalogue from the headers of the source files, for a `meta.json` that was
/// deleted or damaged. Files whose header cannot be read are left out here; they are
/// reported when the index is rebuilt.
pub(crate) fn recover(paths: &Paths) -> Result<Catalogue, DbError> {
    let mut sources = Vec::new();
    for (name, path) in source_files(paths)? {
        let bytes = read_prefix(&path, 64 << 10).map_err(DbError::io(&path))?;
        if let Some(header) = store::peek_header::<SourceHeader>(store::SOURCE_MAGIC, &bytes)
            && header.meta.name == name.as_str()
            && header.meta.to_status().is_some()
        {
            sources.push(header.meta);
        }
    }
    sort_sources(&mut sources);
    Ok(Catalogue {
        layout: LAYOUT,
        sources,
        index: None,
    })
}

/// `sources/*.postcard` with a valid name, sorted by name.
pub(crate) fn source_files(paths: &Paths) -> Result<Vec<(SourceName, PathBuf)>, DbError> {
    let dir = paths.sources();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(DbError::Io { path: dir, source }),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(DbError::io(&dir))?;
        let file_name = entry.file_name();
        let Some(stem) = file_name.to_str().and_then(|f| f.strip_suffix(".postcard")) else {
            continue; // temporary files of an interrupted write, or anything else
        };
        if let Ok(name) = SourceName::parse(stem) {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn read_prefix(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    fs::File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}
