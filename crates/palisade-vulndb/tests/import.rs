//! Importing sources: the shared data (OSV directories and the RustSec snapshot), archives,
//! re-imports, bad records, and sources that are not sources.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{SHARED, copy_files, data, some_files};
use palisade_advisory::Ecosystem;
use palisade_vulndb::{Database, DbError, RecordErrorKind, SourceKind, SourceName};
use zip::write::SimpleFileOptions;

#[test]
fn the_shared_data_imports_completely() {
    let db = Database::open(&SHARED.1).unwrap();
    let status = db.status();
    let summary: Vec<_> = status
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.kind, s.records, s.withdrawn, s.failed))
        .collect();
    // Merge order: RustSec first, then OSV by name.
    assert_eq!(
        summary,
        [
            ("rustsec", SourceKind::RustSec, 1225, 13, 0),
            ("osv-crates.io", SourceKind::OsvDir, 1206, 13, 0),
            ("osv-npm", SourceKind::OsvDir, 168, 0, 0),
            ("osv-pypi", SourceKind::OsvDir, 377, 1, 0),
        ]
    );
    // Per source, after merging its own records of one issue.
    for source in &status.sources {
        assert!(source.advisories <= source.records - source.withdrawn);
        assert!(source.advisories > 0);
        assert!(source.origin.is_absolute());
    }
    let index = status.index.unwrap();
    assert_eq!(index.stats.records, 2976);
    assert_eq!(index.stats.withdrawn, 27);
    assert_eq!(index.stats.advisories, 1757);

    let newest: Vec<_> = status
        .sources
        .iter()
        .map(|s| s.newest.as_deref().unwrap_or_default()[..10].to_owned())
        .collect();
    // The snapshots' dates (SNAPSHOT.txt, SOURCES.md): RustSec's newest publication, the
    // newest `modified` of the OSV exports. PyPA's snapshot is from 2024.
    assert!(newest[0].starts_with("2026-"), "{newest:?}");
    assert!(newest[1].starts_with("2026-"), "{newest:?}");
    assert!(newest[3].as_str() <= "2024-10-10", "{newest:?}");

    let index = db.load_index().unwrap();
    for (ecosystem, name, version) in [
        (Ecosystem::CratesIo, "smallvec", "0.6.2"),
        (Ecosystem::Npm, "qs", "6.5.2"),
        (Ecosystem::PyPI, "Django", "3.1.5"),
        (Ecosystem::RustToolchain, "std", "1.0.0"),
    ] {
        assert!(
            !index.affected(&ecosystem, name, version).is_empty(),
            "{ecosystem} {name} {version}"
        );
    }
}

#[test]
fn a_directory_of_mixed_ecosystems_is_named_after_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let report = db.import(&data().join("osv")).unwrap();
    assert_eq!(report.source.name.as_str(), "osv");
    assert_eq!(report.source.records, 1206 + 377 + 168);
    // SOURCES.md, npm-manifest.tsv and LICENSES/*.txt are not records.
    assert_eq!(report.skipped, 6);
    assert_eq!(report.failed, 0);
}

#[test]
fn an_osv_archive_imports_like_osv_dev_publishes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let records = some_files("osv/npm", "json", 20);
    let zip_dir = tmp.path().join("npm");
    fs::create_dir(&zip_dir).unwrap();
    let zip_path = zip_dir.join("all.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for file in &records {
        zip.start_file(file.file_name().unwrap().to_str().unwrap(), options)
            .unwrap();
        zip.write_all(&fs::read(file).unwrap()).unwrap();
    }
    zip.add_directory("nested/", options).unwrap();
    zip.start_file("nested/bad.json", options).unwrap();
    zip.write_all(b"{\n  \"id\": \"GHSA-bad\",\n  \"affected\": [\n}")
        .unwrap();
    zip.start_file("README.md", options).unwrap();
    zip.write_all(b"# not a record").unwrap();
    zip.start_file("__MACOSX/._GHSA-x.json", options).unwrap();
    zip.write_all(&[0, 5, 22, 7]).unwrap();
    zip.finish().unwrap();

    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let report = db.import(&zip_path).unwrap();
    assert_eq!(report.source.kind, SourceKind::OsvZip);
    assert_eq!(report.source.name.as_str(), "osv-npm");
    assert_eq!(report.source.records, 20);
    assert_eq!((report.failed, report.skipped), (1, 2));
    let error = &report.errors[0];
    assert!(
        error.file.ends_with("npm/all.zip!/nested/bad.json"),
        "{error}"
    );
    assert_eq!((error.line, error.column), (4, 1), "{error}");
    assert!(matches!(error.kind, RecordErrorKind::Parse(_)));

    let index = db.load_index().unwrap();
    assert_eq!(index.stats().records, 20);
}

