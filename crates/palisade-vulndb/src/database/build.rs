//! The steps behind [`Database`](super::Database): parsing a source into records, storing a
//! source, building the merged index from the stored sources (re-importing one that cannot
//! be read), and saving the index cache and the catalogue.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use palisade_advisory::{Advisory, CodecError, INDEX_FORMAT, Index, Wanted, merge};

use super::{Built, CacheMiss, Ingested, other_format, unframe_index};
use crate::catalogue::{
    self, Catalogue, IndexHeader, IndexMeta, SourceHeader, SourceMeta, format_time,
};
use crate::error::DbError;
use crate::name::SourceName;
use crate::source;
use crate::status::parse_date;
use crate::store::{self, INDEX_MAGIC, LAYOUT, Paths, SOURCE_MAGIC};

/// Removes the index cache before the sources change, so that a crash part-way leaves no
/// cache that looks current; the next load rebuilds from the files in `sources/`.
pub(super) fn invalidate_cache(paths: &Paths) -> Result<(), DbError> {
    let path = paths.index();
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(DbError::Io { path, source }),
    }
}

/// The cache, if it was built from exactly these sources: whole, or only the advisories for
/// the `wanted` packages.
pub(super) fn read_cache(
    paths: &Paths,
    expected: &[SourceMeta],
    wanted: Option<&Wanted>,
) -> Result<Index, CacheMiss> {
    let bytes = match fs::read(paths.index()) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(CacheMiss::Missing),
        Err(e) => return Err(CacheMiss::Unreadable(e.to_string())),
    };
    let (header, body) = unframe_index(&bytes)?;
    if header.index_format != INDEX_FORMAT {
        return Err(other_format(header.index_format));
    }
    if header.sources != expected {
        return Err(CacheMiss::OutOfDate);
    }
    decode_body(body, wanted)
}

/// The index in a cache's body.
pub(super) fn decode_body(body: &[u8], wanted: Option<&Wanted>) -> Result<Index, CacheMiss> {
    match wanted {
        None => Index::from_bytes(body),
        Some(wanted) => Index::from_bytes_for(body, wanted),
    }
    .map_err(|e| match e {
        CodecError::Format(_) => CacheMiss::OtherFormat(e.to_string()),
        CodecError::Decode(_) => CacheMiss::Unreadable(e.to_string()),
    })
}

/// `meta.json`, or the catalogue recovered from the source files when it is missing or
/// damaged.
pub(super) fn current_catalogue(paths: &Paths) -> Result<Catalogue, DbError> {
    match catalogue::read(paths)? {
        catalogue::Read::Found(c) => Ok(c),
        catalogue::Read::Missing | catalogue::Read::Unusable => catalogue::recover(paths),
    }
}

/// Reads and parses a source and describes it.
pub(super) fn ingest(origin: &Path, name: Option<SourceName>) -> Result<Ingested, DbError> {
    let kind = source::detect(origin)?;
    let parsed = source::read(origin, kind)?;
    if parsed.records.is_empty() {
        return Err(DbError::NoRecords {
            path: origin.to_path_buf(),
            failed: parsed.failed,
            errors: parsed.errors,
        });
    }
    let name = name.unwrap_or_else(|| source::default_name(origin, kind, &parsed.records));
    let imported_at = SystemTime::now();
    let withdrawn = parsed
        .records
        .iter()
        .filter(|r| r.withdrawn.is_some())
        .count();
    // The source on its own, merged: what it contributes, for `db status`.
    let (_, stats) = merge(parsed.records.iter().cloned());
    let meta = SourceMeta {
        name: name.to_string(),
        kind,
        origin: origin.to_string_lossy().into_owned(),
        records: parsed.records.len() as u64,
        withdrawn: withdrawn as u64,
        advisories: stats.advisories as u64,
        failed: parsed.failed as u64,
        imported_at: format_time(imported_at),
        newest: newest_date(&parsed.records, imported_at),
    };
    Ok(Ingested {
        meta,
        records: parsed.records,
        skipped: parsed.skipped,
        failed: parsed.failed,
        errors: parsed.errors,
    })
}

/// The newest `modified` (else `published`) date, ignoring dates more than a day after the
/// import: a bogus future date must not make an old snapshot look fresh.
fn newest_date(records: &[Advisory], imported_at: SystemTime) -> Option<String> {
    let latest_credible = imported_at + Duration::from_secs(86_400);
    records
        .iter()
        .filter_map(|r| r.modified.as_deref().or(r.published.as_deref()))
        .filter_map(|d| Some((parse_date(d)?, d)))
        .filter(|(at, _)| *at <= latest_credible)
        .max_by_key(|(at, _)| *at)
        .map(|(_, d)| d.to_owned())
}

