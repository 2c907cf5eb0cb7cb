//! Shared helpers: small indexes from hand-written advisories, lockfiles from text or from
//! palisade-lockfile's fixtures, and the shared reference data (read-only, beside the
//! repository). The crate does no I/O; its tests do.
#![allow(dead_code)] // each test binary uses part of this

use std::fs;
use std::path::{Path, PathBuf};

use palisade_advisory::{Advisory, Index, osv, rustsec};
use palisade_audit::{AuditSettings, Date, Report, Target, Yanked};
use palisade_lockfile::{Ecosystem, Lockfile, kind_of, parse_with_manifest};

pub fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn today() -> Date {
    date("2026-05-01")
}

/// An OSV record for one npm package: `id`, affected from `introduced` below `fixed` (no fix
/// when `None`), rated by `severity` (a CVSS vector when it starts with `CVSS:`, else a GitHub
/// label; no rating when empty).
pub fn npm_advisory(
    id: &str,
    aliases: &[&str],
    package: &str,
    introduced: &str,
    fixed: Option<&str>,
    severity: &str,
) -> Advisory {
    osv_advisory("npm", id, aliases, package, introduced, fixed, severity)
}

pub fn osv_advisory(
    ecosystem: &str,
    id: &str,
    aliases: &[&str],
    package: &str,
    introduced: &str,
    fixed: Option<&str>,
    severity: &str,
) -> Advisory {
    let mut events = vec![serde_json::json!({"introduced": introduced})];
    if let Some(fixed) = fixed {
        events.push(serde_json::json!({"fixed": fixed}));
    }
    let mut record = serde_json::json!({
        "id": id,
        "aliases": aliases,
        "summary": format!("{id} in {package}"),
        "details": format!("Details of {id}.\n\nMore."),
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
        }],
    });
    if severity.starts_with("CVSS:") {
        record["severity"] = serde_json::json!([{"type": "CVSS_V3", "score": severity}]);
    } else if !severity.is_empty() {
        record["database_specific"] = serde_json::json!({"severity": severity});
    }
    osv::parse_json(&record.to_string(), &format!("{id}.json")).unwrap()
}

/// A RustSec informational advisory (`unmaintained`, `unsound`, `notice`) for a crate.
pub fn rustsec_informational(id: &str, krate: &str, kind: &str, patched: &[&str]) -> Advisory {
    let patched: Vec<String> = patched.iter().map(|p| format!("{p:?}")).collect();
    let text = format!(
        "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\ndate = \"2024-01-01\"\n\
         informational = \"{kind}\"\n\n[versions]\npatched = [{}]\n```\n\n# {krate} is {kind}\n\n\
         The crate is {kind}.\n",
        patched.join(", ")
    );
    rustsec::parse(&text, &format!("{id}.md"), rustsec::Collection::Crates).unwrap()
}

pub fn index(records: Vec<Advisory>) -> Index {
    Index::new(records)
}

pub fn lockfile(name: &str, text: &str) -> Lockfile {
    palisade_lockfile::parse(name, text).unwrap()
}

/// Audits one lockfile given by name and text.
pub fn audit(index: &Index, name: &str, text: &str, settings: &AuditSettings) -> Report {
    let lock = lockfile(name, text);
    Report::generate(index, &[Target::new(name, &lock).with_text(text)], settings)
}

/// palisade-lockfile's fixtures (`tests/fixtures/<scenario>/<file>`).
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../palisade-lockfile/tests/fixtures")
}

/// A fixture's text and its parse (with the manifest beside it, if any).
pub fn fixture(scenario: &str, file: &str) -> (String, Lockfile) {
    let dir = fixture_dir().join(scenario);
    let text = fs::read_to_string(dir.join(file)).unwrap();
    let manifest = kind_of(file)
        .and_then(|k| k.manifest())
        .and_then(|m| fs::read_to_string(dir.join(m)).ok());
    let lock = parse_with_manifest(file, &text, manifest.as_deref()).unwrap();
    (text, lock)
}

/// The shared reference data: OSV exports and a RustSec advisory-db snapshot.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// Every file under `dir` ending in `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The shared OSV npm records and the RustSec crates collection, parsed.
pub fn shared_records() -> Vec<Advisory> {
    let data = data_dir();
    let mut records = Vec::new();
    for path in files(&data.join("rustsec-advisory-db/crates"), "md") {
        let text = fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        records.push(rustsec::parse(&text, &name, rustsec::Collection::Crates).unwrap());
    }
    for path in files(&data.join("osv/npm"), "json") {
        let text = fs::read_to_string(&path).unwrap();
        records.push(osv::parse_json(&text, &path.display().to_string()).unwrap());
    }
    for path in files(&data.join("osv/pypi"), "yaml") {
        let text = fs::read_to_string(&path).unwrap();
        records.push(osv::parse_yaml(&text, &path.display().to_string()).unwrap());
    }
    records
}

