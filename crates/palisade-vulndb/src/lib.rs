//! palisade's advisory database on disk, offline first: OSV and RustSec sources imported into
//! one directory, merged into a [`palisade_advisory::Index`] that `palisade audit` loads from a
//! cache in a few milliseconds. The OSV API ([`osv_api`]) is the online option.
//!
//! A shell around the pure `palisade-advisory` crate: this crate reads files, archives and
//! HTTP; parsing, merging and matching are `palisade-advisory`'s.
//!
//! - [`Database::import`] reads a source — a directory of OSV records (`*.json`, `*.yaml`), an
//!   OSV archive as osv.dev publishes one per ecosystem (`<Ecosystem>/all.zip`), or a RustSec
//!   advisory-db checkout — parses every record (in parallel), stores them as one source, and
//!   rebuilds the merged index. Bad records are reported with `file:line:column` and skipped.
//! - [`Database::load_index`] reads the index cache, or rebuilds it from the stored sources
//!   when it is missing, damaged, of another format or older than the sources.
//! - [`Database::status`] lists the sources, their counts and ages; [`Status::stale`] is the
//!   check behind the binary's "older than 7 days" warning.
//!
//! # On disk
//!
//! The directory is chosen by the binary (`$PALISADE_HOME/advisories`, or `[audit] database`):
//!
//! ```text
//! <dir>/
//! ├── meta.json               the catalogue: each source's name, kind, origin, counts,
//! │                           imported_at and newest record date, and the last index build.
//! │                           Human-readable; recovered from the source headers if lost.
//! ├── sources/
//! │   ├── rustsec.postcard    one imported source: its parsed records
//! │   └── osv-npm.postcard
//! ├── index.postcard          the merged index over all sources: the fast path
//! └── lock                    locked while sources or the index are written
//! ```
//!
//! The `.postcard` files are framed as `magic | layout (u32 LE) | CRC-32 (u32 LE) | postcard
//! header | postcard body`. A source file's header describes the source; the index's header
//! holds the advisory format, the build time and the descriptions of the sources it was built
//! from — a cache is used only when those equal the catalogue's. Sources are kept apart so
//! that re-importing one replaces just its records; they store parsed records (not the raw
//! files) so that rebuilding the index after an import costs a decode, not a re-parse. Each
//! file is replaced atomically (temporary file, `fsync`, rename), so readers take no lock
//! and never see half a file; writers hold `lock`. A source file written with another
//! advisory format (after an upgrade) is imported again from its origin when that still
//! exists.
//!
//! # Example
//!
//! ```
//! use palisade_advisory::Ecosystem;
//! use palisade_vulndb::Database;
//!
//! let records = tempfile::tempdir()?;
//! std::fs::write(records.path().join("GHSA-demo-demo-demo.json"), r#"{
//!   "id": "GHSA-demo-demo-demo", "modified": "2026-01-02T00:00:00Z",
//!   "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
//!     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}"#)?;
//! std::fs::write(records.path().join("README.md"), "not a record")?;
//!
//! let dir = tempfile::tempdir()?;
//! let mut db = Database::open(dir.path())?;
//! let report = db.import(records.path())?;
//! assert_eq!(report.source.name.as_str(), "osv-npm");
//! assert_eq!((report.source.records, report.skipped, report.failed), (1, 1, 0));
//!
//! let index = Database::open(dir.path())?.load_index()?;
//! assert_eq!(index.affected(&Ecosystem::Npm, "left-pad", "1.2.0").len(), 1);
//! assert!(index.affected(&Ecosystem::Npm, "left-pad", "1.3.0").is_empty());
//!
//! let status = db.status();
//! assert_eq!(status.sources[0].newest.as_deref(), Some("2026-01-02T00:00:00Z"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! Sources are third-party input: record files and archive entries are read with a size
//! bound ([`MAX_RECORD_BYTES`], whatever an archive header claims), nothing is extracted to
//! disk, hidden entries (`.git`, `__MACOSX`) are passed over, symbolic links to directories
//! are not followed, and the parsers are `palisade-advisory`'s bounded, panic-free ones. The
//! cache files carry a checksum, so a damaged file is rebuilt rather than misread (a flipped
//! version string would be a silently missed vulnerability). An empty database is an error,
//! never an empty index: no data must not read as "no vulnerabilities".
#![warn(missing_docs)]

mod catalogue;
mod database;
mod error;
mod name;
pub mod osv_api;
mod source;
mod status;
mod store;

pub use database::{CacheMiss, Database, ImportReport, Loaded, Rebuilt, decode_index};
pub use error::{DbError, RecordError, RecordErrorKind};
pub use name::{SourceKind, SourceName};
pub use source::{MAX_RECORD_BYTES, MAX_REPORTED_ERRORS};
pub use status::{IndexSummary, SourceStatus, Status};
pub use store::LAYOUT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Database>();
        assert_send_sync::<osv_api::Client>();
    }
}