pub(super) fn write_source(
    paths: &Paths,
    meta: &SourceMeta,
    records: &[Advisory],
) -> Result<(), DbError> {
    let path = paths.source(&meta.name);
    let header = SourceHeader {
        index_format: INDEX_FORMAT,
        meta: meta.clone(),
    };
    let bytes = store::frame(SOURCE_MAGIC, &header, records).map_err(|e| DbError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    store::write_atomic(&path, &bytes)
}

/// Why a stored source file cannot be used, with its origin when the header named one.
struct Unreadable {
    reason: String,
    origin: Option<String>,
}

/// A stored source's meta and records.
fn read_source(path: &Path) -> Result<(SourceMeta, Vec<Advisory>), Unreadable> {
    let fail = |reason: String, header: Option<&SourceHeader>| Unreadable {
        reason,
        origin: header.map(|h| h.meta.origin.clone()),
    };
    let bytes = fs::read(path).map_err(|e| fail(e.to_string(), None))?;
    let (header, body): (SourceHeader, _) =
        store::unframe(SOURCE_MAGIC, &bytes).map_err(|e| fail(e.to_string(), None))?;
    if header.index_format != INDEX_FORMAT {
        let reason = format!(
            "advisory format {} (this palisade reads {INDEX_FORMAT})",
            header.index_format
        );
        return Err(fail(reason, Some(&header)));
    }
    let records: Vec<Advisory> = postcard::from_bytes(body)
        .map_err(|e| fail(format!("does not decode: {e}"), Some(&header)))?;
    if records.len() as u64 != header.meta.records {
        let reason = format!(
            "{} records where the header says {}",
            records.len(),
            header.meta.records
        );
        return Err(fail(reason, Some(&header)));
    }
    Ok((header.meta, records))
}

/// Builds the index from every stored source (`fresh` in memory instead of its file).
///
/// The files in `sources/` are the truth; `known` only supplies origins for re-importing a
/// source whose file cannot be read. With `write` false (no lock, a read-only database),
/// re-imported sources are kept in memory only.
pub(super) fn build(
    paths: &Paths,
    fresh: Option<(SourceMeta, Vec<Advisory>)>,
    known: &Catalogue,
    write: bool,
) -> Result<Built, DbError> {
    let mut loaded: Vec<(SourceMeta, Vec<Advisory>)> = Vec::new();
    for (name, path) in catalogue::source_files(paths)? {
        if fresh.as_ref().is_some_and(|(m, _)| m.name == name.as_str()) {
            continue;
        }
        match read_source(&path) {
            Ok((meta, records)) if meta.name == name.as_str() => loaded.push((meta, records)),
            Ok((meta, _)) => {
                let why = Unreadable {
                    reason: format!("holds source {:?}", meta.name),
                    origin: Some(meta.origin),
                };
                loaded.push(reimport(paths, &name, &path, why, known, write)?);
            }
            Err(why) => loaded.push(reimport(paths, &name, &path, why, known, write)?),
        }
    }
    loaded.extend(fresh);
    loaded.sort_by(|a, b| {
        (a.0.kind.merge_rank(), &a.0.name).cmp(&(b.0.kind.merge_rank(), &b.0.name))
    });

    let mut sources = Vec::with_capacity(loaded.len());
    let mut records = Vec::with_capacity(loaded.iter().map(|(_, r)| r.len()).sum());
    for (meta, mut list) in loaded {
        sources.push(meta);
        records.append(&mut list);
    }
    let index = Index::new(records);
    let catalogue = Catalogue {
        layout: LAYOUT,
        sources,
        index: Some(IndexMeta {
            built_at: format_time(SystemTime::now()),
            stats: index.stats(),
        }),
    };
    Ok(Built { catalogue, index })
}

/// Imports a stored source again from its origin, when its file cannot be read.
fn reimport(
    paths: &Paths,
    name: &SourceName,
    path: &Path,
    why: Unreadable,
    known: &Catalogue,
    write: bool,
) -> Result<(SourceMeta, Vec<Advisory>), DbError> {
    let origin = known
        .sources
        .iter()
        .find(|s| s.name == name.as_str())
        .map(|s| s.origin.clone())
        .or(why.origin);
    let reason = why.reason;
    let unreadable = |reason: String| DbError::SourceUnreadable {
        name: name.to_string(),
        path: path.to_path_buf(),
        origin: PathBuf::from(origin.clone().unwrap_or_else(|| "PATH".into())),
        reason,
    };
    let Some(origin_path) = origin.as_deref().map(Path::new).filter(|p| p.exists()) else {
        return Err(unreadable(reason));
    };
    let ingested = ingest(origin_path, Some(name.clone()))
        .map_err(|e| unreadable(format!("{reason}; importing it again failed: {e}")))?;
    if write {
        write_source(paths, &ingested.meta, &ingested.records)?;
    }
    Ok((ingested.meta, ingested.records))
}

pub(super) fn bad_meta(paths: &Paths, meta: &SourceMeta) -> DbError {
    DbError::Io {
        path: paths.source(&meta.name),
        source: std::io::Error::other("source description does not validate"),
    }
}

/// Writes the index cache, then the catalogue describing it. A crash between the two leaves
/// a catalogue that does not match the cache, which the next load rebuilds.
pub(super) fn save(paths: &Paths, built: &Built) -> Result<(), DbError> {
    let header = IndexHeader {
        index_format: INDEX_FORMAT,
        built_at: built
            .catalogue
            .index
            .as_ref()
            .map(|i| i.built_at.clone())
            .unwrap_or_default(),
        stats: built.index.stats(),
        sources: built.catalogue.sources.clone(),
    };
    let path = paths.index();
    let io = |e: String| DbError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    let body = built.index.to_bytes().map_err(|e| io(e.to_string()))?;
    let bytes = store::frame_bytes(INDEX_MAGIC, &header, &body).map_err(|e| io(e.to_string()))?;
    store::write_atomic(&path, &bytes)?;
    catalogue::write(paths, &built.catalogue)
}

#[cfg(test)]
mod tests {
    use palisade_advisory::MergeStats;

    use super::*;
    use crate::database::decode_index;

    fn meta() -> SourceMeta {
        SourceMeta {
            name: "demo".into(),
            kind: crate::SourceKind::OsvDir,
            origin: "/nowhere".into(),
            records: 0,
            withdrawn: 0,
            advisories: 0,
            failed: 0,
            imported_at: format_time(SystemTime::now()),
            newest: None,
        }
    }

    #[test]
    fn another_advisory_format_is_recognised_before_decoding() {
        let header = IndexHeader {
            index_format: INDEX_FORMAT + 1,
            built_at: String::new(),
            stats: MergeStats::default(),
            sources: vec![meta()],
        };
        let body = Index::new([]).to_bytes().unwrap();
        let bytes = store::frame_bytes(INDEX_MAGIC, &header, &body).unwrap();
        let miss = decode_index(&bytes).unwrap_err();
        assert!(matches!(&miss, CacheMiss::OtherFormat(m) if m.contains("advisory format")));

        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths {
            dir: tmp.path().to_path_buf(),
        };
        store::write_atomic(&paths.index(), &bytes).unwrap();
        assert!(matches!(
            read_cache(&paths, &[meta()], None),
            Err(CacheMiss::OtherFormat(_))
        ));

        let source = SourceHeader {
            index_format: INDEX_FORMAT + 1,
            meta: meta(),
        };
        let bytes = store::frame(SOURCE_MAGIC, &source, &Vec::<Advisory>::new()).unwrap();
        let path = paths.source("demo");
        store::write_atomic(&path, &bytes).unwrap();
        let Err(why) = read_source(&path) else {
            panic!("read a source of another format");
        };
        assert!(why.reason.contains("advisory format"), "{}", why.reason);
        assert_eq!(why.origin.as_deref(), Some("/nowhere"));
    }

    #[test]
    fn future_dates_do_not_make_a_source_fresh() {
        let record = |modified: &str| {
            let mut a =
                palisade_advisory::osv::parse_json(r#"{"id": "GHSA-a", "affected": []}"#, "a.json")
                    .unwrap();
            a.modified = Some(modified.into());
            a
        };
        let now = parse_date("2026-08-01").unwrap();
        let records = [
            record("2026-07-30T00:00:00Z"),
            record("2099-01-01T00:00:00Z"),
            record("not a date"),
        ];
        assert_eq!(
            newest_date(&records, now).as_deref(),
            Some("2026-07-30T00:00:00Z")
        );
    }
}