#[test]
fn an_archive_of_mixed_ecosystems_called_all_zip_is_named_by_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_dir = tmp.path().join("Mixed");
    fs::create_dir(&zip_dir).unwrap();
    let zip_path = zip_dir.join("all.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    for file in some_files("osv/crates", "json", 2)
        .into_iter()
        .chain(some_files("osv/npm", "json", 2))
    {
        zip.start_file(
            file.file_name().unwrap().to_str().unwrap(),
            SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&fs::read(&file).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let report = db.import(&zip_path).unwrap();
    assert_eq!(report.source.name.as_str(), "osv-mixed");
    assert_eq!(report.source.records, 4);
}

#[test]
fn re_importing_a_source_replaces_its_records() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("npm-snapshot");
    let files = some_files("osv/npm", "json", 10);
    copy_files(&files, &source);
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let first = db.import(&source).unwrap();
    assert_eq!(first.source.records, 10);
    assert!(first.replaced.is_none());
    db.import(&data().join("osv/pypi")).unwrap();

    let gone: Vec<String> = files[..3]
        .iter()
        .map(|f| f.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    for file in &files[..3] {
        fs::remove_file(source.join(file.file_name().unwrap())).unwrap();
    }
    let second = db.import(&source).unwrap();
    assert_eq!(second.source.name, first.source.name);
    assert_eq!(second.source.records, 7);
    assert_eq!(second.replaced.as_ref().unwrap().records, 10);
    assert!(second.source.imported_at > first.source.imported_at);

    let status = db.status();
    assert_eq!(status.sources.len(), 2);
    assert_eq!(status.records(), 7 + 377);
    let index = Database::open(db.dir()).unwrap().load_index().unwrap();
    for id in &gone {
        assert!(index.get(id).is_none(), "{id} still in the index");
    }
    assert!(
        index
            .get(&files[5].file_stem().unwrap().to_string_lossy())
            .is_some()
    );
    // No temporary files are left behind.
    let leftovers: Vec<_> = fs::read_dir(db.dir().join("sources"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".postcard"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_source_can_be_imported_under_a_chosen_name() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let name = SourceName::parse("ghsa-npm").unwrap();
    let report = db.import_as(&data().join("osv/npm"), name.clone()).unwrap();
    assert_eq!(report.source.name, name);
    db.import(&data().join("osv/npm")).unwrap();
    assert_eq!(db.status().sources.len(), 2); // ghsa-npm and osv-npm
    assert!(matches!(
        SourceName::parse("../etc"),
        Err(DbError::InvalidName(_))
    ));
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn bad_records_are_reported_with_locations_and_good_ones_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("src");
    copy_files(&some_files("osv/crates", "json", 3), &source.join("good"));
    copy_files(&some_files("osv/pypi", "yaml", 2), &source.join("good"));
    write(
        &source.join("bad/GHSA-bad1.json"),
        "{\n  \"id\": \"GHSA-bad1\",\n  \"affected\": [}\n",
    );
    write(
        &source.join("bad/PYSEC-bad2.yaml"),
        "id: PYSEC-bad2\naffected:\n  - package: [\n",
    );
    write(
        &source.join("bad/GHSA-bad3.json"),
        "{\"id\": \"GHSA bad3\", \"affected\": []}",
    );
    write(&source.join("README.md"), "# records below");
    write(&source.join(".github/workflows/ci.yml"), "on: push\n");

    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let report = db.import(&source).unwrap();
    assert_eq!(report.source.records, 5);
    assert_eq!(report.source.failed, 3);
    assert_eq!((report.failed, report.skipped), (3, 1));
    let shown: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    let bad = source.join("bad").display().to_string();
    assert!(
        shown[0].starts_with(&format!("{bad}/GHSA-bad1.json:3:")),
        "{shown:?}"
    );
    assert!(
        shown[1].starts_with(&format!("{bad}/GHSA-bad3.json:1:")),
        "{shown:?}"
    );
    assert!(shown[1].contains("invalid advisory id"), "{shown:?}");
    assert!(
        shown[2].starts_with(&format!("{bad}/PYSEC-bad2.yaml:")),
        "{shown:?}"
    );
    assert_eq!(db.load_index().unwrap().stats().records, 5);
}

#[test]
fn bad_rustsec_files_are_located_in_the_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let db_src = tmp.path().join("advisory-db");
    let snapshot = data().join("rustsec-advisory-db");
    copy_files(
        &[snapshot.join("crates/smallvec/RUSTSEC-2018-0003.md")],
        &db_src.join("crates/smallvec"),
    );
    write(
        &db_src.join("crates/demo/RUSTSEC-2099-0001.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n\
         date = \"2099-01-01\"\n\n[versions]\npatched = [\">= 1.0, >= 2.0\"]\n```\n\n# Demo\n",
    );
    write(&db_src.join("crates/demo/README.md"), "not an advisory");
    write(&db_src.join("EXAMPLE_ADVISORY.md"), "```toml\n```\n");

    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let report = db.import(&db_src).unwrap();
    assert_eq!(report.source.kind, SourceKind::RustSec);
    assert_eq!(report.source.name.as_str(), "rustsec");
    assert_eq!(
        (report.source.records, report.failed, report.skipped),
        (1, 1, 1)
    );
    let error = report.errors[0].to_string();
    assert!(
        error.contains("crates/demo/RUSTSEC-2099-0001.md:8:12: invalid version requirement"),
        "{error}"
    );
}

#[test]
fn a_source_without_one_good_record_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("src");
    write(&source.join("GHSA-bad.json"), "{\"id\": ");
    write(&source.join("README.md"), "hello");
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let error = db.import(&source).unwrap_err();
    let DbError::NoRecords { failed, errors, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*failed, 1);
    assert!(errors[0].file.ends_with("GHSA-bad.json"));
    assert!(error.to_string().contains("GHSA-bad.json:1:"), "{error}");

    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(matches!(
        db.import(&empty),
        Err(DbError::NoRecords { failed: 0, .. })
    ));
    // Nothing was stored.
    assert!(db.status().is_empty());
    assert!(!db.dir().join("sources").exists());
}

#[test]
fn paths_that_are_not_sources_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = Database::open(&tmp.path().join("db")).unwrap();
    let text = tmp.path().join("notes.txt");
    fs::write(&text, "hello").unwrap();
    let error = db.import(&text).unwrap_err();
    assert!(
        matches!(error, DbError::UnrecognisedSource { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("notes.txt: not an advisory source")
    );

    let fake_zip = tmp.path().join("all.zip");
    fs::write(&fake_zip, b"PK\x03\x04 and then nothing").unwrap();
    assert!(matches!(db.import(&fake_zip), Err(DbError::Archive { .. })));
    assert!(matches!(
        db.import(&tmp.path().join("missing")),
        Err(DbError::Io { .. })
    ));
}

#[test]
fn status_reports_counts_and_age() {
    let db = Database::open(&SHARED.1).unwrap();
    let status = db.status();
    assert_eq!(status.records(), 2976);
    let now = SystemTime::now();
    for source in &status.sources {
        assert!(now.duration_since(source.imported_at).unwrap() < Duration::from_secs(3600));
    }
    // The snapshots are months old: stale by a week's measure, fresh by a decade's.
    let week = Duration::from_secs(7 * 86_400);
    assert!(status.stale_at(week, now));
    assert!(!status.stale_at(Duration::from_secs(10 * 365 * 86_400), now));
    let pypi = &status.sources[3];
    assert_eq!(pypi.name.as_str(), "osv-pypi");
    assert!(pypi.age_at(now) > Duration::from_secs(365 * 86_400));
    assert!(status.stale_sources_at(week, now).len() == 4);
}