/// Compiles a JSON Schema file for validation.
pub fn schema(path: &Path) -> jsonschema::Validator {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    schema_from(path, &text)
}

/// Compiles a JSON Schema given as text (`path` names it in errors).
pub fn schema_from(path: &Path, text: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(text).unwrap();
    // Formats too (`uri`, `uri-reference`, `date-time`): GitHub rejects a SARIF `helpUri` that
    // is not a URI.
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Panics with every validation error of `instance`.
pub fn assert_valid(validator: &jsonschema::Validator, instance: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid:\n{}", errors.join("\n"));
}

/// A report with one of everything, for the renderers: an npm lockfile with vulnerabilities
/// of each severity (CVSS-scored, label-rated, unrated), an ignored one, an expired ignore, an
/// unchecked version and a non-registry package; a Cargo.lock with a vulnerability and an
/// informational warning. Yanked versions are not checked.
pub fn rich_report() -> Report {
    rich_report_with(|settings| settings)
}

/// [`rich_report`] with crates.io asked for yanked versions (npm not): smallvec 1.6.0 is
/// yanked, so the Cargo.lock lists it and the npm lockfile says "not checked".
pub fn rich_report_yanked() -> Report {
    let mut yanked = Yanked::checked(Ecosystem::CratesIo);
    yanked.insert(Ecosystem::CratesIo, "smallvec", "1.6.0");
    // Not in any lockfile: lists nothing.
    yanked.insert(Ecosystem::CratesIo, "smallvec", "1.6.1");
    rich_report_with(|settings| settings.with_yanked(yanked))
}

/// [`rich_report`] with its settings changed by `settings`.
pub fn rich_report_with(settings: impl FnOnce(AuditSettings) -> AuditSettings) -> Report {
    const NPM: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "web",
      "version": "1.0.0",
      "dependencies": { "express": "^4.17.0", "left-pad": "1.3.0", "local": "file:../local", "weird": "*" }
    },
    "../local": { "name": "local", "version": "0.1.0" },
    "node_modules/express": {
      "version": "4.17.1",
      "dependencies": { "qs": "6.7.0", "ms": "^2.0.0" }
    },
    "node_modules/left-pad": { "version": "1.3.0" },
    "node_modules/local": { "resolved": "../local", "link": true },
    "node_modules/ms": { "version": "2.0.0" },
    "node_modules/qs": { "version": "6.7.0" },
    "node_modules/weird": { "version": "not-a-version" }
  }
}
"#;
    const CARGO: &str = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
        dependencies = [\"ansi_term\", \"smallvec\"]\n\n[[package]]\nname = \"ansi_term\"\n\
        version = \"0.12.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
        [[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n\
        source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let idx = index(vec![
        npm_advisory(
            "GHSA-qqqq-qqqq-qqqq",
            &["CVE-2099-0002"],
            "qs",
            "0",
            Some("6.7.3"),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        ),
        npm_advisory(
            "GHSA-mmmm-mmmm-mmmm",
            &["CVE-2099-1000"],
            "ms",
            "0",
            Some("2.0.1"),
            "MODERATE",
        ),
        npm_advisory(
            "GHSA-llll-llll-0001",
            &[],
            "left-pad",
            "0",
            None,
            "CRITICAL",
        ),
        npm_advisory(
            "GHSA-llll-llll-0002",
            &[],
            "left-pad",
            "0",
            Some("1.3.1"),
            "",
        ),
        npm_advisory(
            "GHSA-wwww-wwww-wwww",
            &[],
            "weird",
            "1.0.0",
            Some("2.0.0"),
            "HIGH",
        ),
        osv_advisory(
            "crates.io",
            "RUSTSEC-2021-0003",
            &["GHSA-43w2-9j62-hq99"],
            "smallvec",
            "1.0.0",
            Some("1.6.1"),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ),
        rustsec_informational("RUSTSEC-2021-0139", "ansi_term", "unmaintained", &[]),
    ]);
    let ignores = palisade_audit::IgnoreFile::parse(
        ".palisade-audit.toml",
        "[[ignore]]\nid = \"CVE-2099-1000\"\nreason = \"durations are ours, not user input\"\n\
         expires = \"2026-12-31\"\n\n[[ignore]]\nid = \"GHSA-zzzz-zzzz-zzzz\"\n\
         reason = \"old\"\nexpires = \"2026-01-31\"\n",
    )
    .unwrap();
    let npm = lockfile("package-lock.json", NPM);
    let cargo = lockfile("Cargo.lock", CARGO);
    Report::generate(
        &idx,
        &[
            Target::new("web/package-lock.json", &npm).with_text(NPM),
            Target::new("Cargo.lock", &cargo).with_text(CARGO),
        ],
        &settings(AuditSettings::new(today()).with_ignores(ignores)),
    )
}
