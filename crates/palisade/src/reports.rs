//! The latest `palisade audit` and `palisade outdated` results, kept as JSON for the console's
//! Dependencies page: one file per (kind, project) in `$PALISADE_REPORTS`, else
//! `$PALISADE_HOME/reports`, so several projects on one host each keep their latest report.
//!
//! A file is an envelope (`kind`, `project`, `ran_at`, for audits the advisory database's
//! sources and ages) around `report`, exactly what `--format json` / `--json` prints, so that
//! there is one schema (docs/audit-json.md). Saving never fails a command: a problem is a
//! warning on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use palisade_audit::Report;
use serde_json::{Value, json};
use sha2::Digest;

use crate::cli::{AuditArgs, OutdatedArgs};

/// The envelope's own version; the embedded report carries its own `schema_version`.
const ENVELOPE_VERSION: u32 = 1;

/// `$PALISADE_REPORTS`, else `$PALISADE_HOME/reports`.
pub(crate) fn dir() -> PathBuf {
    std::env::var_os("PALISADE_REPORTS")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::apps::home().join("reports"))
}

/// Saves an audit's report unless `--no-save`. `database` is the advisory database it read
/// (ignored with `--osv-api`).
pub(crate) fn save_audit(args: &AuditArgs, database: &Path, report: &Report) {
    if args.no_save {
        return;
    }
    let now = SystemTime::now();
    let database = match &args.osv_api {
        Some(url) => json!({ "path": null, "online": url, "stale": false, "sources": [] }),
        None => database_json(database, now),
    };
    // A lockfile given as PATH belongs to the project of its directory.
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let root = if root.is_file() {
        root.parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf()
    } else {
        root
    };
    let report: Value = match serde_json::from_str(&palisade_audit::render::json(report)) {
        Ok(v) => v,
        Err(e) => return eprintln!("warning: report not saved: {e}"),
    };
    save(
        "audit",
        &root,
        now,
        [("database", database), ("report", report)],
    );
}

/// Saves `palisade outdated`'s JSON document (what `--json` prints) unless `--no-save`.
pub(crate) fn save_outdated(args: &OutdatedArgs, doc: &Value) {
    if args.no_save {
        return;
    }
    save(
        "outdated",
        &args.registry.path,
        SystemTime::now(),
        [("report", doc.clone())],
    );
}

/// The database's sources, as `palisade audit db status --json` lists them, and whether any
/// was stale (an empty database counts as stale: no data is never fresh).
fn database_json(database: &Path, now: SystemTime) -> Value {
    let status = palisade_vulndb::Database::open(database).map(|db| db.status());
    match status {
        Ok(st) => json!({
            "path": database.display().to_string(),
            "online": null,
            "stale": st.stale_at(crate::audit::STALE, now),
            "sources": st.sources.iter().map(|s| crate::audit::source_json(s, now)).collect::<Vec<_>>(),
        }),
        Err(_) => json!({
            "path": database.display().to_string(), "online": null, "stale": true, "sources": [],
        }),
    }
}

fn save<const N: usize>(kind: &str, root: &Path, now: SystemTime, body: [(&str, Value); N]) {
    // The canonical path names the project whichever way it was spelt on the command line.
    let project = std::fs::canonicalize(root)
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf());
    let mut doc = json!({
        "envelope_version": ENVELOPE_VERSION,
        "kind": kind,
        "project": project.display().to_string(),
        "ran_at": humantime::format_rfc3339_seconds(now).to_string(),
    });
    for (key, value) in body {
        doc[key] = value;
    }
    let dir = dir();
    let path = dir.join(file_name(kind, &project));
    let written = serde_json::to_vec_pretty(&doc)
        .map_err(std::io::Error::other)
        .and_then(|bytes| write_atomically(&dir, &path, &bytes));
    if let Err(e) = written {
        eprintln!("warning: report not saved to {}: {e}", path.display());
    }
}

/// `KIND-HASH.json`, the hash a short digest of the canonical project path.
fn file_name(kind: &str, project: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let digest = sha2::Sha256::digest(project.as_os_str().as_bytes());
    format!("{kind}-{}.json", hex::encode(&digest[..8]))
}

/// Writes a temporary file beside `path` and renames it over `path`, so the console never
/// reads half a report.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    // Hidden and unique per process: two audits of one project never share a temporary file,
    // and the console skips dot files.
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    // No fsync: it would add milliseconds to every audit, and a report lost to a power cut is
    // rewritten by the next run (the console lists a damaged one as unreadable meanwhile).
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_kind_and_project() {
        let a = file_name("audit", Path::new("/srv/shop"));
        assert!(a.starts_with("audit-") && a.ends_with(".json"), "{a}");
        assert_eq!(a.len(), "audit-".len() + 16 + ".json".len());
        assert_eq!(a, file_name("audit", Path::new("/srv/shop")));
        assert_ne!(a, file_name("audit", Path::new("/srv/blog")));
        assert!(file_name("outdated", Path::new("/srv/shop")).starts_with("outdated-"));
    }

    #[test]
    fn writing_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().join("reports");
        let path = reports.join("audit-x.json");
        write_atomically(&reports, &path, b"{\"n\": 1}").unwrap();
        write_atomically(&reports, &path, b"{\"n\": 2}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\": 2}");
        let names: Vec<_> = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["audit-x.json"]);
    }
}
